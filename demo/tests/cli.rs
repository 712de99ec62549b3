//! Every subcommand through the real `demo` binary, on real database files. Every command a
//! test runs goes through [`run`], which asserts its exit code (and, for a success, an empty
//! standard error), and the test then asserts what it printed.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use migrate_test_kit::{rows_of, user_dump};
use rusqlite::Connection;
use serde_json::Value;

/// The demo binary, with a clean environment for the variables it reads.
fn demo(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_demo"));
    command
        .current_dir(dir)
        .env_remove("MIGRATE_DB")
        .env_remove("NO_COLOR");
    command
}

/// `demo migrate <args> --db <db>`.
fn migrate(dir: &Path, db: &Path, args: &[&str]) -> Command {
    let mut command = demo(dir);
    command.arg("migrate").args(args).arg("--db").arg(db);
    command
}

struct Setup {
    dir: tempfile::TempDir,
}

impl Setup {
    fn new() -> Setup {
        Setup {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn migrate(&self, db: &Path, args: &[&str]) -> Command {
        migrate(self.dir.path(), db, args)
    }

    /// A database at `version` (at least 2), applied through the CLI.
    fn db_at(&self, name: &str, version: i64) -> PathBuf {
        let db = self.path(name);
        let ran = run(
            &mut self.migrate(&db, &["apply", "--target", &version.to_string()]),
            0,
        );
        assert!(
            ran.out.ends_with(&format!(
                "applied {version} migrations; the database is at version {version} of 7\n"
            )),
            "{}",
            ran.out
        );
        db
    }
}

/// A command that has run: its exit code and what it printed.
struct Ran {
    out: String,
    err: String,
}

impl Ran {
    fn json(&self) -> Value {
        serde_json::from_str(&self.out).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.out))
    }
}

/// Runs `command` and asserts its exit code; a success must also leave standard error empty
/// (no error, no warning). The caller asserts what it printed.
#[track_caller]
fn run(command: &mut Command, code: i32) -> Ran {
    let output = command.output().unwrap();
    let ran = Ran {
        out: stdout(&output),
        err: stderr(&output),
    };
    assert_eq!(
        output.status.code(),
        Some(code),
        "exit code; stdout:\n{}\nstderr:\n{}",
        ran.out,
        ran.err
    );
    if code == 0 {
        assert_eq!(
            ran.err, "",
            "a success writes nothing on stderr; stdout:\n{}",
            ran.out
        );
    }
    ran
}

