//! Build-time verification: the whole set applied to a private in-memory SQLite database with
//! the runtime's rules (feature `verify`).
//!
//! The macro (`embed_migrations!("migrations", verify)`) and the runtime
//! (`Migrations::verify_in_memory`, the CLI's `schema`) both call [`verify`], so what the
//! compiler accepts is what the runtime would accept on an empty database.
//!
//! What it checks, per migration `k`, in order:
//! 1. the up script runs as the runtime runs it: foreign keys on for the connection, turned
//!    off around a transactional migration's transaction, `PRAGMA foreign_key_check` before
//!    its commit; a `-- migrate:no-transaction` script statement by statement outside a
//!    transaction with the connection's own setting;
//! 2. its down file, when it has one, undoes it: the structural schema after the down file
//!    equals the schema after `k - 1` (then verification goes on from `k` applied);
//! 3. lints, from comparing the schema before and after `k` (never from SQL text):
//!    [`Lint::Destructive`], [`Lint::BackwardIncompatible`], [`Lint::DataDependent`], each
//!    silenced for one file by a line `-- migrate:allow <lint>`.
//!
//! After a failure, verification goes on with the next migration from the schema before the
//! failed one (a failed `-- migrate:no-transaction` script keeps the statements that
//! succeeded, as it does at run time); later failures carry
//! [`Failure::after_failure_of`], since they may be consequences.
//!
//! Code steps (`Runner::code` in the runtime) cannot run here: verification assumes they do
//! not change the schema.
//!
//! The pieces, one responsibility each:
//! - `sandbox`: the connection, its authorizer (what may run, and which objects each
//!   statement touches), limits, memory cap and time budget;
//! - `apply`: one script with the runtime's transaction and foreign-key rules;
//! - `schema`: the structural schema, and the cache of it updated region by region;
//! - `lints`: before/after comparison of the touched region;
//! - `snapshot`: the snapshot text and [`diff_snapshots`];
//! - `allow`: `-- migrate:allow` lines.
//!
//! Invariants:
//! - Linear in the number of migrations: after each script only the objects it touched (as
//!   the authorizer saw them: created, dropped or altered tables with their indexes and
//!   triggers, and named indexes, views and triggers) are read again, with one query of the
//!   schema table by rowid (the region's rows and those above the highest rowid outside it,
//!   never a scan; whole after a `VACUUM`, which renumbers the rows); a rename, which
//!   rewrites other objects' SQL, adds one read of the schema table's text, proportional to
//!   what SQLite's own rename does. The snapshot reads everything once, at the end.
//! - A down file is compared only over the regions its migration and itself touched: outside
//!   them the schemas before the migration, after it and after the down file are the same.
//!   A transactional down file runs inside a transaction that is rolled back after the
//!   comparison, so the migration stays applied with its rows (applying the up script again
//!   could fail on rows the down file kept); a no-transaction down file cannot be rolled
//!   back, so the up script runs again after it.
//! - Never touches the file system or the process: the sandbox denies `ATTACH`,
//!   `VACUUM INTO`, `load_extension` and every pragma outside an allow-list; each script has
//!   a time budget and SQLite's heap a cap.
//! - Never panics and never prints.

mod allow;
mod apply;
mod lints;
mod sandbox;
mod schema;
mod snapshot;

use std::fmt;
use std::time::Duration;

use self::sandbox::{Sandbox, Touched};
use self::schema::{Cache, Objects, Read, Region, Shape};
use crate::set::{Migration, MigrationSet, Script};

pub use self::apply::sqlite_message;
pub use self::snapshot::diff_snapshots;

/// Limits of a verification run.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Options {
    /// Time budget per migration (up script, or down file): default 10 s, or
    /// `MIGRATE_VERIFY_TIMEOUT_MS` in the environment ([`Options::from_env`]).
    pub timeout: Duration,
    /// Cap on SQLite's heap while verifying, in bytes (default 256 MiB).
    pub memory_limit: u64,
    /// Stop after this version (for `schema --at N`); `None` applies the whole set.
    pub target: Option<i64>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            timeout: Duration::from_secs(10),
            memory_limit: 256 << 20,
            target: None,
        }
    }
}

impl Options {
    /// The defaults, with `MIGRATE_VERIFY_TIMEOUT_MS` applied when it is set to a number.
    pub fn from_env() -> Self {
        let mut options = Options::default();
        if let Some(ms) = std::env::var("MIGRATE_VERIFY_TIMEOUT_MS")
            .ok()
            .and_then(|v| v.trim().parse::<u64>().ok())
        {
            options.timeout = Duration::from_millis(ms);
        }
        options
    }

