//! `baseline --from <tool>`: taking over a database another tool migrated.
//!
//! Invariants: nothing is recorded unless every applied entry of the other tool maps to our
//! set, they form a prefix `1..=k` of it, none failed, and every checksum that can be compared
//! matches; then versions `1..=k` are recorded exactly as [`Migrations::baseline`] records
//! them (one transaction, one `baselined` event), no migration SQL runs, and the other
//! tool's table is left as it was.

use std::fmt;

use rusqlite::Connection;

use super::checksum::{accepted_checksums, algorithm};
use super::history::{self, Applied};
use super::map::{ImportMap, ImportedMigration, SourceTool};
use crate::error::{Error, MigrationRef};
use crate::migrations::Migrations;
use crate::ops::BaselinePlan;

/// One migration as the other tool recorded it: `sqlx migration 20240201080000 (backfill
/// names)`.
///
/// ```
/// use migrate_runtime::{rusqlite::Connection, Migrations};
/// use migrate_runtime::import::{BaselineFromError, SourceTool};
///
/// static MIGRATIONS: Migrations = migrate_runtime::embed_migrations!("tests/doc_migrations");
///
/// // rusqlite_migration says 3 migrations ran; this set has 2.
/// let mut conn = Connection::open_in_memory()?;
/// conn.execute_batch("PRAGMA user_version = 3;")?;
/// let error = MIGRATIONS
///     .baseline_from(&mut conn, SourceTool::RusqliteMigration, None)
///     .unwrap_err();
/// let BaselineFromError::BeyondSet { entry, .. } = error else { unreachable!() };
/// assert_eq!(entry.to_string(), "rusqlite-migration migration 3 (by position)");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SourceEntry {
    /// The tool.
    pub tool: SourceTool,
    /// What the tool records: sqlx's and diesel's version, refinery's version, Prisma's
    /// directory name, rusqlite_migration's position (`1` for the first migration).
    pub id: String,
    /// The name the tool keeps beside it (sqlx's description, refinery's name), if any.
    pub description: Option<String>,
}

impl SourceEntry {
    pub(crate) fn new(tool: SourceTool, id: String, description: Option<String>) -> SourceEntry {
        SourceEntry {
            tool,
            id,
            description,
        }
    }
}

impl fmt::Display for SourceEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.description, self.tool) {
            (_, SourceTool::RusqliteMigration) => {
                write!(f, "rusqlite-migration migration {} (by position)", self.id)
            }
            (Some(description), tool) => write!(f, "{tool} migration {} ({description})", self.id),
            (None, tool) => write!(f, "{tool} migration {}", self.id),
        }
    }
}

/// A row of the other tool's table that does not count as applied (Prisma's rolled-back or
/// unfinished attempts), listed in [`BaselineFromReport::ignored`].
///
/// ```
/// # fn show(report: &migrate_runtime::import::BaselineFromReport) {
/// for ignored in &report.ignored {
///     println!("ignored {}: {}", ignored.entry, ignored.reason);
/// }
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct IgnoredEntry {
    /// The row's migration.
    pub entry: SourceEntry,
    /// Why it does not count.
    pub reason: &'static str,
}

/// How far one baselined migration was checked against what the other tool applied.
///
/// ```
/// use migrate_runtime::import::{Unverifiable, Verification};
///
/// let v = Verification::Verified { algorithm: "SHA-384", file: true };
/// assert_eq!(v.to_string(), "verified: the tool's SHA-384 matches the file");
/// let v = Verification::Unverified(Unverifiable::NoChecksumKept);
/// assert_eq!(v.to_string(), "not verified: the tool keeps no checksum");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Verification {
    /// The tool's stored checksum equals `IMPORTED.toml`'s; with `file`, our file's bytes
    /// also hash to it (the import changed nothing in them).
    Verified {
        /// The tool's hash (`SHA-384` for sqlx).
        algorithm: &'static str,
        /// Whether our file's bytes were compared too.
        file: bool,
    },
    /// Nothing could be compared.
    Unverified(Unverifiable),
}

