//! Transactions that end on every path.
//!
//! Invariant: a [`Transaction`] is either committed by [`Transaction::commit`] or rolled back
//! when it is dropped, so an early return (`?`) never leaves the connection inside a
//! transaction. It works like rusqlite's `Transaction`, over the `&Connection` the runner
//! passes around, and classifies `BEGIN IMMEDIATE`'s lock errors ([`Error::Locked`] and
//! friends) where they happen.

use std::time::Instant;

use rusqlite::Connection;

use super::sqlite_error::{classified, classify};
use crate::error::{Error, MigrationRef};

/// An open write transaction (`BEGIN IMMEDIATE`); rolled back when dropped uncommitted.
#[must_use = "a transaction is rolled back when dropped"]
pub(crate) struct Transaction<'c> {
    conn: &'c Connection,
}

impl<'c> Transaction<'c> {
    /// `BEGIN IMMEDIATE`: takes SQLite's write lock now, with the busy, read-only and
    /// not-a-database errors classified ([`Error::Locked`] names `migration` when given).
    pub(crate) fn immediate(
        conn: &'c Connection,
        migration: Option<&MigrationRef>,
    ) -> Result<Self, Error> {
        let started = Instant::now();
        conn.execute_batch("BEGIN IMMEDIATE")
            .map_err(|e| classify(conn, e, migration, started))?;
        Ok(Transaction { conn })
    }

    /// `BEGIN IMMEDIATE` with SQLite's error as it is: for the per-statement transactions of a
    /// no-transaction migration, whose caller classifies every error of the statement alike.
    pub(crate) fn immediate_unclassified(conn: &'c Connection) -> rusqlite::Result<Self> {
        conn.execute_batch("BEGIN IMMEDIATE")?;
        Ok(Transaction { conn })
    }

    /// Commits. On failure the transaction is rolled back (when SQLite left it open).
    pub(crate) fn commit(self) -> rusqlite::Result<()> {
        self.conn.execute_batch("COMMIT")
        // Dropped here: after a successful COMMIT there is nothing left to roll back.
    }
}

impl Drop for Transaction<'_> {
    fn drop(&mut self) {
        rollback_open(self.conn);
    }
}

/// Rolls back the open transaction, if any. Errors are logged: on the paths that roll back,
/// the error being returned is the one the caller reports.
pub(crate) fn rollback_open(conn: &Connection) {
    if !conn.is_autocommit()
        && let Err(e) = conn.execute_batch("ROLLBACK")
    {
        log::warn!("rollback failed: {e}");
    }
}

/// The transaction a no-transaction script may open with its own `BEGIN`.
///
/// Rolled back when dropped (a statement failed inside it); [`ScriptTransaction::commit`]
/// commits it when the script left it open, as running the script by hand would keep its
/// statements.
pub(crate) struct ScriptTransaction<'c> {
    conn: &'c Connection,
}

impl<'c> ScriptTransaction<'c> {
    /// Watches `conn` while a no-transaction script runs on it.
    pub(crate) fn watch(conn: &'c Connection) -> Self {
        ScriptTransaction { conn }
    }

    /// Commits what the script left open, if anything.
    pub(crate) fn commit(self) -> rusqlite::Result<()> {
        if self.conn.is_autocommit() {
            return Ok(());
        }
        self.conn.execute_batch("COMMIT")
    }
}

impl Drop for ScriptTransaction<'_> {
    fn drop(&mut self) {
        rollback_open(self.conn);
    }
}

/// Runs `read` in one read transaction (when none is open), so that it sees one snapshot;
/// SQLite's errors are classified.
pub(crate) fn read_snapshot<T>(
    conn: &Connection,
    read: impl FnOnce(&Connection) -> Result<T, Error>,
) -> Result<T, Error> {
    if !conn.is_autocommit() {
        return classified(conn, read);
    }
    conn.execute_batch("BEGIN DEFERRED")?;
    let _snapshot = Transaction { conn };
    classified(conn, read)
}
