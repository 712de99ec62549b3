//! Fleets (issue 11) through the real `demo` binary, on real files, with real processes: a
//! corrupt file, a read-only file, a file locked by another process and a failing migration
//! under both error policies and a canary; two fleets at once over the same files; a fleet
//! killed with SIGKILL and run again.
#![cfg(unix)]

use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use migrate_test_kit::{applied_versions, count, user_version};
use rusqlite::Connection;
use serde_json::Value;

const LATEST: i64 = 7;

fn demo(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_demo"));
    command
        .current_dir(dir)
        .env_remove("MIGRATE_DB")
        .env_remove("NO_COLOR")
        .stdin(Stdio::null());
    command
}

/// `demo migrate <args>`, run to the end, which must exit with `code`; a success must leave
/// standard error empty. The caller asserts what it printed.
#[track_caller]
fn run(dir: &Path, args: &[&str], code: i32) -> Output {
    let output = demo(dir).arg("migrate").args(args).output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(code),
        "{args:?}; stdout:\n{}\nstderr:\n{}",
        text(&output.stdout),
        text(&output.stderr)
    );
    if code == 0 {
        assert_eq!(text(&output.stderr), "", "{args:?}");
    }
    output
}

/// A fleet's failures are in its report on standard output: nothing goes to standard error.
#[track_caller]
fn nothing_on_stderr(output: &Output) {
    assert_eq!(text(&output.stderr), "");
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The JSON lines of a `--json` fleet run: (one per database, the summary).
fn parse(output: &Output) -> (Vec<Value>, Value) {
    let mut values: Vec<Value> = text(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let summary = values.pop().expect("a summary line");
    assert!(summary.get("summary").is_some(), "{summary}");
    (values, summary["summary"].clone())
}

/// The line of the database whose file name is `name`.
fn line<'a>(lines: &'a [Value], name: &str) -> &'a Value {
    lines
        .iter()
        .find(|l| l["database"].as_str().unwrap().ends_with(name))
        .unwrap_or_else(|| panic!("no line for {name}: {lines:?}"))
}

/// A database at `version` (0: an empty SQLite file).
fn db_at(dir: &Path, name: &str, version: i64) -> PathBuf {
    let path = dir.join(name);
    Connection::open(&path)
        .unwrap()
        .execute_batch("PRAGMA user_version = 0")
        .unwrap();
    if version > 0 {
        let output = run(
            dir,
            &["--db", name, "apply", "--target", &version.to_string()],
            0,
        );
        let out = text(&output.stdout);
        let migrations = if version == 1 {
            "1 migration".to_owned()
        } else {
            format!("{version} migrations")
        };
        assert!(
            out.ends_with(&format!(
                "applied {migrations}; the database is at version {version} of {LATEST}\n"
            )),
            "{out}"
        );
    }
    path
}

/// Every migration up to `version` recorded once, one `applied` event each, nothing in
/// progress, `user_version` mirrored, and an intact file.
fn assert_consistent(path: &Path, version: i64) {
    let conn = Connection::open(path).unwrap();
    let integrity: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(integrity, "ok", "{}", path.display());
    assert_eq!(
        versions(&conn),
        (1..=version).collect::<Vec<_>>(),
        "{}",
        path.display()
    );
    assert_eq!(user_version(&conn), version, "{}", path.display());
    if version > 0 {
        let events = count(
            &conn,
            "SELECT count(*) FROM schema_migrations_history WHERE event = 'applied'",
        );
        let distinct = count(
            &conn,
            "SELECT count(DISTINCT version) FROM schema_migrations_history WHERE event = 'applied'",
        );
        assert_eq!((events, distinct), (version, version), "{}", path.display());
        assert_eq!(
            count(&conn, "SELECT count(*) FROM schema_migrations_progress"),
            0
        );
    }
}

/// The applied versions; none when the tracking tables were never created.
fn versions(conn: &Connection) -> Vec<i64> {
    let tracked = count(
        conn,
        "SELECT count(*) FROM sqlite_schema WHERE name = 'schema_migrations'",
    );
    if tracked == 0 {
        Vec::new()
    } else {
        applied_versions(conn)
    }
}

/// A file SQLite cannot write even as root: `chattr +i` where the file system supports it,
/// else mode 0444 (enough for anyone but root). `None` when neither makes it read-only.
struct Immutable(PathBuf);

