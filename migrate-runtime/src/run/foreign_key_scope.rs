//! The foreign-key check before each commit, reading only what the migration could break.
//!
//! `PRAGMA foreign_key_check` without an argument reads every table that has a foreign key,
//! so running it after each migration would make a run's cost grow with the size of the
//! database, migration after migration. A migration can only break a foreign key held by a
//! row of a table it wrote (its own references) or by a row that references a table it
//! wrote (the parent rows it deleted or changed). [`WriteWatch`](crate::db::WriteWatch)
//! notes the written tables; [`ForeignKeyMap`] knows which tables reference which: read once
//! per run, then updated for the tables a migration defined, created, dropped or altered.
//! A table rename (which rewrites other tables' references, and for which SQLite itself
//! rewrites every row of the schema table) reads the map again.
//!
//! Invariant: the tables checked after a migration are the written ones that still exist
//! and have foreign keys, and every table whose foreign keys name a written table. A code
//! step ([`Runner::code`](crate::Runner::code)) may write through statements prepared
//! before the run, which the authorizer never sees: migrations with one get the full check.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

use rusqlite::Connection;

use super::steps::{check_foreign_keys, foreign_key_error, violation};
use crate::db::{WriteWatch, Written};
use crate::error::{Error, MigrationRef};
use crate::migrations::Migration;

/// At most this many violations are reported (as the full check does).
const MAX_VIOLATIONS: usize = 20;

/// How a run checks foreign keys before each commit, when the connection has them on.
///
/// ```
/// use migrate_runtime::{ForeignKeyCheck, Migrations};
/// # fn demo(migrations: &Migrations, conn: &mut rusqlite::Connection) -> Result<(), migrate_runtime::Error> {
/// // Keep the application's own authorizer installed during the run.
/// migrations.runner().foreign_key_check(ForeignKeyCheck::Full).run(conn)?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum ForeignKeyCheck {
    /// Check the tables the migration wrote and the tables that reference them (the
    /// default). The run installs an authorizer on the connection to learn which tables a
    /// migration writes, and removes it afterwards: an application's own authorizer is
    /// replaced for the duration of the run, and not restored.
    #[default]
    Affected,
    /// Check every table after every migration (`PRAGMA foreign_key_check`), and leave the
    /// connection's authorizer alone. Slower on large databases; violations that were there
    /// before the migration, in tables it did not touch, fail it too.
    Full,
}

/// Which tables reference which, by lower-case name.
#[derive(Debug, Default)]
struct ForeignKeyMap {
    /// Every table of the main database.
    tables: BTreeSet<String>,
    /// Table → the tables its foreign keys name (existing or not).
    parents: BTreeMap<String, BTreeSet<String>>,
    /// Table → the tables whose foreign keys name it.
    children: BTreeMap<String, BTreeSet<String>>,
}

impl ForeignKeyMap {
    /// Reads every table and its foreign keys: once per run, and after a rename.
    fn read(conn: &Connection) -> rusqlite::Result<Self> {
        let mut map = ForeignKeyMap::default();
        let mut statement = conn.prepare(
            "SELECT lower(m.name), lower(f.\"table\") FROM main.sqlite_schema AS m \
             LEFT JOIN pragma_foreign_key_list(m.name, 'main') AS f \
             WHERE m.type = 'table'",
        )?;
        let mut rows = statement.query([])?;
        while let Some(row) = rows.next()? {
            let table: String = row.get(0)?;
            if let Some(parent) = row.get::<_, Option<String>>(1)? {
                map.link(&table, parent);
            }
            map.tables.insert(table);
        }
        Ok(map)
    }

    fn link(&mut self, child: &str, parent: String) {
        self.children
            .entry(parent.clone())
            .or_default()
            .insert(child.to_owned());
        self.parents
            .entry(child.to_owned())
            .or_default()
            .insert(parent);
    }

