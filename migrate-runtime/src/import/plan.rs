//! The plan of an import: every file it would write, every change it makes to the SQL, and
//! every problem that stops it, built without writing anything.
//!
//! The planned files go through [`MigrationSet::from_entries`], the rules `embed_migrations!`
//! applies, so a plan without problems is a set that builds.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use migrate_rules::{Entry, MigrationSet, Problem};

use super::error::{ImportError, ImportProblem, Rule};
use super::map::{ImportMap, ImportedMigration, SourceTool};
use super::source::{self, SourceFile, SourceMigration};
use super::transform;

/// One file an import writes.
///
/// ```
/// use migrate_runtime::import::{ImportPlan, SourceTool};
///
/// let source = tempfile::tempdir()?;
/// std::fs::write(source.path().join("V1__create_users.sql"), "CREATE TABLE users (id);\n")?;
/// let plan = ImportPlan::new(SourceTool::Refinery, source.path())?;
/// let file = &plan.files()[0];
/// assert_eq!((file.name.as_str(), file.source_path.as_str()), ("0001_create_users.sql", "V1__create_users.sql"));
/// assert_eq!(file.contents, b"CREATE TABLE users (id);\n");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedFile {
    /// Its name in the target directory, e.g. `0001_create_users.sql`.
    pub name: String,
    /// Its bytes.
    pub contents: Vec<u8>,
    /// The source file it comes from, relative to the source directory.
    pub source_path: String,
}

/// What `import --from <tool>` would do with a source directory: see [`ImportPlan::new`].
///
/// A Prisma table rebuild loses its `PRAGMA foreign_keys` lines, and says so:
///
/// ```
/// use migrate_runtime::import::{ImportPlan, SourceTool};
///
/// let source = tempfile::tempdir()?;
/// for (dir, sql) in [
///     ("20240101000000_init", "CREATE TABLE \"User\" (id INTEGER PRIMARY KEY);\n"),
///     ("20240102000000_rebuild", "PRAGMA foreign_keys=OFF;\nCREATE TABLE \"new_User\" (id INTEGER PRIMARY KEY);\nDROP TABLE \"User\";\nALTER TABLE \"new_User\" RENAME TO \"User\";\nPRAGMA foreign_keys=ON;\n"),
/// ] {
///     std::fs::create_dir(source.path().join(dir))?;
///     std::fs::write(source.path().join(dir).join("migration.sql"), sql)?;
/// }
/// let plan = ImportPlan::new(SourceTool::Prisma, source.path())?;
/// assert_eq!(plan.tool(), SourceTool::Prisma);
/// assert_eq!(plan.source_dir(), source.path());
/// assert!(plan.problems().is_empty());
/// assert_eq!(
///     plan.map().migrations[1].changes,
///     ["removed line 1: PRAGMA foreign_keys=OFF;", "removed line 5: PRAGMA foreign_keys=ON;"]
/// );
/// assert!(!String::from_utf8_lossy(&plan.files()[1].contents).contains("foreign_keys"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct ImportPlan {
    tool: SourceTool,
    source_dir: PathBuf,
    files: Vec<PlannedFile>,
    map: ImportMap,
    problems: Vec<ImportProblem>,
}