fn stdout(output: &std::process::Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

/// Each line of `out` without the duration in parentheses that ends it (timings vary).
fn without_durations(out: &str) -> Vec<&str> {
    out.lines()
        .map(|line| line.split_once(" (").map_or(line, |(text, _)| text))
        .collect()
}

/// The schema and every table's rows, tracking tables excluded.
fn dump(db: &Path) -> Vec<String> {
    user_dump(&Connection::open(db).unwrap())
}

/// Everything, tracking tables included.
fn dump_all(db: &Path) -> Vec<String> {
    let mut out = dump(db);
    let conn = Connection::open(db).unwrap();
    for table in ["schema_migrations", "schema_migrations_history"] {
        out.extend(rows_of(&conn, &format!("SELECT * FROM {table} ORDER BY 1")));
    }
    out
}

fn execute(db: &Path, sql: &str) {
    Connection::open(db).unwrap().execute_batch(sql).unwrap();
}

#[test]
fn the_demo_applies_everything_uses_the_data_and_shows_the_status() {
    let setup = Setup::new();
    let out = run(&mut demo(setup.dir.path()), 0).out;
    let applied: Vec<&str> = out
        .lines()
        .filter(|l| l.trim_start().starts_with("applied 0"))
        .collect();
    assert_eq!(applied.len(), 7, "{out}");
    assert!(applied[0].contains("0001_create_authors_and_books.sql"));
    assert!(out.contains("placed an order: 4 orders"), "{out}");
    assert!(out.contains("demo.db: version 7 of 7 (7 applied)"), "{out}");
    assert!(out.contains("0007_enable_wal.sql"));
    assert!(
        !out.contains('\x1b'),
        "no colors when stdout is not a terminal"
    );
    assert!(setup.path("demo.db").is_file());

    // The second start applies nothing and places one more order.
    let out = run(&mut demo(setup.dir.path()), 0).out;
    assert!(!out.contains("applied 0"), "{out}");
    assert!(out.contains("placed an order: 5 orders"), "{out}");
    assert!(out.contains("demo.db: version 7 of 7 (7 applied)"), "{out}");

    // MIGRATE_DB chooses the file.
    let other = setup.path("other.db");
    let version = |expected: &str| {
        let ran = run(
            demo(setup.dir.path())
                .env("MIGRATE_DB", &other)
                .args(["migrate", "version"]),
            0,
        );
        assert_eq!(ran.out, expected);
    };
    version("0\n");
    let out = run(demo(setup.dir.path()).env("MIGRATE_DB", &other), 0).out;
    assert_eq!(out.matches("    applied 0").count(), 7, "{out}");
    assert!(out.contains("placed an order: 4 orders"), "{out}");
    assert!(
        out.contains("other.db: version 7 of 7 (7 applied)"),
        "{out}"
    );
    version("7\n");
}

#[test]
fn status_is_the_default_and_reads_a_missing_file_without_creating_it() {
    let setup = Setup::new();
    let db = setup.path("missing.db");
    let out = run(&mut setup.migrate(&db, &[]), 0).out;
    assert!(
        out.contains("version 0 of 7 (0 applied, 7 pending)"),
        "{out}"
    );
    assert_eq!(out.matches(" pending ").count(), 7, "{out}");
    assert_eq!(run(&mut setup.migrate(&db, &["status"]), 0).out, out);
    assert_eq!(run(&mut setup.migrate(&db, &["version"]), 0).out, "0\n");
    assert_eq!(
        run(&mut setup.migrate(&db, &["history"]), 0).out,
        "no history: the database was never migrated\n"
    );
    let check = run(&mut setup.migrate(&db, &["check"]), 2);
    assert_eq!(
        check.out,
        "7 migrations pending (database at version 0 of 7)\n"
    );
    assert_eq!(check.err, "");
    let verify = run(&mut setup.migrate(&db, &["verify"]), 0).out;
    assert!(
        verify.ends_with(
            "dry run: 6 migrations ran and were rolled back; nothing was changed \
             (1 not checked: 0007_enable_wal.sql)\n"
        ),
        "{verify}"
    );
    assert_eq!(
        without_durations(&run(&mut setup.migrate(&db, &["apply", "--dry-run"]), 0).out),
        without_durations(&verify),
        "verify is apply --dry-run"
    );
    assert!(!db.exists(), "reading commands must not create the file");
}

#[test]
fn status_table_and_json() {
    let setup = Setup::new();
    let db = setup.db_at("shop.db", 5);
    let out = run(&mut setup.migrate(&db, &["status"]), 0).out;
    assert!(
        out.contains("version 5 of 7 (5 applied, 2 pending)"),
        "{out}"
    );
    let header = out.lines().nth(1).unwrap();
    assert!(header.starts_with("VERSION  MIGRATION"), "{out}");
    for column in ["STATE", "APPLIED AT", "DURATION"] {
        assert!(header.contains(column), "{out}");
    }
    let row = out
        .lines()
        .find(|l| l.contains("0004_books_price_in_cents.sql"))
        .unwrap();
    assert!(row.contains(" applied ") && row.contains(" ms"), "{row}");
    let row = out
        .lines()
        .find(|l| l.contains("0006_create_reviews.sql"))
        .unwrap();
    assert!(row.contains(" pending "), "{row}");

    let value = run(&mut setup.migrate(&db, &["status", "--json"]), 0).json();
    insta::assert_json_snapshot!("status", value, {
        ".database" => "[db]",
        ".migrations[].applied_at" => "[time]",
        ".migrations[].duration_ms" => "[ms]",
    });
}

#[test]
fn version_and_history() {
    let setup = Setup::new();
    let db = setup.db_at("shop.db", 3);
    assert_eq!(run(&mut setup.migrate(&db, &["version"]), 0).out, "3\n");
    let value = run(&mut setup.migrate(&db, &["version", "--json"]), 0).json();
    insta::assert_json_snapshot!("version", value, { ".database" => "[db]" });

    let out = run(
        &mut setup.migrate(&db, &["rollback", "--to", "2", "--yes"]),
        0,
    )
    .out;
    assert!(
        out.starts_with("rolled back 0003_index_orders_by_customer.down.sql (")
            && out.ends_with("rolled back 1 migration; the database is at version 2\n"),
        "{out}"
    );
    let out = run(&mut setup.migrate(&db, &["history"]), 0).out;
    let events: Vec<&str> = out
        .lines()
        .map(|l| l.split_whitespace().nth(1).unwrap())
        .collect();
    assert_eq!(
        events,
        ["applied", "applied", "applied", "rolled_back"],
        "{out}"
    );
    let value = run(&mut setup.migrate(&db, &["history", "--json"]), 0).json();
    insta::assert_json_snapshot!("history", value, {
        ".database" => "[db]",
        ".events[].at" => "[time]",
        ".events[].duration_ms" => "[ms]",
    });
}

#[test]
fn check_exits_0_up_to_date_2_pending_1_on_problems() {
    let setup = Setup::new();
    let missing = setup.path("missing.db");
    let ran = run(&mut setup.migrate(&missing, &["check", "--json"]), 2);
    assert_eq!(ran.err, "");
    insta::assert_json_snapshot!("check_pending", ran.json(), { ".database" => "[db]" });

    let db = setup.db_at("shop.db", 7);
    let ran = run(&mut setup.migrate(&db, &["check"]), 0);
    assert_eq!(ran.out, "up to date at version 7\n");
    let ran = run(&mut setup.migrate(&db, &["check", "--json"]), 0);
    insta::assert_json_snapshot!("check_up_to_date", ran.json(), { ".database" => "[db]" });
    assert_eq!(run(&mut setup.migrate(&db, &["check", "-q"]), 0).out, "");

    // Drift.
    execute(
        &db,
        "UPDATE schema_migrations SET checksum = 'sha256:00' WHERE version = 2",
    );
    let drift = "applied migration 2 (`0002_create_customers_and_orders.sql`) was edited after it \
                 was applied: if the edit was intended, accept it with `repair`";
    // With --json the document is the whole answer: nothing on stderr.
    let ran = run(&mut setup.migrate(&db, &["check", "--json"]), 1);
    assert_eq!(ran.err, "");
    insta::assert_json_snapshot!("check_drift", ran.json(), { ".database" => "[db]" });
    let ran = run(&mut setup.migrate(&db, &["check"]), 1);
    assert_eq!(ran.out, "");
    assert!(
        ran.err.starts_with("error: ") && ran.err.contains(drift),
        "{}",
        ran.err
    );

    // An applied version this build does not know.
    let ahead = setup.db_at("ahead.db", 7);
    execute(
        &ahead,
        "INSERT INTO schema_migrations (version, name, checksum, applied_at, execution_time_ms, history_checksum)
         VALUES (8, 'from_a_newer_build', 'sha256:11', '2030-01-01T00:00:00.000Z', 1, '')",
    );
    let ran = run(&mut setup.migrate(&ahead, &["check"]), 1);
    assert_eq!(ran.out, "");
    assert!(
        ran.err.starts_with("error: ") && ran.err.contains("applied version 8 unknown"),
        "{}",
        ran.err
    );

    // A file that is not a database.
    let junk = setup.path("junk.db");
    std::fs::write(&junk, vec![b'j'; 8192]).unwrap();
    let ran = run(&mut setup.migrate(&junk, &["check", "--json"]), 1);
    let value = ran.json();
    assert_eq!(value["result"], "error");
    assert!(
        value["message"]
            .as_str()
            .unwrap()
            .contains("is not an SQLite database"),
        "{value}"
    );
    let ran = run(&mut setup.migrate(&junk, &["status"]), 1);
    assert_eq!(ran.out, "");
    assert!(
        ran.err.starts_with("error: ") && ran.err.contains("is not an SQLite database"),
        "{}",
        ran.err
    );
}

#[test]
fn apply_without_a_terminal_proceeds_and_reports_progress() {
    let setup = Setup::new();
    let db = setup.path("shop.db");
    // assert_cmd gives the child a standard input that is not a terminal: no question asked.
    let out = run(&mut setup.migrate(&db, &["up", "--target", "2"]), 0).out;
    assert_eq!(
        out.lines().filter(|l| l.contains("applied 000")).count(),
        2,
        "{out}"
    );
    assert!(out.contains("applied 2 migrations; the database is at version 2 of 7"));

    let value = run(&mut setup.migrate(&db, &["run", "--json"]), 0).json();
    assert_eq!(value["current_version"], 7);
    assert_eq!(value["dry_run"], false);
    let versions: Vec<i64> = value["applied"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["version"].as_i64().unwrap())
        .collect();
    assert_eq!(versions, [3, 4, 5, 6, 7]);

    assert_eq!(
        run(&mut setup.migrate(&db, &["apply", "--quiet"]), 0).out,
        ""
    );
    let ran = run(&mut setup.migrate(&db, &["apply", "--target", "9"]), 1);
    assert_eq!(ran.out, "");
    assert_eq!(
        ran.err,
        "error: version 9 is not valid here: the latest migration is 7\n"
    );
}

#[test]
fn destructive_commands_refuse_without_yes_when_stdin_is_not_a_terminal() {
    let setup = Setup::new();
    let db = setup.db_at("shop.db", 7);
    let backup = setup.path("shop.backup");
    std::fs::copy(&db, &backup).unwrap();
    execute(
        &db,
        "UPDATE schema_migrations SET checksum = 'sha256:00' WHERE version = 2",
    );
    let before = std::fs::read(&db).unwrap();
    let backup_arg = backup.to_str().unwrap();
    for args in [
        &["rollback", "--to", "3"][..],
        &["repair"],
        &["baseline", "3"],
        &["restore", backup_arg],
    ] {
        let Ran { out, err } = run(&mut setup.migrate(&db, args), 1);
        assert_eq!(out, "", "{args:?}");
        assert!(
            err.contains(
                ": that needs a confirmation, and standard input is not a terminal; pass --yes"
            ) && !err.contains("without running them without"),
            "{args:?}: {err}"
        );
        assert_eq!(
            std::fs::read(&db).unwrap(),
            before,
            "{args:?} changed the file"
        );
    }
}

#[test]
fn dry_runs_leave_the_file_byte_identical() {
    let setup = Setup::new();
    let db = setup.db_at("shop.db", 3);
    let before = std::fs::read(&db).unwrap();

    let out = run(&mut setup.migrate(&db, &["verify"]), 0).out;
    for file in [
        "0004_books_price_in_cents.sql",
        "0005_add_order_totals.sql",
        "0006_create_reviews.sql",
    ] {
        assert!(out.contains(&format!("ok {file}")), "{out}");
    }
    assert!(out.contains("not checked 0007_enable_wal.sql"), "{out}");
    assert!(out.contains("nothing was changed"), "{out}");
    assert_eq!(std::fs::read(&db).unwrap(), before);

    let value = run(
        &mut setup.migrate(&db, &["apply", "--dry-run", "--target", "5", "--json"]),
        0,
    )
    .json();
    assert_eq!(value["dry_run"], true);
    assert_eq!(value["applied"].as_array().unwrap().len(), 2);
    assert_eq!(std::fs::read(&db).unwrap(), before);
    assert_eq!(run(&mut setup.migrate(&db, &["version"]), 0).out, "3\n");
}

#[test]
fn a_failing_dry_run_reports_the_statement_and_exits_1() {
    let setup = Setup::new();
    let db = setup.db_at("shop.db", 3);
    // Make migration 4's copy fail: a book without an author breaks NOT NULL.
    execute(
        &db,
        "INSERT INTO books (id, title, author_id, price) VALUES (9, 'Anonymous', NULL, 1.0)",
    );
    let before = std::fs::read(&db).unwrap();
    let Ran { out, err } = run(&mut setup.migrate(&db, &["verify"]), 1);
    assert_eq!(out, "", "no line claims a migration passed");
    assert!(
        err.starts_with(
            "error: migration 4 (0004_books_price_in_cents.sql) failed at statement 2 (line 12)"
        ) && err.contains("NOT NULL constraint failed"),
        "{err}"
    );
    assert_eq!(std::fs::read(&db).unwrap(), before);
}

#[test]
fn rollback_and_reapply_ends_where_a_straight_apply_does() {
    let setup = Setup::new();
    let straight = setup.db_at("straight.db", 7);
    let db = setup.db_at("shop.db", 7);

    let out = run(
        &mut setup.migrate(&db, &["rollback", "--to", "1", "--yes"]),
        0,
    )
    .out;
    assert!(
        out.ends_with("rolled back 6 migrations; the database is at version 1\n"),
        "{out}"
    );
    let rolled: Vec<&str> = out
        .lines()
        .filter(|l| l.contains("rolled back 0"))
        .collect();
    assert_eq!(rolled.len(), 6, "{out}");
    assert!(rolled[0].contains("0007_enable_wal.down.sql"), "{out}");
    assert!(
        rolled[5].contains("0002_create_customers_and_orders.down.sql"),
        "{out}"
    );
    assert_eq!(run(&mut setup.migrate(&db, &["version"]), 0).out, "1\n");
    let journal: String = Connection::open(&db)
        .unwrap()
        .query_row("PRAGMA journal_mode", [], |row| row.get(0))
        .unwrap();
    assert_eq!(journal, "delete");
    let check = run(&mut setup.migrate(&db, &["check"]), 2);
    assert_eq!(
        check.out,
        "6 migrations pending (database at version 1 of 7)\n"
    );
    assert_eq!(check.err, "");

    let apply_all = |from: i64| {
        let out = run(&mut setup.migrate(&db, &["apply"]), 0).out;
        let pending = 7 - from;
        assert_eq!(
            out.matches("    applied 0").count(),
            pending as usize,
            "{out}"
        );
        assert!(
            out.ends_with(&format!(
                "applied {pending} migrations; the database is at version 7 of 7\n"
            )),
            "{out}"
        );
    };
    apply_all(1);
    assert_eq!(
        run(&mut setup.migrate(&db, &["check"]), 0).out,
        "up to date at version 7\n"
    );
    assert_eq!(dump(&db), dump(&straight));

    // All the way down, and up again.
    let value = run(
        &mut setup.migrate(&db, &["rollback", "--to", "0", "--yes", "--json"]),
        0,
    )
    .json();
    assert_eq!(value["current_version"], 0);
    let versions: Vec<i64> = value["rolled_back"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["version"].as_i64().unwrap())
        .collect();
    assert_eq!(versions, [7, 6, 5, 4, 3, 2, 1], "{value}");
    assert!(dump(&db).is_empty(), "{:?}", dump(&db));
    apply_all(0);
    assert_eq!(dump(&db), dump(&straight));
}

#[test]
fn baseline_adopts_a_database_created_by_plain_sql() {
    let setup = Setup::new();
    let straight = setup.db_at("straight.db", 7);
    let db = setup.path("legacy.db");
    let migrations = Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations");
    let conn = Connection::open(&db).unwrap();
    for file in [
        "0001_create_authors_and_books.sql",
        "0002_create_customers_and_orders.sql",
        "0003_index_orders_by_customer.sql",
    ] {
        conn.execute_batch(&std::fs::read_to_string(migrations.join(file)).unwrap())
            .unwrap();
    }
    drop(conn);
    let check = run(&mut setup.migrate(&db, &["check"]), 2);
    assert_eq!(
        check.out,
        "7 migrations pending (database at version 0 of 7)\n"
    );

    let out = run(&mut setup.migrate(&db, &["baseline", "3", "--yes"]), 0).out;
    assert!(out.contains("recorded versions 1 to 3 as applied"), "{out}");
    let value = run(&mut setup.migrate(&db, &["status", "--json"]), 0).json();
    assert_eq!(value["current_version"], 3);
    assert_eq!(value["counts"]["applied"], 3);
    assert_eq!(value["counts"]["pending"], 4);

    let out = run(&mut setup.migrate(&db, &["apply"]), 0).out;
    assert!(
        out.starts_with("    applied 0004_books_price_in_cents.sql")
            && out.ends_with("applied 4 migrations; the database is at version 7 of 7\n"),
        "{out}"
    );
    assert_eq!(
        run(&mut setup.migrate(&db, &["check"]), 0).out,
        "up to date at version 7\n"
    );
    assert_eq!(dump(&db), dump(&straight));

    // Once migrations are recorded, baseline refuses.
    let before = std::fs::read(&db).unwrap();
    let ran = run(&mut setup.migrate(&db, &["baseline", "2", "--yes"]), 1);
    assert_eq!(ran.out, "");
    assert_eq!(
        ran.err,
        "error: cannot baseline: the database already records applied migrations (up to version 7)\n"
    );
    assert_eq!(std::fs::read(&db).unwrap(), before);

    // A missing database is not created by a write command that needs one.
    let missing = setup.path("missing.db");
    let ran = run(&mut setup.migrate(&missing, &["baseline", "2", "--yes"]), 1);
    assert_eq!(ran.out, "");
    assert!(
        ran.err.starts_with("error: ") && ran.err.ends_with("missing.db`: no such database file\n"),
        "{}",
        ran.err
    );
    assert!(!missing.exists());
}

#[test]
fn backup_then_restore_gives_back_the_original_contents() {
    let setup = Setup::new();
    let db = setup.db_at("shop.db", 3);
    execute(
        &db,
        "INSERT INTO customers (id, email, name) VALUES (3, 'linus@example.com', 'Linus')",
    );
    let original = dump_all(&db);

    let backup = setup.path("before-4.db");
    let out = run(
        &mut setup.migrate(
            &db,
            &["apply", "--backup", backup.to_str().unwrap(), "--yes"],
        ),
        0,
    )
    .out;
    // The backup's line first, as the backup came first; then one line per migration, each
    // with its duration in whole milliseconds (`<1 ms` below one), as `status` shows it.
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("backup written to "), "{out}");
    assert!(
        lines[1].contains("applied") && lines[1].contains("0004_"),
        "{out}"
    );
    let duration = lines[1]
        .rsplit_once('(')
        .map(|(_, d)| d)
        .unwrap_or_default();
    assert!(
        duration.ends_with(" ms)") && !duration.contains('.'),
        "whole milliseconds: {out}"
    );
    assert_eq!(dump_all(&backup), original);
    assert_ne!(dump_all(&db), original);
    execute(&db, "DELETE FROM reviews; DELETE FROM orders;");

    let out = run(
        &mut setup.migrate(&db, &["restore", backup.to_str().unwrap(), "--yes"]),
        0,
    )
    .out;
    assert!(
        out.starts_with("restored ") && out.ends_with("; the database is at version 3\n"),
        "{out}"
    );
    assert_eq!(dump_all(&db), original);
    assert_eq!(run(&mut setup.migrate(&db, &["version"]), 0).out, "3\n");

    // `--backup` without a path writes beside the database.
    let out = run(
        &mut setup.migrate(&db, &["apply", "--target", "4", "--backup"]),
        0,
    )
    .out;
    assert!(
        out.starts_with("backup written to ")
            && out.contains("shop.db.before-v3-")
            && out.ends_with("applied 1 migration; the database is at version 4 of 7\n"),
        "{out}"
    );
    let beside: Vec<String> = std::fs::read_dir(setup.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.starts_with("shop.db.before-v3-"))
        .collect();
    assert_eq!(beside.len(), 1, "{beside:?}");
    assert_eq!(dump_all(&setup.path(&beside[0])), original);

    // A missing backup file is an error that changes nothing.
    let before = std::fs::read(&db).unwrap();
    let ran = run(&mut setup.migrate(&db, &["restore", "nope.db", "--yes"]), 1);
    assert_eq!(ran.out, "");
    assert_eq!(ran.err, "error: `nope.db`: no such backup file\n");
    assert_eq!(std::fs::read(&db).unwrap(), before);
}

