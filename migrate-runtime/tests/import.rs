//! `import --from <tool>`: the fixture sets written in each tool's own layout
//! (`tests/fixtures/foreign`), imported through the library and through the real `migrate`
//! binary; the refusal cases; the checksums against an independent computation; and the
//! imported set applied by the runtime against the source SQL applied by plain rusqlite.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use migrate_runtime::Migrations;
use migrate_runtime::import::{
    IMPORTED_FILE, ImportError, ImportMap, ImportPlan, ImportedMigration, Rule, SourceTool,
};
use migrate_runtime::rusqlite::Connection;
use migrate_test_kit::{user_dump, workspace_root};
use sha2::{Digest, Sha256, Sha384};

fn foreign(path: &str) -> PathBuf {
    workspace_root().join("tests/fixtures/foreign").join(path)
}

/// One source migration as the test reads the fixture itself: its files in the tool's
/// order, and what the tool records.
struct Expected {
    file: &'static str,
    source: &'static str,
    source_path: &'static str,
    up: &'static str,
    down: Option<&'static str>,
}

const fn m(
    file: &'static str,
    source: &'static str,
    source_path: &'static str,
    up: &'static str,
    down: Option<&'static str>,
) -> Expected {
    Expected {
        file,
        source,
        source_path,
        up,
        down,
    }
}

/// Every fixture set, with what the contract says each migration becomes.
fn fixtures() -> Vec<(SourceTool, &'static str, Vec<Expected>)> {
    use SourceTool::*;
    vec![
        (
            Sqlx,
            "sqlx/simple",
            vec![
                m(
                    "0001_create_users.sql",
                    "20240105093000",
                    "20240105093000_create_users.sql",
                    "20240105093000_create_users.sql",
                    None,
                ),
                m(
                    "0002_create_posts.sql",
                    "20240112154500",
                    "20240112154500_create_posts.sql",
                    "20240112154500_create_posts.sql",
                    None,
                ),
                m(
                    "0003_backfill_names.sql",
                    "20240201080000",
                    "20240201080000_backfill_names.sql",
                    "20240201080000_backfill_names.sql",
                    None,
                ),
                m(
                    "0004_compact.sql",
                    "20240215110000",
                    "20240215110000_compact.sql",
                    "20240215110000_compact.sql",
                    None,
                ),
                m(
                    "0005_add_published_at.sql",
                    "20240301100000",
                    "20240301100000_add_published_at.sql",
                    "20240301100000_add_published_at.sql",
                    None,
                ),
            ],
        ),
        (
            Sqlx,
            "sqlx/reversible",
            vec![
                m(
                    "0001_create_users.sql",
                    "20240105093000",
                    "20240105093000_create_users.up.sql",
                    "20240105093000_create_users.up.sql",
                    Some("20240105093000_create_users.down.sql"),
                ),
                m(
                    "0002_create_posts.sql",
                    "20240112154500",
                    "20240112154500_create_posts.up.sql",
                    "20240112154500_create_posts.up.sql",
                    Some("20240112154500_create_posts.down.sql"),
                ),
                m(
                    "0003_add_published_at.sql",
                    "20240301100000",
                    "20240301100000_add_published_at.up.sql",
                    "20240301100000_add_published_at.up.sql",
                    Some("20240301100000_add_published_at.down.sql"),
                ),
            ],
        ),
        (
            Diesel,
            "diesel/migrations",
            [
                "create_users",
                "create_posts",
                "backfill_names",
                "add_published_at",
            ]
            .iter()
            .zip([
                ("2024-01-05-093000", "20240105093000"),
                ("2024-01-12-154500", "20240112154500"),
                ("2024-02-01-080000", "20240201080000"),
                ("2024-03-01-100000", "20240301100000"),
            ])
            .enumerate()
            .map(|(i, (name, (dir, version)))| {
                let leak = |s: String| -> &'static str { Box::leak(s.into_boxed_str()) };
                let dir = leak(format!("{dir}_{name}"));
                m(
                    leak(format!("{:04}_{name}.sql", i + 1)),
                    version,
                    dir,
                    leak(format!("{dir}/up.sql")),
                    Some(leak(format!("{dir}/down.sql"))),
                )
            })
            .collect(),
        ),
        (
            Diesel,
            "cases/diesel-no-transaction",
            vec![
                m(
                    "0001_create_users.sql",
                    "20240105093000",
                    "2024-01-05-093000_create_users",
                    "2024-01-05-093000_create_users/up.sql",
                    Some("2024-01-05-093000_create_users/down.sql"),
                ),
                m(
                    "0002_compact.sql",
                    "20240112154500",
                    "2024-01-12-154500_compact",
                    "2024-01-12-154500_compact/up.sql",
                    None,
                ),
            ],
        ),
        (
            Refinery,
            "refinery/migrations",
            vec![
                m(
                    "0001_create_users.sql",
                    "1",
                    "V1__create_users.sql",
                    "V1__create_users.sql",
                    None,
                ),
                m(
                    "0002_create_posts.sql",
                    "2",
                    "V2__create_posts.sql",
                    "V2__create_posts.sql",
                    None,
                ),
                m(
                    "0003_backfill_names.sql",
                    "3",
                    "V3__backfill_names.sql",
                    "V3__backfill_names.sql",
                    None,
                ),
                m(
                    "0004_add_published_at.sql",
                    "4",
                    "V4__add_published_at.sql",
                    "V4__add_published_at.sql",
                    None,
                ),
            ],
        ),
        (
            Prisma,
            "prisma/migrations",
            [
                "20240105093000_init",
                "20240112154500_add_posts",
                "20240210120000_make_body_required",
                "20240301100000_post_published_at",
            ]
            .iter()
            .enumerate()
            .map(|(i, dir)| {
                let leak = |s: String| -> &'static str { Box::leak(s.into_boxed_str()) };
                let name = &dir[dir.find('_').unwrap() + 1..];
                m(
                    leak(format!("{:04}_{name}.sql", i + 1)),
                    dir,
                    dir,
                    leak(format!("{dir}/migration.sql")),
                    None,
                )
            })
            .collect(),
        ),
    ]
}