    /// Stops after `version`.
    pub fn target(mut self, version: i64) -> Self {
        self.target = Some(version);
        self
    }

    /// Sets the time budget per script.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sets the cap on SQLite's heap, in bytes.
    pub fn memory_limit(mut self, bytes: u64) -> Self {
        self.memory_limit = bytes;
        self
    }
}

/// A lint: a change that applies cleanly but deserves a second look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Lint {
    /// A table or column that existed before the migration is gone after it.
    Destructive,
    /// A table or column was renamed: the previous release, still running during a rolling
    /// deploy, breaks.
    BackwardIncompatible,
    /// A change that passes on the empty verification database but can fail on real rows (a
    /// new unique index or `UNIQUE` on an existing table, `NOT NULL` or `CHECK` added to an
    /// existing column).
    DataDependent,
}

impl Lint {
    /// Every lint.
    pub const ALL: [Lint; 3] = [
        Lint::Destructive,
        Lint::BackwardIncompatible,
        Lint::DataDependent,
    ];

    /// The stable name used in warnings and in `-- migrate:allow <name>`.
    pub fn name(self) -> &'static str {
        match self {
            Lint::Destructive => "destructive",
            Lint::BackwardIncompatible => "backward-incompatible",
            Lint::DataDependent => "data-dependent",
        }
    }

    /// The lint with this name.
    pub fn from_name(name: &str) -> Option<Lint> {
        Lint::ALL.into_iter().find(|l| l.name() == name)
    }
}

/// One lint raised by one migration.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LintWarning {
    /// Which lint.
    pub lint: Lint,
    /// The version of the migration that raised it.
    pub version: i64,
    /// Its up file's name.
    pub file: String,
    /// 1-based line of the statement responsible (the last one that touched the object).
    pub line: u32,
    /// What changed, e.g. ``column `users.nickname` is dropped``.
    pub message: String,
}

/// Why a migration failed verification.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FailureKind {
    /// SQLite rejected a statement (of the up script, or of the down file when `file` names
    /// the down file).
    Statement {
        /// 1-based position of the statement in the file.
        statement_index: usize,
        /// 1-based line of the statement in the file.
        line: u32,
        /// The statement, shortened to about 200 characters.
        statement: String,
        /// SQLite's message.
        message: String,
    },
    /// Rows violate foreign keys before the commit.
    ForeignKeys {
        /// One line per violation, e.g. ```orders` rowid 3 references a missing row of `users```.
        violations: Vec<String>,
    },
    /// The down file does not restore the schema before the migration.
    DownMismatch {
        /// One line per difference, e.g. ``index `tags_name` remains``.
        differences: Vec<String>,
    },
    /// The time budget ran out ([`Options::timeout`]).
    Timeout {
        /// The budget.
        budget: Duration,
    },
    /// The memory cap was reached ([`Options::memory_limit`]).
    OutOfMemory,
    /// The sandbox refused an operation that reaches outside the database (`ATTACH`,
    /// `VACUUM INTO`, an extension, a file-related pragma).
    Denied {
        /// 1-based position of the statement in the file.
        statement_index: usize,
        /// 1-based line of the statement in the file.
        line: u32,
        /// What was refused, e.g. "`ATTACH`".
        operation: String,
    },
}

/// A migration that failed verification.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Failure {
    /// The version of the migration.
    pub version: i64,
    /// The file that failed: the up file, or the down file.
    pub file: String,
    /// What went wrong.
    pub kind: FailureKind,
    /// The earlier failed migration this failure may be a consequence of: verification goes
    /// on after a failure from the schema before the failed migration.
    pub after_failure_of: Option<i64>,
}

