//! Writes `tests/fixtures/foreign/databases/*.sqlite3`: SQLite databases migrated by the real
//! sqlx, diesel, refinery and rusqlite_migration from the fixture sets beside them, and a
//! `_prisma_migrations` table built from Prisma's documented layout (its engines cannot be
//! installed here). `baseline --from` is tested on these files.
//!
//! Each tool applies only a prefix of its set, so that a test can check that the later
//! migrations then apply with our runtime. Run from anywhere:
//!
//! ```sh
//! cargo run --manifest-path tests/foreign-tools/Cargo.toml
//! ```

use std::error::Error;
use std::fs;
use std::path::{Path, PathBuf};

type Result<T> = std::result::Result<T, Box<dyn Error>>;

/// Rows an application would have written after the tool migrated its database, so that the
/// tests' "no SQL ran" check compares data as well as the schema.
const APP_ROWS: &str = "
INSERT INTO users (email, name) VALUES ('ada@example.com', 'Ada'), ('bob@example.com', NULL);
INSERT INTO posts (user_id, title, body) VALUES (1, 'Hello', 'First post');
";

fn main() -> Result<()> {
    let foreign = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/foreign");
    let foreign = foreign.canonicalize()?;
    let out = foreign.join("databases");
    fs::create_dir_all(&out)?;

    let sqlx_simple = foreign.join("sqlx/simple");
    let sqlx_files = sorted_files(&sqlx_simple)?;
    // sqlx: versions 1 to 3 of 5; 4 (`-- no-transaction` VACUUM) and 5 are left to us.
    sqlx(&out.join("sqlx.sqlite3"), &sqlx_files[..3], None, APP_ROWS)?;
    // A migration that did not finish: sqlx's SQLite driver records a migration only
    // when it succeeded, but `_sqlx_migrations.success = FALSE` rows exist in databases that
    // older sqlx versions (and `sqlx migrate` on other drivers) left behind, and sqlx itself
    // refuses to go on past one ("dirty" database). The flag is set by hand on the last row.
    sqlx(
        &out.join("sqlx-failed.sqlite3"),
        &sqlx_files[..3],
        Some("UPDATE _sqlx_migrations SET success = FALSE WHERE version = 20240201080000;"),
        APP_ROWS,
    )?;
    // A file edited after it was applied: sqlx applied an earlier text of migration 2.
    let edited = tempfile::tempdir()?;
    for (i, file) in sqlx_files[..3].iter().enumerate() {
        let target = edited.path().join(file.file_name().ok_or("no name")?);
        let mut text = fs::read_to_string(file)?;
        if i == 1 {
            text = format!("-- Posts, one author each.\n{text}");
        }
        fs::write(target, text)?;
    }
    sqlx(
        &out.join("sqlx-edited.sqlite3"),
        &sorted_files(edited.path())?,
        None,
        APP_ROWS,
    )?;
    // Applied entries that are not a prefix of the set: a branch that had migrations 1, 2 and
    // 5 only.
    let branch = [
        sqlx_files[0].clone(),
        sqlx_files[1].clone(),
        sqlx_files[4].clone(),
    ];
    sqlx(&out.join("sqlx-not-prefix.sqlite3"), &branch, None, "")?;
    // sqlx created its table and applied nothing.
    sqlx(&out.join("sqlx-empty.sqlite3"), &[], None, "")?;

    let diesel_dirs = sorted_files(&foreign.join("diesel/migrations"))?;
    diesel(&out.join("diesel.sqlite3"), &diesel_dirs[..3])?;

    let refinery_files = sorted_files(&foreign.join("refinery/migrations"))?;
    refinery(&out.join("refinery.sqlite3"), &refinery_files[..3])?;

    rusqlite_migration(
        &out.join("rusqlite-migration.sqlite3"),
        &refinery_files[..3],
    )?;

    let prisma_dirs: Vec<PathBuf> = sorted_files(&foreign.join("prisma/migrations"))?
        .into_iter()
        .filter(|p| p.is_dir())
        .collect();
    prisma(&out.join("prisma.sqlite3"), &prisma_dirs)?;

    print_checksums(&sqlx_files, &refinery_files, &prisma_dirs)?;
    Ok(())
}

/// The entries of a directory, sorted by name (every tool here orders by name or version).
fn sorted_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files = fs::read_dir(dir)?
        .map(|e| e.map(|e| e.path()))
        .collect::<std::io::Result<Vec<_>>>()?;
    files.retain(|p| {
        p.file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| !n.starts_with('.'))
    });
    files.sort();
    Ok(files)
}

