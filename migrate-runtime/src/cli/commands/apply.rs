//! `apply` and `verify`: run what is pending, for real or in a transaction rolled back.

use std::io::{self, IsTerminal};
use std::process::ExitCode;

use super::database::Database;
use super::prompt::ask;
use crate::cli::args::ApplyArgs;
use crate::cli::error::CliError;
use crate::cli::output::{Ui, plural};
use crate::json;
use crate::{BackupTarget, MigrationState, Migrations, Report};

pub(super) fn apply(
    migrations: &Migrations,
    db: &Database,
    args: &ApplyArgs,
    ui: &Ui,
) -> Result<ExitCode, CliError> {
    if args.dry_run {
        let report = dry_run(migrations, db, args.target, ui)?;
        summary(migrations, db, &report, None, ui);
        return Ok(ExitCode::SUCCESS);
    }
    let mut conn = db.open_write(true)?;
    // Unlike the other writing commands, `apply` runs without a terminal: that is how
    // deployments run it. On a terminal it says what it is about to do first.
    if !args.yes && io::stdin().is_terminal() {
        let status = migrations.status(&conn)?;
        let target = args.target.unwrap_or(migrations.latest_version());
        let pending = status
            .migrations
            .iter()
            .filter(|m| {
                matches!(
                    m.state,
                    MigrationState::Pending | MigrationState::Incomplete
                ) && m.version <= target
            })
            .count();
        if pending > 0 {
            ask(&format!(
                "apply {pending} migration{} to {} (version {} to {})?",
                plural(pending),
                db.shown,
                status.current_version,
                target.min(migrations.latest_version())
            ))?;
        }
    }
    let mut runner = migrations
        .runner()
        .allow_holes(args.allow_holes)
        .allow_unknown_applied(args.allow_unknown)
        .retry_failed(args.retry_failed)
        .on_event(|event| ui.progress(event, false));
    if let Some(target) = args.target {
        runner = runner.target(target);
    }
    if let Some(backup) = &args.backup {
        runner = runner.backup(match backup {
            Some(path) => BackupTarget::Path(path.clone()),
            None => BackupTarget::Beside,
        });
    }
    let report = runner.run(&mut conn)?;
    let version = migrations.current_version(&conn)?;
    summary(migrations, db, &report, Some(version), ui);
    Ok(ExitCode::SUCCESS)
}

pub(super) fn verify(
    migrations: &Migrations,
    db: &Database,
    ui: &Ui,
) -> Result<ExitCode, CliError> {
    let report = dry_run(migrations, db, None, ui)?;
    summary(migrations, db, &report, None, ui);
    Ok(ExitCode::SUCCESS)
}

/// Runs everything pending up to `target` in a transaction that is rolled back.
fn dry_run(
    migrations: &Migrations,
    db: &Database,
    target: Option<i64>,
    ui: &Ui,
) -> Result<Report, CliError> {
    // A dry run never creates the file: on a missing one, an empty database is the same.
    let mut conn = if db.path.exists() {
        db.open_write(false)?
    } else {
        db.open_read()?
    };
    let mut runner = migrations
        .runner()
        .dry_run(true)
        .on_event(|event| ui.progress(event, true));
    if let Some(target) = target {
        runner = runner.target(target);
    }
    Ok(runner.run(&mut conn)?)
}

/// The run's summary; `version` is `None` after a dry run.
fn summary(migrations: &Migrations, db: &Database, report: &Report, version: Option<i64>, ui: &Ui) {
    if ui.json {
        ui.json_out(&json::Run::new(&db.shown, report, version));
    } else {
        ui.run_summary(report, migrations.latest_version(), version);
    }
}
