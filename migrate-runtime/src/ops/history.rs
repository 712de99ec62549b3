//! `history`: every recorded event, oldest first. Read-only.

use std::time::Duration;

use rusqlite::Connection;

use crate::checksum::RecordedChecksum;

use crate::db::read_snapshot;
use crate::error::Error;
use crate::migrations::Migrations;
use crate::tracking::history::read_history;
use crate::tracking::{HistoryEvent, from_millis};

/// One event of [`Migrations::history`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct HistoryEntry {
    /// The row id in `schema_migrations_history`, increasing with time.
    pub id: i64,
    /// What happened.
    pub event: HistoryEvent,
    /// The version of the migration concerned; `None` for events about no single migration.
    pub version: Option<i64>,
    /// The description part of that migration's file name.
    pub name: Option<String>,
    /// The checksum applied (or accepted, for a repair).
    pub checksum: Option<RecordedChecksum>,
    /// When it happened (UTC, ISO 8601 with milliseconds).
    pub at: String,
    /// How long it took (recorded in milliseconds), for applied and rolled back migrations.
    pub duration: Option<Duration>,
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
                checksum: row.checksum.map(RecordedChecksum::parse),
                at: row.at,
                duration: row.execution_time_ms.map(from_millis),
                detail: row.detail,
            })
            .collect())
    }
}
