//! Fleet (issue 11): fleets of databases with failures injected at random (a corrupt file, a
//! missing file, a file locked by another connection past the busy timeout, a migration that
//! fails), under a random error policy, canary and thread count; two fleets at once over the
//! same files; a fleet process killed with SIGKILL and run again. Every outcome must be the
//! expected one, every good database complete, every failed one at the version it had, and
//! no migration applied twice.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use migrate_runtime::rusqlite::Connection;
use migrate_runtime::{DatabaseStatus, Error, Migrations, OnError};

use crate::common::{
    Ctx, Journal, Rng, Tally, integrity, new_db, open, s, tracking_at, tracking_complete,
    user_version,
};

/// What a database of a trial is made to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A database at some version that must end complete.
    Good(i64),
    Corrupt,
    Missing,
    Locked,
    /// At version 2, with the table migration 3 creates already there.
    FailingMigration,
}

impl Kind {
    fn fails(self) -> bool {
        !matches!(self, Kind::Good(_))
    }
}

#[derive(Default)]
struct Figures {
    databases: usize,
    injected: usize,
    expected_outcomes: usize,
    exactly_once_violations: usize,
    kills: usize,
}

pub fn run(ctx: &Ctx, tally: &mut Tally) {
    let set = reliability::set("small", 0).expect("known set");
    let mut figures = Figures::default();
    let trials = ctx.count(12, 300);
    for i in 0..trials {
        tally.trial(&format!("fleet #{i}"), |rng| {
            injected_failures(&set, rng, &mut figures)
        });
    }
    for i in 0..ctx.count(3, 50) {
        tally.trial(&format!("two fleets at once #{i}"), |rng| {
            two_fleets(&set, rng, &mut figures)
        });
    }
    for i in 0..ctx.count(3, 50) {
        tally.trial(&format!("fleet killed #{i}"), |rng| {
            killed(ctx, rng, &mut figures)
        });
    }
    println!(
        "  fleet: {} databases, {} failures injected, {} outcomes as expected, {} exactly-once violations, {} live fleet processes killed mid-run",
        figures.databases,
        figures.injected,
        figures.expected_outcomes,
        figures.exactly_once_violations,
        figures.kills
    );
}

/// A database of `kind` at `dir/name`; a connection holding its lock for `Locked`.
fn make(
    dir: &Path,
    name: &str,
    kind: Kind,
    set: &Migrations,
    journal: Journal,
) -> Result<(PathBuf, Option<Connection>), String> {
    let path = dir.join(name);
    match kind {
        Kind::Missing => return Ok((path, None)),
        Kind::Corrupt => {
            std::fs::write(&path, b"not a database ".repeat(300)).map_err(s)?;
            return Ok((path, None));
        }
        _ => {}
    }
    let path = new_db(dir, name, journal)?;
    let mut conn = open(&path)?;
    let version = match kind {
        Kind::Good(v) => v,
        Kind::Locked => 1,
        _ => 2,
    };
    if version > 0 {
        set.runner().target(version).run(&mut conn).map_err(s)?;
    }
    if kind == Kind::FailingMigration {
        conn.execute_batch("CREATE TABLE orders (x INTEGER)")
            .map_err(s)?;
    }
    if kind == Kind::Locked {
        conn.execute_batch("BEGIN EXCLUSIVE").map_err(s)?;
        return Ok((path, Some(conn)));
    }
    Ok((path, None))
}

