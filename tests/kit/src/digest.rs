//! Comparable digests of whole databases, for the reliability trials: a row count and a hash
//! per table instead of every row, so that databases of many thousand rows compare quickly.
//! Failures are `Err(String)`, which a trial counts instead of aborting the run.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use rusqlite::Connection;
use rusqlite::types::ValueRef;

fn s(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// How much of the database a dump compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DumpKind {
    /// Everything, byte for byte of every value: "nothing changed".
    Exact,
    /// Everything except `schema_migrations_history`: "nothing changed but a failed attempt
    /// was recorded".
    ExactButHistory,
    /// What a straight apply must reproduce: the schema, user data, and the deterministic
    /// columns of the tracking tables (no timestamps, durations or history).
    Logical,
}

/// A comparable picture of a database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dump {
    pub schema: Vec<String>,
    /// table -> (row count, hash of the sorted rows)
    pub tables: BTreeMap<String, (usize, u64)>,
    pub user_version: i64,
}

impl Dump {
    /// The first difference, for failure messages.
    pub fn diff(&self, other: &Dump) -> Option<String> {
        if self.user_version != other.user_version {
            return Some(format!(
                "user_version {} vs {}",
                self.user_version, other.user_version
            ));
        }
        if self.schema != other.schema {
            let left: Vec<_> = self
                .schema
                .iter()
                .filter(|e| !other.schema.contains(e))
                .collect();
            let right: Vec<_> = other
                .schema
                .iter()
                .filter(|e| !self.schema.contains(e))
                .collect();
            return Some(format!(
                "schema differs: only in actual {left:?}; only in expected {right:?}"
            ));
        }
        for (table, left) in &self.tables {
            match other.tables.get(table) {
                Some(right) if right == left => {}
                Some(right) => {
                    return Some(format!(
                        "table {table}: {} rows (hash {:x}) vs {} rows (hash {:x})",
                        left.0, left.1, right.0, right.1
                    ));
                }
                None => return Some(format!("table {table} only in actual")),
            }
        }
        other
            .tables
            .keys()
            .find(|t| !self.tables.contains_key(*t))
            .map(|t| format!("table {t} only in expected"))
    }

    pub fn without(mut self, table: &str) -> Dump {
        self.tables.remove(table);
        self.schema.retain(|e| !e.contains(&format!("|{table}|")));
        self
    }
}

/// Fails with the first difference between `actual` and `expected`.
pub fn same(what: &str, actual: &Dump, expected: &Dump) -> Result<(), String> {
    match actual.diff(expected) {
        None => Ok(()),
        Some(d) => Err(format!("{what}: {d}")),
    }
}

pub fn dump(conn: &Connection, kind: DumpKind) -> Result<Dump, String> {
    let mut statement = conn
        .prepare(
            "SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_schema ORDER BY type, name",
        )
        .map_err(s)?;
    let schema: Vec<(String, String, String, String)> = statement
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .map_err(s)?
        .collect::<Result<_, _>>()
        .map_err(s)?;
    let mut tables = BTreeMap::new();
    for (kind_, name, _, _) in &schema {
        if kind_ != "table" || name.starts_with("sqlite_") {
            continue;
        }
        let columns = match (kind, name.as_str()) {
            (DumpKind::ExactButHistory | DumpKind::Logical, "schema_migrations_history") => {
                continue;
            }
            (DumpKind::Logical, "schema_migrations") => "version, name, checksum, history_checksum",
            // Whether the state row is marked verified is a cache; `tracking_at` checks it
            // where it matters.
            (DumpKind::Logical, "schema_migrations_state") => "version, history_checksum",
            (DumpKind::Logical, "schema_migrations_progress") => {
                "version, statements_done, statement_checksums, failed_statement, failed_checksum, error"
            }
            _ => "*",
        };
        tables.insert(name.clone(), table_digest(conn, name, columns)?);
    }
    let user_version = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(s)?;
    Ok(Dump {
        schema: schema
            .into_iter()
            .map(|(t, n, tb, sql)| format!("{t}|{n}|{tb}|{sql}"))
            .collect(),
        tables,
        user_version,
    })
}

fn table_digest(conn: &Connection, table: &str, columns: &str) -> Result<(usize, u64), String> {
    let mut statement = conn
        .prepare(&format!("SELECT {columns} FROM \"{table}\""))
        .map_err(s)?;
    let count = statement.column_count();
    let mut rows = statement.query([]).map_err(s)?;
    let mut all = Vec::new();
    while let Some(row) = rows.next().map_err(s)? {
        let mut line = String::new();
        for i in 0..count {
            match row.get_ref(i).map_err(s)? {
                ValueRef::Null => line.push_str("N|"),
                ValueRef::Integer(v) => write!(line, "i{v}|").unwrap(),
                ValueRef::Real(v) => write!(line, "r{v:?}|").unwrap(),
                ValueRef::Text(t) => write!(line, "t{}|", String::from_utf8_lossy(t)).unwrap(),
                ValueRef::Blob(b) => write!(line, "b{b:?}|").unwrap(),
            }
        }
        all.push(line);
    }
    all.sort_unstable();
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for line in &all {
        for b in line.bytes().chain([b'\n']) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    Ok((all.len(), h))
}