#[test]
fn apply_allows_holes_and_unknown_versions_only_when_asked() {
    let setup = Setup::new();
    // A hole: migration 3 recorded as not applied while 4 to 7 are.
    let db = setup.db_at("holes.db", 7);
    execute(
        &db,
        "DELETE FROM schema_migrations WHERE version = 3; DROP INDEX orders_by_customer;",
    );
    let ran = run(&mut setup.migrate(&db, &["apply", "--yes"]), 1);
    assert_eq!(ran.out, "");
    assert!(
        ran.err
            .starts_with("error: applied migrations have holes: migration 3 ")
            && ran.err.contains("(`apply --allow-holes`)"),
        "{}",
        ran.err
    );
    let out = run(
        &mut setup.migrate(&db, &["apply", "--yes", "--allow-holes"]),
        0,
    )
    .out;
    assert!(
        out.starts_with("    applied 0003_index_orders_by_customer.sql (")
            && out.ends_with("applied 1 migration; the database is at version 7 of 7\n"),
        "{out}"
    );
    let recorded: i64 = Connection::open(&db)
        .unwrap()
        .query_row("SELECT count(*) FROM schema_migrations", [], |r| r.get(0))
        .unwrap();
    assert_eq!(recorded, 7);

    // A version this build does not know.
    let db = setup.db_at("ahead.db", 7);
    execute(
        &db,
        "INSERT INTO schema_migrations (version, name, checksum, applied_at, execution_time_ms, \
         history_checksum) VALUES (99, 'future', 'sha256:00', '2026-01-01T00:00:00.000Z', 0, 'x')",
    );
    let ran = run(&mut setup.migrate(&db, &["apply", "--yes"]), 1);
    assert_eq!(ran.out, "");
    assert!(
        ran.err.starts_with("error: ")
            && ran.err.contains("migration 99 (future)")
            && ran.err.contains("(`apply --allow-unknown`)"),
        "{}",
        ran.err
    );
    let ran = run(
        &mut setup.migrate(&db, &["apply", "--yes", "--allow-unknown"]),
        0,
    );
    assert_eq!(
        ran.out,
        "nothing to apply: the database is at version 99 of 7\n"
    );
}