impl fmt::Display for Failure {
    /// One message per failure, naming the migration and its file and saying what to do, e.g.
    /// ``migration 3 (`0003_add_index.sql`) fails at statement 2 (line 4): no such table:
    /// userz`` followed by the statement, indented. The macro and the CLI print it as is.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Failure {
            version,
            file,
            kind,
            after_failure_of,
        } = self;
        let migration = format!("migration {version} (`{file}`)");
        let detail = match kind {
            FailureKind::Statement {
                statement_index,
                line,
                statement,
                message,
            } => {
                write!(
                    f,
                    "{migration} fails at statement {statement_index} (line {line}): {message}"
                )?;
                Some(statement.clone())
            }
            FailureKind::ForeignKeys { violations } => {
                write!(
                    f,
                    "{migration} leaves rows that violate foreign keys \
                     (`PRAGMA foreign_key_check` before its commit): fix the data or the references"
                )?;
                Some(violations.join("\n"))
            }
            FailureKind::DownMismatch { differences } => {
                let up = file
                    .strip_suffix(".down.sql")
                    .map_or_else(|| file.clone(), |stem| format!("{stem}.sql"));
                write!(
                    f,
                    "down file `{file}` does not undo `{up}`: {}",
                    differences.join(", ")
                )?;
                None
            }
            FailureKind::Timeout { budget } => {
                write!(
                    f,
                    "{migration} did not finish within the verification budget of {}: \
                     set MIGRATE_VERIFY_TIMEOUT_MS to allow more",
                    Budget(*budget)
                )?;
                None
            }
            FailureKind::OutOfMemory => {
                write!(
                    f,
                    "{migration} ran out of memory during verification (the cap is {} MiB): \
                     a migration should not build that much data",
                    Options::default().memory_limit >> 20
                )?;
                None
            }
            FailureKind::Denied {
                statement_index,
                line,
                operation,
            } => {
                write!(
                    f,
                    "{migration} fails at statement {statement_index} (line {line}): {operation} is \
                     not allowed during verification: migrations must not reach outside the database"
                )?;
                None
            }
        };
        if let Some(earlier) = after_failure_of {
            write!(
                f,
                " (may be a consequence of the failure of migration {earlier})"
            )?;
        }
        if let Some(detail) = detail.filter(|detail| !detail.trim().is_empty()) {
            for line in detail.lines() {
                write!(f, "\n  {line}")?;
            }
        }
        Ok(())
    }
}

/// A time budget as people write it: `10s`, `2500ms`.
struct Budget(Duration);

impl fmt::Display for Budget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.subsec_millis() == 0 && self.0.as_secs() > 0 {
            write!(f, "{}s", self.0.as_secs())
        } else {
            write!(f, "{}ms", self.0.as_millis())
        }
    }
}

impl fmt::Display for LintWarning {
    /// The stable name first, then where, what, and how to allow it:
    /// ``migrate::destructive: `0003_drop.sql` line 2: table `tags` is dropped; if intended,
    /// add `-- migrate:allow destructive` to the file``.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = self.lint.name();
        write!(
            f,
            "migrate::{name}: `{}` line {}: {}; if intended, add `-- migrate:allow {name}` to \
             the file",
            self.file, self.line, self.message
        )
    }
}

/// The result of [`verify`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Verification {
    /// Every failed migration, in version order; empty when the set verified.
    pub failures: Vec<Failure>,
    /// Every lint not allowed by its file, in version order.
    pub lints: Vec<LintWarning>,
    /// The snapshot of the final schema (or of the schema at [`Options::target`]): plain SQL
    /// that `sqlite3` can execute, deterministic (objects sorted, whitespace normalised),
    /// headed by one comment line per applied migration with its file name and checksum.
    /// Meaningful only when `failures` is empty.
    pub snapshot: String,
    /// Migrations applied (up to the target).
    pub applied: usize,
}

impl Verification {
    /// True when nothing failed (lints are warnings).
    pub fn is_ok(&self) -> bool {
        self.failures.is_empty()
    }
}

/// A verification that could not run at all (SQLite could not open an in-memory database,
/// or could not read back its schema).
#[derive(Debug, thiserror::Error)]
#[error("cannot verify the migrations: {0}")]
pub struct VerifyError(String);

impl From<rusqlite::Error> for VerifyError {
    fn from(error: rusqlite::Error) -> Self {
        VerifyError(error.to_string())
    }
}

/// Applies `set` to a private in-memory database and reports every failure and lint.
///
/// ```
/// use migrate_rules::verify::{FailureKind, Options, verify};
/// use migrate_rules::{Entry, MigrationSet};
///
/// let set = MigrationSet::from_entries(vec![
///     Entry::file("0001_create_users.sql", "CREATE TABLE users (id INTEGER PRIMARY KEY);"),
///     Entry::file("0002_index.sql", "CREATE INDEX users_name ON userz (name);"),
/// ])?;
/// let verification = verify(&set, &Options::default())?;
/// let failure = &verification.failures[0];
/// assert_eq!(failure.file, "0002_index.sql");
/// assert!(matches!(&failure.kind, FailureKind::Statement { message, .. }
///     if message == "no such table: main.userz"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// [`VerifyError`] when the verification database cannot be set up or read; failures of
/// migrations are in [`Verification::failures`], not errors.
pub fn verify(set: &MigrationSet, options: &Options) -> Result<Verification, VerifyError> {
    let sandbox = Sandbox::open(options.timeout, options.memory_limit)?;
    let mut run = Run {
        sandbox: &sandbox,
        cache: Cache::default(),
        verification: Verification {
            failures: Vec::new(),
            lints: Vec::new(),
            snapshot: String::new(),
            applied: 0,
        },
        first_failure: None,
    };
    let mut applied = Vec::new();
    for migration in set.migrations() {
        if options
            .target
            .is_some_and(|target| migration.version > target)
        {
            break;
        }
        if run.migration(migration)? {
            applied.push(&migration.up);
        }
        #[cfg(test)]
        run.check_cache(migration)?;
    }
    let mut verification = run.verification;
    verification.applied = applied.len();
    verification.snapshot = snapshot::render(&sandbox.conn, &applied)?;
    Ok(verification)
}

