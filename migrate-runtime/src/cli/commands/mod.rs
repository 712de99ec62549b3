//! The subcommands: each one opens the database the way it needs, calls the library, and
//! prints a human summary or its `--json` document.
//!
//! Reading commands (`status`, `version`, `history`, `check`) never create the database file;
//! `apply` creates it; the others change an existing file only, after a confirmation.

mod apply;
mod new;
mod read;
mod write;

use std::io::{self, BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use super::args::Command;
use super::error::CliError;
use super::output::Ui;
use crate::Migrations;

/// Runs `command` on the database `db` (`--db`); only `new` needs none.
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
        Command::Baseline { version, yes } => write::baseline(migrations, &db()?, version, yes, ui),
        Command::Repair { yes } => write::repair(migrations, &db()?, yes, ui),
        Command::Restore { backup, yes } => write::restore(migrations, &db()?, &backup, yes, ui),
        // Writes files in the migrations directory, not the database.
        Command::New {
            description,
            dir,
            down,
        } => new::new_migration(&description, &dir, down, ui),
    }
}

/// The database file a command works on.
struct Database {
    path: PathBuf,
    /// The path as the operator gave it, for messages and the `database` JSON field.
    shown: String,
}

impl Database {
    fn new(path: Option<&Path>) -> Result<Database, CliError> {
        let path = path.ok_or(CliError::NoDatabase)?;
        Ok(Database {
            path: path.to_owned(),
            shown: path.display().to_string(),
        })
    }

    /// Opens for reading; a missing file reads as an empty database and is not created.
    fn open_read(&self) -> Result<Connection, CliError> {
        let db = &self.path;
        if !db.exists() {
            return Ok(Connection::open_in_memory().map_err(crate::Error::from)?);
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        // A file this process may not write is still readable.
        let conn = Connection::open_with_flags(db, flags)
            .or_else(|_| {
                Connection::open_with_flags(
                    db,
                    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )
            })
            .map_err(|source| self.open_error(source))?;
        self.prepare(conn)
    }

    /// Opens for writing, creating the file only when `create` is set.
    fn open_write(&self, create: bool) -> Result<Connection, CliError> {
        if !create && !self.path.exists() {
            return Err(CliError::NoSuchDatabase(self.path.clone()));
        }
        let conn = Connection::open(&self.path).map_err(|source| self.open_error(source))?;
        self.prepare(conn)
    }

    fn prepare(&self, conn: Connection) -> Result<Connection, CliError> {
        conn.busy_timeout(Duration::from_secs(5))
            .and_then(|()| conn.pragma_update(None, "foreign_keys", true))
            .map_err(|source| self.open_error(source))?;
        Ok(conn)
    }

    fn open_error(&self, source: rusqlite::Error) -> CliError {
        CliError::Open {
            path: self.path.clone(),
            source,
        }
    }
}

/// Proceeds with `--yes`; otherwise asks on a terminal and refuses without one.
fn confirm(yes: bool, action: &str) -> Result<(), CliError> {
    if yes {
        return Ok(());
    }
    if !io::stdin().is_terminal() {
        return Err(CliError::NotConfirmable {
            action: action.to_owned(),
        });
    }
    ask(&format!("{action}?"))
}

/// Asks a yes/no question on standard error; anything but `y` or `yes` is a no.
fn ask(question: &str) -> Result<(), CliError> {
    let mut stderr = io::stderr().lock();
    let _ = write!(stderr, "{question} [y/N] ");
    let _ = stderr.flush();
    let mut answer = String::new();
    io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(CliError::Answer)?;
    if matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes") {
        Ok(())
    } else {
        Err(CliError::Refused)
    }
}
