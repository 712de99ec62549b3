//! `history`: every recorded event, oldest first. Read-only.

use rusqlite::Connection;

use crate::db::read_snapshot;
use crate::error::Error;
use crate::migrations::Migrations;
use crate::tracking::HistoryEvent;
use crate::tracking::history::read_history;

/// One event of [`Migrations::history`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "cli", derive(serde::Serialize))]
#[non_exhaustive]
pub struct HistoryEntry {
    /// Increasing with time.
    pub id: i64,
    /// What happened.
    pub event: HistoryEvent,
    /// The migration concerned.
    pub version: Option<i64>,
    /// Its name.
    pub name: Option<String>,
    /// The checksum applied (or accepted, for a repair).
    pub checksum: Option<String>,
    /// When (UTC, ISO 8601 with milliseconds).
    pub at: String,
    /// How long it took, in milliseconds, for applied and rolled back migrations.
    pub duration_ms: Option<i64>,
    /// The error of a failed attempt, or what a rollback, baseline or repair did.
    pub detail: Option<String>,
}

impl Migrations {
    /// Every recorded event, oldest first: applied migrations, failed attempts, rollbacks,
    /// baselines and repairs. Read-only; empty for a database never migrated.
    ///
    /// ```
    /// use migrate_runtime::{rusqlite::Connection, HistoryEvent, Migrations};
    ///
    /// static MIGRATIONS: Migrations = migrate_runtime::embed_migrations!("tests/doc_migrations");
    ///
    /// let mut conn = Connection::open_in_memory()?;
    /// MIGRATIONS.run(&mut conn)?;
    /// MIGRATIONS.rollback_to(&mut conn, 1)?;
    /// let events: Vec<_> = MIGRATIONS
    ///     .history(&conn)?
    ///     .into_iter()
    ///     .map(|e| (e.event, e.version))
    ///     .collect();
    /// assert_eq!(
    ///     events,
    ///     [
    ///         (HistoryEvent::Applied, Some(1)),
    ///         (HistoryEvent::Applied, Some(2)),
    ///         (HistoryEvent::RolledBack, Some(2)),
    ///     ]
    /// );
    /// # Ok::<(), migrate_runtime::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`Migrations::status`], and [`Error::TrackingTable`] for an event this library does
    /// not know.
    pub fn history(&self, conn: &Connection) -> Result<Vec<HistoryEntry>, Error> {
        let rows = read_snapshot(conn, read_history)?;
        Ok(rows
            .into_iter()
            .map(|row| HistoryEntry {
                id: row.id,
                event: row.event,
                version: row.version,
                name: row.name,
                checksum: row.checksum,
                at: row.at,
                duration_ms: row.execution_time_ms,
                detail: row.detail,
            })
            .collect())
    }
}
