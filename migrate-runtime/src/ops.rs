//! The operator's tools: status, version, history, rollback, baseline, repair and restore.
//!
//! Reads ([`Migrations::status`], [`Migrations::version`], [`Migrations::history`]) never
//! create or change anything. Writes ([`Migrations::rollback_to`], [`Migrations::baseline`],
//! [`Migrations::repair`], [`restore_backup`]) hold the migrator lock for their whole duration
//! and keep the tracking tables, the state row and `PRAGMA user_version` consistent in the
//! same transactions as their changes.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use migrate_rules::Checksum;
use rusqlite::{Connection, OpenFlags};

use crate::error::{Drift, MigrationRef};
use crate::lock::{self, MigratorLock, begin_immediate, rollback};
use crate::runner::{ForeignKeysOff, check_foreign_keys, execute_script, run_statement};
use crate::tracking::{self, AppliedRecord, AppliedRow, EventKind, Progress};
use crate::{AppliedMigration, Error, Migration, Migrations, clock};

/// Where one migration stands in a database; see [`Migrations::status`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "cli", derive(serde::Serialize))]
#[cfg_attr(feature = "cli", serde(rename_all = "snake_case"))]
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
#[cfg_attr(feature = "cli", derive(serde::Serialize))]
#[non_exhaustive]
pub struct MigrationStatus {
    /// The version.
    pub version: i64,
    /// The description part of the file name (for an unknown version, the recorded name).
    pub name: String,
    /// The up file's name; `None` for a version this build does not know.
    pub file: Option<String>,
    /// Where it stands.
    pub state: MigrationState,
    /// When it was applied (UTC, ISO 8601 with milliseconds), for applied, drifted and unknown.
    pub applied_at: Option<String>,
    /// How long it took to apply, in milliseconds, for applied, drifted and unknown.
    pub duration_ms: Option<i64>,
    /// The checksum of this build's file; `None` for an unknown version.
    pub checksum: Option<String>,
    /// The checksum recorded when it was applied, when it was.
    pub applied_checksum: Option<String>,
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
#[cfg_attr(feature = "cli", derive(serde::Serialize))]
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
#[cfg_attr(feature = "cli", derive(serde::Serialize))]
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

/// What a history event records; see [`HistoryEntry`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "cli", derive(serde::Serialize))]
#[cfg_attr(feature = "cli", serde(rename_all = "snake_case"))]
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
    /// The event as stored and written in JSON: `applied`, `failed`, `rolled_back`,
    /// `baselined` or `repaired`.
    pub fn as_str(self) -> &'static str {
        self.kind().as_str()
    }

    fn kind(self) -> EventKind {
        match self {
            HistoryEvent::Applied => EventKind::Applied,
            HistoryEvent::Failed => EventKind::Failed,
            HistoryEvent::RolledBack => EventKind::RolledBack,
            HistoryEvent::Baselined => EventKind::Baselined,
            HistoryEvent::Repaired => EventKind::Repaired,
        }
    }

    fn parse(text: &str) -> Option<Self> {
        [
            HistoryEvent::Applied,
            HistoryEvent::Failed,
            HistoryEvent::RolledBack,
            HistoryEvent::Baselined,
            HistoryEvent::Repaired,
        ]
        .into_iter()
        .find(|e| e.as_str() == text)
    }
}

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

/// What [`Migrations::rollback_to`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RollbackReport {
    /// The migrations rolled back, newest first; `file` is the down file.
    pub rolled_back: Vec<AppliedMigration>,
    /// The highest applied version afterwards.
    pub version: i64,
}

/// What [`Migrations::repair`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RepairReport {
    /// Applied migrations whose recorded checksum was replaced by this build's.
    pub accepted: Vec<Drift>,
    /// Incomplete no-transaction migrations whose already-run statements had changed,
    /// recorded as applied (they must have been finished by hand).
    pub recorded: Vec<MigrationRef>,
}

impl RepairReport {
    /// True when there was nothing to repair.
    pub fn is_empty(&self) -> bool {
        self.accepted.is_empty() && self.recorded.is_empty()
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
        let (applied, progress) = read_snapshot(conn, |conn| {
            Ok((
                tracking::read_applied(conn)?,
                tracking::read_progress(conn)?,
            ))
        })?;
        Ok(self.status_of(&applied, &progress))
    }

