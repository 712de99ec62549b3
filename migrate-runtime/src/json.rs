//! The JSON documents of the CLI (`--json`) and of the HTTP admin: one type per shape,
//! borrowed from the library's reports. Where both have a document (status, history, a run, a
//! rollback) it is the same type, so the two cannot drift apart.
//!
//! The shapes are a promise to monitoring scripts (see the `cli` module docs), so they are
//! written out here rather than derived from the library's types: a field renamed in the
//! library cannot change them.
//!
//! Field order is output order. `status` lists its fields in the order of the library's
//! report; every other shape was first written through `serde_json::Value`, whose keys come
//! out sorted, so their fields are declared alphabetically to keep each document
//! byte-for-byte the same.

// Each front end uses its own part of the shapes.
#![cfg_attr(not(all(feature = "cli", feature = "http")), allow(dead_code))]

use std::path::Path;

use serde::Serialize;

use crate::{AppliedMigration, Drift, HistoryEntry, MigrationStatus, Report, StatusCounts};

/// A failure, under `--json` and as the HTTP admin's error body: what kind of failure
/// (`error`, a stable snake-case name), the message a person reads, and for a failed
/// migration where it failed (`version`, `file`, `statement_index`, `line`,
/// `sqlite_message`, `applied`).
#[derive(Debug, Serialize)]
pub(crate) struct ErrorDocument {
    pub error: &'static str,
    pub message: String,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub failure: Option<Box<Failure>>,
    /// `import`: every problem that refused it.
    #[cfg(feature = "cli")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problems: Option<Vec<ImportProblem>>,
}

/// Where a migration failed.
#[derive(Debug, Serialize)]
pub(crate) struct Failure {
    pub version: i64,
    pub file: String,
    pub statement_index: Option<usize>,
    pub line: Option<u32>,
    pub sqlite_message: Option<String>,
    pub applied: Vec<i64>,
}

impl ErrorDocument {
    /// A failure of kind `error` with `message` and nothing more.
    pub(crate) fn new(error: &'static str, message: impl Into<String>) -> Self {
        ErrorDocument {
            error,
            message: message.into(),
            failure: None,
            #[cfg(feature = "cli")]
            problems: None,
        }
    }

    /// The document of a library error: its kind, its message, and where a migration failed.
    pub(crate) fn of(error: &crate::Error) -> Self {
        ErrorDocument {
            error: error_kind(error),
            message: error.to_string(),
            failure: failure(error).map(Box::new),
            #[cfg(feature = "cli")]
            problems: None,
        }
    }

    /// The document of a failed or refused import; a refusal lists its problems.
    #[cfg(feature = "cli")]
    pub(crate) fn of_import(error: &crate::import::ImportError) -> Self {
        use crate::import::ImportError;
        let (kind, problems) = match error {
            ImportError::Refused { problems } => (
                "import_refused",
                Some(problems.iter().map(ImportProblem::of).collect()),
            ),
            ImportError::NotImportable { .. } => ("not_importable", None),
            ImportError::NoSourceDir { .. } => ("no_source_dir", None),
            ImportError::NoMigrations { .. } => ("no_migrations", None),
            ImportError::TargetNotEmpty { .. } => ("target_not_empty", None),
            ImportError::TargetIsSource { .. } => ("target_is_source", None),
            ImportError::Read { .. } | ImportError::Write { .. } => ("io", None),
        };
        ErrorDocument {
            problems,
            ..ErrorDocument::new(kind, error.to_string())
        }
    }
}

/// The stable name of a library error's kind.
pub(crate) fn error_kind(error: &crate::Error) -> &'static str {
    use crate::Error;
    match error {
        Error::Statement(_)
        | Error::ForeignKeys { .. }
        | Error::Code { .. }
        | Error::Record { .. } => "migration_failed",
        Error::Locked { .. } => "locked",
        Error::Drift(_) => "drift",
        Error::UnknownApplied(_) => "unknown_applied",
        Error::Holes(_) => "holes",
        Error::Incomplete(_) | Error::IncompleteEdited { .. } => "incomplete",
        Error::MissingDown(_) => "missing_down",
        Error::NeedsOwnTransaction { .. } | Error::AlreadyTracked { .. } => "conflict",
        Error::InvalidVersion { .. } => "invalid_version",
        Error::NotADatabase { .. } => "not_a_database",
        Error::ReadOnly { .. } => "read_only",
        _ => "database_error",
    }
}

