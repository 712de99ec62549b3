//! The splitter against SQLite itself: wherever `migrate_rules::split` ends a statement,
//! `sqlite3_complete()` must say the text so far is a complete statement, and nowhere before.
//!
//! The number of cases is modest by default; set `PROPTEST_CASES` for a longer run.

use std::ffi::CString;

use migrate_rules::split::split;
use migrate_test_kit::proptest_config;
use proptest::prelude::*;

/// SQLite's `sqlite3_complete()`: does `sql` end with a complete statement?
fn sqlite_complete(sql: &str) -> bool {
    let sql = CString::new(sql).expect("no NUL in generated scripts");
    // SAFETY: `sql` is a valid NUL-terminated string that outlives the call, and
    // `sqlite3_complete` only reads it.
    unsafe { rusqlite::ffi::sqlite3_complete(sql.as_ptr()) != 0 }
}

/// Checks one script against SQLite.
fn check(script: &str) -> Result<(), TestCaseError> {
    let result = split(script);
    let count = result.statements.len();
    for (i, s) in result.statements.iter().enumerate() {
        let statement = &script[s.start..s.end];
        // Every statement but the last ends with its `;`; the last one may have none, or may
        // run to the end inside a quote that is never closed.
        let last = i + 1 == count;
        let terminated = !last || (statement.ends_with(';') && result.unterminated.is_none());
        prop_assert_eq!(
            sqlite_complete(statement),
            terminated,
            "SQLite disagrees about {:?}",
            statement
        );
        // No earlier `;` ends it.
        for (at, _) in statement.match_indices(';') {
            let prefix = &statement[..=at];
            if prefix.len() < statement.len() {
                prop_assert!(
                    !sqlite_complete(prefix),
                    "SQLite ends {statement:?} already at {prefix:?}"
                );
            }
        }
    }
    Ok(())
}

fn soup() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just(";"),
        Just(" "),
        Just("\n"),
        Just("\t"),
        Just("'"),
        Just("'a;b'"),
        Just("\""),
        Just("`"),
        Just("["),
        Just("]"),
        Just("--"),
        Just("/*"),
        Just("*/"),
        Just("-"),
        Just("/"),
        Just("CREATE"),
        Just("create"),
        Just("TEMP"),
        Just("TEMPORARY"),
        Just("TRIGGER"),
        Just("trigger"),
        Just("EXPLAIN"),
        Just("BEGIN"),
        Just("END"),
        Just("end"),
        Just("CASE"),
        Just("SELECT"),
        Just("x"),
        Just("9"),
        Just("$"),
        Just("_"),
        Just("é"),
        Just("("),
        Just(")"),
    ];
    prop::collection::vec(piece, 0..40).prop_map(|pieces| pieces.concat())
}

proptest! {
    #![proptest_config(proptest_config(512))]

    #[test]
    fn statement_ends_agree_with_sqlite3_complete(script in soup()) {
        check(&script)?;
    }
}

#[test]
fn known_scripts_agree_with_sqlite3_complete() {
    for script in [
        "SELECT 1; SELECT 2",
        "CREATE TRIGGER t AFTER INSERT ON a BEGIN SELECT 1; SELECT CASE WHEN 1 THEN 2 END; END; SELECT 3;",
        "CREATE TEMP TRIGGER t AFTER INSERT ON a BEGIN SELECT 1; END;",
        "EXPLAIN CREATE TRIGGER t AFTER INSERT ON a BEGIN SELECT 1; END;",
        "SELECT 'a;b', \"c;d\", `e;f`, [g;h]; -- ;\n/* ; */ SELECT 2;",
        "CREATE TABLE trigger (end); SELECT end FROM trigger;",
        "EXPLAIN 9CREATE TRIGGER t AFTER INSERT ON a BEGIN SELECT 1; END;",
        "EXPLAIN $CREATE TRIGGER t AFTER INSERT ON a BEGIN SELECT 1; END;",
    ] {
        check(script).unwrap();
    }
}
