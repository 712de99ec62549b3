//! What SQLite's errors mean to a migrator: busy and locked (another connection holds the
//! lock), read-only, not a database. Everything else stays [`Error::Sqlite`].

use std::path::PathBuf;
use std::time::Instant;

use rusqlite::{Connection, ErrorCode};

use super::file::database_path;
use crate::error::{Error, MigrationRef};

/// Turns SQLite's busy, read-only and not-a-database errors into their own variants.
/// `since` is when the waiting began, for [`Error::Locked`].
pub(crate) fn classify(
    conn: &Connection,
    error: rusqlite::Error,
    migration: Option<&MigrationRef>,
    since: Instant,
) -> Error {
    let path = || database_path(conn).unwrap_or_else(|| PathBuf::from(":memory:"));
    match error.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => Error::Locked {
            waited: since.elapsed(),
            migration: migration.cloned(),
        },
        Some(ErrorCode::ReadOnly) => Error::ReadOnly {
            path: path(),
            migration: migration.cloned(),
        },
        Some(ErrorCode::NotADatabase) => Error::NotADatabase { path: path() },
        _ => Error::Sqlite(error),
    }
}

/// Runs `work` with its [`Error::Sqlite`] errors classified.
pub(crate) fn classified<T>(
    conn: &Connection,
    work: impl FnOnce(&Connection) -> Result<T, Error>,
) -> Result<T, Error> {
    let started = Instant::now();
    work(conn).map_err(|e| match e {
        Error::Sqlite(e) => classify(conn, e, None, started),
        other => other,
    })
}

/// SQLite gave up waiting for another connection (busy timeout).
pub(crate) fn is_busy(error: &rusqlite::Error) -> bool {
    matches!(
        error.sqlite_error_code(),
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)
    )
}

/// "no such table": a tracking table read before the first run created it.
pub(crate) fn is_missing_table(error: &rusqlite::Error) -> bool {
    matches!(
        error,
        rusqlite::Error::SqliteFailure(e, Some(message))
            if e.code == ErrorCode::Unknown && message.starts_with("no such table")
    )
}

/// SQLite's own message, without rusqlite's wrapping: the one the build-time verification
/// reports, so a statement fails with the same words at build time and at run time.
pub(crate) use migrate_rules::verify::sqlite_message;
