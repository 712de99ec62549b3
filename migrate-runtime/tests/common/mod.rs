//! Helpers shared by the engine and process tests: databases in temporary directories, a dump
//! of everything a database holds, and a log capture.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::thread::ThreadId;
use std::time::SystemTime;

use migrate_runtime::Migrations;
use migrate_runtime::rusqlite::types::ValueRef;
use migrate_runtime::rusqlite::{Connection, OpenFlags};

/// The journal mode a file database is put in before a test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Journal {
    /// SQLite's default rollback journal (`DELETE`).
    Rollback,
    /// Write-ahead log.
    Wal,
}

/// A database file in its own temporary directory.
pub struct TempDb {
    pub dir: tempfile::TempDir,
    pub path: PathBuf,
}

impl TempDb {
    /// A new, empty database file (created by opening it once) in the given journal mode.
    pub fn new(journal: Journal) -> TempDb {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("app.db");
        let conn = Connection::open(&path).expect("open");
        if journal == Journal::Wal {
            let mode: String = conn
                .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
                .expect("journal_mode");
            assert_eq!(mode, "wal");
        }
        drop(conn);
        TempDb { dir, path }
    }

    /// A path in the temporary directory where no database exists yet.
    pub fn fresh() -> TempDb {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("app.db");
        TempDb { dir, path }
    }

    /// A new connection to the file.
    pub fn open(&self) -> Connection {
        Connection::open(&self.path).expect("open")
    }

    /// The bytes of the main database file.
    pub fn bytes(&self) -> Vec<u8> {
        std::fs::read(&self.path).expect("read database file")
    }

    /// Bytes and modification time of the database file and of its WAL file, if any.
    pub fn snapshot(&self) -> FilesSnapshot {
        let read = |path: &Path| {
            let bytes = std::fs::read(path).ok()?;
            let mtime = std::fs::metadata(path).and_then(|m| m.modified()).ok()?;
            Some((bytes, mtime))
        };
        FilesSnapshot {
            db: read(&self.path).expect("database file"),
            wal: read(&with_suffix(&self.path, "-wal")),
        }
    }
}

/// What [`TempDb::snapshot`] saw.
pub struct FilesSnapshot {
    pub db: (Vec<u8>, SystemTime),
    pub wal: Option<(Vec<u8>, SystemTime)>,
}

impl FilesSnapshot {
    /// Asserts that nothing was written: the database file has the same bytes and modification
    /// time, and so has the WAL file (a missing WAL file counts as an empty one: SQLite removes
    /// it when the last connection closes and creates it again, empty, on the next read).
    pub fn assert_same(&self, before: &FilesSnapshot) {
        assert!(
            self.db.0 == before.db.0,
            "the database file's bytes changed"
        );
        assert_eq!(self.db.1, before.db.1, "the database file's mtime changed");
        let wal_bytes = |s: &FilesSnapshot| s.wal.as_ref().map(|w| w.0.clone()).unwrap_or_default();
        assert!(
            wal_bytes(self) == wal_bytes(before),
            "the WAL file's bytes changed"
        );
        if let (Some(now), Some(then)) = (&self.wal, &before.wal) {
            assert_eq!(now.1, then.1, "the WAL file's mtime changed");
        }
    }
}

impl std::fmt::Debug for FilesSnapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FilesSnapshot")
            .field("db_len", &self.db.0.len())
            .field("db_mtime", &self.db.1)
            .field("wal_len", &self.wal.as_ref().map(|w| w.0.len()))
            .field("wal_mtime", &self.wal.as_ref().map(|w| w.1))
            .finish()
    }
}

pub fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// A set from in-memory files, panicking on an invalid set (the fixtures are valid).
pub fn set(files: &[(&str, &str)]) -> Migrations {
    Migrations::from_files(files.iter().copied()).expect("valid migration set")
}

/// A set from a fixture directory under `tests/sets`.
pub fn set_dir(name: &str) -> Migrations {
    Migrations::from_dir(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/sets")
            .join(name),
    )
    .expect("valid migration set")
}

