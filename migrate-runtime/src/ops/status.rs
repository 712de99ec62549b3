//! `status` and `current_version`: where a database stands against this build.
//!
//! Invariant: read-only. Nothing is created or changed, so both work on a database that was
//! never migrated and on a read-only connection.

use std::collections::BTreeMap;
use std::time::Duration;

use migrate_rules::Checksum;
use rusqlite::Connection;

use crate::checksum::RecordedChecksum;
use crate::compare::compare;
use crate::db::read_snapshot;
use crate::error::Error;
use crate::migrations::{Migration, Migrations};
use crate::tracking::migrations::read_applied;
use crate::tracking::progress::read_progress;
use crate::tracking::{AppliedHistory, Progress, from_millis};

/// Where one migration stands in a database; see [`Migrations::status`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MigrationState {
    /// Applied, with the checksum of this build's file.
    Applied,
    /// Not applied yet.
    Pending,
    /// Applied, but the file has changed since (the checksums differ).
    Drifted,
    /// A `-- migrate:no-transaction` migration that started and did not finish.
    Incomplete,
    /// Recorded as applied in the database, unknown to this build (the database is ahead).
    Unknown,
}

impl MigrationState {
    /// The state as written in JSON and in the status table: `applied`, `pending`, `drifted`,
    /// `incomplete` or `unknown`.
    pub fn as_str(self) -> &'static str {
        match self {
            MigrationState::Applied => "applied",
            MigrationState::Pending => "pending",
            MigrationState::Drifted => "drifted",
            MigrationState::Incomplete => "incomplete",
            MigrationState::Unknown => "unknown",
        }
    }
}

/// One line of [`Status`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MigrationStatus {
    /// The number that orders the migration.
    pub version: i64,
    /// The description part of the file name (for an unknown version, the recorded name).
    pub name: String,
    /// The up file's name; `None` for a version this build does not know.
    pub file: Option<String>,
    /// Where it stands.
    pub state: MigrationState,
    /// When it was applied (UTC, ISO 8601 with milliseconds), for applied, drifted and unknown.
    pub applied_at: Option<String>,
    /// How long it took to apply (recorded in milliseconds), for applied, drifted and
    /// unknown.
    pub duration: Option<Duration>,
    /// The checksum of this build's file; `None` for an unknown version.
    pub checksum: Option<Checksum>,
    /// The checksum recorded when it was applied, when it was.
    pub applied_checksum: Option<RecordedChecksum>,
    /// True when this build has a down file for it.
    pub has_down: bool,
    /// For an incomplete migration: how far it got and, if it failed, why.
    pub detail: Option<String>,
    /// For an incomplete migration that stopped at a failed statement: SQLite's message. The
    /// next run refuses it until the statement is fixed.
    pub error: Option<String>,
}

/// How many migrations are in each state; every migration is counted once.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct StatusCounts {
    /// Applied with an unchanged file.
    pub applied: usize,
    /// Not applied.
    pub pending: usize,
    /// Applied with a changed file.
    pub drifted: usize,
    /// Started outside a transaction and not finished.
    pub incomplete: usize,
    /// Applied versions this build does not know.
    pub unknown: usize,
}

/// Where a database stands against this build, from [`Migrations::status`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Status {
    /// The highest applied version (0 for a database never migrated).
    pub current_version: i64,
    /// The highest version of this build.
    pub latest_version: i64,
    /// Every migration of this build in version order, then the unknown applied versions.
    pub migrations: Vec<MigrationStatus>,
    /// Pending versions below the highest applied one; `run` refuses them unless
    /// `allow_holes` is set.
    pub holes: Vec<i64>,
    /// How many migrations are in each state.
    pub counts: StatusCounts,
}

impl Status {
    /// True when every migration of this build is applied unchanged and nothing else is
    /// recorded.
    pub fn is_up_to_date(&self) -> bool {
        self.counts
            == StatusCounts {
                applied: self.migrations.len(),
                ..StatusCounts::default()
            }
    }

    /// The migrations in `state`.
    pub fn in_state(&self, state: MigrationState) -> impl Iterator<Item = &MigrationStatus> {
        self.migrations.iter().filter(move |m| m.state == state)
    }
}