#[test]
fn json_failures_print_one_error_document() {
    let setup = Setup::new();
    let db = setup.db_at("failing.db", 7);
    // Migration 3 is recorded as not applied, but its index is there: applying it fails.
    execute(&db, "DELETE FROM schema_migrations WHERE version = 3");
    let ran = run(
        &mut setup.migrate(&db, &["--json", "apply", "--yes", "--allow-holes"]),
        1,
    );
    let document = ran.json();
    assert_eq!(document["error"], "migration_failed", "{document}");
    assert_eq!(document["version"], 3);
    assert_eq!(document["file"], "0003_index_orders_by_customer.sql");
    assert_eq!(document["statement_index"], 1);
    assert_eq!(document["line"], 2);
    assert_eq!(
        document["sqlite_message"],
        "index orders_by_customer already exists"
    );
    assert!(
        document["message"]
            .as_str()
            .is_some_and(|m| m.contains("`baseline`")),
        "{document}"
    );
    assert!(
        ran.err
            .starts_with("error: migration 3 (0003_index_orders_by_customer.sql) failed"),
        "{}",
        ran.err
    );

    // A failure of the command line itself.
    let ran = run(
        &mut setup.migrate(&db, &["--json", "restore", "no-such.backup", "--yes"]),
        1,
    );
    let document = ran.json();
    assert_eq!(document["error"], "no_such_backup", "{document}");
    assert_eq!(document["message"], "`no-such.backup`: no such backup file");
    assert_eq!(ran.err, "error: `no-such.backup`: no such backup file\n");
}