/// What refinery itself computes for `refinery/migrations/V1..V4`: printed by
/// `refinery_core::load_sql_migrations(dir)` and `Migration::checksum()` of refinery-core
/// 0.10.0 (a six-line program with `refinery-core = { version = "=0.10.0",
/// default-features = false }` printing each migration's checksum regenerates them).
const REFINERY_CHECKSUMS: [&str; 4] = [
    "10351292129827170334",
    "4091608736065158618",
    "9391853499958906439",
    "6782248797123429888",
];

/// A line the import removes from a transactional file: `PRAGMA foreign_keys=ON|OFF;` alone.
fn is_foreign_keys_line(line: &str) -> bool {
    let compact: String = line
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_lowercase();
    compact == "pragmaforeign_keys=off;" || compact == "pragmaforeign_keys=on;"
}

/// The bytes the contract says the import writes for a source file, and the changes it
/// lists, derived here line by line from the source (independently of the library's
/// splitter-based code).
fn expected_file(
    tool: SourceTool,
    source: &Path,
    diesel_no_transaction: bool,
) -> (Vec<u8>, Vec<String>) {
    let text = fs::read_to_string(source).unwrap();
    let mut changes = Vec::new();
    let text = if tool == SourceTool::Sqlx && text.starts_with("-- no-transaction\n") {
        changes.push(
            "line 1: `-- no-transaction` (sqlx) written as `-- migrate:no-transaction`".to_owned(),
        );
        text.replacen("-- no-transaction", "-- migrate:no-transaction", 1)
    } else if diesel_no_transaction {
        changes.push(
            "added line 1: `-- migrate:no-transaction` (metadata.toml: run_in_transaction = false)"
                .to_owned(),
        );
        format!("-- migrate:no-transaction\n{text}")
    } else {
        text
    };
    if text.starts_with("-- migrate:no-transaction\n") {
        return (text.into_bytes(), changes);
    }
    let mut kept = String::new();
    for (number, line) in text.split_inclusive('\n').enumerate() {
        if is_foreign_keys_line(line) {
            changes.push(format!("removed line {}: {}", number + 1, line.trim_end()));
        } else {
            kept.push_str(line);
        }
    }
    (kept.into_bytes(), changes)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Checks a plan against the fixture, file by file, byte by byte.
fn check_plan(tool: SourceTool, dir: &Path, expected: &[Expected], plan: &ImportPlan) {
    assert!(plan.problems().is_empty(), "{:?}", plan.problems());
    let map = plan.map();
    assert_eq!(map.tool, tool);
    assert_eq!(map.migrations.len(), expected.len(), "{dir:?}");
    for (i, (migration, expected)) in map.migrations.iter().zip(expected).enumerate() {
        let version = i as i64 + 1;
        assert_eq!(migration.version, version);
        assert_eq!(migration.file, expected.file);
        assert_eq!(migration.source, expected.source);
        assert_eq!(migration.source_path, expected.source_path);
        let up_source = dir.join(expected.up);
        let source_bytes = fs::read(&up_source).unwrap();
        let checksum = match tool {
            SourceTool::Sqlx => Some(hex(&Sha384::digest(&source_bytes))),
            SourceTool::Prisma => Some(hex(&Sha256::digest(&source_bytes))),
            _ => None,
        };
        match tool {
            SourceTool::Refinery => {
                let recorded = migration.source_checksum.as_deref().unwrap();
                assert_eq!(recorded, REFINERY_CHECKSUMS[i], "{}", expected.file);
            }
            _ => assert_eq!(migration.source_checksum, checksum, "{}", expected.file),
        }
        let no_transaction = tool == SourceTool::Diesel
            && up_source.parent().unwrap().join("metadata.toml").is_file();
        let (up, mut changes) = expected_file(tool, &up_source, no_transaction);
        let planned = |name: &str| {
            plan.files()
                .iter()
                .find(|f| f.name == name)
                .unwrap_or_else(|| panic!("{name} is not planned"))
        };
        assert_eq!(planned(expected.file).contents, up, "{}", expected.file);
        assert_eq!(planned(expected.file).source_path, expected.up);
        match expected.down {
            Some(down) => {
                let name = expected.file.replace(".sql", ".down.sql");
                assert_eq!(migration.down.as_deref(), Some(name.as_str()));
                let (bytes, down_changes) = expected_file(tool, &dir.join(down), no_transaction);
                assert_eq!(planned(&name).contents, bytes, "{name}");
                changes.extend(down_changes.into_iter().map(|c| format!("down file: {c}")));
            }
            None => assert_eq!(migration.down, None),
        }
        assert_eq!(migration.changes, changes, "{}", expected.file);
    }
    let names: Vec<&str> = plan.files().iter().map(|f| f.name.as_str()).collect();
    let expected_names: Vec<String> = expected
        .iter()
        .flat_map(|e| {
            let down = e.down.map(|_| e.file.replace(".sql", ".down.sql"));
            std::iter::once(e.file.to_owned()).chain(down)
        })
        .collect();
    assert_eq!(names, expected_names);
}

/// The files a written import holds, by name.
fn written(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().into_string().unwrap(),
                fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

fn planned_on_disk(plan: &ImportPlan) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = plan
        .files()
        .iter()
        .map(|f| (f.name.clone(), f.contents.clone()))
        .chain([(IMPORTED_FILE.to_owned(), plan.map().to_toml().into_bytes())])
        .collect();
    files.sort();
    files
}

#[test]
fn each_tool_imports_through_the_library() {
    for (tool, dir, expected) in fixtures() {
        let dir = foreign(dir);
        let plan = ImportPlan::new(tool, &dir).unwrap();
        check_plan(tool, &dir, &expected, &plan);

        let target = tempfile::tempdir().unwrap();
        let migrations = target.path().join("new/migrations");
        let paths = plan.write(&migrations).unwrap();
        assert_eq!(paths.last().unwrap(), &migrations.join(IMPORTED_FILE));
        assert_eq!(written(&migrations), planned_on_disk(&plan));
        let map = ImportMap::read(&migrations).unwrap();
        assert_eq!(&map, plan.map());
        // The rules embed_migrations! applies accept the result.
        let set = Migrations::from_dir(&migrations).unwrap();
        assert_eq!(set.iter().count(), expected.len());
    }
}

/// `baseline --from`'s tests embed the committed `tests/fixtures/foreign/imported/<tool>`
/// sets, written by hand from the contract: an import of the same sources gives exactly
/// those bytes, so the databases the real tools wrote are taken over with what `import`
/// produces.
#[test]
fn the_imports_baseline_from_is_tested_with_are_what_import_writes() {
    for (tool, dir) in [
        (SourceTool::Sqlx, "sqlx/simple"),
        (SourceTool::Diesel, "diesel/migrations"),
        (SourceTool::Refinery, "refinery/migrations"),
        (SourceTool::Prisma, "prisma/migrations"),
    ] {
        let plan = ImportPlan::new(tool, foreign(dir)).unwrap();
        let committed = foreign(&format!("imported/{tool}"));
        assert_eq!(planned_on_disk(&plan), written(&committed), "{tool}");
    }
}

/// The imported set applied by the runtime, against the source SQL applied by plain
/// rusqlite in the tool's order (with the foreign-key pragmas working, outside any
/// transaction): the same schema and rows.
#[test]
fn an_imported_set_builds_the_schema_the_source_builds() {
    for (tool, dir, expected) in fixtures() {
        let dir = foreign(dir);
        let target = tempfile::tempdir().unwrap();
        migrate_runtime::import::import(tool, &dir, target.path()).unwrap();
        let set = Migrations::from_dir(target.path()).unwrap();
        let mut ours = Connection::open_in_memory().unwrap();
        ours.pragma_update(None, "foreign_keys", true).unwrap();
        set.run(&mut ours).unwrap();

        let plain = Connection::open_in_memory().unwrap();
        plain.pragma_update(None, "foreign_keys", true).unwrap();
        for migration in &expected {
            let sql = fs::read_to_string(dir.join(migration.up)).unwrap();
            plain
                .execute_batch(&sql)
                .unwrap_or_else(|e| panic!("{}: {e}", migration.up));
        }
        assert_eq!(user_dump(&ours), user_dump(&plain), "{dir:?}");
        assert!(!user_dump(&plain).is_empty());
    }
}

/// The sqlx and Prisma checksums of a known text, computed by hand-checkable vectors, so
/// that a wrong algorithm (not just a wrong file) fails.
#[test]
fn checksums_are_the_tools_own() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("1_hello.sql"), "hello").unwrap();
    let plan = ImportPlan::new(SourceTool::Sqlx, dir.path()).unwrap();
    assert_eq!(
        plan.map().migrations[0].source_checksum.as_deref(),
        Some(
            "59e1748777448c69de6b800d7a33bbfb9ff1b463e44354c3553bcdb9c666fa90\
             125a3c79f90397bdf5f6a13de828684f"
        )
    );
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("1_hello")).unwrap();
    fs::write(dir.path().join("1_hello/migration.sql"), "hello").unwrap();
    let plan = ImportPlan::new(SourceTool::Prisma, dir.path()).unwrap();
    // Prisma's own test vector.
    assert_eq!(
        plan.map().migrations[0].source_checksum.as_deref(),
        Some("2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824")
    );
}

