//! Properties about processes, tested with real processes: the test binary starts copies of
//! itself (`std::env::current_exe()`) that run one child test each. The child tests do nothing
//! unless the environment variable `MIGRATE_TEST_CHILD` names their role.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Barrier};
use std::time::Duration;

use migrate_runtime::rusqlite::Connection;
use migrate_runtime::{Error, Migrations};
use migrate_test_kit::{Db, Journal, applied_versions, count, with_suffix};

static CONCURRENT: Migrations = migrate_runtime::embed_migrations!("tests/sets/concurrent");

const ROLE: &str = "MIGRATE_TEST_CHILD";
const DB: &str = "MIGRATE_TEST_DB";
const READY: &str = "MIGRATE_TEST_READY";
const GO: &str = "MIGRATE_TEST_GO";
const PROCESSES: usize = 8;
const SET: &str = "MIGRATE_TEST_SET";

/// The concurrent set plus a sixth, no-transaction migration that switches the database to WAL.
fn switching_to_wal() -> Migrations {
    let mut files: Vec<(String, String)> = CONCURRENT
        .iter()
        .map(|m| (m.file_name().to_owned(), m.sql().to_owned()))
        .collect();
    files.push((
        "0006_switch_to_wal.sql".to_owned(),
        "-- migrate:no-transaction\nPRAGMA journal_mode = WAL;\nINSERT INTO runs (version, note) VALUES (6, 'switch to wal');\n".to_owned(),
    ));
    Migrations::from_files(files).expect("valid set")
}

fn role() -> Option<String> {
    std::env::var(ROLE).ok()
}

fn env_path(name: &str) -> PathBuf {
    PathBuf::from(std::env::var_os(name).unwrap_or_else(|| panic!("{name} is not set")))
}

/// Starts a copy of this test binary that runs only the test `child`.
fn spawn_child(child: &str, role: &str, envs: &[(&str, &Path)]) -> std::process::Child {
    let mut command = Command::new(std::env::current_exe().expect("current_exe"));
    command
        .args(["--exact", child, "--nocapture", "--test-threads=1"])
        .env(ROLE, role)
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (name, value) in envs {
        command.env(name, value);
    }
    command.spawn().expect("spawn child")
}

