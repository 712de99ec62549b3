//! The command-line front end (feature `cli`): the application's own binary becomes the
//! operator's tool.
//!
//! A complete tool in one line:
//!
//! ```no_run
//! static MIGRATIONS: migrate_runtime::Migrations =
//!     migrate_runtime::embed_migrations!("tests/doc_migrations");
//!
//! fn main() -> std::process::ExitCode {
//!     migrate_runtime::cli::main(&MIGRATIONS)
//! }
//! ```
//!
//! An application with its own clap command line mounts the same subcommands under its own,
//! as `myapp migrate ...`:
//!
//! ```no_run
//! use clap::{Parser, Subcommand};
//!
//! static MIGRATIONS: migrate_runtime::Migrations =
//!     migrate_runtime::embed_migrations!("tests/doc_migrations");
//!
//! #[derive(Parser)]
//! struct Cli {
//!     #[command(subcommand)]
//!     command: Commands,
//! }
//!
//! #[derive(Subcommand)]
//! enum Commands {
//!     /// Serve the application.
//!     Serve,
//!     /// Manage the database schema.
//!     Migrate(migrate_runtime::cli::Args),
//! }
//!
//! fn main() -> std::process::ExitCode {
//!     match Cli::parse().command {
//!         Commands::Serve => std::process::ExitCode::SUCCESS,
//!         Commands::Migrate(args) => migrate_runtime::cli::run(&MIGRATIONS, args),
//!     }
//! }
//! ```
//!
//! # Subcommands
//!
//! | command | what it does |
//! |---|---|
//! | `status` (the default) | a table of every migration: state, applied time, duration |
//! | `version` | the highest applied version |
//! | `history` | applied migrations, failed attempts, rollbacks, baselines, repairs, oldest first |
//! | `apply` (`run`, `up`) `[--target N] [--dry-run] [--backup [PATH]] [--yes]` | applies pending migrations, one progress line each |
//! | `check` | exit 0 when up to date, 2 when migrations are pending, 1 on drift, an unknown applied version, a hole, a failed no-transaction migration or an unreadable database |
//! | `rollback --to N [--yes]` | runs down files from the newest applied down to N+1 |
//! | `baseline N [--yes]` | records 1..=N as applied without running them |
//! | `repair [--yes]` | accepts this build's checksums for changed applied migrations |
//! | `restore BACKUP [--yes]` | replaces the database with a backup file |
//! | `new DESCRIPTION [--dir migrations] [--down]` | creates the next-numbered migration file(s) |
//! | `verify` | dry run of everything pending: runs it and rolls back; the file is unchanged |
//!
//! Global options: `--db PATH` (or the environment variable `MIGRATE_DB`), `--json`,
//! `--quiet` (`-q`: nothing but errors and the answer of `version`; `check` still sets its
//! exit code).
//!
//! `apply` asks for confirmation when standard input is a terminal, unless `--yes`.
//! `rollback`, `baseline`, `repair` and `restore` ask too, and refuse to run without `--yes`
//! when standard input is not a terminal. Colors are used only when standard output is a
//! terminal and `NO_COLOR` is unset or empty.
//!
//! `status`, `version`, `history` and `check` never create the database file: on a missing
//! file they report every migration pending. `apply` creates it; `verify` and
//! `apply --dry-run` work on an empty in-memory database instead of creating it.
//!
//! # Exit codes
//! 0 on success; 1 on any error (the library's message is printed on standard error), a
//! refused confirmation, and `check`'s failing states; 2 for `check` with pending migrations
//! and for command-line usage errors (clap's convention).
//!
//! # JSON (`--json`)
//! One JSON document on standard output. The shapes of `status`, `version`, `history` and
//! `check` are stable: fields may be added, none removed or changed. Times are UTC ISO 8601
//! with milliseconds; `null` where a value does not apply.
//!
//! `status`:
//! ```json
//! {
//!   "database": "app.db",
//!   "current_version": 2,
//!   "latest_version": 3,
//!   "migrations": [
//!     {
//!       "version": 1,
//!       "name": "create_notes",
//!       "file": "0001_create_notes.sql",
//!       "state": "applied",
//!       "applied_at": "2026-11-21T06:30:00.123Z",
//!       "duration_ms": 3,
//!       "checksum": "sha256:...",
//!       "applied_checksum": "sha256:...",
//!       "has_down": false,
//!       "detail": null,
//!       "error": null
//!     }
//!   ],
//!   "holes": [],
//!   "counts": { "applied": 2, "pending": 1, "drifted": 0, "incomplete": 0, "unknown": 0 }
//! }
//! ```
//! `state` is one of `applied`, `pending`, `drifted`, `incomplete`, `unknown`. Unknown applied
//! versions come after this build's migrations, with `file` and `checksum` `null`.
//!
//! `version`:
//! ```json
//! { "database": "app.db", "current_version": 2, "latest_version": 3 }
//! ```
//!
//! `history`:
//! ```json
//! {
//!   "database": "app.db",
//!   "events": [
//!     {
//!       "id": 1,
//!       "event": "applied",
//!       "version": 1,
//!       "name": "create_notes",
//!       "checksum": "sha256:...",
//!       "at": "2026-11-21T06:30:00.123Z",
//!       "duration_ms": 3,
//!       "detail": null
//!     }
//!   ]
//! }
//! ```
//! `event` is one of `applied`, `failed`, `rolled_back`, `baselined`, `repaired`.
//!
//! `check`:
//! ```json
//! {
//!   "database": "app.db",
//!   "result": "pending",
//!   "exit_code": 2,
//!   "current_version": 2,
//!   "latest_version": 3,
//!   "pending": [3],
//!   "drifted": [],
//!   "unknown": [],
//!   "holes": [],
//!   "incomplete": [],
//!   "message": "1 migration pending (database at version 2 of 3)"
//! }
//! ```
//! `result` is `up_to_date` (exit 0), `pending` (exit 2) or `error` (exit 1). When the
//! database cannot be read, `current_version` is `null`, the lists are empty and `message` is
//! the error.
//!
//! Other commands print a JSON summary of what they did (`apply` and `verify`:
//! `{"database", "dry_run", "applied": [{"version", "name", "file", "duration_ms"}],
//! "not_verified": [{"version", "file"}], "backup", "current_version"}`); those shapes may
//! still change.

