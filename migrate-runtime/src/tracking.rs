//! The tracking tables and every read and write of them.
//!
//! - `schema_migrations`: one row per applied migration (the contract), plus the history
//!   checksum of versions `1..=version`.
//! - `schema_migrations_state`: one row, the applied version and history checksum, so that the
//!   up-to-date check is a single read whatever the number of migrations. Triggers on
//!   `schema_migrations` clear its `verified` flag on any write; this library sets it again in
//!   the same transaction as its own writes. A hand edit therefore sends the next run through
//!   the full check instead of going unnoticed.
//! - `schema_migrations_history`: every event in time order: applied, failed, rolled back,
//!   baselined, repaired.
//! - `schema_migrations_progress`: no-transaction migrations that have started but not
//!   finished, with the checksums of the statements already run.

use std::collections::BTreeMap;

use rusqlite::{Connection, OptionalExtension, params};

use migrate_rules::Checksum;

use crate::Error;
use crate::clock;

/// The tracking table of applied migrations.
pub const MIGRATIONS_TABLE: &str = "schema_migrations";

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

/// One row of `schema_migrations`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AppliedRow {
    pub version: i64,
    pub name: String,
    pub checksum: String,
    pub applied_at: String,
    pub execution_time_ms: i64,
}

/// A no-transaction migration in flight.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Progress {
    pub version: i64,
    /// Checksums of the statements already run, in order.
    pub statement_checksums: Vec<String>,
    /// The statement that failed (1-based), its checksum and SQLite's message.
    pub failure: Option<(usize, String, String)>,
}

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

/// True when the state row says the database is verified at `latest` with the history
/// checksum `expected`. This is the whole up-to-date check: one statement, one row, no
/// allocation that depends on the number of migrations.
///
/// # Errors
/// "no such table" on a database that has never been migrated.
pub(crate) fn state_matches(
    conn: &Connection,
    latest: i64,
    expected: &Checksum,
) -> rusqlite::Result<bool> {
    let mut statement = conn.prepare(
        "SELECT version, history_checksum, verified FROM schema_migrations_state WHERE id = 1",
    )?;
    let mut rows = statement.query([])?;
    let Some(row) = rows.next()? else {
        return Ok(false);
    };
    let history = row.get_ref(1)?.as_str_or_null()?;
    Ok(row.get::<_, bool>(2)?
        && row.get::<_, i64>(0)? == latest
        && history.and_then(|h| h.parse::<Checksum>().ok()).as_ref() == Some(expected))
}

/// Every applied migration, by version.
pub(crate) fn read_applied(conn: &Connection) -> Result<BTreeMap<i64, AppliedRow>, Error> {
    check_shape(conn)?;
    let rows = read_table(
        conn,
        MIGRATIONS_TABLE,
        "SELECT version, name, checksum, applied_at, execution_time_ms FROM schema_migrations ORDER BY version",
        |row| {
            Ok(AppliedRow {
                version: row.get(0)?,
                name: row.get(1)?,
                checksum: row.get(2)?,
                applied_at: row.get(3)?,
                execution_time_ms: row.get(4)?,
            })
        },
    )?;
    Ok(rows.into_iter().map(|row| (row.version, row)).collect())
}

/// Every row `sql` selects from `table`, or none when the table does not exist yet (the
/// tracking tables are created by the first run that applies something).
fn read_table<T>(
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

/// No-transaction migrations in flight, by version.
pub(crate) fn read_progress(conn: &Connection) -> Result<BTreeMap<i64, Progress>, Error> {
    let rows = read_table(
        conn,
        "schema_migrations_progress",
        "SELECT version, statement_checksums, failed_statement, failed_checksum, error
         FROM schema_migrations_progress ORDER BY version",
        |row| {
            let checksums: String = row.get(1)?;
            let failed: Option<i64> = row.get(2)?;
            let failure = match failed {
                Some(index) => Some((
                    usize::try_from(index).unwrap_or(0),
                    row.get::<_, Option<String>>(3)?.unwrap_or_default(),
                    row.get::<_, Option<String>>(4)?.unwrap_or_default(),
                )),
                None => None,
            };
            Ok(Progress {
                version: row.get(0)?,
                statement_checksums: checksums.lines().map(str::to_owned).collect(),
                failure,
            })
        },
    )?;
    Ok(rows.into_iter().map(|row| (row.version, row)).collect())
}

/// What [`record_applied`] writes.
pub(crate) struct AppliedRecord<'a> {
    pub version: i64,
    pub name: &'a str,
    pub checksum: &'a str,
    pub execution_time_ms: i64,
    pub history_checksum: &'a str,
}

