//! Crash: a child process applies a slow set and is killed with SIGKILL at a random moment
//! (one to three times); a fresh run must then complete and leave exactly the database a
//! straight apply produces.

use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::common::{
    Ctx, DumpKind, Journal, Tally, dump, integrity, new_db, open, reference, s, same,
    tracking_complete,
};

/// Rows per slow statement: enough for each migration to take measurable time.
pub const ROWS: u32 = 40_000;

pub fn run(ctx: &Ctx, tally: &mut Tally) {
    let per_config = ctx.count(8, 300);
    for set_name in ["crash_tx", "crash_mixed"] {
        let set = reliability::set(set_name, ROWS).expect("known set");
        for journal in Journal::ALL {
            let label = format!("{set_name}, {}", journal.name());
            let dir = tempfile::tempdir().expect("tempdir");
            let (expected, took) = match reference(dir.path(), "reference.db", journal, &set, None)
            {
                Ok(r) => r,
                Err(e) => {
                    tally.record(&format!("reference apply [{label}]"), 0, Some(e));
                    continue;
                }
            };
            // Kill anywhere from before the child opens the database to a little after a
            // child's straight apply would have finished.
            // The shorter of two timed runs: the machine is shared, and a slow sample would
            // put most kills after the child has finished.
            let timed =
                child_duration(ctx, dir.path(), "timing-1.db", set_name, journal).and_then(|a| {
                    child_duration(ctx, dir.path(), "timing-2.db", set_name, journal)
                        .map(|b| a.min(b))
                });
            let took = match timed {
                Ok(child_took) => child_took,
                Err(e) => {
                    tally.record(&format!("timing a child [{label}]"), 0, Some(e));
                    took
                }
            };
            let window_us = (took.as_micros() as u64) * 12 / 10 + 5_000;
            let mut kills = 0;
            let mut mid_run = 0;
            let mut states: BTreeMap<String, usize> = BTreeMap::new();
            for i in 0..per_config {
                tally.trial(&format!("crash #{i} [{label}]"), |rng| {
                    let dir = tempfile::tempdir().map_err(s)?;
                    let path = new_db(dir.path(), "crash.db", journal)?;
                    let rounds = rng.range(1, 3);
                    for round in 0..rounds {
                        let delay = Duration::from_micros(rng.below(window_us));
                        let mut child = Command::new(ctx.migrator)
                            .args([set_name, &ROWS.to_string()])
                            .arg(&path)
                            .stdin(Stdio::null())
                            .stdout(Stdio::null())
                            .stderr(Stdio::piped())
                            .spawn()
                            .map_err(s)?;
                        std::thread::sleep(delay);
                        kills += 1;
                        let finished = child.try_wait().map_err(s)?;
                        if finished.is_none() {
                            mid_run += 1;
                            child.kill().map_err(s)?;
                        }
                        let status = child.wait().map_err(s)?;
                        if finished.as_ref().is_some_and(|f| !f.success()) {
                            let mut err = String::new();
                            use std::io::Read;
                            let _ = child.stderr.take().map(|mut e| e.read_to_string(&mut err));
                            return Err(format!(
                                "round {round}: the child failed on its own ({status}): {err}"
                            ));
                        }
                        // The database must be sound right after the kill, before any repair.
                        let conn = open(&path)?;
                        integrity(&conn).map_err(|e| format!("after kill {round}: {e}"))?;
                        if finished.is_some() {
                            // The child completed: later kills would find nothing to do.
                            break;
                        }
                        *states.entry(kill_state(&conn)).or_default() += 1;
                    }
                    let mut conn = open(&path)?;
                    set.run(&mut conn)
                        .map_err(|e| format!("the run after the kill failed: {e}"))?;
                    integrity(&conn)?;
                    same(
                        "after the kill and a fresh run vs a straight apply",
                        &dump(&conn, DumpKind::Logical)?,
                        &expected,
                    )?;
                    tracking_complete(&conn, &set)?;
                    // A second run has nothing to do.
                    let again = set.run(&mut conn).map_err(s)?;
                    if !again.applied.is_empty() {
                        return Err(format!("a second run applied {:?}", again.applied));
                    }
                    Ok(())
                });
            }
            let mut survivors = 0;
            for i in 0..per_config / 2 {
                tally.trial(&format!("crash among followers #{i} [{label}]"), |rng| {
                    let (problem, n) =
                        kill_one_of_many(ctx, rng, set_name, journal, window_us, &set, &expected)?;
                    survivors += n;
                    problem.map_or(Ok(()), Err)
                });
            }
            println!(
                "  crash among followers [{label}]: {} trials, {survivors} surviving processes",
                per_config / 2
            );
            let states: Vec<String> = states.iter().map(|(k, v)| format!("{k}:{v}")).collect();
            println!(
                "  crash [{label}]: child's straight apply {took:.0?}, {kills} kills, {mid_run} mid-run; state at mid-run kills (v<applied>+p<statements done>): {}",
                states.join(" ")
            );
        }
    }
}

