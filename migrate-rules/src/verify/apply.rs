//! Running one script on the verification database with the runtime's rules.
//!
//! Invariants, the runtime's own (`migrate-runtime/src/run`):
//! - a transactional script runs with foreign keys off, between `BEGIN IMMEDIATE` and
//!   `COMMIT`, with `PRAGMA foreign_key_check` before the commit; foreign keys are on again
//!   after it on every path ([`Transactional`]'s drop);
//! - a `-- migrate:no-transaction` script runs statement by statement outside a transaction,
//!   with the connection's setting (foreign keys on); a transaction the script opened itself
//!   is committed when the script ends inside it, rolled back when a statement fails;
//! - every statement of a script runs with the authorizer judging it and under the script's
//!   time budget; the checks the verifier adds (`foreign_key_check`) run with the authorizer
//!   off.

use rusqlite::{Connection, ErrorCode};

use super::FailureKind;
use super::sandbox::Sandbox;
use crate::set::Script;
use crate::split::Statement;
use crate::split::shorten;

/// At most this many foreign-key violations are listed.
const MAX_VIOLATIONS: usize = 20;

/// Runs `script` and commits it.
pub(crate) fn run(sandbox: &Sandbox, script: &Script) -> Result<(), FailureKind> {
    if script.no_transaction {
        run_outside_transaction(sandbox, script)
    } else {
        Transactional::run(sandbox, script)?.commit()
    }
}

/// A transactional script that ran and whose transaction is still open: committed by
/// [`Transactional::commit`], rolled back when dropped.
pub(crate) struct Transactional<'s> {
    sandbox: &'s Sandbox,
    script: &'s Script,
}

impl<'s> Transactional<'s> {
    /// Runs the statements and the foreign-key check, leaving the transaction open.
    pub(crate) fn run(
        sandbox: &'s Sandbox,
        script: &'s Script,
    ) -> Result<Transactional<'s>, FailureKind> {
        let conn = &sandbox.conn;
        // Off outside the transaction: SQLite ignores the pragma inside one, and a table
        // rebuild must not cascade.
        let open = Transactional { sandbox, script };
        conn.execute_batch("PRAGMA foreign_keys = OFF; BEGIN IMMEDIATE")
            .map_err(|e| internal(script, &e))?;
        sandbox.start_budget();
        let ran = run_statements(sandbox, script).and_then(|()| foreign_key_check(sandbox, conn));
        sandbox.stop_budget();
        ran?;
        Ok(open)
    }

    /// Commits the script's transaction.
    pub(crate) fn commit(self) -> Result<(), FailureKind> {
        self.sandbox
            .conn
            .execute_batch("COMMIT")
            .map_err(|e| internal(self.script, &e))
        // Dropped here: foreign keys back on.
    }
}

impl Drop for Transactional<'_> {
    fn drop(&mut self) {
        let conn = &self.sandbox.conn;
        rollback_open(conn);
        // A failure here shows as the next script's failure: nothing better to do with it.
        let _ = conn.execute_batch("PRAGMA foreign_keys = ON");
    }
}

/// Runs a `-- migrate:no-transaction` script as the runtime does.
///
/// Statements that succeeded before a failing one stay applied, as they do at run time.
pub(crate) fn run_outside_transaction(
    sandbox: &Sandbox,
    script: &Script,
) -> Result<(), FailureKind> {
    let conn = &sandbox.conn;
    sandbox.start_budget();
    let ran = run_statements(sandbox, script);
    sandbox.stop_budget();
    let ran = ran.and_then(|()| {
        // What the script left open is kept, as running it by hand would.
        if conn.is_autocommit() {
            Ok(())
        } else {
            conn.execute_batch("COMMIT")
                .map_err(|e| internal(script, &e))
        }
    });
    rollback_open(conn);
    // The script may have changed the setting; the next migration gets the runtime's.
    let _ = conn.execute_batch("PRAGMA foreign_keys = ON");
    ran
}

fn run_statements(sandbox: &Sandbox, script: &Script) -> Result<(), FailureKind> {
    for (index, statement) in script.statements.iter().enumerate() {
        sandbox.track(index);
        let ran = run_statement(sandbox, statement.text(&script.sql));
        let denied = sandbox.untrack();
        if let Err(error) = ran {
            return Err(classify(sandbox, script, index, statement, &error, denied));
        }
    }
    Ok(())
}

