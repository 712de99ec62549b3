//! Applying migrations: the [`Runner`] and its options, the fast path, and the dispatch of
//! each pending migration to the applier of its kind.
//!
//! Layers, each importing only the ones below it:
//! - this module: options, the up-to-date check, the locks, planning, dispatch by kind;
//! - `transactional` and `no_transaction`: one applier per kind, which never call each other;
//! - `steps`: what both kinds need (statements, the code step, the foreign-key check,
//!   recording an applied migration);
//! - `plan`: the applied history a run works from.
//!
//! Invariants: the up-to-date check reads one row and writes nothing; anything else happens
//! under the migrator lock with foreign keys off (restored on drop), and the applied history
//! is re-read and validated under `BEGIN IMMEDIATE` before anything is applied.

mod foreign_key_scope;
pub(crate) mod no_transaction;
mod options;
pub(crate) mod plan;
mod report;
pub(crate) mod steps;
mod transactional;

use std::collections::BTreeMap;
use std::fmt;
use std::time::{Duration, Instant};

use rusqlite::Connection;

pub use self::foreign_key_scope::ForeignKeyCheck;
use self::foreign_key_scope::ForeignKeyScope;
pub use self::options::RunnerOptions;
use self::plan::Plan;
pub use self::report::{AppliedMigration, Event, Report};
pub use self::steps::CodeStep;
use self::steps::{Context, ForeignKeys};
use crate::backup::{self, BackupTarget};
use crate::db::{
    Execute, ForeignKeysOff, MigratorLock, Statements, Transaction, WriteWatch, classify,
    foreign_keys_on,
};
use crate::error::{Error, MigrationRef};
use crate::migrations::{Migration, Migrations};
use crate::tracking::history::record_failure;
use crate::tracking::state::{set_state, state_matches, user_version};

/// The progress callback of [`Runner::on_event`].
type Observer<'m> = dyn FnMut(Event<'_>) + 'm;

/// How [`Runner::run`] decides that there is nothing to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum UpToDateCheck {
    /// One read of the state row, whose history checksum covers every applied migration's
    /// checksum and which hand edits of `schema_migrations` invalidate. The default.
    #[default]
    History,
    /// Only compare `PRAGMA user_version` with the latest version: for applications that
    /// trust their files. Falls back to [`UpToDateCheck::History`] when the `user_version`
    /// mirror is turned off.
    VersionOnly,
}

/// Options for applying migrations, from [`Migrations::runner`].
///
/// ```
/// use migrate_runtime::{rusqlite::Connection, Migrations};
///
/// static MIGRATIONS: Migrations = migrate_runtime::embed_migrations!("tests/doc_migrations");
///
/// let mut conn = Connection::open_in_memory()?;
/// let report = MIGRATIONS.runner().target(1).run(&mut conn)?;
/// assert_eq!(report.applied.len(), 1);
/// let report = MIGRATIONS.runner().single_transaction(true).run(&mut conn)?;
/// assert_eq!(report.applied[0].version, 2);
/// # Ok::<(), migrate_runtime::Error>(())
/// ```
pub struct Runner<'m> {
    migrations: &'m Migrations,
    /// Every option a fleet can share too: one place for their state.
    options: RunnerOptions,
    lock_timeout: Option<Duration>,
    code: BTreeMap<i64, Box<CodeStep>>,
    observer: Option<Box<Observer<'m>>>,
}

impl fmt::Debug for Runner<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runner")
            .field("options", &self.options)
            .field("lock_timeout", &self.lock_timeout)
            .field("code", &self.code.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl Migrations {
    /// Applies every pending migration, in version order, each in its own transaction.
    ///
    /// Shorthand for `self.runner().run(conn)`; see [`Runner::run`].
    ///
    /// # Errors
    /// See [`Runner::run`].
    pub fn run(&self, conn: &mut Connection) -> Result<Report, Error> {
        self.runner().run(conn)
    }

    /// A runner with options; [`Runner::run`] applies.
    pub fn runner(&self) -> Runner<'_> {
        Runner {
            migrations: self,
            options: RunnerOptions::new(),
            lock_timeout: None,
            code: BTreeMap::new(),
            observer: None,
        }
    }
}