#[test]
fn repair_accepts_an_edited_migration() {
    let setup = Setup::new();
    let db = setup.db_at("shop.db", 7);
    execute(
        &db,
        "UPDATE schema_migrations SET checksum = 'sha256:00' WHERE version = 3",
    );
    let ran = run(&mut setup.migrate(&db, &["check"]), 1);
    assert_eq!(ran.out, "");
    assert!(
        ran.err
            .starts_with("error: applied migration 3 (`0003_index_orders_by_customer.sql`)"),
        "{}",
        ran.err
    );
    let ran = run(&mut setup.migrate(&db, &["apply"]), 1);
    assert_eq!(ran.out, "");
    assert!(
        ran.err.contains(
            "(0003_index_orders_by_customer.sql) was edited after it was applied (applied sha256:00,"
        ) && ran.err.contains("accept it with `repair`"),
        "{}",
        ran.err
    );

    let out = run(&mut setup.migrate(&db, &["repair", "--yes"]), 0).out;
    assert!(
        out.starts_with("   repaired 0003_index_orders_by_customer.sql: accepted sha256:")
            && out.ends_with(" (was sha256:00)\n")
            && out.lines().count() == 1,
        "{out}"
    );
    assert_eq!(
        run(&mut setup.migrate(&db, &["check"]), 0).out,
        "up to date at version 7\n"
    );
    let value = run(&mut setup.migrate(&db, &["history", "--json"]), 0).json();
    let last = value["events"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["event"], "repaired");
    assert_eq!(last["version"], 3);
    assert_eq!(
        run(&mut setup.migrate(&db, &["repair", "--yes"]), 0).out,
        "nothing to repair\n"
    );
}

