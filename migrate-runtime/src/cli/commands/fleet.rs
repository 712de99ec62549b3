//! `apply`, `verify`, `status` and `check` over a fleet: the paths of `--each` (a glob) or
//! `--each-from` (a file, `-` for standard input), streamed into [`Fleet`](crate::Fleet).

use std::fs::File;
use std::io::{self, BufRead, BufReader, IsTerminal};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use super::prompt::ask;
use crate::cli::args::{Command, FleetArgs};
use crate::cli::error::CliError;
use crate::cli::fleet_output::{FleetPrinter, Kind};
use crate::cli::output::Ui;
use crate::{BackupTarget, Migrations, RunnerOptions};

/// Runs `command` on every database of the fleet.
pub(crate) fn execute(
    migrations: &Migrations,
    args: &FleetArgs,
    command: Command,
    ui: &Ui,
) -> Result<ExitCode, CliError> {
    let mut options = RunnerOptions::new();
    let kind = match command {
        Command::Apply(apply) => {
            if let Some(target) = apply.target {
                options = options.target(target);
            }
            match apply.backup {
                Some(Some(path)) => return Err(CliError::FleetBackupPath(path)),
                Some(None) => options = options.backup(BackupTarget::Beside),
                None => {}
            }
            if apply.dry_run {
                options = options.dry_run(true);
                Kind::Verify
            } else {
                let from_stdin = args.each_from.as_deref() == Some(Path::new("-"));
                if !apply.yes && !from_stdin && io::stdin().is_terminal() {
                    ask(&format!(
                        "apply pending migrations to every database of {}?",
                        Source::new(args)?.describe()
                    ))?;
                }
                Kind::Apply
            }
        }
        Command::Verify => {
            options = options.dry_run(true);
            Kind::Verify
        }
        Command::Status => Kind::Status,
        Command::Check => Kind::Check,
        other => return Err(CliError::NotForFleet(name(&other))),
    };
    let source = Source::new(args)?;
    let total = if FleetPrinter::draws_bar(ui) {
        source.count(args)
    } else {
        None
    };
    let printer = FleetPrinter::new(ui, kind, total);
    let mut fleet = migrations
        .fleet()
        .databases(source.paths(ui)?)
        .runner_options(options)
        .canary(args.canary.unwrap_or(0))
        .on_error(args.on_error.unwrap_or_default())
        .create_missing(args.create_missing)
        .on_event(|event| printer.event(event));
    if let Some(threads) = args.parallel {
        fleet = fleet.parallel(threads as usize);
    }
    if let Some(shard) = args.shard {
        fleet = fleet.shard(shard);
    }
    if let Some(ms) = args.busy_timeout {
        fleet = fleet.busy_timeout(Duration::from_millis(ms));
    }
    let report = match kind {
        Kind::Apply | Kind::Verify => fleet.run()?,
        Kind::Status | Kind::Check => fleet.check()?,
    };
    let code = printer.finish(&report, migrations.latest_version());
    // A pattern or list that names no database is a mistake (a typo in a deploy script, a
    // wrong working directory), not a fleet that is up to date.
    if report.totals.databases == 0 && args.shard.is_none() {
        return Err(CliError::NoDatabases(source.describe()));
    }
    Ok(code)
}

/// The subcommand's name, for the refusal of those that do not take `--each`.
pub(super) fn name(command: &Command) -> &'static str {
    match command {
        Command::Status => "status",
        Command::Version => "version",
        Command::History => "history",
        Command::Apply(_) => "apply",
        Command::Check => "check",
        Command::Rollback { .. } => "rollback",
        Command::Baseline { .. } => "baseline",
        Command::Repair { .. } => "repair",
        Command::Restore { .. } => "restore",
        Command::New { .. } => "new",
        Command::Verify => "verify",
        Command::Schema { .. } => "schema",
        Command::Import { .. } => "import",
    }
}

/// Where the paths come from.
enum Source {
    Glob(String),
    File(PathBuf),
    Stdin,
}

impl Source {
    fn new(args: &FleetArgs) -> Result<Source, CliError> {
        let source = match (&args.each, &args.each_from) {
            (Some(pattern), _) => {
                glob::Pattern::new(pattern).map_err(|e| CliError::Pattern {
                    pattern: pattern.clone(),
                    reason: e.msg.to_owned(),
                })?;
                Source::Glob(pattern.clone())
            }
            (None, Some(file)) if file == Path::new("-") => Source::Stdin,
            (None, Some(file)) => Source::File(file.clone()),
            (None, None) => return Err(CliError::NoDatabase),
        };
        Ok(source)
    }

    fn describe(&self) -> String {
        match self {
            Source::Glob(pattern) => format!("`{pattern}`"),
            Source::File(file) => format!("`{}`", file.display()),
            Source::Stdin => "standard input".to_owned(),
        }
    }

