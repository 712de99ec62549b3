//! `import --from <tool> <source> [--to <dir>] [--dry-run]`: another tool's set as numbered
//! files. Opens no database.
//!
//! The plan is printed in full (each file with its source, each change), then written unless
//! `--dry-run`. A plan with problems writes nothing and fails with every problem, each naming
//! its source file, its rule and what to do.

use std::path::Path;
use std::process::ExitCode;

use crate::cli::error::CliError;
use crate::cli::output::{Color, Ui};
use crate::import::{IMPORTED_FILE, ImportPlan, SourceTool};
use crate::json;

pub(crate) fn import(
    tool: SourceTool,
    source: &Path,
    target: &Path,
    dry_run: bool,
    ui: &Ui,
) -> Result<ExitCode, CliError> {
    let plan = ImportPlan::new(tool, source)?;
    let written = if dry_run {
        plan.check_writable(target)?;
        Vec::new()
    } else {
        plan.write(target)?
    };
    if ui.json {
        ui.json_out(&json::Import {
            dry_run,
            from: tool.name(),
            migrations: plan
                .map()
                .migrations
                .iter()
                .map(json::ImportedMigration::of)
                .collect(),
            source: json::display(source),
            target: json::display(target),
            written: written.iter().map(|p| json::display(p)).collect(),
        });
        return Ok(ExitCode::SUCCESS);
    }
    let verb = if dry_run { "would write" } else { "wrote" };
    ui.say(format!(
        "import from {tool}: `{}` into `{}`",
        source.display(),
        target.display()
    ));
    for migration in &plan.map().migrations {
        ui.line(
            Color::Green,
            verb,
            format!("{}  <- {}", migration.file, migration.source_path),
        );
        if let Some(down) = &migration.down {
            ui.line(Color::Green, verb, down);
        }
        for change in &migration.changes {
            ui.line(
                Color::Yellow,
                "changed",
                format!("{}: {change}", migration.file),
            );
        }
    }
    ui.line(Color::Green, verb, IMPORTED_FILE);
    if dry_run {
        ui.say("dry run: nothing was written");
    } else {
        ui.say(format!(
            "next: embed `{}` with embed_migrations!; to take over databases {tool} migrated, see `baseline --from {tool}`",
            target.display()
        ));
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use crate::Migrations;
    use crate::cli::args::Command;
    use crate::cli::commands::execute;
    use crate::cli::error::CliError;
    use crate::cli::output::Ui;
    use crate::import::{ImportError, ImportMap, SourceTool};

    fn prisma_fixture() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../tests/fixtures/foreign/prisma/migrations")
    }

    /// Mounted in an application, `--to` defaults to the embedded set's directory, which
    /// holds that set and so is refused; an explicit `--to` is written.
    #[test]
    fn the_mounted_import_writes_into_to_or_refuses_the_set_directory() {
        let set_dir = tempfile::tempdir().unwrap();
        std::fs::write(set_dir.path().join("0001_a.sql"), "SELECT 1;").unwrap();
        let set = Migrations::from_dir(set_dir.path()).unwrap();
        let ui = Ui::new(true, true);
        let import = |to: Option<PathBuf>| Command::Import {
            from: SourceTool::Prisma,
            source: prisma_fixture(),
            to,
            dry_run: false,
        };
        let refused = execute(&set, None, import(None), &ui).unwrap_err();
        assert!(
            matches!(refused, CliError::Import(ImportError::TargetNotEmpty { ref path }) if path == set_dir.path()),
            "{refused}"
        );
        let target = tempfile::tempdir().unwrap();
        let to = target.path().join("migrations");
        execute(&set, None, import(Some(to.clone())), &ui).unwrap();
        assert_eq!(ImportMap::read(&to).unwrap().migrations.len(), 4);
    }
}
