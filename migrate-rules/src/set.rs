//! Validation of a whole migration set.
//!
//! [`MigrationSet::from_entries`] applies every rule to a directory listing and returns either a
//! valid set or *all* the [`Problem`]s found, so one build (or one `from_dir` call) reports
//! everything that needs fixing.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::NO_TRANSACTION_DIRECTIVE;
use crate::checksum::{self, Checksum};
use crate::name::{self, FileKind, NameError};
use crate::split::{self, Statement};

/// One entry of a migrations directory, as read from a file system or an embedded tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// A file: its name (no directory part) and contents.
    File {
        /// The file name, e.g. `0001_init.sql`.
        name: String,
        /// The raw bytes.
        contents: Vec<u8>,
    },
    /// A subdirectory, which a migrations directory must not have.
    Directory {
        /// The directory name.
        name: String,
    },
}

impl Entry {
    /// A file entry.
    pub fn file(name: impl Into<String>, contents: impl Into<Vec<u8>>) -> Self {
        Entry::File {
            name: name.into(),
            contents: contents.into(),
        }
    }

    /// A subdirectory entry.
    pub fn directory(name: impl Into<String>) -> Self {
        Entry::Directory { name: name.into() }
    }

    fn name(&self) -> &str {
        match self {
            Entry::File { name, .. } | Entry::Directory { name } => name,
        }
    }
}

/// A valid, complete migration set: versions `1..=n`, each with its scripts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationSet {
    migrations: Vec<Migration>,
    /// Every file the set was read from, ignored ones excluded, for rebuild tracking.
    files: Vec<String>,
}

/// One migration of a valid set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migration {
    /// The version, from 1.
    pub version: i64,
    /// The description part of the file name.
    pub description: String,
    /// The up script, `<version>_<description>.sql`.
    pub up: Script,
    /// The down script, `<version>_<description>.down.sql`, if there is one.
    pub down: Option<Script>,
}

/// One SQL file of a valid set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Script {
    /// The file name, e.g. `0003_add_orders.sql`.
    pub file_name: String,
    /// The SQL, normalized (no byte-order mark, LF line endings).
    pub sql: String,
    /// The checksum of [`Script::sql`].
    pub checksum: Checksum,
    /// The statements of [`Script::sql`], at least one.
    pub statements: Vec<Statement>,
    /// True when the first line is `-- migrate:no-transaction`.
    pub no_transaction: bool,
}

impl MigrationSet {
    /// Validates a directory listing.
    ///
    /// Hidden files and files not ending in `.sql` are ignored; everything else must follow
    /// the rules.
    ///
    /// # Errors
    /// Every [`Problem`] found, in a stable order.
    pub fn from_entries(entries: impl IntoIterator<Item = Entry>) -> Result<Self, Problems> {
        let mut entries: Vec<Entry> = entries.into_iter().collect();
        entries.sort_by(|a, b| a.name().cmp(b.name()));
        let mut problems = Vec::new();
        let mut ups: BTreeMap<i64, Vec<Candidate>> = BTreeMap::new();
        let mut downs: BTreeMap<i64, Vec<Candidate>> = BTreeMap::new();
        // Up files whose name is invalid but whose version is readable: they are not gaps.
        let mut misnamed: BTreeMap<i64, String> = BTreeMap::new();
        let mut files = Vec::new();

        for entry in entries {
            match entry {
                Entry::Directory { name } if !name.starts_with('.') => {
                    problems.push(Problem::Subdirectory { name });
                }
                Entry::Directory { .. } => {}
                Entry::File { name, contents } if name::is_migration_candidate(&name) => {
                    files.push(name.clone());
                    let version = misnamed_up_version(&name);
                    match Candidate::parse(name, contents) {
                        Ok(c) if c.kind == FileKind::Up => {
                            ups.entry(c.version).or_default().push(c)
                        }
                        Ok(c) => downs.entry(c.version).or_default().push(c),
                        Err(problem) => {
                            if let (Some(version), Problem::InvalidFileName { file, .. }) =
                                (version, &problem)
                            {
                                misnamed.entry(version).or_insert_with(|| file.clone());
                            }
                            problems.push(problem);
                        }
                    }
                }
                Entry::File { .. } => {}
            }
        }

        check_duplicates(&ups, &mut problems);
        check_duplicates(&downs, &mut problems);
        check_contiguous(&ups, &misnamed, &mut problems);

        let mut migrations = Vec::with_capacity(ups.len());
        for (version, mut candidates) in ups {
            let down = downs.remove(&version).map(|mut d| d.swap_remove(0));
            // With duplicate up files (already reported), the down file belongs to the one
            // it names: reporting it as unmatched too would be a knock-on error.
            let matching = down.as_ref().and_then(|down| {
                candidates
                    .iter()
                    .position(|up| up.description == down.description)
            });
            let up = candidates.swap_remove(matching.unwrap_or(0));
            if let Some(down) = &down
                && down.description != up.description
            {
                problems.push(Problem::DownWithoutUp {
                    file: down.file_name.clone(),
                    expected: format!("{}_{}.sql", down.digits, down.description),
                });
            }
            let up = up.into_script(&mut problems);
            let down = down.map(|d| d.into_script(&mut problems));
            if let (Some((description, up)), down) = (up, down) {
                migrations.push(Migration {
                    version,
                    description,
                    up,
                    down: down.flatten().map(|(_, script)| script),
                });
            }
        }
        for candidate in downs.into_values().flatten() {
            problems.push(Problem::DownWithoutUp {
                expected: format!("{}_{}.sql", candidate.digits, candidate.description),
                file: candidate.file_name,
            });
        }

        if problems.is_empty() && migrations.is_empty() {
            problems.push(Problem::NoMigrations { dir: None });
        }
        if problems.is_empty() {
            Ok(MigrationSet { migrations, files })
        } else {
            Err(Problems(problems))
        }
    }

