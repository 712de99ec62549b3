//! SQL migrations for SQLite, embedded into the binary at compile time, checked by the
//! compiler, and applied exactly once at run time.
//!
//! ```
//! use migrate_runtime::{rusqlite::Connection, Migrations};
//!
//! static MIGRATIONS: Migrations = migrate_runtime::embed_migrations!("tests/doc_migrations");
//!
//! fn main() -> Result<(), migrate_runtime::Error> {
//!     let mut conn = Connection::open_in_memory()?;
//!     let report = MIGRATIONS.run(&mut conn)?;
//!     assert_eq!(report.applied.len(), 2);
//!     Ok(())
//! }
//! ```
//!
//! - [`embed_migrations!`] reads a directory of `<version>_<description>.sql` files at build
//!   time and refuses a broken set with compiler errors that name the files.
//! - [`Migrations::run`] applies what is pending, each migration in one `BEGIN IMMEDIATE`
//!   transaction with its tracking row, exactly once even when several processes start
//!   together, after checking the applied history for drift.
//! - [`Migrations::runner`] adds options: a target version, a dry run, one transaction for
//!   the whole batch, a backup first, attached Rust code.
//! - [`Migrations::status`], [`Migrations::history`], [`Migrations::rollback_to`],
//!   [`Migrations::baseline`] and [`Migrations::repair`] are the operator's tools, and the
//!   `cli` feature mounts all of them as subcommands of the application's own binary.
//! - [`Migrations::test_database`] and [`Migrations::test_database_at`] give each test its
//!   own in-memory database, copied from one the set was applied to once per process.
//!
//! The library never prints; it logs through the [`log`](https://docs.rs/log) facade.

#![warn(missing_docs)]
// The docs show build scripts, whose `fn main` is the point of the example.
#![allow(clippy::needless_doctest_main)]

mod backup;
mod checksum;
#[cfg(feature = "cli")]
pub mod cli;
mod clock;
mod compare;
mod db;
mod error;
mod fleet;
mod foreign;
#[cfg(feature = "http")]
pub mod http;
#[cfg(feature = "import")]
pub mod import;
#[cfg(any(feature = "cli", feature = "http"))]
mod json;
mod migrations;
mod ops;
mod run;
mod testing;
mod tracking;

pub use migrate_rules::{Checksum, Problem, Problems};
pub use rusqlite;

pub use crate::backup::{BackupTarget, restore_backup};
pub use crate::checksum::RecordedChecksum;
pub use crate::error::{Drift, Error, ForeignKeyViolation, MigrationRef, StatementFailure};
pub use crate::fleet::{
    AppliedVersion, DatabaseStatus, Fleet, FleetEvent, FleetReport, OnError, Outcome, Shard, Totals,
};
pub use crate::migrations::{Iter, Migration, Migrations};
pub use crate::ops::{
    HistoryEntry, MigrationState, MigrationStatus, RepairReport, RollbackOptions, RollbackReport,
    Status, StatusCounts, VerifyOptions, VerifyReport,
};
/// The failures and lints of [`Migrations::verify_in_memory`].
pub mod verify {
    pub use crate::ops::{Failure, FailureKind, Lint, LintWarning, VerifyOptions, VerifyReport};
}
pub use crate::run::{
    AppliedMigration, CodeStep, Event, ForeignKeyCheck, Report, Runner, RunnerOptions,
    UpToDateCheck,
};
pub use crate::tracking::HistoryEvent;