fn text(output: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

// ---------------------------------------------------------------------------------------------
// Eight processes at once
// ---------------------------------------------------------------------------------------------

/// Child: announces it is ready, waits for the go file, runs the migrations and prints the
/// versions it applied.
#[test]
fn child_migrate() {
    if role().as_deref() != Some("migrate") {
        return;
    }
    let db = env_path(DB);
    let go = env_path(GO);
    std::fs::write(env_path(READY), b"ready").expect("ready file");
    // The parent creates the go file once every child is ready; give up after a minute so a
    // dead parent cannot leave children behind.
    let mut waited = 0;
    while !go.exists() {
        assert!(waited < 60_000, "no go file");
        std::thread::sleep(Duration::from_millis(1));
        waited += 1;
    }
    let switching;
    let set = match std::env::var(SET).as_deref() {
        Ok("switching") => {
            switching = switching_to_wal();
            &switching
        }
        _ => &CONCURRENT,
    };
    let mut conn = Connection::open(&db).expect("open");
    match set.run(&mut conn) {
        Ok(report) => {
            let versions: Vec<i64> = report.applied.iter().map(|a| a.version).collect();
            println!("APPLIED {versions:?}");
        }
        Err(e) => panic!("run failed: {e} ({e:?})"),
    }
}

/// Checks the database after concurrent runs: every migration applied once, its effects
/// present once.
fn assert_applied_once(path: &Path, applied_by: &[Vec<i64>], latest: i64) {
    // Each version was applied by exactly one of the runs, the others found nothing to do.
    let mut all: Vec<i64> = applied_by.iter().flatten().copied().collect();
    all.sort_unstable();
    let every: Vec<i64> = (1..=latest).collect();
    assert_eq!(all, every, "applied by the runs: {applied_by:?}");

    let conn = Connection::open(path).expect("open");
    assert_eq!(applied_versions(&conn), every);
    assert_eq!(
        count(&conn, "SELECT count(*) FROM schema_migrations"),
        latest,
        "one row per version"
    );
    let runs: Vec<(i64, String)> = conn
        .prepare("SELECT version, note FROM runs ORDER BY version, note")
        .unwrap()
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let expected: Vec<(i64, String)> = [
        (1, "create runs"),
        (2, "fill numbers"),
        (3, "index squares"),
        (4, "first statement"),
        (4, "last statement"),
        (5, "add counter"),
        (6, "switch to wal"),
    ]
    .into_iter()
    .filter(|(v, _)| *v <= latest)
    .map(|(v, n)| (v, n.to_owned()))
    .collect();
    assert_eq!(runs, expected);
    assert_eq!(count(&conn, "SELECT count(*) FROM numbers"), 50_000);
    assert_eq!(count(&conn, "SELECT count(*) FROM totals"), 1);
    assert_eq!(count(&conn, "SELECT total FROM totals"), 50_000);
    assert_eq!(count(&conn, "SELECT count(*) FROM counter"), 1);
    assert_eq!(count(&conn, "PRAGMA user_version"), latest);
    assert_eq!(
        count(
            &conn,
            "SELECT count(*) FROM schema_migrations_history WHERE event = 'applied'"
        ),
        latest
    );
    assert_eq!(
        count(
            &conn,
            "SELECT count(*) FROM schema_migrations_history WHERE event <> 'applied'"
        ),
        0
    );
    assert_eq!(
        count(&conn, "SELECT count(*) FROM schema_migrations_progress"),
        0
    );
}

fn eight_processes(db: &Db, set: &str, latest: i64) {
    let dir = db.dir.path();
    let go = dir.join("go");
    let ready: Vec<PathBuf> = (0..PROCESSES)
        .map(|i| dir.join(format!("ready-{i}")))
        .collect();
    let children: Vec<_> = ready
        .iter()
        .map(|ready| {
            spawn_child(
                "child_migrate",
                "migrate",
                &[
                    (DB, &db.path),
                    (READY, ready),
                    (GO, &go),
                    (SET, Path::new(set)),
                ],
            )
        })
        .collect();
    // Release them together once every one is waiting.
    let mut waited = 0;
    while !ready.iter().all(|r| r.exists()) {
        assert!(waited < 60_000, "children did not start");
        std::thread::sleep(Duration::from_millis(1));
        waited += 1;
    }
    std::fs::write(&go, b"go").unwrap();

    let mut applied_by = Vec::new();
    for child in children {
        let output = child.wait_with_output().expect("wait for child");
        let (stdout, stderr) = text(&output);
        assert!(
            output.status.success(),
            "child failed ({}):\n{stdout}\n{stderr}",
            output.status
        );
        assert!(
            !stdout.contains("database is locked") && !stderr.contains("database is locked"),
            "{stdout}\n{stderr}"
        );
        let reports: Vec<&str> = stdout
            .lines()
            // The harness prints `test child_migrate ... ` on the same line.
            .filter_map(|l| l.split_once("APPLIED ").map(|(_, versions)| versions))
            .collect();
        assert_eq!(reports.len(), 1, "the child test ran once:\n{stdout}");
        applied_by.push(parse_versions(reports[0]));
    }
    assert_applied_once(&db.path, &applied_by, latest);
}

fn parse_versions(list: &str) -> Vec<i64> {
    list.trim()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.trim().parse().expect("a version"))
        .collect()
}

#[test]
fn eight_processes_on_a_new_file_apply_each_migration_once() {
    // No file yet: the processes race to create it too.
    eight_processes(&Db::fresh(), "concurrent", 5);
}

#[test]
fn eight_processes_on_a_wal_file_apply_each_migration_once() {
    eight_processes(&Db::new(Journal::Wal), "concurrent", 5);
}

#[test]
fn eight_processes_on_a_set_that_switches_to_wal_apply_each_migration_once() {
    let db = Db::fresh();
    eight_processes(&db, "switching", 6);
    let conn = Connection::open(&db.path).unwrap();
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |row| row.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
}

fn eight_threads(db: &Db) {
    let barrier = Arc::new(Barrier::new(PROCESSES));
    let threads: Vec<_> = (0..PROCESSES)
        .map(|_| {
            let barrier = Arc::clone(&barrier);
            let path = db.path.clone();
            std::thread::spawn(move || -> Result<Vec<i64>, Error> {
                let mut conn = Connection::open(&path)?;
                barrier.wait();
                let report = CONCURRENT.run(&mut conn)?;
                Ok(report.applied.iter().map(|a| a.version).collect())
            })
        })
        .collect();
    let applied_by: Vec<Vec<i64>> = threads
        .into_iter()
        .map(|t| match t.join().expect("thread panicked") {
            Ok(versions) => versions,
            Err(e) => panic!("run failed: {e} ({e:?})"),
        })
        .collect();
    assert_applied_once(&db.path, &applied_by, 5);
}

