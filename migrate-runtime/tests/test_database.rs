//! `Migrations::test_database` and `test_database_at`: isolated copies of one template per
//! set and version, built once per process even when parallel tests ask first, and full
//! databases that `run` continues from.
//!
//! Every test uses a set of its own (its SQL names the test), so the process-wide templates of
//! the tests running beside it never count towards its figures. How many times a set was
//! applied is read from the log record each template build writes, filtered by the set's
//! history checksum.

mod common;

use std::sync::{Arc, Barrier};

use common::{Record, all_logs, set};
use migrate_runtime::rusqlite::Connection;
use migrate_runtime::{Error, Migrations};
use migrate_test_kit::{applied_versions, count, user_dump, user_version};

/// A four-migration set whose tables are prefixed with `tag`: a table, a column, a table
/// referencing the first, and rows in both.
fn tagged_set(tag: &str) -> Migrations {
    let files = [
        (
            "0001_people.sql".to_owned(),
            format!("CREATE TABLE {tag}_people (id INTEGER PRIMARY KEY, name TEXT NOT NULL);"),
        ),
        (
            "0002_email.sql".to_owned(),
            format!("ALTER TABLE {tag}_people ADD COLUMN email TEXT;"),
        ),
        (
            "0003_orders.sql".to_owned(),
            format!(
                "CREATE TABLE {tag}_orders (id INTEGER PRIMARY KEY, person INTEGER NOT NULL REFERENCES {tag}_people (id));"
            ),
        ),
        (
            "0004_seed.sql".to_owned(),
            format!(
                "INSERT INTO {tag}_people (id, name, email) VALUES (1, 'ada', 'ada@example.com');\nINSERT INTO {tag}_orders (id, person) VALUES (10, 1);"
            ),
        ),
    ];
    Migrations::from_files(files).expect("valid migration set")
}

/// The template builds of `migrations` logged so far, by version.
fn builds(migrations: &Migrations, version: i64) -> usize {
    let set = migrations.history_checksum().to_string();
    let at = format!("at version {version} ");
    all_logs()
        .iter()
        .filter(|r: &&Record| {
            r.target == "migrate_runtime::testing"
                && r.message.contains(&set)
                && r.message.contains(&at)
        })
        .count()
}

fn tables(conn: &Connection) -> Vec<String> {
    let mut statement = conn
        .prepare(
            "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
        )
        .unwrap();
    statement
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn each_call_returns_an_isolated_copy_at_the_latest_version() {
    all_logs();
    let migrations = tagged_set("iso");
    let first = migrations.test_database().unwrap();
    let second = migrations.test_database().unwrap();
    for conn in [&first, &second] {
        assert_eq!(migrations.current_version(conn).unwrap(), 4);
        assert_eq!(user_version(conn), 4);
        assert_eq!(applied_versions(conn), [1, 2, 3, 4]);
        assert_eq!(count(conn, "SELECT count(*) FROM iso_people"), 1);
    }
    first
        .execute("INSERT INTO iso_people (id, name) VALUES (2, 'grace')", [])
        .unwrap();
    first.execute("DROP TABLE iso_orders", []).unwrap();
    assert_eq!(count(&first, "SELECT count(*) FROM iso_people"), 2);
    assert_eq!(count(&second, "SELECT count(*) FROM iso_people"), 1);
    assert!(tables(&second).contains(&"iso_orders".to_owned()));
    // A later copy comes from the template, not from a database a test changed.
    let third = migrations.test_database().unwrap();
    assert_eq!(count(&third, "SELECT count(*) FROM iso_people"), 1);
    assert_eq!(user_dump(&third), user_dump(&second));
    assert_eq!(builds(&migrations, 4), 1, "one build for three calls");
}

#[test]
fn the_copy_is_a_full_database_with_foreign_keys_on() {
    let migrations = tagged_set("full");
    let mut conn = migrations.test_database().unwrap();
    let on: i64 = conn
        .query_row("PRAGMA foreign_keys", [], |row| row.get(0))
        .unwrap();
    assert_eq!(on, 1);
    let violation = conn.execute("INSERT INTO full_orders (id, person) VALUES (11, 99)", []);
    assert!(violation.is_err(), "foreign keys are enforced");
    // Up to date by the fast path, and the operator's tools read it like any database.
    assert!(migrations.run(&mut conn).unwrap().applied.is_empty());
    let status = migrations.status(&conn).unwrap();
    assert_eq!(status.current_version, 4);
    assert_eq!(status.counts.applied, 4);
    assert_eq!(status.counts.pending, 0);
    // The same database as applying the set by hand, tracking rows included.
    let mut by_hand = Connection::open_in_memory().unwrap();
    migrations.run(&mut by_hand).unwrap();
    assert_eq!(user_dump(&conn), user_dump(&by_hand));
    assert_eq!(applied_versions(&conn), applied_versions(&by_hand));
}

#[test]
fn an_earlier_version_then_run_applies_the_rest() {
    let migrations = tagged_set("step");
    for k in 0..=4 {
        let mut conn = migrations.test_database_at(k).unwrap();
        assert_eq!(migrations.current_version(&conn).unwrap(), k);
        assert_eq!(user_version(&conn), k);
        assert_eq!(applied_versions(&conn), (1..=k).collect::<Vec<_>>());
        let report = migrations.run(&mut conn).unwrap();
        let applied: Vec<i64> = report.applied.iter().map(|m| m.version).collect();
        assert_eq!(applied, (k + 1..=4).collect::<Vec<_>>(), "from version {k}");
        assert_eq!(
            user_dump(&conn),
            user_dump(&migrations.test_database().unwrap())
        );
    }
}

#[test]
fn version_zero_has_the_tracking_tables_and_nothing_applied() {
    let migrations = tagged_set("zero");
    let conn = migrations.test_database_at(0).unwrap();
    let names = tables(&conn);
    assert!(names.contains(&"schema_migrations".to_owned()), "{names:?}");
    assert!(!names.iter().any(|t| t.starts_with("zero_")), "{names:?}");
    assert_eq!(migrations.current_version(&conn).unwrap(), 0);
    assert_eq!(migrations.status(&conn).unwrap().counts.pending, 4);
}

#[test]
fn a_data_migration_is_tested_on_rows_written_before_it() {
    let migrations = set(&[
        (
            "0001_people.sql",
            "CREATE TABLE dm_people (full_name TEXT);",
        ),
        (
            "0002_split_name.sql",
            "ALTER TABLE dm_people ADD COLUMN first TEXT;\nUPDATE dm_people SET first = substr(full_name, 1, instr(full_name, ' ') - 1);",
        ),
    ]);
    let mut conn = migrations.test_database_at(1).unwrap();
    conn.execute("INSERT INTO dm_people VALUES ('Ada Lovelace')", [])
        .unwrap();
    migrations.runner().target(2).run(&mut conn).unwrap();
    let first: String = conn
        .query_row("SELECT first FROM dm_people", [], |row| row.get(0))
        .unwrap();
    assert_eq!(first, "Ada");
}

#[test]
fn versions_outside_the_set_are_refused() {
    let migrations = tagged_set("range");
    for version in [-1, 5, i64::MAX, i64::MIN] {
        match migrations.test_database_at(version) {
            Err(Error::InvalidVersion { requested, reason }) => {
                assert_eq!(requested, version);
                assert!(reason.contains("0 to 4"), "{reason}");
            }
            other => panic!("version {version}: {:?}", other.map(|_| ())),
        }
    }
}

#[test]
fn parallel_first_calls_apply_the_set_once_per_version() {
    all_logs();
    let migrations = Arc::new(tagged_set("par"));
    const THREADS: usize = 16;
    let barrier = Arc::new(Barrier::new(THREADS));
    let handles: Vec<_> = (0..THREADS)
        .map(|i| {
            let migrations = Arc::clone(&migrations);
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || {
                // Versions 1..=4, four threads each, all released at once.
                let version = (i % 4) as i64 + 1;
                barrier.wait();
                let conn = migrations.test_database_at(version).unwrap();
                assert_eq!(migrations.current_version(&conn).unwrap(), version);
                assert_eq!(applied_versions(&conn), (1..=version).collect::<Vec<_>>());
                // Each thread writes its own row; it must see that one only.
                conn.execute(
                    "INSERT INTO par_people (id, name) VALUES (?1, 'thread')",
                    [100 + i as i64],
                )
                .unwrap();
                let mine: Vec<i64> = conn
                    .prepare("SELECT id FROM par_people WHERE id >= 100")
                    .unwrap()
                    .query_map([], |row| row.get(0))
                    .unwrap()
                    .collect::<Result<_, _>>()
                    .unwrap();
                assert_eq!(mine, [100 + i as i64], "thread {i}");
                version
            })
        })
        .collect();
    let mut versions: Vec<i64> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    versions.sort_unstable();
    assert_eq!(versions.len(), THREADS);
    for version in 1..=4 {
        assert_eq!(
            builds(&migrations, version),
            1,
            "the set was applied once for version {version}"
        );
    }
    assert_eq!(builds(&migrations, 0), 0, "no version was built unasked");
}

