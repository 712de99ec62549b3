//! `rollback_to`: running down files, newest first.
//!
//! Invariant: every migration in the range is checked (a down file, an unchanged checksum)
//! before anything runs; then each down file commits in one transaction with the deletion of
//! its row, its `rolled_back` event, the state row and `user_version`.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use migrate_rules::Checksum;
use rusqlite::Connection;

use crate::backup::{self, BackupTarget};
use crate::clock;
use crate::compare::compare;
use crate::db::{
    ForeignKeysOff, MigratorLock, ScriptTransaction, Transaction, classified, foreign_keys_on,
};
use crate::error::{Drift, Error, MigrationRef};
use crate::migrations::{Migration, Migrations};
use crate::run::AppliedMigration;
use crate::run::steps::{check_foreign_keys, execute_script, run_statement, statement_failure};
use crate::tracking::history::{insert_event, record_failure};
use crate::tracking::migrations::{delete_row, read_applied};
use crate::tracking::state::{set_state, set_user_version, user_version};
use crate::tracking::{AppliedHistory, EventRow, HistoryEvent, to_millis};

/// What [`Migrations::rollback_to`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RollbackReport {
    /// The migrations rolled back, newest first; `file` is the down file.
    pub rolled_back: Vec<AppliedMigration>,
    /// The highest applied version afterwards.
    pub current_version: i64,
    /// The backup written before anything was rolled back, when
    /// [`RollbackOptions::backup`] asked for one and anything was to be rolled back.
    pub backup: Option<PathBuf>,
}

/// Options of [`Migrations::rollback_to_with`].
///
/// ```
/// use std::time::Duration;
/// use migrate_runtime::{BackupTarget, RollbackOptions};
///
/// let options = RollbackOptions::new()
///     .backup(BackupTarget::Beside)
///     .lock_timeout(Duration::from_secs(5));
/// # let _ = options;
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RollbackOptions {
    backup: Option<BackupTarget>,
    lock_timeout: Option<Duration>,
}

impl RollbackOptions {
    /// No backup, and no limit on waiting for another migrator: what
    /// [`Migrations::rollback_to`] does.
    pub fn new() -> Self {
        Self::default()
    }

    /// Writes a consistent copy of the database with SQLite's online backup API once every
    /// check has passed and before the first down file runs (only when anything is to be
    /// rolled back). [`RollbackReport::backup`] names the file.
    pub fn backup(mut self, target: BackupTarget) -> Self {
        self.backup = Some(target);
        self
    }

    /// Gives up with [`Error::Locked`] when another migrator still holds the migrator lock
    /// after `timeout`, as [`Runner::lock_timeout`](crate::Runner::lock_timeout) does.
    pub fn lock_timeout(mut self, timeout: Duration) -> Self {
        self.lock_timeout = Some(timeout);
        self
    }
}

