//! One database of a fleet: opened without creating it (unless asked), then migrated by a
//! [`Runner`](crate::Runner) or inspected, into one [`Outcome`].
//!
//! Invariant: everything a database does goes through `Runner::run` (migrator lock, per-
//! migration transactions) or reads in one snapshot; nothing here writes.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rusqlite::{Connection, OpenFlags};

use super::report::{AppliedVersion, DatabaseStatus, Outcome};
use crate::db::{migrator_lock_is_held, read_snapshot};
use crate::error::Error;
use crate::migrations::Migrations;
use crate::run::RunnerOptions;
use crate::run::no_transaction::{refused_retry, statement_checksums};
use crate::tracking::migrations::read_applied;
use crate::tracking::progress::read_progress;

/// How each database is opened and run; shared by the workers.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub options: RunnerOptions,
    pub create_missing: bool,
    pub busy_timeout: Duration,
    pub foreign_keys: bool,
}

impl Settings {
    /// Opens `path` for writing: a missing file is [`Error::NoSuchDatabase`] unless
    /// `create_missing`. A file the process may not write is opened read-only by SQLite, and
    /// the first write fails with [`Error::ReadOnly`].
    fn open(&self, path: &Path, create: bool) -> Result<Connection, Error> {
        let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        if create {
            flags |= OpenFlags::SQLITE_OPEN_CREATE;
        }
        let conn = Connection::open_with_flags(path, flags).map_err(|e| {
            if !create && !path.exists() {
                Error::NoSuchDatabase {
                    path: path.to_owned(),
                }
            } else {
                Error::Sqlite(e)
            }
        })?;
        conn.busy_timeout(self.busy_timeout)?;
        if self.foreign_keys {
            conn.pragma_update(None, "foreign_keys", true)?;
        }
        Ok(conn)
    }

    /// Applies the pending migrations to one database.
    pub(crate) fn apply(&self, migrations: &Migrations, path: PathBuf) -> Outcome {
        let started = Instant::now();
        let mut outcome = Outcome::new(path, DatabaseStatus::Skipped);
        outcome.status = match self.apply_into(migrations, &mut outcome) {
            Ok(status) => status,
            Err(error) => DatabaseStatus::Failed(error),
        };
        outcome.elapsed = started.elapsed();
        outcome
    }

    fn apply_into(
        &self,
        migrations: &Migrations,
        outcome: &mut Outcome,
    ) -> Result<DatabaseStatus, Error> {
        let mut conn = if self.options.dry_run && self.create_missing && !outcome.path.exists() {
            // A dry run never creates the file: an empty database is the same.
            Connection::open_in_memory()?
        } else {
            self.open(&outcome.path, self.create_missing)?
        };
        let runner = migrations.runner().options(&self.options);
        match runner.is_up_to_date(&conn) {
            Ok(true) => {
                let latest = migrations.latest_version();
                (outcome.from, outcome.to) = (Some(latest), Some(latest));
                return Ok(DatabaseStatus::UpToDate);
            }
            Ok(false) => outcome.from = migrations.current_version(&conn).ok(),
            // Another migrator is working on it: `run` queues on the migrator lock.
            Err(Error::Locked { .. }) if migrator_lock_is_held(&outcome.path) => {}
            // Another connection holds SQLite's lock past the busy timeout: this database
            // fails now, after one wait, not after one per statement of the run.
            Err(e) => return Err(e),
        }
        let result = runner.run(&mut conn);
        if !matches!(result, Err(Error::Locked { .. })) {
            outcome.to = migrations.current_version(&conn).ok();
        }
        match result {
            Ok(report) => {
                outcome.applied = report
                    .applied
                    .iter()
                    .map(|a| AppliedVersion {
                        version: a.version,
                        duration: a.duration,
                    })
                    .collect();
                if outcome.from.is_none() && report.applied.is_empty() {
                    outcome.from = outcome.to;
                }
                if report.dry_run {
                    // Nothing was applied: what ran and what could not run is still pending.
                    outcome.not_verified = report.not_verified.iter().map(|m| m.version).collect();
                    outcome.pending = report.applied.len() + outcome.not_verified.len();
                }
                Ok(if !report.applied.is_empty() {
                    DatabaseStatus::Applied
                } else if outcome.pending > 0 {
                    // A dry run that stopped before its first migration.
                    DatabaseStatus::Pending
                } else {
                    DatabaseStatus::UpToDate
                })
            }
            Err(error) => {
                outcome.applied = error
                    .applied_before_failure()
                    .iter()
                    .map(|&version| AppliedVersion {
                        version,
                        duration: Duration::ZERO,
                    })
                    .collect();
                Err(error)
            }
        }
    }

    /// Reads where one database stands, writing nothing and creating nothing.
    pub(crate) fn check(&self, migrations: &Migrations, path: PathBuf) -> Outcome {
        let started = Instant::now();
        let mut outcome = Outcome::new(path, DatabaseStatus::Skipped);
        outcome.status = match self.check_into(migrations, &mut outcome) {
            Ok(status) => status,
            Err(error) => DatabaseStatus::Failed(error),
        };
        outcome.elapsed = started.elapsed();
        outcome
    }

    fn check_into(
        &self,
        migrations: &Migrations,
        outcome: &mut Outcome,
    ) -> Result<DatabaseStatus, Error> {
        let latest = migrations.latest_version();
        let target = self.options.target.unwrap_or(latest);
        let conn = if self.create_missing && !outcome.path.exists() {
            // Would be created empty: every migration up to the target is pending.
            (outcome.from, outcome.to) = (Some(0), Some(target));
            outcome.pending = migrations
                .iter()
                .take_while(|m| m.version() <= target)
                .count();
            return Ok(if outcome.pending == 0 {
                DatabaseStatus::UpToDate
            } else {
                DatabaseStatus::Pending
            });
        } else {
            self.open(&outcome.path, false).or_else(|e| match e {
                // A file this process may not write can still be read.
                Error::Sqlite(_) => Connection::open_with_flags(
                    &outcome.path,
                    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )
                .map_err(Error::from)
                .and_then(|conn| {
                    conn.busy_timeout(self.busy_timeout)?;
                    Ok(conn)
                }),
                other => Err(other),
            })?
        };
        let runner = migrations.runner().options(&self.options);
        if runner.is_up_to_date(&conn)? {
            (outcome.from, outcome.to) = (Some(latest), Some(latest));
            return Ok(DatabaseStatus::UpToDate);
        }
        let (applied, progress) =
            read_snapshot(&conn, |c| Ok((read_applied(c)?, read_progress(c)?)))?;
        outcome.from = Some(applied.highest());
        self.options.tolerance().validate(migrations, &applied)?;
        let mut pending = 0;
        for migration in migrations.iter().take_while(|m| m.version() <= target) {
            if applied.contains(migration.version()) {
                continue;
            }
            pending += 1;
            // A no-transaction migration that stopped at a statement which is unchanged since
            // is refused by `run` (unless `retry_failed`): the same answer here.
            let Some(failed) = progress
                .get(&migration.version())
                .and_then(|p| p.failure.as_ref())
            else {
                continue;
            };
            let checksums = statement_checksums(&migration);
            if let Some(refused) =
                refused_retry(&migration, &checksums, failed, self.options.retry_failed)
            {
                return Err(refused);
            }
        }
        outcome.pending = pending;
        outcome.to = Some(target.max(applied.highest()));
        Ok(if pending == 0 {
            DatabaseStatus::UpToDate
        } else {
            DatabaseStatus::Pending
        })
    }
}
