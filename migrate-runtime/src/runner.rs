//! Applying migrations: the runner and its options.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use migrate_rules::Checksum;
use migrate_rules::packed::{ScriptView, StatementView};
use migrate_rules::split::{TransactionConflict, transaction_conflict};
use rusqlite::Connection;

use crate::error::{ForeignKeyViolation, MigrationRef, StatementFailure};
use crate::lock::{self, MigratorLock, begin_immediate, rollback};
use crate::tracking::{self, AppliedRecord, Progress};
use crate::{Error, Migration, Migrations, backup};

/// A Rust step attached to a migration; see [`Runner::code`].
pub type CodeStep =
    dyn Fn(&Connection) -> Result<(), Box<dyn std::error::Error + Send + Sync>> + Send + Sync;

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

/// Where [`Runner::backup`] writes its copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BackupTarget {
    /// `<db>.before-v<current version>-<UTC timestamp>` beside the database.
    Beside,
    /// This file.
    Path(PathBuf),
}

/// What happens while a runner works, for progress output.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum Event<'a> {
    /// A migration is about to run.
    Started(Migration<'a>),
    /// A migration was applied (or, in a dry run, ran and will be rolled back).
    Finished(Migration<'a>, Duration),
    /// A dry run cannot verify this migration because it runs outside a transaction; the
    /// dry run stops here.
    NotVerifiable(Migration<'a>),
}

/// One migration applied by a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedMigration {
    /// The version.
    pub version: i64,
    /// The description part of the file name.
    pub name: String,
    /// The file name.
    pub file: String,
    /// How long its statements (and code step) took.
    pub duration: Duration,
}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// The migrations applied, in order. In a dry run: the ones that ran and were rolled back.
    pub applied: Vec<AppliedMigration>,
    /// True for a dry run: nothing was kept.
    pub dry_run: bool,
    /// The backup written before applying, if one was asked for and anything was pending.
    pub backup: Option<PathBuf>,
    /// In a dry run, migrations that could not be verified (no-transaction ones and those
    /// after them).
    pub not_verified: Vec<MigrationRef>,
}

impl Report {
    /// True when nothing was applied.
    pub fn is_empty(&self) -> bool {
        self.applied.is_empty()
    }
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
    target: Option<i64>,
    dry_run: bool,
    single_transaction: bool,
    backup: Option<BackupTarget>,
    check: UpToDateCheck,
    user_version: bool,
    allow_drift: bool,
    allow_unknown: bool,
    allow_holes: bool,
    retry_failed: bool,
    code: BTreeMap<i64, Box<CodeStep>>,
    observer: Option<Box<Observer<'m>>>,
}

impl fmt::Debug for Runner<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runner")
            .field("target", &self.target)
            .field("dry_run", &self.dry_run)
            .field("single_transaction", &self.single_transaction)
            .field("backup", &self.backup)
            .field("check", &self.check)
            .field("user_version", &self.user_version)
            .field("allow_drift", &self.allow_drift)
            .field("allow_unknown", &self.allow_unknown)
            .field("allow_holes", &self.allow_holes)
            .field("retry_failed", &self.retry_failed)
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
            target: None,
            dry_run: false,
            single_transaction: false,
            backup: None,
            check: UpToDateCheck::History,
            user_version: true,
            allow_drift: false,
            allow_unknown: false,
            allow_holes: false,
            retry_failed: false,
            code: BTreeMap::new(),
            observer: None,
        }
    }
}

impl<'m> Runner<'m> {
    /// Applies pending migrations up to and including `version` only.
    pub fn target(mut self, version: i64) -> Self {
        self.target = Some(version);
        self
    }

    /// Runs the pending migrations inside one transaction that is always rolled back, and
    /// reports each one's result and time. The database file is unchanged afterwards.
    pub fn dry_run(mut self, dry_run: bool) -> Self {
        self.dry_run = dry_run;
        self
    }

