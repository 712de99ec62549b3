//! `baseline --from`: taking over databases written by the real sqlx, diesel, refinery and
//! rusqlite_migration (and a `_prisma_migrations` table in Prisma's documented layout), from
//! `tests/fixtures/foreign/databases` (see its README for how they were made). Each set
//! embedded here is the expected import of that tool's fixture set,
//! `tests/fixtures/foreign/imported/<tool>`.
//!
//! The command-line tests run the real CLI in a child process: this test binary starts a copy
//! of itself whose `child_cli` test parses the arguments with the CLI's own parser and runs
//! them, so the process's output and exit status are the CLI's.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Output, Stdio};

use migrate_runtime::import::{
    BaselineFromError, ChecksumMismatch, ImportMap, SourceTool, Unverifiable, Verification,
};
use migrate_runtime::rusqlite::Connection;
use migrate_runtime::{Error, Migrations};
use migrate_test_kit::{applied_versions, rows_of, user_dump, workspace_root};

static SQLX: Migrations =
    migrate_runtime::embed_migrations!("../tests/fixtures/foreign/imported/sqlx");
static DIESEL: Migrations =
    migrate_runtime::embed_migrations!("../tests/fixtures/foreign/imported/diesel");
static REFINERY: Migrations =
    migrate_runtime::embed_migrations!("../tests/fixtures/foreign/imported/refinery");
static PRISMA: Migrations =
    migrate_runtime::embed_migrations!("../tests/fixtures/foreign/imported/prisma");

fn set(tool: SourceTool) -> &'static Migrations {
    match tool {
        SourceTool::Sqlx => &SQLX,
        SourceTool::Diesel => &DIESEL,
        // rusqlite_migration applied the up SQL of the refinery fixture files, in order.
        SourceTool::Refinery | SourceTool::RusqliteMigration => &REFINERY,
        _ => &PRISMA,
    }
}

fn foreign() -> PathBuf {
    workspace_root().join("tests/fixtures/foreign")
}

/// A copy of a committed database in a fresh temporary directory.
fn copy_of(file: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join(file);
    std::fs::copy(foreign().join("databases").join(file), &db).unwrap();
    (dir, db)
}

fn map(tool: SourceTool) -> Option<ImportMap> {
    tool.history_table().map(|_| {
        ImportMap::read(set(tool).source_dir().expect("embedded from a directory")).unwrap()
    })
}

/// The schema without the tracking tables and the other tool's table: what a straight apply
/// of our set must reproduce.
fn schema(conn: &Connection, foreign_table: Option<&str>) -> Vec<String> {
    rows_of(
        conn,
        "SELECT type, name, tbl_name, sql FROM sqlite_schema
         WHERE name NOT LIKE 'schema_migrations%' AND name <> 'sqlite_sequence' ORDER BY name",
    )
    .into_iter()
    .filter(|row| foreign_table.is_none_or(|t| !row.contains(&format!("\"{t}\""))))
    .collect()
}

fn fresh_schema(set: &Migrations) -> Vec<String> {
    let mut conn = Connection::open_in_memory().unwrap();
    set.run(&mut conn).unwrap();
    schema(&conn, None)
}

fn versions(to: i64) -> Vec<i64> {
    (1..=to).collect()
}

/// Takes over `file` with the library, checks that no SQL ran and the other tool's table is
/// untouched, then applies the rest and compares with a straight apply.
fn take_over(tool: SourceTool, file: &str, k: i64) -> migrate_runtime::import::BaselineFromReport {
    let set = set(tool);
    let (_dir, db) = copy_of(file);
    let mut conn = Connection::open(&db).unwrap();
    let before = user_dump(&conn);
    let report = set
        .baseline_from(&mut conn, tool, map(tool).as_ref())
        .unwrap();
    assert_eq!(report.current_version, k);
    assert_eq!(
        report
            .migrations
            .iter()
            .map(|m| m.version)
            .collect::<Vec<_>>(),
        versions(k)
    );
    assert_eq!(report.kept_table, tool.history_table());
    // No SQL ran: the schema and every row, the other tool's table included, are as they were.
    assert_eq!(user_dump(&conn), before, "{tool}: the database changed");
    assert_eq!(applied_versions(&conn), versions(k));
    let detail: String = conn
        .query_row(
            "SELECT detail FROM schema_migrations_history WHERE event = 'baselined'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(
        detail.starts_with(&format!("baselined from {tool}: versions 1 to {k}")),
        "{detail}"
    );
    // Later migrations apply normally, to the schema a straight apply gives.
    let applied = set.run(&mut conn).unwrap();
    assert_eq!(
        applied
            .applied
            .iter()
            .map(|m| m.version)
            .collect::<Vec<_>>(),
        ((k + 1)..=set.latest_version()).collect::<Vec<_>>()
    );
    assert_eq!(
        schema(&conn, tool.history_table()),
        fresh_schema(set),
        "{tool}: the schema differs from a straight apply"
    );
    if let Some(table) = tool.history_table() {
        let rows = rows_of(&conn, &format!("SELECT * FROM {table} ORDER BY 1"));
        let original = Connection::open(foreign().join("databases").join(file)).unwrap();
        assert_eq!(
            rows,
            rows_of(&original, &format!("SELECT * FROM {table} ORDER BY 1")),
            "{table} was changed"
        );
    }
    report
}

