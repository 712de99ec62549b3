//! Test databases: [`Migrations::test_database`] and [`Migrations::test_database_at`].
//!
//! The set is applied once per process and version to a private in-memory *template*; every
//! call copies that template into a new in-memory connection with SQLite's online backup API,
//! which copies pages and runs no SQL, so a suite of hundreds of tests pays for the
//! migrations once.
//!
//! Invariants: templates are keyed by everything the applied database depends on (the history
//! checksum, which stands for every migration's SQL, the file names, which the tracking
//! table records, and the version), so two different sets in one process never share one; a
//! template is built under its own lock, once (parallel first calls wait for the one build;
//! a failed build is not kept and the next call tries again); a template is only read, and
//! only while its lock is held, since a `Connection` cannot be shared between threads.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use migrate_rules::Checksum;
use rusqlite::Connection;

use crate::error::Error;
use crate::migrations::Migrations;

impl Migrations {
    /// A new in-memory database with every migration of the set applied, for tests.
    ///
    /// The first call in a process applies the set to a private template database; every
    /// call (the first too) returns a copy of that template, made with SQLite's backup API,
    /// so each test gets its own isolated database for the price of a page copy. Safe to call
    /// from parallel tests: the set is applied once per process however many threads ask
    /// first. The database is a full one: the tracking tables are present and
    /// [`Migrations::run`] on it finds nothing to do. The connection has
    /// `PRAGMA foreign_keys = ON` (SQLite's default is off), as the CLI and fleets open
    /// databases, and the template was migrated with them on, so every migration's
    /// `foreign_key_check` ran.
    ///
    /// ```
    /// use migrate_runtime::Migrations;
    ///
    /// static MIGRATIONS: Migrations = migrate_runtime::embed_migrations!("tests/doc_migrations");
    ///
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// // In a #[test]: each test gets its own database, the set is applied once per process.
    /// let conn = MIGRATIONS.test_database()?;
    /// conn.execute("INSERT INTO notes (body, created_at) VALUES ('hello', '2026-01-01')", [])?;
    /// assert_eq!(MIGRATIONS.current_version(&conn)?, 2);
    ///
    /// // Another test's database does not see that row.
    /// let other = MIGRATIONS.test_database()?;
    /// let rows: i64 = other.query_row("SELECT count(*) FROM notes", [], |row| row.get(0))?;
    /// assert_eq!(rows, 0);
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// Code steps ([`Runner::code`](crate::Runner::code)) do not run: the template is built
    /// with [`Migrations::run`]'s defaults. A set that needs them can build its database with
    /// its own runner.
    ///
    /// # Errors
    /// What [`Migrations::run`] returns when the set fails to apply (then nothing is kept and
    /// the next call tries again); [`Error::Sqlite`] when SQLite cannot open or copy an
    /// in-memory database.
    pub fn test_database(&self) -> Result<Connection, Error> {
        self.test_database_at(self.latest_version())
    }