use std::fmt::Display;
use std::io::{self, BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{FromArgMatches, Subcommand};
use rusqlite::{Connection, OpenFlags};
use serde::Serialize;
use serde_json::json;

use crate::{BackupTarget, Error, Event, HistoryEntry, MigrationState, Migrations, Report, Status};

/// `println!` that does not panic when standard output is closed (`myapp status | head -1`):
/// nobody is left to read, so the write error is dropped.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

/// `eprintln!` that does not panic when standard error is closed.
macro_rules! say_err {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

/// The global options and the subcommand; mount it in an application's own clap command
/// line (see the [module docs](self)) and pass it to [`run`].
#[derive(Debug, Clone, clap::Args)]
#[non_exhaustive]
pub struct Args {
    /// The SQLite database file.
    #[arg(long, global = true, env = "MIGRATE_DB", value_name = "PATH")]
    pub db: Option<PathBuf>,

    /// Print JSON on standard output (stable shapes for status, version, history, check).
    #[arg(long, global = true)]
    pub json: bool,

    /// Print nothing but errors and the answer of `version` (`check` still sets its exit code).
    #[arg(long, short, global = true)]
    pub quiet: bool,

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
        Args {
            db: Some(db.into()),
            json: false,
            quiet: false,
            command: Some(command),
        }
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
    /// Record versions 1..=N as applied without running them, for a database built before.
    Baseline {
        /// The last version the database already has.
        #[arg(value_name = "N")]
        version: i64,
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
        /// The migrations directory.
        #[arg(long, default_value = "migrations")]
        dir: PathBuf,
        /// Also create the `.down.sql` file.
        #[arg(long)]
        down: bool,
    },
    /// Run everything pending in a transaction that is rolled back: a dry run.
    Verify,
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
    /// Do not ask for confirmation.
    #[arg(long, short)]
    pub yes: bool,
}

/// A complete migration tool over `migrations`: parses the process's arguments and runs the
/// subcommand.
///
/// ```no_run
/// static MIGRATIONS: migrate_runtime::Migrations =
///     migrate_runtime::embed_migrations!("tests/doc_migrations");
///
/// fn main() -> std::process::ExitCode {
///     migrate_runtime::cli::main(&MIGRATIONS)
/// }
/// ```
pub fn main(migrations: &Migrations) -> ExitCode {
    let name = std::env::args_os()
        .next()
        .and_then(|arg0| {
            Path::new(&arg0)
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
        })
        .unwrap_or_else(|| "migrate".to_owned());
    let command = <Args as clap::Args>::augment_args(clap::Command::new("migrate").bin_name(name))
        .about("Apply and inspect the database migrations embedded in this program");
    let args = command
        .try_get_matches()
        .and_then(|matches| Args::from_arg_matches(&matches));
    match args {
        Ok(args) => run(migrations, args),
        Err(e) => {
            let _ = e.print();
            ExitCode::from(if e.use_stderr() { 2 } else { 0 })
        }
    }
}

/// Runs one subcommand; for applications that parse [`Args`] in their own command line.
///
/// ```no_run
/// use clap::Parser;
///
/// static MIGRATIONS: migrate_runtime::Migrations =
///     migrate_runtime::embed_migrations!("tests/doc_migrations");
///
/// #[derive(Parser)]
/// struct Cli {
///     #[command(flatten)]
///     migrate: migrate_runtime::cli::Args,
/// }
///
/// fn main() -> std::process::ExitCode {
///     let mut cli = Cli::parse();
///     cli.migrate.db.get_or_insert_with(|| "app.db".into());
///     migrate_runtime::cli::run(&MIGRATIONS, cli.migrate)
/// }
/// ```
pub fn run(migrations: &Migrations, args: Args) -> ExitCode {
    let ui = Ui::new(args.json, args.quiet);
    let command = args.command.clone().unwrap_or(Command::Status);
    match execute(migrations, &args, &command, &ui) {
        Ok(code) => code,
        Err(failure) => {
            ui.error(&failure);
            ExitCode::FAILURE
        }
    }
}

/// Prints the status table of a database (as the `status` subcommand does), for applications
/// that show it themselves, e.g. after applying at start-up.
///
/// # Errors
/// As [`Migrations::status`].
pub fn print_status(migrations: &Migrations, conn: &Connection) -> Result<(), Error> {
    let status = migrations.status(conn)?;
    let database = conn.path().filter(|p| !p.is_empty()).unwrap_or(":memory:");
    Ui::new(false, false).status_table(database, &status);
    Ok(())
}

/// A progress printer for [`Runner::on_event`](crate::Runner::on_event): one line per
/// migration, as `apply` prints them.
///
/// ```no_run
/// # static MIGRATIONS: migrate_runtime::Migrations =
/// #     migrate_runtime::embed_migrations!("tests/doc_migrations");
/// let mut conn = migrate_runtime::rusqlite::Connection::open("app.db")?;
/// MIGRATIONS
///     .runner()
///     .on_event(migrate_runtime::cli::progress)
///     .run(&mut conn)?;
/// # Ok::<(), migrate_runtime::Error>(())
/// ```
pub fn progress(event: Event<'_>) {
    Ui::new(false, false).progress(event, false);
}

type Failure = String;

fn execute(
    migrations: &Migrations,
    args: &Args,
    command: &Command,
    ui: &Ui,
) -> Result<ExitCode, Failure> {
    if let Command::New {
        description,
        dir,
        down,
    } = command
    {
        return new_migration(description, dir, *down, ui);
    }
    let db = args.db.clone().ok_or_else(|| {
        "no database given: pass --db PATH or set the environment variable MIGRATE_DB".to_owned()
    })?;
    let shown = db.display().to_string();
    match command {
        Command::Status => {
            let status = migrations.status(&open_read(&db)?).map_err(text)?;
            if ui.json {
                #[derive(Serialize)]
                struct Out<'a> {
                    database: &'a str,
                    #[serde(flatten)]
                    status: &'a Status,
                }
                ui.json_out(&Out {
                    database: &shown,
                    status: &status,
                });
            } else if !ui.quiet {
                ui.status_table(&shown, &status);
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Version => {
            let version = migrations.version(&open_read(&db)?).map_err(text)?;
            if ui.json {
                ui.json_out(&json!({
                    "database": shown,
                    "current_version": version,
                    "latest_version": migrations.latest_version(),
                }));
            } else {
                say!("{version}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::History => {
            let events = migrations.history(&open_read(&db)?).map_err(text)?;
            if ui.json {
                ui.json_out(&json!({ "database": shown, "events": events }));
            } else if !ui.quiet {
                ui.history_table(&events);
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Check => Ok(check(migrations, &db, &shown, ui)),
        Command::Verify => {
            let report = dry_run(migrations, &db, None, ui)?;
            ui.report(&shown, &report, migrations, None);
            Ok(ExitCode::SUCCESS)
        }
        Command::Apply(apply_args) => apply(migrations, &db, &shown, apply_args, ui),
        Command::Rollback { to, yes } => {
            let mut conn = open_write(&db, false)?;
            let current = migrations.version(&conn).map_err(text)?;
            if current <= *to {
                ui.say(format_args!(
                    "nothing to roll back: the database is at version {current}"
                ));
            } else {
                confirm(
                    *yes,
                    &format!("roll back {shown} from version {current} to {to}"),
                )?;
            }
            let report = migrations.rollback_to(&mut conn, *to).map_err(text)?;
            for m in &report.rolled_back {
                ui.line(
                    Color::Yellow,
                    "rolled back",
                    format_args!("{} ({})", m.file, ms(m.duration)),
                );
            }
            if ui.json {
                let rolled_back: Vec<_> = report.rolled_back.iter().map(migration_json).collect();
                ui.json_out(&json!({"database": shown, "rolled_back": rolled_back, "current_version": report.version}));
            } else if !report.rolled_back.is_empty() {
                ui.say(format_args!(
                    "rolled back {} migration{}; the database is at version {}",
                    report.rolled_back.len(),
                    plural(report.rolled_back.len()),
                    report.version
                ));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Baseline { version, yes } => {
            let mut conn = open_write(&db, false)?;
            confirm(
                *yes,
                &format!(
                    "record versions 1 to {version} of {shown} as applied without running them"
                ),
            )?;
            migrations.baseline(&mut conn, *version).map_err(text)?;
            if ui.json {
                ui.json_out(
                    &json!({"database": shown, "baselined": version, "current_version": version}),
                );
            } else {
                ui.say(format_args!(
                    "recorded versions 1 to {version} as applied; the database is at version {version}"
                ));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Repair { yes } => {
            let mut conn = open_write(&db, false)?;
            confirm(
                *yes,
                &format!("accept this build's checksums for the changed migrations of {shown}"),
            )?;
            let report = migrations.repair(&mut conn).map_err(text)?;
            if ui.json {
                let accepted: Vec<_> = report
                    .accepted
                    .iter()
                    .map(|d| json!({"version": d.migration.version, "file": d.migration.file, "applied_checksum": d.applied, "checksum": d.embedded.to_string()}))
                    .collect();
                let recorded: Vec<_> = report
                    .recorded
                    .iter()
                    .map(|m| json!({"version": m.version, "file": m.file}))
                    .collect();
                ui.json_out(
                    &json!({"database": shown, "accepted": accepted, "recorded": recorded}),
                );
            } else if report.is_empty() {
                ui.say(format_args!("nothing to repair"));
            } else {
                for d in &report.accepted {
                    ui.line(
                        Color::Yellow,
                        "repaired",
                        format_args!(
                            "{}: accepted {} (was {})",
                            d.migration.file, d.embedded, d.applied
                        ),
                    );
                }
                for m in &report.recorded {
                    ui.line(
                        Color::Yellow,
                        "repaired",
                        format_args!("{}: recorded as applied", m.file),
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Restore { backup, yes } => {
            if !backup.is_file() {
                return Err(format!("`{}`: no such backup file", backup.display()));
            }
            confirm(
                *yes,
                &format!("replace {shown} with the backup {}", backup.display()),
            )?;
            let mut conn = open_write(&db, true)?;
            crate::restore_backup(&mut conn, backup).map_err(text)?;
            let version = migrations.version(&conn).map_err(text)?;
            if ui.json {
                ui.json_out(&json!({"database": shown, "restored_from": backup.display().to_string(), "current_version": version}));
            } else {
                ui.say(format_args!(
                    "restored {shown} from {}; the database is at version {version}",
                    backup.display()
                ));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::New { .. } => unreachable!("handled above"),
    }
}

fn apply(
    migrations: &Migrations,
    db: &Path,
    shown: &str,
    args: &ApplyArgs,
    ui: &Ui,
) -> Result<ExitCode, Failure> {
    if args.dry_run {
        let report = dry_run(migrations, db, args.target, ui)?;
        ui.report(shown, &report, migrations, None);
        return Ok(ExitCode::SUCCESS);
    }
    let mut conn = open_write(db, true)?;
    if !args.yes && io::stdin().is_terminal() {
        let status = migrations.status(&conn).map_err(text)?;
        let target = args.target.unwrap_or(migrations.latest_version());
        let pending = status
            .migrations
            .iter()
            .filter(|m| {
                matches!(
                    m.state,
                    MigrationState::Pending | MigrationState::Incomplete
                ) && m.version <= target
            })
            .count();
        if pending > 0 {
            ask(&format!(
                "apply {pending} migration{} to {shown} (version {} to {})?",
                plural(pending),
                status.current_version,
                target.min(migrations.latest_version())
            ))?;
        }
    }
    let mut runner = migrations
        .runner()
        .on_event(|event| ui.progress(event, false));
    if let Some(target) = args.target {
        runner = runner.target(target);
    }
    if let Some(backup) = &args.backup {
        runner = runner.backup(match backup {
            Some(path) => BackupTarget::Path(path.clone()),
            None => BackupTarget::Beside,
        });
    }
    let report = runner.run(&mut conn).map_err(text)?;
    let version = migrations.version(&conn).map_err(text)?;
    ui.report(shown, &report, migrations, Some(version));
    Ok(ExitCode::SUCCESS)
}

fn dry_run(
    migrations: &Migrations,
    db: &Path,
    target: Option<i64>,
    ui: &Ui,
) -> Result<Report, Failure> {
    // A dry run never creates the file: on a missing one, an empty database is the same.
    let mut conn = if db.exists() {
        open_write(db, false)?
    } else {
        open_read(db)?
    };
    let mut runner = migrations
        .runner()
        .dry_run(true)
        .on_event(|event| ui.progress(event, true));
    if let Some(target) = target {
        runner = runner.target(target);
    }
    runner.run(&mut conn).map_err(text)
}

fn check(migrations: &Migrations, db: &Path, shown: &str, ui: &Ui) -> ExitCode {
    let status = open_read(db).and_then(|conn| migrations.status(&conn).map_err(text));
    let status = match status {
        Ok(status) => status,
        Err(message) => {
            if ui.json {
                ui.json_out(&json!({
                    "database": shown, "result": "error", "exit_code": 1,
                    "current_version": null, "latest_version": migrations.latest_version(),
                    "pending": [], "drifted": [], "unknown": [], "holes": [], "incomplete": [],
                    "message": message,
                }));
            } else {
                ui.error(&message);
            }
            return ExitCode::FAILURE;
        }
    };
    let versions = |state| {
        status
            .in_state(state)
            .map(|m| m.version)
            .collect::<Vec<_>>()
    };
    let (pending, drifted, unknown, incomplete) = (
        versions(MigrationState::Pending),
        versions(MigrationState::Drifted),
        versions(MigrationState::Unknown),
        versions(MigrationState::Incomplete),
    );
    let failed: Vec<String> = status
        .in_state(MigrationState::Incomplete)
        .filter(|m| m.error.is_some())
        .map(|m| {
            format!(
                "migration {} is incomplete: {}",
                m.version,
                m.detail.as_deref().unwrap_or("")
            )
        })
        .collect();
    let mut problems = Vec::new();
    if !drifted.is_empty() {
        problems.push(format!("drift in {}", list(&drifted)));
    }
    if !unknown.is_empty() {
        problems.push(format!(
            "applied version{} {} unknown to this build (the database is ahead of the code)",
            plural(unknown.len()),
            list(&unknown)
        ));
    }
    if !status.holes.is_empty() {
        problems.push(format!(
            "version{} {} not applied while later versions are",
            plural(status.holes.len()),
            list(&status.holes)
        ));
    }
    problems.extend(failed);
    let waiting = pending.len() + incomplete.len();
    let (result, code, message) = if !problems.is_empty() {
        ("error", 1u8, problems.join("; "))
    } else if waiting > 0 {
        (
            "pending",
            2,
            format!(
                "{waiting} migration{} pending (database at version {} of {})",
                plural(waiting),
                status.current_version,
                status.latest_version
            ),
        )
    } else {
        (
            "up_to_date",
            0,
            format!("up to date at version {}", status.current_version),
        )
    };
    if ui.json {
        ui.json_out(&json!({
            "database": shown, "result": result, "exit_code": code,
            "current_version": status.current_version, "latest_version": status.latest_version,
            "pending": pending, "drifted": drifted, "unknown": unknown, "holes": status.holes,
            "incomplete": incomplete, "message": message,
        }));
    } else if code == 1 {
        ui.error(&message);
    } else {
        ui.say(format_args!("{message}"));
    }
    ExitCode::from(code)
}

fn new_migration(description: &str, dir: &Path, down: bool, ui: &Ui) -> Result<ExitCode, Failure> {
    migrate_rules::name::validate_description(description)
        .map_err(|e| format!("invalid description `{description}`: {e}"))?;
    let mut highest = 0i64;
    let mut width = 4usize;
    match std::fs::read_dir(dir) {
        Ok(entries) => {
            for entry in entries {
                let entry = entry.map_err(|e| format!("`{}`: {e}", dir.display()))?;
                let file = entry.file_name();
                let Some(file) = file.to_str() else { continue };
                if !migrate_rules::name::is_migration_candidate(file) {
                    continue;
                }
                if let Ok(name) = migrate_rules::name::parse_file_name(file)
                    && name.version > highest
                {
                    highest = name.version;
                    width = name.version_digits.len();
                }
            }
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            std::fs::create_dir_all(dir).map_err(|e| format!("`{}`: {e}", dir.display()))?;
        }
        Err(e) => return Err(format!("`{}`: {e}", dir.display())),
    }
    let version = highest
        .checked_add(1)
        .ok_or_else(|| "no version is left after the highest one".to_owned())?;
    let stem = format!("{version:0width$}_{description}");
    let mut files = vec![(
        dir.join(format!("{stem}.sql")),
        format!(
            "-- Migration {version}: {description}.\n-- Write its SQL here; a file without a statement does not build.\n"
        ),
    )];
    if down {
        files.push((
            dir.join(format!("{stem}.down.sql")),
            format!("-- Reverts migration {version} ({stem}.sql).\n"),
        ));
    }
    for (path, _) in &files {
        if path.exists() {
            return Err(format!("`{}` already exists", path.display()));
        }
    }
    for (path, contents) in &files {
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
            .and_then(|mut f| f.write_all(contents.as_bytes()))
            .map_err(|e| format!("`{}`: {e}", path.display()))?;
    }
    let created: Vec<String> = files.iter().map(|(p, _)| p.display().to_string()).collect();
    if ui.json {
        ui.json_out(&json!({ "version": version, "created": created }));
    } else {
        for path in &created {
            ui.line(Color::Green, "created", format_args!("{path}"));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Opens for reading; a missing file reads as an empty database and is not created.
fn open_read(db: &Path) -> Result<Connection, Failure> {
    if !db.exists() {
        return Connection::open_in_memory().map_err(|e| text(Error::Sqlite(e)));
    }
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_URI
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(db, flags)
        .or_else(|_| {
            Connection::open_with_flags(
                db,
                OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )
        })
        .map_err(|e| format!("cannot open `{}`: {e}", db.display()))?;
    prepare(conn, db)
}

/// Opens for writing, creating the file only when `create` is set.
fn open_write(db: &Path, create: bool) -> Result<Connection, Failure> {
    if !create && !db.exists() {
        return Err(format!("`{}`: no such database file", db.display()));
    }
    let conn = Connection::open(db).map_err(|e| format!("cannot open `{}`: {e}", db.display()))?;
    prepare(conn, db)
}

fn prepare(conn: Connection, db: &Path) -> Result<Connection, Failure> {
    conn.busy_timeout(Duration::from_secs(5))
        .and_then(|()| conn.pragma_update(None, "foreign_keys", true))
        .map_err(|e| format!("cannot open `{}`: {e}", db.display()))?;
    Ok(conn)
}

/// Proceeds with `--yes`; otherwise asks on a terminal and refuses without one.
fn confirm(yes: bool, action: &str) -> Result<(), Failure> {
    if yes {
        return Ok(());
    }
    if !io::stdin().is_terminal() {
        return Err(format!(
            "refusing to {action} without confirmation: standard input is not a terminal; pass --yes"
        ));
    }
    ask(&format!("{action}?"))
}

fn ask(question: &str) -> Result<(), Failure> {
    let mut stderr = io::stderr().lock();
    let _ = write!(stderr, "{question} [y/N] ");
    let _ = stderr.flush();
    let mut answer = String::new();
    io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| format!("cannot read the answer: {e}"))?;
    if matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes") {
        Ok(())
    } else {
        Err("aborted: nothing was changed".to_owned())
    }
}

fn text(error: Error) -> Failure {
    error.to_string()
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn list(versions: &[i64]) -> String {
    versions
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn ms(duration: Duration) -> String {
    let millis = duration.as_secs_f64() * 1000.0;
    if millis < 10.0 {
        format!("{millis:.1} ms")
    } else {
        format!("{millis:.0} ms")
    }
}

#[derive(Clone, Copy)]
enum Color {
    Green,
    Yellow,
    Red,
    Dim,
}

/// Output settings: JSON, quiet, color.
struct Ui {
    json: bool,
    quiet: bool,
    color: bool,
}

impl Ui {
    fn new(json: bool, quiet: bool) -> Self {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Ui {
            json,
            quiet,
            color: !no_color && io::stdout().is_terminal(),
        }
    }

    fn paint(&self, color: Color, text: &str) -> String {
        if !self.color {
            return text.to_owned();
        }
        let code = match color {
            Color::Green => "32",
            Color::Yellow => "33",
            Color::Red => "31",
            Color::Dim => "2",
        };
        format!("\x1b[{code}m{text}\x1b[0m")
    }

    /// A human line, unless quiet or JSON.
    fn say(&self, line: impl Display) {
        if !self.quiet && !self.json {
            say!("{line}");
        }
    }

    /// A human line with a colored verb.
    fn line(&self, color: Color, verb: &str, rest: impl Display) {
        if !self.quiet && !self.json {
            say!("{} {rest}", self.paint(color, &format!("{verb:>11}")));
        }
    }

    fn error(&self, message: &str) {
        let prefix = if io::stderr().is_terminal() && self.color {
            "\x1b[31merror\x1b[0m"
        } else {
            "error"
        };
        say_err!("{prefix}: {message}");
    }

    fn json_out(&self, value: &impl Serialize) {
        match serde_json::to_string_pretty(value) {
            Ok(text) => say!("{text}"),
            Err(e) => say_err!("error: cannot write JSON: {e}"),
        }
    }

    fn progress(&self, event: Event<'_>, dry_run: bool) {
        match event {
            Event::Finished(m, duration) if dry_run => self.line(
                Color::Green,
                "ok",
                format_args!("{} ({}, rolled back)", m.file_name(), ms(duration)),
            ),
            Event::Finished(m, duration) => self.line(
                Color::Green,
                "applied",
                format_args!("{} ({})", m.file_name(), ms(duration)),
            ),
            Event::NotVerifiable(m) => self.line(
                Color::Yellow,
                "not checked",
                format_args!(
                    "{}: runs outside a transaction, so a dry run stops before it",
                    m.file_name()
                ),
            ),
            _ => {}
        }
    }

    fn report(&self, shown: &str, report: &Report, migrations: &Migrations, version: Option<i64>) {
        if self.json {
            let applied: Vec<_> = report.applied.iter().map(migration_json).collect();
            let not_verified: Vec<_> = report
                .not_verified
                .iter()
                .map(|m| json!({"version": m.version, "file": m.file}))
                .collect();
            self.json_out(&json!({
                "database": shown, "dry_run": report.dry_run, "applied": applied,
                "not_verified": not_verified,
                "backup": report.backup.as_ref().map(|p| p.display().to_string()),
                "current_version": version,
            }));
            return;
        }
        if let Some(backup) = &report.backup {
            self.say(format_args!("backup written to {}", backup.display()));
        }
        let n = report.applied.len();
        if report.dry_run {
            if n == 0 && report.not_verified.is_empty() {
                self.say("dry run: nothing pending");
            } else {
                self.say(format_args!(
                    "dry run: {n} migration{} ran and {} rolled back; nothing was changed{}",
                    plural(n),
                    if n == 1 { "was" } else { "were" },
                    if report.not_verified.is_empty() {
                        String::new()
                    } else {
                        format!(
                            " ({} not checked: {})",
                            report.not_verified.len(),
                            report
                                .not_verified
                                .iter()
                                .map(|m| m.file.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    }
                ));
            }
        } else {
            let version = version.unwrap_or_default();
            if n == 0 {
                self.say(format_args!(
                    "nothing to apply: the database is at version {version} of {}",
                    migrations.latest_version()
                ));
            } else {
                self.say(format_args!(
                    "applied {n} migration{}; the database is at version {version} of {}",
                    plural(n),
                    migrations.latest_version()
                ));
            }
        }
    }

    fn status_table(&self, database: &str, status: &Status) {
        let c = status.counts;
        let mut summary = vec![format!("{} applied", c.applied)];
        for (n, what) in [
            (c.pending, "pending"),
            (c.drifted, "drifted"),
            (c.incomplete, "incomplete"),
            (c.unknown, "unknown"),
        ] {
            if n > 0 {
                summary.push(format!("{n} {what}"));
            }
        }
        say!(
            "{database}: version {} of {} ({})",
            status.current_version,
            status.latest_version,
            summary.join(", ")
        );
        let rows: Vec<[String; 5]> = status
            .migrations
            .iter()
            .map(|m| {
                [
                    m.version.to_string(),
                    m.file
                        .clone()
                        .unwrap_or_else(|| format!("{} (unknown)", m.name)),
                    m.state.as_str().to_owned(),
                    m.applied_at.clone().unwrap_or_else(|| "-".to_owned()),
                    m.duration_ms
                        .map_or_else(|| "-".to_owned(), |d| format!("{d} ms")),
                ]
            })
            .collect();
        let header = ["VERSION", "MIGRATION", "STATE", "APPLIED AT", "DURATION"];
        let mut widths = header.map(str::len);
        for row in &rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let pad = |text: &str, width: usize| format!("{text:<width$}");
        say!(
            "{}",
            self.paint(
                Color::Dim,
                header
                    .iter()
                    .zip(widths)
                    .map(|(h, w)| pad(h, w))
                    .collect::<Vec<_>>()
                    .join("  ")
                    .trim_end()
            )
        );
        for (row, m) in rows.iter().zip(&status.migrations) {
            let color = match m.state {
                MigrationState::Applied => Color::Green,
                MigrationState::Pending => Color::Yellow,
                _ => Color::Red,
            };
            let cells: Vec<String> = row
                .iter()
                .zip(widths)
                .enumerate()
                .map(|(i, (cell, w))| {
                    let padded = pad(cell, w);
                    if i == 2 {
                        self.paint(color, &padded)
                    } else {
                        padded
                    }
                })
                .collect();
            say!("{}", cells.join("  ").trim_end());
        }
        for m in &status.migrations {
            match m.state {
                MigrationState::Drifted => say!(
                    "  migration {} changed since it was applied: recorded {}, file {}",
                    m.version,
                    m.applied_checksum.as_deref().unwrap_or("-"),
                    m.checksum.as_deref().unwrap_or("-")
                ),
                MigrationState::Incomplete => say!(
                    "  migration {} is incomplete: {}",
                    m.version,
                    m.detail.as_deref().unwrap_or("-")
                ),
                _ => {}
            }
        }
        if !status.holes.is_empty() {
            say!(
                "  not applied while later versions are: {}",
                list(&status.holes)
            );
        }
    }

    fn history_table(&self, events: &[HistoryEntry]) {
        if events.is_empty() {
            say!("no history: the database was never migrated");
            return;
        }
        for e in events {
            let color = match e.event.as_str() {
                "applied" | "baselined" => Color::Green,
                "failed" => Color::Red,
                _ => Color::Yellow,
            };
            let mut line = format!(
                "{}  {}",
                e.at,
                self.paint(color, &format!("{:<11}", e.event.as_str()))
            );
            if let Some(version) = e.version {
                line.push_str(&format!("  {version}"));
            }
            if let Some(name) = &e.name {
                line.push_str(&format!(" {name}"));
            }
            if let Some(d) = e.duration_ms {
                line.push_str(&format!(" ({d} ms)"));
            }
            if let Some(detail) = &e.detail {
                line.push_str(&format!(": {detail}"));
            }
            say!("{line}");
        }
    }
}

/// One applied or rolled-back migration in `--json` output.
fn migration_json(m: &crate::AppliedMigration) -> serde_json::Value {
    json!({"version": m.version, "name": m.name, "file": m.file, "duration_ms": m.duration.as_millis() as u64})
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        #[derive(clap::Parser)]
        struct Tool {
            #[command(flatten)]
            args: Args,
        }
        Tool::command().debug_assert();
    }
}
