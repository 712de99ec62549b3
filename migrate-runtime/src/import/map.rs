//! `IMPORTED.toml`: the link between imported files and the tool they came from.
//!
//! Invariant: the map is data only. It is written once by `import` and read by
//! `baseline --from`; nothing else in the crate depends on its presence.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// The file name of the map inside the migrations directory.
pub const IMPORTED_FILE: &str = "IMPORTED.toml";

/// A migration tool whose sets can be imported or whose databases can be taken over.
///
/// ```
/// use migrate_runtime::import::SourceTool;
///
/// let tool: SourceTool = "sqlx".parse().unwrap();
/// assert_eq!(tool, SourceTool::Sqlx);
/// assert_eq!(tool.history_table(), Some("_sqlx_migrations"));
/// assert_eq!(SourceTool::RusqliteMigration.to_string(), "rusqlite-migration");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum SourceTool {
    /// sqlx (`sqlx::migrate!`, `sqlx migrate`): `<version>_<description>.sql` or
    /// `.up.sql`/`.down.sql` pairs; history in `_sqlx_migrations` with a SHA-384 per file.
    Sqlx,
    /// diesel (`diesel_migrations`): `<timestamp>_<name>/up.sql` and `down.sql`; history in
    /// `__diesel_schema_migrations`, versions only.
    Diesel,
    /// refinery: `V<n>__<name>.sql`; history in `refinery_schema_history`.
    Refinery,
    /// Prisma Migrate: `<timestamp>_<name>/migration.sql`; history in `_prisma_migrations`
    /// with a SHA-256 per file.
    Prisma,
    /// rusqlite_migration: migrations are Rust values; history is `PRAGMA user_version`
    /// (the number applied). Only `baseline --from` applies.
    RusqliteMigration,
}

impl SourceTool {
    /// Every tool, in the order the documentation lists them.
    pub const ALL: [SourceTool; 5] = [
        SourceTool::Sqlx,
        SourceTool::Diesel,
        SourceTool::Refinery,
        SourceTool::Prisma,
        SourceTool::RusqliteMigration,
    ];

    /// The name used on the command line and in `IMPORTED.toml`.
    pub fn name(self) -> &'static str {
        match self {
            SourceTool::Sqlx => "sqlx",
            SourceTool::Diesel => "diesel",
            SourceTool::Refinery => "refinery",
            SourceTool::Prisma => "prisma",
            SourceTool::RusqliteMigration => "rusqlite-migration",
        }
    }

    /// The table where the tool records applied migrations; `None` for rusqlite_migration,
    /// which keeps only `PRAGMA user_version`.
    pub fn history_table(self) -> Option<&'static str> {
        crate::foreign::HISTORY_TABLES
            .into_iter()
            .find(|(_, tool)| *tool == self.name())
            .map(|(table, _)| table)
    }
}

impl fmt::Display for SourceTool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The text was not the name of a supported tool.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error(
    "unknown tool `{given}`: expected one of sqlx, diesel, refinery, prisma, rusqlite-migration"
)]
pub struct UnknownTool {
    given: String,
}

impl FromStr for SourceTool {
    type Err = UnknownTool;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SourceTool::ALL
            .into_iter()
            .find(|tool| {
                tool.name() == s
                    || (s == "rusqlite_migration" && *tool == SourceTool::RusqliteMigration)
            })
            .ok_or_else(|| UnknownTool {
                given: s.to_owned(),
            })
    }
}

/// `IMPORTED.toml`: for each imported migration, where it came from.
///
/// ```
/// use migrate_runtime::import::{ImportMap, ImportedMigration, SourceTool};
///
/// let map = ImportMap {
///     tool: SourceTool::Sqlx,
///     migrations: vec![ImportedMigration {
///         version: 1,
///         file: "0001_create_users.sql".into(),
///         down: None,
///         source: "20240105093000".into(),
///         source_path: "20240105093000_create_users.sql".into(),
///         source_checksum: Some("3a5c".into()),
///         changes: vec![],
///     }],
/// };
/// let text = map.to_toml();
/// assert!(text.contains("tool = \"sqlx\""));
/// assert_eq!(ImportMap::parse(&text).unwrap(), map);
/// assert_eq!(map.by_source("20240105093000").unwrap().version, 1);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportMap {
    /// The tool the set was imported from.
    pub tool: SourceTool,
    /// One entry per imported migration, in version order.
    #[serde(default)]
    pub migrations: Vec<ImportedMigration>,
}

/// One imported migration: our file and its source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportedMigration {
    /// Our version (`1..=n`, in the source tool's order).
    pub version: i64,
    /// Our up file's name, e.g. `0001_create_users.sql`.
    pub file: String,
    /// Our down file's name, when the source had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub down: Option<String>,
    /// What the tool records in its history table for this migration: sqlx's and diesel's
    /// version digits (`20240105093000`), refinery's version (`3`), Prisma's directory name
    /// (`20240105093000_init`).
    pub source: String,
    /// The source file or directory, relative to the source set's directory.
    pub source_path: String,
    /// The checksum the tool keeps of the source bytes, as it stores it (lowercase hex for
    /// sqlx's SHA-384 and Prisma's SHA-256); absent for tools that keep none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_checksum: Option<String>,
    /// What the import changed in the bytes, one line each (for example the removed
    /// `PRAGMA foreign_keys` lines); empty when the SQL was copied unchanged.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<String>,
}

/// `IMPORTED.toml` could not be read or parsed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ImportMapError {
    /// The file could not be read.
    #[error("cannot read `{}`: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The text is not a valid map.
    #[error("`{}` is not a valid import map: {message}", path.as_deref().unwrap_or(Path::new(IMPORTED_FILE)).display())]
    Invalid {
        /// The file, when the text came from one.
        path: Option<PathBuf>,
        /// What is wrong, from the TOML parser.
        message: String,
    },
}

impl ImportMap {
    /// Parses the text of an `IMPORTED.toml`.
    ///
    /// # Errors
    /// [`ImportMapError::Invalid`] when the text is not TOML of this shape.
    pub fn parse(text: &str) -> Result<ImportMap, ImportMapError> {
        toml::from_str(text).map_err(|e| ImportMapError::Invalid {
            path: None,
            message: e.message().to_owned(),
        })
    }

    /// Reads `<dir>/IMPORTED.toml`.
    ///
    /// # Errors
    /// [`ImportMapError::Read`] when the file cannot be read, [`ImportMapError::Invalid`]
    /// when it does not parse.
    pub fn read(dir: &Path) -> Result<ImportMap, ImportMapError> {
        let path = dir.join(IMPORTED_FILE);
        let text = std::fs::read_to_string(&path).map_err(|source| ImportMapError::Read {
            path: path.clone(),
            source,
        })?;
        ImportMap::parse(&text).map_err(|e| match e {
            ImportMapError::Invalid { message, .. } => ImportMapError::Invalid {
                path: Some(path),
                message,
            },
            other => other,
        })
    }

    /// The text of the file, with a header saying what it is for.
    pub fn to_toml(&self) -> String {
        let body = toml::to_string(self).unwrap_or_default();
        format!(
            "# Written by `import --from {}`: where each migration here came from.\n\
             # `baseline --from {}` reads it to take over a database that tool migrated.\n\n{body}",
            self.tool, self.tool
        )
    }

    /// The migration whose source identifier (see [`ImportedMigration::source`]) is `source`.
    pub fn by_source(&self, source: &str) -> Option<&ImportedMigration> {
        self.migrations.iter().find(|m| m.source == source)
    }
}