impl ImportPlan {
    /// Reads `source_dir` in `tool`'s layout and plans the import, writing nothing.
    ///
    /// Our versions are `1..=n` in the tool's order; each description is the tool's name for
    /// the migration with every character outside `A-Z a-z 0-9 _ -` replaced by `_`; the
    /// SQL is copied unchanged but for the changes listed in each
    /// [`ImportedMigration::changes`]. Every source migration the rules refuse is in
    /// [`ImportPlan::problems`].
    ///
    /// ```
    /// use migrate_runtime::import::{ImportPlan, SourceTool};
    ///
    /// let source = tempfile::tempdir()?;
    /// std::fs::write(
    ///     source.path().join("20240105093000_create_users.sql"),
    ///     "CREATE TABLE users (id INTEGER PRIMARY KEY);\n",
    /// )?;
    /// let plan = ImportPlan::new(SourceTool::Sqlx, source.path())?;
    /// assert!(plan.problems().is_empty());
    /// assert_eq!(plan.files()[0].name, "0001_create_users.sql");
    /// assert_eq!(plan.map().migrations[0].source, "20240105093000");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`ImportError::NotImportable`] for rusqlite_migration, [`ImportError::NoSourceDir`],
    /// [`ImportError::NoMigrations`] and [`ImportError::Read`]. Problems with individual
    /// migrations are not errors here: they are in the plan.
    pub fn new(tool: SourceTool, source_dir: impl AsRef<Path>) -> Result<ImportPlan, ImportError> {
        let source_dir = source_dir.as_ref();
        if tool == SourceTool::RusqliteMigration {
            return Err(ImportError::NotImportable { tool });
        }
        if !source_dir.is_dir() {
            return Err(ImportError::NoSourceDir {
                path: source_dir.to_path_buf(),
            });
        }
        let set = source::read(tool, source_dir)?;
        if set.migrations.is_empty() && set.problems.is_empty() {
            return Err(ImportError::NoMigrations {
                tool,
                path: source_dir.to_path_buf(),
            });
        }
        let mut plan = ImportPlan {
            tool,
            source_dir: source_dir.to_path_buf(),
            files: Vec::new(),
            map: ImportMap {
                tool,
                migrations: Vec::new(),
            },
            problems: set.problems,
        };
        for (index, migration) in set.migrations.into_iter().enumerate() {
            plan.add(index as i64 + 1, migration);
        }
        plan.check_rules();
        Ok(plan)
    }

    /// The tool the source was written for.
    pub fn tool(&self) -> SourceTool {
        self.tool
    }

    /// The source directory.
    pub fn source_dir(&self) -> &Path {
        &self.source_dir
    }

    /// Every file to write, up then down for each version, in version order
    /// (`IMPORTED.toml` comes after them).
    pub fn files(&self) -> &[PlannedFile] {
        &self.files
    }

    /// The `IMPORTED.toml` to write: each migration's source, checksum and changes.
    pub fn map(&self) -> &ImportMap {
        &self.map
    }

    /// Why the plan cannot be written; empty when it can.
    pub fn problems(&self) -> &[ImportProblem] {
        &self.problems
    }

    fn add(&mut self, version: i64, migration: SourceMigration) {
        let sanitised = sanitise(&migration.name);
        let description = if sanitised.is_empty() {
            let consequence = match self.tool {
                SourceTool::Prisma => {
                    "Prisma records the directory name, so also update `migration_name` in \
                     `_prisma_migrations` of the databases it migrated"
                }
                _ => {
                    "the tool identifies it by its version, so databases it migrated are not \
                     affected"
                }
            };
            self.problems.push(ImportProblem {
                source_path: migration.source_path.clone(),
                rule: Rule::UnmappableName,
                message: format!(
                    "the name has no description after the version and its `_`: rename it \
                     `<version>_<description>` ({consequence})"
                ),
            });
            // Checked by the rules all the same, so that one run reports everything.
            "unnamed".to_owned()
        } else {
            sanitised
        };
        let stem = format!("{version:04}_{description}");
        let mut changes = Vec::new();
        let up = self.planned(
            format!("{stem}.sql"),
            &migration.up,
            &migration,
            &mut changes,
            "",
        );
        let down = migration.down.as_ref().map(|down| {
            self.planned(
                format!("{stem}.down.sql"),
                down,
                &migration,
                &mut changes,
                "down file: ",
            )
        });
        self.map.migrations.push(ImportedMigration {
            version,
            file: up,
            down,
            source: migration.source,
            source_path: migration.source_path,
            source_checksum: migration.checksum,
            changes,
        });
    }

