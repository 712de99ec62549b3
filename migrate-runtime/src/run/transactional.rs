//! Applying a migration that runs in a transaction: its statements, code step, foreign-key
//! check and tracking rows commit together, or none of them do.

use std::time::{Duration, Instant};

use super::plan::Plan;
use super::steps::Context;
use crate::db::{Transaction, classify, is_busy};
use crate::error::{Error, MigrationRef};
use crate::migrations::Migration;

/// Applies `migration` in `tx` and commits.
pub(crate) fn apply(
    ctx: &Context<'_>,
    tx: Transaction<'_>,
    plan: &mut Plan<'_>,
    migration: &Migration<'_>,
    applied: &[i64],
) -> Result<Duration, Error> {
    let duration = execute_and_record(ctx, plan, migration, applied)?;
    commit(ctx, tx, migration, applied)?;
    Ok(duration)
}

/// Runs `migration` and writes its tracking rows in the open transaction, without
/// committing: a single-transaction batch commits once, after its last migration.
pub(crate) fn execute_and_record(
    ctx: &Context<'_>,
    plan: &mut Plan<'_>,
    migration: &Migration<'_>,
    applied: &[i64],
) -> Result<Duration, Error> {
    let duration = ctx.execute(migration, applied)?;
    ctx.record(plan, migration, duration)
        .map_err(|source| Error::Record {
            migration: MigrationRef::of(migration),
            source,
            applied: applied.to_vec(),
        })?;
    Ok(duration)
}

/// Commits the transaction of `migration` (the last one of a batch).
pub(crate) fn commit(
    ctx: &Context<'_>,
    tx: Transaction<'_>,
    migration: &Migration<'_>,
    applied: &[i64],
) -> Result<(), Error> {
    let started = Instant::now();
    tx.commit().map_err(|source| {
        let id = MigrationRef::of(migration);
        if is_busy(&source) {
            // Readers kept SQLite from committing (rollback-journal mode).
            classify(ctx.conn, source, Some(&id), started)
        } else {
            Error::Record {
                migration: id,
                source,
                applied: applied.to_vec(),
            }
        }
    })
}
