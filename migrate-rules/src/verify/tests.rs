//! The verifier against each failure class, lint and sandbox rule.

use std::time::Duration;

use super::*;
use crate::Entry;

fn set(files: &[(&str, &str)]) -> MigrationSet {
    MigrationSet::from_entries(files.iter().map(|(name, sql)| Entry::file(*name, *sql)))
        .expect("valid set")
}

fn run(files: &[(&str, &str)]) -> Verification {
    verify(&set(files), &Options::default()).expect("verification runs")
}

fn only_failure(v: &Verification) -> &Failure {
    assert_eq!(v.failures.len(), 1, "{:#?}", v.failures);
    &v.failures[0]
}

fn lint_names(v: &Verification) -> Vec<(&'static str, u32, String)> {
    v.lints
        .iter()
        .map(|l| (l.lint.name(), l.line, l.message.clone()))
        .collect()
}

const USERS: (&str, &str) = (
    "0001_create_users.sql",
    "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);\n",
);

#[test]
fn a_valid_set_passes() {
    let v = run(&[
        USERS,
        (
            "0002_add_email.sql",
            "ALTER TABLE users ADD COLUMN email TEXT;",
        ),
    ]);
    assert!(v.is_ok(), "{:#?}", v.failures);
    assert_eq!(v.applied, 2);
    assert!(v.lints.is_empty(), "{:#?}", v.lints);
}

#[test]
fn sql_error_names_statement_index_and_line() {
    let v = run(&[
        USERS,
        (
            "0002_index.sql",
            "CREATE INDEX users_id ON users (id);\n\n-- typo\nCREATE INDEX users_name ON userz (name);\n",
        ),
    ]);
    let failure = only_failure(&v);
    assert_eq!(
        (failure.version, failure.file.as_str()),
        (2, "0002_index.sql")
    );
    assert_eq!(failure.after_failure_of, None);
    let FailureKind::Statement {
        statement_index,
        line,
        statement,
        message,
    } = &failure.kind
    else {
        panic!("{failure:?}")
    };
    assert_eq!((*statement_index, *line), (2, 4));
    assert_eq!(statement, "CREATE INDEX users_name ON userz (name);");
    assert!(message.contains("no such table"), "{message}");
    // Rolled back: the first index of the failed migration is not in the snapshot.
    assert!(!v.snapshot.contains("users_id"), "{}", v.snapshot);
}

#[test]
fn later_failures_name_the_first_one() {
    let v = run(&[
        USERS,
        (
            "0002_orders.sql",
            "CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INT REFERENCES userz(id)) STRICT BROKEN;",
        ),
        (
            "0003_more.sql",
            "CREATE INDEX orders_user ON orders (user_id);",
        ),
        ("0004_ok.sql", "CREATE TABLE tags (id INTEGER PRIMARY KEY);"),
    ]);
    assert_eq!(v.failures.len(), 2, "{:#?}", v.failures);
    assert_eq!(v.failures[0].version, 2);
    assert_eq!(v.failures[0].after_failure_of, None);
    assert_eq!(v.failures[1].version, 3);
    assert_eq!(v.failures[1].after_failure_of, Some(2));
    assert_eq!(v.applied, 2);
}

#[test]
fn foreign_key_violations_fail_before_commit() {
    let v = run(&[
        USERS,
        (
            "0002_orders.sql",
            "CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INT REFERENCES users(id));\n\
             INSERT INTO orders VALUES (1, 42);\n",
        ),
    ]);
    let failure = only_failure(&v);
    let FailureKind::ForeignKeys { violations } = &failure.kind else {
        panic!("{failure:?}")
    };
    assert_eq!(
        violations,
        &["`orders` rowid 1 references a missing row of `users`"]
    );
}

#[test]
fn a_table_rebuild_runs_with_foreign_keys_off() {
    let v = run(&[
        USERS,
        (
            "0002_orders.sql",
            "CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INT REFERENCES users(id) ON DELETE CASCADE);\n\
             INSERT INTO users VALUES (1, 'a'); INSERT INTO orders VALUES (1, 1);",
        ),
        (
            "0003_rebuild_users.sql",
            "CREATE TABLE users_new (id INTEGER PRIMARY KEY, name TEXT, extra TEXT);\n\
             INSERT INTO users_new (id, name) SELECT id, name FROM users;\n\
             DROP TABLE users;\n\
             ALTER TABLE users_new RENAME TO users;\n\
             INSERT INTO users_new2 SELECT 1 WHERE 0;",
        ),
    ]);
    // The last statement fails (no such table), the rebuild is rolled back.
    let failure = only_failure(&v);
    assert_eq!(failure.version, 3);
    assert!(matches!(
        failure.kind,
        FailureKind::Statement {
            statement_index: 5,
            ..
        }
    ));
}