#[test]
fn new_creates_the_next_numbered_files() {
    let setup = Setup::new();
    let dir = setup.path("migrations");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("0001_first.sql"), "CREATE TABLE a (x);").unwrap();
    std::fs::write(dir.join("0002_second.sql"), "CREATE TABLE b (x);").unwrap();
    std::fs::write(dir.join("0002_second.down.sql"), "DROP TABLE b;").unwrap();
    std::fs::write(dir.join("README.md"), "not a migration").unwrap();

    // `new` needs no database. `--dir` here: without it, `new` writes to the directory the
    // demo's migrations were embedded from, this repository's `migrations/`.
    let new = |args: &[&str]| {
        let mut command = demo(setup.dir.path());
        command
            .args(["migrate", "new"])
            .args(args)
            .arg("--dir")
            .arg(&dir);
        command
    };
    let created = |out: &str| -> Vec<String> {
        out.lines()
            .filter_map(|l| l.trim_start().strip_prefix("created "))
            .map(|path| {
                Path::new(path)
                    .file_name()
                    .unwrap()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect()
    };
    let out = run(&mut new(&["add_prices", "--down"]), 0).out;
    assert_eq!(
        created(&out),
        ["0003_add_prices.sql", "0003_add_prices.down.sql"],
        "{out}"
    );
    assert!(dir.join("0003_add_prices.sql").is_file());
    assert!(dir.join("0003_add_prices.down.sql").is_file());
    let value = run(&mut new(&["more-prices", "--json"]), 0).json();
    assert_eq!(value["version"], 4, "{value}");
    let files = value["created"].as_array().unwrap();
    assert_eq!(files.len(), 1, "{value}");
    assert!(
        files[0].as_str().unwrap().ends_with("0004_more-prices.sql"),
        "{value}"
    );
    assert!(dir.join("0004_more-prices.sql").is_file());
    assert!(!dir.join("0004_more-prices.down.sql").exists());
    // Spaces become underscores, and the output says so.
    let out = run(&mut new(&["add due dates"]), 0).out;
    assert!(dir.join("0005_add_due_dates.sql").is_file());
    assert!(
        out.starts_with("description `add due dates` written as `add_due_dates`\n"),
        "{out}"
    );
    assert_eq!(created(&out), ["0005_add_due_dates.sql"], "{out}");

    // The width of the existing files is kept; an empty directory starts at 0001.
    let narrow = setup.path("narrow");
    std::fs::create_dir(&narrow).unwrap();
    std::fs::write(narrow.join("9_nine.sql"), "SELECT 1;").unwrap();
    let out = run(
        demo(setup.dir.path())
            .args(["migrate", "new", "ten", "--dir"])
            .arg(&narrow),
        0,
    )
    .out;
    assert_eq!(created(&out), ["10_ten.sql"], "{out}");
    assert!(narrow.join("10_ten.sql").is_file());
    let fresh = setup.path("fresh");
    let out = run(
        demo(setup.dir.path())
            .args(["migrate", "new", "start", "--dir"])
            .arg(&fresh),
        0,
    )
    .out;
    assert_eq!(created(&out), ["0001_start.sql"], "{out}");
    assert!(fresh.join("0001_start.sql").is_file());

    // Descriptions outside the grammar are refused, with a suggestion when one can be made,
    // and nothing is created.
    let before: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
    for (bad, suggested) in [
        ("", None),
        ("naïve", Some("na_ve")),
        ("drop;table", Some("drop_table")),
    ] {
        let Ran { out, err } = run(&mut new(&[bad]), 1);
        assert_eq!(out, "", "{bad:?}");
        assert!(
            err.starts_with("error: ") && err.contains("invalid description"),
            "{bad:?}: {err}"
        );
        if let Some(suggested) = suggested {
            assert!(err.contains(&format!("; try `{suggested}`")), "{err}");
        }
    }
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), before.len());
}

