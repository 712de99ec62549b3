//! What every kind of migration does, below the appliers: running statements and the code
//! step, the foreign-key check, and recording an applied migration.
//!
//! Invariant: nothing here begins, commits or rolls back; the caller's transaction decides
//! what is kept. Rolling back (`ops::rollback`) runs down files through the same functions.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use migrate_rules::packed::{ScriptView, StatementView};
use rusqlite::Connection;

use super::foreign_key_scope::ForeignKeyScope;
use super::plan::Plan;
use migrate_rules::split::shorten;

use crate::db::{Execute, sqlite_message};
use crate::error::{Error, ForeignKeyViolation, MigrationRef, StatementFailure};
use crate::migrations::Migration;
use crate::tracking::state::set_user_version;
use crate::tracking::{AppliedRecord, record_applied, to_millis};

/// A Rust step attached to a migration; see [`Runner::code`](crate::Runner::code).
pub type CodeStep =
    dyn Fn(&Connection) -> Result<(), Box<dyn std::error::Error + Send + Sync>> + Send + Sync;

/// How foreign keys are checked before each commit.
#[derive(Clone, Copy)]
pub(crate) enum ForeignKeys<'r> {
    /// The connection had them off: no check, as SQLite would not enforce them either.
    Off,
    /// `PRAGMA foreign_key_check` over every table.
    Full,
    /// Only the tables the migration could have affected.
    Affected(&'r ForeignKeyScope<'r, 'r>),
}

impl ForeignKeys<'_> {
    /// True when the connection had foreign keys on.
    pub(crate) fn on(self) -> bool {
        !matches!(self, ForeignKeys::Off)
    }

    /// After SQL the check did not follow (a no-transaction script): what the scope knows
    /// about the schema is read again before the next check.
    pub(crate) fn schema_changed(self) {
        if let ForeignKeys::Affected(scope) = self {
            scope.forget();
        }
    }
}

/// What applying a migration needs from the run, whatever the migration's kind.
pub(crate) struct Context<'r> {
    pub conn: &'r Connection,
    pub code: &'r BTreeMap<i64, Box<CodeStep>>,
    pub foreign_keys: ForeignKeys<'r>,
    /// The tracking writes, prepared once per run.
    pub statements: &'r dyn Execute,
    /// `PRAGMA user_version` mirrors the highest applied version.
    pub user_version: bool,
    pub retry_failed: bool,
}

impl Context<'_> {
    /// Runs a migration's statements, code step and foreign-key check inside the open
    /// transaction, and returns how long that took.
    pub(crate) fn execute(
        &self,
        migration: &Migration<'_>,
        applied: &[i64],
    ) -> Result<Duration, Error> {
        let started = Instant::now();
        if let ForeignKeys::Affected(scope) = self.foreign_keys {
            scope.start();
        }
        execute_script(self.conn, migration, migration.up(), applied)?;
        let had_code_step = self.run_code_step(migration, applied)?;
        match self.foreign_keys {
            ForeignKeys::Off => {}
            ForeignKeys::Full => check_foreign_keys(self.conn, migration, applied)?,
            ForeignKeys::Affected(scope) => {
                scope.check(self.conn, migration, applied, had_code_step)?;
            }
        }
        Ok(started.elapsed())
    }

    /// Runs the Rust step attached to `migration`, if any; true when there was one.
    pub(crate) fn run_code_step(
        &self,
        migration: &Migration<'_>,
        applied: &[i64],
    ) -> Result<bool, Error> {
        let Some(step) = self.code.get(&migration.version()) else {
            return Ok(false);
        };
        step(self.conn).map_err(|source| Error::Code {
            migration: MigrationRef::of(migration),
            source,
            applied: applied.to_vec(),
        })?;
        Ok(true)
    }

    /// Writes the tracking row, history event, state and `user_version` of an applied
    /// migration, and adds it to the plan's history.
    pub(crate) fn record(
        &self,
        plan: &mut Plan<'_>,
        migration: &Migration<'_>,
        duration: Duration,
    ) -> rusqlite::Result<()> {
        let row_history = plan.push(migration).map(|h| h.to_string());
        let history = plan.history.map(|h| h.to_string());
        let highest = plan.applied.highest();
        record_applied(
            self.statements,
            &AppliedRecord {
                version: migration.version(),
                name: migration.name(),
                checksum: &migration.checksum().to_string(),
                execution_time_ms: to_millis(duration),
                history_checksum: row_history.as_deref().unwrap_or_default(),
            },
            highest,
            history.as_deref(),
        )?;
        if self.user_version {
            set_user_version(self.conn, highest)?;
        }
        Ok(())
    }
}

/// Runs every statement of a script in the open transaction.
pub(crate) fn execute_script(
    conn: &Connection,
    migration: &Migration<'_>,
    script: ScriptView<'_>,
    applied: &[i64],
) -> Result<(), Error> {
    for statement in script.statements() {
        log_statement(migration, &statement);
        run_statement(conn, statement.text)
            .map_err(|e| statement_failure(conn, migration, &statement, &e, applied))?;
    }
    Ok(())
}

pub(crate) fn log_statement(migration: &Migration<'_>, statement: &StatementView<'_>) {
    if log::log_enabled!(log::Level::Debug) {
        log::debug!(
            "{migration}: statement {} (line {})",
            statement.index + 1,
            statement.line()
        );
    }
}

/// Runs one statement to completion, whether or not it returns rows.
pub(crate) fn run_statement(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    let mut statement = conn.prepare(sql)?;
    let mut rows = statement.raw_query();
    while rows.next()?.is_some() {}
    Ok(())
}

/// [`Error::Statement`] for a statement SQLite rejected.
pub(crate) fn statement_failure(
    conn: &Connection,
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
        hint: hint_for(conn, &sqlite_message(error)),
    }))
}

/// What to do about a failed statement, when its message says: a table or index that already
/// exists usually means a database that had this schema before it was managed by migrations,
/// often by another tool, whose history table then says which.
fn hint_for(conn: &Connection, message: &str) -> Option<String> {
    if !message.contains("already exists") {
        return None;
    }
    Some(crate::foreign::take_over_advice(conn).unwrap_or_else(|| {
        "if this database already had the schema before it was managed by migrations, \
         record the migrations it already has with `baseline` (`Migrations::baseline`) \
         instead of running them"
            .to_owned()
    }))
}

/// Fails the migration when `PRAGMA foreign_key_check` finds violations in any table.
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
        .query_map([], violation)
        .map_err(to_error)?
        .take(20)
        .collect::<Result<Vec<_>, _>>()
        .map_err(to_error)?;
    foreign_key_error(migration, violations, applied)
}

/// One row of `PRAGMA foreign_key_check`.
pub(crate) fn violation(row: &rusqlite::Row<'_>) -> rusqlite::Result<ForeignKeyViolation> {
    Ok(ForeignKeyViolation {
        table: row.get(0)?,
        rowid: row.get(1)?,
        parent: row.get(2)?,
    })
}

/// [`Error::ForeignKeys`] when `violations` is not empty.
pub(crate) fn foreign_key_error(
    migration: &Migration<'_>,
    violations: Vec<ForeignKeyViolation>,
    applied: &[i64],
) -> Result<(), Error> {
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
