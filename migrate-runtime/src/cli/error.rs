//! Why a subcommand failed: the library's own [`Error`], or a failure of the command line
//! itself (no database given, a refused confirmation, the migrations directory).
//!
//! Every variant's message is what the operator reads after `error: `, so the wording is part
//! of the command line's behaviour.

use std::io;
use std::path::PathBuf;
use std::process::ExitCode;

use migrate_rules::name::NameError;

use crate::Error;
use crate::import::ImportError;
use crate::json::ErrorDocument;

/// A subcommand's failure; [`CliError::exit_code`] says how the process ends.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CliError {
    /// The library refused or failed; its message says why.
    #[error(transparent)]
    Library(#[from] Error),

    /// Neither `--db` nor `MIGRATE_DB`.
    #[error("no database given: pass --db PATH or set the environment variable MIGRATE_DB")]
    NoDatabase,

    /// SQLite could not open (or set up) the database file.
    #[error("cannot open `{}`: {source}", path.display())]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },

    /// A command that changes an existing database was pointed at a missing file: creating an
    /// empty one would only hide the typo.
    #[error("`{}`: no such database file", .0.display())]
    NoSuchDatabase(PathBuf),

    /// `restore` was given a backup that is not a file.
    #[error("`{}`: no such backup file", .0.display())]
    NoSuchBackup(PathBuf),

    /// A confirmation was needed and nobody can give it.
    #[error(
        "refusing to {action}: that needs a confirmation, and standard input is not a terminal; pass --yes"
    )]
    NotConfirmable { action: String },

    /// The operator's answer could not be read.
    #[error("cannot read the answer: {0}")]
    Answer(io::Error),

    /// The operator answered no.
    #[error("aborted: nothing was changed")]
    Refused,

    /// `new` was given a description the file-name rules reject.
    #[error("invalid description `{description}`: {reason}{}", suggestion.as_ref().map(|s| format!("; try `{s}`")).unwrap_or_default())]
    InvalidDescription {
        description: String,
        reason: NameError,
        suggestion: Option<String>,
    },

    /// `new` without `--dir` (or `import` without `--to`), and the embedded migrations'
    /// directory is not on this machine.
    #[error("{}", match dir {
        Some(dir) => format!("the migrations directory this binary was built from, `{}`, does not exist here: pass {flag} with the directory to write to", dir.display()),
        None => format!("these migrations were not read from a directory: pass {flag} with the directory to write to"),
    })]
    NoMigrationsDir {
        dir: Option<PathBuf>,
        flag: &'static str,
    },

    /// The standalone `migrate` tool's `import` without `--to` or `--migrations`.
    #[error("no directory to import into: pass --to DIR (or --migrations DIR)")]
    NoImportTarget,

    /// `import` failed or found problems; nothing was written.
    #[error(transparent)]
    Import(#[from] ImportError),

    /// The standalone `migrate` tool was asked for a command that needs a migration set.
    #[error(
        "`{0}` needs a migration set: pass --migrations DIR (or set MIGRATE_MIGRATIONS), or run it from the application that embeds the set"
    )]
    NoSet(&'static str),

    /// Reading or writing the migrations directory failed.
    #[error("`{}`: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },

    /// `new` never overwrites a migration.
    #[error("`{}` already exists", .0.display())]
    AlreadyExists(PathBuf),

    /// `schema`: a migration fails verification; one line per failure.
    #[error("the migrations do not verify:\n{0}")]
    Unverified(String),

    /// `--each` was given a pattern the glob syntax rejects.
    #[error("invalid --each pattern `{pattern}`: {reason}")]
    Pattern { pattern: String, reason: String },

    /// A subcommand that works on one database was given `--each` or `--each-from`.
    #[error(
        "`{0}` works on one database: --each and --each-from go with apply, verify, status and check"
    )]
    NotForFleet(&'static str),

    /// `apply --each --backup PATH`: every database would overwrite the same file.
    #[error(
        "--backup `{}` names one file, which every database of the fleet would overwrite: pass --backup without a path (a backup beside each database)",
        .0.display()
    )]
    FleetBackupPath(PathBuf),

    /// `--each` or `--each-from` named no database.
    #[error("no database: {0} names none (check the pattern and the working directory)")]
    NoDatabases(String),

    /// A fleet option without `--each` or `--each-from`.
    #[error(
        "{0} works with --each or --each-from (a fleet of databases); with one database, leave it out"
    )]
    FleetOptionAlone(&'static str),

    /// `baseline --from`: the import map is not there.
    #[error("{}", match (path, given) {
        (Some(path), true) => format!("no import map: `{}` does not exist", path.display()),
        (Some(path), false) => format!("no import map: `{}` does not exist; `baseline --from {tool}` maps the tool's entries to our versions through the IMPORTED.toml that `import --from {tool}` writes beside the migrations: import the set first, or pass --map PATH (a binary built on another machine looks where it was built: ship IMPORTED.toml with it and pass --map)", path.display()),
        (None, _) => format!("no import map: these migrations were not read from a directory; `baseline --from {tool}` needs --map PATH (the IMPORTED.toml that `import --from {tool}` wrote)"),
    })]
    NoImportMap {
        tool: crate::import::SourceTool,
        /// The file looked for.
        path: Option<PathBuf>,
        /// Whether `--map` named it.
        given: bool,
    },

    /// `baseline --from`: the import map does not parse.
    #[error("`{}` is not a valid import map: {message}", path.display())]
    InvalidImportMap { path: PathBuf, message: String },

    /// `baseline --from` refused; the message names the entry and our file.
    #[error(transparent)]
    BaselineFrom(Box<crate::import::BaselineFromError>),

    /// `baseline` without a version or `--from` (clap prevents it).
    #[error("baseline needs a version N or --from TOOL")]
    NoVersionOrTool,

    /// The highest version is `i64::MAX`.
    #[error("no version is left after the highest one")]
    NoVersionLeft,
}