#[test]
fn down_file_leaving_an_index_fails() {
    let v = run(&[
        USERS,
        (
            "0002_add_tags.sql",
            "CREATE TABLE tags (id INTEGER PRIMARY KEY, name TEXT);\nCREATE INDEX tags_name ON tags (name);\nCREATE INDEX users_name ON users (name);",
        ),
        ("0002_add_tags.down.sql", "DROP TABLE tags;"),
    ]);
    let failure = only_failure(&v);
    assert_eq!(failure.file, "0002_add_tags.down.sql");
    assert_eq!(
        failure.kind,
        FailureKind::DownMismatch {
            differences: vec!["index `users_name` remains".to_owned()]
        }
    );
}

#[test]
fn down_file_leaving_a_column_or_a_trigger_fails() {
    let v = run(&[
        USERS,
        (
            "0002_nickname.sql",
            "ALTER TABLE users ADD COLUMN nickname TEXT;",
        ),
        ("0002_nickname.down.sql", "SELECT 1;"),
        (
            "0003_trigger.sql",
            "CREATE TABLE log (x TEXT);\nCREATE TRIGGER users_log AFTER INSERT ON users BEGIN INSERT INTO log VALUES (new.name); END;",
        ),
        ("0003_trigger.down.sql", "DROP TABLE log;"),
    ]);
    assert_eq!(v.failures.len(), 2, "{:#?}", v.failures);
    assert_eq!(
        v.failures[0].kind,
        FailureKind::DownMismatch {
            differences: vec!["column `users.nickname` remains".to_owned()]
        }
    );
    assert_eq!(
        v.failures[1].kind,
        FailureKind::DownMismatch {
            differences: vec!["trigger `users_log` remains".to_owned()]
        }
    );
    // The migrations stay applied after their down files were checked.
    assert!(v.snapshot.contains("CREATE TABLE log"), "{}", v.snapshot);
}

#[test]
fn down_file_dropping_too_much_names_what_is_missing() {
    let v = run(&[
        USERS,
        (
            "0002_tags.sql",
            "CREATE TABLE tags (id INTEGER PRIMARY KEY);",
        ),
        ("0002_tags.down.sql", "DROP TABLE tags; DROP TABLE users;"),
    ]);
    assert_eq!(
        only_failure(&v).kind,
        FailureKind::DownMismatch {
            differences: vec!["table `users` is missing".to_owned()]
        }
    );
}

#[test]
fn a_rebuild_restored_with_other_whitespace_passes() {
    let v = run(&[
        (
            "0001_create_users.sql",
            "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, CHECK (length(name) > 0));\nCREATE INDEX users_name ON users (name) WHERE name <> '';",
        ),
        (
            "0002_add_age.sql",
            "-- migrate:allow destructive\nCREATE TABLE users_new (id INTEGER PRIMARY KEY, name TEXT NOT NULL, age INT, CHECK (length(name) > 0));\n\
             INSERT INTO users_new (id, name) SELECT id, name FROM users;\nDROP TABLE users;\n\
             ALTER TABLE users_new RENAME TO users;\nCREATE INDEX users_name ON users (name) WHERE name <> '';",
        ),
        (
            "0002_add_age.down.sql",
            "CREATE   TABLE users_old (\n  id   INTEGER PRIMARY KEY,\n  name TEXT NOT NULL,\n  CHECK(length(name)>0)\n);\n\
             INSERT INTO users_old SELECT id, name FROM users;\nDROP TABLE users;\n\
             ALTER TABLE users_old RENAME TO users;\nCREATE INDEX users_name ON users(name)\n  WHERE name<>'';",
        ),
    ]);
    assert!(v.is_ok(), "{:#?}", v.failures);
    assert!(v.lints.is_empty(), "{:#?}", v.lints);
}

#[test]
fn a_down_file_of_a_no_transaction_migration_passes() {
    let v = run(&[
        USERS,
        (
            "0002_index.sql",
            "-- migrate:no-transaction\nCREATE INDEX users_name ON users (name);\nVACUUM;\n",
        ),
        (
            "0002_index.down.sql",
            "-- migrate:no-transaction\nDROP INDEX users_name;\n",
        ),
    ]);
    assert!(v.is_ok(), "{:#?}", v.failures);
    assert!(
        v.snapshot
            .contains("CREATE INDEX users_name ON users (name);")
    );
}