impl<'m> Runner<'m> {
    /// Applies pending migrations up to and including `version` only.
    pub fn target(mut self, version: i64) -> Self {
        self.options.target = Some(version);
        self
    }

    /// Runs the pending migrations inside one transaction that is always rolled back, and
    /// reports each one's result and time. The database file is unchanged afterwards.
    pub fn dry_run(mut self, dry_run: bool) -> Self {
        self.options.dry_run = dry_run;
        self
    }

    /// Applies all pending migrations in one transaction instead of one each: all or nothing.
    /// A batch with a no-transaction migration is refused.
    pub fn single_transaction(mut self, single: bool) -> Self {
        self.options.single_transaction = single;
        self
    }

    /// Writes a consistent copy of the database with SQLite's online backup API before
    /// applying anything (only when something is pending).
    pub fn backup(mut self, target: BackupTarget) -> Self {
        self.options.backup = Some(target);
        self
    }

    /// Chooses the up-to-date check; see [`UpToDateCheck`].
    pub fn up_to_date_check(mut self, check: UpToDateCheck) -> Self {
        self.options.check = check;
        self
    }

    /// Whether `PRAGMA user_version` mirrors the highest applied version (default `true`).
    /// Turn it off for applications that use `user_version` themselves.
    pub fn mirror_user_version(mut self, mirror: bool) -> Self {
        self.options.user_version = mirror;
        self
    }

    /// Applies even when applied migrations' checksums differ from this build's.
    pub fn allow_drift(mut self, allow: bool) -> Self {
        self.options.allow_drift = allow;
        self
    }

    /// Applies even when the database records versions this build does not know.
    pub fn allow_unknown_applied(mut self, allow: bool) -> Self {
        self.options.allow_unknown = allow;
        self
    }

    /// Applies missing versions below the highest applied one (out of order) instead of
    /// refusing.
    pub fn allow_holes(mut self, allow: bool) -> Self {
        self.options.allow_holes = allow;
        self
    }

    /// Retries the failed statement of an incomplete no-transaction migration even though it
    /// is unchanged, for failures that were not the statement's fault (a full disk since
    /// freed, a lock). By default such a migration is refused until the statement changes.
    pub fn retry_failed(mut self, retry: bool) -> Self {
        self.options.retry_failed = retry;
        self
    }

    /// How foreign keys are checked before each migration commits, when the connection has
    /// them on (default [`ForeignKeyCheck::Affected`]: the tables the migration wrote and
    /// those referencing them).
    pub fn foreign_key_check(mut self, check: ForeignKeyCheck) -> Self {
        self.options.foreign_key_check = check;
        self
    }

    /// Gives up with [`Error::Locked`] when another migrator (another process, or another
    /// thread with its own connection) still holds the migrator lock after `timeout`. By
    /// default a run waits for it as long as it works: a follower never fails while the leader
    /// makes progress. Servers that must answer in bounded time set a timeout.
    ///
    /// ```
    /// use std::time::Duration;
    /// use migrate_runtime::{rusqlite::Connection, Migrations};
    ///
    /// static MIGRATIONS: Migrations = migrate_runtime::embed_migrations!("tests/doc_migrations");
    ///
    /// let mut conn = Connection::open_in_memory()?;
    /// MIGRATIONS.runner().lock_timeout(Duration::from_secs(5)).run(&mut conn)?;
    /// # Ok::<(), migrate_runtime::Error>(())
    /// ```
    pub fn lock_timeout(mut self, timeout: Duration) -> Self {
        self.lock_timeout = Some(timeout);
        self
    }

    /// Attaches Rust code to a migration: it runs inside that migration's transaction, after
    /// its SQL, for data changes SQL cannot express. An error rolls the migration back.
    ///
    /// ```
    /// use migrate_runtime::{rusqlite::Connection, Migrations};
    ///
    /// static MIGRATIONS: Migrations = migrate_runtime::embed_migrations!("tests/doc_migrations");
    ///
    /// let mut conn = Connection::open_in_memory()?;
    /// MIGRATIONS
    ///     .runner()
    ///     .code(2, |conn| {
    ///         conn.execute("UPDATE notes SET created_at = '2026-01-01'", [])?;
    ///         Ok(())
    ///     })
    ///     .run(&mut conn)?;
    /// # Ok::<(), migrate_runtime::Error>(())
    /// ```
    pub fn code<F>(mut self, version: i64, step: F) -> Self
    where
        F: Fn(&Connection) -> Result<(), Box<dyn std::error::Error + Send + Sync>>
            + Send
            + Sync
            + 'static,
    {
        self.code.insert(version, Box::new(step));
        self
    }