    /// Reads and validates a migrations directory.
    ///
    /// # Errors
    /// Every [`Problem`] found; a missing directory, a path that is not a directory and an
    /// empty set name the path.
    pub fn from_dir(dir: &Path) -> Result<Self, Problems> {
        Self::from_dir_skipping(dir, None)
    }

    /// [`MigrationSet::from_dir`], with the file called `skip` (if any) left out as if it were
    /// not there: the macro's schema snapshot when it lives in the migrations directory.
    pub(crate) fn from_dir_skipping(dir: &Path, skip: Option<&str>) -> Result<Self, Problems> {
        let dir_problem =
            |problem: fn(PathBuf) -> Problem| Problems(vec![problem(dir.to_path_buf())]);
        let metadata = match std::fs::metadata(dir) {
            Ok(metadata) => metadata,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(dir_problem(|dir| Problem::MissingDirectory { dir }));
            }
            Err(e) => return Err(Problems(vec![Problem::io(dir, &e)])),
        };
        if !metadata.is_dir() {
            return Err(dir_problem(|dir| Problem::NotADirectory { dir }));
        }
        let mut entries = read_entries(dir)?;
        if let Some(skip) = skip {
            entries.retain(|entry| !matches!(entry, Entry::File { name, .. } if name == skip));
        }
        Self::from_entries(entries).map_err(|mut problems| {
            for problem in &mut problems.0 {
                if let Problem::NoMigrations {
                    dir: missing @ None,
                } = problem
                {
                    *missing = Some(dir.to_path_buf());
                }
            }
            problems
        })
    }

    /// The migrations, ordered by version (`1..=n`, no gap).
    pub fn migrations(&self) -> &[Migration] {
        &self.migrations
    }

    /// The names of every `.sql` file of the set, up and down.
    pub fn files(&self) -> &[String] {
        &self.files
    }

    /// The history checksum of the whole set (see [`Checksum::history`]).
    pub fn history_checksum(&self) -> Checksum {
        // A valid set has at least one migration.
        Checksum::history(self.migrations.iter().map(|m| &m.up.checksum))
            .unwrap_or_else(|| Checksum::digest(b""))
    }
}

