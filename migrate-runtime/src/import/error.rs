//! Why an import cannot go ahead: a failure (the source cannot be read, the target is not
//! empty) or the problems of the planned set, each naming the source file.

use std::fmt;
use std::path::PathBuf;

use thiserror::Error;

use super::SourceTool;

/// The rule that refuses a source migration; [`Rule::as_str`] is its stable name.
///
/// ```
/// use migrate_runtime::import::Rule;
///
/// assert_eq!(Rule::NoStatements.as_str(), "no-statements");
/// assert_eq!(Rule::NotInTransaction.to_string(), "not-in-transaction");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Rule {
    /// An up file with only comments and whitespace: our rules refuse a migration that does
    /// nothing by accident.
    NoStatements,
    /// A down file with only comments and whitespace.
    EmptyDown,
    /// A source name that cannot become one of our file names (no description, a version
    /// the tool itself cannot read).
    UnmappableName,
    /// A statement that cannot run inside the migration's transaction (`BEGIN`, `VACUUM`,
    /// ...), in a migration that runs in one.
    NotInTransaction,
    /// A kind of migration this crate cannot carry over (refinery's unversioned `U<n>__` and
    /// Rust `.rs` migrations).
    Unsupported,
    /// Two source migrations with the same version.
    DuplicateVersion,
    /// A source migration whose directory lacks its SQL file (diesel's `up.sql`, Prisma's
    /// `migration.sql`), or a down file without its up file.
    MissingFile,
    /// A file that is not valid UTF-8.
    NotUtf8,
    /// A string or quoted identifier that is never closed.
    Unterminated,
    /// Any other rule of a migration set (the message says which).
    InvalidSet,
}

impl Rule {
    /// The rule's stable name, as the CLI prints it and `--json` reports it.
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::NoStatements => "no-statements",
            Rule::EmptyDown => "empty-down",
            Rule::UnmappableName => "unmappable-name",
            Rule::NotInTransaction => "not-in-transaction",
            Rule::Unsupported => "unsupported",
            Rule::DuplicateVersion => "duplicate-version",
            Rule::MissingFile => "missing-file",
            Rule::NotUtf8 => "not-utf8",
            Rule::Unterminated => "unterminated",
            Rule::InvalidSet => "invalid-set",
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One source migration the import refuses: the source file, the rule, and what to do.
///
/// ```
/// use migrate_runtime::import::{ImportProblem, Rule};
///
/// let problem = ImportProblem {
///     source_path: "20240101000000_notes.sql".into(),
///     rule: Rule::NoStatements,
///     message: "contains no SQL statement".into(),
/// };
/// assert_eq!(
///     problem.to_string(),
///     "`20240101000000_notes.sql`: [no-statements] contains no SQL statement"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportProblem {
    /// The source file (or directory), relative to the source set's directory.
    pub source_path: String,
    /// The rule that refuses it.
    pub rule: Rule,
    /// What is wrong and what to do about it.
    pub message: String,
}

impl fmt::Display for ImportProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}`: [{}] {}",
            self.source_path, self.rule, self.message
        )
    }
}

/// Why an import failed or was refused.
///
/// ```
/// use migrate_runtime::import::{ImportError, ImportPlan, Rule, SourceTool};
///
/// let source = tempfile::tempdir()?;
/// std::fs::write(source.path().join("20240101000000_todo.sql"), "-- later\n")?;
/// let plan = ImportPlan::new(SourceTool::Sqlx, source.path())?;
/// let target = tempfile::tempdir()?;
/// match plan.write(&target.path().join("migrations")) {
///     Err(ImportError::Refused { problems }) => {
///         assert_eq!(problems[0].source_path, "20240101000000_todo.sql");
///         assert_eq!(problems[0].rule, Rule::NoStatements);
///     }
///     other => panic!("{other:?}"),
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ImportError {
    /// The tool's migrations are not files (rusqlite_migration's are Rust values).
    #[error(
        "{tool} migrations are Rust values in the application, not files: there is nothing to import; write them as SQL files, then take over its databases with `baseline --from {tool}`"
    )]
    NotImportable {
        /// The tool.
        tool: SourceTool,
    },
    /// The source directory does not exist or is not a directory.
    #[error("the source directory `{}` does not exist or is not a directory", path.display())]
    NoSourceDir {
        /// The path given.
        path: PathBuf,
    },
    /// The source directory holds no migration of that tool.
    #[error("`{}` holds no {tool} migration (expected {layout})", path.display(), layout = layout(*tool))]
    NoMigrations {
        /// The tool.
        tool: SourceTool,
        /// The source directory.
        path: PathBuf,
    },
    /// A file or directory of the source could not be read.
    #[error("cannot read `{}`: {source}", path.display())]
    Read {
        /// What could not be read.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The plan has problems: nothing was written.
    #[error("the import is refused ({}): nothing was written\n{}", count(problems.len()), list(problems))]
    Refused {
        /// Every problem, in source order.
        problems: Vec<ImportProblem>,
    },
    /// The target directory is the source directory.
    #[error(
        "the target `{}` is the source directory itself: move the source aside first (for \
         example `mv migrations migrations_sqlx`), then import from there into the now free \
         name",
        path.display()
    )]
    TargetIsSource {
        /// The directory.
        path: PathBuf,
    },
    /// The target directory exists and is not empty.
    #[error(
        "the target directory `{}` is not empty: import into a new or empty directory",
        path.display()
    )]
    TargetNotEmpty {
        /// The target directory.
        path: PathBuf,
    },
    /// Writing the target failed.
    #[error("cannot write `{}`: {source}", path.display())]
    Write {
        /// What could not be written.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

impl ImportError {
    /// A reading failure on `path`.
    pub(crate) fn read(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> ImportError {
        let path = path.into();
        move |source| ImportError::Read { path, source }
    }

    /// A writing failure on `path`.
    pub(crate) fn write(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> ImportError {
        let path = path.into();
        move |source| ImportError::Write { path, source }
    }
}

fn count(n: usize) -> String {
    if n == 1 {
        "1 problem".to_owned()
    } else {
        format!("{n} problems")
    }
}

fn list(problems: &[ImportProblem]) -> String {
    problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

/// What a tool's set looks like, for the message of an empty source.
fn layout(tool: SourceTool) -> &'static str {
    match tool {
        SourceTool::Sqlx => "`<version>_<description>.sql` files",
        SourceTool::Diesel => "`<version>_<name>/up.sql` directories",
        SourceTool::Refinery => "`V<n>__<name>.sql` files",
        SourceTool::Prisma => "`<timestamp>_<name>/migration.sql` directories",
        SourceTool::RusqliteMigration => "no files",
    }
}
