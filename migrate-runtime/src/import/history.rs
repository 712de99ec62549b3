//! Reading what another tool recorded as applied: its history table, or
//! `PRAGMA user_version` for rusqlite_migration.
//!
//! Invariant: only `SELECT`s and `PRAGMA` reads; the other tool's table is never written.

use rusqlite::Connection;
use rusqlite::types::{Value, ValueRef};

use super::baseline_from::{BaselineFromError, IgnoredEntry, SourceEntry};
use super::map::SourceTool;
use crate::tracking::table_exists;

/// What the tool kept of one applied migration.
#[derive(Debug, Clone)]
pub(crate) struct Applied {
    /// The entry as the tool names it.
    pub entry: SourceEntry,
    /// The checksum as the tool stores it: lowercase hex for sqlx and Prisma, decimal for
    /// refinery; `None` for tools that keep none.
    pub checksum: Option<String>,
    /// False for sqlx's `success = false` rows.
    pub succeeded: bool,
}

/// The tool's applied migrations in the tool's order, and the rows that do not count as
/// applied (Prisma's rolled-back and unfinished attempts).
pub(crate) struct ForeignHistory {
    pub applied: Vec<Applied>,
    pub ignored: Vec<IgnoredEntry>,
}

/// Reads `tool`'s history from `conn`. `latest` is our set's last version: positions past
/// `latest + 1` are not listed (the first one past the end is enough to refuse, and a
/// `user_version` of two billion must not become two billion entries).
pub(crate) fn read(
    conn: &Connection,
    tool: SourceTool,
    latest: i64,
) -> Result<ForeignHistory, BaselineFromError> {
    let Some(table) = tool.history_table() else {
        // rusqlite_migration keeps no table, only a count.
        return read_user_version(conn, tool, latest);
    };
    // Each tool's columns as (id, description, checksum, succeeded), in the tool's order.
    let (columns, order) = match tool {
        SourceTool::Sqlx => ("version, description, checksum, success", "version"),
        SourceTool::Diesel => ("version, NULL, NULL, 1", "version"),
        SourceTool::Refinery => ("version, name, checksum, 1", "version"),
        // Prisma's rows, in the order it applies migrations (by name); the last two columns
        // say whether the row counts as applied.
        SourceTool::Prisma => (
            "migration_name, NULL, checksum, finished_at IS NOT NULL, rolled_back_at IS NOT NULL",
            "migration_name, started_at",
        ),
        SourceTool::RusqliteMigration => unreachable!("rusqlite_migration keeps no table"),
    };
    let sql = format!("SELECT {columns} FROM {table} ORDER BY {order}");
    if !table_exists(conn, table)? {
        return Err(BaselineFromError::NoHistoryTable { tool, table });
    }
    let unreadable = |problem: String| BaselineFromError::HistoryTable { table, problem };
    let mut statement = conn.prepare(&sql).map_err(|e| unreadable(e.to_string()))?;
    let mut rows = statement.query([]).map_err(|e| unreadable(e.to_string()))?;
    let mut history = ForeignHistory {
        applied: Vec::new(),
        ignored: Vec::new(),
    };
    while let Some(row) = rows.next().map_err(|e| unreadable(e.to_string()))? {
        let id =
            text(row.get_ref(0)?).ok_or_else(|| unreadable("a row without a version".into()))?;
        let description = text(row.get_ref(1)?);
        let checksum = match (tool, row.get_ref(2)?) {
            (_, ValueRef::Null) => None,
            (SourceTool::Sqlx, ValueRef::Blob(bytes)) => Some(super::checksum::hex(bytes)),
            (_, value) => text(value).map(|t| t.to_ascii_lowercase()),
        };
        let flag = |i: usize| -> rusqlite::Result<bool> {
            Ok(matches!(row.get::<_, Value>(i)?, Value::Integer(n) if n != 0))
        };
        let entry = SourceEntry::new(tool, id, description);
        if tool == SourceTool::Prisma {
            let finished = flag(3)?;
            let rolled_back = flag(4)?;
            if !finished || rolled_back {
                history.ignored.push(IgnoredEntry {
                    entry,
                    reason: if rolled_back {
                        "rolled back (`rolled_back_at` is set)"
                    } else {
                        "never finished (`finished_at` is empty; Prisma would refuse to deploy over it, P3009: check that none of its statements ran)"
                    },
                });
                continue;
            }
        }
        history.applied.push(Applied {
            entry,
            checksum,
            succeeded: flag(3)?,
        });
    }
    Ok(history)
}

/// rusqlite_migration keeps only how many migrations it applied: positions `1..=user_version`.
fn read_user_version(
    conn: &Connection,
    tool: SourceTool,
    latest: i64,
) -> Result<ForeignHistory, BaselineFromError> {
    let position: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let applied = (1..=position.min(latest.saturating_add(1)))
        .map(|p| Applied {
            entry: SourceEntry::new(tool, p.to_string(), None),
            checksum: None,
            succeeded: true,
        })
        .collect();
    Ok(ForeignHistory {
        applied,
        ignored: Vec::new(),
    })
}

/// A cell as text: integers (sqlx's and refinery's versions) in decimal.
fn text(value: ValueRef<'_>) -> Option<String> {
    match value {
        ValueRef::Null => None,
        ValueRef::Integer(n) => Some(n.to_string()),
        ValueRef::Real(x) => Some(x.to_string()),
        ValueRef::Text(t) | ValueRef::Blob(t) => Some(String::from_utf8_lossy(t).into_owned()),
    }
}
