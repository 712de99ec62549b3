//! `schema_migrations`: one row per applied migration.

use std::collections::BTreeMap;

use migrate_rules::Checksum;
use rusqlite::{Connection, params};

use super::schema::{MIGRATIONS_TABLE, check_shape, read_table};
use crate::checksum::RecordedChecksum;
use crate::db::Execute;
use crate::error::Error;

/// One row of `schema_migrations`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AppliedRow {
    pub version: i64,
    pub name: String,
    pub checksum: RecordedChecksum,
    pub applied_at: String,
    pub execution_time_ms: i64,
}

/// Applied migrations by version: the rows of `schema_migrations`, or what a run derives from
/// them (their checksums).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AppliedHistory<T = AppliedRow> {
    by_version: BTreeMap<i64, T>,
}

impl<T> Default for AppliedHistory<T> {
    fn default() -> Self {
        AppliedHistory {
            by_version: BTreeMap::new(),
        }
    }
}

impl<T> AppliedHistory<T> {
    /// The highest applied version, 0 when nothing is applied.
    pub(crate) fn highest(&self) -> i64 {
        self.by_version.keys().next_back().copied().unwrap_or(0)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.by_version.is_empty()
    }

    pub(crate) fn contains(&self, version: i64) -> bool {
        self.by_version.contains_key(&version)
    }

    pub(crate) fn get(&self, version: i64) -> Option<&T> {
        self.by_version.get(&version)
    }

    pub(crate) fn get_mut(&mut self, version: i64) -> Option<&mut T> {
        self.by_version.get_mut(&version)
    }

    pub(crate) fn insert(&mut self, version: i64, value: T) {
        self.by_version.insert(version, value);
    }

    pub(crate) fn remove(&mut self, version: i64) -> Option<T> {
        self.by_version.remove(&version)
    }

    /// In version order.
    pub(crate) fn values(&self) -> impl DoubleEndedIterator<Item = &T> {
        self.by_version.values()
    }

    /// In version order.
    pub(crate) fn iter(&self) -> impl DoubleEndedIterator<Item = (i64, &T)> {
        self.by_version.iter().map(|(v, value)| (*v, value))
    }

    /// Versions from `from` on, in order.
    pub(crate) fn above(&self, version: i64) -> impl DoubleEndedIterator<Item = &T> {
        self.by_version.range(version + 1..).map(|(_, value)| value)
    }

    /// Versions up to and including `version`, in order.
    pub(crate) fn up_to(&self, version: i64) -> impl DoubleEndedIterator<Item = &T> {
        self.by_version.range(..=version).map(|(_, value)| value)
    }
}

impl<T> FromIterator<(i64, T)> for AppliedHistory<T> {
    fn from_iter<I: IntoIterator<Item = (i64, T)>>(iter: I) -> Self {
        AppliedHistory {
            by_version: iter.into_iter().collect(),
        }
    }
}

impl AppliedHistory {
    /// The valid recorded checksums by version; a malformed one is left out of the chain, as
    /// it cannot be chained.
    pub(crate) fn checksums(&self) -> AppliedHistory<Checksum> {
        self.iter()
            .filter_map(|(version, row)| Some((version, *row.checksum.valid()?)))
            .collect()
    }
}

/// Every applied migration, by version.
pub(crate) fn read_applied(conn: &Connection) -> Result<AppliedHistory, Error> {
    check_shape(conn)?;
    let rows = read_table(
        conn,
        MIGRATIONS_TABLE,
        "SELECT version, name, checksum, applied_at, execution_time_ms FROM schema_migrations ORDER BY version",
        |row| {
            Ok(AppliedRow {
                version: row.get(0)?,
                name: row.get(1)?,
                checksum: RecordedChecksum::parse(row.get(2)?),
                applied_at: row.get(3)?,
                execution_time_ms: row.get(4)?,
            })
        },
    )?;
    Ok(rows.into_iter().map(|row| (row.version, row)).collect())
}

/// What [`insert_row`] writes.
pub(crate) struct AppliedRecord<'a> {
    pub version: i64,
    pub name: &'a str,
    pub checksum: &'a str,
    pub execution_time_ms: i64,
    pub history_checksum: &'a str,
}

/// Inserts a `schema_migrations` row without a history event. The caller writes the event and
/// the state in the same transaction.
pub(crate) fn insert_row(
    db: &(impl Execute + ?Sized),
    record: &AppliedRecord<'_>,
    applied_at: &str,
) -> rusqlite::Result<()> {
    db.execute_sql(
        "INSERT INTO schema_migrations (version, name, checksum, applied_at, execution_time_ms, history_checksum)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
        record.version,
        record.name,
        record.checksum,
        applied_at,
            record.execution_time_ms,
            record.history_checksum
        ],
    )?;
    Ok(())
}

/// Sets the checksum and history checksum of an applied row (repair).
pub(crate) fn update_checksums(
    conn: &Connection,
    version: i64,
    checksum: &str,
    history_checksum: &str,
) -> rusqlite::Result<()> {
    conn.prepare(
        "UPDATE schema_migrations SET checksum = ?2, history_checksum = ?3 WHERE version = ?1",
    )?
    .execute(params![version, checksum, history_checksum])?;
    Ok(())
}

/// Deletes an applied row (rollback).
pub(crate) fn delete_row(conn: &Connection, version: i64) -> rusqlite::Result<()> {
    conn.prepare("DELETE FROM schema_migrations WHERE version = ?1")?
        .execute([version])?;
    Ok(())
}
