//! What a person reads: colours, the status and history tables, one line per migration.
//!
//! Standard output carries the answer (a table, a summary, or the `--json` document) and
//! standard error the errors and questions, so `myapp --json status | jq` always reads JSON.
//! Nothing here panics on a closed stream: `myapp status | head -1` is a normal use.

use std::fmt::Display;
use std::io::{self, IsTerminal};
use std::time::Duration;

use serde::Serialize;

use crate::{Event, HistoryEntry, HistoryEvent, MigrationState, Report, Status};

/// `println!` that does not panic when standard output is closed (`myapp status | head -1`):
/// nobody is left to read, so the write error is dropped.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

/// `eprintln!` that does not panic when standard error is closed.
macro_rules! say_err {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

/// `s` for a count other than one.
pub(crate) fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Versions as `1, 2, 3`.
pub(crate) fn list(versions: &[i64]) -> String {
    versions
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// A duration as every human line shows it: whole milliseconds, as the tracking tables record
/// them (so `apply` and a later `status` or `history` agree), and `<1 ms` below one.
pub(crate) fn ms(duration: Duration) -> String {
    match duration.as_millis() {
        0 => "<1 ms".to_owned(),
        millis => format!("{millis} ms"),
    }
}

/// The colour of a verb or a state; see [`Ui::paint`].
#[derive(Clone, Copy)]
pub(crate) enum Color {
    Green,
    Yellow,
    Red,
    Dim,
}

/// Output settings: JSON, quiet, color.
pub(crate) struct Ui {
    /// `--json`: standard output carries one JSON document and no human lines.
    pub json: bool,
    /// `--quiet`: no human lines but errors and the answer of `version`.
    pub quiet: bool,
    /// ANSI colours: only on a terminal, and only when `NO_COLOR` is unset or empty.
    color: bool,
}

impl Ui {
    /// Settings for `--json` and `--quiet`; colours are decided from the environment.
    pub(crate) fn new(json: bool, quiet: bool) -> Self {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Ui {
            json,
            quiet,
            color: !no_color && io::stdout().is_terminal(),
        }
    }

    /// `text` in `color` when colours are on.
    pub(crate) fn paint(&self, color: Color, text: &str) -> String {
        if !self.color {
            return text.to_owned();
        }
        let code = match color {
            Color::Green => "32",
            Color::Yellow => "33",
            Color::Red => "31",
            Color::Dim => "2",
        };
        format!("\x1b[{code}m{text}\x1b[0m")
    }

    /// A human line, unless quiet or JSON.
    pub(crate) fn say(&self, line: impl Display) {
        if !self.quiet && !self.json {
            say!("{line}");
        }
    }

    /// A human line with a colored verb.
    pub(crate) fn line(&self, color: Color, verb: &str, rest: impl Display) {
        if !self.quiet && !self.json {
            say!("{} {rest}", self.paint(color, &format!("{verb:>11}")));
        }
    }

    /// The answer itself (the version number): printed even with `--quiet`, since it is what
    /// was asked for.
    pub(crate) fn answer(&self, answer: impl Display) {
        say!("{answer}");
    }

    /// Text on standard output exactly as given, whatever `--json` and `--quiet` say: the
    /// answer of `schema`, which must be byte-identical to the snapshot file.
    pub(crate) fn raw(&self, text: &str) {
        use std::io::Write as _;
        let _ = io::stdout().write_all(text.as_bytes());
    }

    /// A warning on standard error, unless `--quiet`.
    pub(crate) fn warning(&self, message: impl Display) {
        if !self.quiet {
            let prefix = if io::stderr().is_terminal() && self.color {
                "\x1b[33mwarning\x1b[0m"
            } else {
                "warning"
            };
            say_err!("{prefix}: {message}");
        }
    }

    /// An error on standard error, `error: ` in red on a terminal.
    pub(crate) fn error(&self, message: &str) {
        let prefix = if io::stderr().is_terminal() && self.color {
            "\x1b[31merror\x1b[0m"
        } else {
            "error"
        };
        say_err!("{prefix}: {message}");
    }

    /// The `--json` document, pretty-printed on standard output.
    /// One JSON value on one line: the error document, which may end a fleet's JSON lines.
    pub(crate) fn json_line(&self, value: &impl Serialize) {
        match serde_json::to_string(value) {
            Ok(text) => say!("{text}"),
            Err(e) => say_err!("error: cannot write JSON: {e}"),
        }
    }

    pub(crate) fn json_out(&self, value: &impl Serialize) {
        match serde_json::to_string_pretty(value) {
            Ok(text) => say!("{text}"),
            Err(e) => say_err!("error: cannot write JSON: {e}"),
        }
    }

    /// One line per finished migration; `dry_run` says it was rolled back.
    pub(crate) fn progress(&self, event: Event<'_>, dry_run: bool) {
        match event {
            Event::Finished(m, duration) if dry_run => self.line(
                Color::Green,
                "ok",
                format_args!("{} ({}, rolled back)", m.file_name(), ms(duration)),
            ),
            Event::Finished(m, duration) => self.line(
                Color::Green,
                "applied",
                format_args!("{} ({})", m.file_name(), ms(duration)),
            ),
            Event::NotVerifiable(m) => self.line(
                Color::Yellow,
                "not checked",
                format_args!(
                    "{}: runs outside a transaction, so a dry run stops before it",
                    m.file_name()
                ),
            ),
            Event::BackedUp(path) => self.say(format_args!("backup written to {}", path.display())),
            _ => {}
        }
    }

    /// The summary after `apply` or `verify`; `version` is the database's version after a
    /// real run, `None` after a dry run.
    pub(crate) fn run_summary(&self, report: &Report, latest_version: i64, version: Option<i64>) {
        // The backup's line came with the progress, before the first migration's.
        let n = report.applied.len();
        if report.dry_run {
            if n == 0 && report.not_verified.is_empty() {
                self.say("dry run: nothing pending");
            } else {
                self.say(format_args!(
                    "dry run: {n} migration{} ran and {} rolled back; nothing was changed{}",
                    plural(n),
                    if n == 1 { "was" } else { "were" },
                    if report.not_verified.is_empty() {
                        String::new()
                    } else {
                        format!(
                            " ({} not checked: {})",
                            report.not_verified.len(),
                            report
                                .not_verified
                                .iter()
                                .map(|m| m.file.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    }
                ));
            }
        } else {
            let version = version.unwrap_or_default();
            if n == 0 {
                self.say(format_args!(
                    "nothing to apply: the database is at version {version} of {latest_version}"
                ));
            } else {
                self.say(format_args!(
                    "applied {n} migration{}; the database is at version {version} of {latest_version}",
                    plural(n),
                ));
            }
        }
    }

    /// The `status` table: a summary line, one row per migration, then what needs attention.
    /// Printed even with `quiet`: callers decide whether to call it.
    pub(crate) fn status_table(&self, database: &str, status: &Status) {
        let c = status.counts;
        let mut summary = vec![format!("{} applied", c.applied)];
        for (n, what) in [
            (c.pending, "pending"),
            (c.drifted, "drifted"),
            (c.incomplete, "incomplete"),
            (c.unknown, "unknown"),
        ] {
            if n > 0 {
                summary.push(format!("{n} {what}"));
            }
        }
        say!(
            "{database}: version {} of {} ({})",
            status.current_version,
            status.latest_version,
            summary.join(", ")
        );
        let rows: Vec<[String; 5]> = status
            .migrations
            .iter()
            .map(|m| {
                [
                    m.version.to_string(),
                    m.file
                        .clone()
                        .unwrap_or_else(|| format!("{} (unknown)", m.name)),
                    m.state.as_str().to_owned(),
                    m.applied_at.clone().unwrap_or_else(|| "-".to_owned()),
                    m.duration.map_or_else(|| "-".to_owned(), ms),
                ]
            })
            .collect();
        let header = ["VERSION", "MIGRATION", "STATE", "APPLIED AT", "DURATION"];
        let mut widths = header.map(str::len);
        for row in &rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let pad = |text: &str, width: usize| format!("{text:<width$}");
        say!(
            "{}",
            self.paint(
                Color::Dim,
                header
                    .iter()
                    .zip(widths)
                    .map(|(h, w)| pad(h, w))
                    .collect::<Vec<_>>()
                    .join("  ")
                    .trim_end()
            )
        );
        for (row, m) in rows.iter().zip(&status.migrations) {
            let color = match m.state {
                MigrationState::Applied => Color::Green,
                MigrationState::Pending => Color::Yellow,
                _ => Color::Red,
            };
            let cells: Vec<String> = row
                .iter()
                .zip(widths)
                .enumerate()
                .map(|(i, (cell, w))| {
                    let padded = pad(cell, w);
                    if i == 2 {
                        self.paint(color, &padded)
                    } else {
                        padded
                    }
                })
                .collect();
            say!("{}", cells.join("  ").trim_end());
        }
        for m in &status.migrations {
            match m.state {
                MigrationState::Drifted => say!(
                    "  migration {} changed since it was applied: recorded {}, file {}",
                    m.version,
                    m.applied_checksum
                        .as_ref()
                        .map_or_else(|| "-".to_owned(), ToString::to_string),
                    m.checksum
                        .as_ref()
                        .map_or_else(|| "-".to_owned(), ToString::to_string)
                ),
                MigrationState::Incomplete => say!(
                    "  migration {} is incomplete: {}",
                    m.version,
                    m.detail.as_deref().unwrap_or("-")
                ),
                _ => {}
            }
        }
        if !status.holes.is_empty() {
            say!(
                "  not applied while later versions are: {}",
                list(&status.holes)
            );
        }
    }

    /// The `history` lines, oldest first.
    pub(crate) fn history_table(&self, events: &[HistoryEntry]) {
        if events.is_empty() {
            say!("no history: the database was never migrated");
            return;
        }
        for e in events {
            let color = match e.event {
                HistoryEvent::Applied | HistoryEvent::Baselined => Color::Green,
                HistoryEvent::Failed => Color::Red,
                // Rollbacks, repairs, and kinds a later library version adds.
                _ => Color::Yellow,
            };
            let mut line = format!(
                "{}  {}",
                e.at,
                self.paint(color, &format!("{:<11}", e.event.as_str()))
            );
            if let Some(version) = e.version {
                line.push_str(&format!("  {version}"));
            }
            if let Some(name) = &e.name {
                line.push_str(&format!(" {name}"));
            }
            if let Some(d) = e.duration {
                line.push_str(&format!(" ({})", ms(d)));
            }
            if let Some(detail) = &e.detail {
                line.push_str(&format!(": {detail}"));
            }
            say!("{line}");
        }
    }
}
