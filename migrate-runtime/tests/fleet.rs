//! `Migrations::fleet` on real files: order of outcomes, events, missing files, the error
//! policies and the canary, runner options, dry runs, shards and `check`.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use migrate_runtime::rusqlite::Connection;
use migrate_runtime::{
    DatabaseStatus, Error, FleetEvent, Migrations, OnError, RunnerOptions, Shard,
};
use migrate_test_kit::{applied_versions, user_version};

fn set() -> Migrations {
    Migrations::from_files([
        ("0001_a.sql", "CREATE TABLE a (x INTEGER);"),
        ("0002_b.sql", "CREATE TABLE b (x INTEGER);"),
        (
            "0003_c.sql",
            "CREATE TABLE c (x INTEGER); INSERT INTO c VALUES (1);",
        ),
    ])
    .unwrap()
}

/// `n` empty databases in `dir`.
fn empty(dir: &Path, n: usize) -> Vec<PathBuf> {
    (0..n)
        .map(|i| {
            let path = dir.join(format!("db{i:03}.db"));
            Connection::open(&path)
                .unwrap()
                .execute_batch("PRAGMA user_version = 0")
                .unwrap();
            path
        })
        .collect()
}

fn corrupt(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, b"garbage, not SQLite ".repeat(100)).unwrap();
    path
}

#[test]
fn outcomes_come_in_the_order_given_with_one_finished_event_each() {
    let set = set();
    let dir = tempfile::tempdir().unwrap();
    let paths = empty(dir.path(), 40);
    let (started, finished) = (AtomicUsize::new(0), Mutex::new(Vec::new()));
    let report = set
        .fleet()
        .databases(paths.clone())
        .parallel(4)
        .on_event(|event| match event {
            FleetEvent::Started { .. } => {
                started.fetch_add(1, Ordering::Relaxed);
            }
            FleetEvent::Finished { position, outcome } => {
                assert_eq!(outcome.path, paths[position]);
                finished.lock().unwrap().push(position);
            }
            _ => {}
        })
        .run()
        .unwrap();
    let got: Vec<&PathBuf> = report.outcomes.iter().map(|o| &o.path).collect();
    assert_eq!(got, paths.iter().collect::<Vec<_>>());
    assert_eq!(started.load(Ordering::Relaxed), 40);
    let mut finished = finished.into_inner().unwrap();
    finished.sort_unstable();
    assert_eq!(finished, (0..40).collect::<Vec<_>>());
    assert!(report.is_success());
    assert_eq!(report.totals.applied, 40);
    assert_eq!(report.totals.migrations_applied, 120);
    assert_eq!(report.totals.versions.get(&3), Some(&40));
    for o in &report.outcomes {
        assert_eq!((o.from, o.to), (Some(0), Some(3)));
        assert_eq!(
            o.applied.iter().map(|a| a.version).collect::<Vec<_>>(),
            [1, 2, 3]
        );
    }
    // Again: one read each.
    let report = set.fleet().databases(paths).run().unwrap();
    assert_eq!(report.totals.up_to_date, 40);
    assert_eq!(report.totals.migrations_applied, 0);
}

#[test]
fn a_missing_file_fails_and_is_not_created_unless_asked() {
    let set = set();
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.db");
    let report = set.fleet().databases([missing.clone()]).run().unwrap();
    assert!(matches!(
        report.outcomes[0].error(),
        Some(Error::NoSuchDatabase { path }) if *path == missing
    ));
    assert!(!missing.exists());
    let report = set.fleet().databases([missing.clone()]).check().unwrap();
    assert!(report.outcomes[0].is_failed());
    // A dry run does not create it either.
    let report = set
        .fleet()
        .databases([missing.clone()])
        .create_missing(true)
        .runner_options(RunnerOptions::new().dry_run(true))
        .run()
        .unwrap();
    assert_eq!(report.outcomes[0].applied.len(), 3);
    assert!(!missing.exists());
    let report = set
        .fleet()
        .databases([missing.clone()])
        .create_missing(true)
        .run()
        .unwrap();
    assert_eq!(report.totals.applied, 1);
    assert_eq!(user_version(&Connection::open(&missing).unwrap()), 3);
}

#[test]
fn continue_goes_on_and_stop_starts_nothing_new() {
    let set = set();
    let dir = tempfile::tempdir().unwrap();
    let mut paths = vec![corrupt(dir.path(), "bad.db")];
    paths.extend(empty(dir.path(), 5));
    let report = set
        .fleet()
        .databases(paths.clone())
        .on_error(OnError::Continue)
        .parallel(1)
        .run()
        .unwrap();
    assert_eq!((report.totals.failed, report.totals.applied), (1, 5));
    assert!(matches!(
        report.outcomes[0].status,
        DatabaseStatus::Failed(Error::NotADatabase { .. })
    ));

    let dir = tempfile::tempdir().unwrap();
    let mut paths = vec![corrupt(dir.path(), "bad.db")];
    paths.extend(empty(dir.path(), 5));
    let report = set
        .fleet()
        .databases(paths.clone())
        .on_error(OnError::Stop)
        .parallel(1)
        .run()
        .unwrap();
    assert_eq!((report.totals.failed, report.totals.skipped), (1, 5));
    assert!(report.totals.stopped && !report.totals.canary_failed);
    assert!(!report.is_success());
    for path in &paths[1..] {
        assert_eq!(user_version(&Connection::open(path).unwrap()), 0);
    }
}

