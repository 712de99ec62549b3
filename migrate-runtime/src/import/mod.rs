//! Coming from another tool: its migration sets and the databases it migrated.
//!
//! [`ImportPlan`] reads a set written for sqlx, diesel, refinery or Prisma, in that tool's
//! layout and order, and plans our files: versions `1..=n`, the source names as
//! descriptions, the SQL bytes unchanged but for the changes each migration lists (the
//! tools' no-transaction markers as `-- migrate:no-transaction`, and `PRAGMA foreign_keys`
//! lines removed from migrations that run in a transaction), and every problem our rules
//! find, each naming its source file. [`ImportPlan::write`] writes it into a new or empty
//! directory, with `IMPORTED.toml`.
//!
//! [`ImportMap`] is `IMPORTED.toml`, written beside the imported files: which source
//! migration each of our files came from, and the source's checksum where the tool keeps
//! one. `baseline --from` ([`Migrations::baseline_from`](crate::Migrations::baseline_from))
//! reads it to map the other tool's history table onto our versions.
//!
//! ```no_run
//! use migrate_runtime::import::{self, SourceTool};
//!
//! let plan = import::import(SourceTool::Sqlx, "old/migrations", "migrations")?;
//! for migration in &plan.map().migrations {
//!     println!("{} <- {}", migration.file, migration.source_path);
//! }
//! # Ok::<(), migrate_runtime::import::ImportError>(())
//! ```

// Imports go one way: `plan` uses `source` and `transform`, which use `checksum`; `write`
// adds the writing to the plan; `map` and `error` import nothing from here; `baseline_from`
// reads the other tool's table through `history` and compares with `checksum`.
mod baseline_from; // Migrations::baseline_from and its report
mod checksum; // the other tools' checksums of a source file
mod error; // ImportError, ImportProblem, Rule
mod history; // reading the other tool's history table, never writing it
mod map; // IMPORTED.toml and SourceTool
mod plan; // ImportPlan: the files, changes and problems, without writing
mod source; // each tool's layout and order
mod transform; // the only changes made to SQL bytes
mod write; // writing a plan into a new or empty directory

use std::path::Path;

pub use baseline_from::{
    BaselineFromError, BaselineFromReport, ChecksumMismatch, IgnoredEntry, SourceEntry, TakenOver,
    Unverifiable, Verification,
};
pub use error::{ImportError, ImportProblem, Rule};
pub use map::{
    IMPORTED_FILE, ImportMap, ImportMapError, ImportedMigration, SourceTool, UnknownTool,
};
pub use plan::{ImportPlan, PlannedFile};

/// Plans the import of `source_dir` (a `tool` set) and writes it into `target`, which must
/// not exist or be empty: [`ImportPlan::new`] then [`ImportPlan::write`].
///
/// # Errors
/// Those of both; [`ImportError::Refused`] lists every problem, each naming its source file.
pub fn import(
    tool: SourceTool,
    source_dir: impl AsRef<Path>,
    target: impl AsRef<Path>,
) -> Result<ImportPlan, ImportError> {
    let plan = ImportPlan::new(tool, source_dir)?;
    plan.write(target.as_ref())?;
    Ok(plan)
}

/// The tool whose history table `conn`'s database holds (sqlx, diesel, refinery or Prisma),
/// if any: a database to take over with [`Migrations::baseline_from`](crate::Migrations::baseline_from)
/// rather than migrate again. rusqlite_migration leaves no table, so it is never named.
///
/// ```
/// use migrate_runtime::import::{migrated_by, SourceTool};
/// use migrate_runtime::rusqlite::Connection;
///
/// let conn = Connection::open_in_memory()?;
/// assert_eq!(migrated_by(&conn), None);
/// conn.execute_batch("CREATE TABLE _sqlx_migrations (version BIGINT PRIMARY KEY)")?;
/// assert_eq!(migrated_by(&conn), Some(SourceTool::Sqlx));
/// # Ok::<(), migrate_runtime::rusqlite::Error>(())
/// ```
pub fn migrated_by(conn: &rusqlite::Connection) -> Option<SourceTool> {
    crate::foreign::migrated_by(conn).and_then(|(_, tool)| tool.parse().ok())
}