    fn status_of(
        &self,
        applied: &BTreeMap<i64, AppliedRow>,
        progress: &BTreeMap<i64, Progress>,
    ) -> Status {
        let comparison = crate::status::compare(self, applied);
        let mut counts = StatusCounts::default();
        let mut migrations = Vec::with_capacity(self.len() + comparison.unknown.len());
        for m in self.iter() {
            let row = applied.get(&m.version());
            let checksum = m.checksum().to_string();
            let mut detail = None;
            let mut error = None;
            let state = match row {
                Some(row) if row.checksum == checksum => MigrationState::Applied,
                Some(_) => MigrationState::Drifted,
                None => match progress.get(&m.version()) {
                    Some(p) => {
                        detail = Some(incomplete_detail(&m, p));
                        error = p.failure.as_ref().map(|(_, _, message)| message.clone());
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
                duration_ms: row.map(|r| r.execution_time_ms),
                checksum: Some(checksum),
                applied_checksum: row.map(|r| r.checksum.clone()),
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
                duration_ms: Some(row.execution_time_ms),
                checksum: None,
                applied_checksum: Some(row.checksum.clone()),
                has_down: false,
                detail: None,
                error: None,
            });
        }
        Status {
            current_version: applied.keys().next_back().copied().unwrap_or(0),
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
    /// assert_eq!(MIGRATIONS.version(&conn)?, 0);
    /// MIGRATIONS.run(&mut conn)?;
    /// assert_eq!(MIGRATIONS.version(&conn)?, 2);
    /// # Ok::<(), migrate_runtime::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`Migrations::status`].
    pub fn version(&self, conn: &Connection) -> Result<i64, Error> {
        read_snapshot(conn, |conn| {
            Ok(tracking::read_applied(conn)?
                .keys()
                .next_back()
                .copied()
                .unwrap_or(0))
        })
    }

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
        let rows = read_snapshot(conn, tracking::read_history)?;
        rows.into_iter()
            .map(|row| {
                let event =
                    HistoryEvent::parse(&row.event).ok_or_else(|| Error::TrackingTable {
                        table: "schema_migrations_history".to_owned(),
                        problem: format!("unknown event `{}` in row {}", row.event, row.id),
                    })?;
                Ok(HistoryEntry {
                    id: row.id,
                    event,
                    version: row.version,
                    name: row.name,
                    checksum: row.checksum,
                    at: row.at,
                    duration_ms: row.execution_time_ms,
                    detail: row.detail,
                })
            })
            .collect()
    }

    /// Rolls back every applied migration above `version`, newest first, by running its
    /// `.down.sql` file. Each runs in its own `BEGIN IMMEDIATE` transaction that also deletes
    /// its tracking row, writes a `rolled_back` history event, and updates the state row and
    /// `PRAGMA user_version` (when it mirrors the applied version). Foreign keys are handled
    /// as when applying.
    ///
    /// Before doing anything it checks that every migration in the range has a down file and
    /// an unchanged checksum; otherwise nothing is rolled back.
    ///
    /// ```
    /// use migrate_runtime::{rusqlite::Connection, Migrations};
    ///
    /// static MIGRATIONS: Migrations = migrate_runtime::embed_migrations!("tests/doc_migrations");
    ///
    /// let mut conn = Connection::open_in_memory()?;
    /// MIGRATIONS.run(&mut conn)?;
    /// let report = MIGRATIONS.rollback_to(&mut conn, 1)?;
    /// assert_eq!(report.rolled_back[0].file, "0002_add_created_at.down.sql");
    /// assert_eq!(MIGRATIONS.version(&conn)?, 1);
    /// // Migration 1 has no down file: nothing happens.
    /// assert!(MIGRATIONS.rollback_to(&mut conn, 0).is_err());
    /// assert_eq!(MIGRATIONS.version(&conn)?, 1);
    /// # Ok::<(), migrate_runtime::Error>(())
    /// ```
    ///
    /// # Errors
    /// - [`Error::InvalidVersion`] for a negative version.
    /// - [`Error::MissingDown`] naming every migration in the range without a down file
    ///   (including applied versions this build does not know); nothing was rolled back.
    /// - [`Error::Drift`] when a migration in the range has changed since it was applied (its
    ///   down file may not match what was applied; `repair` first); nothing was rolled back.
    /// - [`Error::Statement`], [`Error::ForeignKeys`], [`Error::Record`]: a down file failed;
    ///   that migration stays applied, the ones before it stay rolled back
    ///   ([`Error::applied_before_failure`] lists them), and a `failed` event is recorded.
    /// - [`Error::Locked`], [`Error::ReadOnly`], [`Error::NotADatabase`],
    ///   [`Error::TrackingTable`], [`Error::Sqlite`].
    pub fn rollback_to(
        &self,
        conn: &mut Connection,
        version: i64,
    ) -> Result<RollbackReport, Error> {
        if version < 0 {
            return Err(Error::InvalidVersion {
                requested: version,
                reason: "versions start at 0 (roll back everything)".to_owned(),
            });
        }
        let _lock = MigratorLock::acquire(conn)?;
        let foreign_keys = ForeignKeysOff::new(conn)?;
        let result = self.rollback_locked(conn, version, foreign_keys.was_on);
        foreign_keys.restore(conn);
        result
    }

    fn rollback_locked(
        &self,
        conn: &Connection,
        target: i64,
        foreign_keys: bool,
    ) -> Result<RollbackReport, Error> {
        begin_immediate(conn, None)?;
        let plan = (|| {
            let applied = read_classified(conn, tracking::read_applied)?;
            let in_range: Vec<&AppliedRow> = applied.range(target + 1..).map(|(_, r)| r).collect();
            let missing: Vec<MigrationRef> = in_range
                .iter()
                .filter_map(|row| match self.get(row.version) {
                    Some(m) if m.has_down() => None,
                    Some(m) => Some(MigrationRef::of(&m)),
                    None => Some(MigrationRef {
                        version: row.version,
                        file: row.name.clone(),
                    }),
                })
                .collect();
            if !missing.is_empty() {
                return Err(Error::MissingDown(missing));
            }
            let drift: Vec<Drift> = crate::status::compare(self, &applied)
                .drift
                .into_iter()
                .filter(|d| d.migration.version > target)
                .collect();
            if !drift.is_empty() {
                return Err(Error::Drift(drift));
            }
            let mirror = user_version(conn)? == applied.keys().next_back().copied().unwrap_or(0);
            let remaining: BTreeMap<i64, Option<Checksum>> = applied
                .iter()
                .map(|(v, row)| (*v, row.checksum.parse::<Checksum>().ok()))
                .collect();
            Ok((
                in_range.iter().map(|r| r.version).collect::<Vec<_>>(),
                remaining,
                mirror,
            ))
        })();
        let (versions, mut remaining, mirror) = plan.inspect_err(|_| rollback(conn))?;
        let mut report = RollbackReport {
            rolled_back: Vec::new(),
            version: remaining.keys().next_back().copied().unwrap_or(0),
        };
        if versions.is_empty() {
            rollback(conn);
            return Ok(report);
        }
        for &version in versions.iter().rev() {
            let Some(migration) = self.get(version) else {
                continue; // checked above: every version in range is known
            };
            let done: Vec<i64> = report.rolled_back.iter().map(|r| r.version).collect();
            remaining.remove(&version);
            let step = RollbackStep {
                migration: &migration,
                remaining: &remaining,
                mirror,
                foreign_keys,
                done: &done,
            };
            match step.run(conn) {
                Ok(duration) => {
                    log::info!("rolled back {migration} in {duration:.1?}");
                    report.version = remaining.keys().next_back().copied().unwrap_or(0);
                    report.rolled_back.push(AppliedMigration {
                        version,
                        name: migration.name().to_owned(),
                        file: migration.down_file_name().unwrap_or_default(),
                        duration,
                    });
                }
                Err(error) => {
                    rollback(conn);
                    tracking::record_failure(
                        conn,
                        version,
                        migration.name(),
                        &format!("rollback: {error}"),
                    );
                    return Err(error);
                }
            }
        }
        Ok(report)
    }

    /// Adopts a database built before this library was used: records versions `1..=version`
    /// as applied, with this build's checksums, without running them. Writes one `baselined`
    /// history event, the state row, and `PRAGMA user_version` when it is 0.
    ///
    /// ```
    /// use migrate_runtime::{rusqlite::Connection, Migrations};
    ///
    /// static MIGRATIONS: Migrations = migrate_runtime::embed_migrations!("tests/doc_migrations");
    ///
    /// let mut conn = Connection::open_in_memory()?;
    /// conn.execute_batch("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL);")?;
    /// MIGRATIONS.baseline(&mut conn, 1)?;
    /// let report = MIGRATIONS.run(&mut conn)?;
    /// assert_eq!(report.applied[0].version, 2);
    /// // Once migrations are recorded, baseline refuses.
    /// assert!(MIGRATIONS.baseline(&mut conn, 2).is_err());
    /// # Ok::<(), migrate_runtime::Error>(())
    /// ```
    ///
    /// # Errors
    /// - [`Error::InvalidVersion`] unless `1 <= version <= latest`.
    /// - [`Error::AlreadyTracked`] when the database already records applied migrations.
    /// - [`Error::Locked`], [`Error::ReadOnly`], [`Error::NotADatabase`],
    ///   [`Error::TrackingTable`], [`Error::Sqlite`].
    pub fn baseline(&self, conn: &mut Connection, version: i64) -> Result<(), Error> {
        let latest = self.latest_version();
        if !(1..=latest).contains(&version) {
            return Err(Error::InvalidVersion {
                requested: version,
                reason: format!("a baseline records versions 1 to {latest} of this build"),
            });
        }
        let _lock = MigratorLock::acquire(conn)?;
        begin_immediate(conn, None)?;
        let result = (|| {
            read_classified(conn, tracking::ensure_tables)?;
            let applied = tracking::read_applied(conn)?;
            if let Some(current) = applied.keys().next_back() {
                return Err(Error::AlreadyTracked { current: *current });
            }
            let now = clock::now_utc();
            let mut history = None;
            for m in self.iter().take_while(|m| m.version() <= version) {
                let checksum = m.checksum();
                history = Some(Checksum::chain(history.as_ref(), &checksum));
                let history_text = history.as_ref().map(ToString::to_string);
                tracking::insert_row(
                    conn,
                    &AppliedRecord {
                        version: m.version(),
                        name: m.name(),
                        checksum: &checksum.to_string(),
                        execution_time_ms: 0,
                        history_checksum: history_text.as_deref().unwrap_or_default(),
                    },
                    &now,
                )?;
            }
            let detail =
                format!("recorded versions 1 to {version} as applied without running them");
            let last = self.get(version).map(|m| m.name());
            tracking::insert_event(
                conn,
                &tracking::Event {
                    kind: EventKind::Baselined,
                    version: Some(version),
                    name: last,
                    checksum: None,
                    execution_time_ms: None,
                    detail: Some(&detail),
                },
                &now,
            )?;
            let history_text = history.map(|h| h.to_string());
            tracking::set_state(conn, version, history_text.as_deref())?;
            if user_version(conn)? == 0 {
                conn.pragma_update(None, "user_version", version)?;
            }
            conn.execute_batch("COMMIT")?;
            log::info!("baselined the database at version {version}");
            Ok(())
        })();
        if result.is_err() {
            rollback(conn);
        }
        result
    }

    /// Accepts this build's checksums for applied migrations whose files have changed, after
    /// an intentional edit; each acceptance is a `repaired` history event naming both
    /// checksums. Also records as applied an incomplete `-- migrate:no-transaction` migration
    /// whose already-run statements have changed since (the case where [`Error::IncompleteEdited`]
    /// says to finish it by hand): the operator is saying it is done. The state row is
    /// rewritten and verified. Everything happens in one transaction.
    ///
    /// ```
    /// use migrate_runtime::{rusqlite::Connection, Migrations};
    ///
    /// let v1 = Migrations::from_files([("1_notes.sql", "CREATE TABLE notes (body TEXT);")])?;
    /// let v2 = Migrations::from_files([("1_notes.sql", "CREATE TABLE notes (body TEXT); -- edited")])?;
    ///
    /// let mut conn = Connection::open_in_memory()?;
    /// v1.run(&mut conn)?;
    /// assert!(v2.run(&mut conn).is_err()); // drift
    /// let report = v2.repair(&mut conn)?;
    /// assert_eq!(report.accepted[0].migration.version, 1);
    /// assert!(v2.run(&mut conn)?.is_empty());
    /// # Ok::<(), migrate_runtime::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::Locked`], [`Error::ReadOnly`], [`Error::NotADatabase`],
    /// [`Error::TrackingTable`], [`Error::Sqlite`]; nothing was changed.
    pub fn repair(&self, conn: &mut Connection) -> Result<RepairReport, Error> {
        let _lock = MigratorLock::acquire(conn)?;
        begin_immediate(conn, None)?;
        let result = self.repair_locked(conn);
        match &result {
            Ok(_) => {
                if let Err(e) = conn.execute_batch("COMMIT") {
                    rollback(conn);
                    return Err(Error::Sqlite(e));
                }
            }
            Err(_) => rollback(conn),
        }
        result
    }

    fn repair_locked(&self, conn: &Connection) -> Result<RepairReport, Error> {
        let mut report = RepairReport::default();
        if !read_classified(conn, |c| {
            tracking::table_exists(c, tracking::MIGRATIONS_TABLE)
        })? {
            return Ok(report);
        }
        let mut applied = tracking::read_applied(conn)?;
        let progress = tracking::read_progress(conn)?;
        let now = clock::now_utc();
        report.accepted = crate::status::compare(self, &applied).drift;
        for drift in &report.accepted {
            if let Some(row) = applied.get_mut(&drift.migration.version) {
                row.checksum = drift.embedded.to_string();
            }
            let detail = format!(
                "accepted the checksum of {} (was {})",
                drift.migration.file, drift.applied
            );
            tracking::insert_event(
                conn,
                &tracking::Event {
                    kind: EventKind::Repaired,
                    version: Some(drift.migration.version),
                    name: self.get(drift.migration.version).map(|m| m.name()),
                    checksum: Some(&drift.embedded.to_string()),
                    execution_time_ms: None,
                    detail: Some(&detail),
                },
                &now,
            )?;
        }
        for p in progress.values() {
            let Some(m) = self.get(p.version) else {
                continue;
            };
            if applied.contains_key(&m.version()) || !statements_changed(&m, p) {
                continue;
            }
            let checksum = m.checksum().to_string();
            tracking::insert_row(
                conn,
                &AppliedRecord {
                    version: m.version(),
                    name: m.name(),
                    checksum: &checksum,
                    execution_time_ms: 0,
                    history_checksum: "",
                },
                &now,
            )?;
            tracking::clear_progress(conn, m.version())?;
            let detail =
                "recorded an incomplete no-transaction migration as applied (finished by hand)";
            tracking::insert_event(
                conn,
                &tracking::Event {
                    kind: EventKind::Repaired,
                    version: Some(m.version()),
                    name: Some(m.name()),
                    checksum: Some(&checksum),
                    execution_time_ms: None,
                    detail: Some(detail),
                },
                &now,
            )?;
            applied.insert(
                m.version(),
                AppliedRow {
                    version: m.version(),
                    name: m.name().to_owned(),
                    checksum,
                    applied_at: now.clone(),
                    execution_time_ms: 0,
                },
            );
            report.recorded.push(MigrationRef::of(&m));
        }
        // Every row's history checksum covers the rows before it: rewrite them all.
        let mut history = None;
        for row in applied.values() {
            if let Ok(checksum) = row.checksum.parse::<Checksum>() {
                history = Some(Checksum::chain(history.as_ref(), &checksum));
            }
            let history_text = history
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default();
            tracking::update_checksums(conn, row.version, &row.checksum, &history_text)?;
        }
        let highest = applied.keys().next_back().copied().unwrap_or(0);
        let history_text = history.map(|h| h.to_string());
        tracking::set_state(conn, highest, history_text.as_deref())?;
        if !report.recorded.is_empty() && user_version(conn)? < highest {
            conn.pragma_update(None, "user_version", highest)?;
        }
        for d in &report.accepted {
            log::info!("repair: accepted the checksum of {}", d.migration);
        }
        for m in &report.recorded {
            log::info!("repair: recorded {m} as applied");
        }
        Ok(report)
    }
}

/// One down file, in its own transaction (or statement by statement for a no-transaction
/// down file, then recorded in a transaction).
struct RollbackStep<'a, 'm> {
    migration: &'a Migration<'m>,
    remaining: &'a BTreeMap<i64, Option<Checksum>>,
    mirror: bool,
    foreign_keys: bool,
    done: &'a [i64],
}

impl RollbackStep<'_, '_> {
    fn run(&self, conn: &Connection) -> Result<Duration, Error> {
        let migration = self.migration;
        let Some(down) = migration.down() else {
            return Err(Error::MissingDown(vec![MigrationRef::of(migration)]));
        };
        let id = MigrationRef {
            version: migration.version(),
            file: migration.down_file_name().unwrap_or_default(),
        };
        let started = Instant::now();
        if down.no_transaction {
            if !conn.is_autocommit() {
                conn.execute_batch("COMMIT")?;
            }
            for statement in down.statements() {
                run_statement(conn, statement.text).map_err(|e| {
                    rename(
                        crate::runner::statement_failure(migration, &statement, &e, self.done),
                        &id,
                    )
                })?;
            }
            if !conn.is_autocommit() {
                conn.execute_batch("COMMIT")?;
            }
            begin_immediate(conn, Some(&id))?;
        } else {
            if conn.is_autocommit() {
                begin_immediate(conn, Some(&id))?;
            }
            execute_script(conn, migration, down, self.done).map_err(|e| rename(e, &id))?;
            if self.foreign_keys {
                check_foreign_keys(conn, migration, self.done).map_err(|e| rename(e, &id))?;
            }
        }
        let duration = started.elapsed();
        self.record(conn, duration)
            .map_err(|source| Error::Record {
                migration: id.clone(),
                source,
                applied: self.done.to_vec(),
            })?;
        Ok(duration)
    }

    fn record(&self, conn: &Connection, duration: Duration) -> rusqlite::Result<()> {
        let migration = self.migration;
        let highest = self.remaining.keys().next_back().copied().unwrap_or(0);
        let history = Checksum::history(self.remaining.values().flatten()).map(|h| h.to_string());
        tracking::delete_row(conn, migration.version())?;
        let down_file = migration.down_file_name();
        tracking::insert_event(
            conn,
            &tracking::Event {
                kind: EventKind::RolledBack,
                version: Some(migration.version()),
                name: Some(migration.name()),
                checksum: Some(&migration.checksum().to_string()),
                execution_time_ms: Some(i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)),
                detail: down_file.map(|f| format!("ran {f}")).as_deref(),
            },
            &clock::now_utc(),
        )?;
        tracking::set_state(conn, highest, history.as_deref())?;
        if self.mirror {
            conn.pragma_update(None, "user_version", highest)?;
        }
        conn.execute_batch("COMMIT")
    }
}

/// Names the down file instead of the up file in an error about a down script.
fn rename(mut error: Error, id: &MigrationRef) -> Error {
    match &mut error {
        Error::Statement(failure) => failure.migration = id.clone(),
        Error::ForeignKeys { migration, .. } | Error::Record { migration, .. } => {
            *migration = id.clone();
        }
        _ => {}
    }
    error
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
        Some((statement, _, message)) => {
            format!("{done} of {total} statements ran; statement {statement} failed: {message}")
        }
        None => format!("{done} of {total} statements ran; interrupted"),
    }
}