/// Why a baselined migration could not be checked ([`Verification::Unverified`]).
///
/// ```
/// use migrate_runtime::import::{Unverifiable, Verification};
///
/// let v = Verification::Unverified(Unverifiable::NothingToCompare);
/// assert!(v.to_string().starts_with("not verified"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Unverifiable {
    /// The tool keeps no checksum (diesel, rusqlite_migration).
    NoChecksumKept,
    /// `IMPORTED.toml` has no `source_checksum` for it and the import changed our file, so
    /// there is nothing to compare the tool's checksum with.
    NothingToCompare,
}

impl fmt::Display for Verification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verification::Verified {
                algorithm,
                file: true,
            } => write!(f, "verified: the tool's {algorithm} matches the file"),
            Verification::Verified {
                algorithm,
                file: false,
            } => write!(
                f,
                "verified: the tool's {algorithm} matches IMPORTED.toml (the import changed the file, so its bytes were not compared)"
            ),
            Verification::Unverified(Unverifiable::NoChecksumKept) => {
                f.write_str("not verified: the tool keeps no checksum")
            }
            Verification::Unverified(Unverifiable::NothingToCompare) => {
                f.write_str("not verified: IMPORTED.toml has no source checksum for it")
            }
        }
    }
}

/// One migration recorded as applied by [`Migrations::baseline_from`], in
/// [`BaselineFromReport::migrations`].
///
/// ```
/// # fn show(report: &migrate_runtime::import::BaselineFromReport) {
/// for m in &report.migrations {
///     println!("{} from {}: {}", m.file, m.entry, m.verification);
/// }
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TakenOver {
    /// Our version.
    pub version: i64,
    /// Our file.
    pub file: String,
    /// The other tool's entry it maps to.
    pub entry: SourceEntry,
    /// What was checked.
    pub verification: Verification,
}

/// What [`Migrations::baseline_from`] recorded.
///
/// ```
/// use migrate_runtime::{rusqlite::Connection, Migrations};
/// use migrate_runtime::import::{SourceTool, Verification, Unverifiable};
///
/// static MIGRATIONS: Migrations = migrate_runtime::embed_migrations!("tests/doc_migrations");
///
/// let mut conn = Connection::open_in_memory()?;
/// conn.execute_batch(
///     "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL);
///      ALTER TABLE notes ADD COLUMN created_at TEXT;
///      PRAGMA user_version = 2;",
/// )?;
/// let report = MIGRATIONS.baseline_from(&mut conn, SourceTool::RusqliteMigration, None)?;
/// assert_eq!(report.migrations[1].file, "0002_add_created_at.sql");
/// assert_eq!(
///     report.migrations[1].verification,
///     Verification::Unverified(Unverifiable::NoChecksumKept)
/// );
/// assert_eq!(report.kept_table, None); // rusqlite_migration has no table
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct BaselineFromReport {
    /// The tool the database came from.
    pub tool: SourceTool,
    /// Versions `1..=current_version`, in order.
    pub migrations: Vec<TakenOver>,
    /// Rows of the tool's table that did not count as applied.
    pub ignored: Vec<IgnoredEntry>,
    /// The tool's table, left in place (`None` for rusqlite_migration, which has none).
    pub kept_table: Option<&'static str>,
    /// The version the database is at now.
    pub current_version: i64,
}

impl BaselineFromReport {
    /// The versions whose checksum matched the tool's (see the example on
    /// [`BaselineFromReport`]; empty for diesel and rusqlite_migration).
    pub fn verified(&self) -> Vec<i64> {
        self.migrations
            .iter()
            .filter(|m| matches!(m.verification, Verification::Verified { .. }))
            .map(|m| m.version)
            .collect()
    }
}

