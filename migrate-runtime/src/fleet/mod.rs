//! Fleets: one embedded set applied to many database files (one per tenant, user or device),
//! in parallel, with a canary, an error policy, progress events and a report.
//!
//! Layers: this module is the builder and the order of the phases (canary, then the rest);
//! `worker` is the thread pool over the streamed paths; `database` opens one database and
//! runs it through a [`Runner`](crate::Runner) (or reads it, for [`Fleet::check`]); `report`
//! holds the outcomes and totals.
//!
//! Invariants: each database is migrated by `Runner::run` and nothing else, so it keeps the
//! per-migration atomicity, the migrator lock and the validation of a single run; a database
//! is never created unless [`Fleet::create_missing`] says so; memory grows with the number of
//! databases only by the report's one entry each; the library prints nothing.

mod database;
mod report;
mod worker;

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::atomic::AtomicBool;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use self::database::Settings;
pub use self::report::{AppliedVersion, DatabaseStatus, FleetReport, Outcome, Totals};
use self::worker::Pool;
use crate::error::Error;
use crate::migrations::Migrations;
use crate::run::RunnerOptions;

/// What a fleet does when a database fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum OnError {
    /// Go on with the other databases (the default).
    #[default]
    Continue,
    /// Start no new database; the ones in flight finish. The rest are reported as
    /// [`DatabaseStatus::Skipped`].
    Stop,
}

impl FromStr for OnError {
    type Err = String;

    /// `continue` or `stop`.
    ///
    /// ```
    /// use migrate_runtime::OnError;
    /// assert_eq!("stop".parse::<OnError>(), Ok(OnError::Stop));
    /// assert!("halt".parse::<OnError>().is_err());
    /// ```
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "continue" => Ok(OnError::Continue),
            "stop" => Ok(OnError::Stop),
            other => Err(format!("`{other}`: expected `continue` or `stop`")),
        }
    }
}

/// One share of a fleet split across `count` jobs or machines: shard `index` of `count`,
/// 1-based (`1/4`, `2/4`, `3/4`, `4/4`).
///
/// A path belongs to the shard when the hash of its bytes, as given, modulo `count` is
/// `index - 1`; the hash is 64-bit FNV-1a followed by MurmurHash3's 64-bit finalizer (so that
/// every bit of the path reaches the low bits the modulo reads). The split is deterministic (the same on every machine and every
/// run, for the same spelling of the path) and the shards of one count cover every path
/// exactly once. Overlapping shards are still safe: each database has its own lock.
///
/// ```
/// use migrate_runtime::Shard;
///
/// let shards: Vec<Shard> = (1..=4).map(|i| format!("{i}/4").parse().unwrap()).collect();
/// let path = std::path::Path::new("tenants/acme.db");
/// assert_eq!(shards.iter().filter(|s| s.contains(path)).count(), 1);
/// assert!("0/4".parse::<Shard>().is_err());
/// assert!("5/4".parse::<Shard>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    index: u64,
    count: u64,
}

impl Shard {
    /// Shard `index` (1-based) of `count`; `None` unless `1 <= index <= count`.
    ///
    /// ```
    /// assert!(migrate_runtime::Shard::new(2, 3).is_some());
    /// assert!(migrate_runtime::Shard::new(0, 3).is_none());
    /// ```
    pub fn new(index: u64, count: u64) -> Option<Shard> {
        (1..=count)
            .contains(&index)
            .then_some(Shard { index, count })
    }

    /// The 1-based index.
    ///
    /// ```
    /// assert_eq!(migrate_runtime::Shard::new(2, 3).unwrap().index(), 2);
    /// ```
    pub fn index(&self) -> u64 {
        self.index
    }

    /// The number of shards.
    ///
    /// ```
    /// assert_eq!(migrate_runtime::Shard::new(2, 3).unwrap().count(), 3);
    /// ```
    pub fn count(&self) -> u64 {
        self.count
    }

