//! The subcommands: each one opens the database the way it needs, calls the library, and
//! prints a human summary or its `--json` document.
//!
//! Reading commands (`status`, `version`, `history`, `check`, `verify`) never create the
//! database file; `apply` and `restore` create it; `rollback`, `baseline` and `repair` change an
//! existing file only; `new`, `schema` and `import` open no database at all (`schema` applies the set to
//! a private in-memory one). Everything that changes a database but `apply` asks first.
//!
//! Each subcommand module uses `database` and `prompt` beside it, never this dispatcher.

mod apply;
mod database;
mod fleet;
mod import;
mod new;
mod prompt;
mod read;
mod schema;
mod takeover;
mod write;

use std::path::Path;
use std::process::ExitCode;

use self::database::Database;
use crate::Migrations;
use crate::cli::args::{Command, FleetArgs};
use crate::cli::error::CliError;
use crate::cli::output::Ui;
use crate::import::SourceTool;

/// Runs `command` on the database `db` (`--db`); only `new` and `schema` need none.
pub(crate) fn execute(
    migrations: &Migrations,
    db: Option<&Path>,
    command: Command,
    ui: &Ui,
) -> Result<ExitCode, CliError> {
    let db = || Database::new(db);
    match command {
        Command::Status => read::status(migrations, &db()?, ui),
        Command::Version => read::version(migrations, &db()?, ui),
        Command::History => read::history(migrations, &db()?, ui),
        Command::Check => Ok(read::check(migrations, &db()?, ui)),
        Command::Verify => apply::verify(migrations, &db()?, ui),
        Command::Apply(args) => apply::apply(migrations, &db()?, &args, ui),
        Command::Rollback { to, yes } => write::rollback(migrations, &db()?, to, yes, ui),
        Command::Baseline {
            version: Some(version),
            yes,
            ..
        } => write::baseline(migrations, &db()?, version, yes, ui),
        // clap requires a version unless `--from` is given.
        Command::Baseline {
            version: None,
            from,
            map,
            yes,
        } => takeover::baseline_from(migrations, &db()?, from, map.as_deref(), yes, ui),
        Command::Repair { yes } => write::repair(migrations, &db()?, yes, ui),
        Command::Restore { backup, yes } => write::restore(migrations, &db()?, &backup, yes, ui),
        // Applies the set to a private in-memory database.
        Command::Schema { at } => schema::schema(migrations, at, ui),
        // Writes files in the migrations directory, not the database.
        Command::New {
            description,
            dir,
            down,
        } => {
            let dir = new::directory(migrations, dir)?;
            new::new_migration(&description, &dir, down, ui)
        }
        // Writes a new migrations directory from another tool's.
        Command::Import {
            from,
            source,
            to,
            dry_run,
        } => {
            let to = new::directory_or(migrations, to, "--to")?;
            import::import(from, &source, &to, dry_run, ui)
        }
    }
}

/// `import` in the standalone `migrate` binary, which has no migration set: it writes into
/// `--to`, or else the `--migrations` directory.
pub(crate) fn import_without_set(
    migrations_dir: Option<&Path>,
    tool: SourceTool,
    source: &Path,
    to: Option<&Path>,
    dry_run: bool,
    ui: &Ui,
) -> Result<ExitCode, CliError> {
    let to = to.or(migrations_dir).ok_or(CliError::NoImportTarget)?;
    import::import(tool, source, to, dry_run, ui)
}

/// The subcommand's name, for messages.
pub(crate) fn name(command: &Command) -> &'static str {
    fleet::name(command)
}

/// Runs `command` on every database of a fleet (`--each`, `--each-from`); only `apply`,
/// `verify`, `status` and `check` take one.
pub(crate) fn execute_fleet(
    migrations: &Migrations,
    args: &FleetArgs,
    command: Command,
    ui: &Ui,
) -> Result<ExitCode, CliError> {
    fleet::execute(migrations, args, command, ui)
}