/// Copies `entries` (files or directories) into a fresh temporary directory: the tools
/// apply whole directories, and each database gets only a prefix of its set.
fn staged(entries: &[PathBuf]) -> Result<tempfile::TempDir> {
    let dir = tempfile::tempdir()?;
    for entry in entries {
        let name = entry.file_name().ok_or("no name")?;
        if entry.is_dir() {
            let target = dir.path().join(name);
            fs::create_dir(&target)?;
            for file in sorted_files(entry)? {
                fs::copy(&file, target.join(file.file_name().ok_or("no name")?))?;
            }
        } else {
            fs::copy(entry, dir.path().join(name))?;
        }
    }
    Ok(dir)
}

fn fresh(db: &Path) -> Result<()> {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let path = PathBuf::from(format!("{}{suffix}", db.display()));
        if path.exists() {
            fs::remove_file(path)?;
        }
    }
    Ok(())
}

/// sqlx's own `Migrator` over a directory holding `files`.
fn sqlx(db: &Path, files: &[PathBuf], after: Option<&str>, rows: &str) -> Result<()> {
    use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection, SqliteJournalMode};
    use sqlx::{Connection, Executor};

    fresh(db)?;
    let dir = staged(files)?;
    let runtime = tokio::runtime::Builder::new_current_thread().build()?;
    runtime.block_on(async {
        // Rollback journal, not sqlx's default WAL, so that the committed file is the whole
        // database.
        let options = SqliteConnectOptions::new()
            .filename(db)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Delete);
        let mut conn = SqliteConnection::connect_with(&options).await?;
        let migrator = sqlx::migrate::Migrator::new(dir.path()).await?;
        migrator.run(&mut conn).await?;
        if !rows.is_empty() {
            conn.execute(rows).await?;
        }
        if let Some(sql) = after {
            conn.execute(sql).await?;
        }
        conn.close().await?;
        Ok::<_, Box<dyn Error>>(())
    })?;
    println!(
        "{}: sqlx applied {} migration(s)",
        db.display(),
        files.len()
    );
    Ok(())
}

/// diesel_migrations' `FileBasedMigrations` over a directory holding `dirs`.
fn diesel(db: &Path, dirs: &[PathBuf]) -> Result<()> {
    use diesel::connection::SimpleConnection;
    use diesel::{Connection, SqliteConnection};
    use diesel_migrations::{FileBasedMigrations, MigrationHarness};

    fresh(db)?;
    let dir = staged(dirs)?;
    let mut conn = SqliteConnection::establish(&db.display().to_string())?;
    let migrations = FileBasedMigrations::from_path(dir.path())?;
    let applied = conn
        .run_pending_migrations(migrations)
        .map_err(|e| e.to_string())?
        .len();
    conn.batch_execute(APP_ROWS)?;
    println!("{}: diesel applied {} migration(s)", db.display(), applied);
    Ok(())
}

/// refinery's `Runner` over the SQL files `files`, with refinery's rusqlite driver.
fn refinery(db: &Path, files: &[PathBuf]) -> Result<()> {
    fresh(db)?;
    let dir = staged(files)?;
    let migrations = refinery::load_sql_migrations(dir.path())?;
    let mut conn = rusqlite::Connection::open(db)?;
    let report = refinery::Runner::new(&migrations).run(&mut conn)?;
    conn.execute_batch(APP_ROWS)?;
    println!(
        "{}: refinery applied {} migration(s)",
        db.display(),
        report.applied_migrations().len()
    );
    Ok(())
}

/// rusqlite_migration with the up SQL of `files`, in order (it keeps only
/// `PRAGMA user_version`).
fn rusqlite_migration(db: &Path, files: &[PathBuf]) -> Result<()> {
    use rusqlite_migration::{Migrations, M};

    fresh(db)?;
    let sql = files
        .iter()
        .map(fs::read_to_string)
        .collect::<std::io::Result<Vec<_>>>()?;
    let migrations = Migrations::new(sql.iter().map(|s| M::up(s)).collect());
    let mut conn = rusqlite::Connection::open(db)?;
    migrations.to_latest(&mut conn)?;
    conn.execute_batch(APP_ROWS)?;
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    println!(
        "{}: rusqlite_migration at user_version {version}",
        db.display()
    );
    Ok(())
}