/// Embeds a directory of SQL migrations into the binary, checked at compile time.
///
/// ```
/// static MIGRATIONS: migrate_runtime::Migrations =
///     migrate_runtime::embed_migrations!("tests/doc_migrations");
/// assert_eq!(MIGRATIONS.len(), 2);
/// ```
///
/// The path is relative to the calling crate's `Cargo.toml`. The value is built by the
/// compiler and usable in a `static` or `const`.
///
/// # Rules
/// Files are `<version>_<description>.sql`, with an optional `<version>_<description>.down.sql`
/// twin. Versions are decimal (leading zeros allowed), unique and contiguous from 1; the
/// description is `A-Z a-z 0-9 _ -`. Each file holds at least one statement and is UTF-8.
/// Statements that cannot run in a transaction (`BEGIN`, `COMMIT`, `VACUUM`,
/// `PRAGMA journal_mode`, ...) need `-- migrate:no-transaction` as the file's first line.
/// Hidden files and files not ending in `.sql` are ignored; subdirectories are errors. Every
/// violation is reported in the same build, naming the files.
///
/// # Rebuilds
/// Cargo does not know that the macro reads the directory. Add this build script to the
/// calling crate so that adding, removing, renaming or editing a migration rebuilds it:
///
/// ```no_run
/// // build.rs
/// fn main() {
///     println!("cargo:rerun-if-changed=migrations");
/// }
/// ```
///
/// Without it, the macro still tracks edits of the files it embedded, and emits a warning
/// that names the line to add. On nightly, building with `RUSTFLAGS="--cfg migrate_unstable"`
/// registers the directory with the compiler instead and no build script is needed.
///
/// # Verification
/// With the `verify` argument, the compiler also *runs* the migrations:
///
/// ```ignore
/// // Cargo.toml: migrate-runtime = { version = "0.1", features = ["bundled", "verify"] }
/// static MIGRATIONS: Migrations = embed_migrations!("migrations", verify);
/// static MIGRATIONS: Migrations =
///     embed_migrations!("migrations", verify, schema = "migrations/schema.sql");
/// ```
///
/// `verify` needs the feature `verify` of migrate-runtime, which links SQLite into the macro
/// (built from source once per target directory); without the feature, writing `verify` is a
/// compile error that names the feature. Without the argument nothing changes: no SQLite in
/// the macro, the same expansion.
///
/// The macro applies the whole set, in order, to a private in-memory database with the
/// runtime's own rules: foreign keys on, turned off around each migration's transaction and
/// checked with `PRAGMA foreign_key_check` before its commit, `-- migrate:no-transaction`
/// files statement by statement. Every failing migration is a compile error at the path that
/// names the file, the statement's position and line, the statement and SQLite's message,
/// all in the same build; a failure that may follow from an earlier one says so. After each
/// migration with a down file, the down file runs and must restore the schema from before
/// the migration, compared by structure (tables and their columns, indexes, foreign keys,
/// views and triggers), not by text; what it leaves behind is named
/// (``down file `0005_add_tags.down.sql` does not undo `0005_add_tags.sql`: index `tags_name`
/// remains``).
///
/// **Sandbox.** Verification never reaches outside its database: `ATTACH`, `VACUUM INTO`,
/// extensions and file access are denied, its memory is capped, and each migration has a
/// time budget of 10 s, which the environment variable `MIGRATE_VERIFY_TIMEOUT_MS` changes
/// (in milliseconds, read when the macro runs). Exceeding either is a compile error naming
/// the migration, not a hung compiler.
///
/// **Lints** are warnings, from comparing the schema before and after each migration:
/// - `destructive`: a table or column that existed is gone (`DROP TABLE`,
///   `ALTER TABLE ... DROP COLUMN`, a table rebuild that loses a column);
/// - `backward-incompatible`: a table or column is renamed, which breaks the previous
///   release while it still runs during a rolling deploy;
/// - `data-dependent`: a change that passes on the empty database but can fail on real rows
///   (a new unique index or `UNIQUE` on an existing table, `NOT NULL` or `CHECK` added to an
///   existing column by a rebuild).
///
/// Each warning names the lint, the file and the line, e.g.
/// ``migrate::destructive: `0004_drop_nickname.sql` line 3: column `users.nickname` is
/// dropped``. A line `-- migrate:allow <lint>` in a file silences that lint for that file; an
/// unknown name on such a line is an error. The warnings are deprecation warnings (the one
/// way a macro can warn on stable Rust), so `#![deny(deprecated)]` makes them errors.
///
/// **Snapshot.** `schema = "path"` (relative to the crate's `Cargo.toml`) compares the final
/// schema with a committed file: plain SQL that `sqlite3` can run, deterministic, headed by
/// one comment line per migration with its file name and checksum, so a pull request shows
/// both the schema change and any edit of an old migration. A difference is a compile error
/// with a short diff, and a missing file is an error; run `MIGRATE_BLESS=1 cargo build` to
/// write the file (only when it differs; a warning says it did), then review and commit it.
/// The snapshot may live in the migrations directory: that one file is then not a migration.
/// It is an input of the build like the migrations: editing it re-runs the macro.
///
/// **Code steps** ([`Runner::code`]) cannot run at compile time: verification assumes they do
/// not change the schema. [`Migrations::verify_in_memory`] runs the same verification from a
/// `#[test]`.
pub use migrate_macros::embed_migrations;

/// Not public API: what the expansion of [`embed_migrations!`] refers to.
#[doc(hidden)]
pub mod __private {
    pub use crate::Migrations;

    /// The value the macro expands to after reporting errors, so that no knock-on type
    /// errors follow them.
    pub const EMPTY: Migrations = from_embedded(EmbeddedSet {
        names: "",
        up_sql: "",
        down_sql: "",
        index: b"",
        statement_ends: b"",
        checksums: b"",
        history_checksum: [0; 32],
        source_dir: "",
    });

    /// The set the macro wrote, as a constant.
    pub const fn from_embedded(set: EmbeddedSet) -> Migrations {
        Migrations::from_embedded(set)
    }

    /// A set in `migrate-rules`'s packed layout, as the macro writes it.
    pub struct EmbeddedSet {
        pub names: &'static str,
        pub up_sql: &'static str,
        pub down_sql: &'static str,
        pub index: &'static [u8],
        pub statement_ends: &'static [u8],
        pub checksums: &'static [u8],
        pub history_checksum: [u8; 32],
        /// The absolute path of the directory the macro read (empty when unknown).
        pub source_dir: &'static str,
    }
}
