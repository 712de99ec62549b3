//! `rollback`, `baseline`, `repair` and `restore`: they change an existing database, so each
//! asks first (or needs `--yes` without a terminal).

use std::path::Path;
use std::process::ExitCode;

use super::database::Database;
use super::prompt::confirm;
use crate::Migrations;
use crate::cli::error::CliError;
use crate::cli::output::{Color, Ui, ms, plural};
use crate::json;

pub(super) fn rollback(
    migrations: &Migrations,
    db: &Database,
    to: i64,
    yes: bool,
    ui: &Ui,
) -> Result<ExitCode, CliError> {
    let mut conn = db.open_write(false)?;
    let current = migrations.current_version(&conn)?;
    if current <= to {
        ui.say(format_args!(
            "nothing to roll back: the database is at version {current}"
        ));
    } else {
        confirm(
            yes,
            &format!("roll back {} from version {current} to {to}", db.shown),
        )?;
    }
    let report = migrations.rollback_to(&mut conn, to)?;
    for m in &report.rolled_back {
        ui.line(
            Color::Yellow,
            "rolled back",
            format_args!("{} ({})", m.file, ms(m.duration)),
        );
    }
    if ui.json {
        ui.json_out(&json::Rollback::new(&db.shown, &report));
    } else if !report.rolled_back.is_empty() {
        ui.say(format_args!(
            "rolled back {} migration{}; the database is at version {}",
            report.rolled_back.len(),
            plural(report.rolled_back.len()),
            report.current_version
        ));
    }
    Ok(ExitCode::SUCCESS)
}

pub(super) fn baseline(
    migrations: &Migrations,
    db: &Database,
    version: i64,
    yes: bool,
    ui: &Ui,
) -> Result<ExitCode, CliError> {
    let mut conn = db.open_write(false)?;
    confirm(
        yes,
        &format!(
            "record versions 1 to {version} of {} as applied without running them",
            db.shown
        ),
    )?;
    migrations.baseline(&mut conn, version)?;
    if ui.json {
        ui.json_out(&json::Baseline {
            baselined: version,
            current_version: version,
            database: &db.shown,
        });
    } else {
        ui.say(format_args!(
            "recorded versions 1 to {version} as applied; the database is at version {version}"
        ));
    }
    Ok(ExitCode::SUCCESS)
}

pub(super) fn repair(
    migrations: &Migrations,
    db: &Database,
    yes: bool,
    ui: &Ui,
) -> Result<ExitCode, CliError> {
    let mut conn = db.open_write(false)?;
    confirm(
        yes,
        &format!(
            "accept this build's checksums for the changed migrations of {}",
            db.shown
        ),
    )?;
    let report = migrations.repair(&mut conn)?;
    if ui.json {
        ui.json_out(&json::Repair {
            accepted: report.accepted.iter().map(json::Accepted::from).collect(),
            database: &db.shown,
            recorded: report
                .recorded
                .iter()
                .map(json::MigrationRef::from)
                .collect(),
        });
    } else if report.is_empty() {
        ui.say("nothing to repair");
    } else {
        for d in &report.accepted {
            ui.line(
                Color::Yellow,
                "repaired",
                format_args!(
                    "{}: accepted {} (was {})",
                    d.migration.file, d.embedded, d.applied
                ),
            );
        }
        for m in &report.recorded {
            ui.line(
                Color::Yellow,
                "repaired",
                format_args!("{}: recorded as applied", m.file),
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub(super) fn restore(
    migrations: &Migrations,
    db: &Database,
    backup: &Path,
    yes: bool,
    ui: &Ui,
) -> Result<ExitCode, CliError> {
    if !backup.is_file() {
        return Err(CliError::NoSuchBackup(backup.to_owned()));
    }
    confirm(
        yes,
        &format!("replace {} with the backup {}", db.shown, backup.display()),
    )?;
    let mut conn = db.open_write(true)?;
    crate::restore_backup(&mut conn, backup)?;
    let version = migrations.current_version(&conn)?;
    if ui.json {
        ui.json_out(&json::Restore {
            current_version: version,
            database: &db.shown,
            restored_from: json::display(backup),
        });
    } else {
        ui.say(format_args!(
            "restored {} from {}; the database is at version {version}",
            db.shown,
            backup.display()
        ));
    }
    Ok(ExitCode::SUCCESS)
}