fn failure(error: &crate::Error) -> Option<Failure> {
    use crate::Error;
    let applied = error.applied_before_failure().to_vec();
    match error {
        Error::Statement(f) => Some(Failure {
            version: f.migration.version,
            file: f.migration.file.clone(),
            statement_index: Some(f.statement_index),
            line: Some(f.line),
            sqlite_message: Some(f.message.clone()),
            applied,
        }),
        Error::ForeignKeys { migration, .. }
        | Error::Code { migration, .. }
        | Error::Record { migration, .. } => Some(Failure {
            version: migration.version,
            file: migration.file.clone(),
            statement_index: None,
            line: None,
            sqlite_message: None,
            applied,
        }),
        _ => None,
    }
}

/// `status`.
#[derive(Serialize)]
pub(crate) struct Status<'a> {
    pub database: &'a str,
    pub current_version: i64,
    pub latest_version: i64,
    pub migrations: Vec<MigrationRow<'a>>,
    pub holes: &'a [i64],
    pub counts: Counts,
}

impl<'a> Status<'a> {
    pub(crate) fn new(database: &'a str, status: &'a crate::Status) -> Self {
        Status {
            database,
            current_version: status.current_version,
            latest_version: status.latest_version,
            migrations: status.migrations.iter().map(MigrationRow::from).collect(),
            holes: &status.holes,
            counts: Counts::from(status.counts),
        }
    }
}

/// One migration of `status`.
#[derive(Serialize)]
pub(crate) struct MigrationRow<'a> {
    pub version: i64,
    pub name: &'a str,
    pub file: Option<&'a str>,
    pub state: &'static str,
    pub applied_at: Option<&'a str>,
    pub duration_ms: Option<u128>,
    pub checksum: Option<String>,
    pub applied_checksum: Option<String>,
    pub has_down: bool,
    pub detail: Option<&'a str>,
    pub error: Option<&'a str>,
}

impl<'a> From<&'a MigrationStatus> for MigrationRow<'a> {
    fn from(m: &'a MigrationStatus) -> Self {
        MigrationRow {
            version: m.version,
            name: &m.name,
            file: m.file.as_deref(),
            state: m.state.as_str(),
            applied_at: m.applied_at.as_deref(),
            duration_ms: m.duration.map(|d| d.as_millis()),
            checksum: m.checksum.as_ref().map(ToString::to_string),
            applied_checksum: m.applied_checksum.as_ref().map(ToString::to_string),
            has_down: m.has_down,
            detail: m.detail.as_deref(),
            error: m.error.as_deref(),
        }
    }
}

/// How many migrations of `status` are in each state.
#[derive(Serialize)]
pub(crate) struct Counts {
    pub applied: usize,
    pub pending: usize,
    pub drifted: usize,
    pub incomplete: usize,
    pub unknown: usize,
}

impl From<StatusCounts> for Counts {
    fn from(c: StatusCounts) -> Self {
        Counts {
            applied: c.applied,
            pending: c.pending,
            drifted: c.drifted,
            incomplete: c.incomplete,
            unknown: c.unknown,
        }
    }
}

/// `version`.
#[derive(Serialize)]
pub(crate) struct Version<'a> {
    pub current_version: i64,
    pub database: &'a str,
    pub latest_version: i64,
}

/// `history`.
#[derive(Serialize)]
pub(crate) struct History<'a> {
    pub database: &'a str,
    pub events: Vec<HistoryEvent<'a>>,
}

impl<'a> History<'a> {
    pub(crate) fn new(database: &'a str, events: &'a [HistoryEntry]) -> Self {
        History {
            database,
            events: events.iter().map(HistoryEvent::from).collect(),
        }
    }
}

/// One event of `history`.
#[derive(Serialize)]
pub(crate) struct HistoryEvent<'a> {
    pub at: &'a str,
    pub checksum: Option<String>,
    pub detail: Option<&'a str>,
    pub duration_ms: Option<u128>,
    pub event: &'static str,
    pub id: i64,
    pub name: Option<&'a str>,
    pub version: Option<i64>,
}

impl<'a> From<&'a HistoryEntry> for HistoryEvent<'a> {
    fn from(e: &'a HistoryEntry) -> Self {
        HistoryEvent {
            at: &e.at,
            checksum: e.checksum.as_ref().map(ToString::to_string),
            detail: e.detail.as_deref(),
            duration_ms: e.duration.map(|d| d.as_millis()),
            event: e.event.as_str(),
            id: e.id,
            name: e.name.as_deref(),
            version: e.version,
        }
    }
}

/// `check`'s verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum CheckResult {
    UpToDate,
    Pending,
    Error,
}

