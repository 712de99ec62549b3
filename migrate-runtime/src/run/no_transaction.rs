//! Applying a `-- migrate:no-transaction` migration: statement by statement, outside a
//! transaction, with its progress recorded so that an interrupted or failed run resumes where
//! it stopped.
//!
//! Invariants: a statement that can run in a transaction commits together with its progress
//! row, so a crash never runs it twice; statements that cannot (`VACUUM`, `PRAGMA
//! journal_mode`) are idempotent by nature, so recording them just after is enough. The
//! migration's tracking rows commit in one transaction at the end, after its code step.

use std::time::{Duration, Instant};

use migrate_rules::Checksum;
use migrate_rules::packed::StatementView;
use migrate_rules::split::{TransactionConflict, shorten, transaction_conflict};
use rusqlite::Connection;

use super::plan::Plan;
use super::steps::{Context, log_statement, run_statement, statement_failure};
use crate::checksum::RecordedChecksum;
use crate::db::{
    ScriptForeignKeys, ScriptTransaction, Transaction, classify, is_busy, sqlite_message,
};
use crate::error::{Error, MigrationRef, StatementFailure};
use crate::migrations::Migration;
use crate::tracking::history::record_failure;
use crate::tracking::progress::{
    clear_progress, set_progress, set_progress_failure, start_progress,
};
use crate::tracking::{FailedStatement, Progress};

/// Runs the statements not run yet, then records the migration as applied.
pub(crate) fn apply(
    ctx: &Context<'_>,
    plan: &mut Plan<'_>,
    migration: &Migration<'_>,
    applied: &[i64],
) -> Result<Duration, Error> {
    let conn = ctx.conn;
    let id = MigrationRef::of(migration);
    let record_error = |source| Error::Record {
        migration: id.clone(),
        source,
        applied: applied.to_vec(),
    };
    let checksums = statement_checksums(migration);
    let done = match plan.progress.get(&migration.version()) {
        Some(progress) => resume_point(migration, &checksums, progress, ctx.retry_failed)?,
        None => 0,
    };
    let progress_texts: Vec<String> = checksums.iter().map(ToString::to_string).collect();
    let tx = Transaction::immediate(conn, Some(&id))?;
    start_progress(conn, migration.version()).map_err(record_error)?;
    let started = Instant::now();
    tx.commit()
        .map_err(|e| classify(conn, e, Some(&id), started))?;

    let started = Instant::now();
    let ran = {
        // Dropped in reverse order: what the script left open is rolled back (after a
        // failure) before foreign keys go back off.
        let _foreign_keys = ScriptForeignKeys::new(conn, ctx.foreign_keys.on(), id.clone())?;
        let script = ScriptTransaction::watch(conn);
        let ran = run_statements(conn, migration, &progress_texts, done);
        if ran.is_ok() {
            script.commit()?;
        }
        ran
    };
    ctx.foreign_keys.schema_changed();
    if let Err(failed) = ran {
        return Err((*failed).record(conn, migration, &checksums, applied));
    }
    let duration = started.elapsed();

    let tx = Transaction::immediate(conn, Some(&id))?;
    ctx.run_code_step(migration, applied)?;
    ctx.record(plan, migration, duration)
        .and_then(|()| clear_progress(conn, migration.version()))
        .and_then(|()| tx.commit())
        .map_err(record_error)?;
    Ok(duration)
}

/// A statement of the script that SQLite rejected.
struct FailedRun<'s> {
    statement: StatementView<'s>,
    error: rusqlite::Error,
    /// When the statement started, for [`Error::Locked`].
    started: Instant,
}

