//! The operator's tools on real SQLite files: status, version, history, rollback_to,
//! baseline, repair and restore_backup.

use std::path::Path;

use migrate_runtime::rusqlite::{self, Connection};
use migrate_runtime::{
    BackupTarget, Error, HistoryEvent, MigrationState, Migrations, RollbackOptions,
};
use migrate_test_kit::{Db, Journal, rows_of, user_dump as dump, user_version};

/// A set of three migrations; `down` says which versions get a down file.
fn shop(down: &[i64]) -> Migrations {
    let mut files = vec![
        (
            "0001_people.sql",
            "CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\nINSERT INTO people (name) VALUES ('ada'), ('grace');",
        ),
        (
            "0002_pets.sql",
            "CREATE TABLE pets (id INTEGER PRIMARY KEY, owner INTEGER NOT NULL REFERENCES people (id), name TEXT);\nINSERT INTO pets (owner, name) VALUES (1, 'rex');",
        ),
        (
            "0003_pet_index.sql",
            "CREATE INDEX pets_by_owner ON pets (owner);",
        ),
    ];
    let downs = [
        (1, "0001_people.down.sql", "DROP TABLE people;"),
        (2, "0002_pets.down.sql", "DROP TABLE pets;"),
        (3, "0003_pet_index.down.sql", "DROP INDEX pets_by_owner;"),
    ];
    for (version, name, sql) in downs {
        if down.contains(&version) {
            files.push((name, sql));
        }
    }
    Migrations::from_files(files).expect("a valid set")
}

/// A path for a new database whose connections turn foreign keys on.
fn database() -> Db {
    Db::fresh().with_foreign_keys()
}

/// The user data plus the tracking tables: everything an operation could change.
fn everything(conn: &Connection) -> Vec<String> {
    let mut out = dump(conn);
    for table in [
        "schema_migrations",
        "schema_migrations_state",
        "schema_migrations_history",
    ] {
        out.extend(rows_of(conn, &format!("SELECT * FROM {table} ORDER BY 1")));
    }
    out.push(format!("user_version {}", user_version(conn)));
    out
}

fn events(migrations: &Migrations, conn: &Connection) -> Vec<(HistoryEvent, Option<i64>)> {
    migrations
        .history(conn)
        .unwrap()
        .into_iter()
        .map(|e| (e.event, e.version))
        .collect()
}

#[test]
fn status_of_a_database_never_migrated_is_all_pending_and_creates_nothing() {
    let db = database();
    let set = shop(&[]);
    let conn = db.open();
    let status = set.status(&conn).unwrap();
    assert_eq!(status.current_version, 0);
    assert_eq!(status.latest_version, 3);
    assert_eq!(status.counts.pending, 3);
    assert_eq!(status.counts.applied, 0);
    assert!(
        status
            .migrations
            .iter()
            .all(|m| m.state == MigrationState::Pending && m.applied_at.is_none())
    );
    assert!(!status.is_up_to_date());
    assert_eq!(set.current_version(&conn).unwrap(), 0);
    assert!(set.history(&conn).unwrap().is_empty());
    let objects: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_schema", [], |row| row.get(0))
        .unwrap();
    assert_eq!(objects, 0, "status must not create the tracking tables");
    drop(conn);
    assert_eq!(std::fs::metadata(&db.path).unwrap().len(), 0);
}