#[test]
fn distinct_sets_in_one_process_never_share_a_template() {
    all_logs();
    let sql = "CREATE TABLE twin (id INTEGER PRIMARY KEY);";
    // The same SQL, so the same history checksum, under different names.
    let left = set(&[("0001_twin.sql", sql)]);
    let right = set(&[("0001_other_name.sql", sql)]);
    assert_eq!(left.history_checksum(), right.history_checksum());
    let name = |conn: &Connection| -> String {
        conn.query_row("SELECT name FROM schema_migrations", [], |row| row.get(0))
            .unwrap()
    };
    assert_eq!(name(&left.test_database().unwrap()), "twin");
    assert_eq!(name(&right.test_database().unwrap()), "other_name");
    assert_eq!(name(&left.test_database().unwrap()), "twin");
    // Different SQL: different schemas.
    let a = tagged_set("seta");
    let b = tagged_set("setb");
    let (a_db, b_db) = (a.test_database().unwrap(), b.test_database().unwrap());
    assert!(tables(&a_db).contains(&"seta_people".to_owned()));
    assert!(!tables(&a_db).contains(&"setb_people".to_owned()));
    assert!(tables(&b_db).contains(&"setb_people".to_owned()));
    assert_eq!(builds(&a, 4), 1);
    assert_eq!(builds(&b, 4), 1);
}

#[test]
fn a_failed_build_is_returned_and_tried_again() {
    all_logs();
    let migrations = set(&[
        ("0001_things.sql", "CREATE TABLE fail_things (id INTEGER);"),
        ("0002_broken.sql", "INSERT INTO fail_missing VALUES (1);"),
    ]);
    for _ in 0..2 {
        match migrations.test_database() {
            Err(Error::Statement(failure)) => {
                assert_eq!(failure.migration.version, 2);
                assert!(failure.message.contains("fail_missing"), "{failure:?}");
            }
            other => panic!("{:?}", other.map(|_| ())),
        }
    }
    assert_eq!(builds(&migrations, 2), 0, "a failure is not a template");
    // The versions before the broken one still work.
    let conn = migrations.test_database_at(1).unwrap();
    assert_eq!(applied_versions(&conn), [1]);
    assert_eq!(builds(&migrations, 1), 1);
}
