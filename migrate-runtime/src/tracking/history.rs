//! `schema_migrations_history`: every event, in time order.

use rusqlite::{Connection, params};

use super::schema::{ensure_tables, read_table};
use crate::db::{Execute, Transaction};
use crate::error::Error;

/// What a history event records; see [`HistoryEntry`](crate::HistoryEntry).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HistoryEvent {
    /// A migration was applied.
    Applied,
    /// An attempt to apply (or roll back) a migration failed and was rolled back.
    Failed,
    /// A migration was rolled back with its down file.
    RolledBack,
    /// Versions were recorded as applied without running them.
    Baselined,
    /// A changed checksum was accepted, or an incomplete migration recorded as finished.
    Repaired,
}

impl HistoryEvent {
    const ALL: [HistoryEvent; 5] = [
        HistoryEvent::Applied,
        HistoryEvent::Failed,
        HistoryEvent::RolledBack,
        HistoryEvent::Baselined,
        HistoryEvent::Repaired,
    ];

    /// The event as stored and written in JSON: `applied`, `failed`, `rolled_back`,
    /// `baselined` or `repaired`.
    pub fn as_str(self) -> &'static str {
        match self {
            HistoryEvent::Applied => "applied",
            HistoryEvent::Failed => "failed",
            HistoryEvent::RolledBack => "rolled_back",
            HistoryEvent::Baselined => "baselined",
            HistoryEvent::Repaired => "repaired",
        }
    }

    /// The event stored as `text`, `None` for text this library never writes.
    fn parse(text: &str) -> Option<Self> {
        HistoryEvent::ALL.into_iter().find(|e| e.as_str() == text)
    }
}

/// One row of `schema_migrations_history`, to be written.
pub(crate) struct EventRow<'a> {
    pub event: HistoryEvent,
    pub version: Option<i64>,
    pub name: Option<&'a str>,
    pub checksum: Option<&'a str>,
    pub execution_time_ms: Option<i64>,
    pub detail: Option<&'a str>,
}

/// Appends a history event.
pub(crate) fn insert_event(
    db: &(impl Execute + ?Sized),
    event: &EventRow<'_>,
    at: &str,
) -> rusqlite::Result<()> {
    db.execute_sql(
        "INSERT INTO schema_migrations_history (event, version, name, checksum, at, execution_time_ms, detail)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
        event.event.as_str(),
        event.version,
        event.name,
        event.checksum,
        at,
            event.execution_time_ms,
            event.detail
        ],
    )?;
    Ok(())
}

/// Records a failed attempt in its own transaction, after the migration's rollback.
///
/// Best effort: when even this write fails (a full disk, a read-only file), the failure is
/// logged and the caller returns the original error.
pub(crate) fn record_failure(conn: &Connection, version: i64, name: &str, error: &str) {
    let event = EventRow {
        event: HistoryEvent::Failed,
        version: Some(version),
        name: Some(name),
        checksum: None,
        execution_time_ms: None,
        detail: Some(error),
    };
    if let Err(e) = insert_in_own_transaction(conn, &event) {
        log::warn!("could not record the failed attempt of migration {version}: {e}");
    }
}

/// Appends `event` in a transaction of its own, creating the tables if needed.
fn insert_in_own_transaction(conn: &Connection, event: &EventRow<'_>) -> Result<(), Error> {
    let tx = Transaction::immediate_unclassified(conn)?;
    ensure_tables(conn)?;
    insert_event(conn, event, &crate::clock::now_utc())?;
    tx.commit()?;
    Ok(())
}

/// One row of `schema_migrations_history`, as read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HistoryRow {
    pub id: i64,
    pub event: HistoryEvent,
    pub version: Option<i64>,
    pub name: Option<String>,
    pub checksum: Option<String>,
    pub at: String,
    pub execution_time_ms: Option<i64>,
    pub detail: Option<String>,
}

/// Every history event, oldest first; empty when the table does not exist.
///
/// # Errors
/// [`Error::TrackingTable`] for an event this library does not know.
pub(crate) fn read_history(conn: &Connection) -> Result<Vec<HistoryRow>, Error> {
    read_table(
        conn,
        "schema_migrations_history",
        "SELECT id, event, version, name, checksum, at, execution_time_ms, detail
         FROM schema_migrations_history ORDER BY id",
        |row| {
            let id = row.get(0)?;
            let event = row.get_ref(1)?.as_str()?;
            let Some(event) = HistoryEvent::parse(event) else {
                return Ok(Err(Error::TrackingTable {
                    table: "schema_migrations_history".to_owned(),
                    problem: format!("unknown event `{event}` in row {id}"),
                }));
            };
            Ok(Ok(HistoryRow {
                id,
                event,
                version: row.get(2)?,
                name: row.get(3)?,
                checksum: row.get(4)?,
                at: row.get(5)?,
                execution_time_ms: row.get(6)?,
                detail: row.get(7)?,
            }))
        },
    )?
    .into_iter()
    .collect()
}
