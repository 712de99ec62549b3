//! Concurrent start: 8 to 16 processes released together against one file. Every migration is
//! applied exactly once (by one of them), every process exits 0, none prints "locked".

use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use migrate_runtime::Migrations;

use crate::common::{
    Ctx, Dump, DumpKind, Journal, Tally, dump, integrity, new_db, open, reference, s, same,
    tracking_complete,
};

/// Rows of the `slow` set's long migration.
const SLOW_ROWS: u32 = 60_000;

struct Kind {
    set_name: &'static str,
    rows: u32,
    /// Extra arguments for every child.
    args: &'static [&'static str],
    what: &'static str,
    /// Release the children spread over the leader's run instead of all at once.
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
    for round in 0..rounds {
        // Alternate journal modes; every fourth round uses the slow set.
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
                        .arg("--wait-stdin")
                        .args(kind.args)
                        .stdin(Stdio::piped())
                        .stdout(Stdio::piped())
                        .stderr(Stdio::piped())
                        .spawn()
                        .map_err(s)?;
                    children.push(child);
                }
                // Give every child time to open the database, then release them together.
                // With the slow set, release them over the leader's run instead, so that
                // followers arrive while the leader holds SQLite's lock.
                std::thread::sleep(Duration::from_millis(50));
                let spread = if kind.stagger {
                    took.as_micros() as u64 * 3 / 2
                } else {
                    0
                };
                let mut offsets: Vec<u64> = (0..n).map(|_| rng.below(spread.max(1))).collect();
                offsets.sort_unstable();
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
                    for line in stdout.lines() {
                        if let Some(list) = line.strip_prefix("applied: ") {
                            for v in list.split(',').filter(|v| !v.is_empty()) {
                                *applied.entry(v.parse().map_err(s)?).or_default() += 1;
                            }
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
                let conn = open(&path)?;
                integrity(&conn)?;
                same("after the concurrent start", &dump(&conn, DumpKind::Logical)?, expected)?;
                tracking_complete(&conn, set)
            },
        );
    }
    println!("  concurrent: {rounds} rounds, {processes} processes in all");
}
