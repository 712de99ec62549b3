//! Backups with SQLite's online backup API: the copy a run takes before applying anything,
//! and [`restore_backup`].
//!
//! Invariant: a backup is all or nothing for its destination, and a restore holds the migrator
//! lock, so no migrator runs against a database while it is being replaced.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rusqlite::backup::Progress;
use rusqlite::{Connection, MAIN_DB, OpenFlags};

use crate::clock;
use crate::db::{MigratorLock, classify, database_path};
use crate::error::Error;

/// Where [`Runner::backup`](crate::Runner::backup) writes its copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BackupTarget {
    /// `<db>.before-v<current version>-<UTC timestamp>` beside the database.
    Beside,
    /// This file.
    Path(PathBuf),
}

/// Writes a consistent copy of the main database before a run applies anything.
///
/// [`BackupTarget::Beside`] names it `<db>.before-v<current>-<UTC timestamp>`.
pub(crate) fn write_before(
    conn: &Connection,
    target: &BackupTarget,
    current_version: i64,
) -> Result<PathBuf, Error> {
    let path = match target {
        BackupTarget::Path(path) => path.clone(),
        BackupTarget::Beside => {
            let Some(db) = database_path(conn) else {
                return Err(Error::BackupNeedsPath);
            };
            let mut name = db.into_os_string();
            name.push(format!(
                ".before-v{current_version}-{}",
                clock::now_compact()
            ));
            PathBuf::from(name)
        }
    };
    write(conn, &path)?;
    log::info!(
        "backed up the database at version {current_version} to `{}`",
        path.display()
    );
    Ok(path)
}

/// Copies the main database of `conn` to `path` (replacing it).
pub(crate) fn write(conn: &Connection, path: &Path) -> Result<(), Error> {
    conn.backup(MAIN_DB, path, None::<fn(Progress)>)
        .map_err(|source| Error::Backup {
            path: path.to_path_buf(),
            source,
        })
}

/// How long [`restore_backup`] (and a test database's copy) waits for other connections' locks.
const RESTORE_PATIENCE: Duration = Duration::from_secs(5);

/// Replaces the database of `conn` with the contents of the backup file `backup`, with
/// SQLite's online backup API, under the migrator lock. The backup file is only read.
///
/// ```
/// use migrate_runtime::{rusqlite::Connection, BackupTarget, Migrations};
///
/// static MIGRATIONS: Migrations = migrate_runtime::embed_migrations!("tests/doc_migrations");
///
/// let dir = tempfile::tempdir().unwrap();
/// let mut conn = Connection::open(dir.path().join("app.db"))?;
/// MIGRATIONS.runner().target(1).run(&mut conn)?;
/// let backup = dir.path().join("app.db.bak");
/// MIGRATIONS.runner().backup(BackupTarget::Path(backup.clone())).run(&mut conn)?;
/// assert_eq!(MIGRATIONS.current_version(&conn)?, 2);
///
/// migrate_runtime::restore_backup(&mut conn, &backup)?;
/// assert_eq!(MIGRATIONS.current_version(&conn)?, 1);
/// # Ok::<(), migrate_runtime::Error>(())
/// ```
///
/// # Errors
/// - [`Error::BackupNotFound`] when the backup file does not exist.
/// - [`Error::NotADatabase`] when it is not an SQLite database.
/// - [`Error::Backup`] when the copy fails (for example while another connection writes);
///   SQLite's backup is all or nothing for the destination.
/// - [`Error::Locked`], [`Error::ReadOnly`] for the destination.
pub fn restore_backup(conn: &mut Connection, backup: impl AsRef<Path>) -> Result<(), Error> {
    let backup = backup.as_ref();
    if !backup.is_file() {
        return Err(Error::BackupNotFound {
            path: backup.to_path_buf(),
        });
    }
    let source = open_immutable(backup).map_err(|source| Error::Backup {
        path: backup.to_path_buf(),
        source,
    })?;
    let since = Instant::now();
    source
        .query_row("SELECT count(*) FROM sqlite_schema", [], |_| Ok(()))
        .map_err(|e| match classify(&source, e, None, since) {
            Error::NotADatabase { .. } => Error::NotADatabase {
                path: backup.to_path_buf(),
            },
            Error::Sqlite(source) => Error::Backup {
                path: backup.to_path_buf(),
                source,
            },
            other => other,
        })?;
    let _lock = MigratorLock::acquire(conn)?;
    match copy_all(&source, conn, since) {
        Ok(true) => {}
        Ok(false) => {
            return Err(Error::Locked {
                waited: since.elapsed(),
                migration: None,
            });
        }
        Err(source) => {
            return Err(Error::Backup {
                path: backup.to_path_buf(),
                source,
            });
        }
    }
    log::info!("restored the database from `{}`", backup.display());
    Ok(())
}

/// Opens a backup to read it without leaving anything beside it: as an immutable file (no
/// locks, no `-wal` or `-shm` files, which a read-only connection to a backup taken from a
/// WAL database would otherwise create and leave behind). A backup is never written while it
/// is restored, which is what `immutable` asks SQLite to assume.
fn open_immutable(path: &Path) -> rusqlite::Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    match file_uri(path) {
        Some(uri) => Connection::open_with_flags(
            format!("{uri}?immutable=1"),
            flags | OpenFlags::SQLITE_OPEN_URI,
        ),
        None => Connection::open_with_flags(path, flags),
    }
}

/// `path` as an SQLite `file:` URI: absolute, `/`-separated, with every byte outside the
/// unreserved set percent-encoded. `None` for a path that is not UTF-8.
fn file_uri(path: &Path) -> Option<String> {
    let absolute = std::path::absolute(path).ok()?;
    let text = absolute.to_str()?.replace('\\', "/");
    let mut uri = String::from("file:");
    // A Windows path (`C:/...`) needs the empty authority's slash before the drive.
    if !text.starts_with('/') {
        uri.push('/');
    }
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/:".contains(&byte) {
            uri.push(char::from(byte));
        } else {
            uri.push_str(&format!("%{byte:02X}"));
        }
    }
    Some(uri)
}

/// Copies every page of `source` into `destination` in one step, so that the destination
/// changes in one write transaction; `false` when other connections' locks kept it from
/// starting within [`RESTORE_PATIENCE`] of `since`.
pub(crate) fn copy_all(
    source: &Connection,
    destination: &mut Connection,
    since: Instant,
) -> rusqlite::Result<bool> {
    use rusqlite::backup::{Backup, StepResult};
    let backup = Backup::new(source, destination)?;
    loop {
        match backup.step(-1)? {
            StepResult::Done => return Ok(true),
            StepResult::More => {}
            _ if since.elapsed() > RESTORE_PATIENCE => return Ok(false),
            _ => std::thread::sleep(Duration::from_millis(20)),
        }
    }
}