/// Every refusal fixture: the plan names the source file and the rule, and writes nothing.
/// A refusal fixture: the tool, its directory, and each problem's source file and rule.
type Refusal = (SourceTool, &'static str, Vec<(&'static str, Rule)>);

fn refusals() -> Vec<Refusal> {
    vec![
        (
            SourceTool::Sqlx,
            "refusals/sqlx-comment-only",
            vec![("20240112154500_todo_posts.sql", Rule::NoStatements)],
        ),
        (
            SourceTool::Sqlx,
            "refusals/sqlx-empty-down",
            vec![("20240105093000_create_users.down.sql", Rule::EmptyDown)],
        ),
        (
            SourceTool::Sqlx,
            "refusals/sqlx-unmappable-name",
            vec![("20240112154500_.sql", Rule::UnmappableName)],
        ),
        (
            SourceTool::Sqlx,
            "refusals/sqlx-begin",
            vec![
                ("20240105093000_create_users.sql", Rule::NotInTransaction),
                ("20240105093000_create_users.sql", Rule::NotInTransaction),
            ],
        ),
        (
            SourceTool::Refinery,
            "refusals/refinery-unversioned",
            vec![("U2__seed_users.sql", Rule::Unsupported)],
        ),
        (
            SourceTool::Refinery,
            "refusals/refinery-rust",
            vec![("V2__add_posts.rs", Rule::Unsupported)],
        ),
        (
            SourceTool::Prisma,
            "refusals/prisma-pragma-shared-line",
            vec![(
                "20240112154500_rebuild/migration.sql",
                Rule::NotInTransaction,
            )],
        ),
    ]
}

