//! `schema_migrations_progress`: no-transaction migrations that started and did not finish.

use std::collections::BTreeMap;

use rusqlite::{Connection, params};

use super::schema::read_table;
use crate::checksum::RecordedChecksum;
use crate::clock;
use crate::error::Error;

/// A no-transaction migration in flight.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Progress {
    pub version: i64,
    /// Checksums of the statements already run, in order.
    pub statement_checksums: Vec<RecordedChecksum>,
    /// The statement that stopped the last attempt, if one failed.
    pub failure: Option<FailedStatement>,
}

/// The statement that failed in an earlier attempt of a no-transaction migration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FailedStatement {
    /// 1-based position in the file.
    pub statement: usize,
    /// Its checksum when it failed: the next run refuses it until it changes.
    pub checksum: RecordedChecksum,
    /// SQLite's message.
    pub message: String,
}

/// No-transaction migrations in flight, by version.
pub(crate) fn read_progress(conn: &Connection) -> Result<BTreeMap<i64, Progress>, Error> {
    let rows = read_table(
        conn,
        "schema_migrations_progress",
        "SELECT version, statement_checksums, failed_statement, failed_checksum, error
         FROM schema_migrations_progress ORDER BY version",
        |row| {
            let checksums: String = row.get(1)?;
            let failed: Option<i64> = row.get(2)?;
            let failure = match failed {
                Some(index) => Some(FailedStatement {
                    statement: usize::try_from(index).unwrap_or(0),
                    checksum: RecordedChecksum::parse(
                        row.get::<_, Option<String>>(3)?.unwrap_or_default(),
                    ),
                    message: row.get::<_, Option<String>>(4)?.unwrap_or_default(),
                }),
                None => None,
            };
            Ok(Progress {
                version: row.get(0)?,
                statement_checksums: checksums
                    .lines()
                    .map(|c| RecordedChecksum::parse(c.to_owned()))
                    .collect(),
                failure,
            })
        },
    )?;
    Ok(rows.into_iter().map(|row| (row.version, row)).collect())
}

/// Starts (or keeps) the progress row of a no-transaction migration.
pub(crate) fn start_progress(conn: &Connection, version: i64) -> rusqlite::Result<()> {
    let now = clock::now_utc();
    conn.execute(
        "INSERT INTO schema_migrations_progress (version, statements_done, statement_checksums, started_at, updated_at)
         VALUES (?1, 0, '', ?2, ?2)
         ON CONFLICT (version) DO UPDATE SET failed_statement = NULL, failed_checksum = NULL, error = NULL, updated_at = ?2",
        params![version, now],
    )?;
    Ok(())
}

/// Records that the statements whose checksums are given have run. The checksums come as
/// text, formatted once per migration: the list is rewritten after every statement.
pub(crate) fn set_progress(
    conn: &Connection,
    version: i64,
    done: &[String],
) -> rusqlite::Result<()> {
    conn.prepare(
        "UPDATE schema_migrations_progress SET statements_done = ?2, statement_checksums = ?3, updated_at = ?4
         WHERE version = ?1",
    )?
    .execute(params![version, done.len() as i64, done.join("\n"), clock::now_utc()])?;
    Ok(())
}

/// Records the failed statement of a no-transaction migration.
pub(crate) fn set_progress_failure(
    conn: &Connection,
    version: i64,
    failure: &FailedStatement,
) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE schema_migrations_progress SET failed_statement = ?2, failed_checksum = ?3, error = ?4, updated_at = ?5
         WHERE version = ?1",
        params![
            version,
            failure.statement as i64,
            failure.checksum.to_string(),
            failure.message,
            clock::now_utc()
        ],
    )?;
    Ok(())
}

/// Removes the progress row once the migration is recorded as applied.
pub(crate) fn clear_progress(conn: &Connection, version: i64) -> rusqlite::Result<()> {
    conn.execute(
        "DELETE FROM schema_migrations_progress WHERE version = ?1",
        [version],
    )?;
    Ok(())
}
