//! Every subcommand through the real `demo` binary, on real database files.

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

    /// A database at `version`, applied through the CLI.
    fn db_at(&self, name: &str, version: i64) -> PathBuf {
        let db = self.path(name);
        self.migrate(&db, &["apply", "--target", &version.to_string()])
            .assert()
            .success();
        db
    }
}

fn stdout(output: &std::process::Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

fn json(output: &std::process::Output) -> Value {
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", stdout(output)))
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
    let output = demo(setup.dir.path()).output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let out = stdout(&output);
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
    let output = demo(setup.dir.path()).output().unwrap();
    let out = stdout(&output);
    assert!(!out.contains("applied 0"), "{out}");
    assert!(out.contains("placed an order: 5 orders"), "{out}");

    // MIGRATE_DB chooses the file.
    let other = setup.path("other.db");
    demo(setup.dir.path())
        .env("MIGRATE_DB", &other)
        .args(["migrate", "version"])
        .assert()
        .success()
        .stdout("0\n");
    demo(setup.dir.path())
        .env("MIGRATE_DB", &other)
        .assert()
        .success();
    demo(setup.dir.path())
        .env("MIGRATE_DB", &other)
        .args(["migrate", "version"])
        .assert()
        .success()
        .stdout("7\n");
}

#[test]
fn status_is_the_default_and_reads_a_missing_file_without_creating_it() {
    let setup = Setup::new();
    let db = setup.path("missing.db");
    let output = setup.migrate(&db, &[]).output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let out = stdout(&output);
    assert!(
        out.contains("version 0 of 7 (0 applied, 7 pending)"),
        "{out}"
    );
    assert_eq!(out.matches(" pending ").count(), 7, "{out}");
    for command in [
        &["status"][..],
        &["version"],
        &["history"],
        &["check"],
        &["verify"],
    ] {
        setup.migrate(&db, command).output().unwrap();
    }
    setup
        .migrate(&db, &["apply", "--dry-run"])
        .assert()
        .success();
    assert!(!db.exists(), "reading commands must not create the file");
}

#[test]
fn status_table_and_json() {
    let setup = Setup::new();
    let db = setup.db_at("shop.db", 5);
    let output = setup.migrate(&db, &["status"]).output().unwrap();
    let out = stdout(&output);
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

    let output = setup.migrate(&db, &["status", "--json"]).output().unwrap();
    assert!(output.status.success());
    let value = json(&output);
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
    setup
        .migrate(&db, &["version"])
        .assert()
        .success()
        .stdout("3\n");
    let output = setup.migrate(&db, &["version", "--json"]).output().unwrap();
    insta::assert_json_snapshot!("version", json(&output), { ".database" => "[db]" });

    setup
        .migrate(&db, &["rollback", "--to", "2", "--yes"])
        .assert()
        .success();
    let output = setup.migrate(&db, &["history"]).output().unwrap();
    let out = stdout(&output);
    let events: Vec<&str> = out
        .lines()
        .map(|l| l.split_whitespace().nth(1).unwrap())
        .collect();
    assert_eq!(
        events,
        ["applied", "applied", "applied", "rolled_back"],
        "{out}"
    );
    let output = setup.migrate(&db, &["history", "--json"]).output().unwrap();
    insta::assert_json_snapshot!("history", json(&output), {
        ".database" => "[db]",
        ".events[].at" => "[time]",
        ".events[].duration_ms" => "[ms]",
    });
}

#[test]
fn check_exits_0_up_to_date_2_pending_1_on_problems() {
    let setup = Setup::new();
    let missing = setup.path("missing.db");
    let output = setup
        .migrate(&missing, &["check", "--json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    insta::assert_json_snapshot!("check_pending", json(&output), { ".database" => "[db]" });

    let db = setup.db_at("shop.db", 7);
    let output = setup.migrate(&db, &["check"]).output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(stdout(&output), "up to date at version 7\n");
    let output = setup.migrate(&db, &["check", "--json"]).output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    insta::assert_json_snapshot!("check_up_to_date", json(&output), { ".database" => "[db]" });
    setup
        .migrate(&db, &["check", "-q"])
        .assert()
        .code(0)
        .stdout("");

    // Drift.
    execute(
        &db,
        "UPDATE schema_migrations SET checksum = 'sha256:00' WHERE version = 2",
    );
    let output = setup.migrate(&db, &["check", "--json"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    insta::assert_json_snapshot!("check_drift", json(&output), { ".database" => "[db]" });
    let output = setup.migrate(&db, &["check"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains(
            "applied migration 2 (`0002_create_customers_and_orders.sql`) was edited after it was \
             applied: if the edit was intended, accept it with `repair`"
        ),
        "{}",
        stderr(&output)
    );

    // An applied version this build does not know.
    let ahead = setup.db_at("ahead.db", 7);
    execute(
        &ahead,
        "INSERT INTO schema_migrations (version, name, checksum, applied_at, execution_time_ms, history_checksum)
         VALUES (8, 'from_a_newer_build', 'sha256:11', '2030-01-01T00:00:00.000Z', 1, '')",
    );
    let output = setup.migrate(&ahead, &["check"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("applied version 8 unknown"),
        "{}",
        stderr(&output)
    );

    // A file that is not a database.
    let junk = setup.path("junk.db");
    std::fs::write(&junk, vec![b'j'; 8192]).unwrap();
    let output = setup.migrate(&junk, &["check", "--json"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let value = json(&output);
    assert_eq!(value["result"], "error");
    assert!(
        value["message"]
            .as_str()
            .unwrap()
            .contains("is not an SQLite database"),
        "{value}"
    );
    let output = setup.migrate(&junk, &["status"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("is not an SQLite database"));
}

#[test]
fn apply_without_a_terminal_proceeds_and_reports_progress() {
    let setup = Setup::new();
    let db = setup.path("shop.db");
    // assert_cmd gives the child a standard input that is not a terminal: no question asked.
    let output = setup
        .migrate(&db, &["up", "--target", "2"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let out = stdout(&output);
    assert_eq!(
        out.lines().filter(|l| l.contains("applied 000")).count(),
        2,
        "{out}"
    );
    assert!(out.contains("applied 2 migrations; the database is at version 2 of 7"));

    let output = setup.migrate(&db, &["run", "--json"]).output().unwrap();
    let value = json(&output);
    assert_eq!(value["current_version"], 7);
    assert_eq!(value["dry_run"], false);
    let versions: Vec<i64> = value["applied"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["version"].as_i64().unwrap())
        .collect();
    assert_eq!(versions, [3, 4, 5, 6, 7]);

    setup
        .migrate(&db, &["apply", "--quiet"])
        .assert()
        .success()
        .stdout("");
    setup
        .migrate(&db, &["apply", "--target", "9"])
        .assert()
        .failure();
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
        let output = setup.migrate(&db, args).output().unwrap();
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        let err = stderr(&output);
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

    let output = setup.migrate(&db, &["verify"]).output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let out = stdout(&output);
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

    let output = setup
        .migrate(&db, &["apply", "--dry-run", "--target", "5", "--json"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let value = json(&output);
    assert_eq!(value["dry_run"], true);
    assert_eq!(value["applied"].as_array().unwrap().len(), 2);
    assert_eq!(std::fs::read(&db).unwrap(), before);
    setup
        .migrate(&db, &["version"])
        .assert()
        .success()
        .stdout("3\n");
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
    let output = setup.migrate(&db, &["verify"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(
        err.contains("migration 4 (0004_books_price_in_cents.sql) failed at statement 2 (line 12)")
            && err.contains("NOT NULL constraint failed"),
        "{err}"
    );
    assert_eq!(std::fs::read(&db).unwrap(), before);
}

#[test]
fn rollback_and_reapply_ends_where_a_straight_apply_does() {
    let setup = Setup::new();
    let straight = setup.db_at("straight.db", 7);
    let db = setup.db_at("shop.db", 7);

    let output = setup
        .migrate(&db, &["rollback", "--to", "1", "--yes"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let out = stdout(&output);
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
    setup
        .migrate(&db, &["version"])
        .assert()
        .success()
        .stdout("1\n");
    let journal: String = Connection::open(&db)
        .unwrap()
        .query_row("PRAGMA journal_mode", [], |row| row.get(0))
        .unwrap();
    assert_eq!(journal, "delete");
    setup.migrate(&db, &["check"]).assert().code(2);

    setup.migrate(&db, &["apply"]).assert().success();
    setup.migrate(&db, &["check"]).assert().code(0);
    assert_eq!(dump(&db), dump(&straight));

    // All the way down, and up again.
    setup
        .migrate(&db, &["rollback", "--to", "0", "--yes", "--json"])
        .assert()
        .success();
    assert!(dump(&db).is_empty(), "{:?}", dump(&db));
    setup.migrate(&db, &["apply"]).assert().success();
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
    setup.migrate(&db, &["check"]).assert().code(2);

    let output = setup
        .migrate(&db, &["baseline", "3", "--yes"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stdout(&output).contains("recorded versions 1 to 3 as applied"));
    let output = setup.migrate(&db, &["status", "--json"]).output().unwrap();
    let value = json(&output);
    assert_eq!(value["current_version"], 3);
    assert_eq!(value["counts"]["applied"], 3);
    assert_eq!(value["counts"]["pending"], 4);

    setup.migrate(&db, &["apply"]).assert().success();
    setup.migrate(&db, &["check"]).assert().code(0);
    assert_eq!(dump(&db), dump(&straight));

    // Once migrations are recorded, baseline refuses.
    let before = std::fs::read(&db).unwrap();
    let output = setup
        .migrate(&db, &["baseline", "2", "--yes"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("already records applied migrations"));
    assert_eq!(std::fs::read(&db).unwrap(), before);

    // A missing database is not created by a write command that needs one.
    let missing = setup.path("missing.db");
    setup
        .migrate(&missing, &["baseline", "2", "--yes"])
        .assert()
        .failure();
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
    let output = setup
        .migrate(
            &db,
            &["apply", "--backup", backup.to_str().unwrap(), "--yes"],
        )
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    // The backup's line first, as the backup came first; then one line per migration, each
    // with its duration in whole milliseconds (`<1 ms` below one), as `status` shows it.
    let out = stdout(&output);
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

    let output = setup
        .migrate(&db, &["restore", backup.to_str().unwrap(), "--yes"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stdout(&output).contains("the database is at version 3"));
    assert_eq!(dump_all(&db), original);
    setup
        .migrate(&db, &["version"])
        .assert()
        .success()
        .stdout("3\n");

    // `--backup` without a path writes beside the database.
    setup
        .migrate(&db, &["apply", "--target", "4", "--backup"])
        .assert()
        .success();
    let beside: Vec<String> = std::fs::read_dir(setup.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.starts_with("shop.db.before-v3-"))
        .collect();
    assert_eq!(beside.len(), 1, "{beside:?}");
    assert_eq!(dump_all(&setup.path(&beside[0])), original);

    // A missing backup file is an error that changes nothing.
    let before = std::fs::read(&db).unwrap();
    setup
        .migrate(&db, &["restore", "nope.db", "--yes"])
        .assert()
        .failure();
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
    let output = setup.migrate(&db, &["apply", "--yes"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("(`apply --allow-holes`)"),
        "{}",
        stderr(&output)
    );
    let output = setup
        .migrate(&db, &["apply", "--yes", "--allow-holes"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
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
    let output = setup.migrate(&db, &["apply", "--yes"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("(`apply --allow-unknown`)"),
        "{}",
        stderr(&output)
    );
    let output = setup
        .migrate(&db, &["apply", "--yes", "--allow-unknown"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
}

#[test]
fn json_failures_print_one_error_document() {
    let setup = Setup::new();
    let db = setup.db_at("failing.db", 7);
    // Migration 3 is recorded as not applied, but its index is there: applying it fails.
    execute(&db, "DELETE FROM schema_migrations WHERE version = 3");
    let output = setup
        .migrate(&db, &["--json", "apply", "--yes", "--allow-holes"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let document = json(&output);
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
        stderr(&output).starts_with("error: "),
        "{}",
        stderr(&output)
    );

    // A failure of the command line itself.
    let output = setup
        .migrate(&db, &["--json", "restore", "no-such.backup", "--yes"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let document = json(&output);
    assert_eq!(document["error"], "no_such_backup", "{document}");
    assert_eq!(document["message"], "`no-such.backup`: no such backup file");
}

#[test]
fn repair_accepts_an_edited_migration() {
    let setup = Setup::new();
    let db = setup.db_at("shop.db", 7);
    execute(
        &db,
        "UPDATE schema_migrations SET checksum = 'sha256:00' WHERE version = 3",
    );
    setup.migrate(&db, &["check"]).assert().code(1);
    let output = setup.migrate(&db, &["apply"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains(
            "(0003_index_orders_by_customer.sql) was edited after it was applied (applied sha256:00,"
        ) && stderr(&output).contains("accept it with `repair`"),
        "{}",
        stderr(&output)
    );

    let output = setup.migrate(&db, &["repair", "--yes"]).output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stdout(&output).contains("0003_index_orders_by_customer.sql: accepted sha256:"));
    setup.migrate(&db, &["check"]).assert().code(0);
    let output = setup.migrate(&db, &["history", "--json"]).output().unwrap();
    let value = json(&output);
    let last = value["events"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["event"], "repaired");
    assert_eq!(last["version"], 3);
    setup
        .migrate(&db, &["repair", "--yes"])
        .assert()
        .success()
        .stdout("nothing to repair\n");
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
    let output = new(&["add_prices", "--down"]).output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(dir.join("0003_add_prices.sql").is_file());
    assert!(dir.join("0003_add_prices.down.sql").is_file());
    new(&["more-prices", "--json"]).assert().success();
    assert!(dir.join("0004_more-prices.sql").is_file());
    assert!(!dir.join("0004_more-prices.down.sql").exists());
    // Spaces become underscores, and the output says so.
    let output = new(&["add due dates"]).output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(dir.join("0005_add_due_dates.sql").is_file());
    assert!(
        stdout(&output).contains("description `add due dates` written as `add_due_dates`"),
        "{}",
        stdout(&output)
    );

    // The width of the existing files is kept; an empty directory starts at 0001.
    let narrow = setup.path("narrow");
    std::fs::create_dir(&narrow).unwrap();
    std::fs::write(narrow.join("9_nine.sql"), "SELECT 1;").unwrap();
    demo(setup.dir.path())
        .args(["migrate", "new", "ten", "--dir"])
        .arg(&narrow)
        .assert()
        .success();
    assert!(narrow.join("10_ten.sql").is_file());
    let fresh = setup.path("fresh");
    demo(setup.dir.path())
        .args(["migrate", "new", "start", "--dir"])
        .arg(&fresh)
        .assert()
        .success();
    assert!(fresh.join("0001_start.sql").is_file());

    // Descriptions outside the grammar are refused, with a suggestion when one can be made,
    // and nothing is created.
    let before: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
    for (bad, suggested) in [
        ("", None),
        ("naïve", Some("na_ve")),
        ("drop;table", Some("drop_table")),
    ] {
        let output = new(&[bad]).output().unwrap();
        assert_eq!(output.status.code(), Some(1), "{bad:?}");
        assert!(stderr(&output).contains("invalid description"), "{bad:?}");
        if let Some(suggested) = suggested {
            assert!(
                stderr(&output).contains(&format!("; try `{suggested}`")),
                "{}",
                stderr(&output)
            );
        }
    }
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), before.len());
}

#[test]
fn usage_errors_and_missing_database() {
    let setup = Setup::new();
    let output = demo(setup.dir.path())
        .args(["migrate", "rollback"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("--to"));
    demo(setup.dir.path())
        .args(["migrate", "--help"])
        .assert()
        .success();
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
    top(&["check"]).assert().code(2);
    top(&["apply", "--yes"]).assert().success();
    top(&["check"]).assert().code(0);
    // Global flags go before or after the subcommand.
    let output = top(&["version", "--json"]).output().unwrap();
    let json: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(json["current_version"], json["latest_version"]);
    let output = demo(setup.dir.path())
        .arg("--json")
        .arg("--db")
        .arg(&db)
        .arg("version")
        .output()
        .unwrap();
    let again: Value = serde_json::from_str(&stdout(&output)).unwrap();
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
        let stderr = stderr(&output);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(output.status.success(), "{args:?}: {stderr}");
    }
}

#[test]
fn schema_prints_the_snapshot_without_a_database() {
    let setup = Setup::new();
    let output = demo(setup.dir.path()).arg("schema").output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let printed = stdout(&output);
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
    let output = demo(setup.dir.path())
        .args(["migrate", "schema", "--at", "2"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let printed = stdout(&output);
    let header: Vec<&str> = printed
        .lines()
        .take_while(|l| l.starts_with("-- "))
        .collect();
    assert_eq!(header.len(), 2, "{printed}");
    assert!(header[1].starts_with("-- 0002_create_customers_and_orders.sql sha256:"));
    assert!(printed.contains("price REAL NOT NULL"), "{printed}");
    assert!(!printed.contains("reviews"), "{printed}");

    let output = demo(setup.dir.path())
        .args(["schema", "--at", "9"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("version 9 is not valid here"),
        "{}",
        stderr(&output)
    );
}