/// True when statements of an incomplete migration that already ran differ from this build's.
fn statements_changed(migration: &Migration<'_>, progress: &Progress) -> bool {
    let script = migration.up();
    progress
        .statement_checksums
        .iter()
        .enumerate()
        .any(|(i, done)| {
            i >= script.statement_count()
                || Checksum::digest(script.statement(i).text.as_bytes()).to_string() != *done
        })
}

fn user_version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("PRAGMA user_version", [], |row| row.get(0))
}

/// Runs `read` with SQLite's busy, read-only and not-a-database errors classified.
fn read_classified<T>(
    conn: &Connection,
    read: impl FnOnce(&Connection) -> Result<T, Error>,
) -> Result<T, Error> {
    let since = Instant::now();
    read(conn).map_err(|e| match e {
        Error::Sqlite(e) => lock::classify(conn, e, None, since),
        other => other,
    })
}

/// Runs `read` in one read transaction (when none is open), so that it sees one snapshot.
fn read_snapshot<T>(
    conn: &Connection,
    read: impl FnOnce(&Connection) -> Result<T, Error>,
) -> Result<T, Error> {
    if !conn.is_autocommit() {
        return read_classified(conn, read);
    }
    conn.execute_batch("BEGIN DEFERRED")?;
    let result = read_classified(conn, read);
    rollback(conn);
    result
}