/// `v<applied>` plus `+p<statements done>` when a no-transaction migration was in progress.
fn kill_state(conn: &migrate_runtime::rusqlite::Connection) -> String {
    let applied: i64 = conn
        .query_row("SELECT count(*) FROM schema_migrations", [], |r| r.get(0))
        .unwrap_or(0);
    let progress: Option<i64> = conn
        .query_row(
            "SELECT statements_done FROM schema_migrations_progress",
            [],
            |r| r.get(0),
        )
        .ok();
    match progress {
        Some(p) => format!("v{applied}+p{p}"),
        None => format!("v{applied}"),
    }
}

/// How long a child takes to apply the whole set when nobody kills it.
fn child_duration(
    ctx: &Ctx,
    dir: &std::path::Path,
    file: &str,
    set_name: &str,
    journal: Journal,
) -> Result<Duration, String> {
    let path = new_db(dir, file, journal)?;
    let started = std::time::Instant::now();
    let status = Command::new(ctx.migrator)
        .args([set_name, &ROWS.to_string()])
        .arg(&path)
        .stdout(Stdio::null())
        .status()
        .map_err(s)?;
    let took = started.elapsed();
    if !status.success() {
        return Err(format!("the child failed: {status}"));
    }
    Ok(took)
}

/// Several children start together; one of them, at random, is killed at a random moment
/// (the leader or a follower waiting for it). The survivors must finish the work between them
/// and exit 0, so that a run afterwards has nothing to do.
fn kill_one_of_many(
    ctx: &Ctx,
    rng: &mut crate::common::Rng,
    set_name: &str,
    journal: Journal,
    window_us: u64,
    set: &migrate_runtime::Migrations,
    expected: &crate::common::Dump,
) -> Result<(Option<String>, usize), String> {
    use std::io::Write;
    let dir = tempfile::tempdir().map_err(s)?;
    let path = new_db(dir.path(), "shared.db", journal)?;
    let n = rng.range(3, 5) as usize;
    let mut children = Vec::new();
    for _ in 0..n {
        children.push(
            Command::new(ctx.migrator)
                .args([set_name, &ROWS.to_string()])
                .arg(&path)
                .arg("--wait-stdin")
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .map_err(s)?,
        );
    }
    std::thread::sleep(Duration::from_millis(30));
    for child in &mut children {
        let _ = child.stdin.take().expect("piped").write_all(b"g");
    }
    let victim = rng.below(n as u64) as usize;
    std::thread::sleep(Duration::from_micros(rng.below(window_us)));
    let _ = children[victim].kill();
    let mut problems = Vec::new();
    for (i, child) in children.into_iter().enumerate() {
        let out = child.wait_with_output().map_err(s)?;
        if i == victim {
            continue;
        }
        let stderr = String::from_utf8_lossy(&out.stderr);
        if !out.status.success() || stderr.to_lowercase().contains("locked") {
            problems.push(format!(
                "survivor {i} exited with {}: {}",
                out.status,
                stderr.trim()
            ));
        }
    }
    if !problems.is_empty() {
        return Ok((Some(problems.join("; ")), n - 1));
    }
    let mut conn = open(&path)?;
    integrity(&conn)?;
    let report = set.run(&mut conn).map_err(s)?;
    if !report.applied.is_empty() {
        return Ok((
            Some(format!(
                "the survivors exited 0 but left work: a run afterwards applied {:?}",
                report.applied.iter().map(|a| a.version).collect::<Vec<_>>()
            )),
            n - 1,
        ));
    }
    same(
        "after the survivors",
        &dump(&conn, DumpKind::Logical)?,
        expected,
    )?;
    tracking_complete(&conn, set)?;
    Ok((None, n - 1))
}