fn read_entries(dir: &Path) -> Result<Vec<Entry>, Problems> {
    let mut entries = Vec::new();
    let mut problems = Vec::new();
    let listing = std::fs::read_dir(dir).map_err(|e| Problems(vec![Problem::io(dir, &e)]))?;
    for item in listing {
        let item = match item {
            Ok(item) => item,
            Err(e) => {
                problems.push(Problem::io(dir, &e));
                continue;
            }
        };
        let path = item.path();
        let Some(file_name) = item.file_name().to_str().map(str::to_owned) else {
            let lossy = item.file_name().to_string_lossy().into_owned();
            if name::is_migration_candidate(&lossy) {
                problems.push(Problem::NonUtf8FileName { name: lossy });
            }
            continue;
        };
        // Follow symbolic links: a linked file is a file.
        match std::fs::metadata(&path) {
            Ok(m) if m.is_dir() => entries.push(Entry::directory(file_name)),
            Ok(_) if name::is_migration_candidate(&file_name) => match std::fs::read(&path) {
                Ok(contents) => entries.push(Entry::file(file_name, contents)),
                Err(e) => problems.push(Problem::io(&path, &e)),
            },
            Ok(_) => {}
            Err(e) => problems.push(Problem::io(&path, &e)),
        }
    }
    if problems.is_empty() {
        Ok(entries)
    } else {
        Err(Problems(problems))
    }
}

/// A `.sql` file whose name parsed, before its contents are checked.
struct Candidate {
    file_name: String,
    digits: String,
    version: i64,
    description: String,
    kind: FileKind,
    contents: Vec<u8>,
}

impl Candidate {
    fn parse(file_name: String, contents: Vec<u8>) -> Result<Self, Problem> {
        let parsed = match name::parse_file_name(&file_name) {
            Ok(parsed) => parsed,
            Err(reason) => {
                return Err(Problem::InvalidFileName {
                    file: file_name,
                    reason,
                });
            }
        };
        Ok(Candidate {
            digits: parsed.version_digits.to_owned(),
            version: parsed.version,
            description: parsed.description.to_owned(),
            kind: parsed.kind,
            file_name,
            contents,
        })
    }

    /// Checks the contents; `None` (with problems recorded) when they are not usable.
    fn into_script(self, problems: &mut Vec<Problem>) -> Option<(String, Script)> {
        let file = self.file_name;
        let sql = match String::from_utf8(checksum::normalize(&self.contents).into_owned()) {
            Ok(sql) => sql,
            Err(e) => {
                let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
                let line = 1 + valid.iter().filter(|&&b| b == b'\n').count() as u32;
                problems.push(Problem::NotUtf8 { file, line });
                return None;
            }
        };
        if let Some(stray) = split::stray_character(&sql) {
            problems.push(Problem::StrayCharacter {
                file,
                line: stray.line,
                column: stray.column,
                character: stray.character,
            });
            return None;
        }
        let parsed = split::split(&sql);
        let before = problems.len();
        if let Some(open) = parsed.unterminated {
            problems.push(Problem::Unterminated {
                file: file.clone(),
                line: open.line,
                quote: open.quote,
            });
        }
        if parsed.statements.is_empty() {
            problems.push(Problem::NoStatements { file: file.clone() });
        }
        let no_transaction =
            sql.lines().next().map(str::trim_end) == Some(NO_TRANSACTION_DIRECTIVE);
        if !no_transaction {
            for statement in &parsed.statements {
                if let Some(conflict) = split::transaction_conflict(statement.text(&sql)) {
                    problems.push(Problem::NotInTransaction {
                        file: file.clone(),
                        line: statement.line,
                        what: conflict.as_str().to_owned(),
                    });
                }
            }
        }
        if problems.len() > before {
            return None;
        }
        let script = Script {
            // `sql` is normalized already; normalizing twice would turn `\r\r\n` into `\n`.
            checksum: Checksum::digest(sql.as_bytes()),
            file_name: file,
            sql,
            statements: parsed.statements,
            no_transaction,
        };
        Some((self.description, script))
    }
}

fn check_duplicates(by_version: &BTreeMap<i64, Vec<Candidate>>, problems: &mut Vec<Problem>) {
    for (version, candidates) in by_version {
        if candidates.len() > 1 {
            problems.push(Problem::DuplicateVersion {
                version: *version,
                files: candidates.iter().map(|c| c.file_name.clone()).collect(),
            });
        }
    }
}

/// The version of an up file whose name is invalid only after its version digits, so that an
/// error in the description is not also reported as a gap.
fn misnamed_up_version(file_name: &str) -> Option<i64> {
    if file_name.ends_with(".down.sql") {
        return None;
    }
    let (digits, _) = file_name.split_once('_')?;
    name::parse_version(digits).ok()
}

