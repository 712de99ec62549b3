//! Write statements kept prepared for the length of a run.
//!
//! Every migration of a run writes the same three tracking statements. Preparing them again
//! for each migration costs more than running them; a [`Statements`] prepares each once and
//! reuses it. SQLite re-prepares a kept statement by itself when a migration has changed the
//! schema since, so a kept statement is never stale, and after a migration without DDL the
//! reuse is free.
//!
//! Invariant: kept statements are reset after each use (nothing stays active between two
//! uses, so `VACUUM` or closing the connection are never blocked), and they are finalized
//! when the `Statements` is dropped, at the end of the run.

use std::cell::RefCell;

use rusqlite::{Connection, Statement, ToSql};

/// Runs a write statement given by its constant SQL: plain connections prepare it each time,
/// [`Statements`] once.
pub(crate) trait Execute {
    /// Runs `sql` with `params`; returns the number of rows changed.
    fn execute_sql(&self, sql: &'static str, params: &[&dyn ToSql]) -> rusqlite::Result<usize>;
}

impl Execute for Connection {
    fn execute_sql(&self, sql: &'static str, params: &[&dyn ToSql]) -> rusqlite::Result<usize> {
        self.prepare(sql)?.execute(params)
    }
}

/// The statements a run has prepared, by their SQL.
pub(crate) struct Statements<'c> {
    conn: &'c Connection,
    /// A handful at most: a list beats a map.
    prepared: RefCell<Vec<(&'static str, Statement<'c>)>>,
}

impl<'c> Statements<'c> {
    pub(crate) fn new(conn: &'c Connection) -> Self {
        Statements {
            conn,
            prepared: RefCell::new(Vec::new()),
        }
    }
}

impl Execute for Statements<'_> {
    fn execute_sql(&self, sql: &'static str, params: &[&dyn ToSql]) -> rusqlite::Result<usize> {
        let mut prepared = self.prepared.borrow_mut();
        let index = match prepared.iter().position(|(text, _)| *text == sql) {
            Some(index) => index,
            None => {
                prepared.push((sql, self.conn.prepare(sql)?));
                prepared.len() - 1
            }
        };
        // rusqlite resets the statement when the execution ends, successfully or not.
        prepared[index].1.execute(params)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kept_statement_follows_schema_changes_and_blocks_nothing() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t (x)").unwrap();
        let statements = Statements::new(&conn);
        let insert = "INSERT INTO t (x) VALUES (?1)";
        assert_eq!(statements.execute_sql(insert, &[&1]).unwrap(), 1);
        // A schema change expires the kept statement; SQLite prepares it again.
        conn.execute_batch("ALTER TABLE t ADD COLUMN y DEFAULT 7; CREATE TABLE u (z)")
            .unwrap();
        assert_eq!(statements.execute_sql(insert, &[&2]).unwrap(), 1);
        assert_eq!(statements.prepared.borrow().len(), 1, "prepared once");
        // Nothing is left active: VACUUM runs.
        conn.execute_batch("VACUUM").unwrap();
        let rows: i64 = conn
            .query_row("SELECT count(*) FROM t WHERE y = 7", [], |r| r.get(0))
            .unwrap();
        assert_eq!(rows, 2);
    }
}
