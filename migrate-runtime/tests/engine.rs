//! The runtime engine on real SQLite files: atomicity, validation, foreign keys,
//! no-transaction migrations, options, tracking layout and logs.

mod common;

use std::cell::RefCell;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use common::{Record, logs_of, set, set_dir};
use migrate_runtime::rusqlite::{Connection, ErrorCode};
use migrate_runtime::{Checksum, Error, Event, ForeignKeyCheck, Migrations};
use migrate_test_kit::{
    Db, Journal, applied_versions, count, dump, dump_file, dump_with, user_version, with_suffix,
};

// ---------------------------------------------------------------------------------------------
// A failing statement
// ---------------------------------------------------------------------------------------------

#[test]
fn a_failing_statement_leaves_the_database_as_after_the_previous_migration() {
    failing_statement(Journal::Rollback);
}

#[test]
fn a_failing_statement_leaves_the_database_as_after_the_previous_migration_in_wal_mode() {
    failing_statement(Journal::Wal);
}

fn failing_statement(journal: Journal) {
    let db = Db::new(journal);
    let shop = set_dir("shop");
    let mut conn = db.open();

    // The state just before migration 3 begins, seen by another connection while the runner
    // holds its write transaction (committed data only).
    let before_third = RefCell::new(None);
    let error = shop
        .runner()
        .on_event(|event| {
            if let Event::Started(m) = event
                && m.version() == 3
            {
                *before_third.borrow_mut() = Some(dump_file(&db.path, false));
            }
        })
        .run(&mut conn)
        .expect_err("migration 3 refers to a missing table");
    let before_third = before_third.into_inner().expect("migration 3 started");

    assert_eq!(
        error.to_string(),
        "migration 3 (0003_add_orders.sql) failed at statement 2 (line 7): no such table: user"
    );
    let Error::Statement(failure) = &error else {
        panic!("expected Error::Statement, got {error:?}");
    };
    assert_eq!(failure.migration.version, 3);
    assert_eq!(failure.migration.file, "0003_add_orders.sql");
    assert_eq!(failure.statement_index, 2);
    assert_eq!(failure.line, 7);
    assert_eq!(
        failure.statement,
        "INSERT INTO orders (user_id) SELECT id FROM user;"
    );
    assert_eq!(failure.message, "no such table: user");
    assert_eq!(failure.extended_code, Some(1), "SQLITE_ERROR");
    assert_eq!(error.sqlite_code(), Some(1));
    assert_eq!(failure.applied, vec![1, 2]);
    assert_eq!(error.applied_before_failure(), &[1, 2]);

    // Schema and data (tracking tables included) exactly as after migration 2; the only new
    // thing is the failure event.
    assert!(before_third.iter().any(|l| l.starts_with("row products:")));
    assert_eq!(dump_with(&conn, true), before_third);
    assert_eq!(applied_versions(&conn), vec![1, 2]);
    assert_eq!(user_version(&conn), 2);
    let failures: Vec<(i64, String, String)> = conn
        .prepare(
            "SELECT version, name, detail FROM schema_migrations_history WHERE event = 'failed'",
        )
        .unwrap()
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        failures,
        vec![(3, "add_orders".to_owned(), error.to_string())]
    );

    // A failed attempt is never counted as applied: the next run tries again, and fails again.
    let again = shop.run(&mut conn).expect_err("still broken");
    assert!(
        matches!(&again, Error::Statement(f) if f.statement_index == 2 && f.applied.is_empty())
    );
    assert_eq!(applied_versions(&conn), vec![1, 2]);
    assert_eq!(
        count(
            &conn,
            "SELECT count(*) FROM schema_migrations_history WHERE event = 'failed' AND version = 3"
        ),
        2
    );
    assert_eq!(dump_with(&conn, true), before_third);
}

// ---------------------------------------------------------------------------------------------
// Validation: drift, database ahead, holes
// ---------------------------------------------------------------------------------------------

const BASE: [(&str, &str); 3] = [
    (
        "0001_create_notes.sql",
        "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL);",
    ),
    (
        "0002_add_tags.sql",
        "CREATE TABLE IF NOT EXISTS tags (name TEXT PRIMARY KEY);\nINSERT OR IGNORE INTO tags VALUES ('work');",
    ),
    (
        "0003_add_archive.sql",
        "CREATE TABLE IF NOT EXISTS archive (note_id INTEGER);",
    ),
];

const FOURTH: (&str, &str) = (
    "0004_add_pins.sql",
    "CREATE TABLE pins (note_id INTEGER);\nINSERT INTO pins VALUES (1);",
);

fn base_with(extra: &[(&'static str, &'static str)]) -> Migrations {
    let mut files = BASE.to_vec();
    files.extend_from_slice(extra);
    set(&files)
}

#[test]
fn drift_is_refused_listing_every_edited_migration_and_nothing_is_applied() {
    let db = Db::new(Journal::Rollback);
    let original = base_with(&[]);
    let mut conn = db.open();
    original.run(&mut conn).unwrap();

    let edited = set(&[
        BASE[0],
        (
            "0002_add_tags.sql",
            "CREATE TABLE IF NOT EXISTS tags (name TEXT PRIMARY KEY, color TEXT);\nINSERT OR IGNORE INTO tags VALUES ('work', 'red');",
        ),
        (
            "0003_add_archive.sql",
            "CREATE TABLE IF NOT EXISTS archive (note_id INTEGER, at TEXT);",
        ),
        FOURTH,
    ]);
    let bytes = db.bytes();
    let error = edited.run(&mut conn).expect_err("drift");
    let Error::Drift(drift) = &error else {
        panic!("expected Error::Drift, got {error:?}");
    };
    let listed: Vec<(i64, &str, String, String)> = drift
        .iter()
        .map(|d| {
            (
                d.migration.version,
                d.migration.file.as_str(),
                d.applied.to_string(),
                d.embedded.to_string(),
            )
        })
        .collect();
    let expected: Vec<(i64, &str, String, String)> = [2, 3]
        .into_iter()
        .map(|v| {
            let old = original.get(v).unwrap();
            let new = edited.get(v).unwrap();
            assert_ne!(old.checksum(), new.checksum());
            (
                v,
                new.file_name(),
                old.checksum().to_string(),
                new.checksum().to_string(),
            )
        })
        .collect();
    assert_eq!(listed, expected);
    let message = error.to_string();
    for (_, file, old, new) in &expected {
        assert!(
            message.contains(file) && message.contains(old) && message.contains(new),
            "{message}"
        );
    }
    // The pending migration 4 was not applied, and nothing was written.
    assert_eq!(db.bytes(), bytes);
    assert_eq!(applied_versions(&conn), vec![1, 2, 3]);

    // Relaxed: the edited files are accepted as applied, the pending one runs.
    let report = edited.runner().allow_drift(true).run(&mut conn).unwrap();
    assert_eq!(versions(&report), vec![4]);
    assert_eq!(count(&conn, "SELECT count(*) FROM pins"), 1);
}

#[test]
fn a_database_ahead_of_the_build_is_refused_listing_every_unknown_version() {
    let db = Db::new(Journal::Rollback);
    let mut conn = db.open();
    base_with(&[FOURTH]).run(&mut conn).unwrap();

    let older = set(&BASE[..2]);
    let bytes = db.bytes();
    let error = older.run(&mut conn).expect_err("database ahead");
    let Error::UnknownApplied(unknown) = &error else {
        panic!("expected Error::UnknownApplied, got {error:?}");
    };
    let listed: Vec<(i64, &str)> = unknown
        .iter()
        .map(|m| (m.version, m.file.as_str()))
        .collect();
    // The build has no file for them: the name recorded in the database stands in.
    assert_eq!(listed, vec![(3, "add_archive"), (4, "add_pins")]);
    assert!(error.to_string().contains("ahead"), "{error}");
    assert!(
        error.to_string().ends_with(
            "deploy a build that has them, or go on without them with \
             `Runner::allow_unknown_applied` (`apply --allow-unknown`)"
        ),
        "{error}"
    );
    assert_eq!(db.bytes(), bytes);

    let report = older
        .runner()
        .allow_unknown_applied(true)
        .run(&mut conn)
        .unwrap();
    assert!(report.is_empty());
    assert_eq!(db.bytes(), bytes);
    assert_eq!(applied_versions(&conn), vec![1, 2, 3, 4]);
}