/// Runs one statement to completion, whether or not it returns rows.
fn run_statement(sandbox: &Sandbox, sql: &str) -> rusqlite::Result<()> {
    let mut statement = sandbox.conn.prepare(sql)?;
    sandbox.stepping();
    let mut rows = statement.raw_query();
    while rows.next()?.is_some() {}
    Ok(())
}

/// What a statement's error means: a refused operation, the budget, the memory cap, or
/// SQLite's own message.
fn classify(
    sandbox: &Sandbox,
    script: &Script,
    index: usize,
    statement: &Statement,
    error: &rusqlite::Error,
    denied: Option<String>,
) -> FailureKind {
    let code = error.sqlite_error_code();
    if let Some(operation) = denied {
        return FailureKind::Denied {
            statement_index: index + 1,
            line: statement.line,
            operation,
        };
    }
    if sandbox.budget_expired() || code == Some(ErrorCode::OperationInterrupted) {
        return FailureKind::Timeout {
            budget: sandbox.timeout(),
        };
    }
    if code == Some(ErrorCode::OutOfMemory) {
        return FailureKind::OutOfMemory;
    }
    if code == Some(ErrorCode::AuthorizationForStatementDenied) {
        // Refused by SQLite itself (e.g. extension loading switched off at the C level).
        return FailureKind::Denied {
            statement_index: index + 1,
            line: statement.line,
            operation: format!("`{}`", shorten(statement.text(&script.sql))),
        };
    }
    FailureKind::Statement {
        statement_index: index + 1,
        line: statement.line,
        statement: shorten(statement.text(&script.sql)),
        message: sqlite_message(error),
    }
}

/// An error of a statement the verifier adds (`BEGIN`, `COMMIT`): reported like a
/// statement of the script, as `COMMIT` would be by the runtime.
fn internal(script: &Script, error: &rusqlite::Error) -> FailureKind {
    if error.sqlite_error_code() == Some(ErrorCode::OutOfMemory) {
        return FailureKind::OutOfMemory;
    }
    let (index, line) = script
        .statements
        .last()
        .map_or((0, 1), |s| (script.statements.len(), s.line));
    FailureKind::Statement {
        statement_index: index,
        line,
        statement: "COMMIT".to_owned(),
        message: sqlite_message(error),
    }
}

/// `PRAGMA foreign_key_check`: the violations, as the runtime reports them.
fn foreign_key_check(sandbox: &Sandbox, conn: &Connection) -> Result<(), FailureKind> {
    let to_failure = |e: rusqlite::Error| {
        if sandbox.budget_expired() {
            FailureKind::Timeout {
                budget: sandbox.timeout(),
            }
        } else if e.sqlite_error_code() == Some(ErrorCode::OutOfMemory) {
            FailureKind::OutOfMemory
        } else {
            FailureKind::ForeignKeys {
                violations: vec![format!("the check failed: {}", sqlite_message(&e))],
            }
        }
    };
    let mut statement = conn
        .prepare("PRAGMA foreign_key_check")
        .map_err(to_failure)?;
    let violations = statement
        .query_map([], |row| {
            let table: String = row.get(0)?;
            let rowid: Option<i64> = row.get(1)?;
            let parent: String = row.get(2)?;
            Ok(match rowid {
                Some(rowid) => {
                    format!("`{table}` rowid {rowid} references a missing row of `{parent}`")
                }
                None => format!("a row of `{table}` references a missing row of `{parent}`"),
            })
        })
        .map_err(to_failure)?
        .take(MAX_VIOLATIONS)
        .collect::<Result<Vec<_>, _>>()
        .map_err(to_failure)?;
    if violations.is_empty() {
        Ok(())
    } else {
        Err(FailureKind::ForeignKeys { violations })
    }
}

/// Rolls back the open transaction, if any.
pub(crate) fn rollback_open(conn: &Connection) {
    if !conn.is_autocommit() {
        // Failing to roll back leaves nothing to do; the next BEGIN reports it.
        let _ = conn.execute_batch("ROLLBACK");
    }
}

/// SQLite's own message, without rusqlite's wrapping; the runtime reports failed statements
/// with it too.
pub fn sqlite_message(error: &rusqlite::Error) -> String {
    match error {
        rusqlite::Error::SqliteFailure(_, Some(message)) => message.clone(),
        other => other.to_string(),
    }
}