/// Why [`Migrations::baseline_from`] recorded nothing. Every variant about an entry names it
/// and, when it maps to one, our file.
///
/// ```
/// use migrate_runtime::{rusqlite::Connection, Migrations};
/// use migrate_runtime::import::{BaselineFromError, SourceTool};
///
/// static MIGRATIONS: Migrations = migrate_runtime::embed_migrations!("tests/doc_migrations");
///
/// // sqlx never migrated this database.
/// let mut conn = Connection::open_in_memory()?;
/// let map = migrate_runtime::import::ImportMap { tool: SourceTool::Sqlx, migrations: vec![] };
/// let error = MIGRATIONS
///     .baseline_from(&mut conn, SourceTool::Sqlx, Some(&map))
///     .unwrap_err();
/// assert!(matches!(error, BaselineFromError::NoHistoryTable { table: "_sqlx_migrations", .. }));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BaselineFromError {
    /// A tool with a history table needs `IMPORTED.toml` to map its entries.
    #[error(
        "baseline --from {tool} needs the import map (IMPORTED.toml, written by `import --from {tool}`) to map the tool's entries to our versions"
    )]
    MapRequired {
        /// The tool.
        tool: SourceTool,
    },

    /// The map was written for another tool.
    #[error("IMPORTED.toml was written by `import --from {map_tool}`, not {tool}")]
    WrongMap {
        /// The tool asked for.
        tool: SourceTool,
        /// The tool the map names.
        map_tool: SourceTool,
    },

    /// The tool's history table is not in the database.
    #[error(
        "the database has no `{table}` table: {tool} did not migrate it (nothing to take over)"
    )]
    NoHistoryTable {
        /// The tool.
        tool: SourceTool,
        /// The table looked for.
        table: &'static str,
    },

    /// The tool's table exists but cannot be read as the tool writes it.
    #[error("`{table}` does not have the layout its tool writes: {problem}")]
    HistoryTable {
        /// The table.
        table: &'static str,
        /// What is wrong.
        problem: String,
    },

    /// The tool recorded no applied migration.
    #[error(
        "{tool} recorded no applied migration ({place}): nothing to baseline; run the migrations instead"
    )]
    NothingApplied {
        /// The tool.
        tool: SourceTool,
        /// Where: the table, or `PRAGMA user_version = 0`.
        place: String,
    },

    /// The tool recorded a migration that did not succeed (sqlx `success = false`).
    #[error(
        "{entry}{} did not succeed (the tool's table marks it failed): the database may be half-migrated; repair it with {} first",
        ours.as_ref().map(|m| format!(", our {m},")).unwrap_or_default(),
        entry.tool
    )]
    Failed {
        /// The failed entry.
        entry: SourceEntry,
        /// Our migration it maps to, when the map has it.
        ours: Option<MigrationRef>,
    },

    /// An applied entry that `IMPORTED.toml` does not list.
    #[error(
        "{entry} is applied but not in IMPORTED.toml: the database has a migration the imported set does not; add its file to the source set, delete the imported directory and import again"
    )]
    NotInMap {
        /// The entry.
        entry: SourceEntry,
    },

    /// rusqlite_migration's `user_version` is past the end of our set.
    #[error("{entry} is applied but this build has only {latest} migrations")]
    BeyondSet {
        /// The position past the end.
        entry: SourceEntry,
        /// Our latest version.
        latest: i64,
    },

    /// `IMPORTED.toml` names a file this build does not have at that version.
    #[error(
        "IMPORTED.toml maps {entry} to version {version} `{map_file}`, but this build's version {version} is {}",
        ours.as_deref().map(|f| format!("`{f}`")).unwrap_or_else(|| "missing".to_owned())
    )]
    MapMismatch {
        /// The entry.
        entry: SourceEntry,
        /// The version in the map.
        version: i64,
        /// The file in the map.
        map_file: String,
        /// This build's file at that version.
        ours: Option<String>,
    },

    /// The applied entries are not versions `1..=k` of our set.
    #[error(
        "the applied migrations are not a prefix of the set: {entry} is our {ours}, but {missing} was not applied by {}; apply it with the other tool first, or take over a database that has it",
        entry.tool
    )]
    NotAPrefix {
        /// The first entry past the gap.
        entry: SourceEntry,
        /// Our migration that entry maps to.
        ours: MigrationRef,
        /// The first of our migrations the tool did not apply.
        missing: MigrationRef,
    },

    /// The tool's checksum differs from the one `IMPORTED.toml` recorded: the source file
    /// was edited after the tool applied it (`compared` is the map's checksum).
    #[error(
        "{} ({}) was edited after {} applied it: the tool recorded {}, IMPORTED.toml has {}; the database does not hold what the imported file says",
        .0.entry, .0.ours, .0.entry.tool, .0.applied, .0.compared
    )]
    ChangedSinceApplied(Box<ChecksumMismatch>),

    /// Our file does not hash to what the tool applied, and the import changed nothing in it:
    /// it was edited after the import (`compared` is our file's checksum).
    #[error(
        "{} differs from {} as the tool applied it (the tool recorded {}, the file gives {}): restore the file as imported, or delete the imported directory and import again",
        .0.ours, .0.entry, .0.applied, .0.compared
    )]
    ChangedSinceImport(Box<ChecksumMismatch>),

    /// Recording failed, or the database is already tracked ([`Error::AlreadyTracked`]),
    /// locked, read-only, ...
    #[error(transparent)]
    Runtime(#[from] Error),
}