fn check_contiguous(
    ups: &BTreeMap<i64, Vec<Candidate>>,
    misnamed: &BTreeMap<i64, String>,
    problems: &mut Vec<Problem>,
) {
    let mut versions: BTreeMap<i64, &str> = misnamed
        .iter()
        .map(|(&version, file)| (version, file.as_str()))
        .collect();
    for (&version, candidates) in ups {
        versions.insert(version, &candidates[0].file_name);
    }
    let mut previous: Option<(i64, &str)> = None;
    for (version, file) in versions {
        let expected = previous.map_or(1, |(p, _)| p + 1);
        if version != expected {
            problems.push(Problem::Gap {
                before: previous.map(|(_, f)| f.to_owned()),
                after: file.to_owned(),
                missing: expected..=version - 1,
            });
        }
        previous = Some((version, file));
    }
}

/// One violation of the rules, naming every file involved.
///
/// Messages are lowercase without a trailing period and say what to do, so the macro can show
/// them as compiler errors unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum Problem {
    /// The migrations directory does not exist.
    #[error("migrations directory `{}` does not exist", dir.display())]
    MissingDirectory {
        /// The resolved absolute path.
        dir: PathBuf,
    },
    /// The migrations path is a file or something else that is not a directory.
    #[error("migrations path `{}` is not a directory", dir.display())]
    NotADirectory {
        /// The resolved absolute path.
        dir: PathBuf,
    },
    /// The directory has no migration at all.
    #[error("{}", match dir {
        Some(dir) => format!("no migrations found in `{}`: add a file such as `0001_init.sql`", dir.display()),
        None => "no migrations found: add a file such as `0001_init.sql`".to_owned(),
    })]
    NoMigrations {
        /// The resolved absolute path, when the set came from a directory.
        dir: Option<PathBuf>,
    },
    /// Reading the directory or a file failed.
    #[error("cannot read `{}`: {message}", path.display())]
    Io {
        /// What could not be read.
        path: PathBuf,
        /// The operating system's message.
        message: String,
    },
    /// A subdirectory inside the migrations directory.
    #[error(
        "`{name}` is a subdirectory: migrations must be `.sql` files directly in the migrations directory"
    )]
    Subdirectory {
        /// The subdirectory's name.
        name: String,
    },
    /// A `.sql` file whose name is not valid UTF-8.
    #[error("`{name}` has a file name that is not valid UTF-8")]
    NonUtf8FileName {
        /// The name, with invalid bytes replaced.
        name: String,
    },
    /// A `.sql` file whose name does not fit the grammar.
    #[error(
        "`{file}` is not a valid migration file name: {reason}; expected `<version>_<description>.sql` or `<version>_<description>.down.sql`"
    )]
    InvalidFileName {
        /// The name as found in the directory.
        file: String,
        /// What is wrong with it.
        reason: NameError,
    },
    /// Several up (or several down) files with the same version value.
    #[error("duplicate migration version {version}: {}", quoted_list(files))]
    DuplicateVersion {
        /// The version the files share.
        version: i64,
        /// Every file with that version.
        files: Vec<String>,
    },
    /// Versions that do not run contiguously from 1.
    #[error("{}", gap_message(before.as_deref(), after, missing))]
    Gap {
        /// The file before the gap, `None` when the set does not start at 1.
        before: Option<String>,
        /// The file after the gap.
        after: String,
        /// The missing versions.
        missing: std::ops::RangeInclusive<i64>,
    },
    /// A down file with no up file of the same version and description.
    #[error("`{file}` has no matching up migration: expected `{expected}` beside it")]
    DownWithoutUp {
        /// The down file.
        file: String,
        /// The up file it needs.
        expected: String,
    },
    /// A file that is not valid UTF-8.
    #[error("`{file}` is not valid UTF-8 (first invalid byte on line {line})")]
    NotUtf8 {
        /// The file.
        file: String,
        /// 1-based line of the first invalid byte.
        line: u32,
    },
    /// A character SQLite cannot take where it stands (see [`split::stray_character`]): a NUL
    /// byte anywhere, another ASCII control character or a byte-order mark outside strings
    /// and comments. Only the first one of a file is reported.
    #[error("`{file}` line {line}, column {column}: {}", stray_advice(*.character))]
    StrayCharacter {
        /// The file.
        file: String,
        /// 1-based line.
        line: u32,
        /// 1-based column, counted in characters.
        column: u32,
        /// The character.
        character: char,
    },
    /// A file with only whitespace and comments.
    #[error(
        "`{file}` contains no SQL statement: if this migration intentionally does nothing, write a no-op statement such as `SELECT 1;`"
    )]
    NoStatements {
        /// The file.
        file: String,
    },
    /// A string or quoted identifier that is never closed.
    #[error("`{file}` line {line}: `{quote}` opened here is never closed")]
    Unterminated {
        /// The file.
        file: String,
        /// 1-based line of the opening quote.
        line: u32,
        /// The opening quote.
        quote: char,
    },
    /// A statement that cannot run inside the migration's transaction.
    #[error("`{file}` line {line}: {}", not_in_transaction_advice(.what))]
    NotInTransaction {
        /// The file.
        file: String,
        /// 1-based line of the statement.
        line: u32,
        /// The statement kind, e.g. `VACUUM`.
        what: String,
    },
}