#[test]
fn usage_errors_and_missing_database() {
    let setup = Setup::new();
    let ran = run(demo(setup.dir.path()).args(["migrate", "rollback"]), 2);
    assert_eq!(ran.out, "");
    assert!(
        ran.err.starts_with("error: ") && ran.err.contains("--to") && ran.err.contains("Usage:"),
        "{}",
        ran.err
    );
    let out = run(demo(setup.dir.path()).args(["migrate", "--help"]), 0).out;
    assert!(out.contains("Usage: demo migrate"), "{out}");
    for command in [
        "status", "apply", "check", "rollback", "baseline", "repair", "new",
    ] {
        assert!(out.contains(&format!("\n  {command} ")), "{command}: {out}");
    }
}

#[test]
fn the_subcommands_also_work_without_the_migrate_prefix() {
    let setup = Setup::new();
    let db = setup.path("top.db");
    let top = |args: &[&str]| {
        let mut command = demo(setup.dir.path());
        command.args(args).arg("--db").arg(&db);
        command
    };
    assert_eq!(
        run(&mut top(&["check"]), 2).out,
        "7 migrations pending (database at version 0 of 7)\n"
    );
    let out = run(&mut top(&["apply", "--yes"]), 0).out;
    assert!(
        out.ends_with("applied 7 migrations; the database is at version 7 of 7\n"),
        "{out}"
    );
    assert_eq!(
        run(&mut top(&["check"]), 0).out,
        "up to date at version 7\n"
    );
    // Global flags go before or after the subcommand.
    let json = run(&mut top(&["version", "--json"]), 0).json();
    assert_eq!(json["current_version"], 7);
    assert_eq!(json["current_version"], json["latest_version"]);
    let again = run(
        demo(setup.dir.path())
            .arg("--json")
            .arg("--db")
            .arg(&db)
            .arg("version"),
        0,
    )
    .json();
    assert_eq!(again, json);
}

