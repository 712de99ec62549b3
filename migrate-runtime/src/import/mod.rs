//! Coming from another tool: its migration sets and the databases it migrated.
//!
//! [`ImportMap`] is `IMPORTED.toml`, written beside the imported files: which source
//! migration each of our files came from, and the source's checksum where the tool keeps
//! one. `baseline --from` ([`Migrations::baseline_from`](crate::Migrations::baseline_from))
//! reads it to map the other tool's history table onto our versions.

mod baseline_from;
mod checksum;
mod history;
mod map;
mod siphash;

pub use baseline_from::{
    BaselineFromError, BaselineFromReport, ChecksumMismatch, IgnoredEntry, SourceEntry, TakenOver,
    Unverifiable, Verification,
};
pub use map::{
    IMPORTED_FILE, ImportMap, ImportMapError, ImportedMigration, SourceTool, UnknownTool,
};