    /// Reads again what one table is and references (it was created, dropped or altered);
    /// false when it no longer exists.
    fn refresh(&mut self, conn: &Connection, table: &str) -> rusqlite::Result<bool> {
        for parent in self.parents.remove(table).unwrap_or_default() {
            if let Some(children) = self.children.get_mut(&parent) {
                children.remove(table);
                if children.is_empty() {
                    self.children.remove(&parent);
                }
            }
        }
        // Plain pragmas, answered from SQLite's in-memory schema while they are prepared:
        // reading the schema table would scan it, and the table-valued forms cost more to
        // prepare than the answer.
        let exists = conn
            .prepare(&format!("PRAGMA main.table_info({})", quoted(table)))?
            .query([])?
            .next()?
            .is_some();
        if !exists {
            self.tables.remove(table);
            return Ok(false);
        }
        let mut statement =
            conn.prepare(&format!("PRAGMA main.foreign_key_list({})", quoted(table)))?;
        let parents = statement
            .query_map([], |row| row.get::<_, String>("table"))?
            .collect::<Result<Vec<_>, _>>()?;
        self.tables.insert(table.to_owned());
        for parent in parents {
            self.link(table, parent.to_ascii_lowercase());
        }
        Ok(true)
    }

    /// The tables to check after `written`: the written ones that exist and have foreign
    /// keys, and every table that references a written one.
    fn affected(&self, written: &BTreeSet<String>) -> BTreeSet<String> {
        let mut check = BTreeSet::new();
        for table in written {
            if self.tables.contains(table) && self.parents.contains_key(table) {
                check.insert(table.clone());
            }
            if let Some(children) = self.children.get(table) {
                check.extend(
                    children
                        .iter()
                        .filter(|c| self.tables.contains(*c))
                        .cloned(),
                );
            }
        }
        check
    }
}

/// `name` as an SQL identifier.
fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The foreign-key check of a run, with what it knows about the schema.
pub(crate) struct ForeignKeyScope<'w, 'c> {
    watch: &'w WriteWatch<'c>,
    /// Read on first use; `None` again after a code step (it may have changed anything).
    map: RefCell<Option<ForeignKeyMap>>,
}

impl<'w, 'c> ForeignKeyScope<'w, 'c> {
    pub(crate) fn new(watch: &'w WriteWatch<'c>) -> Self {
        ForeignKeyScope {
            watch,
            map: RefCell::new(None),
        }
    }

    /// Forgets the writes noted so far: called when a migration starts, so that its check
    /// sees its own writes only.
    pub(crate) fn start(&self) {
        self.watch.take();
    }

    /// Forgets what it knows about the schema (read again at the next check), and the writes
    /// noted so far: after statements that no check followed.
    pub(crate) fn forget(&self) {
        self.watch.take();
        *self.map.borrow_mut() = None;
    }

    /// Fails the migration when a table it could have affected holds a violation.
    pub(crate) fn check(
        &self,
        conn: &Connection,
        migration: &Migration<'_>,
        applied: &[i64],
        had_code_step: bool,
    ) -> Result<(), Error> {
        let written = self.watch.take();
        if had_code_step {
            *self.map.borrow_mut() = None;
            return check_foreign_keys(conn, migration, applied);
        }
        let to_error = |source| Error::Record {
            migration: MigrationRef::of(migration),
            source,
            applied: applied.to_vec(),
        };
        let tables = self.affected(conn, written).map_err(to_error)?;
        let mut violations = Vec::new();
        for table in &tables {
            let mut statement = conn
                .prepare(&format!("PRAGMA main.foreign_key_check({})", quoted(table)))
                .map_err(to_error)?;
            let rows = statement.query_map([], violation).map_err(to_error)?;
            for row in rows.take(MAX_VIOLATIONS - violations.len()) {
                violations.push(row.map_err(to_error)?);
            }
            if violations.len() >= MAX_VIOLATIONS {
                break;
            }
        }
        foreign_key_error(migration, violations, applied)
    }

    /// Brings the map up to date with what `written` changed and returns the tables to check.
    fn affected(&self, conn: &Connection, written: Written) -> rusqlite::Result<BTreeSet<String>> {
        let mut map = self.map.borrow_mut();
        let map = match &mut *map {
            Some(map) => map,
            empty => empty.insert(ForeignKeyMap::read(conn)?),
        };
        let mut tables = written.tables;
        let mut renamed = false;
        for table in &written.defined {
            let exists = map.refresh(conn, table)?;
            // An altered table that no longer exists was renamed (or renamed and dropped).
            renamed |= !exists && written.altered.contains(table);
        }
        if renamed {
            // SQLite rewrote the references to the old name everywhere: read them all again.
            let fresh = ForeignKeyMap::read(conn)?;
            // The new names (the tables the map did not know, created ones aside, which were
            // read above): their rows were written under the old ones.
            tables.extend(fresh.tables.difference(&map.tables).cloned());
            *map = fresh;
        }
        Ok(map.affected(&tables))
    }
}
