//! Where a kill struck, read from the database files the killed process left: the tracking
//! tables, and whether a write transaction was in flight (a hot rollback journal, or WAL frames
//! after the last commit frame). Nothing here trusts what the child said about itself.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use migrate_runtime::Migrations;
use migrate_runtime::rusqlite::{Connection, OpenFlags, OptionalExtension};
use migrate_test_kit::with_suffix;

use crate::common::{Journal, s};

/// The phase of the run a kill interrupted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Class {
    /// No migration had begun: nothing applied, no transaction in flight.
    Before,
    /// A transactional migration's transaction was in flight (it creates the tracking tables
    /// when they are missing, so for version 1 that work counts as inside it).
    InTransaction { version: i64 },
    /// A no-transaction migration had started: `done` of its statements had run.
    InNoTransaction { version: i64, done: i64 },
    /// `applied` migrations were committed and the next had not written anything.
    Between { applied: i64 },
    /// Every migration was applied; the child was finishing.
    After,
}

impl Class {
    /// The coarse class the family's requirements count.
    pub fn kind(self) -> Kind {
        match self {
            Class::Before => Kind::Before,
            Class::InTransaction { .. } => Kind::InTransaction,
            Class::InNoTransaction { .. } => Kind::InNoTransaction,
            Class::Between { .. } => Kind::Between,
            Class::After => Kind::After,
        }
    }
}

impl fmt::Display for Class {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Class::Before => write!(f, "before"),
            Class::InTransaction { version } => write!(f, "in-tx v{version}"),
            Class::InNoTransaction { version, done } => {
                write!(f, "in-no-tx v{version} after statement {done}")
            }
            Class::Between { applied } => write!(f, "between v{applied}-v{}", applied + 1),
            Class::After => write!(f, "after"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Before,
    InTransaction,
    InNoTransaction,
    Between,
    After,
}

impl Kind {
    /// The classes every run must reach (`After` is allowed but not required).
    pub const REQUIRED: [Kind; 4] = [
        Kind::Before,
        Kind::InTransaction,
        Kind::InNoTransaction,
        Kind::Between,
    ];

    /// Mid-run: some work of the set was under way or done, and some was left.
    pub fn mid_run(self) -> bool {
        matches!(
            self,
            Kind::InTransaction | Kind::InNoTransaction | Kind::Between
        )
    }

    pub fn name(self) -> &'static str {
        match self {
            Kind::Before => "before any migration",
            Kind::InTransaction => "inside a transactional migration",
            Kind::InNoTransaction => "inside a no-transaction migration",
            Kind::Between => "between migrations",
            Kind::After => "after the last migration",
        }
    }
}

/// Kills per class, with the counts the family checks.
#[derive(Default)]
pub struct Histogram {
    pub classes: BTreeMap<Class, usize>,
}

impl Histogram {
    pub fn add(&mut self, class: Class) {
        *self.classes.entry(class).or_default() += 1;
    }

    pub fn merge(&mut self, other: &Histogram) {
        for (class, n) in &other.classes {
            *self.classes.entry(*class).or_default() += n;
        }
    }

    pub fn kills(&self) -> usize {
        self.classes.values().sum()
    }

    pub fn of_kind(&self, kind: Kind) -> usize {
        self.classes
            .iter()
            .filter(|(class, _)| class.kind() == kind)
            .map(|(_, n)| n)
            .sum()
    }

    pub fn mid_run(&self) -> usize {
        self.classes
            .iter()
            .filter(|(class, _)| class.kind().mid_run())
            .map(|(_, n)| n)
            .sum()
    }

    /// `None` when at least 80 % of kills landed mid-run and every required class was hit.
    pub fn problem(&self) -> Option<String> {
        let kills = self.kills();
        let mid = self.mid_run();
        let empty: Vec<&str> = Kind::REQUIRED
            .iter()
            .filter(|kind| self.of_kind(**kind) == 0)
            .map(|kind| kind.name())
            .collect();
        if kills == 0 {
            Some("no kill at all".to_owned())
        } else if mid * 100 < kills * 80 {
            Some(format!(
                "only {mid} of {kills} kills landed mid-run, fewer than 80 %"
            ))
        } else if !empty.is_empty() {
            Some(format!("no kill landed {}", empty.join(", ")))
        } else {
            None
        }
    }

