//! `new`: the next-numbered migration file, and its down file on request.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use migrate_rules::name;

use crate::cli::error::CliError;
use crate::cli::output::{Color, Ui};
use crate::{Migrations, json};

pub(super) fn new_migration(
    description: &str,
    dir: &Path,
    down: bool,
    ui: &Ui,
) -> Result<ExitCode, CliError> {
    let description = &accepted_description(description, ui)?;
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

/// Where `new` writes: `--dir` when given, else the directory the binary's migrations were
/// embedded from, which must exist here (a binary built elsewhere has no such directory, and
/// writing beside the current directory instead would start a second, unrelated set).
pub(super) fn directory(
    migrations: &Migrations,
    dir: Option<PathBuf>,
) -> Result<PathBuf, CliError> {
    directory_or(migrations, dir, "--dir")
}

/// [`directory`] for a command whose option is called `flag` (`import --to`).
pub(super) fn directory_or(
    migrations: &Migrations,
    dir: Option<PathBuf>,
    flag: &'static str,
) -> Result<PathBuf, CliError> {
    if let Some(dir) = dir {
        return Ok(dir);
    }
    match migrations.source_dir() {
        Some(dir) if dir.is_dir() => Ok(dir.to_path_buf()),
        source => Err(CliError::NoMigrationsDir {
            dir: source.map(Path::to_path_buf),
            flag,
        }),
    }
}

/// `description` as a file name takes it: spaces become `_` (`"add due dates"` is
/// `add_due_dates`, and the output says so); any other character the grammar refuses is an
/// error that suggests a name.
fn accepted_description(description: &str, ui: &Ui) -> Result<String, CliError> {
    let refused = |reason| CliError::InvalidDescription {
        description: description.to_owned(),
        reason,
        suggestion: suggestion(description),
    };
    if name::validate_description(description).is_ok() {
        return Ok(description.to_owned());
    }
    let spaced = description.split_whitespace().collect::<Vec<_>>().join("_");
    match name::validate_description(&spaced) {
        Ok(()) => {
            if !ui.json {
                ui.say(format!("description `{description}` written as `{spaced}`"));
            }
            Ok(spaced)
        }
        Err(reason) => Err(refused(reason)),
    }
}

/// A description the grammar accepts, made from `description`: every run of refused
/// characters becomes one `_`; `None` when nothing is left.
fn suggestion(description: &str) -> Option<String> {
    let mut out = String::new();
    for c in description.chars() {
        if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
            out.push(c);
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    let out = out.trim_matches('_').to_owned();
    (!out.is_empty() && name::validate_description(&out).is_ok()).then_some(out)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_writes_where_the_migrations_came_from_or_refuses() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("0001_a.sql"), "SELECT 1;").unwrap();
        let from_dir = Migrations::from_dir(dir.path()).unwrap();
        assert_eq!(directory(&from_dir, None).unwrap(), dir.path());
        let given = PathBuf::from("elsewhere");
        assert_eq!(directory(&from_dir, Some(given.clone())).unwrap(), given);

        let from_files = Migrations::from_files([("0001_a.sql", "SELECT 1;")]).unwrap();
        let error = directory(&from_files, None).unwrap_err();
        assert!(error.to_string().contains("pass --dir"), "{error}");

        // Built on another machine: the directory is not here.
        drop(dir);
        let error = directory(&from_dir, None).unwrap_err();
        assert!(
            matches!(&error, CliError::NoMigrationsDir { dir: Some(_), .. }),
            "{error}"
        );
        assert!(
            error
                .to_string()
                .contains("does not exist here: pass --dir"),
            "{error}"
        );
    }

    #[test]
    fn suggestions_keep_what_the_grammar_allows() {
        assert_eq!(suggestion("drop;table").as_deref(), Some("drop_table"));
        assert_eq!(
            suggestion("  add   prices! ").as_deref(),
            Some("add_prices")
        );
        assert_eq!(suggestion("!!!"), None);
    }
}
