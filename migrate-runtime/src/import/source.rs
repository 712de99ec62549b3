//! Reading another tool's migrations directory, in that tool's own layout and order, the
//! way the tool itself reads it (which files it takes, how it orders them, what it records).
//!
//! Files a tool ignores are ignored here too; entries it would refuse become
//! [`ImportProblem`]s naming the source file.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use super::checksum;
use super::error::{ImportError, ImportProblem, Rule};
use super::map::SourceTool;

/// One file of the source, with its path relative to the source directory.
#[derive(Debug, Clone)]
pub(crate) struct SourceFile {
    /// Relative to the source directory, `/`-separated.
    pub path: String,
    /// The bytes as read.
    pub bytes: Vec<u8>,
}

/// One migration of the source, in the tool's terms.
#[derive(Debug, Clone)]
pub(crate) struct SourceMigration {
    /// What the tool records in its history table (see `ImportedMigration::source`).
    pub source: String,
    /// The file or directory, relative to the source directory.
    pub source_path: String,
    /// The tool's name for it, before sanitising (empty when it has none).
    pub name: String,
    /// The up (or only) file.
    pub up: SourceFile,
    /// The down file, when the tool has one for it.
    pub down: Option<SourceFile>,
    /// diesel's `metadata.toml` says `run_in_transaction = false`.
    pub diesel_no_transaction: bool,
    /// The tool's checksum of the source, where it keeps one.
    pub checksum: Option<String>,
}

/// A source set: its migrations in the tool's order, and what the tool itself would refuse.
#[derive(Debug, Default)]
pub(crate) struct SourceSet {
    pub migrations: Vec<SourceMigration>,
    pub problems: Vec<ImportProblem>,
}

/// Reads `dir` as `tool` lays its migrations out.
pub(crate) fn read(tool: SourceTool, dir: &Path) -> Result<SourceSet, ImportError> {
    match tool {
        SourceTool::Sqlx => sqlx(dir),
        SourceTool::Diesel => diesel(dir),
        SourceTool::Refinery => refinery(dir),
        SourceTool::Prisma => prisma(dir),
        // Refused before any reading (its migrations are Rust values).
        _ => Err(ImportError::NotImportable { tool }),
    }
}

/// One directory entry: its name, path and whether it is a directory (links followed).
struct Listed {
    name: String,
    path: PathBuf,
    is_dir: bool,
}

/// The visible entries of `dir`, sorted by name. Hidden entries (editor files, `.git`) are
/// left out; names that are not UTF-8 are read lossily, as sqlx and diesel do.
fn list(dir: &Path) -> Result<Vec<Listed>, ImportError> {
    let mut listed = Vec::new();
    for entry in fs::read_dir(dir).map_err(ImportError::read(dir))? {
        let entry = entry.map_err(ImportError::read(dir))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        let path = entry.path();
        let metadata = fs::metadata(&path).map_err(ImportError::read(&path))?;
        listed.push(Listed {
            name,
            path,
            is_dir: metadata.is_dir(),
        });
    }
    listed.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(listed)
}

fn read_file(path: &Path, relative: String) -> Result<SourceFile, ImportError> {
    Ok(SourceFile {
        bytes: fs::read(path).map_err(ImportError::read(path))?,
        path: relative,
    })
}

fn problem(source_path: &str, rule: Rule, message: String) -> ImportProblem {
    ImportProblem {
        source_path: source_path.to_owned(),
        rule,
        message,
    }
}

/// Migrations keyed by the tool's order key; a second one with the same key is a problem.
fn insert_unique<K: Ord>(
    by_key: &mut BTreeMap<K, SourceMigration>,
    key: K,
    migration: SourceMigration,
    problems: &mut Vec<ImportProblem>,
) {
    if let Some(first) = by_key.get(&key) {
        problems.push(problem(
            &migration.source_path,
            Rule::DuplicateVersion,
            format!(
                "it has the same version as `{}` (`{}`): the tool cannot order them either; \
                 give one of them another version",
                first.source_path, migration.source
            ),
        ));
    } else {
        by_key.insert(key, migration);
    }
}