fn verified(algorithm: &'static str, file: bool) -> Verification {
    Verification::Verified { algorithm, file }
}

#[test]
fn sqlx_database_is_taken_over_with_every_checksum_verified() {
    let report = take_over(SourceTool::Sqlx, "sqlx.sqlite3", 3);
    for m in &report.migrations {
        assert_eq!(m.verification, verified("SHA-384", true), "{}", m.file);
    }
    assert_eq!(report.migrations[2].entry.id, "20240201080000");
    assert_eq!(
        report.migrations[2].entry.description.as_deref(),
        Some("backfill names")
    );
}

#[test]
fn diesel_database_is_taken_over_without_checksums() {
    let report = take_over(SourceTool::Diesel, "diesel.sqlite3", 3);
    assert!(report.verified().is_empty());
    assert!(
        report
            .migrations
            .iter()
            .all(|m| m.verification == Verification::Unverified(Unverifiable::NoChecksumKept))
    );
    assert_eq!(report.migrations[0].entry.id, "20240105093000");
}

#[test]
fn refinery_database_is_taken_over_with_its_siphash_checksums_verified() {
    let report = take_over(SourceTool::Refinery, "refinery.sqlite3", 3);
    for m in &report.migrations {
        assert_eq!(
            m.verification,
            verified("SipHash-1-3 of name, version and SQL", true),
            "{}",
            m.file
        );
    }
}

#[test]
fn prisma_database_is_taken_over_ignoring_rolled_back_and_unfinished_rows() {
    let report = take_over(SourceTool::Prisma, "prisma.sqlite3", 3);
    // Migrations 1 and 2 were copied unchanged; the import removed 3's PRAGMA foreign_keys
    // lines, so only IMPORTED.toml's checksum is compared with Prisma's.
    assert_eq!(report.migrations[0].verification, verified("SHA-256", true));
    assert_eq!(report.migrations[1].verification, verified("SHA-256", true));
    assert_eq!(
        report.migrations[2].verification,
        verified("SHA-256", false)
    );
    let ignored: Vec<_> = report
        .ignored
        .iter()
        .map(|i| (i.entry.id.as_str(), i.reason))
        .collect();
    assert_eq!(
        ignored,
        [
            (
                "20240210120000_make_body_required",
                "rolled back (`rolled_back_at` is set)"
            ),
            (
                "20240301100000_post_published_at",
                "never finished (`finished_at` is empty; Prisma would refuse to deploy over it, P3009: check that none of its statements ran)"
            ),
        ]
    );
}

#[test]
fn rusqlite_migration_database_is_taken_over_by_position() {
    let report = take_over(
        SourceTool::RusqliteMigration,
        "rusqlite-migration.sqlite3",
        3,
    );
    assert!(report.verified().is_empty());
    assert_eq!(report.migrations[2].entry.id, "3");
}

/// Runs `baseline_from` on a copy of `file` and returns the error; checks that the refusal
/// recorded nothing and changed nothing.
fn refusal(tool: SourceTool, set: &Migrations, file: &str) -> BaselineFromError {
    let (_dir, db) = copy_of(file);
    let mut conn = Connection::open(&db).unwrap();
    let before = user_dump(&conn);
    let map = tool
        .history_table()
        .map(|_| ImportMap::read(&set_dir(tool)).unwrap());
    let error = set
        .baseline_from(&mut conn, tool, map.as_ref())
        .unwrap_err();
    assert_eq!(user_dump(&conn), before, "a refusal changed the database");
    let tracked: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_schema WHERE name LIKE 'schema_migrations%'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(tracked, 0, "a refusal left tracking tables");
    error
}