impl Problem {
    fn io(path: &Path, error: &std::io::Error) -> Self {
        Problem::Io {
            path: path.to_path_buf(),
            message: error.to_string(),
        }
    }
}

/// What to do about a statement that cannot run in the migration's transaction, which depends
/// on why it is there: transaction control written out of habit is removed, not worked around.
fn not_in_transaction_advice(what: &str) -> String {
    let directive = NO_TRANSACTION_DIRECTIVE;
    match what {
        "BEGIN" | "COMMIT" | "END" | "ROLLBACK" | "SAVEPOINT" | "RELEASE" => format!(
            "remove `{what}`: each migration already runs in one transaction, committed together \
             with its tracking row (a first line `{directive}` would instead run it statement by \
             statement, giving up that atomicity)"
        ),
        "PRAGMA foreign_keys" => format!(
            "remove `{what}`: SQLite ignores it inside a transaction, and the runtime already \
             does its job: foreign keys are off around each migration's transaction and \
             `PRAGMA foreign_key_check` runs before it commits, so a table rebuild is safe \
             without these lines (the other choice, a first line `{directive}`, gives up \
             atomicity)"
        ),
        _ => format!(
            "`{what}` cannot run inside a transaction; to run this migration outside one, make \
             `{directive}` its first line"
        ),
    }
}

/// What a stray character is and what to do about it.
fn stray_advice(character: char) -> String {
    match character {
        '\0' => "a NUL byte (0x00): SQLite stops reading SQL at a NUL byte, so the rest of the \
                  statement would be lost at run time; remove it (for a NUL in data write \
                  `char(0)` or `x'00'`; a file full of NUL bytes is likely UTF-16: save it as \
                  UTF-8)"
            .to_owned(),
        '\u{feff}' => "a byte-order mark (U+FEFF, bytes EF BB BF) after the start of the file, \
                        usually left by joining files: it is invisible, and it hides the word \
                        after it from statement splitting (a `CREATE TRIGGER` would be cut at its \
                        first `;`); remove it (one is allowed only as the very first character)"
            .to_owned(),
        c => format!(
            "the control character 0x{:02x} outside a string or comment: SQLite rejects it at run \
             time (\"unrecognized token\"); remove it, or write it inside a string literal if \
             it is data",
            u32::from(c)
        ),
    }
}

fn quoted_list(files: &[String]) -> String {
    let quoted: Vec<String> = files.iter().map(|f| format!("`{f}`")).collect();
    match quoted.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

fn gap_message(
    before: Option<&str>,
    after: &str,
    missing: &std::ops::RangeInclusive<i64>,
) -> String {
    let (first, last) = (*missing.start(), *missing.end());
    let missing = if first == last {
        format!("{first} is missing")
    } else {
        format!("{first} to {last} are missing")
    };
    match before {
        Some(before) => {
            format!("gap in migration versions: `{before}` is followed by `{after}` ({missing})")
        }
        None => format!(
            "gap in migration versions: versions start at 1 but the first migration is `{after}` ({missing})"
        ),
    }
}

/// Every problem of a rejected set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problems(pub Vec<Problem>);

impl Problems {
    /// The individual problems.
    pub fn iter(&self) -> std::slice::Iter<'_, Problem> {
        self.0.iter()
    }
}

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, problem) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Problems {}

impl<'a> IntoIterator for &'a Problems {
    type Item = &'a Problem;
    type IntoIter = std::slice::Iter<'a, Problem>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}