impl CheckResult {
    /// The process's exit code, also written in the document so that a script reading only
    /// the JSON sees it.
    pub(crate) fn exit_code(self) -> u8 {
        match self {
            CheckResult::UpToDate => 0,
            CheckResult::Error => 1,
            CheckResult::Pending => 2,
        }
    }
}

/// `check`, for a database that was read and for one that could not be.
#[derive(Serialize)]
pub(crate) struct Check<'a> {
    /// `None` when the database could not be read.
    pub current_version: Option<i64>,
    pub database: &'a str,
    pub drifted: Vec<i64>,
    pub exit_code: u8,
    pub holes: Vec<i64>,
    pub incomplete: Vec<i64>,
    pub latest_version: i64,
    pub message: &'a str,
    pub pending: Vec<i64>,
    pub result: CheckResult,
    pub unknown: Vec<i64>,
}

impl<'a> Check<'a> {
    /// The database could not be read: no version, empty lists, the error as the message.
    pub(crate) fn unreadable(database: &'a str, latest_version: i64, message: &'a str) -> Self {
        Check {
            current_version: None,
            database,
            drifted: Vec::new(),
            exit_code: CheckResult::Error.exit_code(),
            holes: Vec::new(),
            incomplete: Vec::new(),
            latest_version,
            message,
            pending: Vec::new(),
            result: CheckResult::Error,
            unknown: Vec::new(),
        }
    }
}

/// `apply` and `verify`.
#[derive(Serialize)]
pub(crate) struct Run<'a> {
    pub applied: Vec<Applied<'a>>,
    pub backup: Option<String>,
    /// `None` for a dry run, which leaves the database where it was.
    pub current_version: Option<i64>,
    pub database: &'a str,
    pub dry_run: bool,
    pub not_verified: Vec<MigrationRef<'a>>,
}

impl<'a> Run<'a> {
    pub(crate) fn new(database: &'a str, report: &'a Report, current_version: Option<i64>) -> Self {
        Run {
            applied: report.applied.iter().map(Applied::from).collect(),
            backup: report.backup.as_deref().map(display),
            current_version,
            database,
            dry_run: report.dry_run,
            not_verified: report.not_verified.iter().map(MigrationRef::from).collect(),
        }
    }
}

/// A migration applied by `apply` or rolled back by `rollback`.
#[derive(Serialize)]
pub(crate) struct Applied<'a> {
    pub duration_ms: u64,
    pub file: &'a str,
    pub name: &'a str,
    pub version: i64,
}

impl<'a> From<&'a AppliedMigration> for Applied<'a> {
    fn from(m: &'a AppliedMigration) -> Self {
        Applied {
            // Saturates instead of wrapping: no migration runs for 584 million years.
            duration_ms: u64::try_from(m.duration.as_millis()).unwrap_or(u64::MAX),
            file: &m.file,
            name: &m.name,
            version: m.version,
        }
    }
}

/// A migration named by its version and file.
#[derive(Serialize)]
pub(crate) struct MigrationRef<'a> {
    pub file: &'a str,
    pub version: i64,
}

impl<'a> From<&'a crate::MigrationRef> for MigrationRef<'a> {
    fn from(m: &'a crate::MigrationRef) -> Self {
        MigrationRef {
            file: &m.file,
            version: m.version,
        }
    }
}

/// `rollback`.
#[derive(Serialize)]
pub(crate) struct Rollback<'a> {
    /// The backup written first (the HTTP admin's rollback); absent when none was asked for,
    /// so the CLI's document keeps its bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backup: Option<String>,
    pub current_version: i64,
    pub database: &'a str,
    pub rolled_back: Vec<Applied<'a>>,
}

impl<'a> Rollback<'a> {
    pub(crate) fn new(database: &'a str, report: &'a crate::RollbackReport) -> Self {
        Rollback {
            backup: report.backup.as_deref().map(display),
            current_version: report.current_version,
            database,
            rolled_back: report.rolled_back.iter().map(Applied::from).collect(),
        }
    }
}

/// `baseline`.
#[derive(Serialize)]
pub(crate) struct Baseline<'a> {
    pub baselined: i64,
    pub current_version: i64,
    pub database: &'a str,
}

/// `baseline --from`.
#[cfg(feature = "cli")]
#[derive(Serialize)]
pub(crate) struct BaselineFrom<'a> {
    pub database: &'a str,
    pub from: String,
    pub baselined: Vec<i64>,
    pub verified: Vec<i64>,
    pub migrations: Vec<TakenOverJson>,
    pub ignored: Vec<String>,
    pub kept_table: Option<&'static str>,
    pub current_version: i64,
}