    /// One file: the tool's no-transaction marker as our directive, then, in a
    /// transactional file, the `PRAGMA foreign_keys` lines removed.
    fn planned(
        &mut self,
        name: String,
        file: &SourceFile,
        migration: &SourceMigration,
        changes: &mut Vec<String>,
        prefix: &str,
    ) -> String {
        let mut contents = file.bytes.clone();
        let directive = match self.tool {
            SourceTool::Sqlx => transform::sqlx_directive(&mut contents),
            SourceTool::Diesel if migration.diesel_no_transaction => {
                transform::diesel_directive(&mut contents)
            }
            _ => None,
        };
        changes.extend(directive.map(|change| format!("{prefix}{change}")));
        if !transform::is_no_transaction(&contents) {
            changes.extend(
                transform::remove_foreign_key_pragmas(&mut contents)
                    .into_iter()
                    .map(|change| format!("{prefix}{change}")),
            );
        }
        self.files.push(PlannedFile {
            name: name.clone(),
            contents,
            source_path: file.path.clone(),
        });
        name
    }

    /// The rules of `embed_migrations!` over the planned files; each problem is reported
    /// against the source file it comes from.
    fn check_rules(&mut self) {
        let entries = self
            .files
            .iter()
            .map(|file| Entry::file(file.name.clone(), file.contents.clone()));
        let Err(problems) = MigrationSet::from_entries(entries) else {
            return;
        };
        let sources: HashMap<&str, &str> = self
            .files
            .iter()
            .map(|file| (file.name.as_str(), file.source_path.as_str()))
            .collect();
        let converted: Vec<ImportProblem> = problems
            .iter()
            .map(|problem| {
                let (file, rule) = file_and_rule(problem);
                let source_path = file
                    .and_then(|file| sources.get(file).copied())
                    .or_else(|| {
                        // A rule added later: find the file its message names.
                        let message = problem.to_string();
                        self.files
                            .iter()
                            .find(|f| message.contains(&format!("`{}`", f.name)))
                            .map(|f| f.source_path.as_str())
                    })
                    .unwrap_or(".");
                ImportProblem {
                    source_path: source_path.to_owned(),
                    rule,
                    message: import_advice(problem, rule),
                }
            })
            .collect();
        self.problems.extend(converted);
    }
}

/// The rules' message, with what it means for an import where that differs.
fn import_advice(problem: &Problem, rule: Rule) -> String {
    match (problem, rule) {
        (Problem::NoStatements { file }, Rule::EmptyDown) => format!(
            "`{file}` is a down file without any SQL statement: delete it if the migration \
             cannot be undone (a rollback then stops there), or write the SQL that undoes it"
        ),
        (Problem::NotInTransaction { what, .. }, _) if what == "PRAGMA foreign_keys" => format!(
            "{problem}; `import` removes such a line itself when the statement stands alone on \
             its line"
        ),
        _ => problem.to_string(),
    }
}

/// The file a problem of the rules names, and the rule.
fn file_and_rule(problem: &Problem) -> (Option<&str>, Rule) {
    match problem {
        Problem::NoStatements { file } if file.ends_with(".down.sql") => {
            (Some(file), Rule::EmptyDown)
        }
        Problem::NoStatements { file } => (Some(file), Rule::NoStatements),
        Problem::NotInTransaction { file, .. } => (Some(file), Rule::NotInTransaction),
        Problem::NotUtf8 { file, .. } => (Some(file), Rule::NotUtf8),
        Problem::Unterminated { file, .. } => (Some(file), Rule::Unterminated),
        Problem::InvalidFileName { file, .. } => (Some(file), Rule::UnmappableName),
        Problem::DownWithoutUp { file, .. } => (Some(file), Rule::MissingFile),
        _ => (None, Rule::InvalidSet),
    }
}

/// The source name in our grammar: every character outside `A-Z a-z 0-9 _ -` becomes `_`.
///
/// ```text
/// "create users"  -> "create_users"
/// "añadir_tabla"  -> "a_adir_tabla"
/// ```
fn sanitise(name: &str) -> String {
    name.chars()
        .map(|c| {
            if migrate_rules::name::is_description_char(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_keep_their_length_in_our_grammar() {
        assert_eq!(sanitise("create users"), "create_users");
        assert_eq!(sanitise("añadir.tabla"), "a_adir_tabla");
        assert_eq!(sanitise("add-index_2"), "add-index_2");
        assert_eq!(sanitise(""), "");
    }
}
