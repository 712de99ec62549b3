//! Backups with SQLite's online backup API.

use std::path::{Path, PathBuf};

use rusqlite::backup::Progress;
use rusqlite::{Connection, MAIN_DB};

use crate::lock::database_path;
use crate::runner::BackupTarget;
use crate::{Error, clock};

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
                return Err(Error::Io {
                    path: None,
                    message: "an in-memory database has no file to put a backup beside: give the backup a path".to_owned(),
                });
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
