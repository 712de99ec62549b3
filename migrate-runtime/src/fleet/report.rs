//! What a fleet run tells its caller: one [`Outcome`] per database, in the order the paths
//! came, and [`Totals`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::error::Error;

/// One migration applied to one database of a fleet: its version and how long it took. The
/// rest (name, file) is in [`Migrations::get`](crate::Migrations::get); a fleet keeps only
/// this much per migration so that its report stays small.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct AppliedVersion {
    /// The migration's version.
    pub version: i64,
    /// How long its statements (and code step) took.
    pub duration: Duration,
}

/// Where one database of a fleet ended up.
#[derive(Debug)]
#[non_exhaustive]
pub enum DatabaseStatus {
    /// Migrations were applied (in a dry run: ran and were rolled back).
    Applied,
    /// Nothing to do: already at the target.
    UpToDate,
    /// [`Fleet::check`](crate::Fleet::check) only: migrations are waiting, and nothing keeps
    /// them from being applied.
    Pending,
    /// The database failed; with [`OnError::Stop`](crate::OnError::Stop) or a failed canary
    /// the fleet stopped starting new databases. A failed migration was rolled back: the
    /// database is at the last version that committed.
    Failed(Error),
    /// Not started: the fleet had stopped (a failed canary, or [`OnError::Stop`](crate::OnError::Stop)
    /// after a failure).
    Skipped,
}

impl DatabaseStatus {
    /// The status as the CLI's JSON writes it: `applied`, `up_to_date`, `pending`, `failed`
    /// or `skipped`.
    ///
    /// ```
    /// assert_eq!(migrate_runtime::DatabaseStatus::UpToDate.as_str(), "up_to_date");
    /// ```
    pub fn as_str(&self) -> &'static str {
        match self {
            DatabaseStatus::Applied => "applied",
            DatabaseStatus::UpToDate => "up_to_date",
            DatabaseStatus::Pending => "pending",
            DatabaseStatus::Failed(_) => "failed",
            DatabaseStatus::Skipped => "skipped",
        }
    }
}

/// What happened to one database of a fleet.
#[derive(Debug)]
#[non_exhaustive]
pub struct Outcome {
    /// The database file, as given.
    pub path: PathBuf,
    /// Where it ended up, or why it failed.
    pub status: DatabaseStatus,
    /// The version before the run, when it could be read (`None` for a database that could
    /// not be opened or read, and for a skipped one).
    pub from: Option<i64>,
    /// The version after the run, when it could be read. After a dry run it is `from` (the
    /// database is unchanged); for [`Fleet::check`](crate::Fleet::check) it is the version
    /// the database would reach.
    pub to: Option<i64>,
    /// The migrations applied, in order (after a failure: those that committed before it).
    pub applied: Vec<AppliedVersion>,
    /// How many migrations are still waiting: for [`Fleet::check`](crate::Fleet::check), and
    /// after a dry run (which applies nothing).
    pub pending: usize,
    /// After a dry run: the versions it could not check, because they run outside a
    /// transaction (a dry run stops before the first of them).
    pub not_verified: Vec<i64>,
    /// How long this database took, opening included.
    pub elapsed: Duration,
}

impl Outcome {
    pub(crate) fn new(path: PathBuf, status: DatabaseStatus) -> Self {
        Outcome {
            path,
            status,
            from: None,
            to: None,
            applied: Vec::new(),
            pending: 0,
            not_verified: Vec::new(),
            elapsed: Duration::ZERO,
        }
    }

    /// The database file.
    ///
    /// ```
    /// # fn show(outcome: &migrate_runtime::Outcome) {
    /// println!("{}: {}", outcome.path().display(), outcome.status.as_str());
    /// # }
    /// ```
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The error, for a failed database.
    ///
    /// ```
    /// # fn show(outcome: &migrate_runtime::Outcome) {
    /// if let Some(error) = outcome.error() {
    ///     eprintln!("{}: {error}", outcome.path().display());
    /// }
    /// # }
    /// ```
    pub fn error(&self) -> Option<&Error> {
        match &self.status {
            DatabaseStatus::Failed(error) => Some(error),
            _ => None,
        }
    }

    /// True for a failed database.
    ///
    /// ```
    /// # fn count(outcomes: &[migrate_runtime::Outcome]) -> usize {
    /// outcomes.iter().filter(|o| o.is_failed()).count()
    /// # }
    /// ```
    pub fn is_failed(&self) -> bool {
        matches!(self.status, DatabaseStatus::Failed(_))
    }
}

/// The counts of a fleet run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Totals {
    /// Databases in the report (every path given, after the shard).
    pub databases: usize,
    /// Databases that are where they should be: applied or up to date.
    pub succeeded: usize,
    /// Databases with migrations applied (or run, in a dry run).
    pub applied: usize,
    /// Databases already up to date.
    pub up_to_date: usize,
    /// [`Fleet::check`](crate::Fleet::check): databases with migrations waiting.
    pub pending: usize,
    /// Databases that failed.
    pub failed: usize,
    /// Databases not started because the fleet stopped.
    pub skipped: usize,
    /// Migrations applied over all databases.
    pub migrations_applied: usize,
    /// How many databases ended at each version (those whose version could be read).
    pub versions: BTreeMap<i64, usize>,
    /// True when a canary database failed, which stopped the fleet.
    pub canary_failed: bool,
    /// True when the fleet stopped starting databases (a failed canary, or
    /// [`OnError::Stop`](crate::OnError::Stop) after a failure).
    pub stopped: bool,
    /// Wall time of the whole run.
    pub elapsed: Duration,
}

/// What a fleet run did: one outcome per database, in the order the paths were given, and
/// the totals.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct FleetReport {
    /// One per database, in the order of the paths.
    pub outcomes: Vec<Outcome>,
    /// The counts.
    pub totals: Totals,
}

impl FleetReport {
    pub(crate) fn new(outcomes: Vec<Outcome>, totals: Totals) -> Self {
        FleetReport { outcomes, totals }
    }

    /// True when no database failed and none was skipped.
    ///
    /// ```
    /// assert!(migrate_runtime::FleetReport::default().is_success());
    /// ```
    pub fn is_success(&self) -> bool {
        self.totals.failed == 0 && self.totals.skipped == 0
    }

    /// The failed databases.
    ///
    /// ```
    /// # fn show(report: &migrate_runtime::FleetReport) {
    /// for outcome in report.failures() {
    ///     eprintln!("{}: {}", outcome.path().display(), outcome.error().unwrap());
    /// }
    /// # }
    /// ```
    pub fn failures(&self) -> impl Iterator<Item = &Outcome> {
        self.outcomes.iter().filter(|o| o.is_failed())
    }
}

impl Totals {
    /// Counts one outcome.
    pub(crate) fn count(&mut self, outcome: &Outcome) {
        self.databases += 1;
        match &outcome.status {
            DatabaseStatus::Applied => {
                self.applied += 1;
                self.succeeded += 1;
            }
            DatabaseStatus::UpToDate => {
                self.up_to_date += 1;
                self.succeeded += 1;
            }
            DatabaseStatus::Pending => self.pending += 1,
            DatabaseStatus::Failed(_) => self.failed += 1,
            DatabaseStatus::Skipped => self.skipped += 1,
        }
        self.migrations_applied += outcome.applied.len();
        let version = match outcome.status {
            // `check` reports where the database is, not where it would go.
            DatabaseStatus::Pending => outcome.from,
            _ => outcome.to.or(outcome.from),
        };
        if let Some(version) = version {
            *self.versions.entry(version).or_default() += 1;
        }
    }
}