fn set_dir(tool: SourceTool) -> PathBuf {
    set(tool).source_dir().unwrap().to_path_buf()
}

#[test]
fn a_failed_sqlx_entry_is_refused_naming_it_and_our_file() {
    let error = refusal(SourceTool::Sqlx, &SQLX, "sqlx-failed.sqlite3");
    let BaselineFromError::Failed { entry, ours } = &error else {
        panic!("{error:?}")
    };
    assert_eq!(entry.id, "20240201080000");
    assert_eq!(ours.as_ref().unwrap().file, "0003_backfill_names.sql");
    assert!(error.to_string().contains("20240201080000"), "{error}");
}

#[test]
fn a_file_edited_after_sqlx_applied_it_is_refused() {
    let error = refusal(SourceTool::Sqlx, &SQLX, "sqlx-edited.sqlite3");
    let BaselineFromError::ChangedSinceApplied(mismatch) = &error else {
        panic!("{error:?}")
    };
    let ChecksumMismatch {
        entry,
        ours,
        applied,
        compared: imported,
        ..
    } = mismatch.as_ref();
    assert_eq!(entry.id, "20240112154500");
    assert_eq!(ours.file, "0002_create_posts.sql");
    assert_ne!(applied, imported);
    assert!(
        error.to_string().contains("0002_create_posts.sql"),
        "{error}"
    );
}

#[test]
fn our_file_edited_after_the_import_is_refused() {
    // The imported sqlx set with a comment added to 0001 after the import.
    let files = SQLX.iter().map(|m| {
        let sql = if m.version() == 1 {
            format!("{}-- edited\n", m.sql())
        } else {
            m.sql().to_owned()
        };
        (m.file_name().to_owned(), sql)
    });
    let edited = Migrations::from_files(files.collect::<Vec<_>>()).unwrap();
    let error = refusal(SourceTool::Sqlx, &edited, "sqlx.sqlite3");
    let BaselineFromError::ChangedSinceImport(mismatch) = &error else {
        panic!("{error:?}")
    };
    let ChecksumMismatch { entry, ours, .. } = mismatch.as_ref();
    assert_eq!(entry.id, "20240105093000");
    assert_eq!(ours.file, "0001_create_users.sql");
}

#[test]
fn entries_that_are_not_a_prefix_are_refused_naming_the_first_gap() {
    let error = refusal(SourceTool::Sqlx, &SQLX, "sqlx-not-prefix.sqlite3");
    let BaselineFromError::NotAPrefix {
        entry,
        ours,
        missing,
    } = &error
    else {
        panic!("{error:?}")
    };
    assert_eq!(entry.id, "20240301100000");
    assert_eq!(
        (ours.version, ours.file.as_str()),
        (5, "0005_add_published_at.sql")
    );
    assert_eq!(
        (missing.version, missing.file.as_str()),
        (3, "0003_backfill_names.sql")
    );
}

#[test]
fn a_database_without_the_tools_table_is_refused() {
    // diesel migrated this one: there is no `_sqlx_migrations`.
    let error = refusal(SourceTool::Sqlx, &SQLX, "diesel.sqlite3");
    assert!(
        matches!(
            error,
            BaselineFromError::NoHistoryTable {
                tool: SourceTool::Sqlx,
                table: "_sqlx_migrations"
            }
        ),
        "{error:?}"
    );
}

#[test]
fn an_empty_history_table_is_refused() {
    let error = refusal(SourceTool::Sqlx, &SQLX, "sqlx-empty.sqlite3");
    assert!(
        matches!(
            error,
            BaselineFromError::NothingApplied {
                tool: SourceTool::Sqlx,
                ..
            }
        ),
        "{error:?}"
    );
}