    /// Applies all pending migrations in one transaction instead of one each: all or nothing.
    /// A batch with a no-transaction migration is refused.
    pub fn single_transaction(mut self, single: bool) -> Self {
        self.single_transaction = single;
        self
    }

    /// Writes a consistent copy of the database with SQLite's online backup API before
    /// applying anything (only when something is pending).
    pub fn backup(mut self, target: BackupTarget) -> Self {
        self.backup = Some(target);
        self
    }

    /// Chooses the up-to-date check; see [`UpToDateCheck`].
    pub fn up_to_date_check(mut self, check: UpToDateCheck) -> Self {
        self.check = check;
        self
    }

    /// Whether `PRAGMA user_version` mirrors the highest applied version (default `true`).
    /// Turn it off for applications that use `user_version` themselves.
    pub fn set_user_version(mut self, mirror: bool) -> Self {
        self.user_version = mirror;
        self
    }

    /// Applies even when applied migrations' checksums differ from this build's.
    pub fn allow_drift(mut self, allow: bool) -> Self {
        self.allow_drift = allow;
        self
    }

    /// Applies even when the database records versions this build does not know.
    pub fn allow_unknown_applied(mut self, allow: bool) -> Self {
        self.allow_unknown = allow;
        self
    }

    /// Applies missing versions below the highest applied one (out of order) instead of
    /// refusing.
    pub fn allow_holes(mut self, allow: bool) -> Self {
        self.allow_holes = allow;
        self
    }

    /// Retries the failed statement of an incomplete no-transaction migration even though it
    /// is unchanged, for failures that were not the statement's fault (a full disk since
    /// freed, a lock). By default such a migration is refused until the statement changes.
    pub fn retry_failed(mut self, retry: bool) -> Self {
        self.retry_failed = retry;
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
    ///   [`Error::TrackingTable`], [`Error::Sqlite`]: the database cannot be migrated.
    /// - [`Error::InvalidVersion`]: a target outside `0..=latest`, up to date or not.
    pub fn run(mut self, conn: &mut Connection) -> Result<Report, Error> {
        let latest = self.migrations.latest_version();
        if let Some(target) = self.target.filter(|t| !(0..=latest).contains(t)) {
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
                return Ok(Report {
                    dry_run: self.dry_run,
                    ..Report::default()
                });
            }
            // A migrator in the middle of a long migration can hold SQLite's lock past the busy
            // timeout (exclusively, once its page cache spills): queue on the migrator lock
            // instead of failing while it makes progress; the check under the lock decides.
            Ok(false) | Err(Error::Locked { .. }) => {}
            Err(e) => return Err(e),
        }
        let _lock = MigratorLock::acquire(conn)?;
        // Another process may have finished the work while this one waited for the lock.
        if self.is_up_to_date(conn)? {
            return Ok(Report {
                dry_run: self.dry_run,
                ..Report::default()
            });
        }
        let foreign_keys = ForeignKeysOff::new(conn)?;
        let result = self.run_locked(conn, foreign_keys.was_on);
        foreign_keys.restore(conn);
        result
    }

    /// The fast path: true when there is certainly nothing to do.
    fn is_up_to_date(&self, conn: &Connection) -> Result<bool, Error> {
        let latest = self.migrations.latest_version();
        if self.target.is_some_and(|target| target < latest) {
            return Ok(false);
        }
        let since = Instant::now();
        if self.check == UpToDateCheck::VersionOnly && self.user_version {
            let version: i64 = conn
                .query_row("PRAGMA user_version", [], |row| row.get(0))
                .map_err(|e| lock::classify(conn, e, None, since))?;
            return Ok(version == latest);
        }
        let expected = self.migrations.history_checksum();
        let up_to_date = tracking::state_matches(conn, latest, &expected);
        match up_to_date {
            Ok(up_to_date) => Ok(up_to_date),
            // No tracking tables yet: a new database.
            Err(rusqlite::Error::SqliteFailure(e, Some(message)))
                if e.code == rusqlite::ErrorCode::Unknown
                    && message.starts_with("no such table") =>
            {
                Ok(false)
            }
            Err(e) => Err(lock::classify(conn, e, None, since)),
        }
    }

