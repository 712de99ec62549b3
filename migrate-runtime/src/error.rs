//! The error type.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use migrate_rules::packed::TooLarge;
use migrate_rules::{Checksum, Problems};

use crate::checksum::RecordedChecksum;

/// Names one migration: `migration 3 (0003_add_orders.sql)`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MigrationRef {
    /// The number that orders the migration, from its file name.
    pub version: i64,
    /// The up file's name; for a version this build does not know, the name recorded in the
    /// database.
    pub file: String,
}

impl fmt::Display for MigrationRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "migration {} ({})", self.version, self.file)
    }
}

/// An SQL statement of a migration that SQLite rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StatementFailure {
    /// The migration the statement belongs to.
    pub migration: MigrationRef,
    /// 1-based position of the statement in the file.
    pub statement_index: usize,
    /// 1-based line of the statement in the file.
    pub line: u32,
    /// The statement, shortened to about 200 characters.
    pub statement: String,
    /// SQLite's message.
    pub message: String,
    /// SQLite's extended result code, when SQLite gave one.
    pub extended_code: Option<i32>,
    /// Versions this call applied (and committed) before the failure.
    pub applied: Vec<i64>,
    /// What to do, when the failure suggests it: for example `baseline` when a table the
    /// migration creates already exists.
    pub hint: Option<String>,
}

/// One row that violates a foreign key after a migration, from `PRAGMA foreign_key_check`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ForeignKeyViolation {
    /// The table holding the row.
    pub table: String,
    /// The row's rowid (`None` for a `WITHOUT ROWID` table).
    pub rowid: Option<i64>,
    /// The table the row should reference.
    pub parent: String,
}

impl fmt::Display for ForeignKeyViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.rowid {
            Some(rowid) => write!(
                f,
                "`{}` rowid {rowid} references a missing row of `{}`",
                self.table, self.parent
            ),
            None => write!(
                f,
                "a row of `{}` references a missing row of `{}`",
                self.table, self.parent
            ),
        }
    }
}

/// An applied migration whose checksum differs from this build's.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Drift {
    /// The migration whose file changed after it was applied.
    pub migration: MigrationRef,
    /// The checksum recorded when it was applied.
    pub applied: RecordedChecksum,
    /// The checksum of this build's file.
    pub embedded: Checksum,
}

