//! The command line's types: what an operator can type, and nothing that runs it.
//!
//! These types only describe arguments (clap derives them); the commands that act on them live
//! in `commands`, which imports this module and never the other way round.

use std::path::PathBuf;

use clap::Subcommand;

use crate::import::SourceTool;
use crate::{OnError, Shard};

/// The options every subcommand takes: `--db`, `--json` and `--quiet`, and the
/// [fleet options](FleetArgs) of `apply`, `verify`, `status` and `check`.
///
/// They are global (`myapp --db app.db status` and `myapp status --db app.db` both work).
/// [`Args`] includes them; an application that mounts the subcommands at its own top level
/// flattens this type into its command line instead of declaring the options again, and runs
/// a [`Command`] with [`Args::from_parts`]:
///
/// ```no_run
/// use clap::{Parser, Subcommand};
/// use migrate_runtime::cli;
///
/// static MIGRATIONS: migrate_runtime::Migrations =
///     migrate_runtime::embed_migrations!("tests/doc_migrations");
///
/// #[derive(Parser)]
/// struct Cli {
///     #[command(flatten)]
///     global: cli::GlobalArgs,
///     #[command(subcommand)]
///     command: Commands,
/// }
///
/// #[derive(Subcommand)]
/// enum Commands {
///     /// Serve the application.
///     Serve,
///     /// `myapp status`, `myapp apply`, ...: the migration subcommands at the top level.
///     #[command(flatten)]
///     Migrate(cli::Command),
/// }
///
/// fn main() -> std::process::ExitCode {
///     let cli = Cli::parse();
///     match cli.command {
///         Commands::Serve => std::process::ExitCode::SUCCESS,
///         Commands::Migrate(command) => {
///             cli::run(&MIGRATIONS, cli::Args::from_parts(cli.global, Some(command)))
///         }
///     }
/// }
/// ```
#[derive(Debug, Clone, Default, clap::Args)]
#[non_exhaustive]
pub struct GlobalArgs {
    /// The SQLite database file.
    #[arg(long, global = true, env = "MIGRATE_DB", value_name = "PATH")]
    pub db: Option<PathBuf>,

    /// Print JSON on standard output (stable shapes for status, version, history, check).
    #[arg(long, global = true)]
    pub json: bool,

    /// Print nothing but errors and the answer of `version` (`check` still sets its exit code).
    #[arg(long, short, global = true)]
    pub quiet: bool,

    /// `--each`, `--each-from` and how a fleet runs.
    #[command(flatten)]
    pub fleet: FleetArgs,
}

/// A fleet: `apply`, `verify`, `status` and `check` over many database files instead of
/// `--db` (see the [module docs](super#fleets)).
#[derive(Debug, Clone, Default, clap::Args)]
#[non_exhaustive]
pub struct FleetArgs {
    /// Every database file matching a glob pattern, instead of --db (quote it:
    /// --each 'tenants/*.db'); journals, WAL files and lock files are left out.
    // Not `conflicts_with = "db"`: clap counts MIGRATE_DB from the environment as given, and a
    // deployment that sets it must still be able to run a fleet. --db is ignored instead.
    #[arg(long, global = true, value_name = "GLOB", conflicts_with = "each_from")]
    pub each: Option<String>,

    /// The database files listed in FILE, one path per line (`-`: standard input), instead
    /// of --db.
    #[arg(long, global = true, value_name = "FILE")]
    pub each_from: Option<PathBuf>,

    /// With --each/--each-from: databases worked on at once [default: the number of cores].
    #[arg(long, global = true, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub parallel: Option<u32>,

    /// With --each/--each-from: migrate the first K databases first, and stop everything if
    /// one of them fails.
    #[arg(long, global = true, value_name = "K")]
    pub canary: Option<usize>,