/// Inserts the `schema_migrations` row, the history event and the new state (the highest
/// applied version and the history checksum of every applied migration), inside the
/// migration's own transaction.
pub(crate) fn record_applied(
    conn: &Connection,
    record: &AppliedRecord<'_>,
    state_version: i64,
    state_history: Option<&str>,
) -> rusqlite::Result<()> {
    let now = clock::now_utc();
    insert_row(conn, record, &now)?;
    insert_event(
        conn,
        &Event {
            kind: EventKind::Applied,
            version: Some(record.version),
            name: Some(record.name),
            checksum: Some(record.checksum),
            execution_time_ms: Some(record.execution_time_ms),
            detail: None,
        },
        &now,
    )?;
    set_state(conn, state_version, state_history)
}

/// The history checksum of the state row, when the row is marked verified.
pub(crate) fn verified_history(conn: &Connection) -> rusqlite::Result<Option<String>> {
    conn.query_row(
        "SELECT history_checksum FROM schema_migrations_state WHERE id = 1 AND verified = 1",
        [],
        |row| row.get::<_, Option<String>>(0),
    )
    .optional()
    .map(Option::flatten)
}

/// Writes the state row and marks it verified: called after this library's own writes to
/// `schema_migrations`, in the same transaction.
pub(crate) fn set_state(
    conn: &Connection,
    version: i64,
    history_checksum: Option<&str>,
) -> rusqlite::Result<()> {
    conn.prepare("UPDATE schema_migrations_state SET version = ?1, history_checksum = ?2, verified = 1 WHERE id = 1")?
        .execute(params![version, history_checksum])?;
    Ok(())
}

/// The kinds of history events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EventKind {
    Applied,
    Failed,
    RolledBack,
    Baselined,
    Repaired,
}

impl EventKind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            EventKind::Applied => "applied",
            EventKind::Failed => "failed",
            EventKind::RolledBack => "rolled_back",
            EventKind::Baselined => "baselined",
            EventKind::Repaired => "repaired",
        }
    }
}

/// One row of `schema_migrations_history`.
pub(crate) struct Event<'a> {
    pub kind: EventKind,
    pub version: Option<i64>,
    pub name: Option<&'a str>,
    pub checksum: Option<&'a str>,
    pub execution_time_ms: Option<i64>,
    pub detail: Option<&'a str>,
}

/// Appends a history event.
pub(crate) fn insert_event(conn: &Connection, event: &Event<'_>, at: &str) -> rusqlite::Result<()> {
    conn.prepare(
        "INSERT INTO schema_migrations_history (event, version, name, checksum, at, execution_time_ms, detail)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        event.kind.as_str(),
        event.version,
        event.name,
        event.checksum,
        at,
        event.execution_time_ms,
        event.detail
    ])?;
    Ok(())
}

/// Records a failed attempt in its own transaction, after the migration's rollback.
///
/// Best effort: when even this write fails (a full disk, a read-only file), the failure is
/// logged and the caller returns the original error.
pub(crate) fn record_failure(conn: &Connection, version: i64, name: &str, error: &str) {
    let result = (|| -> Result<(), Error> {
        conn.execute_batch("BEGIN IMMEDIATE")?;
        ensure_tables(conn)?;
        let event = Event {
            kind: EventKind::Failed,
            version: Some(version),
            name: Some(name),
            checksum: None,
            execution_time_ms: None,
            detail: Some(error),
        };
        insert_event(conn, &event, &clock::now_utc())?;
        conn.execute_batch("COMMIT")?;
        Ok(())
    })();
    if let Err(e) = result {
        if !conn.is_autocommit() {
            let _ = conn.execute_batch("ROLLBACK");
        }
        log::warn!("could not record the failed attempt of migration {version}: {e}");
    }
}

