//! Concurrent start: 8 to 16 processes released together against one file. Every migration is
//! applied exactly once (by one of them), every process exits 0, none prints "locked".
//!
//! A round proves something about waiting only if it was contended: some follower (a process
//! that applied nothing) started its run before the leader finished its last migration, so it
//! had to wait for the leader. The children print their events with a timestamp (`--events
//! --clock`), a round's contention is read from them, and the family fails unless at least
//! [`CONTENDED_FLOOR`] % of its rounds were contended.

use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use migrate_runtime::Migrations;

use crate::common::{
    Ctx, Dump, DumpKind, Journal, Tally, dump, integrity, new_db, open, reference, s, same,
    tracking_complete,
};

/// The share of rounds, in percent, that must be contended for the family to pass.
const CONTENDED_FLOOR: usize = 80;

/// Rows of the `slow` set's long migration.
const SLOW_ROWS: u32 = 60_000;

struct Kind {
    set_name: &'static str,
    rows: u32,
    /// Extra arguments for every child.
    args: &'static [&'static str],
    what: &'static str,
    /// Release two children together and the others spread over the first three quarters of
    /// a full apply, instead of all at once.
    stagger: bool,
}

const KINDS: [Kind; 2] = [
    Kind {
        set_name: "small",
        rows: 0,
        args: &[],
        what: "quick migrations, default busy timeout",
        stagger: false,
    },
    Kind {
        set_name: "slow",
        rows: SLOW_ROWS,
        args: &["--busy-ms", "50", "--cache-pages", "20"],
        what: "a long migration that spills the page cache, followers with a 50 ms busy timeout arriving during it",
        stagger: true,
    },
];