impl Migrations {
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
    /// assert_eq!(MIGRATIONS.current_version(&conn)?, 1);
    /// // Migration 1 has no down file: nothing happens.
    /// assert!(MIGRATIONS.rollback_to(&mut conn, 0).is_err());
    /// assert_eq!(MIGRATIONS.current_version(&conn)?, 1);
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
        self.rollback_to_with(conn, version, &RollbackOptions::new())
    }

    /// [`Migrations::rollback_to`] with options: a backup before the first down file, a limit
    /// on waiting for another migrator.
    ///
    /// ```
    /// use migrate_runtime::{rusqlite::Connection, BackupTarget, Migrations, RollbackOptions};
    ///
    /// static MIGRATIONS: Migrations = migrate_runtime::embed_migrations!("tests/doc_migrations");
    ///
    /// let dir = tempfile::tempdir().unwrap();
    /// let mut conn = Connection::open(dir.path().join("app.db"))?;
    /// MIGRATIONS.run(&mut conn)?;
    /// let options = RollbackOptions::new().backup(BackupTarget::Beside);
    /// let report = MIGRATIONS.rollback_to_with(&mut conn, 1, &options)?;
    /// assert!(report.backup.unwrap().is_file());
    /// assert_eq!(report.current_version, 1);
    /// # Ok::<(), migrate_runtime::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`Migrations::rollback_to`]; [`Error::Backup`] when the backup cannot be written
    /// (nothing was rolled back); [`Error::Locked`] when another migrator outlasts the lock
    /// timeout.
    pub fn rollback_to_with(
        &self,
        conn: &mut Connection,
        version: i64,
        options: &RollbackOptions,
    ) -> Result<RollbackReport, Error> {
        if version < 0 {
            return Err(Error::InvalidVersion {
                requested: version,
                reason: "versions start at 0 (roll back everything)".to_owned(),
            });
        }
        let _lock = MigratorLock::acquire_within(conn, options.lock_timeout)?;
        // Turned back on when dropped, whatever the outcome.
        let foreign_keys = foreign_keys_on(conn)?;
        let _foreign_keys_off = ForeignKeysOff::new(conn, foreign_keys)?;
        self.rollback_locked(conn, version, foreign_keys, options)
    }

    fn rollback_locked(
        &self,
        conn: &Connection,
        target: i64,
        foreign_keys: bool,
        options: &RollbackOptions,
    ) -> Result<RollbackReport, Error> {
        let mut tx = Transaction::immediate(conn, None)?;
        let mut remaining = classified(conn, read_applied)?;
        let mut versions = self.check_rollback(&remaining, target)?;
        let mut backup_file = None;
        if let Some(backup) = options.backup.as_ref().filter(|_| !versions.is_empty()) {
            // The backup reads committed data only: release the write lock while it is taken,
            // then check again (the migrator lock keeps other migrators out meanwhile).
            drop(tx);
            backup_file = Some(backup::write_before(conn, backup, remaining.highest())?);
            tx = Transaction::immediate(conn, None)?;
            remaining = classified(conn, read_applied)?;
            versions = self.check_rollback(&remaining, target)?;
        }
        let mirror = user_version(conn)? == remaining.highest();
        let mut report = RollbackReport {
            rolled_back: Vec::new(),
            current_version: remaining.highest(),
            backup: backup_file,
        };
        // The checks' transaction is still open: the first down file runs in it.
        let mut tx = Some(tx);
        // What this call rolled back so far, for the errors: grown, not rebuilt per step.
        let mut done: Vec<i64> = Vec::with_capacity(versions.len());
        for version in versions.into_iter().rev() {
            let Some(migration) = self.get(version) else {
                continue; // checked above: every version in range is known
            };
            remaining.remove(version);
            let step = RollbackStep {
                conn,
                migration: &migration,
                remaining: &remaining,
                mirror,
                foreign_keys,
                done: &done,
            };
            match step.run(tx.take()) {
                Ok(duration) => {
                    log::info!("rolled back {migration} in {duration:.1?}");
                    report.current_version = remaining.highest();
                    report.rolled_back.push(AppliedMigration {
                        version,
                        name: migration.name().to_owned(),
                        file: migration.down_file_name().unwrap_or_default(),
                        duration,
                    });
                    done.push(version);
                }
                Err(error) => {
                    record_failure(
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

    /// The applied versions above `target`, once every one of them has a down file and an
    /// unchanged checksum.
    fn check_rollback(&self, applied: &AppliedHistory, target: i64) -> Result<Vec<i64>, Error> {
        let missing: Vec<MigrationRef> = applied
            .above(target)
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
        let drift: Vec<Drift> = compare(self, applied)
            .drift
            .into_iter()
            .filter(|d| d.migration.version > target)
            .collect();
        if !drift.is_empty() {
            return Err(Error::Drift(drift));
        }
        Ok(applied.above(target).map(|row| row.version).collect())
    }
}

/// One down file, in its own transaction (or statement by statement for a no-transaction
/// down file, then recorded in a transaction).
struct RollbackStep<'a, 'm> {
    conn: &'a Connection,
    migration: &'a Migration<'m>,
    /// The applied migrations once this one is rolled back.
    remaining: &'a AppliedHistory,
    /// Whether `user_version` mirrors the highest applied version.
    mirror: bool,
    foreign_keys: bool,
    /// Versions rolled back before this one.
    done: &'a [i64],
}

impl<'a> RollbackStep<'a, '_> {
    /// Runs the down file in `tx` (the checks' transaction, for the first one) or in a
    /// transaction of its own.
    fn run(&self, tx: Option<Transaction<'a>>) -> Result<Duration, Error> {
        let (conn, migration) = (self.conn, self.migration);
        let Some(down) = migration.down() else {
            return Err(Error::MissingDown(vec![MigrationRef::of(migration)]));
        };
        let id = MigrationRef {
            version: migration.version(),
            file: migration.down_file_name().unwrap_or_default(),
        };
        let started = Instant::now();
        let tx = if down.no_transaction {
            if let Some(tx) = tx {
                tx.commit()?;
            }
            let script = ScriptTransaction::watch(conn);
            for statement in down.statements() {
                run_statement(conn, statement.text).map_err(|e| {
                    rename(
                        statement_failure(conn, migration, &statement, &e, self.done),
                        &id,
                    )
                })?;
            }
            script.commit()?;
            Transaction::immediate(conn, Some(&id))?
        } else {
            let tx = match tx {
                Some(tx) => tx,
                None => Transaction::immediate(conn, Some(&id))?,
            };
            execute_script(conn, migration, down, self.done).map_err(|e| rename(e, &id))?;
            if self.foreign_keys {
                check_foreign_keys(conn, migration, self.done).map_err(|e| rename(e, &id))?;
            }
            tx
        };
        let duration = started.elapsed();
        self.record(duration)
            .and_then(|()| tx.commit())
            .map_err(|source| Error::Record {
                migration: id.clone(),
                source,
                applied: self.done.to_vec(),
            })?;
        Ok(duration)
    }

    /// Deletes the row and writes the `rolled_back` event, the state and `user_version`.
    fn record(&self, duration: Duration) -> rusqlite::Result<()> {
        let (conn, migration) = (self.conn, self.migration);
        let highest = self.remaining.highest();
        let history = Checksum::history(self.remaining.values().filter_map(|r| r.checksum.valid()))
            .map(|h| h.to_string());
        delete_row(conn, migration.version())?;
        let down_file = migration.down_file_name();
        insert_event(
            conn,
            &EventRow {
                event: HistoryEvent::RolledBack,
                version: Some(migration.version()),
                name: Some(migration.name()),
                checksum: Some(&migration.checksum().to_string()),
                execution_time_ms: Some(to_millis(duration)),
                detail: down_file.map(|f| format!("ran {f}")).as_deref(),
            },
            &clock::now_utc(),
        )?;
        set_state(conn, highest, history.as_deref())?;
        if self.mirror {
            set_user_version(conn, highest)?;
        }
        Ok(())
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
