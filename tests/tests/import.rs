//! An imported set embedded by a real crate: the sqlx and Prisma fixture sets
//! (`tests/fixtures/foreign`) imported with `migrate_runtime::import`, embedded with
//! `embed_migrations!` in a fixture crate built by cargo, run on a database file, and the
//! schema and rows compared with the source SQL applied in the tool's order by plain rusqlite.

use std::fs;
use std::path::Path;
use std::process::Command;

use migrate_runtime::import::{self, SourceTool};
use migrate_test_kit::{user_dump, workspace_root};
use migrate_tests::{Fixture, Toolchain};
use rusqlite::Connection;

/// Applies the embedded set to the database named by the first argument, with foreign keys
/// on, and prints the number of migrations.
const MAIN: &str = r#"
static MIGRATIONS: migrate_runtime::Migrations = migrate_runtime::embed_migrations!("migrations");

fn main() {
    let path = std::env::args().nth(1).expect("a database path");
    let mut conn = migrate_runtime::rusqlite::Connection::open(path).expect("open");
    conn.pragma_update(None, "foreign_keys", true).expect("foreign keys");
    let report = MIGRATIONS.run(&mut conn).expect("the imported set applies");
    println!("{}", report.applied.len());
}
"#;

/// The source SQL files of a fixture set, in the tool's order, applied by rusqlite alone.
fn plain(sources: &[std::path::PathBuf]) -> Connection {
    let conn = Connection::open_in_memory().unwrap();
    conn.pragma_update(None, "foreign_keys", true).unwrap();
    for source in sources {
        let sql = fs::read_to_string(source).unwrap();
        conn.execute_batch(&sql)
            .unwrap_or_else(|e| panic!("{}: {e}", source.display()));
    }
    conn
}

fn sorted_files(dir: &Path, file: Option<&str>) -> Vec<std::path::PathBuf> {
    let mut paths: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter_map(|p| match file {
            Some(file) if p.is_dir() => Some(p.join(file)),
            None if p.extension().is_some_and(|e| e == "sql") => Some(p),
            _ => None,
        })
        .collect();
    paths.sort();
    paths
}

#[test]
fn an_imported_set_embeds_and_builds_the_schema_of_the_source() {
    let foreign = workspace_root().join("tests/fixtures/foreign");
    for (tool, dir, crate_name, sources) in [
        (
            SourceTool::Sqlx,
            "sqlx/simple",
            "fixture-import-sqlx",
            sorted_files(&foreign.join("sqlx/simple"), None),
        ),
        (
            SourceTool::Prisma,
            "prisma/migrations",
            "fixture-import-prisma",
            sorted_files(&foreign.join("prisma/migrations"), Some("migration.sql")),
        ),
    ] {
        let mut app = Fixture::new(crate_name, Toolchain::Stable, true);
        fs::remove_dir_all(app.migrations()).unwrap();
        let plan = import::import(tool, foreign.join(dir), app.migrations()).unwrap();
        app.write_file("src/main.rs", MAIN);
        let stderr = app.build_ok();
        assert!(!stderr.contains("warning: unused"), "{stderr}");

        let db = tempfile::tempdir().unwrap();
        let path = db.path().join("app.db");
        let output = Command::new(app.binary()).arg(&path).output().unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let applied: usize = String::from_utf8(output.stdout)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        assert_eq!(applied, plan.map().migrations.len());
        assert_eq!(applied, sources.len());

        let ours = Connection::open(&path).unwrap();
        let theirs = plain(&sources);
        assert_eq!(user_dump(&ours), user_dump(&theirs), "{dir}");
    }
}