#[test]
fn a_user_version_past_the_set_is_refused() {
    let (_dir, db) = copy_of("rusqlite-migration.sqlite3");
    let mut conn = Connection::open(&db).unwrap();
    conn.pragma_update(None, "user_version", i32::MAX).unwrap();
    let error = REFINERY
        .baseline_from(&mut conn, SourceTool::RusqliteMigration, None)
        .unwrap_err();
    let BaselineFromError::BeyondSet { entry, latest } = &error else {
        panic!("{error:?}")
    };
    // The first position past the end is the one named.
    assert_eq!((entry.id.as_str(), *latest), ("5", 4));
}

#[test]
fn a_database_we_already_track_is_refused() {
    let (_dir, db) = copy_of("sqlx.sqlite3");
    let mut conn = Connection::open(&db).unwrap();
    let map = map(SourceTool::Sqlx);
    SQLX.baseline_from(&mut conn, SourceTool::Sqlx, map.as_ref())
        .unwrap();
    let error = SQLX
        .baseline_from(&mut conn, SourceTool::Sqlx, map.as_ref())
        .unwrap_err();
    assert!(
        matches!(
            error,
            BaselineFromError::Runtime(Error::AlreadyTracked { current_version: 3 })
        ),
        "{error:?}"
    );
}

#[test]
fn a_table_tool_needs_its_own_map() {
    let (_dir, db) = copy_of("sqlx.sqlite3");
    let mut conn = Connection::open(&db).unwrap();
    let error = SQLX
        .baseline_from(&mut conn, SourceTool::Sqlx, None)
        .unwrap_err();
    assert!(
        matches!(error, BaselineFromError::MapRequired { .. }),
        "{error:?}"
    );
    let diesel_map = map(SourceTool::Diesel).unwrap();
    let error = SQLX
        .baseline_from(&mut conn, SourceTool::Sqlx, Some(&diesel_map))
        .unwrap_err();
    assert!(
        matches!(error, BaselineFromError::WrongMap { .. }),
        "{error:?}"
    );
}

#[test]
fn the_expected_import_maps_are_in_the_form_the_map_writes() {
    // The hand-written IMPORTED.toml files are exactly what `ImportMap::to_toml` writes, so
    // `import` can be compared with them byte for byte.
    for tool in [
        SourceTool::Sqlx,
        SourceTool::Diesel,
        SourceTool::Refinery,
        SourceTool::Prisma,
    ] {
        let dir = set_dir(tool);
        let text = std::fs::read_to_string(dir.join("IMPORTED.toml")).unwrap();
        let map = ImportMap::parse(&text).unwrap();
        assert_eq!(map.tool, tool);
        assert_eq!(map.to_toml(), text, "{tool}");
        let files: Vec<_> = set(tool).iter().map(|m| m.file_name().to_owned()).collect();
        let mapped: Vec<_> = map.migrations.iter().map(|m| m.file.clone()).collect();
        assert_eq!(mapped, files, "{tool}");
    }
}

// ---------------------------------------------------------------------------------------------
// The command line, in a real process
// ---------------------------------------------------------------------------------------------

const ROLE: &str = "MIGRATE_TEST_CHILD";
const TOOL: &str = "MIGRATE_TEST_TOOL";
const ARGS: &str = "MIGRATE_TEST_ARGS";
/// When set, the child reads its set from this directory at run time instead.
const SET_DIR: &str = "MIGRATE_TEST_SET_DIR";

/// Child: the CLI over the set of `MIGRATE_TEST_TOOL`, with the arguments in
/// `MIGRATE_TEST_ARGS` (one per line); exits with the CLI's status.
#[test]
fn child_cli() {
    use migrate_runtime::cli::Args;
    if std::env::var(ROLE).as_deref() != Ok("cli") {
        return;
    }
    let tool: SourceTool = std::env::var(TOOL).unwrap().parse().unwrap();
    let args = std::env::var(ARGS).unwrap();
    let command = <Args as clap::Args>::augment_args(clap::Command::new("migrate"));
    let parsed = command
        .try_get_matches_from(std::iter::once("migrate").chain(args.lines()))
        .and_then(|m| <Args as clap::FromArgMatches>::from_arg_matches(&m));
    let from_dir = std::env::var_os(SET_DIR).map(|dir| Migrations::from_dir(dir).unwrap());
    let code = match parsed {
        Ok(args) => migrate_runtime::cli::run(from_dir.as_ref().unwrap_or(set(tool)), args),
        Err(e) => {
            let _ = e.print();
            ExitCode::from(2)
        }
    };
    std::process::exit(if code == ExitCode::SUCCESS { 0 } else { 1 });
}

