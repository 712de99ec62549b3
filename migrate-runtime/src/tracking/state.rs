//! `schema_migrations_state`: the one row the up-to-date check reads, and the
//! `PRAGMA user_version` mirror of the applied version.

use migrate_rules::Checksum;
use rusqlite::{Connection, OptionalExtension, params};

use crate::db::{Execute, is_missing_table};

/// True when the state row says the database is verified at `latest` with the history
/// checksum `expected`. This is the whole up-to-date check: one statement, one row, no
/// allocation that depends on the number of migrations.
///
/// A database that has never been migrated (no state table yet) is not up to date.
pub(crate) fn state_matches(
    conn: &Connection,
    latest: i64,
    expected: &Checksum,
) -> rusqlite::Result<bool> {
    let mut statement = match conn.prepare(
        "SELECT version, history_checksum, verified FROM schema_migrations_state WHERE id = 1",
    ) {
        Ok(statement) => statement,
        Err(e) if is_missing_table(&e) => return Ok(false),
        Err(e) => return Err(e),
    };
    let mut rows = statement.query([])?;
    let Some(row) = rows.next()? else {
        return Ok(false);
    };
    let history = row.get_ref(1)?.as_str_or_null()?;
    Ok(row.get::<_, bool>(2)?
        && row.get::<_, i64>(0)? == latest
        && history.and_then(|h| h.parse::<Checksum>().ok()).as_ref() == Some(expected))
}

/// The history checksum of the state row, when the row is marked verified and holds one.
pub(crate) fn verified_history(conn: &Connection) -> rusqlite::Result<Option<Checksum>> {
    let text = conn
        .query_row(
            "SELECT history_checksum FROM schema_migrations_state WHERE id = 1 AND verified = 1",
            [],
            |row| row.get::<_, Option<String>>(0),
        )
        .optional()?
        .flatten();
    Ok(text.and_then(|h| h.parse().ok()))
}

/// Writes the state row and marks it verified: called after this library's own writes to
/// `schema_migrations`, in the same transaction.
pub(crate) fn set_state(
    db: &(impl Execute + ?Sized),
    version: i64,
    history_checksum: Option<&str>,
) -> rusqlite::Result<()> {
    db.execute_sql(
        "UPDATE schema_migrations_state SET version = ?1, history_checksum = ?2, verified = 1 WHERE id = 1",
        params![version, history_checksum],
    )?;
    Ok(())
}

/// `PRAGMA data_version`: changes when another connection commits to the database.
pub(crate) fn data_version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("PRAGMA data_version", [], |row| row.get(0))
}

/// `PRAGMA user_version`.
pub(crate) fn user_version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("PRAGMA user_version", [], |row| row.get(0))
}

/// Sets `PRAGMA user_version`, the mirror of the highest applied version.
pub(crate) fn set_user_version(conn: &Connection, version: i64) -> rusqlite::Result<()> {
    conn.pragma_update(None, "user_version", version)
}
