//! Connections to the admin's database, one per request, opened as the CLI opens them: reads
//! never create the file, and a missing file reads as an empty database.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use crate::Error;

/// Opens for reading; a missing file is an empty in-memory database and is not created.
pub(super) fn open_read(path: &Path, busy: Duration) -> Result<Connection, Error> {
    if !path.exists() {
        return Ok(Connection::open_in_memory()?);
    }
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    // A file this process may not write is still readable.
    let conn = Connection::open_with_flags(path, flags).or_else(|_| {
        Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
    })?;
    conn.busy_timeout(busy)?;
    Ok(conn)
}

/// Opens for writing, creating the file only when `create` is set; `None` when the file does
/// not exist and may not be created.
pub(super) fn open_write(
    path: &Path,
    busy: Duration,
    create: bool,
) -> Result<Option<Connection>, Error> {
    if !create && !path.exists() {
        return Ok(None);
    }
    let conn = Connection::open(path)?;
    conn.busy_timeout(busy)?;
    // As applications that use foreign keys open it: the runner turns them off around each
    // migration and checks them before its commit.
    conn.pragma_update(None, "foreign_keys", true)?;
    Ok(Some(conn))
}
