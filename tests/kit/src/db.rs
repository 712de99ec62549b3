//! Database files in temporary directories.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use rusqlite::Connection;

/// The journal mode a file database is put in before a test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Journal {
    /// SQLite's default rollback journal (`DELETE`).
    Rollback,
    /// Write-ahead log.
    Wal,
}

impl Journal {
    /// Both modes, for tests that cover each.
    pub const ALL: [Journal; 2] = [Journal::Rollback, Journal::Wal];

    /// The name trials print.
    pub fn name(self) -> &'static str {
        match self {
            Journal::Rollback => "rollback-journal",
            Journal::Wal => "wal",
        }
    }

    /// The value of `PRAGMA journal_mode`.
    fn pragma(self) -> &'static str {
        match self {
            Journal::Rollback => "delete",
            Journal::Wal => "wal",
        }
    }
}

/// Creates the database file `dir/file` in the given journal mode.
pub fn new_db(dir: &Path, file: &str, journal: Journal) -> Result<PathBuf, String> {
    let path = dir.join(file);
    let conn = Connection::open(&path).map_err(|e| e.to_string())?;
    let mode = journal.pragma();
    let got: String = conn
        .query_row(&format!("PRAGMA journal_mode = {mode}"), [], |r| r.get(0))
        .map_err(|e| e.to_string())?;
    if got != mode {
        return Err(format!("journal_mode is {got}, wanted {mode}"));
    }
    Ok(path)
}

/// A database file, `app.db`, in its own temporary directory (removed on drop).
pub struct Db {
    /// The temporary directory.
    pub dir: tempfile::TempDir,
    /// The database file.
    pub path: PathBuf,
    foreign_keys: bool,
}

impl Db {
    /// A new, empty database file (created by opening it once) in the given journal mode.
    pub fn new(journal: Journal) -> Db {
        let db = Db::fresh();
        new_db(db.dir.path(), "app.db", journal).expect("create the database");
        db
    }

    /// A path in a new temporary directory where no database exists yet.
    pub fn fresh() -> Db {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("app.db");
        Db {
            dir,
            path,
            foreign_keys: false,
        }
    }

    /// Makes [`Db::open`] turn `PRAGMA foreign_keys` on, as applications that use them do.
    pub fn with_foreign_keys(mut self) -> Db {
        self.foreign_keys = true;
        self
    }

    /// A new connection to the file.
    pub fn open(&self) -> Connection {
        let conn = Connection::open(&self.path).expect("open");
        if self.foreign_keys {
            conn.pragma_update(None, "foreign_keys", true)
                .expect("foreign_keys");
        }
        conn
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

/// What [`Db::snapshot`] saw.
pub struct FilesSnapshot {
    /// The database file's bytes and modification time.
    pub db: (Vec<u8>, SystemTime),
    /// The WAL file's, when there is one.
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

/// `path` with `suffix` appended to its file name (`app.db` + `-wal`).
pub fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}
