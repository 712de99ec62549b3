//! What a fleet prints: a progress bar on a terminal, one line per database otherwise, or one
//! JSON object per line under `--json`; then a summary (a last JSON line).
//!
//! Lines are printed from the fleet's worker threads as databases finish: each is one write
//! of one whole line, so lines never interleave. The JSON shapes are documented in the
//! [module docs](super#fleets) and only grow.

use std::collections::BTreeMap;
use std::io::{self, IsTerminal};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;

use crate::cli::output::{Color, Ui, ms, plural};
use crate::{DatabaseStatus, Error, FleetEvent, FleetReport, Outcome};

/// The fleet subcommand being printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Apply,
    Verify,
    Status,
    Check,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Apply => "apply",
            Kind::Verify => "verify",
            Kind::Status => "status",
            Kind::Check => "check",
        }
    }
}

/// Prints a fleet's progress and summary.
pub(crate) struct FleetPrinter<'a> {
    ui: &'a Ui,
    kind: Kind,
    bar: Option<ProgressBar>,
    failed: AtomicUsize,
}

impl<'a> FleetPrinter<'a> {
    /// True when progress is a bar: standard error is a terminal and neither `--json` nor
    /// `--quiet` is set.
    pub(crate) fn draws_bar(ui: &Ui) -> bool {
        !ui.json && !ui.quiet && io::stderr().is_terminal()
    }