impl Immutable {
    fn make(path: &Path) -> Option<Immutable> {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(path, fs::Permissions::from_mode(0o444)).unwrap();
        // Its outcome is what the open below observes (chattr may be missing, or the file
        // system may not support it), so its exit status adds nothing.
        let _ = Command::new("chattr")
            .arg("+i")
            .arg(path)
            .stderr(Stdio::null())
            .status();
        let guard = Immutable(path.to_owned());
        // Read-only for this process?
        fs::OpenOptions::new()
            .write(true)
            .open(path)
            .is_err()
            .then_some(guard)
    }
}

impl Drop for Immutable {
    fn drop(&mut self) {
        use std::os::unix::fs::PermissionsExt;
        // Best-effort cleanup in a drop: the temporary directory's removal is what needs it.
        let _ = Command::new("chattr")
            .arg("-i")
            .arg(&self.0)
            .stderr(Stdio::null())
            .status();
        let _ = fs::set_permissions(&self.0, fs::Permissions::from_mode(0o644));
    }
}

/// Another process holding `BEGIN EXCLUSIVE` on a database until dropped: this test binary
/// run again as `hold_lock_child`.
struct LockHolder(Child);

impl LockHolder {
    fn hold(path: &Path) -> LockHolder {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "hold_lock_child",
                "--exact",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("FLEET_HOLD_LOCK", path)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        loop {
            line.clear();
            assert!(out.read_line(&mut line).unwrap() > 0, "the holder exited");
            // libtest prints `test hold_lock_child ... ` first, on the same line.
            if line.trim_end().ends_with("fleet-lock-held") {
                break;
            }
        }
        LockHolder(child)
    }
}

impl Drop for LockHolder {
    fn drop(&mut self) {
        drop(self.0.stdin.take());
        let _ = self.0.wait();
    }
}

/// The child of [`LockHolder`]; does nothing when run as a test.
#[test]
fn hold_lock_child() {
    let Some(path) = std::env::var_os("FLEET_HOLD_LOCK") else {
        return;
    };
    let conn = Connection::open(path).unwrap();
    conn.execute_batch("BEGIN EXCLUSIVE").unwrap();
    println!("fleet-lock-held");
    let mut rest = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut rest);
    conn.execute_batch("ROLLBACK").unwrap();
}

/// Four good databases (at versions 0, 0, 3, 7) and four that fail: corrupt, read-only,
/// locked by another process, and one whose migration 2 fails (its table already exists).
struct Troubled {
    dir: tempfile::TempDir,
    list: PathBuf,
    _read_only: Option<Immutable>,
    holder: Option<LockHolder>,
}

const GOOD: [(&str, i64); 4] = [("a.db", 0), ("b.db", 0), ("c.db", 3), ("d.db", 7)];

