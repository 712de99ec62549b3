//! What every family needs: the seeded generator, the tally, databases and their dumps.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use migrate_runtime::Migrations;
use migrate_runtime::rusqlite::{Connection, types::ValueRef};

/// splitmix64: small, seedable, good enough to pick trials.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// A seed for a named stream, so that families do not share random numbers.
pub fn derive(seed: u64, name: &str) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64 ^ seed;
    for b in name.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    Rng::new(h).next_u64()
}

/// Run-wide settings.
pub struct Ctx {
    pub long: bool,
    pub migrator: &'static str,
    pub workspace: PathBuf,
}

impl Ctx {
    /// `bounded` trials normally, `long` with `RELIABILITY_LONG`.
    pub fn count(&self, bounded: usize, long: usize) -> usize {
        if self.long { long } else { bounded }
    }
}

/// Passed and failed trials of one family, with the details of failures.
pub struct Tally {
    pub family: &'static str,
    pub passed: usize,
    pub failed: usize,
    rng: Rng,
}

impl Tally {
    pub fn new(family: &'static str, seed: u64) -> Tally {
        Tally {
            family,
            passed: 0,
            failed: 0,
            rng: Rng::new(derive(seed, family)),
        }
    }

    /// Runs one trial with its own generator; a panic counts as a failure.
    pub fn trial(&mut self, what: &str, body: impl FnOnce(&mut Rng) -> Result<(), String>) {
        let seed = self.rng.next_u64();
        let mut rng = Rng::new(seed);
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| body(&mut rng)));
        let problem = match outcome {
            Ok(Ok(())) => None,
            Ok(Err(problem)) => Some(problem),
            Err(panic) => Some(format!("panicked: {}", panic_message(&*panic))),
        };
        self.record(what, seed, problem);
    }

    /// Records a trial run by the caller (for families that check many cases at once).
    pub fn record(&mut self, what: &str, seed: u64, problem: Option<String>) {
        match problem {
            None => self.passed += 1,
            Some(problem) => {
                self.failed += 1;
                println!(
                    "FAILED [{}] {what} (trial seed {seed:#018x}): {problem}",
                    self.family
                );
            }
        }
    }

    pub fn next_seed(&mut self) -> u64 {
        self.rng.next_u64()
    }
}

pub fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "(non-string panic)".to_owned()
    }
}

/// SQLite journal modes the trials cover.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Journal {
    Rollback,
    Wal,
}

impl Journal {
    pub const ALL: [Journal; 2] = [Journal::Rollback, Journal::Wal];

    pub fn name(self) -> &'static str {
        match self {
            Journal::Rollback => "rollback-journal",
            Journal::Wal => "wal",
        }
    }
}

/// Creates a database file in `dir` in the given journal mode.
pub fn new_db(dir: &Path, file: &str, journal: Journal) -> Result<PathBuf, String> {
    let path = dir.join(file);
    let conn = Connection::open(&path).map_err(s)?;
    let mode = match journal {
        Journal::Rollback => "delete",
        Journal::Wal => "wal",
    };
    let got: String = conn
        .query_row(&format!("PRAGMA journal_mode = {mode}"), [], |r| r.get(0))
        .map_err(s)?;
    if got != mode {
        return Err(format!("journal_mode is {got}, wanted {mode}"));
    }
    Ok(path)
}

pub fn open(path: &Path) -> Result<Connection, String> {
    let conn = Connection::open(path).map_err(s)?;
    conn.busy_timeout(Duration::from_secs(10)).map_err(s)?;
    Ok(conn)
}

pub fn s(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// `PRAGMA integrity_check` must say `ok`.
pub fn integrity(conn: &Connection) -> Result<(), String> {
    let mut statement = conn.prepare("PRAGMA integrity_check").map_err(s)?;
    let rows: Vec<String> = statement
        .query_map([], |r| r.get(0))
        .map_err(s)?
        .collect::<Result<_, _>>()
        .map_err(s)?;
    if rows == ["ok"] {
        Ok(())
    } else {
        Err(format!("integrity_check: {}", rows.join("; ")))
    }
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

/// The tracking tables agree with a complete apply of `set`: one row per version 1..=n with
/// the set's name and checksum, no migration in progress, the state verified at n, the
/// `user_version` mirror at n, and exactly one `applied` event per version.
pub fn tracking_complete(conn: &Connection, set: &Migrations) -> Result<(), String> {
    tracking_at(conn, set, set.latest_version())
}

/// As [`tracking_complete`], for a database migrated up to `version`.
pub fn tracking_at(conn: &Connection, set: &Migrations, version: i64) -> Result<(), String> {
    let mut statement = conn
        .prepare("SELECT version, name, checksum FROM schema_migrations ORDER BY version")
        .map_err(s)?;
    let rows: Vec<(i64, String, String)> = statement
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .map_err(s)?
        .collect::<Result<_, _>>()
        .map_err(s)?;
    let expected: Vec<(i64, String, String)> = set
        .iter()
        .take_while(|m| m.version() <= version)
        .map(|m| (m.version(), m.name().to_owned(), m.checksum().to_string()))
        .collect();
    if rows != expected {
        let versions: Vec<i64> = rows.iter().map(|r| r.0).collect();
        return Err(format!(
            "schema_migrations has versions {versions:?} (or names/checksums differ), expected 1..={version}"
        ));
    }
    let in_progress: i64 = conn
        .query_row("SELECT count(*) FROM schema_migrations_progress", [], |r| {
            r.get(0)
        })
        .map_err(s)?;
    if in_progress != 0 {
        return Err(format!("{in_progress} migrations still marked in progress"));
    }
    let (state_version, verified): (i64, bool) = conn
        .query_row(
            "SELECT version, verified FROM schema_migrations_state WHERE id = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .map_err(s)?;
    // Before anything is applied (a first migration that failed) the state may be unverified.
    if state_version != version || !(verified || version == 0) {
        return Err(format!(
            "state row says version {state_version} verified={verified}, expected {version} verified"
        ));
    }
    let user_version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(s)?;
    if user_version != version {
        return Err(format!("user_version {user_version}, expected {version}"));
    }
    let mut statement = conn
        .prepare(
            "SELECT version, count(*) FROM schema_migrations_history WHERE event = 'applied' GROUP BY version ORDER BY version",
        )
        .map_err(s)?;
    let events: Vec<(i64, i64)> = statement
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .map_err(s)?
        .collect::<Result<_, _>>()
        .map_err(s)?;
    let expected: Vec<(i64, i64)> = (1..=version).map(|v| (v, 1)).collect();
    if events != expected {
        return Err(format!(
            "applied events per version {events:?}, expected one each for 1..={version}"
        ));
    }
    Ok(())
}

/// Applies `set` (up to `target`) to a fresh database in `dir` and returns its logical dump.
pub fn reference(
    dir: &Path,
    file: &str,
    journal: Journal,
    set: &Migrations,
    target: Option<i64>,
) -> Result<(Dump, Duration), String> {
    let path = new_db(dir, file, journal)?;
    let mut conn = open(&path)?;
    let started = std::time::Instant::now();
    let mut runner = set.runner();
    if let Some(target) = target {
        runner = runner.target(target);
    }
    runner.run(&mut conn).map_err(s)?;
    let took = started.elapsed();
    Ok((dump(&conn, DumpKind::Logical)?, took))
}