#[test]
fn eight_threads_with_their_own_connections_apply_each_migration_once() {
    eight_threads(&Db::fresh());
}

#[test]
fn eight_threads_on_a_wal_file_apply_each_migration_once() {
    eight_threads(&Db::new(Journal::Wal));
}

// ---------------------------------------------------------------------------------------------
// The library prints nothing
// ---------------------------------------------------------------------------------------------

const BEGIN: &str = "<<<library calls begin>>>";
const END: &str = "<<<library calls end>>>";

/// Child: exercises the library (success, failure, dry run, no-op, lock wait) between two
/// markers on standard output, with no logger installed.
#[test]
fn child_silent() {
    use std::io::Write;

    if role().as_deref() != Some("silent") {
        return;
    }
    let db = env_path(DB);
    let broken = Migrations::from_files([
        ("1_one.sql", "CREATE TABLE one (x);"),
        ("2_two.sql", "INSERT INTO nowhere VALUES (1);"),
        (
            "3_three.sql",
            "-- migrate:no-transaction\nVACUUM;\nINSERT INTO nowhere VALUES (1);",
        ),
    ])
    .expect("valid set");
    println!("{BEGIN}");
    std::io::stdout().flush().unwrap();

    let mut conn = Connection::open(&db).expect("open");
    CONCURRENT
        .runner()
        .dry_run(true)
        .run(&mut conn)
        .expect("dry run");
    CONCURRENT.run(&mut conn).expect("run");
    CONCURRENT.run(&mut conn).expect("no-op");
    let mut other = Connection::open(db.with_extension("other")).expect("open");
    broken.run(&mut other).expect_err("2 fails");
    broken
        .runner()
        .allow_holes(true)
        .run(&mut other)
        .expect_err("2 fails again");
    let _ = broken
        .runner()
        .target(7)
        .run(&mut other)
        .expect_err("no version 7");
    let third = db.with_extension("third");
    let holder = Connection::open(&third).expect("open");
    holder.execute_batch("BEGIN IMMEDIATE").unwrap();
    let mut waiting = Connection::open(&third).expect("open");
    waiting.busy_timeout(Duration::from_millis(50)).unwrap();
    let locked = broken.run(&mut waiting).expect_err("locked");
    assert!(matches!(locked, Error::Locked { .. }), "{locked:?}");
    let mut memory = Connection::open_in_memory().unwrap();
    CONCURRENT
        .runner()
        .target(3)
        .run(&mut memory)
        .expect("in memory");

    std::io::stdout().flush().unwrap();
    println!("{END}");
}

#[test]
fn the_library_prints_nothing() {
    let db = Db::fresh();
    let output = spawn_child("child_silent", "silent", &[(DB, &db.path)])
        .wait_with_output()
        .expect("wait for child");
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    let between = stdout
        .split_once(BEGIN)
        .and_then(|(_, rest)| rest.split_once(END))
        .map(|(between, _)| between)
        .unwrap_or_else(|| panic!("markers missing:\n{stdout}"));
    assert_eq!(between.trim_start_matches('\n'), "", "printed to stdout");
    assert_eq!(stderr, "", "printed to stderr");
    // The child did its work.
    assert_eq!(
        applied_versions(&Connection::open(&db.path).unwrap()),
        vec![1, 2, 3, 4, 5]
    );
}

// ---------------------------------------------------------------------------------------------
// A process killed in the middle of a migration
// ---------------------------------------------------------------------------------------------

/// Rows the long statements insert; `config.rows` is large while the child runs (so that it is
/// killed in the middle) and small when the test resumes.
const MANY: i64 = 5_000_000;
const FEW: i64 = 10;

fn crash_set() -> Migrations {
    let fill = |sign: &str| {
        format!(
            "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < (SELECT rows FROM config))\nINSERT INTO big (n) SELECT {sign}n FROM c;"
        )
    };
    Migrations::from_files([
        (
            "1_setup.sql".to_owned(),
            format!(
                "CREATE TABLE config (rows INTEGER NOT NULL);\nINSERT INTO config VALUES ({FEW});\nCREATE TABLE marks (note TEXT NOT NULL);\nCREATE TABLE big (n INTEGER NOT NULL);"
            ),
        ),
        (
            "2_in_transaction.sql".to_owned(),
            format!(
                "INSERT INTO marks VALUES ('two');\n{}\nINSERT INTO marks VALUES ('two done');",
                fill("")
            ),
        ),
        (
            "3_outside_transaction.sql".to_owned(),
            format!(
                "-- migrate:no-transaction\nINSERT INTO marks VALUES ('three a');\nINSERT INTO marks VALUES ('three b');\n{}\nINSERT INTO marks VALUES ('three done');",
                fill("-")
            ),
        ),
    ])
    .expect("valid set")
}

