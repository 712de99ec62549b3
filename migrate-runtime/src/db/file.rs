//! The file behind a connection, which backups are put beside and the migrator lock is named
//! after.

use std::path::PathBuf;

use rusqlite::Connection;

/// The main database file, `None` for in-memory and temporary databases.
pub(crate) fn database_path(conn: &Connection) -> Option<PathBuf> {
    conn.path()
        .filter(|path| !path.is_empty())
        .map(PathBuf::from)
}