fn injected_failures(set: &Migrations, rng: &mut Rng, figures: &mut Figures) -> Result<(), String> {
    let n = set.latest_version();
    let dir = tempfile::tempdir().map_err(s)?;
    let journal = Journal::ALL[rng.below(2) as usize];
    let count = rng.range(6, 16) as usize;
    let mut kinds = Vec::with_capacity(count);
    let mut holders = Vec::new();
    let mut paths = Vec::new();
    for i in 0..count {
        let kind = match rng.below(10) {
            0 => Kind::Corrupt,
            1 => Kind::Missing,
            2 => Kind::Locked,
            3 => Kind::FailingMigration,
            _ => Kind::Good(rng.below(n as u64 + 1) as i64),
        };
        let (path, holder) = make(dir.path(), &format!("db{i:02}.db"), kind, set, journal)?;
        holders.extend(holder);
        kinds.push(kind);
        paths.push(path);
    }
    let policy = if rng.chance(50) {
        OnError::Continue
    } else {
        OnError::Stop
    };
    let canary = if rng.chance(40) {
        rng.range(1, 3) as usize
    } else {
        0
    };
    let parallel = rng.range(1, 4) as usize;
    let report = set
        .fleet()
        .databases(paths.clone())
        .parallel(parallel)
        .canary(canary)
        .on_error(policy)
        .busy_timeout(Duration::from_millis(30))
        .run()
        .map_err(s)?;
    drop(holders);
    figures.databases += count;
    figures.injected += kinds.iter().filter(|k| k.fails()).count();
    if report.outcomes.len() != count {
        return Err(format!(
            "{} outcomes for {count} databases",
            report.outcomes.len()
        ));
    }
    let canary_failed = kinds[..canary.min(count)].iter().any(|k| k.fails());
    if report.totals.canary_failed != canary_failed {
        return Err(format!(
            "canary_failed is {}, expected {canary_failed}",
            report.totals.canary_failed
        ));
    }
    // Where the first failure is in the list (the fleet reports outcomes in list order).
    let first_failed = report
        .outcomes
        .iter()
        .position(|o| matches!(o.status, DatabaseStatus::Failed(_)));
    let mut expected = 0;
    for (index, ((kind, path), outcome)) in
        kinds.iter().zip(&paths).zip(&report.outcomes).enumerate()
    {
        if &outcome.path != path {
            return Err(format!(
                "outcome for {} in the place of {}",
                outcome.path.display(),
                path.display()
            ));
        }
        let ok = match (&outcome.status, kind) {
            // Skipped only when the fleet stopped, and only after a failure. Under `Continue`
            // only a failed canary stops it, and every canary database still runs. Under
            // `Stop` the first failure stops it, inside the canary too; one at a time, only
            // databases after that failure may be skipped (with more in parallel, one listed
            // earlier may start later).
            (DatabaseStatus::Skipped, _) => {
                report.totals.stopped
                    && match policy {
                        OnError::Continue => canary_failed && index >= canary,
                        OnError::Stop if parallel == 1 => first_failed.is_some_and(|f| f < index),
                        OnError::Stop => first_failed.is_some(),
                        // A policy this trial does not generate.
                        _ => false,
                    }
            }
            (DatabaseStatus::Applied | DatabaseStatus::UpToDate, Kind::Good(v)) => {
                outcome.to == Some(n) && outcome.applied.iter().map(|a| a.version).eq((v + 1)..=n)
            }
            (DatabaseStatus::Failed(Error::NotADatabase { .. }), Kind::Corrupt)
            | (DatabaseStatus::Failed(Error::NoSuchDatabase { .. }), Kind::Missing)
            | (DatabaseStatus::Failed(Error::Locked { .. }), Kind::Locked) => true,
            (DatabaseStatus::Failed(Error::Statement(f)), Kind::FailingMigration) => {
                f.migration.version == 3
            }
            _ => false,
        };
        if !ok {
            return Err(format!(
                "{}: {kind:?} ended {:?} (database {index}, canary {canary}, {policy:?}, \
                 parallel {parallel}, first failure at {first_failed:?})",
                path.display(),
                outcome.status
            ));
        }
        expected += 1;
        // Every database is whole: complete, or where it was.
        let version = match (kind, &outcome.status) {
            (Kind::Missing, _) => {
                if path.exists() {
                    return Err(format!("{} was created", path.display()));
                }
                continue;
            }
            (Kind::Corrupt, _) => continue,
            (Kind::Good(v), DatabaseStatus::Skipped) => *v,
            (Kind::Good(_), _) => n,
            (Kind::Locked, _) => 1,
            (Kind::FailingMigration, _) => 2,
        };
        let conn = open(path)?;
        integrity(&conn)?;
        if version > 0
            && let Err(e) = tracking_at(&conn, set, version)
        {
            figures.exactly_once_violations += usize::from(e.contains("events"));
            return Err(format!("{}: {e}", path.display()));
        }
    }
    figures.expected_outcomes += expected;
    Ok(())
}