/// How long [`restore_backup`] waits for other connections' locks.
const RESTORE_PATIENCE: Duration = Duration::from_secs(5);

/// Replaces the database of `conn` with the contents of the backup file `backup`, with
/// SQLite's online backup API, under the migrator lock. The backup file is only read.
///
/// ```
/// use migrate_runtime::{rusqlite::Connection, BackupTarget, Migrations};
///
/// static MIGRATIONS: Migrations = migrate_runtime::embed_migrations!("tests/doc_migrations");
///
/// let dir = tempfile::tempdir().unwrap();
/// let mut conn = Connection::open(dir.path().join("app.db"))?;
/// MIGRATIONS.runner().target(1).run(&mut conn)?;
/// let backup = dir.path().join("app.db.bak");
/// MIGRATIONS.runner().backup(BackupTarget::Path(backup.clone())).run(&mut conn)?;
/// assert_eq!(MIGRATIONS.version(&conn)?, 2);
///
/// migrate_runtime::restore_backup(&mut conn, &backup)?;
/// assert_eq!(MIGRATIONS.version(&conn)?, 1);
/// # Ok::<(), migrate_runtime::Error>(())
/// ```
///
/// # Errors
/// - [`Error::Io`] when the backup file does not exist.
/// - [`Error::NotADatabase`] when it is not an SQLite database.
/// - [`Error::Backup`] when the copy fails (for example while another connection writes);
///   SQLite's backup is all or nothing for the destination.
/// - [`Error::Locked`], [`Error::ReadOnly`] for the destination.
pub fn restore_backup(conn: &mut Connection, backup: impl AsRef<Path>) -> Result<(), Error> {
    let backup = backup.as_ref();
    if !backup.is_file() {
        return Err(Error::Io {
            path: Some(backup.to_path_buf()),
            message: "no such backup file".to_owned(),
        });
    }
    let source = Connection::open_with_flags(
        backup,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|source| Error::Backup {
        path: backup.to_path_buf(),
        source,
    })?;
    let since = Instant::now();
    source
        .query_row("SELECT count(*) FROM sqlite_schema", [], |_| Ok(()))
        .map_err(|e| match lock::classify(&source, e, None, since) {
            Error::NotADatabase { .. } => Error::NotADatabase {
                path: backup.to_path_buf(),
            },
            Error::Sqlite(source) => Error::Backup {
                path: backup.to_path_buf(),
                source,
            },
            other => other,
        })?;
    let _lock = MigratorLock::acquire(conn)?;
    let mut copy = || -> rusqlite::Result<bool> {
        use rusqlite::backup::StepResult;
        let backup = rusqlite::backup::Backup::new(&source, conn)?;
        // All pages in one step: the destination changes in one write transaction.
        loop {
            match backup.step(-1)? {
                StepResult::Done => return Ok(true),
                StepResult::More => {}
                _ if since.elapsed() > RESTORE_PATIENCE => return Ok(false),
                _ => std::thread::sleep(Duration::from_millis(20)),
            }
        }
    };
    match copy() {
        Ok(true) => {}
        Ok(false) => {
            return Err(Error::Locked {
                waited: since.elapsed(),
                migration: None,
            });
        }
        Err(source) => {
            return Err(Error::Backup {
                path: backup.to_path_buf(),
                source,
            });
        }
    }
    log::info!("restored the database from `{}`", backup.display());
    Ok(())
}