pub fn run(ctx: &Ctx, tally: &mut Tally) {
    let rounds = ctx.count(8, 200);
    let dir = tempfile::tempdir().expect("tempdir");
    let mut references: BTreeMap<(usize, usize), (Dump, Duration)> = BTreeMap::new();
    let sets: Vec<Migrations> = KINDS
        .iter()
        .map(|k| reliability::set(k.set_name, k.rows).expect("known set"))
        .collect();
    for (k, set) in sets.iter().enumerate() {
        for (j, journal) in Journal::ALL.into_iter().enumerate() {
            match reference(dir.path(), &format!("ref-{k}-{j}.db"), journal, set, None) {
                Ok(r) => {
                    references.insert((k, j), r);
                }
                Err(e) => tally.record("reference apply", 0, Some(e)),
            }
        }
    }
    let mut processes = 0;
    // Per kind, rounds played and contended (the slow set's, the quick set's).
    let mut by_kind = [(0usize, 0usize); KINDS.len()];
    for round in 0..rounds {
        // Alternate journal modes; rounds 2 and 3 of every four (half of them) use the slow set.
        let j = round % 2;
        let k = usize::from(round % 4 >= 2);
        let journal = Journal::ALL[j];
        let kind = &KINDS[k];
        let set = &sets[k];
        let Some((expected, took)) = references.get(&(k, j)) else {
            continue;
        };
        tally.trial(
            &format!("round {round} [{}, {}]", kind.what, journal.name()),
            |rng| {
                let n = rng.range(8, 16) as usize;
                processes += n;
                let dir = tempfile::tempdir().map_err(s)?;
                let path = new_db(dir.path(), "shared.db", journal)?;
                // Sometimes part of the set is already applied.
                let already = if rng.chance(30) {
                    rng.below(set.latest_version() as u64) as i64
                } else {
                    0
                };
                if already > 0 {
                    set.runner()
                        .target(already)
                        .run(&mut open(&path)?)
                        .map_err(s)?;
                }
                let mut children = Vec::new();
                for _ in 0..n {
                    let child = Command::new(ctx.migrator)
                        .args([kind.set_name, &kind.rows.to_string()])
                        .arg(&path)
                        .args(["--wait-stdin", "--events", "--clock"])
                        .args(kind.args)
                        .stdin(Stdio::piped())
                        .stdout(Stdio::piped())
                        .stderr(Stdio::piped())
                        .spawn()
                        .map_err(s)?;
                    children.push(child);
                }
                // Give every child time to open the database, then release them together.
                // With the slow set, release two together (the leader and a first follower)
                // and the others over the first three quarters of a full apply, so that
                // followers arrive while the leader holds the locks. (Spread alone, when the
                // long migration was already applied the leader could finish before the
                // second child arrived: 10 % of such rounds were not contended.)
                std::thread::sleep(Duration::from_millis(50));
                by_kind[k].0 += 1;
                let spread = if kind.stagger {
                    took.as_micros() as u64 * 3 / 4
                } else {
                    0
                };
                let mut offsets: Vec<u64> = (0..n).map(|_| rng.below(spread.max(1))).collect();
                offsets.sort_unstable();
                if let Some(second) = offsets.get_mut(1) {
                    *second = 0;
                }
                let released = Instant::now();
                for (child, offset) in children.iter_mut().zip(offsets) {
                    let due = Duration::from_micros(offset);
                    if let Some(wait) = due.checked_sub(released.elapsed()) {
                        std::thread::sleep(wait);
                    }
                    let mut stdin = child.stdin.take().expect("piped");
                    let _ = stdin.write_all(b"g");
                }
                let mut applied: BTreeMap<i64, usize> = BTreeMap::new();
                let mut problems = Vec::new();
                // Per follower (a process that applied nothing) when it opened, after the
                // release; and when the last migration finished, whoever ran it.
                let mut followers_opened = Vec::new();
                let mut last_finished = None::<u128>;
                for (i, child) in children.into_iter().enumerate() {
                    let out = child.wait_with_output().map_err(s)?;
                    let stdout = String::from_utf8_lossy(&out.stdout);
                    let stderr = String::from_utf8_lossy(&out.stderr);
                    if !out.status.success() {
                        problems.push(format!(
                            "process {i} exited with {}: {}",
                            out.status,
                            stderr.trim()
                        ));
                    }
                    if format!("{stdout}{stderr}").to_lowercase().contains("locked") {
                        problems.push(format!("process {i} printed \"locked\": {}", stderr.trim()));
                    }
                    let printed = Printed::parse(i, &stdout)?;
                    for &v in &printed.applied {
                        *applied.entry(v).or_default() += 1;
                    }
                    last_finished = last_finished.max(printed.last_finished);
                    if out.status.success() {
                        let opened = printed
                            .opened
                            .ok_or_else(|| format!("process {i} printed no `opened` event"))?;
                        if printed.applied.is_empty() {
                            followers_opened.push(opened);
                        }
                    }
                }
                if !problems.is_empty() {
                    return Err(format!("{n} processes: {}", problems.join("; ")));
                }
                let wanted: BTreeMap<i64, usize> =
                    ((already + 1)..=set.latest_version()).map(|v| (v, 1)).collect();
                if applied != wanted {
                    return Err(format!(
                        "{n} processes: versions applied (version -> times) {applied:?}, expected each of {}..={} once",
                        already + 1,
                        set.latest_version()
                    ));
                }
                let last_finished =
                    last_finished.ok_or("no process printed a `finished` event")?;
                // A follower that opened before the last migration finished found work
                // pending and the migrator lock held: it waited for the leader.
                if followers_opened.iter().any(|&at| at < last_finished) {
                    by_kind[k].1 += 1;
                }
                let conn = open(&path)?;
                integrity(&conn)?;
                same("after the concurrent start", &dump(&conn, DumpKind::Logical)?, expected)?;
                tracking_complete(&conn, set)
            },
        );
    }
    let played: usize = by_kind.iter().map(|&(p, _)| p).sum();
    let contended: usize = by_kind.iter().map(|&(_, c)| c).sum();
    println!(
        "  concurrent: {played} rounds, {processes} processes in all; {contended} rounds contended \
         (a follower started before the leader's last migration finished): {}",
        KINDS
            .iter()
            .zip(by_kind)
            .map(|(kind, (p, c))| format!("{c} of {p} with the {} set", kind.set_name))
            .collect::<Vec<_>>()
            .join(", ")
    );
    if contended * 100 < played * CONTENDED_FLOOR {
        tally.record(
            "contended rounds",
            0,
            Some(format!(
                "only {contended} of {played} rounds were contended, fewer than {CONTENDED_FLOOR} %: \
                 the rounds did not test waiting"
            )),
        );
    }
}

/// What one migrator process printed on stdout (`--events --clock`).
struct Printed {
    /// The versions on its `applied:` lines.
    applied: Vec<i64>,
    /// When it opened the database.
    opened: Option<u128>,
    /// When the last migration it ran finished.
    last_finished: Option<u128>,
}

impl Printed {
    /// Parses the stdout of process `i`.
    fn parse(i: usize, stdout: &str) -> Result<Printed, String> {
        let mut printed = Printed {
            applied: Vec::new(),
            opened: None,
            last_finished: None,
        };
        for line in stdout.lines() {
            if let Some(list) = line.strip_prefix("applied: ") {
                for v in list.split(',').filter(|v| !v.is_empty()) {
                    printed.applied.push(v.parse().map_err(s)?);
                }
            } else if let Some((event, at)) = line.rsplit_once(" at ") {
                let at: u128 = at
                    .parse()
                    .map_err(|e| format!("process {i}: event line `{line}`: {e}"))?;
                if event == "opened" {
                    printed.opened = Some(at);
                } else if event.starts_with("finished ") {
                    printed.last_finished = printed.last_finished.max(Some(at));
                }
            }
        }
        Ok(printed)
    }
}