#[test]
fn a_failed_canary_stops_everything_and_a_good_one_lets_the_rest_go() {
    let set = set();
    let dir = tempfile::tempdir().unwrap();
    let mut paths = empty(dir.path(), 1);
    paths.push(corrupt(dir.path(), "bad.db"));
    let more: Vec<PathBuf> = (0..4)
        .map(|i| {
            let p = dir.path().join(format!("more{i}.db"));
            Connection::open(&p)
                .unwrap()
                .execute_batch("PRAGMA user_version = 0")
                .unwrap();
            p
        })
        .collect();
    paths.extend(more.iter().cloned());
    let report = set
        .fleet()
        .databases(paths.clone())
        .canary(2)
        .parallel(4)
        .run()
        .expect("a failed canary is in the report, not an error");
    assert!(report.totals.canary_failed && report.totals.stopped);
    assert_eq!(report.totals.applied, 1);
    assert_eq!(report.totals.skipped, 4);
    assert!(
        more.iter()
            .all(|p| user_version(&Connection::open(p).unwrap()) == 0)
    );

    // The corrupt file after a canary of two good ones: the rest goes on.
    paths.swap(1, 2);
    let report = set.fleet().databases(paths).canary(2).run().unwrap();
    assert!(!report.totals.canary_failed);
    assert_eq!((report.totals.failed, report.totals.skipped), (1, 0));
}

#[test]
fn runner_options_apply_to_every_database() {
    let set = set();
    let dir = tempfile::tempdir().unwrap();
    let paths = empty(dir.path(), 3);
    assert!(matches!(
        set.fleet()
            .databases(paths.clone())
            .runner_options(RunnerOptions::new().target(9))
            .run(),
        Err(Error::InvalidVersion { requested: 9, .. })
    ));
    let report = set
        .fleet()
        .databases(paths.clone())
        .runner_options(RunnerOptions::new().dry_run(true))
        .run()
        .unwrap();
    assert!(
        report
            .outcomes
            .iter()
            .all(|o| o.to == Some(0) && o.applied.len() == 3)
    );
    let report = set
        .fleet()
        .databases(paths.clone())
        .runner_options(RunnerOptions::new().target(2))
        .run()
        .unwrap();
    assert!(report.outcomes.iter().all(|o| o.to == Some(2)));
    for path in &paths {
        assert_eq!(applied_versions(&Connection::open(path).unwrap()), [1, 2]);
    }
    let report = set.fleet().databases(paths.clone()).check().unwrap();
    assert_eq!(report.totals.pending, 3);
    assert!(
        report
            .outcomes
            .iter()
            .all(|o| o.pending == 1 && o.from == Some(2))
    );
}

#[test]
fn check_reads_without_writing_and_reports_drift_as_a_failure() {
    let set = set();
    let dir = tempfile::tempdir().unwrap();
    let paths = empty(dir.path(), 2);
    let before: Vec<Vec<u8>> = paths.iter().map(|p| std::fs::read(p).unwrap()).collect();
    let report = set.fleet().databases(paths.clone()).check().unwrap();
    assert_eq!(report.totals.pending, 2);
    assert_eq!(report.outcomes[0].pending, 3);
    let after: Vec<Vec<u8>> = paths.iter().map(|p| std::fs::read(p).unwrap()).collect();
    assert_eq!(before, after);
    set.fleet().databases(paths.clone()).run().unwrap();
    Connection::open(&paths[1])
        .unwrap()
        .execute_batch(
            "UPDATE schema_migrations SET checksum = 'sha256:' || lower(hex(zeroblob(32))) WHERE version = 1",
        )
        .unwrap();
    let report = set.fleet().databases(paths).check().unwrap();
    assert!(matches!(
        report.outcomes[0].status,
        DatabaseStatus::UpToDate
    ));
    assert!(matches!(report.outcomes[1].error(), Some(Error::Drift(_))));
}

#[test]
fn shards_take_disjoint_shares_that_cover_the_fleet() {
    let set = set();
    let dir = tempfile::tempdir().unwrap();
    let paths = empty(dir.path(), 30);
    let mut seen = Vec::new();
    for i in 1..=3 {
        let report = set
            .fleet()
            .databases(paths.clone())
            .shard(Shard::new(i, 3).unwrap())
            .run()
            .unwrap();
        seen.extend(report.outcomes.into_iter().map(|o| o.path));
    }
    seen.sort();
    assert_eq!(seen, paths);
}