#[test]
fn status_works_on_a_read_only_connection() {
    let db = database();
    let set = shop(&[]);
    set.runner().target(2).run(&mut db.open()).unwrap();
    let conn =
        Connection::open_with_flags(&db.path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let status = set.status(&conn).unwrap();
    assert_eq!(status.current_version, 2);
    assert_eq!((status.counts.applied, status.counts.pending), (2, 1));
    let applied = &status.migrations[0];
    assert_eq!(applied.state, MigrationState::Applied);
    assert!(applied.applied_at.as_deref().unwrap().ends_with('Z'));
    assert!(applied.duration.is_some());
    assert_eq!(applied.file.as_deref(), Some("0001_people.sql"));
}

#[test]
fn status_reports_drift_unknown_versions_holes_and_incomplete_migrations() {
    let db = database();
    let mut conn = db.open();
    shop(&[]).run(&mut conn).unwrap();
    conn.execute_batch(
        "UPDATE schema_migrations SET checksum = 'sha256:0000' WHERE version = 1;
         INSERT INTO schema_migrations (version, name, checksum, applied_at, execution_time_ms, history_checksum)
             VALUES (9, 'from_the_future', 'sha256:1111', '2030-01-01T00:00:00.000Z', 5, '');
         DELETE FROM schema_migrations WHERE version = 2;",
    )
    .unwrap();
    let status = shop(&[]).status(&conn).unwrap();
    let states: Vec<_> = status
        .migrations
        .iter()
        .map(|m| (m.version, m.state))
        .collect();
    assert_eq!(
        states,
        [
            (1, MigrationState::Drifted),
            (2, MigrationState::Pending),
            (3, MigrationState::Applied),
            (9, MigrationState::Unknown),
        ]
    );
    assert_eq!(status.holes, [2]);
    assert_eq!(status.current_version, 9);
    assert_eq!(status.migrations[3].name, "from_the_future");
    assert_eq!(status.migrations[3].file, None);
    assert_eq!(
        status.migrations[0]
            .applied_checksum
            .as_ref()
            .map(ToString::to_string)
            .as_deref(),
        Some("sha256:0000")
    );
    let c = status.counts;
    assert_eq!(
        (c.applied, c.pending, c.drifted, c.unknown, c.incomplete),
        (1, 1, 1, 1, 0)
    );

    // A no-transaction migration that fails at its second statement is incomplete.
    let db = database();
    let mut conn = db.open();
    let set = Migrations::from_files([
        ("1_a.sql", "CREATE TABLE a (x);"),
        (
            "2_b.sql",
            "-- migrate:no-transaction\nCREATE TABLE b (x);\nINSERT INTO missing VALUES (1);\n",
        ),
    ])
    .unwrap();
    assert!(set.run(&mut conn).is_err());
    let status = set.status(&conn).unwrap();
    let b = &status.migrations[1];
    assert_eq!(b.state, MigrationState::Incomplete);
    assert!(
        b.error.as_deref().unwrap().contains("no such table"),
        "{b:?}"
    );
    assert!(
        b.detail
            .as_deref()
            .unwrap()
            .starts_with("1 of 2 statements ran"),
        "{b:?}"
    );
}

#[test]
fn rollback_runs_down_files_newest_first_and_matches_the_earlier_state() {
    let set = shop(&[1, 2, 3]);
    let reference = database();
    let mut conn = reference.open();
    set.runner().target(1).run(&mut conn).unwrap();
    let at_one = dump(&conn);

    let db = database();
    let mut conn = db.open();
    set.run(&mut conn).unwrap();
    let report = set.rollback_to(&mut conn, 1).unwrap();
    let files: Vec<_> = report.rolled_back.iter().map(|m| m.file.as_str()).collect();
    assert_eq!(files, ["0003_pet_index.down.sql", "0002_pets.down.sql"]);
    assert_eq!(report.current_version, 1);
    assert_eq!(dump(&conn), at_one);
    assert_eq!(set.current_version(&conn).unwrap(), 1);
    assert_eq!(user_version(&conn), 1);
    let foreign_keys: bool = conn
        .query_row("PRAGMA foreign_keys", [], |row| row.get(0))
        .unwrap();
    assert!(
        foreign_keys,
        "the connection's foreign_keys setting is restored"
    );

    // Applying again after the rollback: the same as a straight apply.
    let report = set.run(&mut conn).unwrap();
    assert_eq!(report.applied.len(), 2);
    let straight = database();
    let mut straight_conn = straight.open();
    set.run(&mut straight_conn).unwrap();
    assert_eq!(dump(&conn), dump(&straight_conn));
    // And the state row is consistent: the next run has nothing to do.
    assert!(set.run(&mut conn).unwrap().is_empty());

    // Rolling back to the current version or above does nothing.
    let before = everything(&conn);
    assert!(
        set.rollback_to(&mut conn, 3)
            .unwrap()
            .rolled_back
            .is_empty()
    );
    assert!(
        set.rollback_to(&mut conn, 7)
            .unwrap()
            .rolled_back
            .is_empty()
    );
    assert_eq!(everything(&conn), before);
    assert!(matches!(
        set.rollback_to(&mut conn, -1),
        Err(Error::InvalidVersion { requested: -1, .. })
    ));
}

#[test]
fn rollback_refuses_before_doing_anything_when_a_down_file_is_missing() {
    let set = shop(&[1, 3]);
    let db = database();
    let mut conn = db.open();
    set.run(&mut conn).unwrap();
    let before = everything(&conn);
    let error = set.rollback_to(&mut conn, 0).unwrap_err();
    match &error {
        Error::MissingDown(missing) => {
            let named: Vec<_> = missing.iter().map(|m| m.file.as_str()).collect();
            assert_eq!(named, ["0002_pets.sql"]);
        }
        other => panic!("expected MissingDown, got {other:?}"),
    }
    assert!(error.to_string().contains("0002_pets.sql"), "{error}");
    // Migration 3 has a down file but was not rolled back either.
    assert_eq!(everything(&conn), before);
    // Within the range that has down files, it works.
    set.rollback_to(&mut conn, 2).unwrap();
    assert_eq!(set.current_version(&conn).unwrap(), 2);
}

#[test]
fn rollback_refuses_a_changed_migration_and_an_unknown_version() {
    let db = database();
    let mut conn = db.open();
    shop(&[1, 2, 3]).run(&mut conn).unwrap();
    conn.execute(
        "UPDATE schema_migrations SET checksum = 'sha256:00' WHERE version = 3",
        [],
    )
    .unwrap();
    let before = everything(&conn);
    assert!(matches!(
        shop(&[1, 2, 3]).rollback_to(&mut conn, 1),
        Err(Error::Drift(d)) if d.len() == 1 && d[0].migration.version == 3
    ));
    assert_eq!(everything(&conn), before);

    // A build that only knows versions 1 and 2 cannot roll back version 3.
    let older = Migrations::from_files([
        ("0001_people.sql", "CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\nINSERT INTO people (name) VALUES ('ada'), ('grace');"),
        ("0001_people.down.sql", "DROP TABLE people;"),
    ])
    .unwrap();
    assert!(matches!(
        older.rollback_to(&mut conn, 0),
        Err(Error::MissingDown(m)) if m.iter().map(|m| m.version).collect::<Vec<_>>() == [2, 3]
    ));
    assert_eq!(everything(&conn), before);
}

#[test]
fn a_failing_down_file_keeps_its_migration_applied_and_is_recorded() {
    let set = Migrations::from_files([
        ("1_a.sql", "CREATE TABLE a (x);"),
        ("1_a.down.sql", "DROP TABLE a;"),
        ("2_b.sql", "CREATE TABLE b (x);"),
        ("2_b.down.sql", "DROP TABLE b;\nDROP TABLE not_there;"),
        ("3_c.sql", "CREATE TABLE c (x);"),
        ("3_c.down.sql", "DROP TABLE c;"),
    ])
    .unwrap();
    let db = database();
    let mut conn = db.open();
    set.run(&mut conn).unwrap();
    let error = set.rollback_to(&mut conn, 0).unwrap_err();
    assert_eq!(
        error.to_string(),
        "migration 2 (2_b.down.sql) failed at statement 2 (line 2): no such table: not_there"
    );
    assert_eq!(error.applied_before_failure(), [3]);
    assert_eq!(set.current_version(&conn).unwrap(), 2);
    let tables = rows_of(
        &conn,
        "SELECT name FROM sqlite_schema WHERE name IN ('a', 'b', 'c') ORDER BY name",
    );
    assert_eq!(tables, ["Text(\"a\")", "Text(\"b\")"]);
    let history = set.history(&conn).unwrap();
    let last = history.last().unwrap();
    assert_eq!((last.event, last.version), (HistoryEvent::Failed, Some(2)));
    assert!(last.detail.as_deref().unwrap().starts_with("rollback: "));
    // The database is consistent: applying again brings 3 back.
    assert_eq!(set.run(&mut conn).unwrap().applied[0].version, 3);
}

#[test]
fn history_lists_every_event_in_time_order() {
    let good = shop(&[1, 2, 3]);
    let db = database();
    let mut conn = db.open();
    good.runner().target(2).run(&mut conn).unwrap();
    // A build whose migration 3 fails.
    let broken = Migrations::from_files([
        ("0001_people.sql", good.get(1).unwrap().sql()),
        ("0002_pets.sql", good.get(2).unwrap().sql()),
        ("0003_pet_index.sql", "CREATE INDEX x ON nowhere (y);"),
    ])
    .unwrap();
    assert!(broken.run(&mut conn).is_err());
    good.run(&mut conn).unwrap();
    good.rollback_to(&mut conn, 1).unwrap();
    conn.execute(
        "UPDATE schema_migrations SET checksum = 'sha256:00' WHERE version = 1",
        [],
    )
    .unwrap();
    good.repair(&mut conn).unwrap();

    let history = good.history(&conn).unwrap();
    let kinds: Vec<_> = history.iter().map(|e| (e.event, e.version)).collect();
    assert_eq!(
        kinds,
        [
            (HistoryEvent::Applied, Some(1)),
            (HistoryEvent::Applied, Some(2)),
            (HistoryEvent::Failed, Some(3)),
            (HistoryEvent::Applied, Some(3)),
            (HistoryEvent::RolledBack, Some(3)),
            (HistoryEvent::RolledBack, Some(2)),
            (HistoryEvent::Repaired, Some(1)),
        ]
    );
    assert!(
        history
            .windows(2)
            .all(|w| w[0].id < w[1].id && w[1].at.ends_with('Z'))
    );
    assert!(history[2].detail.as_deref().unwrap().contains("nowhere"));
    assert!(history[4].duration.is_some());
    assert_eq!(
        history[4].detail.as_deref(),
        Some("ran 0003_pet_index.down.sql")
    );
}

#[test]
fn repair_accepts_changed_checksums_and_writes_history() {
    let original = Migrations::from_files([
        ("1_a.sql", "CREATE TABLE a (x);"),
        ("2_b.sql", "CREATE TABLE b (x);"),
        ("3_c.sql", "CREATE TABLE c (x);"),
    ])
    .unwrap();
    let edited = Migrations::from_files([
        ("1_a.sql", "CREATE TABLE a (x); -- a comment added later"),
        ("2_b.sql", "CREATE TABLE b (x);"),
        ("3_c.sql", "CREATE TABLE c (x);"),
    ])
    .unwrap();
    let db = database();
    let mut conn = db.open();
    original.run(&mut conn).unwrap();
    assert!(matches!(edited.run(&mut conn), Err(Error::Drift(_))));
    assert_eq!(
        edited.status(&conn).unwrap().migrations[0].state,
        MigrationState::Drifted
    );

    let report = edited.repair(&mut conn).unwrap();
    assert_eq!(report.accepted.len(), 1);
    assert_eq!(report.accepted[0].migration.version, 1);
    assert_eq!(
        report.accepted[0].applied.to_string(),
        original.get(1).unwrap().checksum().to_string()
    );
    assert!(edited.status(&conn).unwrap().is_up_to_date());
    // The state row is verified again: the fast path sees nothing to do.
    let verified: bool = conn
        .query_row("SELECT verified FROM schema_migrations_state", [], |row| {
            row.get(0)
        })
        .unwrap();
    assert!(verified);
    assert!(edited.run(&mut conn).unwrap().is_empty());
    // Every row's history checksum was rewritten: a full validation agrees too.
    conn.execute("UPDATE schema_migrations_state SET verified = 0", [])
        .unwrap();
    assert!(edited.run(&mut conn).unwrap().is_empty());

    let last = edited.history(&conn).unwrap().pop().unwrap();
    assert_eq!(last.event, HistoryEvent::Repaired);
    assert_eq!(last.version, Some(1));
    assert_eq!(
        last.checksum.as_ref().map(ToString::to_string),
        Some(edited.get(1).unwrap().checksum().to_string())
    );
    assert!(
        last.detail
            .unwrap()
            .contains(&original.get(1).unwrap().checksum().to_string())
    );

    // Nothing to repair: nothing changes.
    let before = everything(&conn);
    assert!(edited.repair(&mut conn).unwrap().is_empty());
    assert_eq!(everything(&conn), before);
}

#[test]
fn repair_records_an_incomplete_migration_whose_run_statements_changed() {
    let failing = Migrations::from_files([(
        "1_wal.sql",
        "-- migrate:no-transaction\nCREATE TABLE a (x);\nCREATE TABLE b (x) oops;\n",
    )])
    .unwrap();
    let db = database();
    let mut conn = db.open();
    assert!(failing.run(&mut conn).is_err());
    // The operator finished it by hand, and edited the statement that had run.
    conn.execute_batch("CREATE TABLE b (x);").unwrap();
    let edited = Migrations::from_files([(
        "1_wal.sql",
        "-- migrate:no-transaction\nCREATE TABLE a (x, y);\nCREATE TABLE b (x);\n",
    )])
    .unwrap();
    assert!(matches!(
        edited.run(&mut conn),
        Err(Error::IncompleteEdited { .. })
    ));
    let report = edited.repair(&mut conn).unwrap();
    assert_eq!(report.recorded.len(), 1);
    assert!(edited.status(&conn).unwrap().is_up_to_date());
    assert!(edited.run(&mut conn).unwrap().is_empty());
    assert_eq!(user_version(&conn), 1);

    // An incomplete migration that can still be resumed is left alone.
    let db = database();
    let mut conn = db.open();
    assert!(failing.run(&mut conn).is_err());
    assert!(failing.repair(&mut conn).unwrap().is_empty());
    assert_eq!(
        failing.status(&conn).unwrap().migrations[0].state,
        MigrationState::Incomplete
    );
}

#[test]
fn baseline_adopts_a_database_built_by_hand() {
    let set = shop(&[1, 2, 3]);
    let db = database();
    let mut conn = db.open();
    conn.execute_batch(set.get(1).unwrap().sql()).unwrap();
    conn.execute_batch(set.get(2).unwrap().sql()).unwrap();
    assert!(matches!(
        set.baseline(&mut conn, 0),
        Err(Error::InvalidVersion { requested: 0, .. })
    ));
    assert!(matches!(
        set.baseline(&mut conn, 4),
        Err(Error::InvalidVersion { requested: 4, .. })
    ));
    set.baseline(&mut conn, 2).unwrap();
    let status = set.status(&conn).unwrap();
    assert_eq!(status.current_version, 2);
    assert_eq!((status.counts.applied, status.counts.pending), (2, 1));
    assert_eq!(user_version(&conn), 2);
    assert_eq!(events(&set, &conn), [(HistoryEvent::Baselined, Some(2))]);
    let report = set.run(&mut conn).unwrap();
    assert_eq!(report.applied.len(), 1);
    assert_eq!(report.applied[0].version, 3);

    // Straight apply and baseline + apply end in the same place.
    let straight = database();
    let mut straight_conn = straight.open();
    set.run(&mut straight_conn).unwrap();
    assert_eq!(dump(&conn), dump(&straight_conn));

    let before = everything(&conn);
    assert!(matches!(
        set.baseline(&mut conn, 1),
        Err(Error::AlreadyTracked { current_version: 3 })
    ));
    assert_eq!(everything(&conn), before);
}

#[test]
fn restore_brings_back_a_backup() {
    let set = shop(&[]);
    let db = database();
    let mut conn = db.open();
    set.runner().target(1).run(&mut conn).unwrap();
    conn.execute("INSERT INTO people (name) VALUES ('linus')", [])
        .unwrap();
    let original = everything(&conn);
    let backup = db.path.with_extension("backup");
    let report = set
        .runner()
        .backup(BackupTarget::Path(backup.clone()))
        .run(&mut conn)
        .unwrap();
    assert_eq!(report.backup.as_deref(), Some(backup.as_path()));
    assert_ne!(everything(&conn), original);

    migrate_runtime::restore_backup(&mut conn, &backup).unwrap();
    assert_eq!(everything(&conn), original);
    drop(conn);
    // Seen from a new connection as well.
    assert_eq!(everything(&db.open()), original);
}

#[test]
fn restoring_a_backup_of_a_wal_database_leaves_nothing_beside_the_backup() {
    let set = shop(&[]);
    let db = Db::new(Journal::Wal);
    let mut conn = db.open();
    set.runner().target(1).run(&mut conn).unwrap();
    let original = everything(&conn);
    // A name a URI must escape.
    let backup = db.path.with_file_name("a 100% ?#backup");
    set.runner()
        .backup(BackupTarget::Path(backup.clone()))
        .run(&mut conn)
        .unwrap();
    migrate_runtime::restore_backup(&mut conn, &backup).unwrap();
    assert_eq!(everything(&conn), original);
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |row| row.get(0))
        .unwrap();
    assert_eq!(mode, "wal", "the restored database keeps its journal mode");
    let beside: Vec<String> = std::fs::read_dir(backup.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with(&*backup.file_name().unwrap().to_string_lossy()))
        .collect();
    assert_eq!(
        beside,
        [backup.file_name().unwrap().to_string_lossy()],
        "{beside:?}"
    );
}

