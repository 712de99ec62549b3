//! What every family needs: the seeded generator, the tally, databases and their dumps (the
//! databases and dumps from `migrate-test-kit`).

use std::path::{Path, PathBuf};
use std::time::Duration;

use migrate_runtime::Migrations;
use migrate_runtime::rusqlite::Connection;
pub use migrate_test_kit::digest::{Dump, DumpKind, dump, same};
pub use migrate_test_kit::{Journal, new_db};

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
    /// `src/bin/fleet.rs`: a set applied to a list of databases, as a fleet.
    pub fleet: &'static str,
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

/// The tracking tables agree with a complete apply of `set`: one row per version 1..=n with
/// the set's name and checksum, no migration in progress, the state verified at n, the
/// `user_version` mirror at n, and exactly one `applied` event per version.
pub fn tracking_complete(conn: &Connection, set: &Migrations) -> Result<(), String> {
    tracking_at(conn, set, set.latest_version())
}

/// As [`tracking_complete`], for a database migrated up to `version`.
pub fn tracking_at(conn: &Connection, set: &Migrations, version: i64) -> Result<(), String> {
    let rows = recorded(conn)?;
    let expected: Vec<Recorded> = to_record(set).take_while(|r| r.0 <= version).collect();
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
    let user_version = user_version(conn)?;
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

/// `PRAGMA user_version`.
pub fn user_version(conn: &Connection) -> Result<i64, String> {
    conn.query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(s)
}

/// A row of `schema_migrations`: version, name, checksum.
pub type Recorded = (i64, String, String);

/// The rows of `schema_migrations`, by version.
pub fn recorded(conn: &Connection) -> Result<Vec<Recorded>, String> {
    let mut statement = conn
        .prepare("SELECT version, name, checksum FROM schema_migrations ORDER BY version")
        .map_err(s)?;
    statement
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .map_err(s)?
        .collect::<Result<_, _>>()
        .map_err(s)
}

/// The rows `schema_migrations` holds once all of `set` is applied.
pub fn to_record(set: &Migrations) -> impl Iterator<Item = Recorded> + '_ {
    set.iter()
        .map(|m| (m.version(), m.name().to_owned(), m.checksum().to_string()))
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