#[test]
fn refusals_name_the_source_file_and_the_rule() {
    for (tool, dir, expected) in refusals() {
        let plan = ImportPlan::new(tool, foreign(dir)).unwrap();
        let found: Vec<(&str, Rule)> = plan
            .problems()
            .iter()
            .map(|p| (p.source_path.as_str(), p.rule))
            .collect();
        assert_eq!(found, expected, "{dir}");
        for problem in plan.problems() {
            assert!(!problem.message.is_empty());
        }
        let target = tempfile::tempdir().unwrap();
        let migrations = target.path().join("migrations");
        match plan.write(&migrations) {
            Err(ImportError::Refused { problems }) => assert_eq!(problems, plan.problems()),
            other => panic!("{dir}: {other:?}"),
        }
        assert!(!migrations.exists(), "{dir}: nothing is written");
    }
    // What the messages say to do.
    let begin = ImportPlan::new(SourceTool::Sqlx, foreign("refusals/sqlx-begin")).unwrap();
    assert!(
        begin.problems()[0].message.contains("remove `BEGIN`"),
        "{:?}",
        begin.problems()
    );
    let shared = ImportPlan::new(
        SourceTool::Prisma,
        foreign("refusals/prisma-pragma-shared-line"),
    )
    .unwrap();
    let message = &shared.problems()[0].message;
    assert!(
        message.contains("remove `PRAGMA foreign_keys`"),
        "{message}"
    );
    assert!(message.contains("foreign_key_check"), "{message}");
}

