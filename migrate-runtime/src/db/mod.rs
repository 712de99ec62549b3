//! The connection-level primitives every write is built from.
//!
//! - [`Transaction`]: `BEGIN IMMEDIATE` that rolls back when dropped unless committed, so no
//!   error path can leave a transaction open.
//! - [`ForeignKeysOff`]: `PRAGMA foreign_keys` turned off for a run and back on when dropped,
//!   on every path.
//! - [`MigratorLock`]: the advisory lock that queues migrators.
//! - [`WriteWatch`]: an authorizer that notes the tables statements write, removed when
//!   dropped.
//! - [`Statements`]: the tracking writes, prepared once per run.
//! - [`sqlite_error`]: what SQLite's busy, read-only and not-a-database errors mean.
//!
//! Invariant: no other module writes `BEGIN`, `COMMIT` or `ROLLBACK`; these guards do.

mod file;
mod foreign_keys;
mod lock;
pub(crate) mod sqlite_error;
mod statements;
mod transaction;
mod writes;

pub(crate) use self::file::database_path;
pub(crate) use self::foreign_keys::{ForeignKeysOff, ScriptForeignKeys, foreign_keys_on};
pub(crate) use self::lock::MigratorLock;
pub(crate) use self::lock::is_held as migrator_lock_is_held;
pub(crate) use self::sqlite_error::{
    classified, classify, is_busy, is_missing_table, sqlite_message,
};
pub(crate) use self::statements::{Execute, Statements};
pub(crate) use self::transaction::{ScriptTransaction, Transaction, read_snapshot};
pub(crate) use self::writes::{WriteWatch, Written};