impl Troubled {
    /// `order` lists the file names in the order of the list file.
    fn new(order: &[&str]) -> Troubled {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        for (name, version) in GOOD {
            db_at(d, name, version);
        }
        fs::write(
            d.join("corrupt.db"),
            b"this is not an SQLite database, not at all, no".repeat(100),
        )
        .unwrap();
        let read_only = db_at(d, "readonly.db", 2);
        let read_only = Immutable::make(&read_only);
        if read_only.is_none() {
            eprintln!(
                "note: cannot make a file read-only here (root without chattr): readonly.db is writable"
            );
        }
        let failing = db_at(d, "failing.db", 1);
        Connection::open(&failing)
            .unwrap()
            .execute_batch("CREATE TABLE customers (id INTEGER PRIMARY KEY)")
            .unwrap();
        let locked = db_at(d, "locked.db", 1);
        let holder = Some(LockHolder::hold(&locked));
        let list = d.join("list.txt");
        fs::write(&list, order.join("\n") + "\n").unwrap();
        Troubled {
            dir,
            list,
            _read_only: read_only,
            holder,
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `--json apply` over the list, which fails (exit code 1: some databases do), reported
    /// on standard output only.
    fn apply(&self, extra: &[&str]) -> Output {
        let mut args = vec![
            "--json",
            "apply",
            "--each-from",
            self.list.to_str().unwrap(),
            "--busy-timeout",
            "200",
        ];
        args.extend_from_slice(extra);
        let output = run(self.dir.path(), &args, 1);
        nothing_on_stderr(&output);
        output
    }

    fn release(&mut self) {
        self.holder = None;
    }
}

const ALL: [&str; 8] = [
    "a.db",
    "corrupt.db",
    "b.db",
    "readonly.db",
    "c.db",
    "locked.db",
    "failing.db",
    "d.db",
];

#[test]
fn continue_migrates_every_good_database_and_reports_each_failure() {
    let mut fleet = Troubled::new(&ALL);
    let output = fleet.apply(&["--parallel", "3", "--on-error", "continue"]);
    let (lines, summary) = parse(&output);
    assert_eq!(lines.len(), 8);
    for (name, version) in GOOD {
        let l = line(&lines, name);
        let expected = if version == LATEST {
            "up_to_date"
        } else {
            "applied"
        };
        assert_eq!(l["status"], expected, "{l}");
        assert_eq!(
            (l["from"].as_i64(), l["to"].as_i64()),
            (Some(version), Some(LATEST))
        );
        assert_eq!(
            l["applied"].as_array().unwrap().len() as i64,
            LATEST - version
        );
        assert_consistent(&fleet.path(name), LATEST);
    }
    let kind = |name| {
        line(&lines, name)["error"]["kind"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(kind("corrupt.db"), "not_a_database");
    assert_eq!(kind("locked.db"), "locked");
    // One busy timeout (200 ms), not one per step of the run.
    let waited = line(&lines, "locked.db")["elapsed_ms"].as_u64().unwrap();
    assert!((200..600).contains(&waited), "locked.db took {waited} ms");
    assert_eq!(kind("failing.db"), "statement");
    if fleet._read_only.is_some() {
        assert_eq!(kind("readonly.db"), "read_only");
        assert_eq!(summary["failed"], 4, "{summary}");
    }
    // A failed database is where it was: the failing migration rolled back.
    assert_consistent(&fleet.path("failing.db"), 1);
    assert_eq!(line(&lines, "failing.db")["to"], 1);
    assert_eq!(summary["databases"], 8);
    assert_eq!(summary["skipped"], 0);
    assert_eq!(summary["migrations_applied"], 7 + 7 + 4);
    assert_eq!(summary["exit_code"], 1);
    // Once the lock is released, the locked database migrates: it was left untouched.
    fleet.release();
    assert_consistent(&fleet.path("locked.db"), 1);
    let again = run(
        fleet.dir.path(),
        &["apply", "--each", fleet.path("locked.db").to_str().unwrap()],
        0,
    );
    let out = text(&again.stdout);
    assert!(
        out.contains("locked.db: version 1 to 7, 6 migrations")
            && out.contains("1 database (latest version 7)")
            && out.contains("1 applied (6 migrations), 0 up to date, 0 failed"),
        "{out}"
    );
    assert_consistent(&fleet.path("locked.db"), LATEST);
}

#[test]
fn stop_starts_nothing_after_a_failure() {
    let fleet = Troubled::new(&["corrupt.db", "a.db", "b.db", "failing.db", "c.db"]);
    let output = fleet.apply(&["--parallel", "1", "--on-error", "stop"]);
    let (lines, summary) = parse(&output);
    assert_eq!(line(&lines, "corrupt.db")["status"], "failed");
    for name in ["a.db", "b.db", "failing.db", "c.db"] {
        assert_eq!(line(&lines, name)["status"], "skipped", "{name}");
    }
    assert_eq!(
        (summary["failed"].as_u64(), summary["skipped"].as_u64()),
        (Some(1), Some(4))
    );
    assert_eq!(summary["stopped"], true);
    // Nothing was touched after the failure.
    assert_consistent(&fleet.path("a.db"), 0);
    assert_consistent(&fleet.path("c.db"), 3);
    assert_consistent(&fleet.path("failing.db"), 1);
}

#[test]
fn stop_lets_databases_in_flight_finish() {
    // Two threads: the locked database fails after its busy timeout while the other thread
    // keeps working; what had started finishes, whole.
    let fleet = Troubled::new(&["locked.db", "a.db", "b.db", "c.db", "d.db"]);
    let output = fleet.apply(&["--parallel", "2", "--on-error", "stop"]);
    let (lines, summary) = parse(&output);
    assert_eq!(summary["failed"], 1);
    for name in ["a.db", "b.db", "c.db"] {
        let l = line(&lines, name);
        match l["status"].as_str().unwrap() {
            "applied" => assert_consistent(&fleet.path(name), LATEST),
            "skipped" => {
                assert!(versions(&Connection::open(fleet.path(name)).unwrap()).len() <= 3)
            }
            other => panic!("{name}: {other}"),
        }
    }
}

#[test]
fn a_failed_canary_stops_the_fleet_and_a_good_one_lets_it_go_on() {
    let fleet = Troubled::new(&["a.db", "failing.db", "b.db", "c.db", "d.db"]);
    let output = fleet.apply(&["--canary", "2", "--parallel", "2"]);
    let (lines, summary) = parse(&output);
    assert_eq!(summary["canary_failed"], true);
    assert_eq!(line(&lines, "a.db")["status"], "applied");
    assert_eq!(line(&lines, "failing.db")["status"], "failed");
    for name in ["b.db", "c.db", "d.db"] {
        assert_eq!(line(&lines, name)["status"], "skipped", "{name}");
    }
    assert_consistent(&fleet.path("b.db"), 0);

    let fleet = Troubled::new(&["a.db", "b.db", "corrupt.db", "c.db", "d.db"]);
    // A good canary; the corrupt file after it fails alone under `continue`.
    let output = fleet.apply(&["--canary", "2"]);
    let (lines, summary) = parse(&output);
    assert_eq!(summary["canary_failed"], false);
    assert_eq!(summary["skipped"], 0);
    assert_eq!(line(&lines, "c.db")["status"], "applied");
    assert_consistent(&fleet.path("c.db"), LATEST);
}

#[test]
fn status_and_check_count_versions_pending_and_failures() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for (name, version) in [("a.db", 7), ("b.db", 7), ("c.db", 3)] {
        db_at(d, name, version);
    }
    let pattern = format!("{}/*.db", d.display());
    let pending = "3 databases (latest version 7)";
    let output = run(d, &["check", "--each", &pattern], 2);
    nothing_on_stderr(&output);
    let checked = text(&output.stdout);
    assert!(
        checked.starts_with(pending)
            && checked.ends_with(": 1 pending (4 migrations), 2 up to date, 0 failed\n"),
        "{checked}"
    );
    let output = run(d, &["status", "--each", &pattern], 0);
    let out = text(&output.stdout);
    assert!(out.contains("at version 7: 2 databases"), "{out}");
    assert!(out.contains("at version 3: 1 database"), "{out}");
    assert!(out.contains("1 pending (4 migrations)"), "{out}");
    // Status and check write nothing.
    let before = fs::read(d.join("c.db")).unwrap();
    let output = run(d, &["check", "--each", &pattern], 2);
    nothing_on_stderr(&output);
    let again = text(&output.stdout);
    assert!(
        again.starts_with(pending) && again.contains("1 pending (4 migrations)"),
        "{again}"
    );
    assert_eq!(fs::read(d.join("c.db")).unwrap(), before);

    fs::write(d.join("z.db"), b"garbage".repeat(200)).unwrap();
    let output = run(d, &["--json", "status", "--each", &pattern], 1);
    nothing_on_stderr(&output);
    let (lines, summary) = parse(&output);
    assert_eq!(lines.len(), 4);
    assert_eq!(line(&lines, "c.db")["status"], "pending");
    assert_eq!(line(&lines, "c.db")["pending"], 4);
    assert_eq!(summary["versions"]["7"], 2);
    assert_eq!(summary["versions"]["3"], 1);
    assert_eq!(summary["failures"].as_array().unwrap().len(), 1);
    let output = run(d, &["check", "--each", &pattern], 1);
    nothing_on_stderr(&output);
    let out = text(&output.stdout);
    assert!(
        out.contains("1 failed") && out.contains("z.db` is not an SQLite database"),
        "{out}"
    );

    fs::remove_file(d.join("z.db")).unwrap();
    let output = run(d, &["apply", "--each", &pattern], 0);
    let out = text(&output.stdout);
    assert!(
        out.contains("c.db: version 3 to 7, 4 migrations")
            && out.contains("1 applied (4 migrations), 2 up to date, 0 failed"),
        "{out}"
    );
    let output = run(d, &["check", "--each", &pattern, "--json"], 0);
    assert_eq!(parse(&output).1["up_to_date"], 3);

    // Drift is a failure for check.
    Connection::open(d.join("b.db"))
        .unwrap()
        .execute_batch("UPDATE schema_migrations SET checksum = 'sha256:' || hex(zeroblob(32)) WHERE version = 2")
        .unwrap();
    let output = run(d, &["check", "--each", &pattern, "--json"], 1);
    nothing_on_stderr(&output);
    assert_eq!(line(&parse(&output).0, "b.db")["error"]["kind"], "drift");
}

#[test]
fn missing_databases_fail_unless_created_and_shards_split_the_fleet() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let names: Vec<String> = (0..12).map(|i| format!("t{i:02}.db")).collect();
    fs::write(d.join("list"), names.join("\n")).unwrap();
    let output = run(d, &["--json", "apply", "--each-from", "list"], 1);
    nothing_on_stderr(&output);
    let (lines, summary) = parse(&output);
    assert_eq!(lines.len(), 12);
    assert!(
        lines
            .iter()
            .all(|l| l["error"]["kind"] == "no_such_database")
    );
    assert_eq!(summary["failed"], 12, "{summary}");
    assert!(names.iter().all(|n| !d.join(n).exists()));

    // Three shards: every database exactly once, each by its own process.
    let mut seen = Vec::new();
    for i in 1..=3 {
        let shard = format!("{i}/3");
        let output = run(
            d,
            &[
                "--json",
                "apply",
                "--each-from",
                "list",
                "--shard",
                &shard,
                "--create-missing",
            ],
            0,
        );
        seen.extend(
            parse(&output)
                .0
                .iter()
                .map(|l| l["database"].as_str().unwrap().to_owned()),
        );
    }
    seen.sort();
    assert_eq!(seen, names);
    for name in &names {
        assert_consistent(&d.join(name), LATEST);
    }
    // Standard input.
    let mut child = demo(d)
        .args(["migrate", "check", "--each-from", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(
        &mut child.stdin.take().unwrap(),
        names.join("\n").as_bytes(),
    )
    .unwrap();
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    nothing_on_stderr(&output);
    let out = text(&output.stdout);
    assert!(
        out.starts_with("12 databases (latest version 7)")
            && out.ends_with(": 0 pending (0 migrations), 12 up to date, 0 failed\n"),
        "{out}"
    );
}

/// `n` empty databases and the list of their names.
fn empty_fleet(d: &Path, n: usize) -> Vec<PathBuf> {
    let paths: Vec<PathBuf> = (0..n).map(|i| d.join(format!("db{i:03}.db"))).collect();
    for path in &paths {
        Connection::open(path)
            .unwrap()
            .execute_batch("PRAGMA user_version = 0")
            .unwrap();
    }
    paths
}

#[test]
fn two_fleets_at_once_apply_every_migration_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let paths = empty_fleet(d, 30);
    let pattern = format!("{}/*.db", d.display());
    let start = |parallel: &str| {
        demo(d)
            .args([
                "migrate",
                "--json",
                "apply",
                "--each",
                &pattern,
                "--parallel",
                parallel,
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (first, second) = (start("2"), start("3"));
    let (first, second) = (
        first.wait_with_output().unwrap(),
        second.wait_with_output().unwrap(),
    );
    for output in [&first, &second] {
        assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
        nothing_on_stderr(output);
        let (lines, summary) = parse(output);
        assert_eq!(lines.len(), 30);
        assert_eq!(summary["failed"], 0, "{summary}");
        assert_eq!(summary["succeeded"], 30, "{summary}");
    }
    let applied = |o: &Output| parse(o).1["migrations_applied"].as_i64().unwrap();
    assert_eq!(applied(&first) + applied(&second), 30 * LATEST);
    for path in &paths {
        assert_consistent(path, LATEST);
    }
}

#[test]
fn a_fleet_killed_with_sigkill_finishes_on_the_next_run() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let paths = empty_fleet(d, 60);
    let pattern = format!("{}/*.db", d.display());
    let mut child = demo(d)
        .args([
            "migrate",
            "--json",
            "apply",
            "--each",
            &pattern,
            "--parallel",
            "2",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Wait until a few databases are done, then kill it in the middle of others.
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    let started = Instant::now();
    let mut done = 0u64;
    while done < 5 && started.elapsed() < Duration::from_secs(60) {
        line.clear();
        if out.read_line(&mut line).unwrap() == 0 {
            break;
        }
        done += 1;
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let migrated = paths
        .iter()
        .filter(|p| user_version(&Connection::open(p).unwrap()) == LATEST)
        .count();
    assert!(
        migrated < paths.len(),
        "the fleet finished before it was killed"
    );
    let output = run(d, &["--json", "apply", "--each", &pattern], 0);
    let (lines, summary) = parse(&output);
    assert_eq!(lines.len(), 60);
    assert_eq!(summary["failed"], 0, "{summary}");
    assert!(
        summary["up_to_date"].as_u64().unwrap() >= done,
        "the {done} databases done before the kill are up to date: {summary}"
    );
    for path in &paths {
        assert_consistent(path, LATEST);
    }
    // And a third run has nothing to do.
    let output = run(d, &["--json", "check", "--each", &pattern], 0);
    assert_eq!(parse(&output).1["up_to_date"], 60);
}

#[test]
fn fleet_options_are_refused_where_they_do_not_apply() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Refused before anything runs: nothing on standard output, the reason on standard error.
    let refused = |args: &[&str], code: i32, reason: &str| {
        let output = run(d, args, code);
        assert_eq!(text(&output.stdout), "", "{args:?}");
        let err = text(&output.stderr);
        assert!(
            err.starts_with("error: ") && err.contains(reason),
            "{args:?}: {err}"
        );
    };
    refused(
        &["history", "--each", "*.db"],
        1,
        "apply, verify, status and check",
    );
    refused(
        &["apply", "--each", "*.db", "--backup", "one.db"],
        1,
        "names one file, which every database of the fleet would overwrite",
    );
    for bad in ["0/2", "3/2", "x"] {
        refused(
            &["check", "--each", "*.db", "--shard", bad],
            2,
            &format!("invalid value '{bad}' for '--shard <I/N>'"),
        );
    }
    refused(
        &["check", "--each", "*.db", "--on-error", "maybe"],
        2,
        "invalid value 'maybe' for '--on-error",
    );
    refused(
        &["check", "--each", "*.db", "--each-from", "list"],
        2,
        "'--each <GLOB>' cannot be used with '--each-from <FILE>'",
    );
    // No database at all: a mistake (a typo, the wrong directory), and no file is created.
    let output = run(d, &["apply", "--each", "*.db"], 1);
    let out = text(&output.stdout);
    assert!(
        out.starts_with("0 databases (latest version 7)") && out.ends_with(", 0 failed\n"),
        "the empty report: {out}"
    );
    assert!(
        text(&output.stderr).contains("no database: `*.db` names none"),
        "{}",
        text(&output.stderr)
    );
    assert_eq!(fs::read_dir(d).unwrap().count(), 0);
    // A fleet option without a fleet is refused rather than ignored.
    for option in [
        &["--canary", "2"][..],
        &["--shard", "1/3"],
        &["--create-missing"],
    ] {
        let mut args = vec!["--db", "one.db", "apply"];
        args.extend_from_slice(option);
        let output = run(d, &args, 1);
        assert_eq!(text(&output.stdout), "", "{option:?}");
        assert!(
            text(&output.stderr).contains("works with --each or --each-from"),
            "{}",
            text(&output.stderr)
        );
    }
    assert_eq!(fs::read_dir(d).unwrap().count(), 0);
}

#[test]
fn verify_each_reports_what_a_dry_run_cannot_check() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let at_3 = db_at(d, "at-3.db", 3);
    let at_6 = db_at(d, "at-6.db", 6);
    let before = (fs::read(&at_3).unwrap(), fs::read(&at_6).unwrap());
    let output = run(d, &["--json", "verify", "--each", "at-*.db"], 0);
    let (lines, _) = parse(&output);
    // Migration 7 runs outside a transaction: a dry run stops before it.
    let three = line(&lines, "at-3.db");
    assert_eq!(three["status"], "applied", "{three}");
    assert_eq!(three["applied"].as_array().unwrap().len(), 3);
    assert_eq!(three["not_verified"], serde_json::json!([7]));
    assert_eq!(three["pending"], 4, "nothing was applied: {three}");
    let six = line(&lines, "at-6.db");
    assert_eq!(six["status"], "pending", "{six}");
    assert_eq!(six["not_verified"], serde_json::json!([7]));
    assert_eq!(six["pending"], 1);
    assert_eq!(
        (fs::read(&at_3).unwrap(), fs::read(&at_6).unwrap()),
        before,
        "a dry run changes nothing"
    );
    // In words.
    let output = run(d, &["verify", "--each", "at-*.db"], 0);
    let out = text(&output.stdout);
    assert!(
        out.contains("1 not checked (outside a transaction: 7)"),
        "{out}"
    );
    assert!(out.contains("which a dry run cannot check"), "{out}");
}