    /// True when `path` belongs to this shard.
    ///
    /// ```
    /// let all = migrate_runtime::Shard::new(1, 1).unwrap();
    /// assert!(all.contains(std::path::Path::new("any.db")));
    /// ```
    pub fn contains(&self, path: &Path) -> bool {
        path_hash(path) % self.count == self.index - 1
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for Shard {
    type Err = String;

    /// `I/N` with `1 <= I <= N`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let invalid = || format!("`{s}`: expected I/N with 1 <= I <= N, e.g. 1/4");
        let (index, count) = s.split_once('/').ok_or_else(invalid)?;
        let index = index.trim().parse().map_err(|_| invalid())?;
        let count = count.trim().parse().map_err(|_| invalid())?;
        Shard::new(index, count).ok_or_else(invalid)
    }
}

/// 64-bit FNV-1a of the path's bytes (on Unix its raw bytes, elsewhere its UTF-8 form), then
/// MurmurHash3's `fmix64`: FNV-1a alone leaves its low bits depending only on the low bits
/// of each byte.
fn path_hash(path: &Path) -> u64 {
    #[cfg(unix)]
    let bytes = std::os::unix::ffi::OsStrExt::as_bytes(path.as_os_str()).to_vec();
    #[cfg(not(unix))]
    let bytes = path.to_string_lossy().into_owned().into_bytes();
    let mut h = bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

/// What a fleet reports while it works, to [`Fleet::on_event`].
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum FleetEvent<'a> {
    /// A database is about to be opened.
    Started {
        /// Its position among the paths (0-based, in the order given).
        position: usize,
        /// The database file.
        path: &'a Path,
    },
    /// A database is done (or skipped): every path yields exactly one of these.
    Finished {
        /// Its position among the paths.
        position: usize,
        /// What happened to it.
        outcome: &'a Outcome,
    },
}

/// The progress callback of [`Fleet::on_event`].
type Observer<'m> = dyn Fn(FleetEvent<'_>) + Sync + 'm;

/// A fleet of databases to bring to this build's schema, from [`Migrations::fleet`].
///
/// ```
/// use migrate_runtime::{Migrations, OnError, RunnerOptions};
///
/// static MIGRATIONS: Migrations = migrate_runtime::embed_migrations!("tests/doc_migrations");
///
/// let dir = tempfile::tempdir()?;
/// let paths: Vec<_> = (0..3).map(|i| dir.path().join(format!("tenant-{i}.db"))).collect();
/// let report = MIGRATIONS
///     .fleet()
///     .databases(paths)
///     .create_missing(true)
///     .parallel(2)
///     .canary(1)
///     .on_error(OnError::Stop)
///     .runner_options(RunnerOptions::new())
///     .run()?;
/// assert_eq!(report.totals.succeeded, 3);
/// assert_eq!(report.totals.migrations_applied, 6);
/// assert!(report.outcomes.iter().all(|o| o.to == Some(2)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Fleet<'m> {
    migrations: &'m Migrations,
    databases: Box<dyn Iterator<Item = PathBuf> + Send + 'm>,
    parallel: Option<usize>,
    canary: usize,
    on_error: OnError,
    shard: Option<Shard>,
    settings: Settings,
    observer: Option<Box<Observer<'m>>>,
}

impl fmt::Debug for Fleet<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fleet")
            .field("parallel", &self.parallel)
            .field("canary", &self.canary)
            .field("on_error", &self.on_error)
            .field("shard", &self.shard)
            .field("options", &self.settings.options)
            .field("create_missing", &self.settings.create_missing)
            .field("busy_timeout", &self.settings.busy_timeout)
            .field("foreign_keys", &self.settings.foreign_keys)
            .finish_non_exhaustive()
    }
}

impl Migrations {
    /// A fleet: this set applied to many database files; see [`Fleet`].
    ///
    /// ```
    /// # static MIGRATIONS: migrate_runtime::Migrations =
    /// #     migrate_runtime::embed_migrations!("tests/doc_migrations");
    /// let report = MIGRATIONS.fleet().run()?; // no databases: nothing to do
    /// assert_eq!(report.totals.databases, 0);
    /// # Ok::<(), migrate_runtime::Error>(())
    /// ```
    pub fn fleet(&self) -> Fleet<'_> {
        Fleet {
            migrations: self,
            databases: Box::new(std::iter::empty()),
            parallel: None,
            canary: 0,
            on_error: OnError::Continue,
            shard: None,
            settings: Settings {
                options: RunnerOptions::new(),
                create_missing: false,
                busy_timeout: Duration::from_secs(5),
                foreign_keys: true,
            },
            observer: None,
        }
    }
}