struct Cli {
    status: i32,
    stdout: String,
    stderr: String,
}

fn cli(tool: SourceTool, db: &Path, args: &[&str]) -> Cli {
    cli_with(tool, None, db, args)
}

fn cli_with(tool: SourceTool, set_dir: Option<&Path>, db: &Path, args: &[&str]) -> Cli {
    let mut all = args.to_vec();
    let db = db.display().to_string();
    all.extend(["--db", &db]);
    let mut command = Command::new(std::env::current_exe().unwrap());
    if let Some(dir) = set_dir {
        command.env(SET_DIR, dir);
    }
    let output: Output = command
        .args(["--exact", "child_cli", "--nocapture", "--test-threads=1"])
        .env(ROLE, "cli")
        .env(TOOL, tool.name())
        .env(ARGS, all.join("\n"))
        .env_remove("RUST_LOG")
        .env_remove("MIGRATE_DB")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    Cli {
        status: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

#[test]
fn cli_baseline_from_sqlx_reads_the_map_beside_the_migrations_then_apply_finishes() {
    let (_dir, db) = copy_of("sqlx.sqlite3");
    let before = user_dump(&Connection::open(&db).unwrap());
    let out = cli(
        SourceTool::Sqlx,
        &db,
        &["baseline", "--from", "sqlx", "--yes"],
    );
    assert_eq!(out.status, 0, "{}{}", out.stdout, out.stderr);
    for file in [
        "0001_create_users.sql",
        "0002_create_posts.sql",
        "0003_backfill_names.sql",
    ] {
        assert!(out.stdout.contains(file), "{}", out.stdout);
    }
    assert!(
        out.stdout
            .contains("verified: the tool's SHA-384 matches the file"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("recorded versions 1 to 3"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("`_sqlx_migrations` was left in place"),
        "{}",
        out.stdout
    );
    assert_eq!(user_dump(&Connection::open(&db).unwrap()), before);

    let out = cli(SourceTool::Sqlx, &db, &["apply"]);
    assert_eq!(out.status, 0, "{}{}", out.stdout, out.stderr);
    let conn = Connection::open(&db).unwrap();
    assert_eq!(applied_versions(&conn), versions(5));
    assert_eq!(schema(&conn, Some("_sqlx_migrations")), fresh_schema(&SQLX));
}

#[test]
fn cli_baseline_from_diesel_with_an_explicit_map_says_what_it_could_not_verify() {
    let (dir, db) = copy_of("diesel.sqlite3");
    let map = dir.path().join("diesel-map.toml");
    std::fs::copy(set_dir(SourceTool::Diesel).join("IMPORTED.toml"), &map).unwrap();
    let map = map.display().to_string();
    let out = cli(
        SourceTool::Diesel,
        &db,
        &[
            "baseline", "--from", "diesel", "--map", &map, "--yes", "--json",
        ],
    );
    assert_eq!(out.status, 0, "{}{}", out.stdout, out.stderr);
    // The document, between the test harness's own lines.
    let start = out.stdout.find('{').unwrap();
    let end = out.stdout.rfind('}').unwrap() + 1;
    let json: serde_json::Value = serde_json::from_str(&out.stdout[start..end]).unwrap();
    assert_eq!(json["baselined"], serde_json::json!([1, 2, 3]));
    assert_eq!(json["verified"], serde_json::json!([]));
    assert_eq!(json["kept_table"], "__diesel_schema_migrations");
    assert_eq!(
        json["migrations"][0]["verification"],
        "not verified: the tool keeps no checksum"
    );
    assert_eq!(json["migrations"][2]["source"], "20240201080000");
}

#[test]
fn cli_baseline_from_rusqlite_migration_needs_no_map() {
    let (_dir, db) = copy_of("rusqlite-migration.sqlite3");
    let out = cli(
        SourceTool::RusqliteMigration,
        &db,
        &["baseline", "--from", "rusqlite-migration", "--yes"],
    );
    assert_eq!(out.status, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("recorded versions 1 to 3"),
        "{}",
        out.stdout
    );
    assert_eq!(
        applied_versions(&Connection::open(&db).unwrap()),
        versions(3)
    );
}

#[test]
fn cli_refusals_name_the_entry_and_change_nothing() {
    let (_dir, db) = copy_of("sqlx-failed.sqlite3");
    let before = user_dump(&Connection::open(&db).unwrap());
    let out = cli(
        SourceTool::Sqlx,
        &db,
        &["baseline", "--from", "sqlx", "--yes"],
    );
    assert_eq!(out.status, 1, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("sqlx migration 20240201080000"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("0003_backfill_names.sql"),
        "{}",
        out.stderr
    );
    assert_eq!(user_dump(&Connection::open(&db).unwrap()), before);

    let json = ["baseline", "--from", "sqlx", "--yes", "--json"];
    let out = cli(SourceTool::Sqlx, &db, &json);
    assert_eq!(out.status, 1, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains(r#""error":"baseline_from_refused""#),
        "{}",
        out.stdout
    );

    let out = cli(
        SourceTool::Sqlx,
        &db,
        &[
            "baseline",
            "--from",
            "sqlx",
            "--map",
            "/nonexistent/IMPORTED.toml",
            "--yes",
        ],
    );
    assert_eq!(out.status, 1, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr
            .contains("no import map: `/nonexistent/IMPORTED.toml` does not exist"),
        "{}",
        out.stderr
    );
}

#[test]
fn cli_baseline_keeps_its_version_form_and_refuses_both() {
    let (_dir, db) = copy_of("sqlx.sqlite3");
    let out = cli(
        SourceTool::Sqlx,
        &db,
        &["baseline", "3", "--from", "sqlx", "--yes"],
    );
    assert_eq!(out.status, 1, "{}{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("cannot be used with"), "{}", out.stderr);
    let out = cli(SourceTool::Sqlx, &db, &["baseline", "--yes"]);
    assert_eq!(out.status, 1, "{}{}", out.stdout, out.stderr);
    // The shipped form still works.
    let out = cli(SourceTool::Sqlx, &db, &["baseline", "3", "--yes"]);
    assert_eq!(out.status, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("recorded versions 1 to 3 as applied"),
        "{}",
        out.stdout
    );
}

#[test]
fn cli_looks_for_the_map_beside_the_migrations_and_says_when_it_is_missing() {
    let (dir, db) = copy_of("refinery.sqlite3");
    // The imported refinery set, read at run time from a directory of its own, without its map.
    let own_dir = dir.path().join("migrations");
    std::fs::create_dir(&own_dir).unwrap();
    for m in REFINERY.iter() {
        std::fs::write(own_dir.join(m.file_name()), m.sql()).unwrap();
    }
    let args = ["baseline", "--from", "refinery", "--yes"];
    let out = cli_with(SourceTool::Refinery, Some(&own_dir), &db, &args);
    assert_eq!(out.status, 1, "{}{}", out.stdout, out.stderr);
    let expected = format!(
        "no import map: `{}` does not exist; `baseline --from refinery` maps",
        own_dir.join("IMPORTED.toml").display()
    );
    assert!(out.stderr.contains(&expected), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("import the set first, or pass --map PATH"),
        "{}",
        out.stderr
    );

    // With the map beside the files, the same command takes the database over.
    std::fs::copy(
        set_dir(SourceTool::Refinery).join("IMPORTED.toml"),
        own_dir.join("IMPORTED.toml"),
    )
    .unwrap();
    let out = cli_with(SourceTool::Refinery, Some(&own_dir), &db, &args);
    assert_eq!(out.status, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout
            .contains("verified: the tool's SipHash-1-3 of name, version and SQL matches the file"),
        "{}",
        out.stdout
    );
    assert_eq!(
        applied_versions(&Connection::open(&db).unwrap()),
        versions(3)
    );
}

/// A database another tool migrated, before it is taken over: running the set fails on the
/// first `CREATE TABLE`, changes nothing, and the error, `status` and `check` all point to
/// `baseline --from <tool>` instead of plain `baseline`.
#[test]
fn an_untaken_database_points_to_baseline_from_its_tool() {
    for (tool, file) in [
        (SourceTool::Sqlx, "sqlx.sqlite3"),
        (SourceTool::Diesel, "diesel.sqlite3"),
        (SourceTool::Refinery, "refinery.sqlite3"),
        (SourceTool::Prisma, "prisma.sqlite3"),
    ] {
        let (_dir, db) = copy_of(file);
        let mut conn = Connection::open(&db).unwrap();
        let before = user_dump(&conn);
        let advice = format!("take it over with `baseline --from {tool}`");
        let table = tool.history_table().unwrap();
        match set(tool).run(&mut conn) {
            Err(Error::Statement(failure)) => {
                let hint = failure.hint.clone().unwrap_or_default();
                assert!(hint.contains(&advice), "{tool}: {hint}");
                assert!(
                    hint.contains(&format!("it has `{table}`")),
                    "{tool}: {hint}"
                );
            }
            other => panic!("{tool}: expected the first CREATE TABLE to fail, got {other:?}"),
        }
        assert_eq!(
            user_dump(&conn),
            before,
            "{tool}: the failed run changed nothing"
        );
        drop(conn);

        let out = cli(tool, &db, &["status"]);
        assert_eq!(out.status, 0, "{tool}: {}{}", out.stdout, out.stderr);
        assert!(out.stdout.contains("pending"), "{tool}: {}", out.stdout);
        assert!(
            out.stderr.starts_with("warning: "),
            "{tool}: {}",
            out.stderr
        );
        assert!(out.stderr.contains(&advice), "{tool}: {}", out.stderr);

        // `check` exits 2 for pending; the child process here reports any failure as 1.
        let out = cli(tool, &db, &["check"]);
        assert_eq!(out.status, 1, "{tool}: {}{}", out.stdout, out.stderr);
        assert!(out.stdout.contains(&advice), "{tool}: {}", out.stdout);

        // Once taken over, the advice is gone.
        let mut conn = Connection::open(&db).unwrap();
        set(tool)
            .baseline_from(&mut conn, tool, map(tool).as_ref())
            .unwrap();
        drop(conn);
        let out = cli(tool, &db, &["status"]);
        assert_eq!(out.status, 0, "{tool}: {}{}", out.stdout, out.stderr);
        assert_eq!(out.stderr, "", "{tool}");
    }
}

/// A set imported onto itself is refused with the way out, not as a non-empty directory.
#[test]
fn importing_a_directory_into_itself_says_to_move_it_aside() {
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("migrations");
    std::fs::create_dir(&source).unwrap();
    for entry in std::fs::read_dir(foreign().join("sqlx/simple")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), source.join(entry.file_name())).unwrap();
    }
    let plan = migrate_runtime::import::ImportPlan::new(SourceTool::Sqlx, &source).unwrap();
    let error = plan.check_target(&source).unwrap_err();
    assert!(
        matches!(
            error,
            migrate_runtime::import::ImportError::TargetIsSource { .. }
        ),
        "{error:?}"
    );
    assert!(
        error.to_string().contains("move the source aside first"),
        "{error}"
    );
}

/// The README's start-up take-over for a deployed binary, as written there: the map embedded
/// with `include_str!`, `import::migrated_by`, then `run`. On a fresh database it does nothing
/// but `run`; on the sqlx database it takes over, then applies the rest.
#[test]
fn the_readme_start_up_take_over_works_on_fresh_and_sqlx_databases() {
    use migrate_runtime::import;
    static MIGRATIONS: &Migrations = &SQLX;
    fn start(conn: &mut Connection) -> Result<(), Box<dyn std::error::Error>> {
        if MIGRATIONS.status(conn)?.counts.pending == MIGRATIONS.len()
            && let Some(tool) = import::migrated_by(conn)
        {
            let map = ImportMap::parse(include_str!(
                "../../tests/fixtures/foreign/imported/sqlx/IMPORTED.toml"
            ))?;
            MIGRATIONS.baseline_from(conn, tool, Some(&map))?;
        }
        MIGRATIONS.run(conn)?;
        Ok(())
    }
    let mut fresh = Connection::open_in_memory().unwrap();
    start(&mut fresh).unwrap();
    assert_eq!(applied_versions(&fresh), versions(5));

    let (_dir, db) = copy_of("sqlx.sqlite3");
    let mut conn = Connection::open(&db).unwrap();
    start(&mut conn).unwrap();
    assert_eq!(applied_versions(&conn), versions(5));
    assert_eq!(schema(&conn, Some("_sqlx_migrations")), fresh_schema(&SQLX));
    // A second start finds nothing to do.
    start(&mut conn).unwrap();
}