#[test]
fn no_transaction_migrations_run_with_foreign_keys_on() {
    let v = run(&[
        USERS,
        (
            "0002_orders.sql",
            "-- migrate:no-transaction\nCREATE TABLE orders (user_id INT REFERENCES users(id));\nINSERT INTO orders VALUES (7);\n",
        ),
    ]);
    let failure = only_failure(&v);
    assert!(
        matches!(&failure.kind, FailureKind::Statement { statement_index: 2, message, .. } if message.contains("FOREIGN KEY")),
        "{failure:?}"
    );
}

#[test]
fn destructive_lints_and_their_allow_line() {
    let files = [
        USERS,
        (
            "0002_tags.sql",
            "CREATE TABLE tags (id INTEGER PRIMARY KEY);",
        ),
        (
            "0003_drop.sql",
            "SELECT 1;\nDROP TABLE tags;\nALTER TABLE users DROP COLUMN name;",
        ),
    ];
    let v = run(&files);
    assert_eq!(
        lint_names(&v),
        [
            ("destructive", 2, "table `tags` is dropped".to_owned()),
            (
                "destructive",
                3,
                "column `users.name` is dropped".to_owned()
            ),
        ]
    );
    assert_eq!(v.lints[0].file, "0003_drop.sql");
    let allowed = run(&[
        files[0],
        files[1],
        (
            "0003_drop.sql",
            "-- migrate:allow destructive\nDROP TABLE tags;\nALTER TABLE users DROP COLUMN name;",
        ),
    ]);
    assert!(allowed.lints.is_empty(), "{:#?}", allowed.lints);
}

#[test]
fn a_rebuild_losing_a_column_is_destructive() {
    let v = run(&[
        USERS,
        (
            "0002_rebuild.sql",
            "CREATE TABLE users_new (id INTEGER PRIMARY KEY);\nDROP TABLE users;\nALTER TABLE users_new RENAME TO users;",
        ),
    ]);
    assert_eq!(
        lint_names(&v),
        [(
            "destructive",
            2,
            "column `users.name` is dropped".to_owned()
        )]
    );
}

#[test]
fn renames_are_backward_incompatible() {
    let v = run(&[
        USERS,
        (
            "0002_view.sql",
            "CREATE VIEW user_names AS SELECT name FROM users;",
        ),
        ("0003_rename.sql", "ALTER TABLE users RENAME TO people;"),
        (
            "0004_rename_column.sql",
            "ALTER TABLE people RENAME COLUMN name TO full_name;",
        ),
    ]);
    assert!(v.is_ok(), "{:#?}", v.failures);
    assert_eq!(
        lint_names(&v),
        [
            (
                "backward-incompatible",
                1,
                "table `users` is renamed to `people`".to_owned()
            ),
            (
                "backward-incompatible",
                1,
                "column `people.name` is renamed to `full_name`".to_owned()
            ),
        ]
    );
    // The view the renames rewrote is read again (`verify` checks its cache in tests).
    assert!(
        v.snapshot.contains("CREATE VIEW user_names AS SELECT"),
        "{}",
        v.snapshot
    );
    assert!(
        v.snapshot.contains("full_name FROM \"people\""),
        "{}",
        v.snapshot
    );
    let allowed = run(&[
        USERS,
        (
            "0002_rename.sql",
            "-- migrate:allow backward-incompatible\nALTER TABLE users RENAME TO people;",
        ),
    ]);
    assert!(allowed.lints.is_empty(), "{:#?}", allowed.lints);
}

