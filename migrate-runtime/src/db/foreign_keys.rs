//! `PRAGMA foreign_keys` around a run.
//!
//! SQLite ignores the pragma inside a transaction, so a migration that rebuilds a table (the
//! documented 12-step procedure) would cascade deletes if foreign keys stayed on. A run turns
//! them off outside any transaction, checks `PRAGMA foreign_key_check` before each commit
//! instead, and turns them back on when [`ForeignKeysOff`] is dropped, on every path.

use std::time::Instant;

use rusqlite::Connection;

use super::sqlite_error::classify;
use super::transaction::rollback_open;
use crate::error::{Error, MigrationRef};

/// Whether the connection has foreign keys on.
pub(crate) fn foreign_keys_on(conn: &Connection) -> Result<bool, Error> {
    let started = Instant::now();
    conn.query_row("PRAGMA foreign_keys", [], |row| row.get(0))
        .map_err(|e| classify(conn, e, None, started))
}

/// Foreign keys turned off for the duration of a run, when they were on; restored on drop.
pub(crate) struct ForeignKeysOff<'c> {
    conn: &'c Connection,
    was_on: bool,
}

impl<'c> ForeignKeysOff<'c> {
    /// Turns foreign keys off when `was_on` (what [`foreign_keys_on`] read).
    pub(crate) fn new(conn: &'c Connection, was_on: bool) -> Result<Self, Error> {
        if was_on {
            conn.execute_batch("PRAGMA foreign_keys = OFF")?;
        }
        Ok(ForeignKeysOff { conn, was_on })
    }
}

impl Drop for ForeignKeysOff<'_> {
    fn drop(&mut self) {
        if self.was_on {
            // The pragma is a no-op inside a transaction.
            rollback_open(self.conn);
            if let Err(e) = self.conn.execute_batch("PRAGMA foreign_keys = ON") {
                log::warn!("could not turn foreign_keys back on: {e}");
            }
        }
    }
}

/// While a no-transaction script runs, the connection's own setting; the run's (off) again
/// when dropped.
///
/// Outside a transaction SQLite enforces foreign keys statement by statement, as when the
/// script is run by hand: the script gets the connection's own setting (and may change it),
/// and the migrations after it get the run's setting back.
pub(crate) struct ScriptForeignKeys<'c> {
    conn: &'c Connection,
    migration: MigrationRef,
}

impl<'c> ScriptForeignKeys<'c> {
    /// Turns foreign keys back on for the script when the connection had them on.
    pub(crate) fn new(
        conn: &'c Connection,
        connection_setting: bool,
        migration: MigrationRef,
    ) -> rusqlite::Result<Self> {
        if connection_setting {
            conn.execute_batch("PRAGMA foreign_keys = ON")?;
        }
        Ok(ScriptForeignKeys { conn, migration })
    }
}

impl Drop for ScriptForeignKeys<'_> {
    fn drop(&mut self) {
        // The pragma is a no-op inside a transaction: the script's must be over.
        rollback_open(self.conn);
        if let Err(e) = self.conn.execute_batch("PRAGMA foreign_keys = OFF") {
            log::warn!(
                "could not turn foreign_keys off after {}: {e}",
                self.migration
            );
        }
    }
}
