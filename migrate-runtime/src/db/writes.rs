//! Which tables the statements of a run write, noted while SQLite prepares them.
//!
//! SQLite calls the connection's authorizer for every table a statement will insert into,
//! update, delete from, create, alter or drop, including the statements of the triggers it
//! fires, while it prepares the statement. [`WriteWatch`] installs an authorizer that allows
//! everything and notes those tables, so that the foreign-key check after a migration reads
//! only the tables the migration could have affected instead of every table.
//!
//! Invariant: the authorizer is removed when the watch is dropped, on every path. A
//! connection has one authorizer: an application's own is replaced while the watch lives
//! (see [`ForeignKeyCheck::Full`](crate::ForeignKeyCheck::Full) for runs that must keep it).

use std::collections::BTreeSet;
use std::ops::Deref;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use rusqlite::Connection;
use rusqlite::hooks::{AuthAction, AuthContext, Authorization};

/// rusqlite 0.32 returns `()` from `authorizer` where later versions return `Result`: this
/// brings both to `Result`, so one source compiles against the whole supported range.
trait IntoResult {
    fn into_result(self) -> rusqlite::Result<()>;
}

impl IntoResult for () {
    fn into_result(self) -> rusqlite::Result<()> {
        Ok(())
    }
}

impl IntoResult for rusqlite::Result<()> {
    fn into_result(self) -> rusqlite::Result<()> {
        self
    }
}

/// The tables written since the last [`WriteWatch::take`], by lower-case name (SQLite's
/// names are ASCII case-insensitive). Only the `main` database counts.
#[derive(Debug, Default)]
pub(crate) struct Written {
    /// Tables whose rows may have changed: inserted into, updated, deleted from, created,
    /// dropped or altered, or whose indexes were created or dropped.
    pub tables: BTreeSet<String>,
    /// Tables whose definition may have changed (created, dropped, altered): their own
    /// foreign keys must be read again.
    pub defined: BTreeSet<String>,
    /// Tables altered: an `ALTER TABLE ... RENAME` rewrites other tables' foreign keys.
    pub altered: BTreeSet<String>,
}

/// The authorizer that notes written tables, installed on a connection until dropped.
///
/// Derefs to the connection, which stays usable through shared references meanwhile.
pub(crate) struct WriteWatch<'c> {
    conn: &'c mut Connection,
    written: Arc<Mutex<Written>>,
}

impl<'c> WriteWatch<'c> {
    /// Installs the authorizer on `conn`.
    // `unit_arg`: with rusqlite 0.32 `authorizer` returns `()`, which `into_result` takes.
    #[allow(clippy::unit_arg)]
    pub(crate) fn install(conn: &'c mut Connection) -> rusqlite::Result<Self> {
        let written = Arc::new(Mutex::new(Written::default()));
        let noted = Arc::clone(&written);
        conn.authorizer(Some(move |context: AuthContext<'_>| {
            note(&mut lock(&noted), &context);
            Authorization::Allow
        }))
        .into_result()?;
        Ok(WriteWatch { conn, written })
    }

    /// The tables written since the last call.
    pub(crate) fn take(&self) -> Written {
        std::mem::take(&mut *lock(&self.written))
    }
}

impl Deref for WriteWatch<'_> {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        self.conn
    }
}

impl Drop for WriteWatch<'_> {
    #[allow(clippy::unit_arg)]
    fn drop(&mut self) {
        let removed = self
            .conn
            .authorizer(None::<fn(AuthContext<'_>) -> Authorization>)
            .into_result();
        if let Err(e) = removed {
            log::warn!("could not remove the authorizer: {e}");
        }
    }
}

/// The notes, usable even after a panic elsewhere (they stay meaningful).
fn lock(written: &Mutex<Written>) -> MutexGuard<'_, Written> {
    written.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Notes the table an action writes, if any.
fn note(written: &mut Written, context: &AuthContext<'_>) {
    // `ALTER TABLE` names its database in the action (the context's slot holds the column
    // of `DROP COLUMN`); temporary tables cannot be referenced by the main database's keys.
    let database = match context.action {
        AuthAction::AlterTable { database_name, .. } => Some(database_name),
        _ => context.database_name,
    };
    if database.is_some_and(|db| db != "main") {
        return;
    }
    match context.action {
        AuthAction::Insert { table_name }
        | AuthAction::Update { table_name, .. }
        | AuthAction::Delete { table_name }
        | AuthAction::CreateIndex { table_name, .. }
        | AuthAction::DropIndex { table_name, .. } => {
            // DDL writes the schema table itself, which no foreign key references.
            let table = table_name.to_ascii_lowercase();
            if !table.starts_with("sqlite_") {
                written.tables.insert(table);
            }
        }
        AuthAction::CreateTable { table_name } | AuthAction::DropTable { table_name } => {
            let table = table_name.to_ascii_lowercase();
            written.defined.insert(table.clone());
            written.tables.insert(table);
        }
        AuthAction::AlterTable { table_name, .. } => {
            let table = table_name.to_ascii_lowercase();
            written.altered.insert(table.clone());
            written.defined.insert(table.clone());
            written.tables.insert(table);
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(set: &BTreeSet<String>) -> Vec<&str> {
        set.iter().map(String::as_str).collect()
    }

    #[test]
    fn notes_the_tables_statements_and_their_triggers_write() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE a (x); CREATE TABLE b (y); CREATE TABLE c (z);
             CREATE TRIGGER a_log AFTER INSERT ON a BEGIN INSERT INTO b VALUES (NEW.x); END;",
        )
        .unwrap();
        let watch = WriteWatch::install(&mut conn).unwrap();
        watch
            .execute_batch("INSERT INTO a VALUES (1); SELECT * FROM c; UPDATE c SET z = 2")
            .unwrap();
        let written = watch.take();
        assert_eq!(names(&written.tables), ["a", "b", "c"]);
        assert!(written.defined.is_empty());

        watch
            .execute_batch(
                "CREATE TABLE Parent (id INTEGER PRIMARY KEY);
                 ALTER TABLE c ADD COLUMN w;
                 CREATE INDEX b_y ON b (y);
                 CREATE TEMP TABLE scratch (q); INSERT INTO scratch VALUES (1);",
            )
            .unwrap();
        let written = watch.take();
        assert_eq!(names(&written.tables), ["b", "c", "parent"]);
        assert_eq!(names(&written.defined), ["c", "parent"]);
        assert_eq!(names(&written.altered), ["c"]);
        assert!(watch.take().tables.is_empty(), "take empties the notes");
    }

    #[test]
    fn the_authorizer_is_removed_when_dropped() {
        let mut conn = Connection::open_in_memory().unwrap();
        let written = {
            let watch = WriteWatch::install(&mut conn).unwrap();
            Arc::clone(&watch.written)
        };
        conn.execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1)")
            .unwrap();
        assert!(lock(&written).tables.is_empty());
    }
}
