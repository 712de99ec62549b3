//! The tracking tables and every read and write of them, one file per table.
//!
//! - `schema_migrations` ([`migrations`]): one row per applied migration (the contract), plus
//!   the history checksum of versions `1..=version`.
//! - `schema_migrations_state` ([`state`]): one row, the applied version and history checksum,
//!   so that the up-to-date check is a single read whatever the number of migrations.
//!   Triggers on `schema_migrations` clear its `verified` flag on any write; this library sets
//!   it again in the same transaction as its own writes. A hand edit therefore sends the next
//!   run through the full check instead of going unnoticed.
//! - `schema_migrations_history` ([`history`]): every event in time order: applied, failed,
//!   rolled back, baselined, repaired.
//! - `schema_migrations_progress` ([`progress`]): no-transaction migrations that have started
//!   but not finished, with the checksums of the statements already run.
//!
//! Invariant: values are parsed into their types ([`Checksum`](migrate_rules::Checksum),
//! [`HistoryEvent`]) once, where they are read; callers never compare stored text.

pub(crate) mod history;
pub(crate) mod migrations;
pub(crate) mod progress;
mod schema;
pub(crate) mod state;

use std::time::Duration;

use crate::db::Execute;

pub(crate) use self::history::EventRow;
pub use self::history::HistoryEvent;
pub(crate) use self::migrations::{AppliedHistory, AppliedRecord, AppliedRow};
pub(crate) use self::progress::{FailedStatement, Progress};
pub(crate) use self::schema::{MIGRATIONS_TABLE, ensure_tables, table_exists};

/// Inserts the `schema_migrations` row, the history event and the new state (the highest
/// applied version and the history checksum of every applied migration), inside the
/// migration's own transaction.
pub(crate) fn record_applied(
    db: &(impl Execute + ?Sized),
    record: &AppliedRecord<'_>,
    state_version: i64,
    state_history: Option<&str>,
) -> rusqlite::Result<()> {
    let now = crate::clock::now_utc();
    migrations::insert_row(db, record, &now)?;
    history::insert_event(
        db,
        &EventRow {
            event: HistoryEvent::Applied,
            version: Some(record.version),
            name: Some(record.name),
            checksum: Some(record.checksum),
            execution_time_ms: Some(record.execution_time_ms),
            detail: None,
        },
        &now,
    )?;
    state::set_state(db, state_version, state_history)
}

/// A duration as the tables record it (`execution_time_ms`): whole milliseconds.
pub(crate) fn to_millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

/// A recorded `execution_time_ms` as a duration (negative only after a hand edit: zero).
pub(crate) fn from_millis(ms: i64) -> Duration {
    Duration::from_millis(u64::try_from(ms).unwrap_or(0))
}