/// A checksum the tool recorded that differs from the one it was compared with, in
/// [`BaselineFromError::ChangedSinceApplied`] and [`BaselineFromError::ChangedSinceImport`].
///
/// ```
/// use migrate_runtime::import::{BaselineFromError, ChecksumMismatch};
///
/// fn explain(error: &BaselineFromError) -> Option<&ChecksumMismatch> {
///     match error {
///         BaselineFromError::ChangedSinceApplied(m) | BaselineFromError::ChangedSinceImport(m) => Some(m),
///         _ => None,
///     }
/// }
/// # let _ = explain;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ChecksumMismatch {
    /// The tool's entry.
    pub entry: SourceEntry,
    /// Our migration it maps to.
    pub ours: MigrationRef,
    /// The checksum in the tool's table, as stored (hex, or refinery's decimal).
    pub applied: String,
    /// The checksum it was compared with: `IMPORTED.toml`'s or our file's.
    pub compared: String,
}

impl From<rusqlite::Error> for BaselineFromError {
    fn from(e: rusqlite::Error) -> Self {
        BaselineFromError::Runtime(Error::Sqlite(e))
    }
}

impl Migrations {
    /// Takes over a database that another tool migrated: reads what `tool` recorded as
    /// applied, maps it to this set through `map` (`IMPORTED.toml`, written by
    /// `import --from <tool>`; `None` for rusqlite_migration, mapped by position), and records
    /// those versions as applied without running any SQL, as [`Migrations::baseline`] does.
    /// Later migrations then apply with [`Migrations::run`].
    ///
    /// Refuses, recording nothing, when the tool's table is missing or records nothing, an
    /// entry failed (sqlx `success = false`), an entry is not in the map, the entries are not
    /// versions `1..=k` of this set, a checksum the tool keeps differs from the map's or from
    /// our file's bytes, or this library already tracks the database. The other tool's table
    /// is read only and left in place. Prisma rows count only with `finished_at` set and no
    /// `rolled_back_at`.
    ///
    /// ```
    /// use migrate_runtime::{rusqlite::Connection, Migrations};
    /// use migrate_runtime::import::SourceTool;
    ///
    /// static MIGRATIONS: Migrations = migrate_runtime::embed_migrations!("tests/doc_migrations");
    ///
    /// // rusqlite_migration applied the first migration and keeps only `user_version`.
    /// let mut conn = Connection::open_in_memory()?;
    /// conn.execute_batch(
    ///     "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL); PRAGMA user_version = 1;",
    /// )?;
    /// let report = MIGRATIONS.baseline_from(&mut conn, SourceTool::RusqliteMigration, None)?;
    /// assert_eq!(report.current_version, 1);
    /// assert!(report.verified().is_empty()); // rusqlite_migration keeps no checksum
    /// assert_eq!(MIGRATIONS.run(&mut conn)?.applied[0].version, 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// A [`BaselineFromError`] naming the entry and our file; [`Error::AlreadyTracked`] and the
    /// database errors of [`Migrations::baseline`] as [`BaselineFromError::Runtime`].
    pub fn baseline_from(
        &self,
        conn: &mut Connection,
        tool: SourceTool,
        map: Option<&ImportMap>,
    ) -> Result<BaselineFromReport, BaselineFromError> {
        let map = match (tool.history_table(), map) {
            (Some(_), None) => return Err(BaselineFromError::MapRequired { tool }),
            (_, Some(map)) if map.tool != tool => {
                return Err(BaselineFromError::WrongMap {
                    tool,
                    map_tool: map.tool,
                });
            }
            (_, map) => map,
        };
        self.record_baseline(conn, |conn| {
            let report = self.plan_takeover(conn, tool, map)?;
            let plan = BaselinePlan {
                version: report.current_version,
                detail: detail(&report),
            };
            Ok((plan, report))
        })
    }