impl Migrations {
    /// Where the database stands against this build: every migration's state, when it was
    /// applied and how long it took, the unknown applied versions, and counts of each.
    ///
    /// Read-only: it never creates the tracking tables, so it works on a database that was
    /// never migrated (everything is pending) and on a read-only connection.
    ///
    /// ```
    /// use migrate_runtime::{rusqlite::Connection, MigrationState, Migrations};
    ///
    /// static MIGRATIONS: Migrations = migrate_runtime::embed_migrations!("tests/doc_migrations");
    ///
    /// let mut conn = Connection::open_in_memory()?;
    /// MIGRATIONS.runner().target(1).run(&mut conn)?;
    /// let status = MIGRATIONS.status(&conn)?;
    /// assert_eq!(status.current_version, 1);
    /// assert_eq!(status.migrations[1].state, MigrationState::Pending);
    /// assert_eq!((status.counts.applied, status.counts.pending), (1, 1));
    /// # Ok::<(), migrate_runtime::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::NotADatabase`], [`Error::TrackingTable`], [`Error::Locked`] or
    /// [`Error::Sqlite`] when the tracking tables cannot be read.
    pub fn status(&self, conn: &Connection) -> Result<Status, Error> {
        let (applied, progress) =
            read_snapshot(conn, |conn| Ok((read_applied(conn)?, read_progress(conn)?)))?;
        Ok(self.status_of(&applied, &progress))
    }

    fn status_of(&self, applied: &AppliedHistory, progress: &BTreeMap<i64, Progress>) -> Status {
        let comparison = compare(self, applied);
        let mut counts = StatusCounts::default();
        let mut migrations = Vec::with_capacity(self.len() + comparison.unknown.len());
        for m in self.iter() {
            let row = applied.get(m.version());
            let checksum = m.checksum();
            let mut detail = None;
            let mut error = None;
            let state = match row {
                Some(row) if row.checksum.is(&checksum) => MigrationState::Applied,
                Some(_) => MigrationState::Drifted,
                None => match progress.get(&m.version()) {
                    Some(p) => {
                        detail = Some(incomplete_detail(&m, p));
                        error = p.failure.as_ref().map(|f| f.message.clone());
                        MigrationState::Incomplete
                    }
                    None => MigrationState::Pending,
                },
            };
            count(&mut counts, state);
            migrations.push(MigrationStatus {
                version: m.version(),
                name: m.name().to_owned(),
                file: Some(m.file_name().to_owned()),
                state,
                applied_at: row.map(|r| r.applied_at.clone()),
                duration: row.map(|r| from_millis(r.execution_time_ms)),
                applied_checksum: row.map(|r| r.checksum.clone()),
                checksum: Some(checksum),
                has_down: m.has_down(),
                detail,
                error,
            });
        }
        for row in applied.values().filter(|r| self.get(r.version).is_none()) {
            count(&mut counts, MigrationState::Unknown);
            migrations.push(MigrationStatus {
                version: row.version,
                name: row.name.clone(),
                file: None,
                state: MigrationState::Unknown,
                applied_at: Some(row.applied_at.clone()),
                duration: Some(from_millis(row.execution_time_ms)),
                checksum: None,
                applied_checksum: Some(row.checksum.clone()),
                has_down: false,
                detail: None,
                error: None,
            });
        }
        Status {
            current_version: applied.highest(),
            latest_version: self.latest_version(),
            migrations,
            holes: comparison.holes.iter().map(|h| h.version).collect(),
            counts,
        }
    }

    /// The highest applied version, 0 for a database never migrated. Read-only.
    ///
    /// ```
    /// use migrate_runtime::{rusqlite::Connection, Migrations};
    ///
    /// static MIGRATIONS: Migrations = migrate_runtime::embed_migrations!("tests/doc_migrations");
    ///
    /// let mut conn = Connection::open_in_memory()?;
    /// assert_eq!(MIGRATIONS.current_version(&conn)?, 0);
    /// MIGRATIONS.run(&mut conn)?;
    /// assert_eq!(MIGRATIONS.current_version(&conn)?, 2);
    /// # Ok::<(), migrate_runtime::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`Migrations::status`].
    pub fn current_version(&self, conn: &Connection) -> Result<i64, Error> {
        read_snapshot(conn, |conn| Ok(read_applied(conn)?.highest()))
    }
}

fn count(counts: &mut StatusCounts, state: MigrationState) {
    match state {
        MigrationState::Applied => counts.applied += 1,
        MigrationState::Pending => counts.pending += 1,
        MigrationState::Drifted => counts.drifted += 1,
        MigrationState::Incomplete => counts.incomplete += 1,
        MigrationState::Unknown => counts.unknown += 1,
    }
}

fn incomplete_detail(migration: &Migration<'_>, progress: &Progress) -> String {
    let done = progress.statement_checksums.len();
    let total = migration.statement_count();
    match &progress.failure {
        Some(failure) => format!(
            "{done} of {total} statements ran; statement {} failed: {}",
            failure.statement, failure.message
        ),
        None => format!("{done} of {total} statements ran; interrupted"),
    }
}