/// sqlx (`resolve_blocking`): every file `<version>_<rest>` where `rest` ends in `.sql`;
/// `.up.sql`/`.down.sql` make a reversible pair; ordered by the integer version, which is
/// what `_sqlx_migrations.version` records.
fn sqlx(dir: &Path) -> Result<SourceSet, ImportError> {
    let mut set = SourceSet::default();
    let mut ups = BTreeMap::new();
    let mut downs: BTreeMap<i64, SourceFile> = BTreeMap::new();
    for entry in list(dir)? {
        if entry.is_dir {
            continue;
        }
        // What sqlx skips: no `_`, or not ending in `.sql`.
        let Some((digits, rest)) = entry.name.split_once('_') else {
            continue;
        };
        if !rest.ends_with(".sql") {
            continue;
        }
        let Ok(version) = digits.parse::<i64>() else {
            set.problems.push(problem(
                &entry.name,
                Rule::UnmappableName,
                format!(
                    "`{digits}` is not an integer version (sqlx refuses this name too): rename \
                     the file `<version>_<description>.sql`"
                ),
            ));
            continue;
        };
        let file = read_file(&entry.path, entry.name.clone())?;
        if rest.ends_with(".down.sql") {
            if downs.contains_key(&version) {
                set.problems.push(problem(
                    &entry.name,
                    Rule::DuplicateVersion,
                    format!("a second down file for version {version}: keep one"),
                ));
            }
            downs.insert(version, file);
            continue;
        }
        let name = rest
            .strip_suffix(".up.sql")
            .or_else(|| rest.strip_suffix(".sql"))
            .unwrap_or(rest);
        let migration = SourceMigration {
            source: version.to_string(),
            source_path: entry.name.clone(),
            name: name.to_owned(),
            checksum: Some(checksum::sqlx(&file.bytes)),
            up: file,
            down: None,
            diesel_no_transaction: false,
        };
        insert_unique(&mut ups, version, migration, &mut set.problems);
    }
    for (version, down) in downs {
        match ups.get_mut(&version) {
            Some(up) => up.down = Some(down),
            None => set.problems.push(problem(
                &down.path,
                Rule::MissingFile,
                format!(
                    "a down file without an up file of version {version}: add the \
                     `.up.sql` file or remove this one"
                ),
            )),
        }
    }
    set.migrations = ups.into_values().collect();
    Ok(set)
}

/// diesel (`FileBasedMigrations`): every visible, non-empty subdirectory is a migration and
/// must hold `up.sql`; its version is the name up to the first `_` with `-` removed
/// (`version_from_string`), which is what `__diesel_schema_migrations.version` records and
/// what diesel orders by (as text).
fn diesel(dir: &Path) -> Result<SourceSet, ImportError> {
    let mut set = SourceSet::default();
    let mut by_version = BTreeMap::new();
    for entry in list(dir)? {
        if !entry.is_dir {
            continue;
        }
        let files = list(&entry.path)?;
        if files.is_empty() {
            continue;
        }
        let has = |file: &str| files.iter().any(|f| f.name == file && !f.is_dir);
        if !has("up.sql") {
            set.problems.push(problem(
                &entry.name,
                Rule::MissingFile,
                "the directory has no `up.sql` (diesel refuses it too): add it, or move the \
                 directory out of the migrations"
                    .to_owned(),
            ));
            continue;
        }
        let version = entry
            .name
            .split('_')
            .next()
            .unwrap_or_default()
            .replace('-', "");
        let name = entry.name.split_once('_').map_or("", |(_, name)| name);
        let up = read_file(&entry.path.join("up.sql"), format!("{}/up.sql", entry.name))?;
        let down = if has("down.sql") {
            Some(read_file(
                &entry.path.join("down.sql"),
                format!("{}/down.sql", entry.name),
            )?)
        } else {
            None
        };
        let migration = SourceMigration {
            source: version.clone(),
            source_path: entry.name.clone(),
            name: name.to_owned(),
            up,
            down,
            diesel_no_transaction: has("metadata.toml")
                && !diesel_runs_in_transaction(&entry.path.join("metadata.toml"))?,
            checksum: None,
        };
        insert_unique(&mut by_version, version, migration, &mut set.problems);
    }
    set.migrations = by_version.into_values().collect();
    Ok(set)
}

/// diesel's reading of `metadata.toml` (`TomlMetadata`): a file that parses but does not
/// say `run_in_transaction` means `false` (the field's serde default); one that does not
/// parse, or says something else than a boolean, means the default, `true`.
fn diesel_runs_in_transaction(path: &Path) -> Result<bool, ImportError> {
    let text = fs::read_to_string(path).map_err(ImportError::read(path))?;
    Ok(match text.parse::<toml::Table>() {
        Ok(table) => match table.get("run_in_transaction") {
            None => false,
            Some(value) => value.as_bool().unwrap_or(true),
        },
        Err(_) => true,
    })
}

/// A refinery file name, `^[U|V](\d+(?:\.\d+)?)__(\w+)\.(sql|rs)$`.
struct RefineryName<'a> {
    prefix: char,
    version: &'a str,
    name: &'a str,
    rust: bool,
}

fn refinery_name(file: &str) -> Option<RefineryName<'_>> {
    let (stem, rust) = match file.strip_suffix(".sql") {
        Some(stem) => (stem, false),
        None => (file.strip_suffix(".rs")?, true),
    };
    let prefix = stem
        .chars()
        .next()
        .filter(|c| matches!(c, 'U' | 'V' | '|'))?;
    let (version, name) = stem[1..].split_once("__")?;
    let mut parts = version.splitn(2, '.');
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let whole = parts.next().is_some_and(digits);
    let fraction = parts.next().is_none_or(digits);
    // `\w`: letters, digits and connector punctuation such as `_`.
    let word = !name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || c == '_');
    (whole && fraction && word).then_some(RefineryName {
        prefix,
        version,
        name,
        rust,
    })
}