/// One migration of `baseline --from`.
#[cfg(feature = "cli")]
#[derive(Serialize)]
pub(crate) struct TakenOverJson {
    pub version: i64,
    pub file: String,
    pub source: String,
    pub verification: String,
}

#[cfg(feature = "cli")]
impl<'a> BaselineFrom<'a> {
    pub(crate) fn new(database: &'a str, report: &crate::import::BaselineFromReport) -> Self {
        BaselineFrom {
            database,
            from: report.tool.to_string(),
            baselined: report.migrations.iter().map(|m| m.version).collect(),
            verified: report.verified(),
            migrations: report
                .migrations
                .iter()
                .map(|m| TakenOverJson {
                    version: m.version,
                    file: m.file.clone(),
                    source: m.entry.id.clone(),
                    verification: m.verification.to_string(),
                })
                .collect(),
            ignored: report
                .ignored
                .iter()
                .map(|i| format!("{}: {}", i.entry, i.reason))
                .collect(),
            kept_table: report.kept_table,
            current_version: report.current_version,
        }
    }
}

/// `repair`.
#[derive(Serialize)]
pub(crate) struct Repair<'a> {
    pub accepted: Vec<Accepted<'a>>,
    pub database: &'a str,
    pub recorded: Vec<MigrationRef<'a>>,
}

/// A changed checksum that `repair` accepted.
#[derive(Serialize)]
pub(crate) struct Accepted<'a> {
    pub applied_checksum: String,
    pub checksum: String,
    pub file: &'a str,
    pub version: i64,
}

impl<'a> From<&'a Drift> for Accepted<'a> {
    fn from(d: &'a Drift) -> Self {
        Accepted {
            applied_checksum: d.applied.to_string(),
            checksum: d.embedded.to_string(),
            file: &d.migration.file,
            version: d.migration.version,
        }
    }
}

/// `restore`.
#[derive(Serialize)]
pub(crate) struct Restore<'a> {
    pub current_version: i64,
    pub database: &'a str,
    pub restored_from: String,
}

/// `new`.
#[derive(Serialize)]
pub(crate) struct New<'a> {
    pub created: &'a [String],
    pub version: i64,
}

/// A path as the human output shows it.
pub(crate) fn display(path: &Path) -> String {
    path.display().to_string()
}

/// One problem of a refused `import`.
#[cfg(feature = "cli")]
#[derive(Debug, Serialize)]
pub(crate) struct ImportProblem {
    pub message: String,
    pub rule: &'static str,
    pub source_path: String,
}

#[cfg(feature = "cli")]
impl ImportProblem {
    fn of(problem: &crate::import::ImportProblem) -> Self {
        ImportProblem {
            message: problem.message.clone(),
            rule: problem.rule.as_str(),
            source_path: problem.source_path.clone(),
        }
    }
}

/// `import`: what was (or, with `--dry-run`, would be) written.
#[cfg(feature = "cli")]
#[derive(Debug, Serialize)]
pub(crate) struct Import<'a> {
    pub dry_run: bool,
    pub from: &'static str,
    pub migrations: Vec<ImportedMigration<'a>>,
    pub source: String,
    pub target: String,
    pub written: Vec<String>,
}

/// One migration of an `import`.
#[cfg(feature = "cli")]
#[derive(Debug, Serialize)]
pub(crate) struct ImportedMigration<'a> {
    pub changes: &'a [String],
    pub down: Option<&'a str>,
    pub file: &'a str,
    pub source: &'a str,
    pub source_checksum: Option<&'a str>,
    pub source_path: &'a str,
    pub version: i64,
}

#[cfg(feature = "cli")]
impl<'a> ImportedMigration<'a> {
    pub(crate) fn of(migration: &'a crate::import::ImportedMigration) -> Self {
        ImportedMigration {
            changes: &migration.changes,
            down: migration.down.as_deref(),
            file: &migration.file,
            source: &migration.source,
            source_checksum: migration.source_checksum.as_deref(),
            source_path: &migration.source_path,
            version: migration.version,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pins the bytes of a documented shape: the declaration order is the output order.
    #[test]
    fn check_keeps_its_key_order() {
        let check = Check::unreadable("app.db", 3, "cannot open");
        assert_eq!(
            serde_json::to_string(&check).unwrap(),
            r#"{"current_version":null,"database":"app.db","drifted":[],"exit_code":1,"holes":[],"incomplete":[],"latest_version":3,"message":"cannot open","pending":[],"result":"error","unknown":[]}"#
        );
    }
}