    /// Calls `observer` as migrations start and finish, for progress output.
    pub fn on_event(mut self, observer: impl FnMut(Event<'_>) + 'm) -> Self {
        self.observer = Some(Box::new(observer));
        self
    }

    /// Applies the pending migrations.
    ///
    /// When the database is up to date this is one read and writes nothing. Otherwise it takes
    /// the migrator lock, then SQLite's write lock, reads the applied history again, validates
    /// it, and applies each pending migration in its own `BEGIN IMMEDIATE` transaction
    /// together with its tracking row and `user_version`.
    ///
    /// # Errors
    /// - [`Error::Drift`], [`Error::UnknownApplied`], [`Error::Holes`]: the applied history does
    ///   not match this build; nothing was applied.
    /// - [`Error::Statement`], [`Error::ForeignKeys`], [`Error::Code`], [`Error::Record`]: a
    ///   migration failed and was rolled back; earlier ones stay applied
    ///   ([`Error::applied_before_failure`]).
    /// - [`Error::Incomplete`], [`Error::IncompleteEdited`]: a no-transaction migration stopped
    ///   earlier and cannot be resumed as it is.
    /// - [`Error::Locked`], [`Error::ReadOnly`], [`Error::NotADatabase`],
    ///   [`Error::TrackingTable`], [`Error::Sqlite`]: the database cannot be migrated
    ///   ([`Error::Locked`] also when another migrator outlasts [`Runner::lock_timeout`]).
    /// - [`Error::InvalidVersion`]: a target outside `0..=latest`, up to date or not.
    pub fn run(mut self, conn: &mut Connection) -> Result<Report, Error> {
        let latest = self.migrations.latest_version();
        if let Some(target) = self.options.target.filter(|t| !(0..=latest).contains(t)) {
            return Err(Error::InvalidVersion {
                requested: target,
                reason: format!("the latest migration is {latest}"),
            });
        }
        match self.is_up_to_date(conn) {
            Ok(true) => {
                log::debug!(
                    "database is up to date at version {}",
                    self.migrations.latest_version()
                );
                return Ok(self.empty_report());
            }
            // A migrator in the middle of a long migration can hold SQLite's lock past the busy
            // timeout (exclusively, once its page cache spills): queue on the migrator lock
            // instead of failing while it makes progress; the check under the lock decides.
            Ok(false) | Err(Error::Locked { .. }) => {}
            Err(e) => return Err(e),
        }
        let _lock = MigratorLock::acquire_within(conn, self.lock_timeout)?;
        // Another process may have finished the work while this one waited for the lock.
        if self.is_up_to_date(conn)? {
            return Ok(self.empty_report());
        }
        let foreign_keys = foreign_keys_on(conn)?;
        // Removed when dropped, after the run.
        let installed;
        let (conn, watch): (&Connection, Option<&WriteWatch<'_>>) =
            if foreign_keys && self.options.foreign_key_check == ForeignKeyCheck::Affected {
                installed = WriteWatch::install(conn)?;
                (&installed, Some(&installed))
            } else {
                (conn, None)
            };
        let scope = watch.map(ForeignKeyScope::new);
        // Turned back on when dropped, after the run, whatever its outcome.
        let _foreign_keys_off = ForeignKeysOff::new(conn, foreign_keys)?;
        let checking = match (&scope, foreign_keys) {
            (_, false) => ForeignKeys::Off,
            (Some(scope), true) => ForeignKeys::Affected(scope),
            (None, true) => ForeignKeys::Full,
        };
        self.run_locked(conn, checking)
    }

    /// The report of a run that has applied nothing (yet).
    fn empty_report(&self) -> Report {
        Report {
            dry_run: self.options.dry_run,
            ..Report::default()
        }
    }

    /// The fast path: true when there is certainly nothing to do.
    pub(crate) fn is_up_to_date(&self, conn: &Connection) -> Result<bool, Error> {
        let latest = self.migrations.latest_version();
        if self.options.target.is_some_and(|target| target < latest) {
            return Ok(false);
        }
        let since = Instant::now();
        if self.options.check == UpToDateCheck::VersionOnly && self.options.user_version {
            let version = user_version(conn).map_err(|e| classify(conn, e, None, since))?;
            return Ok(version == latest);
        }
        state_matches(conn, latest, &self.migrations.history_checksum())
            .map_err(|e| classify(conn, e, None, since))
    }

    fn run_locked(
        &mut self,
        conn: &Connection,
        foreign_keys: ForeignKeys<'_>,
    ) -> Result<Report, Error> {
        let mut report = self.empty_report();
        // Declared before the transaction: its statements are finalized after it ends.
        let statements = Statements::new(conn);
        let mut tx = Transaction::immediate(conn, None)?;
        let mut plan = self.plan(conn)?;
        if plan.pending.is_empty() {
            // Here although nothing is pending: the state row was missing, stale or cleared by
            // a hand edit that validation has now found harmless. Record the verified state so
            // the next start takes the fast path again.
            if !self.options.dry_run && plan.clean {
                let history = plan.history.map(|h| h.to_string());
                let healed = set_state(conn, plan.applied.highest(), history.as_deref())
                    .and_then(|()| tx.commit());
                if let Err(e) = healed {
                    log::warn!("could not record the verified state: {e}");
                }
            }
            return Ok(report);
        }
        if self.options.dry_run {
            // Everything runs in the planning transaction, which is never committed.
            self.dry_run_pending(conn, &plan, foreign_keys, &statements, &mut report)?;
            return Ok(report);
        }
        if let Some(target) = self.options.backup.clone() {
            // The backup reads committed data only: release the write lock while it is taken,
            // then plan again (the migrator lock keeps other migrators out meanwhile).
            drop(tx);
            let written = backup::write_before(conn, &target, plan.applied.highest())?;
            self.emit(Event::BackedUp(&written));
            report.backup = Some(written);
            tx = Transaction::immediate(conn, None)?;
            plan = self.plan(conn)?;
        }
        if self.options.single_transaction {
            if let Some(m) = plan.pending.iter().find(|m| m.no_transaction()) {
                return Err(Error::NeedsOwnTransaction {
                    migration: MigrationRef::of(m),
                });
            }
            self.apply_batch(conn, tx, &mut plan, foreign_keys, &statements, &mut report)?;
        } else {
            self.apply_each(conn, tx, &mut plan, foreign_keys, &statements, &mut report)?;
        }
        Ok(report)
    }

    fn plan(&self, conn: &Connection) -> Result<Plan<'m>, Error> {
        Plan::read(
            conn,
            self.migrations,
            self.options.target,
            self.options.tolerance(),
        )
    }

    fn context<'r>(
        &'r self,
        conn: &'r Connection,
        foreign_keys: ForeignKeys<'r>,
        statements: &'r dyn Execute,
    ) -> Context<'r> {
        Context {
            conn,
            statements,
            code: &self.code,
            foreign_keys,
            user_version: self.options.user_version,
            retry_failed: self.options.retry_failed,
        }
    }

    /// Applies each pending migration in its own transaction, by the applier of its kind.
    /// `tx` is the planning transaction: the first migration runs in it.
    fn apply_each(
        &mut self,
        conn: &Connection,
        tx: Transaction<'_>,
        plan: &mut Plan<'m>,
        foreign_keys: ForeignKeys<'_>,
        statements: &dyn Execute,
        report: &mut Report,
    ) -> Result<(), Error> {
        let pending = std::mem::take(&mut plan.pending);
        let mut planning = Some(tx);
        // What this call applied so far, for the errors: grown, not rebuilt per migration.
        let mut applied: Vec<i64> = Vec::with_capacity(pending.len());
        for migration in &pending {
            let id = MigrationRef::of(migration);
            let tx = match planning.take() {
                Some(tx) => tx,
                None => {
                    // The write lock was released since the plan was read. Without the
                    // migrator lock (no lock file) another process may have applied
                    // migrations meanwhile.
                    let tx = Transaction::immediate(conn, Some(&id))?;
                    if plan.applied_meanwhile(conn, migration)? {
                        continue;
                    }
                    tx
                }
            };
            let duration = if migration.no_transaction() {
                // It runs its statements outside any transaction: end this one first.
                let started = Instant::now();
                tx.commit()
                    .map_err(|e| classify(conn, e, Some(&id), started))?;
                self.emit(Event::Started(*migration));
                no_transaction::apply(
                    &self.context(conn, foreign_keys, statements),
                    plan,
                    migration,
                    &applied,
                )?
            } else {
                self.emit(Event::Started(*migration));
                transactional::apply(
                    &self.context(conn, foreign_keys, statements),
                    tx,
                    plan,
                    migration,
                    &applied,
                )
                .inspect_err(|error| record_failed_attempt(conn, migration, error))?
            };
            self.finished(migration, duration, report);
            applied.push(migration.version());
        }
        Ok(())
    }

    /// Applies every pending migration in `tx`, committed once after the last: all or
    /// nothing. None of them is a no-transaction migration.
    fn apply_batch(
        &mut self,
        conn: &Connection,
        tx: Transaction<'_>,
        plan: &mut Plan<'m>,
        foreign_keys: ForeignKeys<'_>,
        statements: &dyn Execute,
        report: &mut Report,
    ) -> Result<(), Error> {
        let pending = std::mem::take(&mut plan.pending);
        // Until the batch commits nothing is applied: errors name no applied version.
        let mut uncommitted = Vec::with_capacity(pending.len());
        for migration in &pending {
            self.emit(Event::Started(*migration));
            let outcome = transactional::execute_and_record(
                &self.context(conn, foreign_keys, statements),
                plan,
                migration,
                &[],
            );
            match outcome {
                Ok(duration) => uncommitted.push((*migration, duration)),
                Err(error) => {
                    drop(tx);
                    record_failed_attempt(conn, migration, &error);
                    return Err(error);
                }
            }
        }
        if let Some((last, _)) = uncommitted.last() {
            transactional::commit(&self.context(conn, foreign_keys, statements), tx, last, &[])
                .inspect_err(|error| record_failed_attempt(conn, last, error))?;
        }
        for (migration, duration) in uncommitted {
            self.finished(&migration, duration, report);
        }
        Ok(())
    }

    /// Runs the pending migrations in the open (planning) transaction, up to the first that
    /// cannot run in one; the caller rolls everything back.
    fn dry_run_pending(
        &mut self,
        conn: &Connection,
        plan: &Plan<'m>,
        foreign_keys: ForeignKeys<'_>,
        statements: &dyn Execute,
        report: &mut Report,
    ) -> Result<(), Error> {
        let mut applied: Vec<i64> = Vec::with_capacity(plan.pending.len());
        for (i, migration) in plan.pending.iter().enumerate() {
            if migration.no_transaction() {
                self.emit(Event::NotVerifiable(*migration));
                report.not_verified = plan.pending[i..].iter().map(MigrationRef::of).collect();
                return Ok(());
            }
            self.emit(Event::Started(*migration));
            let duration = self
                .context(conn, foreign_keys, statements)
                .execute(migration, &applied)?;
            self.finished(migration, duration, report);
            applied.push(migration.version());
        }
        Ok(())
    }

    fn emit(&mut self, event: Event<'_>) {
        if let Some(observer) = &mut self.observer {
            observer(event);
        }
    }

    fn finished(&mut self, migration: &Migration<'_>, duration: Duration, report: &mut Report) {
        if self.options.dry_run {
            log::info!("dry run: {migration} ran in {duration:.1?} (rolled back)");
        } else {
            log::info!("applied {migration} in {duration:.1?}");
        }
        self.emit(Event::Finished(*migration, duration));
        report.applied.push(AppliedMigration {
            version: migration.version(),
            name: migration.name().to_owned(),
            file: migration.file_name().to_owned(),
            duration,
        });
    }
}

/// Records a failed attempt in the history, after the rollback. Waiting too long for a lock
/// is not a failure of the migration.
fn record_failed_attempt(conn: &Connection, migration: &Migration<'_>, error: &Error) {
    if !matches!(error, Error::Locked { .. }) {
        record_failure(
            conn,
            migration.version(),
            migration.name(),
            &error.to_string(),
        );
    }
}