/// refinery (`load_sql_migrations`, `embed_migrations!`): files anywhere under the directory
/// named `V<n>__<name>.sql`, ordered by the integer version; other names are skipped, as
/// refinery skips them.
fn refinery(dir: &Path) -> Result<SourceSet, ImportError> {
    let mut set = SourceSet::default();
    let mut by_version = BTreeMap::new();
    let mut pending = vec![(dir.to_path_buf(), String::new())];
    while let Some((current, prefix)) = pending.pop() {
        for entry in list(&current)? {
            let relative = format!("{prefix}{}", entry.name);
            if entry.is_dir {
                pending.push((entry.path, format!("{relative}/")));
                continue;
            }
            let Some(parsed) = refinery_name(&entry.name) else {
                log::info!("`{relative}` is not a refinery migration name: skipped");
                continue;
            };
            if parsed.rust {
                set.problems.push(problem(
                    &relative,
                    Rule::Unsupported,
                    "a Rust migration: its SQL is built by code, which an SQL file cannot \
                     carry; write the SQL it produces as `V<n>__<name>.sql` and import again"
                        .to_owned(),
                ));
                continue;
            }
            if parsed.prefix != 'V' {
                set.problems.push(problem(
                    &relative,
                    Rule::Unsupported,
                    "an unversioned (`U`) migration: a numbered set has no place for a \
                     migration outside the order; rename it `V<n>__<name>.sql` with the \
                     version it should have and import again"
                        .to_owned(),
                ));
                continue;
            }
            let Ok(version) = parsed.version.parse::<i64>() else {
                set.problems.push(problem(
                    &relative,
                    Rule::UnmappableName,
                    format!(
                        "the version `{}` is not an integer (refinery refuses it too): \
                         rename the file `V<n>__<name>.sql`",
                        parsed.version
                    ),
                ));
                continue;
            };
            let up = read_file(&entry.path, relative.clone())?;
            // refinery reads the file as text; one that is not UTF-8 it cannot read, and
            // the rules report it below.
            let checksum = std::str::from_utf8(&up.bytes)
                .ok()
                .map(|sql| checksum::refinery(parsed.name, version, sql));
            let migration = SourceMigration {
                source: version.to_string(),
                source_path: relative,
                name: parsed.name.to_owned(),
                up,
                down: None,
                diesel_no_transaction: false,
                checksum,
            };
            insert_unique(&mut by_version, version, migration, &mut set.problems);
        }
    }
    set.migrations = by_version.into_values().collect();
    Ok(set)
}

/// Prisma Migrate: every visible subdirectory is a migration holding `migration.sql`,
/// ordered by name; `_prisma_migrations.migration_name` records the directory's name.
fn prisma(dir: &Path) -> Result<SourceSet, ImportError> {
    let mut set = SourceSet::default();
    for entry in list(dir)? {
        if !entry.is_dir {
            // migration_lock.toml
            continue;
        }
        let path = entry.path.join("migration.sql");
        if !path.is_file() {
            set.problems.push(problem(
                &entry.name,
                Rule::MissingFile,
                "the directory has no `migration.sql` (Prisma refuses it too): add it, or \
                 move the directory out of the migrations"
                    .to_owned(),
            ));
            continue;
        }
        let up = read_file(&path, format!("{}/migration.sql", entry.name))?;
        set.migrations.push(SourceMigration {
            source: entry.name.clone(),
            name: entry
                .name
                .split_once('_')
                .map_or("", |(_, name)| name)
                .to_owned(),
            source_path: entry.name,
            checksum: Some(checksum::prisma(&up.bytes)),
            up,
            down: None,
            diesel_no_transaction: false,
        });
    }
    Ok(set)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refinery_names_follow_its_pattern() {
        let v = refinery_name("V12__create_users.sql").unwrap();
        assert_eq!(
            (v.prefix, v.version, v.name, v.rust),
            ('V', "12", "create_users", false)
        );
        assert!(refinery_name("U3__seed.sql").is_some_and(|u| u.prefix == 'U'));
        assert!(refinery_name("V2__code.rs").is_some_and(|r| r.rust));
        assert!(refinery_name("V1.5__half.sql").is_some_and(|h| h.version == "1.5"));
        for skipped in [
            "V1_one.sql",
            "V__x.sql",
            "V1__.sql",
            "V1__a-b.sql",
            "x1__a.sql",
            "mod.rs",
        ] {
            assert!(refinery_name(skipped).is_none(), "{skipped}");
        }
    }

    #[test]
    fn diesel_metadata_is_read_as_diesel_reads_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("metadata.toml");
        for (text, in_transaction) in [
            ("run_in_transaction = false\n", false),
            ("run_in_transaction = true\n", true),
            ("# nothing said\n", false),
            ("run_in_transaction = \"no\"\n", true),
            ("not toml [", true),
        ] {
            fs::write(&path, text).unwrap();
            assert_eq!(
                diesel_runs_in_transaction(&path).unwrap(),
                in_transaction,
                "{text}"
            );
        }
    }
}