#[test]
fn restore_refuses_a_missing_file_and_a_file_that_is_not_a_database() {
    let db = database();
    let mut conn = db.open();
    shop(&[]).run(&mut conn).unwrap();
    let before = everything(&conn);
    let missing = db.path.with_extension("nope");
    assert!(matches!(
        migrate_runtime::restore_backup(&mut conn, &missing),
        Err(Error::BackupNotFound { ref path }) if path == &missing
    ));
    assert!(!missing.exists(), "restore must not create the backup file");
    let junk = db.path.with_extension("junk");
    std::fs::write(&junk, vec![b'x'; 4096]).unwrap();
    let error = migrate_runtime::restore_backup(&mut conn, &junk).unwrap_err();
    assert!(
        matches!(&error, Error::NotADatabase { path } if path == &junk),
        "{error:?}"
    );
    assert_eq!(everything(&conn), before);
    assert!(Path::new(&junk).exists());
}

/// The migrator lock file of `db`, held as another migrator would hold it.
fn hold_migrator_lock(db: &Db) -> std::fs::File {
    let lock =
        std::fs::File::create(migrate_test_kit::with_suffix(&db.path, ".migrate-lock")).unwrap();
    lock.lock().unwrap();
    lock
}

#[test]
fn rollback_with_a_backup_writes_it_after_the_checks_and_names_it() {
    let set = shop(&[2, 3]);
    let db = database();
    let mut conn = db.open();
    set.run(&mut conn).unwrap();
    let at_3 = everything(&conn);

    // A refused rollback writes no backup.
    let backup = db.dir.path().join("before.db");
    let options = RollbackOptions::new().backup(BackupTarget::Path(backup.clone()));
    assert!(matches!(
        set.rollback_to_with(&mut conn, 0, &options),
        Err(Error::MissingDown(_))
    ));
    assert!(!backup.exists());
    // Nothing to roll back: no backup either.
    let report = set.rollback_to_with(&mut conn, 3, &options).unwrap();
    assert_eq!((report.backup, report.rolled_back.len()), (None, 0));
    assert!(!backup.exists());

    let report = set.rollback_to_with(&mut conn, 1, &options).unwrap();
    assert_eq!(report.backup.as_deref(), Some(backup.as_path()));
    assert_eq!(report.current_version, 1);
    assert_eq!(everything(&Connection::open(&backup).unwrap()), at_3);
}

#[test]
fn lock_timeouts_give_up_on_another_migrator_with_locked() {
    let set = shop(&[1, 2, 3]);
    let db = database();
    let mut conn = db.open();
    set.runner().target(2).run(&mut conn).unwrap();
    let before = everything(&conn);
    let lock = hold_migrator_lock(&db);
    let patience = std::time::Duration::from_millis(200);

    let started = std::time::Instant::now();
    let error = set
        .runner()
        .lock_timeout(patience)
        .run(&mut conn)
        .unwrap_err();
    assert!(matches!(error, Error::Locked { .. }), "{error:?}");
    assert!(started.elapsed() >= patience);
    let options = RollbackOptions::new().lock_timeout(patience);
    let error = set.rollback_to_with(&mut conn, 0, &options).unwrap_err();
    assert!(matches!(error, Error::Locked { .. }), "{error:?}");
    assert_eq!(everything(&conn), before);

    drop(lock);
    set.runner().lock_timeout(patience).run(&mut conn).unwrap();
    assert_eq!(set.current_version(&conn).unwrap(), 3);
}