    fn run_locked(&mut self, conn: &Connection, foreign_keys: bool) -> Result<Report, Error> {
        let mut report = Report {
            dry_run: self.dry_run,
            ..Report::default()
        };
        begin_immediate(conn, None)?;
        let mut plan = self.plan(conn).inspect_err(|_| rollback(conn))?;
        if plan.pending.is_empty() {
            // Here although nothing is pending: the state row was missing, stale or cleared by
            // a hand edit that validation has now found harmless. Record the verified state so
            // the next start takes the fast path again.
            if !self.dry_run && plan.clean {
                let history = Checksum::history(plan.applied.values()).map(|h| h.to_string());
                let healed = tracking::set_state(conn, plan.current_version, history.as_deref())
                    .and_then(|()| conn.execute_batch("COMMIT"));
                if let Err(e) = healed {
                    log::warn!("could not record the verified state: {e}");
                }
            }
            rollback(conn);
            return Ok(report);
        }
        if self.dry_run {
            let result = self.dry_run_pending(conn, &plan, foreign_keys, &mut report);
            rollback(conn);
            return result.map(|()| report);
        }
        if let Some(target) = self.backup.clone() {
            // The backup reads committed data only: release the write lock while it is taken,
            // then plan again (the migrator lock keeps other migrators out meanwhile).
            rollback(conn);
            report.backup = Some(backup::write_before(conn, &target, plan.current_version)?);
            begin_immediate(conn, None)?;
            plan = self.plan(conn).inspect_err(|_| rollback(conn))?;
        }
        if self.single_transaction
            && let Some(m) = plan.pending.iter().find(|m| m.no_transaction())
        {
            rollback(conn);
            return Err(Error::NeedsOwnTransaction {
                migration: MigrationRef::of(m),
            });
        }
        let result = self.apply_pending(conn, &mut plan, foreign_keys, &mut report);
        rollback(conn);
        result.map(|()| report)
    }