/// Prisma's engines cannot run here: the table is the one Prisma Migrate creates on SQLite,
/// filled as `prisma migrate deploy` fills it, and each applied `migration.sql` runs as
/// Prisma runs it (the whole script, outside a transaction).
fn prisma(db: &Path, dirs: &[PathBuf]) -> Result<()> {
    fresh(db)?;
    let conn = rusqlite::Connection::open(db)?;
    conn.execute_batch(
        r#"CREATE TABLE "_prisma_migrations" (
    "id"                    TEXT PRIMARY KEY NOT NULL,
    "checksum"              TEXT NOT NULL,
    "finished_at"           DATETIME,
    "migration_name"        TEXT NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        DATETIME,
    "started_at"            DATETIME NOT NULL DEFAULT current_timestamp,
    "applied_steps_count"   INTEGER UNSIGNED NOT NULL DEFAULT 0
);"#,
    )?;
    let name = |i: usize| -> Result<String> {
        Ok(dirs[i]
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or("name")?
            .to_owned())
    };
    let sql = |i: usize| fs::read_to_string(dirs[i].join("migration.sql"));
    let row = |id: &str, i: usize, finished: bool, logs: Option<&str>, rolled_back: bool| {
        let script = sql(i)?;
        conn.execute(
            r#"INSERT INTO "_prisma_migrations"
               (id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at, applied_steps_count)
               VALUES (?1, ?2, CASE WHEN ?3 THEN '2024-03-02 10:00:01.250' END, ?4, ?5,
                       CASE WHEN ?6 THEN '2024-03-02 10:05:00.000' END, '2024-03-02 10:00:01.000', ?7)"#,
            rusqlite::params![
                id,
                sha256_hex(script.as_bytes()),
                finished,
                name(i)?,
                logs,
                rolled_back,
                i64::from(finished)
            ],
        )?;
        Ok::<_, Box<dyn Error>>(())
    };
    conn.execute_batch(&sql(0)?)?;
    row("8f0c6a52-1d7e-4b7a-9a53-2f1f4e0a0001", 0, true, None, false)?;
    conn.execute_batch(&sql(1)?)?;
    row("8f0c6a52-1d7e-4b7a-9a53-2f1f4e0a0002", 1, true, None, false)?;
    // A first attempt at migration 3 failed and was marked with
    // `prisma migrate resolve --rolled-back`; the second attempt finished.
    row(
        "8f0c6a52-1d7e-4b7a-9a53-2f1f4e0a0003",
        2,
        false,
        Some("Database error: NOT NULL constraint failed: new_Post.body"),
        true,
    )?;
    conn.execute_batch(&sql(2)?)?;
    row("8f0c6a52-1d7e-4b7a-9a53-2f1f4e0a0004", 2, true, None, false)?;
    // Migration 4 has a row that was started and never finished (its SQL did not run here):
    // not applied.
    row(
        "8f0c6a52-1d7e-4b7a-9a53-2f1f4e0a0005",
        3,
        false,
        None,
        false,
    )?;
    conn.execute_batch(
        r#"INSERT INTO "User" (email, name) VALUES ('ada@example.com', 'Ada'), ('bob@example.com', NULL);
           INSERT INTO "Post" (title, body, authorId) VALUES ('Hello', 'First post', 1);"#,
    )?;
    println!(
        "{}: _prisma_migrations in Prisma's layout, 3 of 4 applied",
        db.display()
    );
    Ok(())
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex(&sha2::Sha256::digest(bytes))
}

fn sha384_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex(&sha2::Sha384::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The checksums each tool keeps of the fixture files, as `IMPORTED.toml` records them: sqlx's
/// SHA-384 of the file, Prisma's SHA-256 of `migration.sql`, refinery's SipHash-1-3 of name,
/// version and SQL (computed by refinery itself).
fn print_checksums(sqlx: &[PathBuf], refinery: &[PathBuf], prisma: &[PathBuf]) -> Result<()> {
    println!("\nchecksums of the fixture sets:");
    for file in sqlx {
        println!(
            "sqlx     {} {}",
            file.file_name().ok_or("name")?.to_string_lossy(),
            sha384_hex(&fs::read(file)?)
        );
    }
    for file in refinery {
        let name = file.file_stem().and_then(|n| n.to_str()).ok_or("name")?;
        let migration = refinery::Migration::unapplied(name, &fs::read_to_string(file)?)?;
        println!("refinery {name} {}", migration.checksum());
    }
    for dir in prisma {
        println!(
            "prisma   {} {}",
            dir.file_name().ok_or("name")?.to_string_lossy(),
            sha256_hex(&fs::read(dir.join("migration.sql"))?)
        );
    }
    Ok(())
}