impl<'m> Fleet<'m> {
    /// The database files. The iterator is read lazily, by whichever worker thread is free
    /// (hence `Send`): a directory walk or a file of paths is never held in memory.
    ///
    /// ```
    /// # static MIGRATIONS: migrate_runtime::Migrations =
    /// #     migrate_runtime::embed_migrations!("tests/doc_migrations");
    /// let fleet = MIGRATIONS
    ///     .fleet()
    ///     .databases((0..10_000).map(|i| format!("tenants/{i}.db").into()));
    /// ```
    pub fn databases<I>(mut self, paths: I) -> Self
    where
        I: IntoIterator<Item = PathBuf>,
        I::IntoIter: Send + 'm,
    {
        self.databases = Box::new(paths.into_iter());
        self
    }

    /// How many databases are worked on at once (default: the number of available cores;
    /// 0 counts as 1).
    ///
    /// ```
    /// # static MIGRATIONS: migrate_runtime::Migrations =
    /// #     migrate_runtime::embed_migrations!("tests/doc_migrations");
    /// let fleet = MIGRATIONS.fleet().parallel(8);
    /// ```
    pub fn parallel(mut self, threads: usize) -> Self {
        self.parallel = Some(threads.max(1));
        self
    }

    /// Migrates the first `k` databases first (in parallel, up to [`Fleet::parallel`]), and
    /// stops everything if one of them fails: the others are reported as
    /// [`DatabaseStatus::Skipped`] and [`Totals::canary_failed`] is set. `run` still returns
    /// `Ok`: the report says what happened. Default 0 (no canary).
    ///
    /// ```
    /// # static MIGRATIONS: migrate_runtime::Migrations =
    /// #     migrate_runtime::embed_migrations!("tests/doc_migrations");
    /// let fleet = MIGRATIONS.fleet().canary(5);
    /// ```
    pub fn canary(mut self, k: usize) -> Self {
        self.canary = k;
        self
    }

    /// What to do after a database fails (default [`OnError::Continue`]).
    ///
    /// ```
    /// # static MIGRATIONS: migrate_runtime::Migrations =
    /// #     migrate_runtime::embed_migrations!("tests/doc_migrations");
    /// let fleet = MIGRATIONS.fleet().on_error(migrate_runtime::OnError::Stop);
    /// ```
    pub fn on_error(mut self, policy: OnError) -> Self {
        self.on_error = policy;
        self
    }

    /// The options of every database's [`Runner`](crate::Runner): target, dry run, backup
    /// (use [`BackupTarget::Beside`](crate::BackupTarget::Beside)), tolerances, ...
    ///
    /// ```
    /// # static MIGRATIONS: migrate_runtime::Migrations =
    /// #     migrate_runtime::embed_migrations!("tests/doc_migrations");
    /// use migrate_runtime::{BackupTarget, RunnerOptions};
    /// let fleet = MIGRATIONS
    ///     .fleet()
    ///     .runner_options(RunnerOptions::new().target(1).backup(BackupTarget::Beside));
    /// ```
    pub fn runner_options(mut self, options: RunnerOptions) -> Self {
        self.settings.options = options;
        self
    }

    /// Only the databases of one [`Shard`]; the others are left out of the report entirely.
    ///
    /// ```
    /// # static MIGRATIONS: migrate_runtime::Migrations =
    /// #     migrate_runtime::embed_migrations!("tests/doc_migrations");
    /// let fleet = MIGRATIONS.fleet().shard(migrate_runtime::Shard::new(1, 4).unwrap());
    /// ```
    pub fn shard(mut self, shard: Shard) -> Self {
        self.shard = Some(shard);
        self
    }

    /// Creates a database file that does not exist (default `false`: a missing file is
    /// [`Error::NoSuchDatabase`] for that database, since creating it would hide a typo).
    ///
    /// ```
    /// # static MIGRATIONS: migrate_runtime::Migrations =
    /// #     migrate_runtime::embed_migrations!("tests/doc_migrations");
    /// let fleet = MIGRATIONS.fleet().create_missing(true);
    /// ```
    pub fn create_missing(mut self, create: bool) -> Self {
        self.settings.create_missing = create;
        self
    }

