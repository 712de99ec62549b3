//! Creating the tracking tables and checking the shape of `schema_migrations`.

use rusqlite::{Connection, OptionalExtension};

use crate::error::Error;

/// The tracking table of applied migrations.
pub(crate) const MIGRATIONS_TABLE: &str = "schema_migrations";

const CREATE_TABLES: &str = "
CREATE TABLE IF NOT EXISTS schema_migrations (
    version           INTEGER PRIMARY KEY,
    name              TEXT NOT NULL,
    checksum          TEXT NOT NULL,
    applied_at        TEXT NOT NULL,
    execution_time_ms INTEGER NOT NULL,
    history_checksum  TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS schema_migrations_state (
    id               INTEGER PRIMARY KEY CHECK (id = 1),
    version          INTEGER NOT NULL,
    history_checksum TEXT,
    verified         INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS schema_migrations_history (
    id                INTEGER PRIMARY KEY,
    event             TEXT NOT NULL,
    version           INTEGER,
    name              TEXT,
    checksum          TEXT,
    at                TEXT NOT NULL,
    execution_time_ms INTEGER,
    detail            TEXT
);
CREATE TABLE IF NOT EXISTS schema_migrations_progress (
    version             INTEGER PRIMARY KEY,
    statements_done     INTEGER NOT NULL,
    statement_checksums TEXT NOT NULL,
    failed_statement    INTEGER,
    failed_checksum     TEXT,
    error               TEXT,
    started_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS schema_migrations_edited_insert AFTER INSERT ON schema_migrations
BEGIN UPDATE schema_migrations_state SET verified = 0; END;
CREATE TRIGGER IF NOT EXISTS schema_migrations_edited_update AFTER UPDATE ON schema_migrations
BEGIN UPDATE schema_migrations_state SET verified = 0; END;
CREATE TRIGGER IF NOT EXISTS schema_migrations_edited_delete AFTER DELETE ON schema_migrations
BEGIN UPDATE schema_migrations_state SET verified = 0; END;
INSERT OR IGNORE INTO schema_migrations_state (id, version, history_checksum, verified)
    SELECT 1, 0, NULL, 0;
";

const REQUIRED_COLUMNS: [&str; 6] = [
    "version",
    "name",
    "checksum",
    "applied_at",
    "execution_time_ms",
    "history_checksum",
];

/// True when `table` exists in the main schema.
pub(crate) fn table_exists(conn: &Connection, table: &str) -> Result<bool, Error> {
    let found = conn
        .query_row(
            "SELECT 1 FROM main.sqlite_schema WHERE type = 'table' AND name = ?1",
            [table],
            |_| Ok(()),
        )
        .optional()?;
    Ok(found.is_some())
}

/// Creates the tracking tables where missing and checks the shape of `schema_migrations`.
/// Runs inside the caller's write transaction.
pub(crate) fn ensure_tables(conn: &Connection) -> Result<(), Error> {
    check_shape(conn)?;
    conn.execute_batch(CREATE_TABLES)?;
    Ok(())
}

/// Fails with [`Error::TrackingTable`] when `schema_migrations` exists but lacks a required
/// column. A missing table is fine: it has no columns at all.
pub(crate) fn check_shape(conn: &Connection) -> Result<(), Error> {
    let mut statement = conn.prepare("SELECT name FROM pragma_table_info('schema_migrations')")?;
    let columns = statement
        .query_map([], |row| row.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    if columns.is_empty() {
        return Ok(());
    }
    let missing: Vec<&str> = REQUIRED_COLUMNS
        .iter()
        .copied()
        .filter(|required| !columns.iter().any(|c| c.eq_ignore_ascii_case(required)))
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(Error::TrackingTable {
            table: MIGRATIONS_TABLE.to_owned(),
            problem: format!(
                "missing column{} {} (found {})",
                if missing.len() == 1 { "" } else { "s" },
                missing
                    .iter()
                    .map(|c| format!("`{c}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
                columns
                    .iter()
                    .map(|c| format!("`{c}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
        })
    }
}

/// Every row `sql` selects from `table`, or none when the table does not exist yet (the
/// tracking tables are created by the first run that applies something).
pub(crate) fn read_table<T>(
    conn: &Connection,
    table: &str,
    sql: &str,
    map: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> Result<Vec<T>, Error> {
    if !table_exists(conn, table)? {
        return Ok(Vec::new());
    }
    let mut statement = conn.prepare(sql)?;
    let rows = statement
        .query_map([], map)?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}
