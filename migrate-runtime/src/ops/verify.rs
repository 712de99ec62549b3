//! `Migrations::verify_in_memory`: the set applied to a private in-memory database, with the
//! checks `embed_migrations!(..., verify)` runs at build time.
//!
//! Invariant: one code path. The set is turned back into files and handed to
//! `migrate_rules::verify`, which the macro calls too; nothing here judges SQL.

use std::fmt;

use migrate_rules::verify::{self, Options};
use migrate_rules::{Entry, MigrationSet};

pub use migrate_rules::verify::{Failure, FailureKind, Lint, LintWarning};

use crate::{Error, Migrations};

/// The limits of a verification: `Options` of `migrate_rules::verify`.
pub type VerifyOptions = Options;

/// What [`Migrations::verify_in_memory`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct VerifyReport {
    /// Every failed migration, in version order; empty when the set verified.
    pub failures: Vec<Failure>,
    /// Every lint not allowed by its file (`-- migrate:allow <lint>`), in version order.
    pub lints: Vec<LintWarning>,
    /// The final schema as `embed_migrations!(..., schema = "...")` compares it and the CLI's
    /// `schema` prints it; meaningful only when [`VerifyReport::is_ok`].
    pub snapshot: String,
    /// How many migrations were applied.
    pub applied: usize,
}

impl VerifyReport {
    /// True when no migration failed (lints are warnings).
    pub fn is_ok(&self) -> bool {
        self.failures.is_empty()
    }
}

impl fmt::Display for VerifyReport {
    /// One line per failure, then one per lint; `verified N migrations` when there is neither.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for failure in &self.failures {
            writeln!(f, "error: {failure}")?;
        }
        for lint in &self.lints {
            writeln!(f, "warning: {lint}")?;
        }
        if self.failures.is_empty() && self.lints.is_empty() {
            writeln!(f, "verified {} migrations", self.applied)?;
        }
        Ok(())
    }
}

impl Migrations {
    /// Applies the whole set to a private in-memory database, as `embed_migrations!(...,
    /// verify)` does at build time: every statement, the foreign-key check before each
    /// commit, each down file against the schema before its migration, and the lints.
    ///
    /// For crates that do not enable the macro's `verify` feature, a test gives the same
    /// guarantee (in `tests/migrations.rs`, inside a `#[test] fn`):
    ///
    /// ```
    /// static MIGRATIONS: migrate_runtime::Migrations =
    ///     migrate_runtime::embed_migrations!("tests/doc_migrations");
    ///
    /// let report = MIGRATIONS.verify_in_memory()?;
    /// assert!(report.is_ok(), "{report}");
    /// assert!(report.lints.is_empty(), "{report}");
    /// assert!(report.snapshot.contains("CREATE TABLE notes"));
    /// # Ok::<(), migrate_runtime::Error>(())
    /// ```
    ///
    /// Code steps ([`Runner::code`](crate::Runner::code)) do not run: verification assumes
    /// they change rows, not the schema. The time budget per migration is 10 s, or
    /// `MIGRATE_VERIFY_TIMEOUT_MS`. SQLite's heap is capped (256 MiB by default) while the
    /// verification runs; the cap is SQLite's `hard_heap_limit`, which is process-wide, and
    /// the previous value comes back when the last verification of the process ends.
    ///
    /// # Errors
    /// [`Error::Verify`] when the verification database cannot be set up. Failing migrations
    /// are not errors: they are in [`VerifyReport::failures`].
    pub fn verify_in_memory(&self) -> Result<VerifyReport, Error> {
        self.verify_in_memory_with(&VerifyOptions::from_env())
    }

    /// [`Migrations::verify_in_memory`] with other limits, or up to a version
    /// (`VerifyOptions::default().target(2)`).
    ///
    /// # Errors
    /// As [`Migrations::verify_in_memory`].
    pub fn verify_in_memory_with(&self, options: &VerifyOptions) -> Result<VerifyReport, Error> {
        let set = self.to_set()?;
        let verification = verify::verify(&set, options)?;
        Ok(VerifyReport {
            failures: verification.failures,
            lints: verification.lints,
            snapshot: verification.snapshot,
            applied: verification.applied,
        })
    }

    /// The set as the files it was built from.
    fn to_set(&self) -> Result<MigrationSet, Error> {
        let mut entries = Vec::with_capacity(self.len());
        for migration in self.iter() {
            entries.push(Entry::file(migration.file_name(), migration.sql()));
            if let (Some(name), Some(sql)) = (migration.down_file_name(), migration.down_sql()) {
                entries.push(Entry::file(name, sql));
            }
        }
        MigrationSet::from_entries(entries).map_err(Error::InvalidSet)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_with_down_files_verifies_through_the_shared_path() {
        let migrations = Migrations::from_files([
            (
                "0001_users.sql",
                "CREATE TABLE users (id INTEGER PRIMARY KEY);",
            ),
            (
                "0002_tags.sql",
                "CREATE TABLE tags (id INTEGER PRIMARY KEY);\nCREATE INDEX tags_id ON tags (id);",
            ),
            ("0002_tags.down.sql", "DROP TABLE tags;"),
        ])
        .unwrap();
        let report = migrations.verify_in_memory().unwrap();
        assert!(report.is_ok(), "{report}");
        assert_eq!(report.applied, 2);
        assert_eq!(report.to_string(), "verified 2 migrations\n");
        let header = format!(
            "-- 0001_users.sql {}\n-- 0002_tags.sql {}\n\n",
            migrations.get(1).unwrap().checksum(),
            migrations.get(2).unwrap().checksum()
        );
        assert!(report.snapshot.starts_with(&header), "{}", report.snapshot);
    }

    #[test]
    fn failures_and_lints_are_in_the_report() {
        let migrations = Migrations::from_files([
            (
                "0001_users.sql",
                "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);",
            ),
            ("0002_index.sql", "CREATE INDEX users_name ON userz (name);"),
            ("0003_drop.sql", "ALTER TABLE users DROP COLUMN name;"),
            (
                "0004_tags.sql",
                "CREATE TABLE tags (id INTEGER PRIMARY KEY);\nCREATE INDEX tags_id ON tags (id);",
            ),
            ("0004_tags.down.sql", "DROP INDEX tags_id;"),
        ])
        .unwrap();
        let report = migrations.verify_in_memory().unwrap();
        assert!(!report.is_ok());
        let text = report.to_string();
        assert!(
            text.contains(
                "error: migration 2 (`0002_index.sql`) fails at statement 1 (line 1): no such table: main.userz"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "error: down file `0004_tags.down.sql` does not undo `0004_tags.sql`: table `tags` remains (may be a consequence of the failure of migration 2)"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "warning: migrate::destructive: `0003_drop.sql` line 1: column `users.name` is dropped"
            ),
            "{text}"
        );
        assert_eq!(report.lints[0].lint, Lint::Destructive);
    }

    #[test]
    fn the_target_stops_early() {
        let migrations = Migrations::from_files([
            ("1_a.sql", "CREATE TABLE a (x);"),
            ("2_b.sql", "CREATE TABLE b (x);"),
        ])
        .unwrap();
        let report = migrations
            .verify_in_memory_with(&VerifyOptions::default().target(1))
            .unwrap();
        assert_eq!(report.applied, 1);
        assert!(!report.snapshot.contains("TABLE b"));
    }
}