/// Runs the statements after the first `done`, recording progress as it goes.
fn run_statements<'s>(
    conn: &Connection,
    migration: &Migration<'s>,
    progress_texts: &[String],
    done: usize,
) -> Result<(), Box<FailedRun<'s>>> {
    for statement in migration.up().statements().skip(done) {
        let progress = &progress_texts[..=statement.index];
        log_statement(migration, &statement);
        let started = Instant::now();
        let conflict = transaction_conflict(statement.text);
        let ends_script_transaction =
            !conn.is_autocommit() && conflict.is_some_and(TransactionConflict::commits);
        let result = if ends_script_transaction {
            // Recorded first, so the progress row commits with the script's transaction.
            set_progress(conn, migration.version(), progress)
                .and_then(|()| run_statement(conn, statement.text))
        } else if !conn.is_autocommit() || conflict.is_some() {
            // Inside the script's own transaction, the progress row commits with it;
            // statements that cannot be in a transaction are idempotent by nature
            // (VACUUM, journal_mode), so recording them just after is enough.
            run_statement(conn, statement.text)
                .and_then(|()| set_progress(conn, migration.version(), progress))
        } else {
            // Wrapped with its progress row, so a crash cannot run it twice.
            Transaction::immediate_unclassified(conn).and_then(|tx| {
                run_statement(conn, statement.text)?;
                set_progress(conn, migration.version(), progress)?;
                tx.commit()
            })
        };
        if let Err(error) = result {
            return Err(Box::new(FailedRun {
                statement,
                error,
                started,
            }));
        }
    }
    Ok(())
}

impl FailedRun<'_> {
    /// The error to return, after recording the failed statement (unless SQLite was only
    /// busy: nothing of the statement remains, and the next run resumes at it).
    fn record(
        self,
        conn: &Connection,
        migration: &Migration<'_>,
        checksums: &[Checksum],
        applied: &[i64],
    ) -> Error {
        let id = MigrationRef::of(migration);
        if is_busy(&self.error) {
            return classify(conn, self.error, Some(&id), self.started);
        }
        let failure = statement_failure(conn, migration, &self.statement, &self.error, applied);
        let message = failure.to_string();
        let index = self.statement.index;
        let stored = FailedStatement {
            statement: index + 1,
            checksum: RecordedChecksum::Valid(checksums[index]),
            message: sqlite_message(&self.error),
        };
        if let Err(e) = set_progress_failure(conn, migration.version(), &stored) {
            log::warn!("could not record where {id} failed: {e}");
        }
        record_failure(conn, migration.version(), migration.name(), &message);
        failure
    }
}

/// Where a no-transaction migration resumes, or why it cannot.
/// The checksum of each statement of `migration`'s up script, as progress records them.
pub(crate) fn statement_checksums(migration: &Migration<'_>) -> Vec<Checksum> {
    migration
        .up()
        .statements()
        .map(|s| Checksum::digest(s.text.as_bytes()))
        .collect()
}

/// [`Error::Incomplete`] when `migration` stopped at `failed` in an earlier run and that
/// statement is unchanged since (`checksums`: this build's, one per statement): a run refuses
/// to try it again as it is, unless `retry_failed`. `None` when it may run.
pub(crate) fn refused_retry(
    migration: &Migration<'_>,
    checksums: &[Checksum],
    failed: &FailedStatement,
    retry_failed: bool,
) -> Option<Error> {
    let index = failed.statement.saturating_sub(1);
    if retry_failed || !checksums.get(index).is_some_and(|c| failed.checksum.is(c)) {
        return None;
    }
    let statement = migration.up().statement(index);
    Some(Error::Incomplete(Box::new(StatementFailure {
        migration: MigrationRef::of(migration),
        statement_index: index + 1,
        line: statement.line(),
        statement: shorten(statement.text),
        message: failed.message.clone(),
        extended_code: None,
        applied: Vec::new(),
        hint: None,
    })))
}

fn resume_point(
    migration: &Migration<'_>,
    checksums: &[Checksum],
    progress: &Progress,
    retry_failed: bool,
) -> Result<usize, Error> {
    let done = progress.statement_checksums.len();
    let changed: Vec<usize> = progress
        .statement_checksums
        .iter()
        .enumerate()
        .filter(|(i, stored)| !checksums.get(*i).is_some_and(|c| stored.is(c)))
        .map(|(i, _)| i + 1)
        .collect();
    if !changed.is_empty() {
        return Err(Error::IncompleteEdited {
            migration: MigrationRef::of(migration),
            statements: changed,
        });
    }
    if let Some(failed) = &progress.failure {
        if let Some(refused) = refused_retry(migration, checksums, failed, retry_failed) {
            return Err(refused);
        }
        log::info!(
            "{migration}: running statement {} again, which failed in an earlier run",
            failed.statement
        );
    } else if done > 0 {
        log::info!("{migration} was interrupted after statement {done}; resuming");
    }
    Ok(done)
}