    /// `total` is the number of databases when known (the bar then shows an ETA).
    pub(crate) fn new(ui: &'a Ui, kind: Kind, total: Option<u64>) -> Self {
        let bar = Self::draws_bar(ui).then(|| {
            let bar = ProgressBar::with_draw_target(total, ProgressDrawTarget::stderr());
            let template = if total.is_some() {
                "{spinner} [{elapsed_precise}] [{wide_bar}] {pos}/{len} databases, {msg}, {per_sec}, ETA {eta}"
            } else {
                "{spinner} [{elapsed_precise}] {pos} databases, {msg}, {per_sec}"
            };
            if let Ok(style) = ProgressStyle::with_template(template) {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.set_message("0 failed");
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        FleetPrinter {
            ui,
            kind,
            bar,
            failed: AtomicUsize::new(0),
        }
    }

    /// Called by the fleet, from its worker threads.
    pub(crate) fn event(&self, event: FleetEvent<'_>) {
        let FleetEvent::Finished { outcome, .. } = event else {
            return;
        };
        if outcome.is_failed() {
            self.failed.fetch_add(1, Ordering::Relaxed);
        }
        if self.ui.json {
            let line = DatabaseLine::from(outcome);
            if let Ok(text) = serde_json::to_string(&line) {
                self.ui.raw(&format!("{text}\n"));
            }
        } else if let Some(bar) = &self.bar {
            if let Some(error) = outcome.error() {
                bar.println(format!(
                    "{} {}: {error}",
                    self.ui.paint(Color::Red, "failed"),
                    outcome.path.display()
                ));
            }
            bar.set_message(format!("{} failed", self.failed.load(Ordering::Relaxed)));
            bar.inc(1);
        } else if self.ui.quiet {
            if let Some(error) = outcome.error() {
                self.ui
                    .error(&format!("{}: {error}", outcome.path.display()));
            }
        } else if matches!(self.kind, Kind::Apply | Kind::Verify) {
            self.line(outcome);
        }
    }

    /// One human line for a finished database of `apply` or `verify`.
    fn line(&self, outcome: &Outcome) {
        let path = outcome.path.display();
        let version = |v: Option<i64>| v.map_or("?".to_owned(), |v| v.to_string());
        let n = outcome.applied.len();
        let took = ms(outcome.elapsed);
        match &outcome.status {
            DatabaseStatus::Applied if self.kind == Kind::Verify => self.ui.line(
                Color::Green,
                "ok",
                format_args!(
                    "{path}: {n} migration{} ran and rolled back, at version {}{} ({took})",
                    plural(n),
                    version(outcome.from),
                    match outcome.not_verified.as_slice() {
                        [] => String::new(),
                        versions => format!(
                            "; {} not checked (outside a transaction: {})",
                            versions.len(),
                            versions
                                .iter()
                                .map(ToString::to_string)
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    }
                ),
            ),
            DatabaseStatus::Applied => self.ui.line(
                Color::Green,
                "applied",
                format_args!(
                    "{path}: version {} to {}, {n} migration{} ({took})",
                    version(outcome.from),
                    version(outcome.to),
                    plural(n)
                ),
            ),
            DatabaseStatus::Pending => self.ui.line(
                Color::Yellow,
                "not checked",
                format_args!(
                    "{path}: at version {}; {} pending, which a dry run cannot check (outside a \
                     transaction: {})",
                    version(outcome.to),
                    outcome.pending,
                    outcome
                        .not_verified
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ),
            DatabaseStatus::UpToDate => self.ui.line(
                Color::Dim,
                "up to date",
                format_args!("{path}: version {}", version(outcome.to)),
            ),
            DatabaseStatus::Failed(error) => {
                self.ui
                    .line(Color::Red, "failed", format_args!("{path}: {error}"));
            }
            DatabaseStatus::Skipped => self.ui.line(Color::Yellow, "skipped", path),
        }
    }

    /// The summary; returns the exit code.
    pub(crate) fn finish(&self, report: &FleetReport, latest_version: i64) -> ExitCode {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        let t = &report.totals;
        let code: u8 = match self.kind {
            Kind::Apply | Kind::Verify => u8::from(t.failed > 0 || t.skipped > 0),
            Kind::Status => u8::from(t.failed > 0 || t.skipped > 0),
            Kind::Check if t.failed > 0 || t.skipped > 0 => 1,
            Kind::Check if t.pending > 0 => 2,
            Kind::Check => 0,
        };
        let pending: usize = report.outcomes.iter().map(|o| o.pending).sum();
        if self.ui.json {
            let summary = SummaryLine {
                summary: Summary {
                    command: self.kind.as_str(),
                    databases: t.databases,
                    succeeded: t.succeeded,
                    applied: t.applied,
                    up_to_date: t.up_to_date,
                    pending: t.pending,
                    failed: t.failed,
                    skipped: t.skipped,
                    migrations_applied: t.migrations_applied,
                    migrations_pending: pending,
                    latest_version,
                    versions: &t.versions,
                    failures: report
                        .failures()
                        .map(|o| o.path.display().to_string())
                        .collect(),
                    canary_failed: t.canary_failed,
                    stopped: t.stopped,
                    elapsed_ms: millis(t.elapsed),
                    exit_code: code,
                },
            };
            if let Ok(text) = serde_json::to_string(&summary) {
                self.ui.raw(&format!("{text}\n"));
            }
            return ExitCode::from(code);
        }
        let dbs = |n: usize| format!("{n} database{}", plural(n));
        let mut parts = Vec::new();
        match self.kind {
            Kind::Apply => parts.push(format!(
                "{} applied ({} migration{})",
                t.applied,
                t.migrations_applied,
                plural(t.migrations_applied)
            )),
            Kind::Verify => parts.push(format!(
                "{} with migrations run and rolled back ({} migration{})",
                t.applied,
                t.migrations_applied,
                plural(t.migrations_applied)
            )),
            Kind::Status | Kind::Check => parts.push(format!(
                "{} pending ({} migration{})",
                t.pending,
                pending,
                plural(pending)
            )),
        }
        parts.push(format!("{} up to date", t.up_to_date));
        parts.push(format!("{} failed", t.failed));
        if t.skipped > 0 {
            parts.push(format!("{} skipped", t.skipped));
        }
        self.ui.say(format_args!(
            "{} (latest version {latest_version}) in {}: {}",
            dbs(t.databases),
            ms(t.elapsed),
            parts.join(", ")
        ));
        if self.kind == Kind::Status {
            for (version, n) in t.versions.iter().rev() {
                self.ui
                    .say(format_args!("  at version {version}: {}", dbs(*n)));
            }
        }
        if t.canary_failed {
            self.ui.say(format_args!(
                "a canary database failed: {} not started",
                dbs(t.skipped)
            ));
        } else if t.stopped {
            self.ui.say(format_args!(
                "stopped after a failure (--on-error stop): {} not started",
                dbs(t.skipped)
            ));
        }
        if t.failed > 0 && !self.ui.quiet {
            self.ui.say("failed databases:");
            for outcome in report.failures() {
                let error = outcome.error().map(ToString::to_string).unwrap_or_default();
                self.ui
                    .say(format_args!("  {}: {error}", outcome.path.display()));
            }
        }
        ExitCode::from(code)
    }
}

/// One database, one line of `--json`.
#[derive(Serialize)]
struct DatabaseLine<'a> {
    database: String,
    status: &'static str,
    from: Option<i64>,
    to: Option<i64>,
    applied: Vec<AppliedLine>,
    pending: usize,
    /// After a dry run: the versions it could not check (they run outside a transaction).
    not_verified: &'a [i64],
    elapsed_ms: u64,
    error: Option<ErrorLine>,
}

impl<'a> From<&'a Outcome> for DatabaseLine<'a> {
    fn from(o: &'a Outcome) -> Self {
        DatabaseLine {
            database: o.path.display().to_string(),
            status: o.status.as_str(),
            from: o.from,
            to: o.to,
            applied: o
                .applied
                .iter()
                .map(|a| AppliedLine {
                    version: a.version,
                    duration_ms: millis(a.duration),
                })
                .collect(),
            pending: o.pending,
            not_verified: &o.not_verified,
            elapsed_ms: millis(o.elapsed),
            error: o.error().map(|error| ErrorLine {
                kind: kind(error),
                message: error.to_string(),
                sqlite_code: error.sqlite_code(),
            }),
        }
    }
}

#[derive(Serialize)]
struct AppliedLine {
    version: i64,
    duration_ms: u64,
}

/// The typed error of a failed database: its kind (the [`Error`] variant in snake case), its
/// message, and SQLite's extended code when there is one.
#[derive(Serialize)]
struct ErrorLine {
    kind: &'static str,
    message: String,
    sqlite_code: Option<i32>,
}

/// The last line of `--json`.
#[derive(Serialize)]
struct SummaryLine<'a> {
    summary: Summary<'a>,
}

#[derive(Serialize)]
struct Summary<'a> {
    command: &'static str,
    databases: usize,
    succeeded: usize,
    applied: usize,
    up_to_date: usize,
    pending: usize,
    failed: usize,
    skipped: usize,
    migrations_applied: usize,
    migrations_pending: usize,
    latest_version: i64,
    versions: &'a BTreeMap<i64, usize>,
    failures: Vec<String>,
    canary_failed: bool,
    stopped: bool,
    elapsed_ms: u64,
    exit_code: u8,
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// The [`Error`] variant in snake case, for scripts that branch on the kind of failure.
fn kind(error: &Error) -> &'static str {
    match error {
        Error::Statement(_) => "statement",
        Error::ForeignKeys { .. } => "foreign_keys",
        Error::Code { .. } => "code",
        Error::Record { .. } => "record",
        Error::Drift(_) => "drift",
        Error::UnknownApplied(_) => "unknown_applied",
        Error::Holes(_) => "holes",
        Error::Incomplete(_) => "incomplete",
        Error::IncompleteEdited { .. } => "incomplete_edited",
        Error::Locked { .. } => "locked",
        Error::NoSuchDatabase { .. } => "no_such_database",
        Error::NotADatabase { .. } => "not_a_database",
        Error::ReadOnly { .. } => "read_only",
        Error::TrackingTable { .. } => "tracking_table",
        Error::MissingDown(_) => "missing_down",
        Error::NeedsOwnTransaction { .. } => "needs_own_transaction",
        Error::InvalidVersion { .. } => "invalid_version",
        Error::AlreadyTracked { .. } => "already_tracked",
        Error::InvalidSet(_) => "invalid_set",
        Error::Backup { .. } => "backup",
        Error::BackupNeedsPath => "backup_needs_path",
        Error::BackupNotFound { .. } => "backup_not_found",
        Error::MigratorLock { .. } => "migrator_lock",
        Error::TooLarge(_) => "too_large",
        Error::Verify(_) => "verify",
        Error::Sqlite(_) => "sqlite",
    }
}
