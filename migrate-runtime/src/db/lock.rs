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
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

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
        Self::acquire_within(conn, None)
    }

    /// As [`MigratorLock::acquire`], but gives up with [`Error::Locked`] when another migrator
    /// still holds the lock after `patience` (`None`: waits as long as it works).
    pub(crate) fn acquire_within(
        conn: &Connection,
        patience: Option<Duration>,
    ) -> Result<Self, Error> {
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
                match patience {
                    None => file.lock().map_err(|source| Error::MigratorLock {
                        path: path.clone(),
                        source,
                    })?,
                    Some(patience) => wait_for(&file, &path, waited, patience)?,
                }
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

/// Polls the lock until it is free or `patience` has passed since `since`.
fn wait_for(file: &File, path: &Path, since: Instant, patience: Duration) -> Result<(), Error> {
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(()),
            Err(TryLockError::WouldBlock) if since.elapsed() < patience => {
                std::thread::sleep(Duration::from_millis(10));
            }
            Err(TryLockError::WouldBlock) => {
                log::info!(
                    "another migrator still holds `{}` after {:.1?}; giving up",
                    path.display(),
                    since.elapsed()
                );
                return Err(Error::Locked {
                    waited: since.elapsed(),
                    migration: None,
                });
            }
            Err(TryLockError::Error(source)) => {
                return Err(Error::MigratorLock {
                    path: path.to_owned(),
                    source,
                });
            }
        }
    }
}

/// True when another migrator holds the migrator lock of the database file `db` right now.
/// Never waits and never creates the lock file; the lock is released again at once when it
/// was free.
///
/// The probe takes the lock shared: probes at the same moment (concurrent `/health` checks)
/// do not see each other as a migrator, only a migrator's exclusive lock makes it fail.
pub(crate) fn is_held(db: &Path) -> bool {
    let Ok(file) = File::open(lock_path_of(db)) else {
        return false;
    };
    matches!(file.try_lock_shared(), Err(TryLockError::WouldBlock))
}

fn lock_path(conn: &Connection) -> Option<PathBuf> {
    database_path(conn).map(|db| lock_path_of(&db))
}

fn lock_path_of(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(".migrate-lock");
    PathBuf::from(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_probe_is_not_a_migrator() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("app.db");
        let conn = Connection::open(&db).unwrap();
        assert!(!is_held(&db), "no lock file yet");
        let lock = MigratorLock::acquire(&conn).unwrap();
        assert!(is_held(&db), "a migrator holds it");
        drop(lock);
        assert!(!is_held(&db), "the migrator is gone");
        // Another probe in the middle of its check, as concurrent health checks are.
        let probe = File::open(lock_path_of(&db)).unwrap();
        probe.try_lock_shared().unwrap();
        assert!(!is_held(&db), "another probe is not a migrator");
    }
}
