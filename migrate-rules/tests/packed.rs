//! The embedded layout: packing a set and reading it back gives every part of it unchanged.

use migrate_rules::packed::{INDEX_ENTRY_LEN, PackedSet, PackedView, ScriptView};
use migrate_rules::{Entry, MigrationSet, Script};

/// Packs `files`, views the result, and checks that the view gives back everything the set
/// holds: names, SQL, statements with their lines, down scripts, flags and checksums.
#[track_caller]
fn check_round_trip(files: &[(&str, &str)]) -> PackedSet {
    let set = MigrationSet::from_entries(files.iter().map(|(n, c)| Entry::file(*n, *c))).unwrap();
    let packed = PackedSet::pack(&set).unwrap();
    let view = packed.view();
    assert_eq!(view.len(), set.migrations().len());
    assert!(!view.is_empty());
    assert_eq!(packed.index.len(), set.migrations().len() * INDEX_ENTRY_LEN);
    assert_eq!(packed.history_checksum, *set.history_checksum().as_bytes());
    for (i, m) in set.migrations().iter().enumerate() {
        assert_eq!(m.version, i as i64 + 1);
        assert_eq!(view.file_name(i), m.up.file_name);
        assert_eq!(view.checksum(i), m.up.checksum);
        check_script(view.up(i), &m.up);
        match (&m.down, view.down(i)) {
            (None, None) => {}
            (Some(expected), Some(actual)) => check_script(actual, expected),
            (expected, actual) => panic!("down of {i}: {expected:?} vs {actual:?}"),
        }
    }
    // The same view, rebuilt from the six parts as the runtime does from the macro's literals.
    let rebuilt = PackedView::new(
        &packed.names,
        &packed.up_sql,
        &packed.down_sql,
        &packed.index,
        &packed.statement_ends,
        &packed.checksums,
    );
    for i in 0..view.len() {
        assert_eq!(rebuilt.file_name(i), view.file_name(i));
        assert_eq!(rebuilt.up(i).sql, view.up(i).sql);
    }
    packed
}

#[track_caller]
fn check_script(view: ScriptView<'_>, script: &Script) {
    assert_eq!(view.sql, script.sql);
    assert_eq!(view.no_transaction, script.no_transaction);
    assert_eq!(view.statement_count(), script.statements.len());
    let statements: Vec<_> = view.statements().collect();
    assert_eq!(statements.len(), script.statements.len());
    for (i, (actual, expected)) in statements.iter().zip(&script.statements).enumerate() {
        assert_eq!(actual.index, i);
        assert_eq!(actual.text, expected.text(&script.sql));
        assert_eq!(actual.start, expected.start);
        assert_eq!(actual.line(), expected.line, "{:?}", actual.text);
    }
}

#[test]
fn one_migration() {
    let packed = check_round_trip(&[("1_a.sql", "SELECT 1;")]);
    assert_eq!(packed.names, "1_a.sql");
    assert_eq!(packed.up_sql, "SELECT 1;");
    assert_eq!(packed.down_sql, "");
    assert_eq!(packed.statement_ends, 9u32.to_le_bytes());
}

#[test]
fn many_migrations_with_and_without_downs() {
    let packed = check_round_trip(&[
        (
            "0001_users.sql",
            "-- the users\nCREATE TABLE users (\n  id INTEGER PRIMARY KEY\n);\n\n\
             CREATE INDEX users_id ON users (id);\n",
        ),
        ("0001_users.down.sql", "DROP TABLE users;"),
        ("0002_noop.sql", "SELECT 1"),
        (
            "0003_trigger.sql",
            "CREATE TRIGGER t AFTER INSERT ON users BEGIN\n  SELECT CASE WHEN 1 THEN 2 END;\n  SELECT ';';\nEND;\n/* trailing */",
        ),
        (
            "0003_trigger.down.sql",
            ";; DROP TRIGGER t;\n\n;DROP INDEX IF EXISTS x",
        ),
        (
            "0004_wal.sql",
            "-- migrate:no-transaction\nPRAGMA journal_mode = WAL;\nVACUUM;",
        ),
        (
            "0004_wal.down.sql",
            "-- migrate:no-transaction\r\nPRAGMA journal_mode = DELETE;\r\n",
        ),
        ("0005_tx_down.sql", "SELECT 'é';"),
        ("0005_tx_down.down.sql", "SELECT 'ü';\n"),
        ("0006_crlf.sql", "\u{feff}SELECT 1;\r\nSELECT 2;\r\n"),
    ]);
    let view = packed.view();
    assert_eq!(view.len(), 6);
    assert_eq!(view.file_name(5), "0006_crlf.sql");
    assert_eq!(view.up(5).sql, "SELECT 1;\nSELECT 2;\n");
    assert_eq!(view.up(5).statement(1).line(), 2);
    assert!(view.down(1).is_none());
    let down = view.down(2).unwrap();
    assert_eq!(down.statement(0).text, "DROP TRIGGER t;");
    assert_eq!(down.statement(1).text, "DROP INDEX IF EXISTS x");
    assert_eq!(down.statement(1).line(), 3);
    assert!(view.up(3).no_transaction && view.down(3).unwrap().no_transaction);
    assert!(!view.up(4).no_transaction && !view.down(4).unwrap().no_transaction);
    assert_eq!(view.up(2).statement_count(), 1);
}

#[test]
fn out_of_range_reads_are_empty_not_panics() {
    let packed = check_round_trip(&[("1_a.sql", "SELECT 1;")]);
    let view = packed.view();
    assert_eq!(view.file_name(7), "");
    assert_eq!(view.up(7).sql, "");
    assert_eq!(view.up(7).statement_count(), 0);
    assert!(view.down(7).is_none());
    assert_eq!(
        view.checksum(7),
        migrate_rules::Checksum::from_bytes([0; 32])
    );
    assert_eq!(view.up(0).statement(3).text, "");
    let empty = PackedView::new("", "", "", b"", b"", b"");
    assert!(empty.is_empty());
    assert_eq!(empty.file_name(0), "");
}