#[test]
fn a_closed_standard_output_is_not_a_panic() {
    let setup = Setup::new();
    let db = setup.db_at("piped.db", 3);
    // A pipe whose reading end is already closed: every write to it fails with EPIPE, as when
    // the output goes to `head -1` that has exited.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    for args in [&["status"][..], &["history"], &["--json", "status"]] {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_demo"))
            .current_dir(setup.dir.path())
            .env_remove("MIGRATE_DB")
            .args(args)
            .arg("--db")
            .arg(&db)
            .stdout(writer.try_clone().unwrap())
            .stderr(std::process::Stdio::piped())
            .output()
            .unwrap();
        // Its standard output is the closed pipe, so what is left to check is that it says
        // nothing on standard error (no panic, no error) and exits 0.
        let stderr = stderr(&output);
        assert_eq!(stderr, "", "{args:?}");
        assert_eq!(output.status.code(), Some(0), "{args:?}");
    }
}

#[test]
fn schema_prints_the_snapshot_without_a_database() {
    let setup = Setup::new();
    let printed = run(demo(setup.dir.path()).arg("schema"), 0).out;
    // No database was needed, and none was created (not even the demo's default `demo.db`).
    let left: Vec<_> = std::fs::read_dir(setup.dir.path()).unwrap().collect();
    assert!(left.is_empty(), "{left:?}");

    // Byte for byte what the library's verification renders.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations");
    let migrations = migrate_runtime::Migrations::from_dir(dir).unwrap();
    let report = migrations.verify_in_memory().unwrap();
    assert!(report.is_ok(), "{report}");
    assert_eq!(printed, report.snapshot);
    // ... and what the compiler compared with the committed snapshot when it built the demo.
    let committed =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("schema.sql")).unwrap();
    assert_eq!(printed, committed);
    assert_eq!(
        printed.lines().take_while(|l| l.starts_with("-- ")).count(),
        7
    );
    assert!(printed.ends_with(";\n"), "{printed}");

    // `sqlite3` can run it, and it builds the objects `apply` builds.
    let objects = |conn: &Connection| {
        rows_of(
            conn,
            "SELECT type, name FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%' \
             AND name NOT LIKE 'schema_migrations%' ORDER BY 1, 2",
        )
    };
    let fresh = Connection::open_in_memory().unwrap();
    fresh.execute_batch(&printed).unwrap();
    let db = setup.db_at("app.db", 7);
    assert_eq!(objects(&fresh), objects(&Connection::open(&db).unwrap()));
}

#[test]
fn schema_at_an_earlier_version() {
    let setup = Setup::new();
    let printed = run(
        demo(setup.dir.path()).args(["migrate", "schema", "--at", "2"]),
        0,
    )
    .out;
    let header: Vec<&str> = printed
        .lines()
        .take_while(|l| l.starts_with("-- "))
        .collect();
    assert_eq!(header.len(), 2, "{printed}");
    assert!(header[1].starts_with("-- 0002_create_customers_and_orders.sql sha256:"));
    assert!(printed.contains("price REAL NOT NULL"), "{printed}");
    assert!(!printed.contains("reviews"), "{printed}");

    let ran = run(demo(setup.dir.path()).args(["schema", "--at", "9"]), 1);
    assert_eq!(ran.out, "");
    assert!(
        ran.err.starts_with("error: version 9 is not valid here"),
        "{}",
        ran.err
    );
}
