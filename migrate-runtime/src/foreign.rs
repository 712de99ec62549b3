//! Other migration tools' history tables: a database one of them migrated is taken over with
//! `baseline --from`, not migrated again; the errors and the CLI say so when they see one.
//!
//! Invariant: only reads `sqlite_schema`; never fails a caller (a database that cannot be
//! read simply names no tool).

use rusqlite::Connection;

/// Each tool's history table and the name `baseline --from` takes for it.
pub(crate) const HISTORY_TABLES: [(&str, &str); 4] = [
    ("_sqlx_migrations", "sqlx"),
    ("__diesel_schema_migrations", "diesel"),
    ("refinery_schema_history", "refinery"),
    ("_prisma_migrations", "prisma"),
];

/// The tool whose history table the database holds, with that table's name.
pub(crate) fn migrated_by(conn: &Connection) -> Option<(&'static str, &'static str)> {
    HISTORY_TABLES
        .into_iter()
        .find(|(table, _)| crate::tracking::table_exists(conn, table).unwrap_or(false))
}

/// What to do with a database another tool migrated, for messages; `None` when no tool's
/// history table is there.
pub(crate) fn take_over_advice(conn: &Connection) -> Option<String> {
    let (table, tool) = migrated_by(conn)?;
    Some(format!(
        "this database was migrated by {tool} (it has `{table}`): take it over with \
         `baseline --from {tool}` (`Migrations::baseline_from`), which records what {tool} \
         applied without running it, then apply the rest"
    ))
}