    /// With --each/--each-from: after a failed database, go on with the others (`continue`,
    /// the default) or start no new one (`stop`).
    #[arg(long, global = true, value_name = "continue|stop")]
    pub on_error: Option<OnError>,

    /// With --each/--each-from: only this share of the databases, I of N (1-based), split
    /// by a hash of each path, so that N jobs or machines each take their own.
    #[arg(long, global = true, value_name = "I/N")]
    pub shard: Option<Shard>,

    /// With --each/--each-from: create database files that do not exist (by default a
    /// missing file is a failure of that database).
    #[arg(long, global = true)]
    pub create_missing: bool,

    /// With --each/--each-from: how long to wait for another connection's lock before a
    /// database fails, in milliseconds [default: 5000].
    #[arg(long, global = true, value_name = "MS")]
    pub busy_timeout: Option<u64>,
}

impl FleetArgs {
    /// True when a fleet was asked for (`--each` or `--each-from`).
    ///
    /// ```
    /// assert!(!migrate_runtime::cli::FleetArgs::default().is_fleet());
    /// ```
    pub fn is_fleet(&self) -> bool {
        self.each.is_some() || self.each_from.is_some()
    }

    /// The first fleet-only option given, for the refusal of one without a fleet.
    pub(crate) fn fleet_only_option(&self) -> Option<&'static str> {
        [
            (self.parallel.is_some(), "--parallel"),
            (self.canary.is_some(), "--canary"),
            (self.on_error.is_some(), "--on-error"),
            (self.shard.is_some(), "--shard"),
            (self.create_missing, "--create-missing"),
            (self.busy_timeout.is_some(), "--busy-timeout"),
        ]
        .into_iter()
        .find_map(|(given, name)| given.then_some(name))
    }
}

/// The global options and the subcommand: the whole migration command line. Mount it in an
/// application's own clap command line (see the [module docs](super)) and pass it to
/// [`run`](super::run).
#[derive(Debug, Clone, clap::Args)]
#[non_exhaustive]
pub struct Args {
    /// `--db`, `--json`, `--quiet`.
    #[command(flatten)]
    pub global: GlobalArgs,

    /// What to do; `status` when omitted.
    #[command(subcommand)]
    pub command: Option<Command>,
}

impl Args {
    /// Arguments for running `command` on the database `db` from code, without parsing a
    /// command line.
    ///
    /// ```no_run
    /// use migrate_runtime::cli::{Args, Command};
    ///
    /// static MIGRATIONS: migrate_runtime::Migrations =
    ///     migrate_runtime::embed_migrations!("tests/doc_migrations");
    ///
    /// let code = migrate_runtime::cli::run(&MIGRATIONS, Args::new("app.db", Command::Status));
    /// ```
    pub fn new(db: impl Into<PathBuf>, command: Command) -> Args {
        let global = GlobalArgs {
            db: Some(db.into()),
            ..GlobalArgs::default()
        };
        Args::from_parts(global, Some(command))
    }

    /// The arguments of an application that parsed the [global options](GlobalArgs) and the
    /// [`Command`] in its own command line; `None` runs `status`.
    pub fn from_parts(global: GlobalArgs, command: Option<Command>) -> Args {
        Args { global, command }
    }
}