    /// The paths, read lazily. Directory entries that cannot be read and unreadable lines
    /// are warnings.
    fn paths<'a>(
        &self,
        ui: &'a Ui,
    ) -> Result<Box<dyn Iterator<Item = PathBuf> + Send + 'a>, CliError> {
        Ok(match self {
            Source::Glob(pattern) => Box::new(glob_paths(pattern, ui)?),
            Source::File(file) => {
                let reader = File::open(file).map_err(CliError::io(file))?;
                Box::new(lines(BufReader::new(reader), ui))
            }
            Source::Stdin => Box::new(lines(BufReader::new(io::stdin()), ui)),
        })
    }

    /// How many databases the fleet will see, for the progress bar's ETA: the glob walked
    /// or the file read once more; unknown for standard input.
    fn count(&self, args: &FleetArgs) -> Option<u64> {
        let quiet = Ui::new(false, true);
        let paths: Box<dyn Iterator<Item = PathBuf>> = match self {
            Source::Stdin => return None,
            Source::Glob(pattern) => Box::new(glob_paths(pattern, &quiet).ok()?),
            Source::File(file) => Box::new(lines(BufReader::new(File::open(file).ok()?), &quiet)),
        };
        Some(
            paths
                .filter(|p| args.shard.is_none_or(|s| s.contains(p)))
                .count() as u64,
        )
    }
}

fn glob_paths<'a>(
    pattern: &str,
    ui: &'a Ui,
) -> Result<impl Iterator<Item = PathBuf> + Send + 'a, CliError> {
    let paths = glob::glob(pattern).map_err(|e| CliError::Pattern {
        pattern: pattern.to_owned(),
        reason: e.msg.to_owned(),
    })?;
    Ok(paths.filter_map(move |entry| match entry {
        Ok(path) if !is_sidecar(&path) && !path.is_dir() => Some(path),
        Ok(_) => None,
        Err(e) => {
            ui.warning(format_args!("{}: {}", e.path().display(), e.error()));
            None
        }
    }))
}

/// One path per line. Spaces and tabs around a path are dropped (a path that really ends with
/// a space is not supported), as are blank lines and lines starting with `#` (comments).
fn lines<'a>(
    reader: impl BufRead + Send + 'a,
    ui: &'a Ui,
) -> impl Iterator<Item = PathBuf> + Send + 'a {
    reader
        .lines()
        .map_while(move |line| match line {
            Ok(line) => Some(line),
            Err(e) => {
                ui.warning(format_args!("cannot read the list of databases: {e}"));
                None
            }
        })
        .filter_map(|line| {
            let line = line.trim();
            (!line.is_empty() && !line.starts_with('#')).then(|| PathBuf::from(line))
        })
}

/// True for the files SQLite and the migrator keep beside a database (journal, WAL, shared
/// memory, migrator lock, and `--backup`'s `<db>.before-v<N>-<time>` copies): a glob such as
/// `tenants/*` matches them too, and migrating a journal or a backup is never meant.
fn is_sidecar(path: &Path) -> bool {
    path.file_name().is_some_and(|name| {
        let name = name.to_string_lossy();
        ["-journal", "-wal", "-shm", ".migrate-lock"]
            .iter()
            .any(|suffix| name.ends_with(suffix))
            || name.split(".before-v").nth(1).is_some_and(|rest| {
                rest.split_once('-')
                    .is_some_and(|(version, _)| version.parse::<i64>().is_ok())
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sidecars_are_not_databases() {
        for sidecar in [
            "a.db-journal",
            "a.db-wal",
            "d/a.db-shm",
            "a.db.migrate-lock",
        ] {
            assert!(is_sidecar(Path::new(sidecar)), "{sidecar}");
        }
        for db in ["a.db", "d/wal.db", "a.sqlite3", "a.before-v.db"] {
            assert!(!is_sidecar(Path::new(db)), "{db}");
        }
    }

    #[test]
    fn lists_skip_blank_lines_and_carriage_returns() {
        let ui = Ui::new(false, true);
        let paths: Vec<PathBuf> = lines(&b"a.db\r\n\n  \nb c.db\n"[..], &ui).collect();
        assert_eq!(paths, [PathBuf::from("a.db"), PathBuf::from("b c.db")]);
    }

    #[test]
    fn a_list_takes_one_trimmed_path_per_line_without_comments() {
        let ui = Ui::new(false, true);
        let list = "a.db\n  b.db \r\n\n# the next tenant\n\tc.db\n";
        let paths: Vec<PathBuf> = lines(list.as_bytes(), &ui).collect();
        assert_eq!(paths, ["a.db", "b.db", "c.db"].map(PathBuf::from));
    }
}