    /// Reads the tool's history and checks it against the map and this set.
    fn plan_takeover(
        &self,
        conn: &Connection,
        tool: SourceTool,
        map: Option<&ImportMap>,
    ) -> Result<BaselineFromReport, BaselineFromError> {
        let history = history::read(conn, tool, self.latest_version())?;
        if let Some(failed) = history.applied.iter().find(|a| !a.succeeded) {
            let ours = map
                .and_then(|m| m.by_source(&failed.entry.id))
                .map(|m| MigrationRef {
                    version: m.version,
                    file: m.file.clone(),
                });
            return Err(BaselineFromError::Failed {
                entry: failed.entry.clone(),
                ours,
            });
        }
        if history.applied.is_empty() {
            let place = match tool.history_table() {
                Some(table) => format!("`{table}` is empty"),
                None => "PRAGMA user_version is 0".to_owned(),
            };
            return Err(BaselineFromError::NothingApplied { tool, place });
        }
        let mut mapped = history
            .applied
            .iter()
            .map(|applied| Ok((self.our_migration(applied, map)?, applied)))
            .collect::<Result<Vec<_>, BaselineFromError>>()?;
        // Our order, whatever order the tool's table listed them in; an entry recorded twice
        // (Prisma re-applied after a resolve) counts once.
        mapped.sort_by_key(|(ours, _)| ours.version);
        mapped.dedup_by_key(|(ours, _)| ours.version);
        let mut migrations = Vec::with_capacity(mapped.len());
        for (expected, (ours, applied)) in (1_i64..).zip(&mapped) {
            if ours.version != expected {
                let missing = self.get(expected).map(|m| MigrationRef {
                    version: expected,
                    file: m.file_name().to_owned(),
                });
                return Err(BaselineFromError::NotAPrefix {
                    entry: applied.entry.clone(),
                    ours: ours.reference(),
                    missing: missing.unwrap_or_else(|| ours.reference()),
                });
            }
            let verification = self.verify(ours, applied)?;
            migrations.push(TakenOver {
                version: ours.version,
                file: ours.file.clone(),
                entry: applied.entry.clone(),
                verification,
            });
        }
        Ok(BaselineFromReport {
            tool,
            current_version: migrations.last().map_or(0, |m| m.version),
            migrations,
            ignored: history.ignored,
            kept_table: tool.history_table(),
        })
    }