/// Everything that can go wrong.
///
/// Every variant about a migration names it (version and file); SQL failures also name the
/// statement. On any error the database is as it was before the failing migration began.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A statement of a migration failed; the migration was rolled back.
    #[error("{} failed at statement {} (line {}): {}{}", .0.migration, .0.statement_index, .0.line, .0.message, .0.hint.as_ref().map(|h| format!("; {h}")).unwrap_or_default())]
    Statement(Box<StatementFailure>),

    /// A migration left rows that violate foreign keys; it was rolled back.
    #[error("{migration} violates foreign keys: {}", join(violations))]
    ForeignKeys {
        /// The migration that left the rows.
        migration: MigrationRef,
        /// The offending rows (at most 20).
        violations: Vec<ForeignKeyViolation>,
        /// Versions this call applied before the failure.
        applied: Vec<i64>,
    },

    /// The Rust function attached to a migration failed; the migration was rolled back.
    #[error("{migration} failed in its code step: {source}")]
    Code {
        /// The migration the function is attached to.
        migration: MigrationRef,
        /// What the function returned.
        source: Box<dyn std::error::Error + Send + Sync>,
        /// Versions this call applied before the failure.
        applied: Vec<i64>,
    },

    /// SQLite failed while the migration was being recorded or committed (for example a full
    /// disk); the migration was rolled back.
    #[error("{migration} could not be recorded: {source}")]
    Record {
        /// The migration whose tracking rows or commit failed.
        migration: MigrationRef,
        /// SQLite's error.
        source: rusqlite::Error,
        /// Versions this call applied before the failure.
        applied: Vec<i64>,
    },

    /// Applied migrations whose files have changed since.
    #[error("applied migrations differ from this build: {}; if the edit was intended, accept it with `repair` (it records the new checksum), otherwise restore the file as it was applied", join_drift(.0))]
    Drift(Vec<Drift>),

    /// The database records versions this build does not have: it is ahead of the code.
    #[error("the database has applied migrations this build does not know (the database is ahead of the code): {}; deploy a build that has them, or go on without them with `Runner::allow_unknown_applied` (`apply --allow-unknown`)", join(.0))]
    UnknownApplied(Vec<MigrationRef>),

    /// Versions missing from the applied history while later ones are applied.
    #[error("applied migrations have holes: {} not applied while later versions are; apply them out of order with `Runner::allow_holes` (`apply --allow-holes`)", join(.0))]
    Holes(Vec<MigrationRef>),

    /// A no-transaction migration stopped at a failed statement in an earlier run.
    #[error("{} is incomplete: it runs outside a transaction and an earlier run failed at statement {} (line {}): {}; fix that statement and run again (or retry it unchanged with `Runner::retry_failed`, `apply --retry-failed`)", .0.migration, .0.statement_index, .0.line, .0.message)]
    Incomplete(Box<StatementFailure>),

    /// A no-transaction migration is incomplete and statements that already ran have changed.
    #[error(
        "{migration} is incomplete and statements that already ran have changed since (statements {}): restore them, or finish the migration by hand and record it with `repair`",
        join(statements)
    )]
    IncompleteEdited {
        /// The incomplete migration.
        migration: MigrationRef,
        /// 1-based positions of the changed statements.
        statements: Vec<usize>,
    },

    /// Another connection holds the write lock for longer than the busy timeout.
    #[error("the database is locked by another connection (waited {:.1?}){}", waited, migration.as_ref().map(|m| format!(" before {m}")).unwrap_or_default())]
    Locked {
        /// How long this call waited.
        waited: Duration,
        /// The migration that was about to run, if any.
        migration: Option<MigrationRef>,
    },

    /// A fleet was given a database file that does not exist; it was not created
    /// ([`Fleet::create_missing`](crate::Fleet::create_missing) creates it).
    #[error("`{}`: no such database file", path.display())]
    NoSuchDatabase {
        /// The missing file.
        path: PathBuf,
    },

    /// The file is not an SQLite database.
    #[error("`{}` is not an SQLite database", path.display())]
    NotADatabase {
        /// The file opened as the database.
        path: PathBuf,
    },

    /// The database cannot be written.
    #[error("the database `{}` is read-only{}", path.display(), migration.as_ref().map(|m| format!(": cannot apply {m}")).unwrap_or_default())]
    ReadOnly {
        /// The database file.
        path: PathBuf,
        /// The migration that could not be applied, if any.
        migration: Option<MigrationRef>,
    },

    /// A tracking table exists but does not have the expected columns.
    #[error("the table `{table}` does not have the layout this library expects: {problem}")]
    TrackingTable {
        /// The tracking table, for example `schema_migrations`.
        table: String,
        /// What is wrong.
        problem: String,
    },

    /// Migrations to roll back have no down file; nothing was rolled back.
    #[error("cannot roll back: {} no down file", join_have(.0))]
    MissingDown(Vec<MigrationRef>),

    /// A no-transaction migration in an operation that needs one transaction.
    #[error(
        "{migration} runs outside a transaction (`-- migrate:no-transaction`) and cannot be part of a single-transaction batch"
    )]
    NeedsOwnTransaction {
        /// The no-transaction migration.
        migration: MigrationRef,
    },

    /// A target or rollback version outside the set.
    #[error("version {requested} is not valid here: {reason}")]
    InvalidVersion {
        /// The version asked for.
        requested: i64,
        /// Why it cannot be used.
        reason: String,
    },

    /// `baseline` on a database that already records migrations.
    #[error(
        "cannot baseline: the database already records applied migrations (up to version {current_version})"
    )]
    AlreadyTracked {
        /// The highest recorded version.
        current_version: i64,
    },

    /// A set built at run time breaks the rules.
    #[error("invalid migration set:\n{0}")]
    InvalidSet(Problems),

    /// Writing or restoring a backup failed.
    #[error("backup `{}` failed: {source}", path.display())]
    Backup {
        /// The backup file written or read.
        path: PathBuf,
        /// SQLite's error.
        source: rusqlite::Error,
    },

    /// [`BackupTarget::Beside`](crate::BackupTarget::Beside) on a database that has no file
    /// (`:memory:` or a temporary database); nothing was applied.
    #[error("an in-memory database has no file to put a backup beside: give the backup a path")]
    BackupNeedsPath,

    /// [`restore_backup`](crate::restore_backup) was given a path that is not a file; the
    /// database was not touched.
    #[error("`{}`: no such backup file", path.display())]
    BackupNotFound {
        /// The path given.
        path: PathBuf,
    },

    /// Waiting for the migrator lock file beside the database failed; nothing was applied.
    #[error("`{}`: cannot take the migrator lock: {source}", path.display())]
    MigratorLock {
        /// The lock file (`<db>.migrate-lock`).
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },

    /// A set built at run time holds more SQL than the embedded layout can address.
    #[error(transparent)]
    TooLarge(#[from] TooLarge),

    /// [`Migrations::verify_in_memory`](crate::Migrations::verify_in_memory) could not set up
    /// its in-memory database; failing migrations are in its report, not here.
    #[error("{0}")]
    Verify(#[from] migrate_rules::verify::VerifyError),

    /// Any other SQLite error, outside a migration (opening, reading the tracking tables).
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

impl Error {
    /// The versions applied by this call before it failed, for errors that stop a run midway.
    pub fn applied_before_failure(&self) -> &[i64] {
        match self {
            Error::Statement(failure) => &failure.applied,
            Error::ForeignKeys { applied, .. }
            | Error::Code { applied, .. }
            | Error::Record { applied, .. } => applied,
            _ => &[],
        }
    }

    /// SQLite's extended result code behind this error, if there is one.
    pub fn sqlite_code(&self) -> Option<i32> {
        match self {
            Error::Statement(failure) => failure.extended_code,
            Error::Record { source, .. } | Error::Backup { source, .. } | Error::Sqlite(source) => {
                match source {
                    rusqlite::Error::SqliteFailure(e, _) => Some(e.extended_code),
                    _ => None,
                }
            }
            _ => None,
        }
    }
}

fn join<T: fmt::Display>(items: &[T]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn join_have(items: &[MigrationRef]) -> String {
    let verb = if items.len() == 1 { "has" } else { "have" };
    format!("{} {verb}", join(items))
}

fn join_drift(drift: &[Drift]) -> String {
    drift
        .iter()
        .map(|d| {
            format!(
                "{} was edited after it was applied (applied {}, now {})",
                d.migration, d.applied, d.embedded
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}