    /// A new in-memory database with the migrations up to `version` applied, for testing a
    /// data migration: fill it as the previous release left it, then apply the next step.
    ///
    /// Like [`Migrations::test_database`], the set is applied once per process and version
    /// and every call returns a copy. The database records versions `1..=version` as
    /// applied, so [`Migrations::run`] (or a runner with a
    /// [`target`](crate::Runner::target)) applies the rest. Version 0 is a database with the
    /// tracking tables and no migration applied, as [`Migrations::run`] leaves a new database
    /// with `target(0)`.
    ///
    /// ```
    /// use migrate_runtime::Migrations;
    ///
    /// static MIGRATIONS: Migrations = migrate_runtime::embed_migrations!("tests/doc_migrations");
    ///
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// // The database as version 1 left it, with a row written then.
    /// let mut conn = MIGRATIONS.test_database_at(1)?;
    /// conn.execute("INSERT INTO notes (body) VALUES ('written by release 1')", [])?;
    ///
    /// // Migration 2 must keep the row.
    /// let report = MIGRATIONS.run(&mut conn)?;
    /// assert_eq!(report.applied.len(), 1);
    /// let body: String = conn.query_row("SELECT body FROM notes", [], |row| row.get(0))?;
    /// assert_eq!(body, "written by release 1");
    ///
    /// assert!(MIGRATIONS.test_database_at(3).is_err());
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// - [`Error::InvalidVersion`] for a version outside `0..=latest`.
    /// - Otherwise those of [`Migrations::test_database`].
    pub fn test_database_at(&self, version: i64) -> Result<Connection, Error> {
        let latest = self.latest_version();
        if !(0..=latest).contains(&version) {
            return Err(Error::InvalidVersion {
                requested: version,
                reason: format!("test databases exist for versions 0 to {latest}"),
            });
        }
        let template = Template::of(self, version);
        let mut slot = template.lock();
        let source = match &mut *slot {
            Some(source) => source,
            empty => empty.insert(build(self, version)?),
        };
        copy(source)
    }
}

/// A template: the database of one set at one version, built on first use.
struct Template {
    /// The set's file names (the packed `names` blob): part of the key, since the tracking
    /// table records them and the history checksum does not cover them.
    names: Box<str>,
    /// `None` until built (and again after a failed build).
    database: Mutex<Option<Connection>>,
}

/// The templates of this process, by history checksum and version; those sharing both are
/// told apart by their names.
type Templates = BTreeMap<(Checksum, i64), Vec<Arc<Template>>>;

static TEMPLATES: Mutex<Templates> = Mutex::new(BTreeMap::new());

impl Template {
    /// The template of `migrations` at `version`, created (empty) when missing. The map's
    /// lock is held only for the look-up, never while a template is built or copied.
    fn of(migrations: &Migrations, version: i64) -> Arc<Template> {
        let names = migrations.packed_names();
        let mut templates = TEMPLATES.lock().unwrap_or_else(PoisonError::into_inner);
        let same = templates
            .entry((migrations.history_checksum(), version))
            .or_default();
        if let Some(template) = same.iter().find(|t| *t.names == *names) {
            return Arc::clone(template);
        }
        let template = Arc::new(Template {
            names: names.into(),
            database: Mutex::new(None),
        });
        same.push(Arc::clone(&template));
        template
    }

    /// The template's database. A panic elsewhere while it was held cannot have left it
    /// half-built: it is stored only once its build has succeeded.
    fn lock(&self) -> MutexGuard<'_, Option<Connection>> {
        self.database.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Applies the set up to `version` to a new in-memory database, with foreign keys on as the
/// returned copies have them.
fn build(migrations: &Migrations, version: i64) -> Result<Connection, Error> {
    let started = Instant::now();
    let mut conn = Connection::open_in_memory()?;
    conn.execute_batch("PRAGMA foreign_keys = ON")?;
    migrations.runner().target(version).run(&mut conn)?;
    log::debug!(
        "built the test database template of set {} at version {version} in {:?}",
        migrations.history_checksum(),
        started.elapsed()
    );
    Ok(conn)
}

/// A new in-memory database holding a copy of `template`, with foreign keys on. Only this
/// module's connection uses a template, so a lock that outlasts the copy's patience means
/// SQLite itself is busy elsewhere; it is never expected.
fn copy(template: &Connection) -> Result<Connection, Error> {
    let mut conn = Connection::open_in_memory()?;
    let started = Instant::now();
    // Every page in one step, so the copy is never seen half done.
    if !crate::backup::copy_all(template, &mut conn, started)? {
        return Err(Error::Locked {
            waited: started.elapsed(),
            migration: None,
        });
    }
    // A per-connection setting: the copy does not carry it.
    conn.execute_batch("PRAGMA foreign_keys = ON")?;
    Ok(conn)
}
