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
//! as `myapp migrate ...`. Its `#[derive(Parser)]` needs clap in its own `Cargo.toml`, with the
//! derive feature: `clap = { version = "4", features = ["derive"] }` (the derive macros name
//! `clap::` paths, which a re-export cannot provide):
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
//! To have `--db`, `--json` and `--quiet` at the application's top level as well (`myapp
//! --db app.db status`), flatten [`GlobalArgs`] into its command line; its example mounts the
//! subcommands that way.
//!
//! # Subcommands
//!
//! | command | what it does |
//! |---|---|
//! | `status` (the default) | a table of every migration: state, applied time, duration |
//! | `version` | the highest applied version |
//! | `history` | applied migrations, failed attempts, rollbacks, baselines, repairs, oldest first |
//! | `apply` (`run`, `up`) `[--target N] [--dry-run] [--backup [PATH]] [--yes]` | applies pending migrations, one progress line each; over many databases with `--each` (see [Fleets](#fleets)) |
//! | `check` | exit 0 when up to date, 2 when migrations are pending, 1 on drift, an unknown applied version, a hole, a failed no-transaction migration or an unreadable database |
//! | `rollback --to N [--yes]` | runs down files from the newest applied down to N+1 |
//! | `baseline N [--yes]` | records 1..=N as applied without running them |
//! | `baseline --from TOOL [--map PATH] [--yes]` | takes over a database sqlx, diesel, refinery, prisma or rusqlite-migration migrated: records the versions it applied (mapped through `IMPORTED.toml`, by default the one in the migrations directory) without running them, after checking them; the tool's table stays |
//! | `repair [--yes]` | accepts this build's checksums for changed applied migrations |
//! | `restore BACKUP [--yes]` | replaces the database with a backup file |
//! | `new DESCRIPTION [--dir migrations] [--down]` | creates the next-numbered migration file(s) |
//! | `verify` | dry run of everything pending: runs it and rolls back; the file is unchanged |
//! | `schema [--at N]` | prints the schema the embedded set builds (or builds at version N), byte for byte the `schema = "..."` snapshot file; needs no database; exit 1 when a migration fails verification |
//! | `import --from sqlx\|diesel\|refinery\|prisma SOURCE [--to DIR] [--dry-run]` | another tool's migrations as numbered files with `IMPORTED.toml` (see [`crate::import`]); `--to` defaults to the embedded set's directory, which must then be empty; exit 1 when any source migration is refused (each listed with its rule), nothing written; needs no database |
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
//! with milliseconds; `null` where a value does not apply. Keys come in the order shown
//! (those of `status` in the order of the library's report, the others alphabetically, as
//! they always have); read them by key all the same.
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
//! { "current_version": 2, "database": "app.db", "latest_version": 3 }
//! ```
//!
//! `history`:
//! ```json
//! {
//!   "database": "app.db",
//!   "events": [
//!     {
//!       "at": "2026-11-21T06:30:00.123Z",
//!       "checksum": "sha256:...",
//!       "detail": null,
//!       "duration_ms": 3,
//!       "event": "applied",
//!       "id": 1,
//!       "name": "create_notes",
//!       "version": 1
//!     }
//!   ]
//! }
//! ```
//! `event` is one of `applied`, `failed`, `rolled_back`, `baselined`, `repaired`.
//!
//! `check`:
//! ```json
//! {
//!   "current_version": 2,
//!   "database": "app.db",
//!   "drifted": [],
//!   "exit_code": 2,
//!   "holes": [],
//!   "incomplete": [],
//!   "latest_version": 3,
//!   "message": "1 migration pending (database at version 2 of 3)",
//!   "pending": [3],
//!   "result": "pending",
//!   "unknown": []
//! }
//! ```
//! `result` is `up_to_date` (exit 0), `pending` (exit 2) or `error` (exit 1). When the
//! database cannot be read, `current_version` is `null`, the lists are empty and `message` is
//! the error.
//!
//! Other commands print a JSON summary of what they did (`apply` and `verify`:
//! `{"applied": [{"duration_ms", "file", "name", "version"}], "backup", "current_version",
//! "database", "dry_run", "not_verified": [{"file", "version"}]}`; `baseline --from`:
//! `{"database", "from", "baselined": [1, 2, 3], "verified": [1, 2, 3], "migrations":
//! [{"version", "file", "source", "verification"}], "ignored", "kept_table",
//! "current_version"}`); those shapes may still change. A subcommand that fails prints `{"error", "message", ...}` instead (see the
//! README's "Operations and the command line").
//!
//! # Fleets
//!
//! `apply`, `verify`, `status` and `check` also work on many database files at once (one per
//! tenant, user or device), through [`Migrations::fleet`](crate::Migrations::fleet):
//!
//! | option | meaning |
//! |---|---|
//! | `--each GLOB` | every file matching the pattern (quote it); `-journal`, `-wal`, `-shm` and `.migrate-lock` files and directories are left out |
//! | `--each-from FILE` | one path per line (blank lines skipped); `-` reads standard input |
//! | `--parallel N` | databases worked on at once (default: the number of cores) |
//! | `--canary K` | the first K databases first; if one fails, nothing else starts |
//! | `--on-error continue\|stop` | after a failure, go on (default) or start nothing new (what is in flight finishes) |
//! | `--shard I/N` | only share I of N (1-based), by a hash of each path as given: N jobs or machines each take their own; overlapping shards are still safe |
//! | `--create-missing` | create database files that do not exist (by default a missing file fails that database) |
//! | `--busy-timeout MS` | how long to wait for another connection's lock (default 5000) |
//!
//! With `--each` or `--each-from`, `--db` (and `MIGRATE_DB`) is ignored. A database that
//! fails (missing, corrupt, read-only, locked past the busy timeout, a failing migration) is
//! one failed database; each keeps the atomicity of a single `apply`: never half-migrated.
//!
//! - `apply --each ...` (and `verify`, `apply --dry-run`): a progress bar on standard error
//!   when it is a terminal (done, failed, rate, ETA), otherwise one line per database on
//!   standard output; then a summary. `apply --each` asks for confirmation on a terminal
//!   unless `--yes`; `--backup` (without a path) writes a backup beside each database.
//! - `status --each ...`: how many databases are at each version, pending and failed, and
//!   the paths of the failures. Reads only; creates nothing.
//! - `check --each ...`: reads only, like `status`.
//!
//! Exit codes: `apply`, `verify` and `status` exit 1 when any database failed (or was not
//! started after a failure), else 0. `check` exits 0 when every database is up to date, 2
//! when any has pending migrations and none failed, 1 when any failed or drifted (drift,
//! unknown versions, holes and a failed no-transaction migration are failures).
//!
//! `--json` prints one JSON object per database, on its own line, as each database
//! finishes (so not in the order given), then one summary line:
//! ```json
//! {"database":"tenants/a.db","status":"applied","from":3,"to":7,"applied":[{"version":4,"duration_ms":2}],"pending":0,"not_verified":[],"elapsed_ms":12,"error":null}
//! {"database":"tenants/b.db","status":"failed","from":null,"to":null,"applied":[],"pending":0,"not_verified":[],"elapsed_ms":0,"error":{"kind":"not_a_database","message":"`tenants/b.db` is not an SQLite database","sqlite_code":null}}
//! {"summary":{"command":"apply","databases":2,"succeeded":1,"applied":1,"up_to_date":0,"pending":0,"failed":1,"skipped":0,"migrations_applied":4,"migrations_pending":0,"latest_version":7,"versions":{"7":1},"failures":["tenants/b.db"],"canary_failed":false,"stopped":false,"elapsed_ms":14,"exit_code":1}}
//! ```
//! `status` is `applied`, `up_to_date`, `pending` (`status`/`check`), `failed` or `skipped`
//! (not started because the fleet stopped). `from` and `to` are the versions before and
//! after (`null` when unreadable; after a dry run `to` is `from`; for `status`/`check`, `to`
//! is the version the database would reach and `pending` how many migrations wait).
//! `applied` lists what committed (after a failure: what committed before it). `error.kind`
//! names the library's [`Error`] variant in snake case (`statement`, `foreign_keys`, `drift`,
//! `unknown_applied`, `holes`, `incomplete`, `locked`, `no_such_database`,
//! `not_a_database`, `read_only`, `sqlite`, ...). In the summary, `versions` counts the
//! databases at each version (keys are versions, as strings) and `exit_code` is the
//! process's exit code. These shapes are stable in the same way as the others: fields may
//! be added, none removed or changed; fields come in the order shown.