#[test]
fn a_non_empty_target_and_rusqlite_migration_are_refused() {
    let plan = ImportPlan::new(SourceTool::Prisma, foreign("prisma/migrations")).unwrap();
    let target = tempfile::tempdir().unwrap();
    let existing = target.path().join("0001_existing.sql");
    fs::copy(
        foreign("refusals/non-empty-target/0001_existing.sql"),
        &existing,
    )
    .unwrap();
    let error = plan.write(target.path()).unwrap_err();
    assert!(
        matches!(error, ImportError::TargetNotEmpty { .. }),
        "{error}"
    );
    assert_eq!(written(target.path()).len(), 1, "nothing was added");
    // An empty existing directory is fine.
    let empty = tempfile::tempdir().unwrap();
    plan.write(empty.path()).unwrap();

    let error = ImportPlan::new(SourceTool::RusqliteMigration, foreign("sqlx/simple")).unwrap_err();
    assert!(
        matches!(error, ImportError::NotImportable { .. }),
        "{error}"
    );
    assert!(
        error
            .to_string()
            .contains("baseline --from rusqlite-migration"),
        "{error}"
    );

    let error = ImportPlan::new(SourceTool::Prisma, foreign("no-such-dir")).unwrap_err();
    assert!(matches!(error, ImportError::NoSourceDir { .. }), "{error}");
    // A sqlx directory read as Prisma's holds no migration of that tool.
    let error = ImportPlan::new(SourceTool::Prisma, foreign("sqlx/simple")).unwrap_err();
    assert!(matches!(error, ImportError::NoMigrations { .. }), "{error}");
}

// The real binary.