/// The lints a script allows with `-- migrate:allow <lint>` lines, and the names on such lines
/// that are no lint (which the macro reports).
///
/// ```
/// use migrate_rules::verify::{Lint, allowed_lints};
///
/// let (allowed, unknown) = allowed_lints("-- migrate:allow destructive typo\nDROP TABLE t;");
/// assert_eq!(allowed, [Lint::Destructive]);
/// assert_eq!(unknown, ["typo"]);
/// ```
pub fn allowed_lints(sql: &str) -> (Vec<Lint>, Vec<String>) {
    allow::allowed_lints(sql)
}

/// One verification in progress.
struct Run<'s> {
    sandbox: &'s Sandbox,
    /// The structural schema after the last applied migration.
    cache: Cache,
    verification: Verification,
    first_failure: Option<i64>,
}

/// A region of the schema before and after a script.
struct Change {
    region: Region,
    before: Objects,
    after: Objects,
}

impl Run<'_> {
    /// Verifies one migration; true when it is applied afterwards.
    fn migration(&mut self, migration: &Migration) -> Result<bool, VerifyError> {
        self.sandbox.take_touched();
        let ran = apply::run(self.sandbox, &migration.up);
        let touched = self.sandbox.take_touched();
        // Even a failed script may have changed the schema (a no-transaction script keeps
        // its statements that succeeded): the cache follows the database.
        let change = self.refresh(&touched)?;
        if let Err(kind) = ran {
            self.fail(migration, &migration.up, kind);
            return Ok(false);
        }
        self.lints(migration, &change, &touched);
        if let Some(down) = &migration.down {
            self.down(migration, down, &change)?;
        }
        Ok(true)
    }

    /// Records a failure; later ones may be its consequences.
    fn fail(&mut self, migration: &Migration, script: &Script, kind: FailureKind) {
        self.verification.failures.push(Failure {
            version: migration.version,
            file: script.file_name.clone(),
            kind,
            after_failure_of: self.first_failure,
        });
        self.first_failure.get_or_insert(migration.version);
    }

    /// The cache, updated region by region, is what a full read gives, its rows of the
    /// schema table included (the tests run this after every migration).
    #[cfg(test)]
    fn check_cache(&self, migration: &Migration) -> Result<(), VerifyError> {
        let full = Cache::default().read(&self.sandbox.conn, &Region::everything())?;
        let mut cache = Cache::default();
        cache.replace(&Region::everything(), full);
        assert_eq!(
            self.cache.all(),
            cache.all(),
            "the schema cache drifted after {}",
            migration.up.file_name
        );
        assert_eq!(
            self.cache.rows(),
            cache.rows(),
            "the rows of sqlite_schema drifted after {}",
            migration.up.file_name
        );
        Ok(())
    }

    /// Reads back the objects `touched` names and updates the cache.
    fn refresh(&mut self, touched: &Touched) -> Result<Change, VerifyError> {
        let (region, read) = self.read_touched(touched)?;
        let after = read.objects.clone();
        let before = self.cache.replace(&region, read);
        Ok(Change {
            region,
            before,
            after,
        })
    }

    /// The region a script touched and its objects now; the cache still holds them as they
    /// were before the script (and is not changed: a transactional down file's read is of a
    /// state that is rolled back afterwards).
    fn read_touched(&self, touched: &Touched) -> Result<(Region, Read), VerifyError> {
        let conn = &self.sandbox.conn;
        let mut region = Region::of(touched);
        let mut found = self.cache.read(conn, &region)?;
        if self.renamed(touched, &found.objects) {
            region = region.union(&self.cache.rewritten(conn)?);
            found = self.cache.read(conn, &region)?;
        }
        Ok((region, found))
    }

    /// True when an altered table is gone or lost a column name: a rename, which rewrote
    /// the SQL of objects outside the touched region.
    fn renamed(&self, touched: &Touched, after: &Objects) -> bool {
        touched.altered.keys().any(|table| {
            let before = self.cache.get(table);
            match (before.map(|o| &o.shape), after.get(table).map(|o| &o.shape)) {
                (Some(Shape::Table(b)), Some(Shape::Table(a))) => b.columns.iter().any(|c| {
                    !a.columns
                        .iter()
                        .any(|n| n.name.eq_ignore_ascii_case(&c.name))
                }),
                (Some(_), None) => true,
                _ => false,
            }
        })
    }

    fn lints(&mut self, migration: &Migration, change: &Change, touched: &Touched) {
        let (allowed, _) = allow::allowed_lints(&migration.up.sql);
        for found in lints::find(&change.before, &change.after, touched) {
            if allowed.contains(&found.lint) {
                continue;
            }
            let line = migration
                .up
                .statements
                .get(found.statement)
                .map_or(1, |s| s.line);
            self.verification.lints.push(LintWarning {
                lint: found.lint,
                version: migration.version,
                file: migration.up.file_name.clone(),
                line,
                message: found.message,
            });
        }
    }

    /// Runs the down file of the migration just applied, compares the schema with the one
    /// before the migration, and leaves the migration applied: a transactional down file is
    /// rolled back; after a no-transaction one, the up script runs again.
    fn down(
        &mut self,
        migration: &Migration,
        down: &Script,
        up: &Change,
    ) -> Result<(), VerifyError> {
        let sandbox = self.sandbox;
        if down.no_transaction {
            let ran = apply::run_outside_transaction(sandbox, down);
            let (region, found) = self.read_touched(&sandbox.take_touched())?;
            let failures = self.verification.failures.len();
            if let Err(kind) = ran {
                self.fail(migration, down, kind);
            } else {
                self.compare_down(migration, down, up, &region, &found.objects);
            }
            let down_failed = self.verification.failures.len() > failures;
            // Applied again, whatever the down file did: the cache follows the database.
            let again = apply::run(sandbox, &migration.up);
            // The cache still holds the schema after the up script: what differs now is in
            // the regions of the down file and of the second run (renames included). Rows
            // outside both regions were deleted by neither script, so the rows that can
            // differ from the cache are found as after one script (`Cache::read`).
            let (again_region, _) = self.read_touched(&sandbox.take_touched())?;
            let region = region.union(&again_region);
            let current = self.cache.read(&sandbox.conn, &region)?;
            self.cache.replace(&region, current);
            match again {
                // After a down file that did not undo it, the up script failing again is a
                // consequence, already reported.
                Err(_) if down_failed => {}
                // The down file undid it, yet it cannot be applied again: a rollback followed
                // by an apply would fail the same way.
                Err(kind) => self.fail(migration, &migration.up, kind),
                Ok(()) => {}
            }
            return Ok(());
        }

        let open = match apply::Transactional::run(sandbox, down) {
            Ok(open) => open,
            Err(kind) => {
                sandbox.take_touched();
                self.fail(migration, down, kind);
                return Ok(());
            }
        };
        // Read against the cache, which is not changed: the down file is rolled back.
        let (region, found) = self.read_touched(&sandbox.take_touched())?;
        self.compare_down(migration, down, up, &region, &found.objects);
        // Rolled back: the migration stays applied, data included, as the cache says.
        drop(open);
        Ok(())
    }

    /// Compares the schema after the down file with the one before the migration, and
    /// records a failure when they differ.
    ///
    /// Only the regions the up script and the down file touched can differ: outside them,
    /// the schemas before the migration, after it and after the down file are the same.
    fn compare_down(
        &mut self,
        migration: &Migration,
        down: &Script,
        up: &Change,
        down_region: &Region,
        found: &Objects,
    ) {
        let region = up.region.union(down_region);
        let mut expected = self.cache.region(&region);
        expected.retain(|key, object| !up.region.contains(key, object));
        expected.extend(up.before.iter().map(|(k, o)| (k.clone(), o.clone())));
        let mut actual = self.cache.region(&region);
        actual.retain(|key, object| !down_region.contains(key, object));
        actual.extend(found.iter().map(|(k, o)| (k.clone(), o.clone())));
        let differences = schema::differences(&expected, &actual);
        if !differences.is_empty() {
            self.fail(migration, down, FailureKind::DownMismatch { differences });
        }
    }
}

#[cfg(test)]
mod tests;
