//! [`RunnerOptions`]: the options of a [`Runner`] as a plain value, to apply the same options
//! to many runs (a fleet applies them to every database, from several threads).

use super::plan::Tolerance;
use super::{ForeignKeyCheck, Runner, UpToDateCheck};
use crate::backup::BackupTarget;

/// The options of a [`Runner`] as a value: `Clone`, `Send` and `Sync`, so the same options can
/// configure many runs. [`Runner::options`] applies them;
/// [`Fleet::runner_options`](crate::Fleet::runner_options) applies them to every database of a
/// fleet.
///
/// Each method sets the option of the [`Runner`] method of the same name. What a value cannot
/// carry (code steps, the progress callback) stays on the [`Runner`].
///
/// ```
/// use migrate_runtime::{rusqlite::Connection, Migrations, RunnerOptions};
///
/// static MIGRATIONS: Migrations = migrate_runtime::embed_migrations!("tests/doc_migrations");
///
/// let options = RunnerOptions::new().target(1);
/// let mut conn = Connection::open_in_memory()?;
/// let report = MIGRATIONS.runner().options(&options).run(&mut conn)?;
/// assert_eq!(report.applied.len(), 1);
/// # Ok::<(), migrate_runtime::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunnerOptions {
    pub(crate) target: Option<i64>,
    pub(crate) dry_run: bool,
    pub(crate) single_transaction: bool,
    pub(crate) backup: Option<BackupTarget>,
    pub(crate) check: UpToDateCheck,
    pub(crate) user_version: bool,
    pub(crate) allow_drift: bool,
    pub(crate) allow_unknown: bool,
    pub(crate) allow_holes: bool,
    pub(crate) retry_failed: bool,
    pub(crate) foreign_key_check: ForeignKeyCheck,
}

impl Default for RunnerOptions {
    fn default() -> Self {
        RunnerOptions::new()
    }
}

impl RunnerOptions {
    /// The defaults of [`Migrations::runner`](crate::Migrations::runner).
    ///
    /// ```
    /// let options = migrate_runtime::RunnerOptions::new();
    /// assert_eq!(options.target_version(), None);
    /// assert!(!options.is_dry_run());
    /// ```
    pub fn new() -> Self {
        RunnerOptions {
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
            foreign_key_check: ForeignKeyCheck::Affected,
        }
    }

    /// See [`Runner::target`].
    ///
    /// ```
    /// let options = migrate_runtime::RunnerOptions::new().target(3);
    /// assert_eq!(options.target_version(), Some(3));
    /// ```
    pub fn target(mut self, version: i64) -> Self {
        self.target = Some(version);
        self
    }

    /// See [`Runner::dry_run`].
    ///
    /// ```
    /// assert!(migrate_runtime::RunnerOptions::new().dry_run(true).is_dry_run());
    /// ```
    pub fn dry_run(mut self, dry_run: bool) -> Self {
        self.dry_run = dry_run;
        self
    }

    /// See [`Runner::single_transaction`].
    ///
    /// ```
    /// let options = migrate_runtime::RunnerOptions::new().single_transaction(true);
    /// ```
    pub fn single_transaction(mut self, single: bool) -> Self {
        self.single_transaction = single;
        self
    }

    /// See [`Runner::backup`]. For a fleet, [`BackupTarget::Beside`] gives each database its
    /// own backup; a [`BackupTarget::Path`] would be overwritten by every database.
    ///
    /// ```
    /// use migrate_runtime::{BackupTarget, RunnerOptions};
    /// let options = RunnerOptions::new().backup(BackupTarget::Beside);
    /// ```
    pub fn backup(mut self, target: BackupTarget) -> Self {
        self.backup = Some(target);
        self
    }

    /// See [`Runner::up_to_date_check`].
    ///
    /// ```
    /// use migrate_runtime::{RunnerOptions, UpToDateCheck};
    /// let options = RunnerOptions::new().up_to_date_check(UpToDateCheck::VersionOnly);
    /// ```
    pub fn up_to_date_check(mut self, check: UpToDateCheck) -> Self {
        self.check = check;
        self
    }

    /// See [`Runner::mirror_user_version`].
    ///
    /// ```
    /// let options = migrate_runtime::RunnerOptions::new().mirror_user_version(false);
    /// ```
    pub fn mirror_user_version(mut self, mirror: bool) -> Self {
        self.user_version = mirror;
        self
    }

    /// See [`Runner::allow_drift`].
    ///
    /// ```
    /// let options = migrate_runtime::RunnerOptions::new().allow_drift(true);
    /// ```
    pub fn allow_drift(mut self, allow: bool) -> Self {
        self.allow_drift = allow;
        self
    }

    /// See [`Runner::allow_unknown_applied`].
    ///
    /// ```
    /// let options = migrate_runtime::RunnerOptions::new().allow_unknown_applied(true);
    /// ```
    pub fn allow_unknown_applied(mut self, allow: bool) -> Self {
        self.allow_unknown = allow;
        self
    }

    /// See [`Runner::allow_holes`].
    ///
    /// ```
    /// let options = migrate_runtime::RunnerOptions::new().allow_holes(true);
    /// ```
    pub fn allow_holes(mut self, allow: bool) -> Self {
        self.allow_holes = allow;
        self
    }

    /// See [`Runner::retry_failed`].
    ///
    /// ```
    /// let options = migrate_runtime::RunnerOptions::new().retry_failed(true);
    /// ```
    pub fn retry_failed(mut self, retry: bool) -> Self {
        self.retry_failed = retry;
        self
    }

    /// See [`Runner::foreign_key_check`].
    ///
    /// ```
    /// use migrate_runtime::{ForeignKeyCheck, RunnerOptions};
    /// let options = RunnerOptions::new().foreign_key_check(ForeignKeyCheck::Full);
    /// ```
    pub fn foreign_key_check(mut self, check: ForeignKeyCheck) -> Self {
        self.foreign_key_check = check;
        self
    }

    /// The target version, if one is set.
    ///
    /// ```
    /// assert_eq!(migrate_runtime::RunnerOptions::new().target_version(), None);
    /// ```
    pub fn target_version(&self) -> Option<i64> {
        self.target
    }

    /// True for a dry run.
    ///
    /// ```
    /// assert!(!migrate_runtime::RunnerOptions::new().is_dry_run());
    /// ```
    pub fn is_dry_run(&self) -> bool {
        self.dry_run
    }

    /// The tolerances, as the plan reads them.
    pub(crate) fn tolerance(&self) -> Tolerance {
        Tolerance {
            drift: self.allow_drift,
            unknown: self.allow_unknown,
            holes: self.allow_holes,
        }
    }
}

impl Runner<'_> {
    /// Sets every option `options` holds, replacing what was set before; code steps and the
    /// progress callback are kept.
    ///
    /// ```
    /// use migrate_runtime::{rusqlite::Connection, Migrations, RunnerOptions};
    ///
    /// static MIGRATIONS: Migrations = migrate_runtime::embed_migrations!("tests/doc_migrations");
    ///
    /// let mut conn = Connection::open_in_memory()?;
    /// let report = MIGRATIONS
    ///     .runner()
    ///     .options(&RunnerOptions::new().dry_run(true))
    ///     .run(&mut conn)?;
    /// assert!(report.dry_run);
    /// # Ok::<(), migrate_runtime::Error>(())
    /// ```
    pub fn options(mut self, options: &RunnerOptions) -> Self {
        self.options = options.clone();
        self
    }
}