#[test]
fn data_dependent_lints_and_their_allow_line() {
    let v = run(&[
        USERS,
        (
            "0002_unique.sql",
            "ALTER TABLE users ADD COLUMN email TEXT NOT NULL DEFAULT '';\nCREATE UNIQUE INDEX users_email ON users (email);",
        ),
        (
            "0003_not_null.sql",
            "CREATE TABLE users_new (id INTEGER PRIMARY KEY, name TEXT NOT NULL CHECK (name <> ''), email TEXT NOT NULL DEFAULT '' UNIQUE);\n\
             INSERT INTO users_new SELECT id, name, email FROM users;\nDROP TABLE users;\nALTER TABLE users_new RENAME TO users;\n\
             CREATE UNIQUE INDEX users_email ON users (email);",
        ),
        (
            "0004_new_column.sql",
            "ALTER TABLE users ADD COLUMN age INTEGER CHECK (age >= 0);",
        ),
        (
            "0005_new_table.sql",
            "CREATE TABLE tags (name TEXT UNIQUE);\nCREATE UNIQUE INDEX tags_name ON tags (name);",
        ),
    ]);
    let lints = lint_names(&v);
    let names: Vec<(&str, u32)> = lints.iter().map(|(n, l, _)| (*n, *l)).collect();
    assert_eq!(
        names,
        [
            ("data-dependent", 2),
            ("data-dependent", 3),
            ("data-dependent", 3),
            ("data-dependent", 3),
        ],
        "{lints:#?}"
    );
    assert!(
        lints[0].2.contains("unique index `users_email`"),
        "{lints:#?}"
    );
    assert!(lints.iter().any(|l| {
        l.2.contains("`NOT NULL` added to existing column `users.name`")
    }));
    assert!(lints.iter().any(|l| l.2.contains("CHECK")));
    assert!(lints.iter().any(|l| l.2.contains("`UNIQUE (email)`")));

    let allowed = run(&[
        USERS,
        (
            "0002_unique.sql",
            "-- migrate:allow data-dependent\nCREATE UNIQUE INDEX users_name ON users (name);",
        ),
    ]);
    assert!(allowed.lints.is_empty(), "{:#?}", allowed.lints);
}

