//! Build-time verification: the whole set applied to a private in-memory SQLite database with
//! the runtime's rules (feature `verify`).
//!
//! The macro (`embed_migrations!("migrations", verify)`) and the runtime
//! (`Migrations::verify_in_memory`, the CLI's `schema`) both call [`verify`], so what the
//! compiler accepts is what the runtime would accept on an empty database.
//!
//! What it checks, per migration `k`, in order:
//! 1. the up script runs as the runtime runs it: foreign keys on for the connection, turned
//!    off around a transactional migration's transaction, `PRAGMA foreign_key_check` before
//!    its commit; a `-- migrate:no-transaction` script statement by statement outside a
//!    transaction with the connection's own setting;
//! 2. its down file, when it has one, undoes it: the structural schema after the down file
//!    equals the schema after `k - 1` (then verification goes on from `k` applied);
//! 3. lints, from comparing the schema before and after `k` (never from SQL text):
//!    [`Lint::Destructive`], [`Lint::BackwardIncompatible`], [`Lint::DataDependent`], each
//!    silenced for one file by a line `-- migrate:allow <lint>`.
//!
//! Invariants: linear in the number of migrations (only the objects a migration touched are
//! read again after it); never touches the file system (a sandbox denies `ATTACH`,
//! `VACUUM INTO`, extensions and file-related pragmas); each migration has a time budget and
//! the database a memory cap; never panics.

use std::time::Duration;

use crate::set::MigrationSet;

/// Limits of a verification run.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Options {
    /// Time budget per migration (up script, or down file): default 10 s, or
    /// `MIGRATE_VERIFY_TIMEOUT_MS` in the environment ([`Options::from_env`]).
    pub timeout: Duration,
    /// Cap on SQLite's heap while verifying, in bytes (default 256 MiB).
    pub memory_limit: u64,
    /// Stop after this version (for `schema --at N`); `None` applies the whole set.
    pub target: Option<i64>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            timeout: Duration::from_secs(10),
            memory_limit: 256 << 20,
            target: None,
        }
    }
}

impl Options {
    /// The defaults, with `MIGRATE_VERIFY_TIMEOUT_MS` applied when it is set to a number.
    pub fn from_env() -> Self {
        let mut options = Options::default();
        if let Some(ms) = std::env::var("MIGRATE_VERIFY_TIMEOUT_MS")
            .ok()
            .and_then(|v| v.trim().parse::<u64>().ok())
        {
            options.timeout = Duration::from_millis(ms);
        }
        options
    }

    /// Stops after `version`.
    pub fn target(mut self, version: i64) -> Self {
        self.target = Some(version);
        self
    }
}

/// A lint: a change that applies cleanly but deserves a second look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Lint {
    /// A table or column that existed before the migration is gone after it.
    Destructive,
    /// A table or column was renamed: the previous release, still running during a rolling
    /// deploy, breaks.
    BackwardIncompatible,
    /// A change that passes on the empty verification database but can fail on real rows (a
    /// new unique index or `UNIQUE` on an existing table, `NOT NULL` or `CHECK` added to an
    /// existing column).
    DataDependent,
}

impl Lint {
    /// Every lint.
    pub const ALL: [Lint; 3] = [
        Lint::Destructive,
        Lint::BackwardIncompatible,
        Lint::DataDependent,
    ];

    /// The stable name used in warnings and in `-- migrate:allow <name>`.
    pub fn name(self) -> &'static str {
        match self {
            Lint::Destructive => "destructive",
            Lint::BackwardIncompatible => "backward-incompatible",
            Lint::DataDependent => "data-dependent",
        }
    }

    /// The lint with this name.
    pub fn from_name(name: &str) -> Option<Lint> {
        Lint::ALL.into_iter().find(|l| l.name() == name)
    }
}

/// One lint raised by one migration.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LintWarning {
    /// Which lint.
    pub lint: Lint,
    /// The version of the migration that raised it.
    pub version: i64,
    /// Its up file's name.
    pub file: String,
    /// 1-based line of the statement responsible (the last one that touched the object).
    pub line: u32,
    /// What changed, e.g. ``column `users.nickname` is dropped``.
    pub message: String,
}

/// Why a migration failed verification.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FailureKind {
    /// SQLite rejected a statement (of the up script, or of the down file when `file` names
    /// the down file).
    Statement {
        /// 1-based position of the statement in the file.
        statement_index: usize,
        /// 1-based line of the statement in the file.
        line: u32,
        /// The statement, shortened to about 200 characters.
        statement: String,
        /// SQLite's message.
        message: String,
    },
    /// Rows violate foreign keys before the commit.
    ForeignKeys {
        /// One line per violation, e.g. ```orders` rowid 3 references a missing row of `users```.
        violations: Vec<String>,
    },
    /// The down file does not restore the schema before the migration.
    DownMismatch {
        /// One line per difference, e.g. ``index `tags_name` remains``.
        differences: Vec<String>,
    },
    /// The time budget ran out ([`Options::timeout`]).
    Timeout {
        /// The budget.
        budget: Duration,
    },
    /// The memory cap was reached ([`Options::memory_limit`]).
    OutOfMemory,
    /// The sandbox refused an operation that reaches outside the database (`ATTACH`,
    /// `VACUUM INTO`, an extension, a file-related pragma).
    Denied {
        /// 1-based position of the statement in the file.
        statement_index: usize,
        /// 1-based line of the statement in the file.
        line: u32,
        /// What was refused, e.g. "`ATTACH`".
        operation: String,
    },
}

/// A migration that failed verification.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Failure {
    /// The version of the migration.
    pub version: i64,
    /// The file that failed: the up file, or the down file.
    pub file: String,
    /// What went wrong.
    pub kind: FailureKind,
    /// The earlier failed migration this failure may be a consequence of: verification goes
    /// on after a failure from the schema before the failed migration.
    pub after_failure_of: Option<i64>,
}

/// The result of [`verify`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Verification {
    /// Every failed migration, in version order; empty when the set verified.
    pub failures: Vec<Failure>,
    /// Every lint not allowed by its file, in version order.
    pub lints: Vec<LintWarning>,
    /// The snapshot of the final schema (or of the schema at [`Options::target`]): plain SQL
    /// that `sqlite3` can execute, deterministic (objects sorted, whitespace normalised),
    /// headed by one comment line per applied migration with its file name and checksum.
    /// Meaningful only when `failures` is empty.
    pub snapshot: String,
    /// Migrations applied (up to the target).
    pub applied: usize,
}

impl Verification {
    /// True when nothing failed (lints are warnings).
    pub fn is_ok(&self) -> bool {
        self.failures.is_empty()
    }
}

/// A verification that could not run at all (SQLite could not open an in-memory database).
#[derive(Debug, thiserror::Error)]
#[error("cannot verify the migrations: {0}")]
pub struct VerifyError(String);

/// Applies `set` to a private in-memory database and reports every failure and lint.
///
/// # Errors
/// [`VerifyError`] when the verification database cannot be set up; failures of migrations
/// are in [`Verification::failures`], not errors.
pub fn verify(set: &MigrationSet, options: &Options) -> Result<Verification, VerifyError> {
    let _ = (set, options);
    Err(VerifyError("not implemented yet".to_owned()))
}

/// The lints a script allows with `-- migrate:allow <lint>` lines, and the names on such lines
/// that are no lint (which the macro reports).
pub fn allowed_lints(sql: &str) -> (Vec<Lint>, Vec<String>) {
    let _ = sql;
    (Vec::new(), Vec::new())
}