// Imports go one way: `commands` uses the other modules, which use only the library's public
// API; `args` describes the command line and knows nothing that runs it.
mod args; // the clap types
mod commands; // one function per subcommand
mod error; // CliError: why a subcommand failed, and its exit code
mod fleet_output; // a fleet's progress bar, lines and summary
mod output; // colours, tables, progress lines

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::FromArgMatches;
use rusqlite::Connection;

use crate::{Error, Event, Migrations};

pub use self::args::{ApplyArgs, Args, Command, FleetArgs, GlobalArgs};
use self::error::CliError;
use self::output::Ui;

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
    let command = <Args as clap::Args>::augment_args(base_command())
        .about("Apply and inspect the database migrations embedded in this program");
    match parse(command, Args::from_arg_matches) {
        Ok(args) => run(migrations, args),
        Err(code) => code,
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
///     cli.migrate.global.db.get_or_insert_with(|| "app.db".into());
///     migrate_runtime::cli::run(&MIGRATIONS, cli.migrate)
/// }
/// ```
pub fn run(migrations: &Migrations, args: Args) -> ExitCode {
    let Args { global, command } = args;
    let ui = Ui::new(global.json, global.quiet);
    let command = command.unwrap_or(Command::Status);
    let result = if global.fleet.is_fleet() {
        commands::execute_fleet(migrations, &global.fleet, command, &ui)
    } else if let Some(option) = global.fleet.fleet_only_option() {
        Err(CliError::FleetOptionAlone(option))
    } else {
        commands::execute(migrations, global.db.as_deref(), command, &ui)
    };
    finish(result, &ui)
}

/// The exit code of a subcommand, after printing its failure.
fn finish(result: Result<ExitCode, CliError>, ui: &Ui) -> ExitCode {
    match result {
        Ok(code) => code,
        Err(error) => {
            // Under `--json`, standard output always holds one document: the error's, on one
            // line (a fleet's output is JSON lines).
            if ui.json {
                ui.json_line(&error.document());
            }
            ui.error(&error.to_string());
            error.exit_code()
        }
    }
}

/// The standalone `migrate` binary (`cargo install migrate-runtime --features cli,bundled`):
/// the same subcommands without an application. `import` needs no migration set, so a
/// project coming from another tool can start with it; every other subcommand reads the set
/// from `--migrations DIR` (or `MIGRATE_MIGRATIONS`) at run time, with
/// [`Migrations::from_dir`], and is refused without it.
///
/// ```no_run
/// fn main() -> std::process::ExitCode {
///     migrate_runtime::cli::standalone_main()
/// }
/// ```
pub fn standalone_main() -> ExitCode {
    let migrations = clap::Arg::new("migrations")
        .long("migrations")
        .global(true)
        .env("MIGRATE_MIGRATIONS")
        .value_name("DIR")
        .value_parser(clap::value_parser!(PathBuf))
        .help("The migrations directory, read at run time (import: the default --to)");
    let command = <Args as clap::Args>::augment_args(base_command().arg(migrations))
        .about("Apply and inspect SQL migrations; import another tool's migrations");
    let parsed = parse(command, |matches| {
        let dir = matches.get_one::<PathBuf>("migrations").cloned();
        Args::from_arg_matches(matches).map(|args| (dir, args))
    });
    match parsed {
        Ok((dir, args)) => run_standalone(dir.as_deref(), args),
        Err(code) => code,
    }
}

/// [`standalone_main`] after parsing.
fn run_standalone(migrations_dir: Option<&Path>, args: Args) -> ExitCode {
    let ui = Ui::new(args.global.json, args.global.quiet);
    let result = match (&args.command, migrations_dir) {
        (
            Some(Command::Import {
                from,
                source,
                to,
                dry_run,
            }),
            dir,
        ) => commands::import_without_set(dir, *from, source, to.as_deref(), *dry_run, &ui),
        (_, Some(dir)) => match Migrations::from_dir(dir) {
            Ok(migrations) => return run(&migrations, args),
            Err(error) => Err(error.into()),
        },
        (command, None) => Err(CliError::NoSet(
            command.as_ref().map_or("status", commands::name),
        )),
    };
    finish(result, &ui)
}

/// The command [`main`] and [`standalone_main`] add their arguments to.
fn base_command() -> clap::Command {
    clap::Command::new("migrate").bin_name(program_name())
}

/// The process's arguments parsed by `command` and read by `read`; on a usage error, `--help`
/// or `--version`, clap's text is printed and the exit code returned (2 for an error, else 0).
fn parse<T>(
    command: clap::Command,
    read: impl FnOnce(&clap::ArgMatches) -> Result<T, clap::Error>,
) -> Result<T, ExitCode> {
    command
        .try_get_matches()
        .and_then(|matches| read(&matches))
        .map_err(|e| {
            let _ = e.print();
            ExitCode::from(if e.use_stderr() { 2 } else { 0 })
        })
}

/// The name the program was started as, for usage lines.
fn program_name() -> String {
    std::env::args_os()
        .next()
        .and_then(|arg0| {
            Path::new(&arg0)
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
        })
        .unwrap_or_else(|| "migrate".to_owned())
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

#[cfg(test)]
mod tests {
    use clap::{CommandFactory, Parser, Subcommand};

    use super::*;

    #[test]
    fn the_command_line_is_consistent() {
        #[derive(Parser)]
        struct Tool {
            #[command(flatten)]
            args: Args,
        }
        Tool::command().debug_assert();
    }

    /// An application with the global options at its own top level, and the subcommands both
    /// there and under `migrate`, as the demo mounts them.
    #[derive(Parser)]
    struct App {
        #[command(flatten)]
        global: GlobalArgs,
        #[command(subcommand)]
        command: Option<AppCommand>,
    }

    #[derive(Subcommand)]
    enum AppCommand {
        Migrate {
            #[command(subcommand)]
            command: Option<Command>,
        },
        #[command(flatten)]
        Tool(Command),
    }

    #[test]
    fn global_options_flatten_into_an_application() {
        App::command().debug_assert();
        for line in [
            "app --db x.db --json status",
            "app status --db x.db --json",
            "app migrate --json status --db x.db",
            "app --json migrate --db x.db",
        ] {
            let app = App::try_parse_from(line.split(' ')).unwrap();
            assert_eq!(app.global.db.as_deref(), Some(Path::new("x.db")), "{line}");
            assert!(app.global.json && !app.global.quiet, "{line}");
            let command = match app.command {
                Some(AppCommand::Migrate { command }) => command,
                Some(AppCommand::Tool(command)) => Some(command),
                None => None,
            };
            let args = Args::from_parts(app.global, command);
            assert!(
                matches!(args.command, Some(Command::Status) | None),
                "{line}"
            );
        }
    }
}