/// Everything the database holds, as text: `user_version`, every `sqlite_schema` row and every
/// row of every table (sorted, so that the order of a scan does not matter). Failure events of
/// `schema_migrations_history` are left out when `without_failures` is set.
pub fn dump_with(conn: &Connection, without_failures: bool) -> Vec<String> {
    let mut out = Vec::new();
    let user_version: i64 = conn
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .expect("user_version");
    out.push(format!("user_version = {user_version}"));
    let mut schema = conn
        .prepare("SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY type, name")
        .expect("schema");
    let rows = schema
        .query_map([], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, Option<String>>(3)?,
            ))
        })
        .expect("schema rows")
        .collect::<Result<Vec<_>, _>>()
        .expect("schema rows");
    for (kind, name, table, sql) in &rows {
        out.push(format!("schema {kind} {name} on {table}: {sql:?}"));
    }
    for (kind, name, _, _) in &rows {
        if kind != "table" {
            continue;
        }
        let filter = if without_failures && name == "schema_migrations_history" {
            " WHERE event <> 'failed'"
        } else {
            ""
        };
        let sql = format!("SELECT * FROM \"{}\"{filter}", name.replace('"', "\"\""));
        let mut statement = conn.prepare(&sql).expect("select table");
        let columns = statement.column_count();
        let mut table_rows = Vec::new();
        let mut query = statement.query([]).expect("query table");
        while let Some(row) = query.next().expect("row") {
            let values: Vec<String> = (0..columns)
                .map(|i| match row.get_ref(i).expect("value") {
                    ValueRef::Null => "NULL".to_owned(),
                    ValueRef::Integer(i) => i.to_string(),
                    ValueRef::Real(r) => r.to_string(),
                    ValueRef::Text(t) => format!("{:?}", String::from_utf8_lossy(t)),
                    ValueRef::Blob(b) => format!("x'{}'", hex(b)),
                })
                .collect();
            table_rows.push(format!("row {name}: {}", values.join(", ")));
        }
        table_rows.sort();
        out.extend(table_rows);
    }
    out
}

/// [`dump_with`] of everything.
pub fn dump(conn: &Connection) -> Vec<String> {
    dump_with(conn, false)
}

/// [`dump_with`] through a new read-only connection to the file.
pub fn dump_file(path: &Path, without_failures: bool) -> Vec<String> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .expect("open read-only");
    dump_with(&conn, without_failures)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The applied versions recorded in `schema_migrations`, in order.
pub fn applied_versions(conn: &Connection) -> Vec<i64> {
    let mut statement = conn
        .prepare("SELECT version FROM schema_migrations ORDER BY version")
        .expect("schema_migrations");
    statement
        .query_map([], |row| row.get(0))
        .expect("versions")
        .collect::<Result<Vec<_>, _>>()
        .expect("versions")
}

pub fn user_version(conn: &Connection) -> i64 {
    conn.query_row("PRAGMA user_version", [], |row| row.get(0))
        .expect("user_version")
}

pub fn count(conn: &Connection, sql: &str) -> i64 {
    conn.query_row(sql, [], |row| row.get(0)).expect(sql)
}

/// One captured log record.
#[derive(Debug, Clone)]
pub struct Record {
    pub level: log::Level,
    pub target: String,
    pub message: String,
}

struct Capture {
    records: Mutex<Vec<(ThreadId, Record)>>,
}

impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }

    fn log(&self, record: &log::Record<'_>) {
        let entry = Record {
            level: record.level(),
            target: record.target().to_owned(),
            message: record.args().to_string(),
        };
        self.records
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((std::thread::current().id(), entry));
    }

    fn flush(&self) {}
}

static CAPTURE: OnceLock<&'static Capture> = OnceLock::new();

fn capture() -> &'static Capture {
    CAPTURE.get_or_init(|| {
        let capture: &'static Capture = Box::leak(Box::new(Capture {
            records: Mutex::new(Vec::new()),
        }));
        log::set_logger(capture).expect("no other logger in the test binary");
        log::set_max_level(log::LevelFilter::Trace);
        capture
    })
}

/// Runs `f` and returns what it logged on this thread (tests run on parallel threads; each
/// sees only its own records).
pub fn logs_of<T>(f: impl FnOnce() -> T) -> (T, Vec<Record>) {
    let capture = capture();
    let me = std::thread::current().id();
    let before = capture
        .records
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .len();
    let value = f();
    let records = capture
        .records
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .skip(before)
        .filter(|(thread, _)| *thread == me)
        .map(|(_, record)| record.clone())
        .collect();
    (value, records)
}
