//! What a run tells its caller: progress events as it works, a report when it is done.

use std::path::PathBuf;
use std::time::Duration;

use crate::error::MigrationRef;
use crate::migrations::Migration;

/// What happens while a runner works, for progress output.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum Event<'a> {
    /// A migration is about to run.
    Started(Migration<'a>),
    /// A migration was applied (or, in a dry run, ran and will be rolled back).
    Finished(Migration<'a>, Duration),
    /// A dry run cannot verify this migration because it runs outside a transaction; the
    /// dry run stops here.
    NotVerifiable(Migration<'a>),
    /// The backup asked for with [`Runner::backup`](crate::Runner::backup) was written here,
    /// before the first migration runs.
    BackedUp(&'a std::path::Path),
}

/// One migration applied (or rolled back) by a call.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AppliedMigration {
    /// The number that orders the migration.
    pub version: i64,
    /// The description part of the file name.
    pub name: String,
    /// The file that ran: the up file, or the down file for a rollback.
    pub file: String,
    /// How long its statements (and code step) took.
    pub duration: Duration,
}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Report {
    /// The migrations applied, in order. In a dry run: the ones that ran and were rolled back.
    pub applied: Vec<AppliedMigration>,
    /// True for a dry run: nothing was kept.
    pub dry_run: bool,
    /// The backup written before applying, if one was asked for and anything was pending.
    pub backup: Option<PathBuf>,
    /// In a dry run, migrations that could not be verified (no-transaction ones and those
    /// after them).
    pub not_verified: Vec<MigrationRef>,
}

impl Report {
    /// True when nothing was applied.
    pub fn is_empty(&self) -> bool {
        self.applied.is_empty()
    }
}
