//! `new`: the next-numbered migration file, and its down file on request.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use migrate_rules::name;

use crate::cli::error::CliError;
use crate::cli::output::{Color, Ui};
use crate::json;

pub(super) fn new_migration(
    description: &str,
    dir: &Path,
    down: bool,
    ui: &Ui,
) -> Result<ExitCode, CliError> {
    name::validate_description(description).map_err(|reason| CliError::InvalidDescription {
        description: description.to_owned(),
        reason,
    })?;
    let (highest, width) = highest_version(dir)?;
    let version = highest.checked_add(1).ok_or(CliError::NoVersionLeft)?;
    let stem = format!("{version:0width$}_{description}");
    let mut files = vec![(
        dir.join(format!("{stem}.sql")),
        format!(
            "-- Migration {version}: {description}.\n-- Write its SQL here; a file without a statement does not build.\n"
        ),
    )];
    if down {
        files.push((
            dir.join(format!("{stem}.down.sql")),
            format!("-- Reverts migration {version} ({stem}.sql).\n"),
        ));
    }
    // Checked for both files before writing either, so a refusal leaves nothing behind.
    if let Some((path, _)) = files.iter().find(|(path, _)| path.exists()) {
        return Err(CliError::AlreadyExists(path.clone()));
    }
    for (path, contents) in &files {
        create(path, contents)?;
    }
    let created: Vec<String> = files.iter().map(|(p, _)| json::display(p)).collect();
    if ui.json {
        ui.json_out(&json::New {
            created: &created,
            version,
        });
    } else {
        for path in &created {
            ui.line(Color::Green, "created", path);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The highest version in `dir` and the width of its digits (4 for an empty directory), so
/// that the next file sorts with the others. A missing directory is created.
fn highest_version(dir: &Path) -> Result<(i64, usize), CliError> {
    let mut highest = 0i64;
    let mut width = 4usize;
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            fs::create_dir_all(dir).map_err(CliError::io(dir))?;
            return Ok((highest, width));
        }
        Err(e) => return Err(CliError::io(dir)(e)),
    };
    for entry in entries {
        let entry = entry.map_err(CliError::io(dir))?;
        let file = entry.file_name();
        let Some(file) = file.to_str() else { continue };
        if !name::is_migration_candidate(file) {
            continue;
        }
        // Files that do not parse are the build's problem, reported there with context.
        if let Ok(name) = name::parse_file_name(file)
            && name.version > highest
        {
            highest = name.version;
            width = name.version_digits.len();
        }
    }
    Ok((highest, width))
}

/// Creates `path` with `contents`, never overwriting.
fn create(path: &PathBuf, contents: &str) -> Result<(), CliError> {
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .and_then(|mut f| f.write_all(contents.as_bytes()))
        .map_err(CliError::io(path))
}
