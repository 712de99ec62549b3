//! The migrator lock: who may migrate.
//!
//! Two locks work together. SQLite's write lock (`BEGIN IMMEDIATE`) makes each migration
//! atomic and is what the state is re-read under. A migrator lock, an exclusive advisory lock
//! on a `<db>.migrate-lock` file beside the database, is held for the whole of a run that has
//! work to do: processes that start together queue on it instead of on SQLite's busy timeout,
//! so a follower waits exactly as long as the leader is alive and working (never "database is
//! locked" while the leader makes progress), and a no-transaction migration, which commits
//! between its statements, is never resumed by a second process while the first is still
//! running it. The operating system releases the lock when a process dies, which is how a
//! crashed migration is told apart from a running one.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Seek, Write};
use std::path::PathBuf;
use std::time::Instant;

use rusqlite::Connection;

use super::file::database_path;
use crate::error::Error;

/// The migrator lock; released when dropped.
pub(crate) struct MigratorLock {
    _file: Option<File>,
}

impl MigratorLock {
    /// Takes the migrator lock of the connection's database, waiting for another migrator.
    ///
    /// In-memory and temporary databases have no file to lock and need none. When the lock file
    /// cannot be created (a read-only directory), SQLite's own lock still guarantees
    /// exactly-once application; only the queueing is lost, and that is logged.
    pub(crate) fn acquire(conn: &Connection) -> Result<Self, Error> {
        let Some(path) = lock_path(conn) else {
            return Ok(MigratorLock { _file: None });
        };
        let mut file = match OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
        {
            Ok(file) => file,
            Err(e) => {
                log::warn!(
                    "cannot open the migrator lock `{}` ({e}); relying on SQLite's lock alone",
                    path.display()
                );
                return Ok(MigratorLock { _file: None });
            }
        };
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let holder = std::fs::read_to_string(&path).unwrap_or_default();
                log::info!(
                    "waiting for another migrator ({}) to finish",
                    holder
                        .trim()
                        .strip_prefix("pid ")
                        .map_or("pid unknown".to_owned(), |pid| format!("pid {pid}"))
                );
                let waited = Instant::now();
                file.lock().map_err(|source| Error::MigratorLock {
                    path: path.clone(),
                    source,
                })?;
                log::info!("the other migrator finished after {:.1?}", waited.elapsed());
            }
            Err(TryLockError::Error(e)) => {
                log::warn!(
                    "cannot take the migrator lock `{}` ({e}); relying on SQLite's lock alone",
                    path.display()
                );
                return Ok(MigratorLock { _file: None });
            }
        }
        // Diagnostics only: who holds the lock, for the log lines of the processes that wait.
        let _ = file
            .set_len(0)
            .and_then(|()| file.rewind())
            .and_then(|()| write!(file, "pid {}", std::process::id()));
        Ok(MigratorLock { _file: Some(file) })
    }
}

fn lock_path(conn: &Connection) -> Option<PathBuf> {
    database_path(conn).map(|db| {
        let mut name = db.into_os_string();
        name.push(".migrate-lock");
        PathBuf::from(name)
    })
}