    /// How long each connection waits for another one's lock before its database fails with
    /// [`Error::Locked`] (default 5 s).
    ///
    /// ```
    /// # static MIGRATIONS: migrate_runtime::Migrations =
    /// #     migrate_runtime::embed_migrations!("tests/doc_migrations");
    /// let fleet = MIGRATIONS.fleet().busy_timeout(std::time::Duration::from_millis(500));
    /// ```
    pub fn busy_timeout(mut self, timeout: Duration) -> Self {
        self.settings.busy_timeout = timeout;
        self
    }

    /// Whether each connection turns foreign keys on before migrating (default `true`, as
    /// the CLI does): each migration is then checked with `PRAGMA foreign_key_check` before
    /// it commits.
    ///
    /// ```
    /// # static MIGRATIONS: migrate_runtime::Migrations =
    /// #     migrate_runtime::embed_migrations!("tests/doc_migrations");
    /// let fleet = MIGRATIONS.fleet().foreign_keys(false);
    /// ```
    pub fn foreign_keys(mut self, on: bool) -> Self {
        self.settings.foreign_keys = on;
        self
    }

    /// Calls `observer` as each database starts and finishes, for progress output.
    ///
    /// It is called from the worker threads, concurrently (hence `Sync`); `Finished` comes
    /// exactly once per database, skipped ones included.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use migrate_runtime::FleetEvent;
    /// # static MIGRATIONS: migrate_runtime::Migrations =
    /// #     migrate_runtime::embed_migrations!("tests/doc_migrations");
    ///
    /// let done = AtomicUsize::new(0);
    /// let report = MIGRATIONS
    ///     .fleet()
    ///     .on_event(|event| {
    ///         if let FleetEvent::Finished { .. } = event {
    ///             done.fetch_add(1, Ordering::Relaxed);
    ///         }
    ///     })
    ///     .run()?;
    /// assert_eq!(done.load(Ordering::Relaxed), report.totals.databases);
    /// # Ok::<(), migrate_runtime::Error>(())
    /// ```
    pub fn on_event(mut self, observer: impl Fn(FleetEvent<'_>) + Sync + 'm) -> Self {
        self.observer = Some(Box::new(observer));
        self
    }

    /// Applies the pending migrations to every database.
    ///
    /// Each database is opened (never created, unless [`Fleet::create_missing`]), with the
    /// busy timeout and foreign keys on, and migrated by a [`Runner`](crate::Runner) with the
    /// [runner options](Fleet::runner_options): the up-to-date check first (one read), then
    /// the migrator lock beside the file and one transaction per migration, so a database is
    /// never left half-migrated, and two fleets over the same files apply every migration
    /// once. A database that fails (missing, corrupt, read-only, locked past the busy timeout,
    /// a failing migration) is one failed [`Outcome`] with its typed [`Error`]; the others go
    /// on or stop as [`Fleet::on_error`] says.
    ///
    /// # Errors
    /// Only for the fleet as a whole: [`Error::InvalidVersion`] for a target outside
    /// `0..=latest`, before any database is opened. What happens to each database is in the
    /// report.
    pub fn run(self) -> Result<FleetReport, Error> {
        self.validate()?;
        let migrations = self.migrations;
        let settings = self.settings.clone();
        self.go(&move |path| settings.apply(migrations, path))
    }

    /// Reads where every database stands, writing nothing and creating nothing: each
    /// outcome is [`DatabaseStatus::UpToDate`], [`DatabaseStatus::Pending`] (with
    /// [`Outcome::pending`] migrations waiting) or [`DatabaseStatus::Failed`] with the error
    /// `run` would stop at (drift, unknown versions, holes, an incomplete migration that
    /// failed, or a database that cannot be read). The canary and the error policy apply as
    /// for [`Fleet::run`]. An up-to-date database costs one read.
    ///
    /// ```
    /// # static MIGRATIONS: migrate_runtime::Migrations =
    /// #     migrate_runtime::embed_migrations!("tests/doc_migrations");
    /// let dir = tempfile::tempdir()?;
    /// let db = dir.path().join("a.db");
    /// migrate_runtime::rusqlite::Connection::open(&db)?;
    /// let report = MIGRATIONS.fleet().databases([db]).check()?;
    /// assert_eq!(report.totals.pending, 1);
    /// assert_eq!(report.outcomes[0].pending, 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// As [`Fleet::run`].
    pub fn check(self) -> Result<FleetReport, Error> {
        self.validate()?;
        let migrations = self.migrations;
        let settings = self.settings.clone();
        self.go(&move |path| settings.check(migrations, path))
    }

    fn validate(&self) -> Result<(), Error> {
        let latest = self.migrations.latest_version();
        match self.settings.options.target {
            Some(target) if !(0..=latest).contains(&target) => Err(Error::InvalidVersion {
                requested: target,
                reason: format!("the latest migration is {latest}"),
            }),
            _ => Ok(()),
        }
    }

    /// The canary, then the rest, on the pool.
    fn go(self, job: &(dyn Fn(PathBuf) -> Outcome + Sync)) -> Result<FleetReport, Error> {
        let started = Instant::now();
        let threads = self.parallel.unwrap_or_else(|| {
            std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
        });
        let stop = AtomicBool::new(false);
        let outcomes = Mutex::new(Vec::new());
        let pool = Pool {
            job,
            observer: self.observer.as_deref(),
            stop_on_error: self.on_error == OnError::Stop,
            stop: &stop,
            outcomes: &outcomes,
        };
        let shard = self.shard;
        let mut paths = self
            .databases
            .filter(|path| shard.is_none_or(|s| s.contains(path)))
            .enumerate();
        let mut canary_failed = false;
        if self.canary > 0 {
            let canary: Vec<(usize, PathBuf)> = paths.by_ref().take(self.canary).collect();
            log::info!("fleet: canary of {} databases", canary.len());
            pool.run(threads.min(canary.len()), &mut canary.into_iter());
            canary_failed = outcomes
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .iter()
                .any(|(_, o)| o.is_failed());
            if canary_failed {
                log::warn!("fleet: a canary database failed; stopping");
                stop.store(true, std::sync::atomic::Ordering::Release);
                for (position, path) in paths.by_ref() {
                    pool.skip(position, path);
                }
            }
        }
        pool.run(threads, &mut paths);
        let mut outcomes = outcomes
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner);
        outcomes.sort_unstable_by_key(|(position, _)| *position);
        let mut totals = Totals {
            canary_failed,
            stopped: stop.into_inner(),
            ..Totals::default()
        };
        let outcomes: Vec<Outcome> = outcomes
            .into_iter()
            .map(|(_, outcome)| {
                totals.count(&outcome);
                outcome
            })
            .collect();
        totals.elapsed = started.elapsed();
        log::info!(
            "fleet: {} databases, {} failed, {} skipped, {} migrations applied in {:.1?}",
            totals.databases,
            totals.failed,
            totals.skipped,
            totals.migrations_applied,
            totals.elapsed
        );
        Ok(FleetReport::new(outcomes, totals))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_and_reports_cross_threads() {
        fn send<T: Send>() {}
        send::<Error>();
        send::<FleetReport>();
    }

    #[test]
    fn shards_split_every_path_exactly_once() {
        for count in 1..=7u64 {
            let shards: Vec<Shard> = (1..=count).map(|i| Shard::new(i, count).unwrap()).collect();
            for i in 0..500 {
                let path = PathBuf::from(format!("dbs/tenant-{i}.db"));
                assert_eq!(shards.iter().filter(|s| s.contains(&path)).count(), 1);
            }
        }
        for bad in ["", "1", "0/3", "4/3", "a/3", "1/0", "-1/3", "1/3/3"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
        assert_eq!(" 2 / 3".trim().parse::<Shard>().unwrap().to_string(), "2/3");
    }

    #[test]
    fn shards_are_even_and_stable() {
        // Pinned: a change of the hash would move databases between machines mid-deploy.
        let shard = |name: &str| {
            (1..=4)
                .find(|&i| Shard::new(i, 4).unwrap().contains(Path::new(name)))
                .unwrap()
        };
        assert_eq!(
            [
                "tenants/acme.db",
                "tenants/globex.db",
                "tenants/initech.db",
                "tenants/umbrella.db"
            ]
            .map(shard),
            [3, 3, 2, 2]
        );
        let mut counts = [0usize; 4];
        for i in 0..10_000 {
            counts[shard(&format!("tenants/t{i:05}.db")) as usize - 1] += 1;
        }
        assert!(
            counts.iter().all(|&n| (2300..2700).contains(&n)),
            "{counts:?}"
        );
    }
}