    /// Creates the tracking tables if needed (inside the open transaction), reads the applied
    /// history and validates it against this build.
    fn plan(&self, conn: &Connection) -> Result<Plan<'m>, Error> {
        let since = Instant::now();
        tracking::ensure_tables(conn).map_err(|e| match e {
            Error::Sqlite(e) => lock::classify(conn, e, None, since),
            other => other,
        })?;
        let applied = tracking::read_applied(conn)?;
        let progress = tracking::read_progress(conn)?;
        let latest = self.migrations.latest_version();
        let target = self.target.unwrap_or(latest);
        if !(0..=latest).contains(&target) {
            return Err(Error::InvalidVersion {
                requested: target,
                reason: format!("the latest migration is {latest}"),
            });
        }
        let clean = validate(self.migrations, &applied, self)?;
        let pending = self
            .migrations
            .iter()
            .take_while(|m| m.version() <= target)
            .filter(|m| !applied.contains_key(&m.version()))
            .collect();
        let applied: BTreeMap<i64, Checksum> = applied
            .into_iter()
            .filter_map(|(version, row)| Some((version, row.checksum.parse::<Checksum>().ok()?)))
            .collect();
        Ok(Plan {
            pending,
            current_version: applied.keys().next_back().copied().unwrap_or(0),
            history: Checksum::history(applied.values()),
            applied,
            progress,
            clean,
        })
    }

    fn apply_pending(
        &mut self,
        conn: &Connection,
        plan: &mut Plan<'m>,
        foreign_keys: bool,
        report: &mut Report,
    ) -> Result<(), Error> {
        // The planning transaction is still open: the first migration runs in it.
        let pending = std::mem::take(&mut plan.pending);
        // In a single-transaction batch, migrations are applied when the batch commits.
        let mut uncommitted = Vec::new();
        for (i, migration) in pending.iter().enumerate() {
            let id = MigrationRef::of(migration);
            let applied: Vec<i64> = report.applied.iter().map(|a| a.version).collect();
            if conn.is_autocommit() {
                // The write lock was released since the plan was read. Without the migrator
                // lock (no lock file) another process may have applied migrations meanwhile.
                begin_immediate(conn, Some(&id))?;
                if self.applied_meanwhile(conn, plan, migration)? {
                    rollback(conn);
                    continue;
                }
            }
            if migration.no_transaction() {
                if !conn.is_autocommit() {
                    let since = Instant::now();
                    conn.execute_batch("COMMIT")
                        .map_err(|e| lock::classify(conn, e, Some(&id), since))?;
                }
                self.emit(Event::Started(*migration));
                let duration =
                    self.apply_no_transaction(conn, plan, migration, foreign_keys, &applied)?;
                self.finished(migration, duration, report);
                continue;
            }
            self.emit(Event::Started(*migration));
            let outcome = self
                .execute_migration(conn, migration, foreign_keys, &applied)
                .and_then(|duration| {
                    self.record(conn, plan, migration, duration)
                        .map_err(|source| Error::Record {
                            migration: id.clone(),
                            source,
                            applied: applied.clone(),
                        })
                        .map(|()| duration)
                });
            let last = i + 1 == pending.len();
            let outcome = outcome.and_then(|duration| {
                if self.single_transaction && !last {
                    return Ok(duration);
                }
                let since = Instant::now();
                conn.execute_batch("COMMIT")
                    .map(|()| duration)
                    .map_err(|source| {
                        if is_busy(&source) {
                            // Readers kept SQLite from committing (rollback-journal mode).
                            lock::classify(conn, source, Some(&id), since)
                        } else {
                            Error::Record {
                                migration: id.clone(),
                                source,
                                applied: applied.clone(),
                            }
                        }
                    })
            });
            match outcome {
                Ok(duration) if self.single_transaction && !last => {
                    uncommitted.push((*migration, duration));
                }
                Ok(duration) => {
                    for (m, d) in std::mem::take(&mut uncommitted) {
                        self.finished(&m, d, report);
                    }
                    self.finished(migration, duration, report);
                }
                Err(mut error) => {
                    rollback(conn);
                    if self.single_transaction {
                        // Nothing of the batch was kept.
                        clear_applied(&mut error);
                    }
                    // Waiting too long for a lock is not a failure of the migration.
                    if !matches!(error, Error::Locked { .. }) {
                        tracking::record_failure(
                            conn,
                            migration.version(),
                            migration.name(),
                            &error.to_string(),
                        );
                    }
                    return Err(error);
                }
            }
        }
        Ok(())
    }

    fn dry_run_pending(
        &mut self,
        conn: &Connection,
        plan: &Plan<'m>,
        foreign_keys: bool,
        report: &mut Report,
    ) -> Result<(), Error> {
        for (i, migration) in plan.pending.iter().enumerate() {
            if migration.no_transaction() {
                self.emit(Event::NotVerifiable(*migration));
                report.not_verified = plan.pending[i..].iter().map(MigrationRef::of).collect();
                return Ok(());
            }
            self.emit(Event::Started(*migration));
            let applied: Vec<i64> = report.applied.iter().map(|a| a.version).collect();
            let duration = self.execute_migration(conn, migration, foreign_keys, &applied)?;
            self.finished(migration, duration, report);
        }
        Ok(())
    }

    /// Runs a migration's statements and code step inside the open transaction.
    fn execute_migration(
        &self,
        conn: &Connection,
        migration: &Migration<'_>,
        foreign_keys: bool,
        applied: &[i64],
    ) -> Result<Duration, Error> {
        let started = Instant::now();
        execute_script(conn, migration, migration.up(), applied)?;
        if let Some(step) = self.code.get(&migration.version()) {
            step(conn).map_err(|source| Error::Code {
                migration: MigrationRef::of(migration),
                source,
                applied: applied.to_vec(),
            })?;
        }
        if foreign_keys {
            check_foreign_keys(conn, migration, applied)?;
        }
        Ok(started.elapsed())
    }

    /// Writes the tracking row, history event, state and `user_version` of an applied migration.
    fn record(
        &self,
        conn: &Connection,
        plan: &mut Plan<'m>,
        migration: &Migration<'_>,
        duration: Duration,
    ) -> rusqlite::Result<()> {
        let version = migration.version();
        let appends = plan
            .applied
            .keys()
            .next_back()
            .is_none_or(|&last| last < version);
        plan.applied.insert(version, migration.checksum());
        // The row's history covers versions up to its own; the state's covers all of them
        // (they differ when a hole below the highest applied version is filled). In the usual
        // case, appending, both are one more link of the chain.
        let row_history = if appends {
            Some(Checksum::chain(
                plan.history.as_ref(),
                &migration.checksum(),
            ))
        } else {
            Checksum::history(plan.applied.range(..=version).map(|(_, c)| c))
        };
        plan.history = if appends {
            row_history
        } else {
            Checksum::history(plan.applied.values())
        };
        let row_history = row_history.map(|h| h.to_string());
        let history = plan.history.map(|h| h.to_string());
        let highest = plan.applied.keys().next_back().copied().unwrap_or(0);
        tracking::record_applied(
            conn,
            &AppliedRecord {
                version,
                name: migration.name(),
                checksum: &migration.checksum().to_string(),
                execution_time_ms: i64::try_from(duration.as_millis()).unwrap_or(i64::MAX),
                history_checksum: row_history.as_deref().unwrap_or_default(),
            },
            highest,
            history.as_deref(),
        )?;
        if self.user_version {
            conn.pragma_update(None, "user_version", highest)?;
        }
        Ok(())
    }

    /// Called with the write lock taken again between two migrations: true when another
    /// process applied `migration` since this run read the state. One read of the state row
    /// when nothing changed; otherwise the applied history is read again.
    fn applied_meanwhile(
        &self,
        conn: &Connection,
        plan: &mut Plan<'m>,
        migration: &Migration<'_>,
    ) -> Result<bool, Error> {
        let expected = plan.history.map(|h| h.to_string());
        let unchanged = (|| {
            Ok::<_, Error>(expected.is_some() && tracking::verified_history(conn)? == expected)
        })()
        .inspect_err(|_| rollback(conn))?;
        if !unchanged {
            let applied = tracking::read_applied(conn).inspect_err(|_| rollback(conn))?;
            plan.applied = applied
                .into_iter()
                .filter_map(|(version, row)| {
                    Some((version, row.checksum.parse::<Checksum>().ok()?))
                })
                .collect();
            plan.history = Checksum::history(plan.applied.values());
        }
        let done = plan.applied.contains_key(&migration.version());
        if done {
            log::info!("{migration} was applied by another process meanwhile");
        }
        Ok(done)
    }

    /// Runs a `-- migrate:no-transaction` migration statement by statement, recording progress
    /// so that an interrupted or failed run resumes where it stopped.
    fn apply_no_transaction(
        &self,
        conn: &Connection,
        plan: &mut Plan<'m>,
        migration: &Migration<'_>,
        foreign_keys: bool,
        applied: &[i64],
    ) -> Result<Duration, Error> {
        let id = MigrationRef::of(migration);
        let script = migration.up();
        let checksums: Vec<String> = script
            .statements()
            .map(|s| Checksum::digest(s.text.as_bytes()).to_string())
            .collect();
        let done = match plan.progress.get(&migration.version()) {
            Some(progress) => {
                resume_point(migration, script, &checksums, progress, self.retry_failed)?
            }
            None => 0,
        };
        begin_immediate(conn, Some(&id))?;
        tracking::start_progress(conn, migration.version())
            .map_err(|e| self.fail_record(conn, &id, e, applied))?;
        let since = Instant::now();
        conn.execute_batch("COMMIT")
            .map_err(|e| lock::classify(conn, e, Some(&id), since))?;

        // Outside a transaction SQLite enforces foreign keys statement by statement, as when
        // the script is run by hand: the script gets the connection's own setting (and may
        // change it), and the run's setting (off) is back for the migrations after it.
        let run_setting = || {
            if let Err(e) = conn.execute_batch("PRAGMA foreign_keys = OFF") {
                log::warn!("could not turn foreign_keys off after {id}: {e}");
            }
        };
        if foreign_keys {
            conn.execute_batch("PRAGMA foreign_keys = ON")?;
        }
        let started = Instant::now();
        for statement in script.statements().skip(done) {
            let index = statement.index;
            let progress = &checksums[..=index];
            if log::log_enabled!(log::Level::Debug) {
                log::debug!(
                    "{migration}: statement {} (line {})",
                    index + 1,
                    statement.line()
                );
            }
            let since = Instant::now();
            let conflict = transaction_conflict(statement.text);
            let ends_script_transaction = !conn.is_autocommit()
                && conflict.is_some_and(TransactionConflict::commits);
            let result = if ends_script_transaction {
                // Recorded first, so the progress row commits with the script's transaction.
                tracking::set_progress(conn, migration.version(), progress)
                    .and_then(|()| run_statement(conn, statement.text))
            } else if !conn.is_autocommit() || conflict.is_some() {
                // Inside the script's own transaction, the progress row commits with it;
                // statements that cannot be in a transaction are idempotent by nature
                // (VACUUM, journal_mode), so recording them just after is enough.
                run_statement(conn, statement.text)
                    .and_then(|()| tracking::set_progress(conn, migration.version(), progress))
            } else {
                // Wrapped with its progress row, so a crash cannot run it twice.
                conn.execute_batch("BEGIN IMMEDIATE")
                    .and_then(|()| run_statement(conn, statement.text))
                    .and_then(|()| tracking::set_progress(conn, migration.version(), progress))
                    .and_then(|()| conn.execute_batch("COMMIT"))
            };
            if let Err(e) = result {
                rollback(conn);
                run_setting();
                if is_busy(&e) {
                    // Nothing of the statement remains: the next run resumes at it.
                    return Err(lock::classify(conn, e, Some(&id), since));
                }
                let failure = statement_failure(migration, &statement, &e, applied);
                let message = failure.to_string();
                if let Err(e) = tracking::set_progress_failure(
                    conn,
                    migration.version(),
                    index + 1,
                    &checksums[index],
                    &sqlite_message(&e),
                ) {
                    log::warn!("could not record where {id} failed: {e}");
                }
                tracking::record_failure(conn, migration.version(), migration.name(), &message);
                return Err(failure);
            }
        }
        if !conn.is_autocommit() {
            // The script opened a transaction and did not close it.
            conn.execute_batch("COMMIT")?;
        }
        run_setting();
        let duration = started.elapsed();
        begin_immediate(conn, Some(&id))?;
        let outcome = (|| {
            if let Some(step) = self.code.get(&migration.version()) {
                step(conn).map_err(|source| Error::Code {
                    migration: id.clone(),
                    source,
                    applied: applied.to_vec(),
                })?;
            }
            self.record(conn, plan, migration, duration)
                .and_then(|()| tracking::clear_progress(conn, migration.version()))
                .and_then(|()| conn.execute_batch("COMMIT"))
                .map_err(|e| self.fail_record(conn, &id, e, applied))
        })();
        if outcome.is_err() {
            rollback(conn);
        }
        outcome.map(|()| duration)
    }

    fn fail_record(
        &self,
        _conn: &Connection,
        id: &MigrationRef,
        source: rusqlite::Error,
        applied: &[i64],
    ) -> Error {
        Error::Record {
            migration: id.clone(),
            source,
            applied: applied.to_vec(),
        }
    }

    fn emit(&mut self, event: Event<'_>) {
        if let Some(observer) = &mut self.observer {
            observer(event);
        }
    }

    fn finished(&mut self, migration: &Migration<'_>, duration: Duration, report: &mut Report) {
        if self.dry_run {
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

/// The state a run works from, read under the write lock.
struct Plan<'m> {
    pending: Vec<Migration<'m>>,
    current_version: i64,
    applied: BTreeMap<i64, Checksum>,
    /// `Checksum::history(applied.values())`, kept up to date with `applied`: chaining is
    /// O(applied), so computing it afresh for every migration made a run O(N²).
    history: Option<Checksum>,
    progress: BTreeMap<i64, Progress>,
    /// True when the applied history matches this build exactly (nothing relaxed).
    clean: bool,
}

/// Checks the applied history against this build: unknown versions, drift, holes.
///
/// Returns whether the history matched exactly (`false` when an option relaxed a problem).
pub(crate) fn validate(
    migrations: &Migrations,
    applied: &BTreeMap<i64, tracking::AppliedRow>,
    options: &Runner<'_>,
) -> Result<bool, Error> {
    let report = crate::status::compare(migrations, applied);
    let clean = report.unknown.is_empty() && report.drift.is_empty() && report.holes.is_empty();
    if !report.unknown.is_empty() && !options.allow_unknown {
        return Err(Error::UnknownApplied(report.unknown));
    }
    if !report.drift.is_empty() && !options.allow_drift {
        return Err(Error::Drift(report.drift));
    }
    if !report.holes.is_empty() && !options.allow_holes {
        return Err(Error::Holes(report.holes));
    }
    Ok(clean)
}

/// Where a no-transaction migration resumes, or why it cannot.
fn resume_point(
    migration: &Migration<'_>,
    script: ScriptView<'_>,
    checksums: &[String],
    progress: &Progress,
    retry_failed: bool,
) -> Result<usize, Error> {
    let done = progress.statement_checksums.len();
    let changed: Vec<usize> = (0..done)
        .filter(|&i| checksums.get(i) != progress.statement_checksums.get(i))
        .map(|i| i + 1)
        .collect();
    if !changed.is_empty() {
        return Err(Error::IncompleteEdited {
            migration: MigrationRef::of(migration),
            statements: changed,
        });
    }
    if let Some((failed, failed_checksum, message)) = &progress.failure {
        let index = failed.saturating_sub(1);
        if checksums.get(index) == Some(failed_checksum) && !retry_failed {
            let statement = script.statement(index);
            return Err(Error::Incomplete(Box::new(StatementFailure {
                migration: MigrationRef::of(migration),
                statement_index: index + 1,
                line: statement.line(),
                statement: shorten(statement.text),
                message: message.clone(),
                extended_code: None,
                applied: Vec::new(),
            })));
        }
        log::info!("{migration}: running statement {failed} again, which failed in an earlier run");
    } else if done > 0 {
        log::info!("{migration} was interrupted after statement {done}; resuming");
    }
    Ok(done)
}

/// Runs every statement of a script in the open transaction.
pub(crate) fn execute_script(
    conn: &Connection,
    migration: &Migration<'_>,
    script: ScriptView<'_>,
    applied: &[i64],
) -> Result<(), Error> {
    for statement in script.statements() {
        if log::log_enabled!(log::Level::Debug) {
            log::debug!(
                "{migration}: statement {} (line {})",
                statement.index + 1,
                statement.line()
            );
        }
        run_statement(conn, statement.text)
            .map_err(|e| statement_failure(migration, &statement, &e, applied))?;
    }
    Ok(())
}

/// Runs one statement to completion, whether or not it returns rows.
pub(crate) fn run_statement(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    let mut statement = conn.prepare(sql)?;
    let mut rows = statement.raw_query();
    while rows.next()?.is_some() {}
    Ok(())
}

pub(crate) fn statement_failure(
    migration: &Migration<'_>,
    statement: &StatementView<'_>,
    error: &rusqlite::Error,
    applied: &[i64],
) -> Error {
    Error::Statement(Box::new(StatementFailure {
        migration: MigrationRef::of(migration),
        statement_index: statement.index + 1,
        line: statement.line(),
        statement: shorten(statement.text),
        message: sqlite_message(error),
        extended_code: match error {
            rusqlite::Error::SqliteFailure(e, _) => Some(e.extended_code),
            _ => None,
        },
        applied: applied.to_vec(),
    }))
}

/// SQLite gave up waiting for another connection (busy timeout).
fn is_busy(error: &rusqlite::Error) -> bool {
    matches!(
        error.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

pub(crate) fn sqlite_message(error: &rusqlite::Error) -> String {
    match error {
        rusqlite::Error::SqliteFailure(_, Some(message)) => message.clone(),
        other => other.to_string(),
    }
}

/// The statement on one line, cut to about 200 characters.
fn shorten(statement: &str) -> String {
    let one_line = statement.split_whitespace().collect::<Vec<_>>().join(" ");
    match one_line.char_indices().nth(200) {
        Some((cut, _)) => format!("{}...", &one_line[..cut]),
        None => one_line,
    }
}

fn clear_applied(error: &mut Error) {
    match error {
        Error::Statement(failure) => failure.applied.clear(),
        Error::ForeignKeys { applied, .. }
        | Error::Code { applied, .. }
        | Error::Record { applied, .. } => applied.clear(),
        _ => {}
    }
}

/// Fails the migration when `PRAGMA foreign_key_check` finds violations.
pub(crate) fn check_foreign_keys(
    conn: &Connection,
    migration: &Migration<'_>,
    applied: &[i64],
) -> Result<(), Error> {
    let to_error = |e: rusqlite::Error| Error::Record {
        migration: MigrationRef::of(migration),
        source: e,
        applied: applied.to_vec(),
    };
    let mut statement = conn.prepare("PRAGMA foreign_key_check").map_err(to_error)?;
    let violations = statement
        .query_map([], |row| {
            Ok(ForeignKeyViolation {
                table: row.get(0)?,
                rowid: row.get(1)?,
                parent: row.get(2)?,
            })
        })
        .map_err(to_error)?
        .take(20)
        .collect::<Result<Vec<_>, _>>()
        .map_err(to_error)?;
    if violations.is_empty() {
        Ok(())
    } else {
        Err(Error::ForeignKeys {
            migration: MigrationRef::of(migration),
            violations,
            applied: applied.to_vec(),
        })
    }
}

/// Turns `foreign_keys` off for the run when it was on, because SQLite ignores the pragma
/// inside a transaction; [`ForeignKeysOff::restore`] turns it back on, on error paths too.
pub(crate) struct ForeignKeysOff {
    pub(crate) was_on: bool,
}

impl ForeignKeysOff {
    pub(crate) fn new(conn: &Connection) -> Result<Self, Error> {
        let since = Instant::now();
        let was_on: bool = conn
            .query_row("PRAGMA foreign_keys", [], |row| row.get(0))
            .map_err(|e| lock::classify(conn, e, None, since))?;
        if was_on {
            conn.execute_batch("PRAGMA foreign_keys = OFF")?;
        }
        Ok(ForeignKeysOff { was_on })
    }

    pub(crate) fn restore(self, conn: &Connection) {
        if self.was_on {
            rollback(conn);
            if let Err(e) = conn.execute_batch("PRAGMA foreign_keys = ON") {
                log::warn!("could not turn foreign_keys back on: {e}");
            }
        }
    }
}