fn two_fleets(set: &Migrations, rng: &mut Rng, figures: &mut Figures) -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(s)?;
    let journal = Journal::ALL[rng.below(2) as usize];
    let count = rng.range(8, 20) as usize;
    let mut paths = Vec::new();
    for i in 0..count {
        paths.push(new_db(dir.path(), &format!("db{i:02}.db"), journal)?);
    }
    let (a, b) = std::thread::scope(|scope| {
        let a = scope.spawn(|| set.fleet().databases(paths.clone()).parallel(2).run());
        let b = scope.spawn(|| set.fleet().databases(paths.clone()).parallel(3).run());
        (a.join(), b.join())
    });
    let (a, b) = match (a, b) {
        (Ok(Ok(a)), Ok(Ok(b))) => (a, b),
        _ => return Err("a fleet failed or panicked".to_owned()),
    };
    figures.databases += count;
    let n = set.latest_version() as usize;
    if a.totals.failed + b.totals.failed > 0 {
        return Err(format!(
            "failures: {:?} {:?}",
            a.failures().next(),
            b.failures().next()
        ));
    }
    let applied = a.totals.migrations_applied + b.totals.migrations_applied;
    if applied != count * n {
        figures.exactly_once_violations += 1;
        return Err(format!(
            "{applied} migrations applied, expected {}",
            count * n
        ));
    }
    figures.expected_outcomes += 2 * count;
    check_complete(set, &paths, figures)
}

fn check_complete(
    set: &Migrations,
    paths: &[PathBuf],
    figures: &mut Figures,
) -> Result<(), String> {
    for path in paths {
        let conn = open(path)?;
        integrity(&conn)?;
        if let Err(e) = tracking_complete(&conn, set) {
            figures.exactly_once_violations += 1;
            return Err(format!("{}: {e}", path.display()));
        }
    }
    Ok(())
}

fn killed(ctx: &Ctx, rng: &mut Rng, figures: &mut Figures) -> Result<(), String> {
    // The slow set, so that the kill lands in the middle of migrations.
    let rows = 20_000;
    let slow = reliability::set("crash_mixed", rows).expect("known set");
    let dir = tempfile::tempdir().map_err(s)?;
    let journal = Journal::ALL[rng.below(2) as usize];
    let count = rng.range(6, 12) as usize;
    let mut paths = Vec::new();
    for i in 0..count {
        paths.push(new_db(dir.path(), &format!("db{i:02}.db"), journal)?);
    }
    let list = dir.path().join("list");
    let text: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    std::fs::write(&list, text.join("\n")).map_err(s)?;
    let mut child = Command::new(ctx.fleet)
        .args([
            "crash_mixed",
            &rows.to_string(),
            list.to_str().unwrap_or(""),
            "2",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("{}: {e}", ctx.fleet))?;
    // Kill after a random number of finished databases (0 to a third of them).
    let wait_for = rng.below(count as u64 / 3 + 1);
    let mut out = BufReader::new(child.stdout.take().ok_or("no stdout")?);
    let mut line = String::new();
    for _ in 0..wait_for {
        line.clear();
        if out.read_line(&mut line).map_err(s)? == 0 {
            break;
        }
    }
    std::thread::sleep(Duration::from_millis(rng.below(40)));
    // A kill counts only if it struck a live fleet: a process that had already exited would
    // make this a plain rerun that proves nothing about a kill.
    if let Some(status) = child.try_wait().map_err(s)? {
        return Err(format!(
            "the fleet process had exited ({status}) before the kill: the trial proves nothing"
        ));
    }
    child.kill().map_err(s)?;
    let status = child.wait().map_err(s)?;
    if status.signal() != Some(libc::SIGKILL) {
        return Err(format!(
            "the fleet process was not killed by SIGKILL: {status}"
        ));
    }
    figures.kills += 1;
    figures.databases += count;
    let mut states: BTreeMap<i64, usize> = BTreeMap::new();
    for path in &paths {
        let conn = Connection::open(path).map_err(s)?;
        integrity(&conn)?;
        let version = user_version(&conn)?;
        *states.entry(version).or_default() += 1;
    }
    // Struck mid-fleet: some database was not migrated yet.
    let latest = slow.latest_version();
    if states.keys().all(|&version| version == latest) {
        return Err(format!(
            "every database was complete when the fleet was killed ({states:?}): the kill did not strike mid-run"
        ));
    }
    let report = slow
        .fleet()
        .databases(paths.clone())
        .parallel(2)
        .run()
        .map_err(s)?;
    if report.totals.failed > 0 {
        return Err(format!(
            "after the kill ({states:?}): {:?}",
            report
                .failures()
                .next()
                .map(|o| o.error().map(ToString::to_string))
        ));
    }
    figures.expected_outcomes += count;
    check_complete(&slow, &paths, figures)
}
