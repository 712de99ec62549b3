//! `status`, `version`, `history` and `check`: they read, and never create the file.

use std::process::ExitCode;

use rusqlite::Connection;

use super::database::Database;
use crate::cli::error::CliError;
use crate::cli::output::{Ui, list, plural};
use crate::json::{self, CheckResult};
use crate::{MigrationState, Migrations, Status};

pub(super) fn status(
    migrations: &Migrations,
    db: &Database,
    ui: &Ui,
) -> Result<ExitCode, CliError> {
    let conn = db.open_read()?;
    let status = migrations.status(&conn)?;
    if ui.json {
        ui.json_out(&json::Status::new(&db.shown, &status));
    } else if !ui.quiet {
        ui.status_table(&db.shown, &status);
    }
    if let Some(advice) = take_over_advice(&conn, &status) {
        ui.warning(advice);
    }
    Ok(ExitCode::SUCCESS)
}

pub(super) fn version(
    migrations: &Migrations,
    db: &Database,
    ui: &Ui,
) -> Result<ExitCode, CliError> {
    let version = migrations.current_version(&db.open_read()?)?;
    if ui.json {
        ui.json_out(&json::Version {
            current_version: version,
            database: &db.shown,
            latest_version: migrations.latest_version(),
        });
    } else {
        ui.answer(version);
    }
    Ok(ExitCode::SUCCESS)
}

pub(super) fn history(
    migrations: &Migrations,
    db: &Database,
    ui: &Ui,
) -> Result<ExitCode, CliError> {
    let events = migrations.history(&db.open_read()?)?;
    if ui.json {
        ui.json_out(&json::History::new(&db.shown, &events));
    } else if !ui.quiet {
        ui.history_table(&events);
    }
    Ok(ExitCode::SUCCESS)
}

/// `check` answers with its exit code, so a database it cannot read is an answer too (exit 1,
/// with a JSON document under `--json`), not a failure of the command.
pub(super) fn check(migrations: &Migrations, db: &Database, ui: &Ui) -> ExitCode {
    let read = db
        .open_read()
        .and_then(|conn| Ok((migrations.status(&conn)?, conn)));
    let (status, conn) = match read {
        Ok(read) => read,
        Err(error) => {
            let message = error.to_string();
            if ui.json {
                ui.json_out(&json::Check::unreadable(
                    &db.shown,
                    migrations.latest_version(),
                    &message,
                ));
            } else {
                ui.error(&message);
            }
            return error.exit_code();
        }
    };
    let mut verdict = Verdict::of(&status);
    if let Some(advice) = take_over_advice(&conn, &status) {
        verdict.message = format!("{}; {advice}", verdict.message);
    }
    if ui.json {
        ui.json_out(&json::Check {
            current_version: Some(status.current_version),
            database: &db.shown,
            drifted: verdict.drifted,
            exit_code: verdict.result.exit_code(),
            holes: status.holes.clone(),
            incomplete: verdict.incomplete,
            latest_version: status.latest_version,
            message: &verdict.message,
            pending: verdict.pending,
            result: verdict.result,
            unknown: verdict.unknown,
        });
    } else if verdict.result == CheckResult::Error {
        ui.error(&verdict.message);
    } else {
        ui.say(&verdict.message);
    }
    ExitCode::from(verdict.result.exit_code())
}

/// For a database this library has never migrated that another tool's history table says
/// was migrated by that tool: what to do instead of applying everything again.
fn take_over_advice(conn: &Connection, status: &Status) -> Option<String> {
    let untracked = status
        .migrations
        .iter()
        .all(|m| m.state == MigrationState::Pending);
    untracked
        .then(|| crate::foreign::take_over_advice(conn))
        .flatten()
}

/// What `check` concludes from a status.
struct Verdict {
    result: CheckResult,
    message: String,
    pending: Vec<i64>,
    drifted: Vec<i64>,
    unknown: Vec<i64>,
    incomplete: Vec<i64>,
}

impl Verdict {
    fn of(status: &Status) -> Verdict {
        let versions = |state| {
            status
                .in_state(state)
                .map(|m| m.version)
                .collect::<Vec<_>>()
        };
        let pending = versions(MigrationState::Pending);
        let drifted = versions(MigrationState::Drifted);
        let unknown = versions(MigrationState::Unknown);
        let incomplete = versions(MigrationState::Incomplete);

        let mut problems = Vec::new();
        if !drifted.is_empty() {
            let files: Vec<String> = status
                .in_state(MigrationState::Drifted)
                .map(|m| match &m.file {
                    Some(file) => format!("{} (`{file}`)", m.version),
                    None => m.version.to_string(),
                })
                .collect();
            problems.push(format!(
                "applied migration{} {} {} edited after {} applied: if the edit was intended, \
                 accept it with `repair`; otherwise restore the file as it was applied",
                plural(drifted.len()),
                files.join(", "),
                if drifted.len() == 1 { "was" } else { "were" },
                if drifted.len() == 1 {
                    "it was"
                } else {
                    "they were"
                },
            ));
        }
        if !unknown.is_empty() {
            problems.push(format!(
                "applied version{} {} unknown to this build (the database is ahead of the code): \
                 deploy a build that has {}, or apply with `--allow-unknown`",
                plural(unknown.len()),
                list(&unknown),
                if unknown.len() == 1 { "it" } else { "them" },
            ));
        }
        if !status.holes.is_empty() {
            problems.push(format!(
                "version{} {} not applied while later versions are: apply {} out of order with \
                 `apply --allow-holes`",
                plural(status.holes.len()),
                list(&status.holes),
                if status.holes.len() == 1 {
                    "it"
                } else {
                    "them"
                },
            ));
        }
        // An incomplete migration that stopped at a failed statement needs a person; one
        // that was merely interrupted finishes on the next run, so it only counts as pending.
        problems.extend(
            status
                .in_state(MigrationState::Incomplete)
                .filter(|m| m.error.is_some())
                .map(|m| {
                    format!(
                        "migration {} is incomplete: {}",
                        m.version,
                        m.detail.as_deref().unwrap_or("")
                    )
                }),
        );

        let waiting = pending.len() + incomplete.len();
        let (result, message) = if !problems.is_empty() {
            (CheckResult::Error, problems.join("; "))
        } else if waiting > 0 {
            (
                CheckResult::Pending,
                format!(
                    "{waiting} migration{} pending (database at version {} of {})",
                    plural(waiting),
                    status.current_version,
                    status.latest_version
                ),
            )
        } else {
            (
                CheckResult::UpToDate,
                format!("up to date at version {}", status.current_version),
            )
        };
        Verdict {
            result,
            message,
            pending,
            drifted,
            unknown,
            incomplete,
        }
    }
}