impl CliError {
    /// The process's exit code for this failure. Every failure is 1: 2 is reserved for usage
    /// errors (clap's convention) and for `check` with pending migrations, which is an answer,
    /// not a failure.
    pub(crate) fn exit_code(&self) -> ExitCode {
        ExitCode::FAILURE
    }

    /// The `--json` document of this failure.
    pub(crate) fn document(&self) -> ErrorDocument {
        let kind = match self {
            CliError::Library(error) => return ErrorDocument::of(error),
            CliError::NoDatabase => "no_database",
            CliError::Open { .. } => "cannot_open",
            CliError::NoSuchDatabase(_) => "no_such_database",
            CliError::NoSuchBackup(_) => "no_such_backup",
            CliError::NotConfirmable { .. } => "not_confirmable",
            CliError::Answer(_) => "answer",
            CliError::Refused => "refused",
            CliError::InvalidDescription { .. } => "invalid_description",
            CliError::Io { .. } => "io",
            CliError::AlreadyExists(_) => "already_exists",
            CliError::Unverified(_) => "unverified",
            CliError::NoVersionLeft => "no_version_left",
            CliError::NoImportMap { .. } => "no_import_map",
            CliError::InvalidImportMap { .. } => "invalid_import_map",
            CliError::BaselineFrom(_) => "baseline_from_refused",
            CliError::NoVersionOrTool => "usage",
            CliError::NoMigrationsDir { .. } => "no_migrations_dir",
            CliError::Import(error) => return ErrorDocument::of_import(error),
            CliError::NoSet(_) => "no_migration_set",
            CliError::NoImportTarget => "no_migrations_dir",
            CliError::NoDatabases(_) => "no_databases",
            CliError::FleetOptionAlone(_) => "fleet_option_alone",
            CliError::Pattern { .. } => "invalid_pattern",
            CliError::NotForFleet(_) => "not_for_fleet",
            CliError::FleetBackupPath(_) => "fleet_backup_path",
        };
        ErrorDocument::new(kind, self.to_string())
    }

    /// A refusal of `baseline --from`; the runtime's own errors (already tracked, locked)
    /// stay library errors, with their JSON kinds.
    pub(crate) fn from_baseline_from(error: crate::import::BaselineFromError) -> CliError {
        match error {
            crate::import::BaselineFromError::Runtime(e) => CliError::Library(e),
            other => CliError::BaselineFrom(Box::new(other)),
        }
    }

    /// An I/O failure on `path`.
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(io::Error) -> CliError {
        let path = path.into();
        move |source| CliError::Io { path, source }
    }
}
