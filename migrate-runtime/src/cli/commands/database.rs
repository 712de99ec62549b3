//! The database file a subcommand works on, opened the way the subcommand needs.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use crate::cli::error::CliError;

/// The database file a command works on.
pub(super) struct Database {
    pub path: PathBuf,
    /// The path as the operator gave it, for messages and the `database` JSON field.
    pub shown: String,
}

impl Database {
    pub(super) fn new(path: Option<&Path>) -> Result<Database, CliError> {
        let path = path.ok_or(CliError::NoDatabase)?;
        Ok(Database {
            path: path.to_owned(),
            shown: path.display().to_string(),
        })
    }

    /// Opens for reading; a missing file reads as an empty database and is not created.
    pub(super) fn open_read(&self) -> Result<Connection, CliError> {
        let db = &self.path;
        if !db.exists() {
            return Ok(Connection::open_in_memory().map_err(crate::Error::from)?);
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        // A file this process may not write is still readable.
        let conn = Connection::open_with_flags(db, flags)
            .or_else(|_| {
                Connection::open_with_flags(
                    db,
                    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )
            })
            .map_err(|source| self.open_error(source))?;
        self.prepare(conn)
    }

    /// Opens for writing, creating the file only when `create` is set.
    pub(super) fn open_write(&self, create: bool) -> Result<Connection, CliError> {
        if !create && !self.path.exists() {
            return Err(CliError::NoSuchDatabase(self.path.clone()));
        }
        let conn = Connection::open(&self.path).map_err(|source| self.open_error(source))?;
        self.prepare(conn)
    }

    fn prepare(&self, conn: Connection) -> Result<Connection, CliError> {
        conn.busy_timeout(Duration::from_secs(5))
            .and_then(|()| conn.pragma_update(None, "foreign_keys", true))
            .map_err(|source| self.open_error(source))?;
        Ok(conn)
    }

    fn open_error(&self, source: rusqlite::Error) -> CliError {
        CliError::Open {
            path: self.path.clone(),
            source,
        }
    }
}