/// Starts (or keeps) the progress row of a no-transaction migration.
pub(crate) fn start_progress(conn: &Connection, version: i64) -> rusqlite::Result<()> {
    let now = clock::now_utc();
    conn.execute(
        "INSERT INTO schema_migrations_progress (version, statements_done, statement_checksums, started_at, updated_at)
         VALUES (?1, 0, '', ?2, ?2)
         ON CONFLICT (version) DO UPDATE SET failed_statement = NULL, failed_checksum = NULL, error = NULL, updated_at = ?2",
        params![version, now],
    )?;
    Ok(())
}

/// Records that the statements whose checksums are given have run.
pub(crate) fn set_progress(
    conn: &Connection,
    version: i64,
    done: &[String],
) -> rusqlite::Result<()> {
    conn.prepare(
        "UPDATE schema_migrations_progress SET statements_done = ?2, statement_checksums = ?3, updated_at = ?4
         WHERE version = ?1",
    )?
    .execute(params![version, done.len() as i64, done.join("\n"), clock::now_utc()])?;
    Ok(())
}

/// Records the failed statement of a no-transaction migration.
pub(crate) fn set_progress_failure(
    conn: &Connection,
    version: i64,
    statement: usize,
    checksum: &str,
    error: &str,
) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE schema_migrations_progress SET failed_statement = ?2, failed_checksum = ?3, error = ?4, updated_at = ?5
         WHERE version = ?1",
        params![version, statement as i64, checksum, error, clock::now_utc()],
    )?;
    Ok(())
}

/// Removes the progress row once the migration is recorded as applied.
pub(crate) fn clear_progress(conn: &Connection, version: i64) -> rusqlite::Result<()> {
    conn.execute(
        "DELETE FROM schema_migrations_progress WHERE version = ?1",
        [version],
    )?;
    Ok(())
}

/// One row of `schema_migrations_history`, as read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HistoryRow {
    pub id: i64,
    pub event: String,
    pub version: Option<i64>,
    pub name: Option<String>,
    pub checksum: Option<String>,
    pub at: String,
    pub execution_time_ms: Option<i64>,
    pub detail: Option<String>,
}

/// Every history event, oldest first; empty when the table does not exist.
pub(crate) fn read_history(conn: &Connection) -> Result<Vec<HistoryRow>, Error> {
    read_table(
        conn,
        "schema_migrations_history",
        "SELECT id, event, version, name, checksum, at, execution_time_ms, detail
         FROM schema_migrations_history ORDER BY id",
        |row| {
            Ok(HistoryRow {
                id: row.get(0)?,
                event: row.get(1)?,
                version: row.get(2)?,
                name: row.get(3)?,
                checksum: row.get(4)?,
                at: row.get(5)?,
                execution_time_ms: row.get(6)?,
                detail: row.get(7)?,
            })
        },
    )
}

/// Inserts a `schema_migrations` row without a history event (baseline, repair). The caller
/// writes the event and the state in the same transaction.
pub(crate) fn insert_row(
    conn: &Connection,
    record: &AppliedRecord<'_>,
    applied_at: &str,
) -> rusqlite::Result<()> {
    conn.prepare(
        "INSERT INTO schema_migrations (version, name, checksum, applied_at, execution_time_ms, history_checksum)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        record.version,
        record.name,
        record.checksum,
        applied_at,
        record.execution_time_ms,
        record.history_checksum
    ])?;
    Ok(())
}

/// Sets the checksum and history checksum of an applied row (repair).
pub(crate) fn update_checksums(
    conn: &Connection,
    version: i64,
    checksum: &str,
    history_checksum: &str,
) -> rusqlite::Result<()> {
    conn.prepare(
        "UPDATE schema_migrations SET checksum = ?2, history_checksum = ?3 WHERE version = ?1",
    )?
    .execute(params![version, checksum, history_checksum])?;
    Ok(())
}

/// Deletes an applied row (rollback).
pub(crate) fn delete_row(conn: &Connection, version: i64) -> rusqlite::Result<()> {
    conn.prepare("DELETE FROM schema_migrations WHERE version = ?1")?
        .execute([version])?;
    Ok(())
}