fn denied(v: &Verification) -> String {
    match &only_failure(v).kind {
        FailureKind::Denied { operation, .. } => operation.clone(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn attach_is_denied() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("escape.db");
    let sql = format!(
        "-- migrate:no-transaction\nATTACH '{}' AS elsewhere;",
        path.display()
    );
    let v = run(&[USERS, ("0002_attach.sql", &sql)]);
    assert_eq!(denied(&v), "`ATTACH`");
    assert!(!path.exists());
    let v = run(&[
        USERS,
        (
            "0002_attach.sql",
            "-- migrate:no-transaction\nATTACH '' AS scratch;",
        ),
    ]);
    assert_eq!(denied(&v), "`ATTACH`");
}

#[test]
fn vacuum_into_is_denied() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("copy.db");
    let sql = format!(
        "-- migrate:no-transaction\nVACUUM INTO '{}';",
        path.display()
    );
    let v = run(&[USERS, ("0002_vacuum.sql", &sql)]);
    let operation = denied(&v);
    assert_eq!(operation, "`VACUUM INTO`");
    assert!(!path.exists());
}

#[test]
fn extensions_and_file_pragmas_are_denied() {
    let v = run(&[
        USERS,
        ("0002_ext.sql", "SELECT load_extension('/tmp/nothing');"),
    ]);
    assert_eq!(denied(&v), "`load_extension`");
    let v = run(&[USERS, ("0002_pragma.sql", "PRAGMA writable_schema = ON;")]);
    assert_eq!(denied(&v), "`PRAGMA writable_schema`");
    let v = run(&[
        USERS,
        ("0002_pragma.sql", "PRAGMA temp_store_directory = '/tmp';"),
    ]);
    assert_eq!(denied(&v), "`PRAGMA temp_store_directory`");
    let v = run(&[USERS, ("0002_pragma.sql", "PRAGMA hard_heap_limit = 0;")]);
    assert_eq!(denied(&v), "`PRAGMA hard_heap_limit`");
    // The runtime's own pragmas run.
    let v = run(&[
        USERS,
        (
            "0002_pragma.sql",
            "PRAGMA defer_foreign_keys = ON;\nPRAGMA user_version;\nPRAGMA table_info(users);",
        ),
    ]);
    assert!(v.is_ok(), "{:#?}", v.failures);
}

#[test]
fn extension_loading_stays_off() {
    // Even with the authorizer out of the way, rusqlite's default keeps the C API's switch off.
    let conn = rusqlite::Connection::open_in_memory().expect("open");
    let error = conn
        .query_row("SELECT load_extension('/tmp/nothing')", [], |_| Ok(()))
        .expect_err("disabled");
    assert!(error.to_string().contains("not authorized"), "{error}");
}

#[test]
fn a_runaway_query_is_stopped_by_the_budget() {
    let options = Options::default().timeout(Duration::from_millis(200));
    let set = set(&[
        USERS,
        (
            "0002_forever.sql",
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n;",
        ),
        ("0003_after.sql", "CREATE TABLE t (x);"),
    ]);
    let started = std::time::Instant::now();
    let v = verify(&set, &options).expect("runs");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(v.failures.len(), 1, "{:#?}", v.failures);
    assert_eq!(v.failures[0].version, 2);
    assert_eq!(
        v.failures[0].kind,
        FailureKind::Timeout {
            budget: Duration::from_millis(200)
        }
    );
}

#[test]
fn the_memory_cap_stops_a_hungry_migration() {
    let options = Options::default().memory_limit(16 << 20);
    let set = set(&[
        USERS,
        (
            "0002_hungry.sql",
            "CREATE TABLE blobs (b BLOB);\nWITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000) INSERT INTO blobs SELECT randomblob(4096) FROM n;",
        ),
    ]);
    let v = verify(&set, &options).expect("runs");
    assert_eq!(only_failure(&v).kind, FailureKind::OutOfMemory);
}

#[test]
fn the_snapshot_is_deterministic_and_executable() {
    let a = run(&[
        USERS,
        (
            "0002_more.sql",
            "CREATE VIEW v AS SELECT   name\n FROM users;\nCREATE INDEX users_name ON users (name);\nCREATE TABLE a (x TEXT DEFAULT '  two  spaces');",
        ),
    ]);
    let b = run(&[
        USERS,
        (
            "0002_more.sql",
            "CREATE TABLE a (x TEXT DEFAULT '  two  spaces');\nCREATE INDEX users_name ON users (name);\nCREATE VIEW v AS SELECT   name\n FROM users;",
        ),
    ]);
    let body = |s: &str| s.split_once("\n\n").map(|(_, b)| b.to_owned());
    assert_eq!(body(&a.snapshot), body(&b.snapshot));
    let checksum = set(&[USERS]).migrations()[0].up.checksum;
    let expected_head = format!("-- 0001_create_users.sql {checksum}\n-- 0002_more.sql ");
    assert!(a.snapshot.starts_with(&expected_head), "{}", a.snapshot);
    assert!(
        a.snapshot.ends_with(
            "\n\nCREATE TABLE a (x TEXT DEFAULT '  two  spaces');\n\
         CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);\n\
         CREATE INDEX users_name ON users (name);\n\
         CREATE VIEW v AS SELECT name FROM users;\n"
        ),
        "{}",
        a.snapshot
    );
    // `sqlite3` can run it.
    let conn = rusqlite::Connection::open_in_memory().expect("open");
    conn.execute_batch(&a.snapshot).expect("executable");
}

#[test]
fn the_target_stops_early() {
    let set = set(&[USERS, ("0002_tags.sql", "CREATE TABLE tags (id INTEGER);")]);
    let v = verify(&set, &Options::default().target(1)).expect("runs");
    assert_eq!(v.applied, 1);
    assert!(!v.snapshot.contains("tags"));
}

#[test]
fn snapshots_diff_briefly() {
    assert_eq!(diff_snapshots("a\n", "a\n"), "");
    let committed: String = (0..30).map(|i| format!("old {i}\n")).collect();
    let diff = diff_snapshots(&committed, "new\n");
    assert!(diff.starts_with("- old 0\n"), "{diff}");
    assert!(diff.ends_with("... and 11 more\n"), "{diff}");
}

#[test]
fn a_down_file_that_keeps_rows_is_rolled_back_not_applied_twice() {
    // Applying the up script again after the down file would insert the row twice.
    let v = run(&[
        USERS,
        ("0002_admin.sql", "INSERT INTO users VALUES (1, 'admin');"),
        ("0002_admin.down.sql", "UPDATE users SET name = name;"),
        ("0003_more.sql", "INSERT INTO users VALUES (2, 'second');"),
    ]);
    assert!(v.is_ok(), "{:#?}", v.failures);
    assert_eq!(v.applied, 3);
}

#[test]
fn a_failed_no_transaction_migration_keeps_what_succeeded() {
    let v = run(&[
        USERS,
        (
            "0002_partial.sql",
            "-- migrate:no-transaction\nCREATE TABLE kept (x);\nCREATE INDEX broken ON nowhere (x);\n",
        ),
        ("0003_uses_it.sql", "CREATE INDEX kept_x ON kept (x);"),
    ]);
    // As at run time: the first statement stays, so 0003 still applies (and `verify` checks,
    // in tests, that its cache followed the partial change).
    let failure = only_failure(&v);
    assert_eq!(failure.version, 2);
    assert!(
        v.snapshot.contains("CREATE INDEX kept_x ON kept (x);"),
        "{}",
        v.snapshot
    );
}

#[test]
fn a_no_transaction_down_file_that_leaves_a_table_fails() {
    let v = run(&[
        USERS,
        (
            "0002_two.sql",
            "-- migrate:no-transaction\nCREATE TABLE a (x);\nCREATE TABLE b (x);\n",
        ),
        (
            "0002_two.down.sql",
            "-- migrate:no-transaction\nDROP TABLE a;\n",
        ),
        ("0003_next.sql", "CREATE INDEX a_x ON a (x);"),
    ]);
    let failure = only_failure(&v);
    assert_eq!(failure.file, "0002_two.down.sql");
    assert_eq!(
        failure.to_string(),
        "down file `0002_two.down.sql` does not undo `0002_two.sql`: table `b` remains"
    );
    // The up script ran again after the down file: `a` is back for 0003; its failure on `b`
    // (never dropped) is a consequence, not reported again.
    assert!(v.snapshot.contains("CREATE INDEX a_x"), "{}", v.snapshot);
}

#[test]
fn a_rename_and_its_reverse_restore_the_schema() {
    // SQLite quotes the names it rewrites: the view reads `"users"` after the down file.
    let v = run(&[
        USERS,
        (
            "0002_view.sql",
            "CREATE VIEW Names AS SELECT name FROM users WHERE name <> 'X';",
        ),
        (
            "0003_rename.sql",
            "-- migrate:allow backward-incompatible\nALTER TABLE users RENAME TO people;",
        ),
        (
            "0003_rename.down.sql",
            "ALTER TABLE people RENAME TO users;",
        ),
    ]);
    assert!(v.is_ok(), "{:#?}", v.failures);
    assert!(v.lints.is_empty(), "{:#?}", v.lints);
}

#[test]
fn a_no_transaction_rename_and_its_reverse_restore_the_schema() {
    let v = run(&[
        USERS,
        (
            "0002_view.sql",
            "CREATE VIEW names AS SELECT name FROM users;",
        ),
        (
            "0003_rename.sql",
            "-- migrate:no-transaction\n-- migrate:allow backward-incompatible\nALTER TABLE users RENAME TO people;",
        ),
        (
            "0003_rename.down.sql",
            "-- migrate:no-transaction\nALTER TABLE people RENAME TO users;",
        ),
        (
            "0004_index.sql",
            "CREATE INDEX people_name ON people (name);",
        ),
    ]);
    assert!(v.is_ok(), "{:#?}", v.failures);
    assert!(v.lints.is_empty(), "{:#?}", v.lints);
}

#[test]
fn a_rebuild_that_replaces_a_column_with_another_kind_of_column_drops_it() {
    // `name` (nullable) gone, `display_name` (NOT NULL DEFAULT '') new, same position and type:
    // `RENAME COLUMN` would have kept the constraints, so this is a drop, not a rename.
    let v = run(&[
        USERS,
        (
            "0002_rebuild.sql",
            "CREATE TABLE new_users (id INTEGER PRIMARY KEY, display_name TEXT NOT NULL DEFAULT '');\n\
             INSERT INTO new_users (id) SELECT id FROM users;\n\
             DROP TABLE users;\n\
             ALTER TABLE new_users RENAME TO users;",
        ),
    ]);
    assert!(v.is_ok(), "{:#?}", v.failures);
    let lints = lint_names(&v);
    assert!(
        lints.iter().any(|(lint, _, message)| *lint == "destructive"
            && message == "column `users.name` is dropped"),
        "{lints:?}"
    );
    assert!(
        lints
            .iter()
            .all(|(lint, ..)| *lint != "backward-incompatible"),
        "{lints:?}"
    );
}

// The schema cache reads a region back by rowid (`schema::Cache::read`): the rows it can have
// changed and the rows above the highest one outside it. `verify` checks, in tests, after
// every migration, that the cache's objects and its rows of `sqlite_schema` are what a full
// read gives; the cases below change the schema table in the ways that could fool it.

/// Runs `files` and expects no failure (the cache checks run inside).
fn passes(files: &[(&str, &str)]) -> Verification {
    let v = run(files);
    assert!(v.is_ok(), "{:#?}", v.failures);
    v
}

#[test]
fn dropping_the_newest_object_then_creating_reuses_its_rowid() {
    // SQLite gives a new row the highest rowid plus one: after the newest row is dropped, the
    // next object gets its rowid back.
    passes(&[
        USERS,
        ("0002_a.sql", "CREATE TABLE a (x);"),
        (
            "0003_swap.sql",
            "-- migrate:allow destructive\nDROP TABLE a;\nCREATE TABLE b (x);\nCREATE INDEX b_x ON b (x);",
        ),
        (
            "0004_drop.sql",
            "-- migrate:allow destructive\nDROP INDEX b_x;",
        ),
        ("0005_again.sql", "CREATE INDEX b_x2 ON b (x);"),
        (
            "0006_drop_all_new.sql",
            "-- migrate:allow destructive\nDROP TABLE b;",
        ),
        (
            "0007_c.sql",
            "CREATE TABLE c (x);\nCREATE VIEW cv AS SELECT x FROM c;",
        ),
        // A gap below the newest row: after the newest is dropped, the next object takes a
        // rowid in the gap, below every rowid the region lists (found as above the highest
        // row outside the region, `cv`'s).
        ("0008_d_e.sql", "CREATE TABLE d (x);\nCREATE TABLE e (x);"),
        (
            "0009_gap.sql",
            "-- migrate:allow destructive\nDROP TABLE d;",
        ),
        (
            "0010_into_the_gap.sql",
            "-- migrate:allow destructive\nDROP TABLE e;\nCREATE TABLE f (x);\nCREATE INDEX f_x ON f (x);",
        ),
    ]);
}

#[test]
fn dropping_an_old_object_then_creating() {
    passes(&[
        USERS,
        (
            "0002_a.sql",
            "CREATE TABLE a (x);\nCREATE INDEX a_x ON a (x);",
        ),
        ("0003_b.sql", "CREATE TABLE b (x);"),
        (
            "0004_drop_old.sql",
            "-- migrate:allow destructive\nDROP TABLE users;\nCREATE TABLE c (x);",
        ),
        ("0005_d.sql", "CREATE TABLE d (x);\nDROP INDEX a_x;"),
        ("0006_e.sql", "CREATE INDEX b_x ON b (x);"),
    ]);
}

#[test]
fn a_table_rebuild_keeps_the_cache_in_step() {
    passes(&[
        USERS,
        (
            "0002_extras.sql",
            "CREATE INDEX users_name ON users (name);\n\
             CREATE TABLE log (x TEXT);\n\
             CREATE TRIGGER users_log AFTER INSERT ON users BEGIN INSERT INTO log VALUES (new.name); END;\n\
             CREATE VIEW names AS SELECT name FROM users;",
        ),
        (
            "0003_rebuild.sql",
            "DROP VIEW names;\n\
             CREATE TABLE new_users (id INTEGER PRIMARY KEY, name TEXT, age INT);\n\
             INSERT INTO new_users (id, name) SELECT id, name FROM users;\n\
             DROP TABLE users;\n\
             ALTER TABLE new_users RENAME TO users;\n\
             CREATE INDEX users_name ON users (name);\n\
             CREATE TRIGGER users_log AFTER INSERT ON users BEGIN INSERT INTO log VALUES (new.name); END;\n\
             CREATE VIEW names AS SELECT name FROM users;",
        ),
        ("0004_after.sql", "CREATE TABLE after_rebuild (x);"),
    ]);
}

#[test]
fn automatic_indexes_go_with_their_table() {
    // `sqlite_autoindex_*` rows belong to their table (`tbl_name`) and are no objects.
    passes(&[
        USERS,
        (
            "0002_unique.sql",
            "CREATE TABLE u (x UNIQUE, y, z, UNIQUE (y, z), PRIMARY KEY (z, x)) WITHOUT ROWID;",
        ),
        (
            "0003_v.sql",
            "CREATE TABLE v (a TEXT PRIMARY KEY, b UNIQUE);",
        ),
        (
            "0004_drop.sql",
            "-- migrate:allow destructive\nDROP TABLE u;",
        ),
        ("0005_w.sql", "CREATE TABLE w (c UNIQUE);"),
        (
            "0006_drop_newest.sql",
            "-- migrate:allow destructive\nDROP TABLE w;\nCREATE TABLE x (d);",
        ),
    ]);
}

#[test]
fn autoincrement_adds_sqlite_sequence() {
    // `sqlite_sequence` appears with the first AUTOINCREMENT table and stays: a row of the
    // schema table that is no object and that later regions do not contain.
    passes(&[
        USERS,
        (
            "0002_seq.sql",
            "CREATE TABLE s (id INTEGER PRIMARY KEY AUTOINCREMENT, x);\nINSERT INTO s (x) VALUES (1);",
        ),
        ("0003_t.sql", "CREATE TABLE t (x);"),
        (
            "0004_drop.sql",
            "-- migrate:allow destructive\nDROP TABLE s;",
        ),
        (
            "0005_drop_newest.sql",
            "-- migrate:allow destructive\nDROP TABLE t;\nCREATE TABLE u (id INTEGER PRIMARY KEY AUTOINCREMENT);",
        ),
        ("0006_analyze.sql", "ANALYZE;\nCREATE INDEX u_id ON u (id);"),
        ("0007_more.sql", "CREATE TABLE more (x);\nANALYZE;"),
    ]);
}

#[test]
fn vacuum_renumbers_the_schema_table() {
    // `VACUUM` copies tables first, then indexes: rowids change, so the read after it is a
    // whole one. Without that, 0005 would find `idx` by its old rowid (now `b`'s) and miss
    // `c`, created at a rowid below the highest one the cache knew outside its region.
    passes(&[
        USERS,
        ("0002_idx.sql", "CREATE INDEX idx ON users (name);"),
        ("0003_b.sql", "CREATE TABLE b (x);\nCREATE TABLE gap (x);"),
        (
            "0004_vacuum.sql",
            "-- migrate:no-transaction\n-- migrate:allow destructive\nDROP TABLE gap;\nVACUUM;",
        ),
        (
            "0005_after.sql",
            "-- migrate:allow destructive\nDROP INDEX idx;\nCREATE TABLE c (x);",
        ),
        ("0006_more.sql", "CREATE INDEX c_x ON c (x);"),
    ]);
}

#[test]
fn a_rolled_back_down_file_leaves_the_cache_as_it_was() {
    // The down file drops the newest table (its rowid would be reused): it is rolled back, so
    // its read must not reach the cache.
    passes(&[
        USERS,
        (
            "0002_a.sql",
            "CREATE TABLE a (x);\nCREATE INDEX a_x ON a (x);",
        ),
        ("0002_a.down.sql", "DROP TABLE a;"),
        ("0003_b.sql", "CREATE TABLE b (x);"),
        (
            "0003_b.down.sql",
            "DROP TABLE b;\nCREATE TABLE scratch (x);\nDROP TABLE scratch;",
        ),
        (
            "0004_c.sql",
            "CREATE TABLE c (x);\nCREATE INDEX b_x ON b (x);",
        ),
    ]);
}

#[test]
fn a_no_transaction_down_file_and_the_up_script_again_keep_the_cache_in_step() {
    // The down file drops what the up script created and an older index, the up script then
    // creates them again at other rowids.
    passes(&[
        USERS,
        ("0002_old.sql", "CREATE INDEX users_name ON users (name);"),
        ("0003_filler.sql", "CREATE TABLE filler (x);"),
        (
            "0004_two.sql",
            "-- migrate:no-transaction\n-- migrate:allow destructive\nDROP INDEX users_name;\n\
             CREATE TABLE a (x UNIQUE);\nCREATE INDEX a_x ON a (x);\nCREATE TABLE b (id INTEGER PRIMARY KEY AUTOINCREMENT);",
        ),
        (
            "0004_two.down.sql",
            "-- migrate:no-transaction\nDROP TABLE b;\nDROP TABLE a;\nCREATE INDEX users_name ON users (name);",
        ),
        (
            "0005_next.sql",
            "CREATE TABLE next (x);\nDROP TABLE filler;",
        ),
        (
            "0005_next.down.sql",
            "-- migrate:no-transaction\nDROP TABLE next;\nCREATE TABLE filler (x);",
        ),
        ("0006_last.sql", "CREATE INDEX next_x ON next (x);"),
    ]);
}

#[test]
fn virtual_tables_and_their_shadow_tables_keep_the_cache_in_step() {
    passes(&[
        USERS,
        (
            "0002_fts.sql",
            "CREATE VIRTUAL TABLE docs USING fts5 (body);",
        ),
        ("0003_t.sql", "CREATE TABLE t (x);"),
        (
            "0004_drop.sql",
            "-- migrate:allow destructive\nDROP TABLE docs;\nCREATE TABLE u (x);",
        ),
        (
            "0005_rtree.sql",
            "CREATE VIRTUAL TABLE boxes USING rtree (id, x0, x1);",
        ),
        (
            "0006_rename.sql",
            "-- migrate:allow backward-incompatible\nALTER TABLE boxes RENAME TO areas;",
        ),
    ]);
}