#[test]
fn a_database_that_had_the_schema_before_is_pointed_to_baseline() {
    let db = Db::new(Journal::Rollback);
    let mut conn = db.open();
    conn.execute_batch("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
        .unwrap();
    let error = set(&BASE[..1]).run(&mut conn).expect_err("notes exists");
    let Error::Statement(failure) = &error else {
        panic!("expected Error::Statement, got {error:?}");
    };
    assert!(failure.message.contains("already exists"), "{error}");
    assert!(
        failure
            .hint
            .as_deref()
            .is_some_and(|h| h.contains("`baseline`")),
        "{error}"
    );
    assert!(
        error.to_string().contains(
            "; if this database already had the schema before it was managed by migrations, \
             record the migrations it already has with `baseline`"
        ),
        "{error}"
    );
}

#[test]
fn holes_are_refused_listing_every_missing_version_and_nothing_is_applied() {
    let db = Db::new(Journal::Rollback);
    let mut conn = db.open();
    base_with(&[FOURTH]).run(&mut conn).unwrap();
    conn.execute("DELETE FROM schema_migrations WHERE version IN (2, 3)", [])
        .unwrap();

    let newer = base_with(&[
        FOURTH,
        ("0005_add_drafts.sql", "CREATE TABLE drafts (body TEXT);"),
    ]);
    let bytes = db.bytes();
    let error = newer.run(&mut conn).expect_err("holes");
    let Error::Holes(holes) = &error else {
        panic!("expected Error::Holes, got {error:?}");
    };
    let listed: Vec<(i64, &str)> = holes.iter().map(|m| (m.version, m.file.as_str())).collect();
    assert_eq!(
        listed,
        vec![(2, "0002_add_tags.sql"), (3, "0003_add_archive.sql")]
    );
    assert_eq!(db.bytes(), bytes, "the pending migration 5 was not applied");
    assert!(
        error.to_string().ends_with(
            "apply them out of order with `Runner::allow_holes` (`apply --allow-holes`)"
        ),
        "{error}"
    );

    let report = newer.runner().allow_holes(true).run(&mut conn).unwrap();
    assert_eq!(versions(&report), vec![2, 3, 5]);
    assert_eq!(applied_versions(&conn), vec![1, 2, 3, 4, 5]);
    assert_eq!(user_version(&conn), 5);
}

#[test]
fn a_hand_edit_of_schema_migrations_is_noticed_by_the_next_run() {
    let db = Db::new(Journal::Rollback);
    let migrations = base_with(&[]);
    let mut conn = db.open();
    migrations.run(&mut conn).unwrap();
    assert_eq!(
        count(&conn, "SELECT verified FROM schema_migrations_state"),
        1
    );

    let zeros = format!("sha256:{}", "0".repeat(64));
    conn.execute("UPDATE schema_migrations SET checksum = ?1", [&zeros])
        .unwrap();
    assert_eq!(
        count(&conn, "SELECT verified FROM schema_migrations_state"),
        0,
        "the triggers clear the verified flag"
    );
    let error = migrations.run(&mut conn).expect_err("drift");
    let Error::Drift(drift) = &error else {
        panic!("expected Error::Drift, got {error:?}");
    };
    let listed: Vec<(i64, String)> = drift
        .iter()
        .map(|d| (d.migration.version, d.applied.to_string()))
        .collect();
    assert_eq!(
        listed,
        vec![(1, zeros.clone()), (2, zeros.clone()), (3, zeros.clone())]
    );
    for d in drift {
        assert_eq!(
            d.embedded,
            migrations.get(d.migration.version).unwrap().checksum()
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Foreign keys
// ---------------------------------------------------------------------------------------------

const FK_BASE: (&str, &str) = (
    "0001_create_authors.sql",
    "CREATE TABLE authors (id INTEGER PRIMARY KEY, name TEXT);
CREATE TABLE books (id INTEGER PRIMARY KEY, author_id INTEGER NOT NULL REFERENCES authors (id));
INSERT INTO authors (id, name) VALUES (1, 'Le Guin'), (2, 'Lem');
INSERT INTO books (id, author_id) VALUES (10, 1), (11, 2), (12, 2);",
);

/// SQLite's table-rebuild procedure for the parent table `authors`.
fn rebuild_authors(keep: &str) -> String {
    format!(
        "CREATE TABLE authors_new (id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT '');
INSERT INTO authors_new (id, name) SELECT id, coalesce(name, '') FROM authors WHERE {keep};
DROP TABLE authors;
ALTER TABLE authors_new RENAME TO authors;"
    )
}

fn foreign_keys(conn: &Connection) -> i64 {
    count(conn, "PRAGMA foreign_keys")
}

#[test]
fn a_parent_table_rebuild_succeeds_under_foreign_keys_on() {
    let rebuild = rebuild_authors("1");
    // Without the engine's handling the procedure fails: in a transaction with foreign keys on,
    // dropping the parent table is a constraint violation.
    {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("PRAGMA foreign_keys = ON").unwrap();
        conn.execute_batch(FK_BASE.1).unwrap();
        let error = conn
            .execute_batch(&format!("BEGIN; {rebuild} COMMIT;"))
            .expect_err("the rebuild breaks the constraint when foreign keys stay on");
        assert_eq!(
            error.sqlite_error_code(),
            Some(ErrorCode::ConstraintViolation)
        );
    }

    let db = Db::new(Journal::Rollback);
    let mut conn = db.open();
    conn.execute_batch("PRAGMA foreign_keys = ON").unwrap();
    let migrations = set(&[FK_BASE, ("0002_rebuild_authors.sql", &rebuild)]);
    let report = migrations.run(&mut conn).unwrap();
    assert_eq!(versions(&report), vec![1, 2]);
    assert_eq!(foreign_keys(&conn), 1, "foreign_keys is on again");
    assert_eq!(count(&conn, "SELECT count(*) FROM authors"), 2);
    assert_eq!(count(&conn, "SELECT count(*) FROM books"), 3);
    assert_eq!(
        count(&conn, "SELECT count(*) FROM pragma_foreign_key_check"),
        0
    );
    // The child still references the rebuilt table, and the constraint is enforced.
    let error = conn
        .execute("INSERT INTO books (id, author_id) VALUES (13, 99)", [])
        .expect_err("foreign key enforced");
    assert_eq!(
        error.sqlite_error_code(),
        Some(ErrorCode::ConstraintViolation)
    );
}

#[test]
fn a_migration_that_breaks_a_foreign_key_rolls_back_and_names_the_rows() {
    let db = Db::new(Journal::Rollback);
    let mut conn = db.open();
    conn.execute_batch("PRAGMA foreign_keys = ON").unwrap();
    let migrations = set(&[
        FK_BASE,
        ("0002_rebuild_authors.sql", &rebuild_authors("id <> 2")),
    ]);
    migrations.runner().target(1).run(&mut conn).unwrap();
    let before = dump(&conn);

    let error = migrations
        .run(&mut conn)
        .expect_err("books 11 and 12 lose their author");
    let Error::ForeignKeys {
        migration,
        violations,
        applied,
    } = &error
    else {
        panic!("expected Error::ForeignKeys, got {error:?}");
    };
    assert_eq!(migration.version, 2);
    assert_eq!(migration.file, "0002_rebuild_authors.sql");
    assert!(applied.is_empty());
    let mut rows: Vec<(String, Option<i64>, String)> = violations
        .iter()
        .map(|v| (v.table.clone(), v.rowid, v.parent.clone()))
        .collect();
    rows.sort();
    assert_eq!(
        rows,
        vec![
            ("books".to_owned(), Some(11), "authors".to_owned()),
            ("books".to_owned(), Some(12), "authors".to_owned()),
        ]
    );
    assert!(error.to_string().contains("`books` rowid 11"), "{error}");
    assert_eq!(foreign_keys(&conn), 1, "foreign_keys is still on");
    assert_eq!(dump_with(&conn, true), before);
    assert_eq!(applied_versions(&conn), vec![1]);
}

/// The violations of a failed run, sorted, as (table, rowid, parent).
fn violation_rows(error: &Error) -> Vec<(String, Option<i64>, String)> {
    let Error::ForeignKeys { violations, .. } = error else {
        panic!("expected Error::ForeignKeys, got {error:?}");
    };
    let mut rows: Vec<_> = violations
        .iter()
        .map(|v| (v.table.clone(), v.rowid, v.parent.clone()))
        .collect();
    rows.sort();
    rows
}

/// Applies `base`, then expects `next` to fail with exactly `expected` violations and to
/// leave the database as it was, with either kind of check.
fn assert_breaks(base: &[(&str, &str)], next: (&str, &str), expected: &[(&str, i64, &str)]) {
    let expected: Vec<_> = expected
        .iter()
        .map(|(t, r, p)| ((*t).to_owned(), Some(*r), (*p).to_owned()))
        .collect();
    for check in [ForeignKeyCheck::Affected, ForeignKeyCheck::Full] {
        let db = Db::new(Journal::Rollback);
        let mut conn = db.open();
        conn.execute_batch("PRAGMA foreign_keys = ON").unwrap();
        let mut files = base.to_vec();
        files.push(next);
        let migrations = set(&files);
        let base_version = i64::try_from(base.len()).unwrap();
        migrations
            .runner()
            .target(base_version)
            .run(&mut conn)
            .unwrap();
        let before = dump_with(&conn, true);
        let error = migrations
            .runner()
            .foreign_key_check(check)
            .run(&mut conn)
            .expect_err("the migration breaks a foreign key");
        assert_eq!(violation_rows(&error), expected, "{check:?}");
        assert_eq!(dump_with(&conn, true), before, "{check:?}: rolled back");
        assert_eq!(foreign_keys(&conn), 1, "{check:?}");
    }
}

#[test]
fn deleting_parent_rows_is_caught_in_the_children_the_migration_did_not_touch() {
    assert_breaks(
        &[FK_BASE],
        ("0002_drop_lem.sql", "DELETE FROM authors WHERE id = 2;"),
        &[("books", 11, "authors"), ("books", 12, "authors")],
    );
}

#[test]
fn a_child_row_without_parent_is_caught_whether_written_directly_or_by_a_trigger() {
    assert_breaks(
        &[FK_BASE],
        (
            "0002_orphan.sql",
            "INSERT INTO books (id, author_id) VALUES (20, 99);",
        ),
        &[("books", 20, "authors")],
    );
    // The migration writes `log` only; its trigger writes `books`.
    assert_breaks(
        &[
            FK_BASE,
            (
                "0002_log.sql",
                "CREATE TABLE log (book INTEGER, author INTEGER);
CREATE TRIGGER log_book AFTER INSERT ON log
BEGIN INSERT INTO books (id, author_id) VALUES (NEW.book, NEW.author); END;",
            ),
        ],
        ("0003_log_a_book.sql", "INSERT INTO log VALUES (30, 77);"),
        &[("books", 30, "authors")],
    );
}

#[test]
fn dropping_a_parent_table_or_renaming_it_away_is_caught() {
    assert_breaks(
        &[FK_BASE],
        ("0002_drop_authors.sql", "DROP TABLE authors;"),
        &[
            ("books", 10, "authors"),
            ("books", 11, "authors"),
            ("books", 12, "authors"),
        ],
    );
    // A renamed parent takes its children's references along (SQLite rewrites them), so the
    // children still hold: a new table under the old name breaks nothing either. A child
    // created after the rename that references rows the renamed table lacks is caught.
    assert_breaks(
        &[FK_BASE],
        (
            "0002_rename.sql",
            "ALTER TABLE authors RENAME TO writers;
CREATE TABLE reviews (id INTEGER PRIMARY KEY, writer INTEGER REFERENCES writers (id));
INSERT INTO reviews VALUES (1, 1), (2, 5);",
        ),
        &[("reviews", 2, "writers")],
    );
}

#[test]
fn a_column_added_with_a_reference_is_checked_in_the_existing_rows() {
    assert_breaks(
        &[FK_BASE],
        (
            "0002_editor.sql",
            "ALTER TABLE books ADD COLUMN editor_id INTEGER REFERENCES authors (id) DEFAULT 7;",
        ),
        &[
            ("books", 10, "authors"),
            ("books", 11, "authors"),
            ("books", 12, "authors"),
        ],
    );
}

#[test]
fn a_rebuild_after_a_no_transaction_migration_in_the_same_run_sees_its_tables() {
    // The no-transaction migration creates a child table the check must learn about.
    let db = Db::new(Journal::Rollback);
    let mut conn = db.open();
    conn.execute_batch("PRAGMA foreign_keys = ON").unwrap();
    let migrations = set(&[
        FK_BASE,
        (
            "0002_prizes.sql",
            "-- migrate:no-transaction
CREATE TABLE prizes (id INTEGER PRIMARY KEY, author_id INTEGER REFERENCES authors (id));
INSERT INTO prizes VALUES (1, 1);",
        ),
        ("0003_rebuild_authors.sql", &rebuild_authors("id <> 1")),
    ]);
    migrations.runner().target(1).run(&mut conn).unwrap();
    let error = migrations.run(&mut conn).expect_err("author 1 is gone");
    assert_eq!(
        violation_rows(&error),
        vec![
            ("books".to_owned(), Some(10), "authors".to_owned()),
            ("prizes".to_owned(), Some(1), "authors".to_owned()),
        ]
    );
    assert_eq!(applied_versions(&conn), vec![1, 2]);
    assert_eq!(count(&conn, "SELECT count(*) FROM authors"), 2);
}

#[test]
fn a_code_step_that_breaks_a_foreign_key_is_caught() {
    let db = Db::new(Journal::Rollback);
    let mut conn = db.open();
    conn.execute_batch("PRAGMA foreign_keys = ON").unwrap();
    let migrations = set(&[FK_BASE, ("0002_noop.sql", "SELECT 1;")]);
    migrations.runner().target(1).run(&mut conn).unwrap();
    let error = migrations
        .runner()
        .code(2, |conn| {
            conn.execute("UPDATE books SET author_id = 42 WHERE id = 10", [])?;
            Ok(())
        })
        .run(&mut conn)
        .expect_err("book 10 loses its author");
    assert_eq!(
        violation_rows(&error),
        vec![("books".to_owned(), Some(10), "authors".to_owned())]
    );
}

#[test]
fn violations_in_tables_a_migration_did_not_touch_fail_only_the_full_check() {
    // A database that was written with foreign keys off holds an orphan already.
    let db = Db::new(Journal::Rollback);
    let mut conn = db.open();
    conn.execute_batch("PRAGMA foreign_keys = ON").unwrap();
    let migrations = set(&[
        FK_BASE,
        (
            "0002_tags.sql",
            "CREATE TABLE tags (id INTEGER PRIMARY KEY, name TEXT);",
        ),
    ]);
    migrations.runner().target(1).run(&mut conn).unwrap();
    conn.execute_batch(
        "PRAGMA foreign_keys = OFF; INSERT INTO books VALUES (40, 404); PRAGMA foreign_keys = ON;",
    )
    .unwrap();
    let error = migrations
        .runner()
        .foreign_key_check(ForeignKeyCheck::Full)
        .run(&mut conn)
        .expect_err("the full check sees the old orphan");
    assert_eq!(
        violation_rows(&error),
        vec![("books".to_owned(), Some(40), "authors".to_owned())]
    );
    let report = migrations.run(&mut conn).unwrap();
    assert_eq!(versions(&report), vec![2]);
}

#[test]
#[allow(clippy::let_unit_value)] // rusqlite 0.32's `authorizer` returns `()`
fn the_full_check_leaves_the_applications_authorizer_in_place() {
    use migrate_runtime::rusqlite::hooks::{AuthAction, AuthContext, Authorization};

    let db = Db::new(Journal::Rollback);
    let mut conn = db.open();
    conn.execute_batch("PRAGMA foreign_keys = ON").unwrap();
    let _ = conn.authorizer(Some(|context: AuthContext<'_>| match context.action {
        AuthAction::Delete {
            table_name: "books",
        } => Authorization::Deny,
        _ => Authorization::Allow,
    }));
    let migrations = set(&[FK_BASE]);
    migrations
        .runner()
        .foreign_key_check(ForeignKeyCheck::Full)
        .run(&mut conn)
        .unwrap();
    assert!(
        conn.execute("DELETE FROM books", []).is_err(),
        "the application's authorizer still denies"
    );
}

// ---------------------------------------------------------------------------------------------
// No-transaction migrations
// ---------------------------------------------------------------------------------------------

const ITEMS: (&str, &str) = (
    "0001_create_items.sql",
    "CREATE TABLE items (name TEXT NOT NULL);",
);

fn outside(statement_2: &str, statement_4: &str) -> String {
    format!(
        "-- migrate:no-transaction
PRAGMA journal_mode = WAL;
{statement_2}
CREATE TABLE later (id INTEGER PRIMARY KEY);
{statement_4}
INSERT INTO items (name) VALUES ('after');
"
    )
}

const BEFORE: &str = "INSERT INTO items (name) VALUES ('before');";
const BROKEN: &str = "INSERT INTO missing_table VALUES (1);";
const FIXED: &str = "INSERT INTO later (id) VALUES (1);";

fn items(conn: &Connection) -> Vec<String> {
    conn.prepare("SELECT name FROM items ORDER BY rowid")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn a_failed_no_transaction_migration_is_refused_until_fixed_then_resumes() {
    let db = Db::new(Journal::Rollback);
    let mut conn = db.open();
    let broken = outside(BEFORE, BROKEN);
    let broken = set(&[ITEMS, ("0002_switch_to_wal.sql", &broken)]);

    let error = broken.run(&mut conn).expect_err("statement 4 fails");
    let Error::Statement(failure) = &error else {
        panic!("expected Error::Statement, got {error:?}");
    };
    assert_eq!(
        (
            failure.migration.version,
            failure.statement_index,
            failure.line
        ),
        (2, 4, 5)
    );
    assert_eq!(failure.applied, vec![1]);
    assert_eq!(applied_versions(&conn), vec![1]);
    // Statements 1-3 ran and stay.
    assert_eq!(items(&conn), vec!["before"]);
    assert_eq!(
        conn.query_row("PRAGMA journal_mode", [], |r| r.get::<_, String>(0))
            .unwrap(),
        "wal"
    );
    assert_eq!(
        count(
            &conn,
            "SELECT count(*) FROM schema_migrations_history WHERE event = 'failed' AND version = 2"
        ),
        1
    );

    // The same file again: refused, naming the statement; nothing runs.
    let before = dump_with(&conn, true);
    let error = broken.run(&mut conn).expect_err("incomplete");
    let Error::Incomplete(incomplete) = &error else {
        panic!("expected Error::Incomplete, got {error:?}");
    };
    assert_eq!(incomplete.migration.file, "0002_switch_to_wal.sql");
    assert_eq!((incomplete.statement_index, incomplete.line), (4, 5));
    assert_eq!(incomplete.statement, BROKEN);
    assert_eq!(incomplete.message, "no such table: missing_table");
    let message = error.to_string();
    assert!(
        message.starts_with("migration 2 (0002_switch_to_wal.sql) is incomplete")
            && message.contains("statement 4 (line 5): no such table: missing_table"),
        "{message}"
    );
    assert_eq!(dump_with(&conn, true), before);

    // Fixed: resumes at statement 4; the earlier statements do not run again.
    let fixed = outside(BEFORE, FIXED);
    let fixed = set(&[ITEMS, ("0002_switch_to_wal.sql", &fixed)]);
    let report = fixed.run(&mut conn).unwrap();
    assert_eq!(versions(&report), vec![2]);
    assert_eq!(items(&conn), vec!["before", "after"]);
    assert_eq!(count(&conn, "SELECT count(*) FROM later"), 1);
    assert_eq!(applied_versions(&conn), vec![1, 2]);
    assert_eq!(user_version(&conn), 2);
    assert_eq!(
        count(&conn, "SELECT count(*) FROM schema_migrations_progress"),
        0
    );
    let checksum: String = conn
        .query_row(
            "SELECT checksum FROM schema_migrations WHERE version = 2",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(checksum, fixed.get(2).unwrap().checksum().to_string());
    assert!(fixed.run(&mut conn).unwrap().is_empty());
}

#[test]
fn an_incomplete_migration_whose_run_statements_changed_is_refused() {
    let db = Db::new(Journal::Rollback);
    let mut conn = db.open();
    let broken = outside(BEFORE, BROKEN);
    set(&[ITEMS, ("0002_switch_to_wal.sql", &broken)])
        .run(&mut conn)
        .expect_err("statement 4 fails");
    let before = dump_with(&conn, true);

    let edited = outside("INSERT INTO items (name) VALUES ('BEFORE');", FIXED);
    let error = set(&[ITEMS, ("0002_switch_to_wal.sql", &edited)])
        .run(&mut conn)
        .expect_err("statement 2 ran and has changed");
    let Error::IncompleteEdited {
        migration,
        statements,
    } = &error
    else {
        panic!("expected Error::IncompleteEdited, got {error:?}");
    };
    assert_eq!(migration.version, 2);
    assert_eq!(statements, &vec![2]);
    assert_eq!(dump_with(&conn, true), before);
    assert_eq!(items(&conn), vec!["before"]);
}

// ---------------------------------------------------------------------------------------------
// Nothing to do writes nothing
// ---------------------------------------------------------------------------------------------

fn no_op_rerun_writes_nothing(journal: Journal) {
    let db = Db::new(journal);
    let migrations = set_dir("shop");
    let migrations = set(&[
        ("0001_create_users.sql", migrations.get(1).unwrap().sql()),
        ("0002_add_products.sql", migrations.get(2).unwrap().sql()),
    ]);
    {
        let mut conn = db.open();
        assert_eq!(migrations.run(&mut conn).unwrap().applied.len(), 2);
    }

    // A new connection, as at every start-up.
    let files = db.snapshot();
    std::thread::sleep(Duration::from_millis(20));
    let mut conn = db.open();
    let changes = conn.total_changes();
    let report = migrations.run(&mut conn).unwrap();
    assert_eq!(report, migrate_runtime::Report::default());
    assert_eq!(conn.total_changes(), changes);
    db.snapshot().assert_same(&files);

    // And again on the same connection.
    let report = migrations.run(&mut conn).unwrap();
    assert!(report.is_empty());
    drop(conn);
    db.snapshot().assert_same(&files);
}

#[test]
fn rerunning_is_a_no_op_that_writes_nothing_in_rollback_journal_mode() {
    no_op_rerun_writes_nothing(Journal::Rollback);
}

#[test]
fn rerunning_is_a_no_op_that_writes_nothing_in_wal_mode() {
    no_op_rerun_writes_nothing(Journal::Wal);
}

// ---------------------------------------------------------------------------------------------
// Databases and options
// ---------------------------------------------------------------------------------------------

fn versions(report: &migrate_runtime::Report) -> Vec<i64> {
    report.applied.iter().map(|a| a.version).collect()
}

fn applies_everything(conn: &mut Connection) {
    let migrations = base_with(&[FOURTH]);
    let report = migrations.run(conn).unwrap();
    assert_eq!(versions(&report), vec![1, 2, 3, 4]);
    let names: Vec<&str> = report.applied.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(
        names,
        ["create_notes", "add_tags", "add_archive", "add_pins"]
    );
    assert_eq!(report.applied[3].file, "0004_add_pins.sql");
    assert!(!report.dry_run);
    assert_eq!(applied_versions(conn), vec![1, 2, 3, 4]);
    assert_eq!(user_version(conn), 4);
    assert_eq!(count(conn, "SELECT count(*) FROM pins"), 1);
    assert!(migrations.run(conn).unwrap().is_empty());
    assert_eq!(count(conn, "SELECT count(*) FROM pins"), 1);
}

#[test]
fn works_in_memory() {
    let mut conn = Connection::open_in_memory().unwrap();
    applies_everything(&mut conn);
}

#[test]
fn works_on_a_rollback_journal_file() {
    let db = Db::new(Journal::Rollback);
    applies_everything(&mut db.open());
    assert_eq!(
        db.open()
            .query_row("PRAGMA journal_mode", [], |r| r.get::<_, String>(0))
            .unwrap(),
        "delete"
    );
}

#[test]
fn works_on_a_wal_file() {
    let db = Db::new(Journal::Wal);
    applies_everything(&mut db.open());
    let conn = db.open();
    assert_eq!(
        conn.query_row("PRAGMA journal_mode", [], |r| r.get::<_, String>(0))
            .unwrap(),
        "wal"
    );
    assert_eq!(applied_versions(&conn), vec![1, 2, 3, 4]);
}

#[test]
fn works_on_a_file_that_does_not_exist_yet() {
    let db = Db::fresh();
    applies_everything(&mut db.open());
}

#[test]
fn user_version_mirrors_the_highest_applied_version_unless_turned_off() {
    let migrations = base_with(&[FOURTH]);
    let mut conn = Connection::open_in_memory().unwrap();
    migrations.runner().target(2).run(&mut conn).unwrap();
    assert_eq!(user_version(&conn), 2);

    let mut conn = Connection::open_in_memory().unwrap();
    conn.pragma_update(None, "user_version", 77).unwrap();
    migrations
        .runner()
        .mirror_user_version(false)
        .run(&mut conn)
        .unwrap();
    assert_eq!(applied_versions(&conn), vec![1, 2, 3, 4]);
    assert_eq!(user_version(&conn), 77);
    // Still up to date on the next run, without the mirror.
    assert!(
        migrations
            .runner()
            .mirror_user_version(false)
            .run(&mut conn)
            .unwrap()
            .is_empty()
    );
    assert_eq!(user_version(&conn), 77);
}

#[test]
fn target_stops_at_a_version() {
    let db = Db::new(Journal::Rollback);
    let mut conn = db.open();
    let migrations = base_with(&[FOURTH]);
    let report = migrations.runner().target(2).run(&mut conn).unwrap();
    assert_eq!(versions(&report), vec![1, 2]);
    assert_eq!(applied_versions(&conn), vec![1, 2]);
    assert!(
        migrations
            .runner()
            .target(2)
            .run(&mut conn)
            .unwrap()
            .is_empty()
    );
    assert!(
        migrations
            .runner()
            .target(1)
            .run(&mut conn)
            .unwrap()
            .is_empty()
    );
    let error = migrations
        .runner()
        .target(9)
        .run(&mut conn)
        .expect_err("no version 9");
    assert!(
        matches!(error, Error::InvalidVersion { requested: 9, .. }),
        "{error:?}"
    );
    let report = migrations.run(&mut conn).unwrap();
    assert_eq!(versions(&report), vec![3, 4]);
}

#[test]
fn single_transaction_is_all_or_nothing() {
    let db = Db::new(Journal::Rollback);
    let mut conn = db.open();
    let failing = base_with(&[
        FOURTH,
        ("0005_broken.sql", "INSERT INTO nowhere VALUES (1);"),
    ]);
    failing.runner().target(2).run(&mut conn).unwrap();
    let before = dump(&conn);

    // Pending: 3, 4 and 5; the third of them fails.
    let error = failing
        .runner()
        .single_transaction(true)
        .run(&mut conn)
        .expect_err("5 fails");
    let Error::Statement(failure) = &error else {
        panic!("expected Error::Statement, got {error:?}");
    };
    assert_eq!(failure.migration.version, 5);
    assert!(failure.applied.is_empty(), "nothing of the batch was kept");
    assert_eq!(dump_with(&conn, true), before);
    assert_eq!(applied_versions(&conn), vec![1, 2]);

    // Without the option, 3 and 4 are kept.
    let error = failing.run(&mut conn).expect_err("5 fails");
    assert_eq!(error.applied_before_failure(), &[3, 4]);

    let db = Db::new(Journal::Rollback);
    let mut conn = db.open();
    let report = base_with(&[FOURTH])
        .runner()
        .single_transaction(true)
        .run(&mut conn)
        .unwrap();
    assert_eq!(versions(&report), vec![1, 2, 3, 4]);
    assert_eq!(applied_versions(&conn), vec![1, 2, 3, 4]);
    assert_eq!(user_version(&conn), 4);
}

#[test]
fn single_transaction_refuses_a_no_transaction_migration() {
    let mut conn = Connection::open_in_memory().unwrap();
    let migrations = set(&[
        ITEMS,
        (
            "0002_vacuum.sql",
            "-- migrate:no-transaction\nVACUUM;\nINSERT INTO items VALUES ('x');",
        ),
    ]);
    let error = migrations
        .runner()
        .single_transaction(true)
        .run(&mut conn)
        .expect_err("VACUUM cannot run in the batch transaction");
    assert!(
        matches!(&error, Error::NeedsOwnTransaction { migration } if migration.version == 2),
        "{error:?}"
    );
    assert!(conn.is_autocommit());
    assert!(applied_versions_or_empty(&conn).is_empty());
    assert_eq!(
        count(
            &conn,
            "SELECT count(*) FROM sqlite_schema WHERE name = 'items'"
        ),
        0
    );
}

fn applied_versions_or_empty(conn: &Connection) -> Vec<i64> {
    let exists = count(
        conn,
        "SELECT count(*) FROM sqlite_schema WHERE name = 'schema_migrations'",
    );
    if exists == 0 {
        Vec::new()
    } else {
        applied_versions(conn)
    }
}

#[test]
fn dry_run_reports_each_migration_and_leaves_the_file_unchanged() {
    let db = Db::new(Journal::Rollback);
    let mut conn = db.open();
    let migrations = base_with(&[FOURTH]);
    migrations.runner().target(1).run(&mut conn).unwrap();
    let bytes = db.bytes();
    let before = dump(&conn);

    let report = migrations.runner().dry_run(true).run(&mut conn).unwrap();
    assert!(report.dry_run);
    assert_eq!(versions(&report), vec![2, 3, 4]);
    assert!(report.not_verified.is_empty());
    assert_eq!(db.bytes(), bytes);
    assert_eq!(dump(&conn), before);

    // A dry run finds the failure a real run would meet, and still changes nothing.
    let failing = base_with(&[
        FOURTH,
        ("0005_broken.sql", "INSERT INTO nowhere VALUES (1);"),
    ]);
    let error = failing
        .runner()
        .dry_run(true)
        .run(&mut conn)
        .expect_err("5 fails");
    assert!(
        matches!(&error, Error::Statement(f) if f.migration.version == 5),
        "{error:?}"
    );
    assert_eq!(dump(&conn), before);

    // On a fresh file as well.
    let fresh = Db::new(Journal::Rollback);
    let bytes = fresh.bytes();
    let report = migrations
        .runner()
        .dry_run(true)
        .run(&mut fresh.open())
        .unwrap();
    assert_eq!(versions(&report), vec![1, 2, 3, 4]);
    assert_eq!(fresh.bytes(), bytes);
}

#[test]
fn a_code_step_runs_inside_the_migration_transaction() {
    let db = Db::new(Journal::Rollback);
    let mut conn = db.open();
    let migrations = base_with(&[FOURTH]);
    let in_transaction = Arc::new(AtomicBool::new(false));
    let seen = Arc::clone(&in_transaction);
    migrations
        .runner()
        .code(2, move |conn| {
            seen.store(!conn.is_autocommit(), Ordering::SeqCst);
            conn.execute("INSERT INTO tags (name) VALUES ('from code')", [])?;
            Ok(())
        })
        .target(2)
        .run(&mut conn)
        .unwrap();
    assert!(in_transaction.load(Ordering::SeqCst));
    assert_eq!(
        count(&conn, "SELECT count(*) FROM tags WHERE name = 'from code'"),
        1
    );

    // A failing step rolls its migration back, SQL and code changes alike.
    let before = dump(&conn);
    let error = migrations
        .runner()
        .code(4, |conn| {
            conn.execute("INSERT INTO pins VALUES (2)", [])?;
            Err("the pins do not add up".into())
        })
        .run(&mut conn)
        .expect_err("the code step fails");
    let Error::Code {
        migration,
        source,
        applied,
    } = &error
    else {
        panic!("expected Error::Code, got {error:?}");
    };
    assert_eq!(migration.file, "0004_add_pins.sql");
    assert_eq!(source.to_string(), "the pins do not add up");
    assert_eq!(applied, &vec![3]);
    assert_eq!(
        error.to_string(),
        "migration 4 (0004_add_pins.sql) failed in its code step: the pins do not add up"
    );
    assert_eq!(applied_versions(&conn), vec![1, 2, 3]);
    assert_eq!(
        count(
            &conn,
            "SELECT count(*) FROM sqlite_schema WHERE name = 'pins'"
        ),
        0
    );
    assert_ne!(dump_with(&conn, true), before, "migration 3 was applied");
    assert_eq!(
        count(
            &conn,
            "SELECT count(*) FROM schema_migrations_history WHERE event = 'failed' AND version = 4"
        ),
        1
    );
}

#[test]
fn a_write_lock_held_longer_than_the_busy_timeout_is_reported_and_changes_nothing() {
    for journal in [Journal::Rollback, Journal::Wal] {
        let db = Db::new(journal);
        let migrations = base_with(&[FOURTH]);
        let mut conn = db.open();
        migrations.runner().target(1).run(&mut conn).unwrap();
        conn.busy_timeout(Duration::from_millis(200)).unwrap();
        let before = dump(&conn);

        let holder = db.open();
        holder
            .execute_batch("BEGIN IMMEDIATE; INSERT INTO notes (body) VALUES ('held');")
            .unwrap();
        let error = migrations.run(&mut conn).expect_err("locked");
        let Error::Locked { waited, .. } = &error else {
            panic!("expected Error::Locked, got {error:?}");
        };
        assert!(*waited > Duration::ZERO);
        assert!(
            error
                .to_string()
                .starts_with("the database is locked by another connection"),
            "{error}"
        );
        assert_eq!(dump(&conn), before);
        assert!(conn.is_autocommit());

        holder.execute_batch("COMMIT").unwrap();
        let report = migrations.run(&mut conn).unwrap();
        assert_eq!(versions(&report), vec![2, 3, 4], "{journal:?}");
        assert_eq!(
            count(&conn, "SELECT count(*) FROM notes WHERE body = 'held'"),
            1
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Tracking table
// ---------------------------------------------------------------------------------------------

#[test]
fn the_tracking_table_has_the_contract_columns_and_values() {
    let db = Db::new(Journal::Rollback);
    let mut conn = db.open();
    let migrations = set_dir("shop");
    migrations.runner().target(2).run(&mut conn).unwrap();

    let columns: Vec<(String, String, bool, i64)> = conn
        .prepare("SELECT name, type, \"notnull\", pk FROM pragma_table_info('schema_migrations') ORDER BY cid")
        .unwrap()
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let contract = [
        ("version", "INTEGER", false, 1),
        ("name", "TEXT", true, 0),
        ("checksum", "TEXT", true, 0),
        ("applied_at", "TEXT", true, 0),
        ("execution_time_ms", "INTEGER", true, 0),
    ];
    for (name, kind, not_null, pk) in contract {
        assert!(
            columns
                .iter()
                .any(|c| c.0 == name && c.1 == kind && c.2 == not_null && c.3 == pk),
            "{name} {kind} in {columns:?}"
        );
    }

    let rows: Vec<(i64, String, String, String, i64)> = conn
        .prepare("SELECT version, name, checksum, applied_at, execution_time_ms FROM schema_migrations ORDER BY version")
        .unwrap()
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(rows.len(), 2);
    for (row, expected) in rows.iter().zip(["create_users", "add_products"]) {
        let m = migrations.get(row.0).unwrap();
        assert_eq!(row.1, expected);
        assert_eq!(row.1, m.name());
        assert_eq!(row.2, m.checksum().to_string());
        assert!(
            row.2.starts_with("sha256:") && row.2.len() == 7 + 64,
            "{}",
            row.2
        );
        assert_iso_utc_millis(&row.3);
        assert!(row.4 >= 0);
    }
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ`, and SQLite reads it as the same instant.
fn assert_iso_utc_millis(text: &str) {
    let shape = "dddd-dd-ddTdd:dd:dd.dddZ";
    assert_eq!(text.len(), shape.len(), "{text}");
    for (c, s) in text.chars().zip(shape.chars()) {
        match s {
            'd' => assert!(c.is_ascii_digit(), "{text}"),
            other => assert_eq!(c, other, "{text}"),
        }
    }
    let conn = Connection::open_in_memory().unwrap();
    let round_trip: String = conn
        .query_row("SELECT strftime('%Y-%m-%dT%H:%M:%fZ', ?1)", [text], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(round_trip, text);
}

// ---------------------------------------------------------------------------------------------
// Logs
// ---------------------------------------------------------------------------------------------

#[test]
fn one_info_line_per_applied_migration_and_debug_per_statement() {
    let db = Db::new(Journal::Rollback);
    let mut conn = db.open();
    let migrations = set_dir("shop");
    let (report, records) = logs_of(|| migrations.runner().target(2).run(&mut conn).unwrap());
    assert_eq!(versions(&report), vec![1, 2]);

    let info: Vec<&str> = records
        .iter()
        .filter(|r| r.level == log::Level::Info)
        .map(|r| r.message.as_str())
        .collect();
    assert_eq!(info.len(), 2, "{info:?}");
    for (line, file) in info
        .iter()
        .zip(["0001_create_users.sql", "0002_add_products.sql"])
    {
        assert!(line.contains(file), "{line}");
        // With its duration, e.g. `... in 1.2ms`.
        assert!(line.contains(" in ") && line.ends_with('s'), "{line}");
    }
    let statements = records
        .iter()
        .filter(|r| r.level == log::Level::Debug && r.message.contains("statement"))
        .count();
    assert_eq!(statements, 2 + 3, "one debug line per statement");
    assert!(
        records
            .iter()
            .all(|r| r.target.starts_with("migrate_runtime"))
    );

    // Up to date: no info line.
    let (report, records) = logs_of(|| migrations.runner().target(2).run(&mut conn).unwrap());
    assert!(report.is_empty());
    assert!(
        records.iter().all(|r| r.level > log::Level::Info),
        "{records:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Engine bugs found while writing these tests
// ---------------------------------------------------------------------------------------------

#[test]
fn without_the_migrator_lock_the_state_is_read_again_before_each_migration() {
    // The lock file cannot be opened (a directory stands in its place): the runner falls back
    // to SQLite's lock alone, which must still apply each migration once.
    let db = Db::new(Journal::Rollback);
    std::fs::create_dir(with_suffix(&db.path, ".migrate-lock")).unwrap();
    let migrations = base_with(&[FOURTH]);
    let mut conn = db.open();
    let other = RefCell::new(None);
    let report = migrations
        .runner()
        .on_event(|event| {
            // Between two migrations of this run, another process runs to the end.
            if let Event::Finished(m, _) = event
                && m.version() == 1
            {
                let mut conn = db.open();
                *other.borrow_mut() = Some(migrations.run(&mut conn));
            }
        })
        .run(&mut conn)
        .unwrap();
    let other = other.into_inner().expect("ran").unwrap();
    assert_eq!(versions(&report), vec![1]);
    assert_eq!(versions(&other), vec![2, 3, 4]);
    assert_eq!(applied_versions(&conn), vec![1, 2, 3, 4]);
    assert_eq!(count(&conn, "SELECT count(*) FROM pins"), 1);
    assert_eq!(user_version(&conn), 4);
    assert!(migrations.run(&mut conn).unwrap().is_empty());
}

/// True when `run` found the database up to date with its single read (the fast path).
fn fast_no_op(migrations: &Migrations, conn: &mut Connection) -> bool {
    let (report, records) = logs_of(|| migrations.run(conn).unwrap());
    assert!(report.is_empty());
    records
        .iter()
        .any(|r| r.message.starts_with("database is up to date"))
}

fn state_row(conn: &Connection) -> (i64, bool) {
    conn.query_row(
        "SELECT version, verified FROM schema_migrations_state",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .unwrap()
}

#[test]
fn filling_a_hole_keeps_the_state_at_the_highest_version() {
    let db = Db::new(Journal::Rollback);
    let migrations = base_with(&[]);
    let mut conn = db.open();
    migrations.run(&mut conn).unwrap();
    assert!(fast_no_op(&migrations, &mut conn));
    conn.execute("DELETE FROM schema_migrations WHERE version = 2", [])
        .unwrap();

    let report = migrations
        .runner()
        .allow_holes(true)
        .run(&mut conn)
        .unwrap();
    assert_eq!(versions(&report), vec![2]);
    assert_eq!(state_row(&conn), (3, true));
    assert_eq!(user_version(&conn), 3);
    // The filled row's history checksum covers versions 1 and 2 only.
    let row: String = conn
        .query_row(
            "SELECT history_checksum FROM schema_migrations WHERE version = 2",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let first_two: Vec<Checksum> = migrations.iter().take(2).map(|m| m.checksum()).collect();
    assert_eq!(row, Checksum::history(&first_two).unwrap().to_string());
    assert!(fast_no_op(&migrations, &mut conn));
}

#[test]
fn a_harmless_hand_edit_is_verified_once_then_the_fast_path_returns() {
    let db = Db::new(Journal::Rollback);
    let migrations = base_with(&[]);
    let mut conn = db.open();
    migrations.run(&mut conn).unwrap();
    conn.execute(
        "UPDATE schema_migrations SET applied_at = applied_at WHERE version = 1",
        [],
    )
    .unwrap();
    assert_eq!(state_row(&conn), (3, false));

    // The full check runs, finds nothing wrong and marks the state verified again.
    assert!(!fast_no_op(&migrations, &mut conn));
    assert_eq!(state_row(&conn), (3, true));
    let bytes = db.bytes();
    assert!(fast_no_op(&migrations, &mut conn));
    assert_eq!(db.bytes(), bytes);
}

#[test]
fn a_failed_single_transaction_batch_logs_and_reports_nothing_as_applied() {
    let mut conn = Connection::open_in_memory().unwrap();
    let failing = base_with(&[
        FOURTH,
        ("0005_broken.sql", "INSERT INTO nowhere VALUES (1);"),
    ]);
    let finished = RefCell::new(Vec::new());
    let (result, records) = logs_of(|| {
        failing
            .runner()
            .single_transaction(true)
            .on_event(|event| {
                if let Event::Finished(m, _) = event {
                    finished.borrow_mut().push(m.version());
                }
            })
            .run(&mut conn)
    });
    assert!(matches!(result, Err(Error::Statement(_))));
    let info: Vec<&Record> = records
        .iter()
        .filter(|r| r.level == log::Level::Info)
        .collect();
    assert!(info.is_empty(), "nothing was applied: {info:?}");
    assert!(finished.borrow().is_empty(), "{:?}", finished.borrow());

    // A batch that commits logs each migration once.
    let (report, records) = logs_of(|| {
        base_with(&[FOURTH])
            .runner()
            .single_transaction(true)
            .run(&mut conn)
            .unwrap()
    });
    assert_eq!(versions(&report), vec![1, 2, 3, 4]);
    let info = records
        .iter()
        .filter(|r| r.level == log::Level::Info)
        .count();
    assert_eq!(info, 4);
}

#[test]
fn a_no_transaction_migration_runs_with_foreign_keys_enforced() {
    let db = Db::new(Journal::Rollback);
    let mut conn = db.open();
    conn.execute_batch("PRAGMA foreign_keys = ON").unwrap();
    let migrations = set(&[
        FK_BASE,
        (
            "0002_orphan.sql",
            "-- migrate:no-transaction\nINSERT INTO books (id, author_id) VALUES (20, 99);",
        ),
    ]);
    let error = migrations
        .run(&mut conn)
        .expect_err("book 20 has no author");
    let Error::Statement(failure) = &error else {
        panic!("expected Error::Statement, got {error:?}");
    };
    assert_eq!(failure.migration.version, 2);
    assert_eq!(
        failure.extended_code,
        Some(787),
        "SQLITE_CONSTRAINT_FOREIGNKEY"
    );
    assert_eq!(count(&conn, "SELECT count(*) FROM books WHERE id = 20"), 0);
    assert_eq!(
        count(&conn, "SELECT count(*) FROM pragma_foreign_key_check"),
        0
    );
    assert_eq!(foreign_keys(&conn), 1);
}

#[test]
fn a_no_transaction_migration_that_sets_foreign_keys_itself_does_not_change_later_ones() {
    let db = Db::new(Journal::Rollback);
    let mut conn = db.open();
    conn.execute_batch("PRAGMA foreign_keys = ON").unwrap();
    // SQLite's documented procedure in a no-transaction migration, then the same rebuild in an
    // ordinary migration, which needs the engine's foreign_keys handling.
    let by_hand = format!(
        "-- migrate:no-transaction\nPRAGMA foreign_keys = OFF;\n{}\nPRAGMA foreign_keys = ON;",
        rebuild_authors("1")
    );
    let migrations = set(&[
        FK_BASE,
        ("0002_rebuild_by_hand.sql", &by_hand),
        ("0003_rebuild_again.sql", &rebuild_authors("1")),
    ]);
    let report = migrations.run(&mut conn).unwrap();
    assert_eq!(versions(&report), vec![1, 2, 3]);
    assert_eq!(foreign_keys(&conn), 1);
    assert_eq!(count(&conn, "SELECT count(*) FROM books"), 3);
    assert_eq!(
        count(&conn, "SELECT count(*) FROM pragma_foreign_key_check"),
        0
    );

    // With foreign keys off on the connection (the bundled SQLite turns them on by default),
    // they stay off.
    let mut conn = Connection::open_in_memory().unwrap();
    conn.execute_batch("PRAGMA foreign_keys = OFF").unwrap();
    let report = migrations.run(&mut conn).unwrap();
    assert_eq!(versions(&report), vec![1, 2, 3]);
    assert_eq!(foreign_keys(&conn), 0);
}

#[test]
fn a_reader_that_blocks_the_commit_longer_than_the_busy_timeout_is_reported_as_locked() {
    // In rollback-journal mode a commit waits for readers to finish.
    let db = Db::new(Journal::Rollback);
    let migrations = base_with(&[FOURTH]);
    let mut conn = db.open();
    migrations.runner().target(1).run(&mut conn).unwrap();
    conn.busy_timeout(Duration::from_millis(200)).unwrap();
    let before = dump(&conn);

    let reader = db.open();
    reader
        .execute_batch("BEGIN; SELECT count(*) FROM notes;")
        .unwrap();
    let error = migrations.run(&mut conn).expect_err("locked");
    let Error::Locked { migration, .. } = &error else {
        panic!("expected Error::Locked, got {error:?}");
    };
    assert_eq!(migration.as_ref().map(|m| m.version), Some(2));
    assert!(conn.is_autocommit());
    reader.execute_batch("COMMIT").unwrap();
    assert_eq!(dump_with(&conn, true), before);

    let report = migrations.run(&mut conn).unwrap();
    assert_eq!(versions(&report), vec![2, 3, 4]);
}

#[test]
fn a_no_transaction_migration_stopped_by_a_lock_resumes_on_the_next_run() {
    let db = Db::new(Journal::Rollback);
    let migrations = set(&[
        ITEMS,
        (
            "0002_outside.sql",
            "-- migrate:no-transaction\nINSERT INTO items VALUES ('a');\nINSERT INTO items VALUES ('b');",
        ),
    ]);
    let mut conn = db.open();
    migrations.runner().target(1).run(&mut conn).unwrap();
    conn.busy_timeout(Duration::from_millis(200)).unwrap();
    conn.execute_batch("PRAGMA foreign_keys = OFF").unwrap();

    let reader = db.open();
    reader
        .execute_batch("BEGIN; SELECT count(*) FROM items;")
        .unwrap();
    let error = migrations.run(&mut conn).expect_err("locked");
    assert!(
        matches!(&error, Error::Locked { migration: Some(m), .. } if m.version == 2),
        "{error:?}"
    );
    assert!(conn.is_autocommit());
    reader.execute_batch("COMMIT").unwrap();
    assert_eq!(
        count(
            &conn,
            "SELECT count(*) FROM schema_migrations_history WHERE event = 'failed'"
        ),
        0
    );

    // Not refused as incomplete: the lock was not the statement's fault.
    let report = migrations.run(&mut conn).unwrap();
    assert_eq!(versions(&report), vec![2]);
    assert_eq!(items(&conn), vec!["a", "b"]);
}

#[test]
fn a_read_only_database_is_reported_when_something_is_pending_and_fine_when_up_to_date() {
    let db = Db::new(Journal::Rollback);
    let migrations = base_with(&[FOURTH]);
    migrations.runner().target(2).run(&mut db.open()).unwrap();
    let bytes = db.bytes();
    let read_only = || {
        Connection::open_with_flags(
            &db.path,
            migrate_runtime::rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .unwrap()
    };

    let error = migrations.run(&mut read_only()).expect_err("read-only");
    let Error::ReadOnly { path, .. } = &error else {
        panic!("expected Error::ReadOnly, got {error:?}");
    };
    assert_eq!(path.file_name(), db.path.file_name());
    assert_eq!(db.bytes(), bytes);

    migrations.run(&mut db.open()).unwrap();
    assert!(migrations.run(&mut read_only()).unwrap().is_empty());
}

#[test]
fn a_file_that_is_not_a_database_is_reported() {
    let db = Db::fresh();
    std::fs::write(&db.path, vec![b'x'; 4096]).unwrap();
    let error = base_with(&[])
        .run(&mut db.open())
        .expect_err("not a database");
    assert!(
        matches!(&error, Error::NotADatabase { path } if path.file_name() == db.path.file_name()),
        "{error:?}"
    );
    assert_eq!(std::fs::read(&db.path).unwrap(), vec![b'x'; 4096]);
}

#[test]
fn dry_run_leaves_a_wal_database_unchanged() {
    let db = Db::new(Journal::Wal);
    let mut conn = db.open();
    let migrations = base_with(&[FOURTH]);
    migrations.runner().target(1).run(&mut conn).unwrap();
    let files = db.snapshot();
    std::thread::sleep(Duration::from_millis(20));
    let report = migrations.runner().dry_run(true).run(&mut conn).unwrap();
    assert_eq!(versions(&report), vec![2, 3, 4]);
    db.snapshot().assert_same(&files);
    assert_eq!(applied_versions(&conn), vec![1]);
}

#[test]
fn rerunning_with_a_target_below_the_latest_writes_nothing() {
    let db = Db::new(Journal::Rollback);
    let migrations = base_with(&[FOURTH]);
    migrations.runner().target(2).run(&mut db.open()).unwrap();
    let files = db.snapshot();
    std::thread::sleep(Duration::from_millis(20));
    let mut conn = db.open();
    let report = migrations.runner().target(2).run(&mut conn).unwrap();
    assert!(report.is_empty());
    let report = migrations.runner().target(1).run(&mut conn).unwrap();
    assert!(report.is_empty());
    db.snapshot().assert_same(&files);
}

#[test]
fn a_foreign_schema_migrations_table_is_refused_and_left_alone() {
    // golang-migrate's layout.
    let db = Db::new(Journal::Rollback);
    let conn = db.open();
    conn.execute_batch(
        "CREATE TABLE schema_migrations (version INTEGER NOT NULL PRIMARY KEY, dirty INTEGER NOT NULL);
         INSERT INTO schema_migrations VALUES (7, 0);",
    )
    .unwrap();
    drop(conn);
    let bytes = db.bytes();
    let error = base_with(&[])
        .run(&mut db.open())
        .expect_err("foreign layout");
    let Error::TrackingTable { table, problem } = &error else {
        panic!("expected Error::TrackingTable, got {error:?}");
    };
    assert_eq!(table, "schema_migrations");
    for column in ["name", "checksum", "applied_at", "execution_time_ms"] {
        assert!(problem.contains(&format!("`{column}`")), "{problem}");
    }
    assert_eq!(db.bytes(), bytes);
}

#[test]
fn a_backup_beside_the_database_holds_the_state_before_the_run() {
    for journal in [Journal::Rollback, Journal::Wal] {
        let db = Db::new(journal);
        let migrations = base_with(&[FOURTH]);
        let mut conn = db.open();
        migrations.runner().target(2).run(&mut conn).unwrap();
        let before = dump(&conn);

        let report = migrations
            .runner()
            .backup(migrate_runtime::BackupTarget::Beside)
            .run(&mut conn)
            .unwrap();
        assert_eq!(versions(&report), vec![3, 4]);
        let backup = report.backup.expect("a backup was written");
        let name = backup.file_name().unwrap().to_string_lossy().into_owned();
        assert!(name.starts_with("app.db.before-v2-"), "{name}");
        assert_eq!(backup.parent(), db.path.parent());
        assert_eq!(dump_file(&backup, false), before, "{journal:?}");

        // Nothing pending: no backup.
        let report = migrations
            .runner()
            .backup(migrate_runtime::BackupTarget::Beside)
            .run(&mut conn)
            .unwrap();
        assert_eq!(report.backup, None);
    }
}

#[test]
fn the_version_only_check_trusts_user_version() {
    let db = Db::new(Journal::Rollback);
    let migrations = base_with(&[]);
    let mut conn = db.open();
    migrations.run(&mut conn).unwrap();
    // A hand edit the default check would notice (and refuse as drift)...
    conn.execute("UPDATE schema_migrations SET checksum = 'edited'", [])
        .unwrap();
    let check = migrate_runtime::UpToDateCheck::VersionOnly;
    // ...goes unnoticed by the version-only check, which reads user_version alone.
    let report = migrations.runner().up_to_date_check(check).run(&mut conn);
    assert!(report.unwrap().is_empty());
    assert!(matches!(migrations.run(&mut conn), Err(Error::Drift(_))));
    // Behind: the version-only check sees it, and the full validation that follows finds the
    // edit.
    let newer = base_with(&[FOURTH]);
    let error = newer.runner().up_to_date_check(check).run(&mut conn);
    assert!(matches!(error, Err(Error::Drift(_))), "{error:?}");
}

#[test]
fn a_no_transaction_migration_with_its_own_transaction_resumes_at_its_begin() {
    let db = Db::new(Journal::Rollback);
    let mut conn = db.open();
    let script = |fourth: &str| {
        format!(
            "-- migrate:no-transaction\nINSERT INTO items VALUES ('outside');\nBEGIN;\nINSERT INTO items VALUES ('inside');\n{fourth}\nCOMMIT;\n"
        )
    };
    let broken = script(BROKEN);
    let error = set(&[ITEMS, ("0002_own_transaction.sql", &broken)])
        .run(&mut conn)
        .expect_err("statement 4 fails");
    assert!(
        matches!(&error, Error::Statement(f) if f.statement_index == 4),
        "{error:?}"
    );
    // The script's transaction was rolled back, with the progress recorded inside it.
    assert_eq!(items(&conn), vec!["outside"]);
    assert_eq!(
        count(
            &conn,
            "SELECT statements_done FROM schema_migrations_progress WHERE version = 2"
        ),
        1
    );

    let fixed = script("INSERT INTO items VALUES ('fixed');");
    let report = set(&[ITEMS, ("0002_own_transaction.sql", &fixed)])
        .run(&mut conn)
        .unwrap();
    assert_eq!(versions(&report), vec![2]);
    assert_eq!(items(&conn), vec!["outside", "inside", "fixed"]);
}

#[test]
fn a_no_transaction_migration_logs_each_statement_too() {
    let mut conn = Connection::open_in_memory().unwrap();
    let migrations = set(&[
        ITEMS,
        (
            "0002_outside.sql",
            "-- migrate:no-transaction\nINSERT INTO items VALUES ('a');\nVACUUM;\nINSERT INTO items VALUES ('b');",
        ),
    ]);
    let (report, records) = logs_of(|| migrations.run(&mut conn).unwrap());
    assert_eq!(versions(&report), vec![1, 2]);
    let statements: Vec<&str> = records
        .iter()
        .filter(|r| r.level == log::Level::Debug && r.message.contains("statement"))
        .map(|r| r.message.as_str())
        .collect();
    assert_eq!(statements.len(), 1 + 3, "{statements:?}");
    assert!(
        statements[3].contains("0002_outside.sql") && statements[3].contains("statement 3"),
        "{statements:?}"
    );
    let info = records
        .iter()
        .filter(|r| r.level == log::Level::Info)
        .count();
    assert_eq!(info, 2);
}
