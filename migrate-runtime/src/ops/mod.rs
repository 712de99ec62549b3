//! The operator's tools, one file per operation: [`status`] (and `version`), [`history`],
//! [`rollback`], [`baseline`], [`repair`], [`verify`] (`verify_in_memory`); `restore_backup` is in [`crate::backup`].
//!
//! Invariants: reads never create or change anything. Writes hold the migrator lock for their
//! whole duration and keep the tracking tables, the state row and `PRAGMA user_version`
//! consistent in the same transactions as their changes. Each file adds its methods to
//! [`Migrations`](crate::Migrations), as rusqlite adds `Connection` methods per feature.

mod baseline;
mod history;
mod repair;
mod rollback;
mod status;
mod verify;

#[cfg(feature = "import")]
pub(crate) use self::baseline::BaselinePlan;
pub use self::history::HistoryEntry;
pub use self::repair::RepairReport;
pub use self::rollback::{RollbackOptions, RollbackReport};
pub use self::status::{MigrationState, MigrationStatus, Status, StatusCounts};
pub use self::verify::{Failure, FailureKind, Lint, LintWarning, VerifyOptions, VerifyReport};