fn migrate(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_migrate"))
        .args(args)
        .env_remove("MIGRATE_DB")
        .env_remove("MIGRATE_MIGRATIONS")
        .env("NO_COLOR", "1")
        .output()
        .expect("the migrate binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn the_binary_imports_each_fixture() {
    for (tool, dir, expected) in fixtures() {
        let source = foreign(dir);
        let source = source.to_str().unwrap();
        let target = tempfile::tempdir().unwrap();
        let to = target.path().join("migrations");
        let to_arg = to.to_str().unwrap();

        let dry = migrate(&[
            "import",
            "--from",
            tool.name(),
            source,
            "--to",
            to_arg,
            "--dry-run",
        ]);
        assert!(dry.status.success(), "{}", text(&dry.stderr));
        assert!(!to.exists(), "--dry-run writes nothing");
        let stdout = text(&dry.stdout);
        for migration in &expected {
            assert!(stdout.contains(migration.file), "{stdout}");
            assert!(stdout.contains(migration.source_path), "{stdout}");
        }
        assert!(stdout.contains("dry run: nothing was written"), "{stdout}");

        let run = migrate(&["import", "--from", tool.name(), source, "--to", to_arg]);
        assert!(run.status.success(), "{}", text(&run.stderr));
        let plan = ImportPlan::new(tool, source).unwrap();
        assert_eq!(written(&to), planned_on_disk(&plan), "{dir}");
        check_plan(tool, Path::new(source), &expected, &plan);
        let stdout = text(&run.stdout);
        for change in plan.map().migrations.iter().flat_map(|m| &m.changes) {
            assert!(stdout.contains(change.as_str()), "{change} in {stdout}");
        }

        // Again: the target is no longer empty.
        let again = migrate(&["import", "--from", tool.name(), source, "--to", to_arg]);
        assert_eq!(again.status.code(), Some(1));
        assert!(
            text(&again.stderr).contains("is not empty"),
            "{}",
            text(&again.stderr)
        );
        assert_eq!(written(&to), planned_on_disk(&plan), "unchanged");
    }
}

#[test]
fn the_binary_prints_json_and_uses_the_migrations_directory() {
    let target = tempfile::tempdir().unwrap();
    let to = target.path().join("migrations");
    let source = foreign("prisma/migrations");
    let output = migrate(&[
        "--json",
        "--migrations",
        to.to_str().unwrap(),
        "import",
        "--from",
        "prisma",
        source.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let document: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let map = ImportMap::read(&to).unwrap();
    assert_eq!(document["from"], "prisma");
    assert_eq!(document["dry_run"], false);
    let migrations = document["migrations"].as_array().unwrap();
    assert_eq!(migrations.len(), map.migrations.len());
    for (
        json,
        ImportedMigration {
            file,
            source_checksum,
            changes,
            ..
        },
    ) in migrations.iter().zip(&map.migrations)
    {
        assert_eq!(json["file"], file.as_str());
        assert_eq!(json["source_checksum"].as_str(), source_checksum.as_deref());
        assert_eq!(json["changes"].as_array().unwrap().len(), changes.len());
    }
    assert_eq!(
        document["written"].as_array().unwrap().len(),
        map.migrations.len() + 1
    );

    // The other subcommands read the set from --migrations; without it they are refused.
    let db = target.path().join("app.db");
    let apply = migrate(&[
        "--migrations",
        to.to_str().unwrap(),
        "--db",
        db.to_str().unwrap(),
        "apply",
    ]);
    assert!(apply.status.success(), "{}", text(&apply.stderr));
    let conn = Connection::open(&db).unwrap();
    let version: i64 = conn
        .query_row("SELECT max(version) FROM schema_migrations", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(version, map.migrations.len() as i64);
    let status = migrate(&["--db", db.to_str().unwrap(), "status"]);
    assert_eq!(status.status.code(), Some(1));
    assert!(
        text(&status.stderr).contains("--migrations"),
        "{}",
        text(&status.stderr)
    );
    let no_target = migrate(&["import", "--from", "prisma", source.to_str().unwrap()]);
    assert_eq!(no_target.status.code(), Some(1));
    assert!(
        text(&no_target.stderr).contains("--to"),
        "{}",
        text(&no_target.stderr)
    );
}

#[test]
fn the_binary_reports_every_refusal_and_writes_nothing() {
    for (tool, dir, expected) in refusals() {
        let target = tempfile::tempdir().unwrap();
        let to = target.path().join("migrations");
        let source = foreign(dir);
        let output = migrate(&[
            "import",
            "--from",
            tool.name(),
            source.to_str().unwrap(),
            "--to",
            to.to_str().unwrap(),
            "--dry-run",
        ]);
        assert_eq!(output.status.code(), Some(1), "{dir}");
        let stderr = text(&output.stderr);
        for (source_path, rule) in &expected {
            assert!(
                stderr.contains(&format!("`{source_path}`: [{rule}]")),
                "{dir}: {stderr}"
            );
        }
        assert!(stderr.contains("nothing was written"), "{stderr}");
        assert!(!to.exists());

        let json = migrate(&[
            "--json",
            "import",
            "--from",
            tool.name(),
            source.to_str().unwrap(),
            "--to",
            to.to_str().unwrap(),
        ]);
        assert_eq!(json.status.code(), Some(1));
        let document: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
        assert_eq!(document["error"], "import_refused");
        let problems: Vec<(String, String)> = document["problems"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["source_path"].as_str().unwrap().to_owned(),
                    p["rule"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        let expected: Vec<(String, String)> = expected
            .iter()
            .map(|(path, rule)| (path.to_string(), rule.to_string()))
            .collect();
        assert_eq!(problems, expected, "{dir}");
        assert!(!to.exists());
    }

    let target = tempfile::tempdir().unwrap();
    fs::copy(
        foreign("refusals/non-empty-target/0001_existing.sql"),
        target.path().join("0001_existing.sql"),
    )
    .unwrap();
    let output = migrate(&[
        "import",
        "--from",
        "sqlx",
        foreign("sqlx/simple").to_str().unwrap(),
        "--to",
        target.path().to_str().unwrap(),
        "--dry-run",
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stderr).contains("is not empty"),
        "{}",
        text(&output.stderr)
    );
    let unknown = migrate(&["import", "--from", "flyway", "x", "--to", "y"]);
    assert_eq!(unknown.status.code(), Some(2), "a usage error");
}
