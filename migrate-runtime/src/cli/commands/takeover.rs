//! `baseline --from TOOL`: take over a database another tool migrated.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::database::Database;
use super::prompt::confirm;
use crate::Migrations;
use crate::cli::error::CliError;
use crate::cli::output::{Color, Ui};
use crate::import::{IMPORTED_FILE, ImportMap, SourceTool};
use crate::json;

pub(super) fn baseline_from(
    migrations: &Migrations,
    db: &Database,
    tool: Option<SourceTool>,
    map_path: Option<&Path>,
    yes: bool,
    ui: &Ui,
) -> Result<ExitCode, CliError> {
    // clap requires `--from` when no version is given.
    let tool = tool.ok_or(CliError::NoVersionOrTool)?;
    // rusqlite_migration maps by position; a map given anyway is still checked.
    let map = (tool.history_table().is_some() || map_path.is_some())
        .then(|| read_map(migrations, tool, map_path))
        .transpose()?;
    let mut conn = db.open_write(false)?;
    confirm(
        yes,
        &format!(
            "record the versions {tool} applied to {} as applied, without running them",
            db.shown
        ),
    )?;
    let report = migrations
        .baseline_from(&mut conn, tool, map.as_ref())
        .map_err(CliError::from_baseline_from)?;
    if ui.json {
        ui.json_out(&json::BaselineFrom::new(&db.shown, &report));
        return Ok(ExitCode::SUCCESS);
    }
    for m in &report.migrations {
        ui.line(
            Color::Green,
            "baselined",
            format_args!("{} from {}: {}", m.file, m.entry, m.verification),
        );
    }
    for ignored in &report.ignored {
        ui.line(
            Color::Yellow,
            "ignored",
            format_args!("{}: {}", ignored.entry, ignored.reason),
        );
    }
    let verified = report.verified();
    ui.say(format_args!(
        "recorded versions 1 to {v} as applied without running any SQL; {n} of {total} verified by checksum; the database is at version {v}",
        v = report.current_version,
        n = verified.len(),
        total = report.migrations.len(),
    ));
    match report.kept_table {
        Some(table) => ui.say(format_args!(
            "the {tool} table `{table}` was left in place (nothing reads it any more; drop it when you no longer need {tool})"
        )),
        None => ui.say(format_args!(
            "PRAGMA user_version was left as {tool} set it"
        )),
    }
    Ok(ExitCode::SUCCESS)
}

/// `--map PATH`, or IMPORTED.toml in the directory the migrations were embedded from.
fn read_map(
    migrations: &Migrations,
    tool: SourceTool,
    given: Option<&Path>,
) -> Result<ImportMap, CliError> {
    let path: Option<PathBuf> = match given {
        Some(path) => Some(path.to_path_buf()),
        None => migrations.source_dir().map(|dir| dir.join(IMPORTED_FILE)),
    };
    let path = match path {
        Some(path) if path.is_file() => path,
        path => {
            return Err(CliError::NoImportMap {
                tool,
                path,
                given: given.is_some(),
            });
        }
    };
    let text = std::fs::read_to_string(&path).map_err(CliError::io(&path))?;
    ImportMap::parse(&text).map_err(|e| CliError::InvalidImportMap {
        path,
        message: e.to_string(),
    })
}