/// Child: runs the crash set until the parent kills it.
#[test]
fn child_crash() {
    if role().as_deref() != Some("crash") {
        return;
    }
    let mut conn = Connection::open(env_path(DB)).expect("open");
    // Keep the long statement in memory, so that the parent can read while it runs.
    conn.execute_batch("PRAGMA cache_size = -1000000").unwrap();
    let result = crash_set().run(&mut conn);
    println!("FINISHED {result:?}");
}

fn marks(conn: &Connection) -> Vec<String> {
    let mut marks: Vec<String> = conn
        .prepare("SELECT note FROM marks")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    marks.sort();
    marks
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let mut waited = 0;
    while !done() {
        assert!(waited < 60_000, "gave up waiting until {what}");
        std::thread::sleep(Duration::from_millis(1));
        waited += 1;
    }
}

fn kill(mut child: std::process::Child) {
    child.kill().expect("kill");
    let output = child.wait_with_output().expect("wait");
    let (stdout, _) = text(&output);
    assert!(
        !stdout.contains("FINISHED"),
        "the child finished before it was killed:\n{stdout}"
    );
}

#[test]
fn a_process_killed_inside_a_migration_transaction_leaves_it_unapplied() {
    let db = Db::new(Journal::Rollback);
    let set = crash_set();
    let mut conn = db.open();
    set.runner().target(1).run(&mut conn).unwrap();
    conn.execute("UPDATE config SET rows = ?1", [MANY]).unwrap();
    drop(conn);

    let child = spawn_child("child_crash", "crash", &[(DB, &db.path)]);
    // The rollback journal appears with the first page migration 2 changes.
    let journal = with_suffix(&db.path, "-journal");
    wait_until("migration 2 writes", || journal.exists());
    kill(child);

    // SQLite rolls the hot journal back; the migrator lock died with the process.
    let mut conn = db.open();
    assert_eq!(applied_versions(&conn), vec![1]);
    assert_eq!(marks(&conn), Vec::<String>::new());
    assert_eq!(count(&conn, "SELECT count(*) FROM big"), 0);
    conn.execute("UPDATE config SET rows = ?1", [FEW]).unwrap();
    let report = set.run(&mut conn).unwrap();
    let versions: Vec<i64> = report.applied.iter().map(|a| a.version).collect();
    assert_eq!(versions, vec![2, 3]);
    assert_eq!(
        marks(&conn),
        ["three a", "three b", "three done", "two", "two done"]
    );
    assert_eq!(count(&conn, "SELECT count(*) FROM big"), 2 * FEW);
}

#[test]
fn a_process_killed_inside_a_no_transaction_migration_resumes_after_the_last_statement_run() {
    let db = Db::new(Journal::Rollback);
    let set = crash_set();
    let mut conn = db.open();
    set.runner().target(2).run(&mut conn).unwrap();
    conn.execute("UPDATE config SET rows = ?1", [MANY]).unwrap();

    let child = spawn_child("child_crash", "crash", &[(DB, &db.path)]);
    // Statements 1 and 2 of migration 3 have run; statement 3 is the long one.
    wait_until("statement 2 of migration 3 has run", || {
        conn.query_row(
            "SELECT statements_done FROM schema_migrations_progress WHERE version = 3",
            [],
            |row| row.get::<_, i64>(0),
        )
        .is_ok_and(|done| done >= 2)
    });
    kill(child);

    assert_eq!(applied_versions(&conn), vec![1, 2]);
    assert_eq!(
        count(
            &conn,
            "SELECT statements_done FROM schema_migrations_progress WHERE version = 3"
        ),
        2
    );
    assert_eq!(marks(&conn), ["three a", "three b", "two", "two done"]);
    conn.execute("UPDATE config SET rows = ?1", [FEW]).unwrap();
    let report = set.run(&mut conn).unwrap();
    let versions: Vec<i64> = report.applied.iter().map(|a| a.version).collect();
    assert_eq!(versions, vec![3]);
    // Statements 1 and 2 did not run again.
    assert_eq!(
        marks(&conn),
        ["three a", "three b", "three done", "two", "two done"]
    );
    assert_eq!(count(&conn, "SELECT count(*) FROM big WHERE n < 0"), FEW);
    assert_eq!(
        count(&conn, "SELECT count(*) FROM schema_migrations_progress"),
        0
    );
}