    /// `kinds: ...; classes: ...` for the family's output.
    pub fn summary(&self) -> String {
        let kinds: Vec<String> = [
            Kind::Before,
            Kind::InTransaction,
            Kind::InNoTransaction,
            Kind::Between,
            Kind::After,
        ]
        .iter()
        .map(|kind| format!("{} {}", kind.name(), self.of_kind(*kind)))
        .collect();
        let classes: Vec<String> = self
            .classes
            .iter()
            .map(|(class, n)| format!("{class}: {n}"))
            .collect();
        format!(
            "{} kills, {} mid-run ({}); {}",
            self.kills(),
            self.mid_run(),
            kinds.join(", "),
            classes.join(", ")
        )
    }
}

/// What the files at `path` show. Reads the journal or WAL first, as the killed process left
/// them, then opens the database (which rolls an interrupted transaction back).
pub fn classify(path: &Path, journal: Journal, set: &Migrations) -> Result<Class, String> {
    let in_flight = match journal {
        Journal::Rollback => hot_journal(&with_suffix(path, "-journal"))?,
        Journal::Wal => wal_uncommitted(&with_suffix(path, "-wal"))?,
    };
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(s)?;
    let tracked: bool = conn
        .query_row(
            "SELECT count(*) > 0 FROM sqlite_master WHERE name = 'schema_migrations'",
            [],
            |r| r.get(0),
        )
        .map_err(s)?;
    let (applied, progress) = if tracked {
        let applied: i64 = conn
            .query_row("SELECT count(*) FROM schema_migrations", [], |r| r.get(0))
            .map_err(s)?;
        let progress: Option<(i64, i64)> = conn
            .query_row(
                "SELECT version, statements_done FROM schema_migrations_progress",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(s)?;
        (applied, progress)
    } else {
        (0, None)
    };
    let next = set.iter().find(|m| m.version() == applied + 1);
    Ok(match (progress, next) {
        (Some((version, done)), _) => Class::InNoTransaction { version, done },
        // The transaction that records a no-transaction migration's start.
        (None, Some(next)) if in_flight && next.no_transaction() => Class::InNoTransaction {
            version: next.version(),
            done: 0,
        },
        (None, Some(next)) if in_flight => Class::InTransaction {
            version: next.version(),
        },
        (None, None) => Class::After,
        (None, Some(_)) if applied == 0 => Class::Before,
        (None, Some(_)) => Class::Between { applied },
    })
}

/// A rollback journal SQLite would call hot: present, not empty, header not zeroed (the
/// default `delete` mode removes it when a transaction commits).
fn hot_journal(path: &Path) -> Result<bool, String> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(bytes.first().is_some_and(|&b| b != 0)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(format!("reading {}: {e}", path.display())),
    }
}

/// True when the WAL holds valid frames (salts of the header, checksum chain intact) after its
/// last commit frame: a transaction had written pages and not committed.
fn wal_uncommitted(path: &Path) -> Result<bool, String> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(format!("reading {}: {e}", path.display())),
    };
    if bytes.len() < 32 {
        return Ok(false);
    }
    let be =
        |at: usize| u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    let magic = be(0);
    if magic & !1 != 0x377f_0682 {
        return Ok(false);
    }
    // The checksum reads words in the byte order the magic number names.
    let big_endian = magic & 1 == 1;
    let page_size = be(8) as usize;
    let salts = (be(16), be(20));
    let mut sum = checksum((0, 0), &bytes[..24], big_endian);
    if sum != (be(24), be(28)) {
        return Ok(false);
    }
    let frame_size = 24 + page_size;
    let (mut frames, mut committed) = (0usize, 0usize);
    let mut at = 32;
    while at + frame_size <= bytes.len() {
        if (be(at + 8), be(at + 12)) != salts {
            break;
        }
        sum = checksum(sum, &bytes[at..at + 8], big_endian);
        sum = checksum(sum, &bytes[at + 24..at + frame_size], big_endian);
        if sum != (be(at + 16), be(at + 20)) {
            break;
        }
        frames += 1;
        if be(at + 4) != 0 {
            committed = frames;
        }
        at += frame_size;
    }
    Ok(frames > committed)
}

/// SQLite's WAL checksum (https://sqlite.org/fileformat.html#checksum_algorithm).
fn checksum(mut sum: (u32, u32), data: &[u8], big_endian: bool) -> (u32, u32) {
    for pair in data.chunks_exact(8) {
        let word = |b: &[u8]| {
            let b = [b[0], b[1], b[2], b[3]];
            if big_endian {
                u32::from_be_bytes(b)
            } else {
                u32::from_le_bytes(b)
            }
        };
        sum.0 = sum.0.wrapping_add(word(&pair[..4])).wrapping_add(sum.1);
        sum.1 = sum.1.wrapping_add(word(&pair[4..])).wrapping_add(sum.0);
    }
    sum
}