    /// Our migration for an applied entry: through the map, or by position.
    fn our_migration(
        &self,
        applied: &Applied,
        map: Option<&ImportMap>,
    ) -> Result<Ours, BaselineFromError> {
        let entry = &applied.entry;
        let Some(map) = map else {
            // rusqlite_migration: the n-th migration is our version n.
            let version: i64 = entry.id.parse().unwrap_or(i64::MAX);
            return match self.get(version) {
                Some(m) => Ok(Ours {
                    version,
                    file: m.file_name().to_owned(),
                    imported: None,
                }),
                None => Err(BaselineFromError::BeyondSet {
                    entry: entry.clone(),
                    latest: self.latest_version(),
                }),
            };
        };
        let imported = map
            .by_source(&entry.id)
            .ok_or_else(|| BaselineFromError::NotInMap {
                entry: entry.clone(),
            })?;
        let ours = self.get(imported.version).map(|m| m.file_name().to_owned());
        if ours.as_deref() != Some(imported.file.as_str()) {
            return Err(BaselineFromError::MapMismatch {
                entry: entry.clone(),
                version: imported.version,
                map_file: imported.file.clone(),
                ours,
            });
        }
        Ok(Ours {
            version: imported.version,
            file: imported.file.clone(),
            imported: Some(imported.clone()),
        })
    }

    /// Compares the tool's checksum with the map's and, when the import changed nothing,
    /// with our file's bytes.
    fn verify(&self, ours: &Ours, applied: &Applied) -> Result<Verification, BaselineFromError> {
        let tool = applied.entry.tool;
        let (Some(algorithm), Some(recorded)) = (algorithm(tool), applied.checksum.as_deref())
        else {
            return Ok(Verification::Unverified(Unverifiable::NoChecksumKept));
        };
        let imported = ours.imported.as_ref();
        let from_map = imported.and_then(|m| m.source_checksum.as_deref());
        if let Some(from_map) = from_map
            && !from_map.eq_ignore_ascii_case(recorded)
        {
            return Err(BaselineFromError::ChangedSinceApplied(Box::new(
                ChecksumMismatch {
                    entry: applied.entry.clone(),
                    ours: ours.reference(),
                    applied: recorded.to_owned(),
                    compared: from_map.to_owned(),
                },
            )));
        }
        let unchanged = imported.is_none_or(|m| m.changes.is_empty());
        let refinery_entry = applied
            .entry
            .description
            .as_deref()
            .zip(applied.entry.id.parse::<i32>().ok());
        let sql = self.get(ours.version).map(|m| m.sql()).unwrap_or_default();
        let accepted = accepted_checksums(tool, sql, refinery_entry);
        match accepted.first() {
            Some(actual) if unchanged => {
                if accepted.iter().any(|c| c.eq_ignore_ascii_case(recorded)) {
                    Ok(Verification::Verified {
                        algorithm,
                        file: true,
                    })
                } else {
                    Err(BaselineFromError::ChangedSinceImport(Box::new(
                        ChecksumMismatch {
                            entry: applied.entry.clone(),
                            ours: ours.reference(),
                            applied: recorded.to_owned(),
                            compared: actual.clone(),
                        },
                    )))
                }
            }
            _ if from_map.is_some() => Ok(Verification::Verified {
                algorithm,
                file: false,
            }),
            _ => Ok(Verification::Unverified(Unverifiable::NothingToCompare)),
        }
    }
}

/// Our migration an applied entry maps to.
struct Ours {
    version: i64,
    file: String,
    imported: Option<ImportedMigration>,
}

impl Ours {
    fn reference(&self) -> MigrationRef {
        MigrationRef {
            version: self.version,
            file: self.file.clone(),
        }
    }
}

/// The `baselined` history event's detail: `baselined from sqlx: ...`.
fn detail(report: &BaselineFromReport) -> String {
    let entries = report
        .migrations
        .iter()
        .map(|m| m.entry.id.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let verified = report
        .verified()
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>();
    let verified = if verified.is_empty() {
        "none".to_owned()
    } else {
        verified.join(", ")
    };
    let kept = report
        .kept_table
        .map(|t| format!("; `{t}` left in place"))
        .unwrap_or_default();
    format!(
        "baselined from {}: versions 1 to {} ({entries}) recorded as applied without running them; checksums verified: {verified}{kept}",
        report.tool, report.current_version
    )
}