/// The subcommands.
#[derive(Debug, Clone, Subcommand)]
#[non_exhaustive]
pub enum Command {
    /// Show every migration's state, applied time and duration (the default).
    Status,
    /// Print the highest applied version.
    Version,
    /// Show applied migrations, failed attempts, rollbacks, baselines and repairs.
    History,
    /// Apply pending migrations.
    #[command(visible_aliases = ["run", "up"])]
    Apply(ApplyArgs),
    /// Exit 0 when up to date, 2 when migrations are pending, 1 on drift, an unknown applied
    /// version or an unreadable database.
    Check,
    /// Roll back applied migrations above a version with their down files.
    Rollback {
        /// The version to roll back to (0: everything).
        #[arg(long, value_name = "N")]
        to: i64,
        /// Do not ask for confirmation.
        #[arg(long, short)]
        yes: bool,
    },
    /// Record versions 1..=N as applied without running them, for a database built before;
    /// with `--from TOOL`, the versions another tool applied (from its history table).
    Baseline {
        /// The last version the database already has.
        #[arg(
            value_name = "N",
            required_unless_present = "from",
            conflicts_with = "from"
        )]
        version: Option<i64>,
        /// Take over a database that sqlx, diesel, refinery, prisma or rusqlite-migration
        /// migrated: the versions it recorded, mapped through IMPORTED.toml.
        #[arg(long, value_name = "TOOL")]
        from: Option<crate::import::SourceTool>,
        /// The import map (default: IMPORTED.toml in the migrations directory this binary was
        /// built from).
        #[arg(long, value_name = "PATH", requires = "from")]
        map: Option<PathBuf>,
        /// Do not ask for confirmation.
        #[arg(long, short)]
        yes: bool,
    },
    /// Accept this build's checksums for applied migrations whose files changed.
    Repair {
        /// Do not ask for confirmation.
        #[arg(long, short)]
        yes: bool,
    },
    /// Replace the database with a backup file.
    Restore {
        /// The backup file.
        backup: PathBuf,
        /// Do not ask for confirmation.
        #[arg(long, short)]
        yes: bool,
    },
    /// Create the next-numbered migration file (and its down file).
    New {
        /// What the migration does: `A-Z a-z 0-9 _ -`.
        description: String,
        /// The migrations directory [default: the directory the binary's migrations were
        /// embedded from, when it exists on this machine].
        #[arg(long)]
        dir: Option<PathBuf>,
        /// Also create the `.down.sql` file.
        #[arg(long)]
        down: bool,
    },
    /// Run everything pending in a transaction that is rolled back: a dry run.
    Verify,
    /// Print the schema the embedded migrations build, as SQL (the snapshot file's text);
    /// needs no database.
    Schema {
        /// The schema after this version instead of the last one.
        #[arg(long, value_name = "N")]
        at: Option<i64>,
    },
    /// Import another tool's migrations as numbered files, with IMPORTED.toml.
    Import {
        /// The tool the source set was written for.
        #[arg(long, value_name = "sqlx|diesel|refinery|prisma")]
        from: SourceTool,
        /// The other tool's migrations directory.
        source: PathBuf,
        /// The new (or empty) migrations directory to write [default: the directory the
        /// binary's migrations were embedded from, or the standalone tool's --migrations].
        #[arg(long, value_name = "DIR")]
        to: Option<PathBuf>,
        /// Print the plan without writing anything.
        #[arg(long)]
        dry_run: bool,
    },
}

/// Options of `apply`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ApplyArgs {
    /// Apply up to and including this version only.
    #[arg(long, value_name = "N")]
    pub target: Option<i64>,
    /// Run the pending migrations and roll them back; the database is unchanged.
    #[arg(long)]
    pub dry_run: bool,
    /// Back the database up first (beside it, as `<db>.before-v<version>-<time>`, unless a
    /// path is given).
    #[arg(long, value_name = "PATH", num_args = 0..=1)]
    pub backup: Option<Option<PathBuf>>,
    /// Apply versions missing below the highest applied one (out of order) instead of
    /// refusing (`Runner::allow_holes`).
    #[arg(long)]
    pub allow_holes: bool,
    /// Apply even when the database records versions this build does not know
    /// (`Runner::allow_unknown_applied`).
    #[arg(long)]
    pub allow_unknown: bool,
    /// Retry the failed statement of an incomplete no-transaction migration unchanged, for a
    /// failure that was not the statement's fault (`Runner::retry_failed`).
    #[arg(long)]
    pub retry_failed: bool,
    /// Do not ask for confirmation.
    #[arg(long, short)]
    pub yes: bool,
}
