//! Crash: a child process applies a slow set and is killed with SIGKILL (one to three times);
//! a fresh run must then complete and leave exactly the database a straight apply produces.
//!
//! A kill counts only when it struck a live child (`try_wait` before, SIGKILL in the exit
//! status after), and each is classified by what the database files show right after it
//! ([`class`]): before any migration, inside a transactional migration, inside a
//! no-transaction migration after statement k, between migrations, after the last. Half the
//! kills fall at a uniform moment within the child's measured run time; the others are aimed
//! at a phase through the events the child prints ([`child`]), so that every phase is reached
//! on every run. The family fails unless at least 80 % of kills land mid-run and every phase
//! but "after" was hit, for the lone children and, apart, for the crash-among-followers trials.

mod child;
mod class;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::time::Duration;

use migrate_runtime::Migrations;

use self::child::{PAUSE_MS, ROWS, Running};
use self::class::{Class, Histogram, classify};
use crate::common::{
    Ctx, Dump, DumpKind, Journal, Rng, Tally, dump, integrity, new_db, open, reference, s, same,
    tracking_complete,
};

/// Where a kill is aimed.
#[derive(Debug, Clone, Copy)]
enum Aim {
    /// A uniform moment within the (remaining) run time.
    Uniform,
    /// During the pause after the child opened the database.
    Before,
    /// While migration `n` of the given kind runs (transactional or not).
    Inside { no_transaction: bool },
    /// During the pause after a migration finished.
    Between,
}

/// The order aims take, round after round: 40 % uniform, 40 % inside a migration (alternately
/// transactional and not), 15 % between, 5 % before.
const CYCLE: [u8; 20] = [
    b'U', b'B', b'I', b'U', b'b', b'I', b'U', b'I', b'U', b'b', b'I', b'U', b'I', b'U', b'b', b'I',
    b'U', b'I', b'U', b'I',
];

/// The followers' aims: half inside a migration (in a set with no-transaction migrations,
/// first such a one), a quarter between, the rest uniform, but for one kill before the
/// release in the first sixteen.
const FOLLOWER_CYCLE: [u8; 16] = [
    b'I', b'b', b'U', b'I', b'I', b'B', b'b', b'I', b'U', b'I', b'b', b'I', b'U', b'I', b'b', b'I',
];

/// One configuration's timing and the next aims to take.
struct Plan<'a> {
    set: &'a Migrations,
    /// The child's run time, spawn to exit, the shorter of two timed runs.
    took: Duration,
    /// When each migration started and finished in the timed run, since the spawn.
    started: BTreeMap<i64, Duration>,
    finished: BTreeMap<i64, Duration>,
    next: usize,
    inside: usize,
    before_due: bool,
}

impl Plan<'_> {
    /// The next aim, for a database where `applied` migrations are done.
    fn aim(&mut self, applied: i64) -> Aim {
        let mut code = CYCLE[self.next % CYCLE.len()];
        self.next += 1;
        // A kill before the first migration needs a database where none is applied: one due
        // on a later round waits for the next trial's first round.
        if code == b'B' && applied != 0 {
            self.before_due = true;
            code = b'U';
        } else if self.before_due && applied == 0 {
            self.before_due = false;
            code = b'B';
        }
        match code {
            b'B' => Aim::Before,
            b'I' => {
                self.inside += 1;
                let no_transaction =
                    self.inside.is_multiple_of(2) && self.set.iter().any(|m| m.no_transaction());
                Aim::Inside { no_transaction }
            }
            b'b' if applied + 1 < self.set.latest_version() => Aim::Between,
            _ => Aim::Uniform,
        }
    }

    /// How long migration `version` ran in the timed run, in microseconds (at least 1).
    fn length(&self, version: i64) -> u64 {
        match (self.started.get(&version), self.finished.get(&version)) {
            (Some(a), Some(b)) => (b.saturating_sub(*a).as_micros() as u64).max(1),
            _ => 1_000,
        }
    }

    /// A migration after `applied` of the given kind, each as likely as it is long (a uniform
    /// moment inside such migrations), or `None` when there is none.
    fn pick_inside(&self, rng: &mut Rng, applied: i64, no_transaction: bool) -> Option<i64> {
        let candidates: Vec<(i64, u64)> = self
            .set
            .iter()
            .filter(|m| m.version() > applied && m.no_transaction() == no_transaction)
            .map(|m| (m.version(), self.length(m.version())))
            .collect();
        let total: u64 = candidates.iter().map(|(_, length)| length).sum();
        let mut at = rng.below(total.max(1));
        for (version, length) in candidates {
            if at < length {
                return Some(version);
            }
            at -= length;
        }
        None
    }

    /// The uniform kill window, in microseconds since the spawn, of a child that finds
    /// `applied` migrations done: from when the timed child started its first migration to
    /// when it finished its last, less the time of the migrations already done. It lies
    /// within the child's run time.
    fn window(&self, applied: i64) -> (u64, u64) {
        let first = self.started.get(&1).copied().unwrap_or_default();
        let last = self
            .finished
            .get(&self.set.latest_version())
            .copied()
            .unwrap_or(self.took);
        let skipped = self
            .started
            .get(&(applied + 1))
            .map_or(Duration::ZERO, |next| next.saturating_sub(first));
        let to = last.saturating_sub(skipped);
        (first.as_micros() as u64, to.as_micros() as u64)
    }

    /// Waits as `aim` says, on a child started on a database where `applied` are done.
    /// False when the child ended before the moment came.
    fn wait(&self, aim: Aim, applied: i64, running: &mut Running, rng: &mut Rng) -> bool {
        let limit = self.took * 4 + Duration::from_secs(5);
        let pause = Duration::from_millis(PAUSE_MS).as_micros() as u64;
        let sleep = |micros: u64| std::thread::sleep(Duration::from_micros(micros));
        match aim {
            Aim::Uniform => {
                // From the end of the pause after `opened` (when the timed child began its
                // first migration) to the end of the work left.
                let (from, to) = self.window(applied);
                sleep(from + rng.below(to.saturating_sub(from).max(1)));
                true
            }
            Aim::Before => {
                let reached = running.wait_for("opened", limit);
                sleep(rng.below(pause));
                reached
            }
            Aim::Inside { no_transaction } => {
                let Some(version) = self.pick_inside(rng, applied, no_transaction) else {
                    return self.wait(Aim::Uniform, applied, running, rng);
                };
                let reached = running.wait_for(&format!("started {version}"), limit);
                sleep(rng.below(self.length(version)));
                reached
            }
            Aim::Between => {
                let version = rng.range(
                    applied.max(0) as u64 + 1,
                    self.set.latest_version() as u64 - 1,
                );
                let reached = running.wait_for(&format!("finished {version}"), limit);
                sleep(rng.below(pause));
                reached
            }
        }
    }
}

/// The number of migrations a class says are applied, for the next round's aim.
fn applied_after(class: Class, set: &Migrations) -> i64 {
    match class {
        Class::Before => 0,
        Class::InTransaction { version } | Class::InNoTransaction { version, .. } => version - 1,
        Class::Between { applied } => applied,
        Class::After => set.latest_version(),
    }
}

pub fn run(ctx: &Ctx, tally: &mut Tally) {
    let per_config = ctx.count(8, 300);
    let mut alone = Histogram::default();
    let mut among = Histogram::default();
    // The followers' aims run on over the configurations: few trials each.
    let mut follower = 0;
    for set_name in ["crash_tx", "crash_mixed"] {
        let set = reliability::set(set_name, ROWS).expect("known set");
        for journal in Journal::ALL {
            let label = format!("{set_name}, {}", journal.name());
            let dir = tempfile::tempdir().expect("tempdir");
            let expected = match reference(dir.path(), "reference.db", journal, &set, None) {
                Ok((expected, _)) => expected,
                Err(e) => {
                    tally.record(&format!("reference apply [{label}]"), 0, Some(e));
                    continue;
                }
            };
            let mut plan = match timing(ctx, dir.path(), set_name, journal, &set) {
                Ok(plan) => plan,
                Err(e) => {
                    tally.record(&format!("timing a child [{label}]"), 0, Some(e));
                    continue;
                }
            };
            let mut histogram = Histogram::default();
            let mut exited_first = 0;
            let mut missed = 0;
            for i in 0..per_config {
                tally.trial(&format!("crash #{i} [{label}]"), |rng| {
                    let dir = tempfile::tempdir().map_err(s)?;
                    let path = new_db(dir.path(), "crash.db", journal)?;
                    let mut applied = 0;
                    for round in 0..rng.range(1, 3) {
                        let aim = plan.aim(applied);
                        let mut running = child::spawn(ctx, set_name, &path, false)?;
                        let reached = plan.wait(aim, applied, &mut running, rng);
                        let killed = running.kill().map_err(|e| format!("round {round}: {e}"))?;
                        if !killed {
                            // The child completed (the aimed moment never came, or a uniform
                            // one fell in its last instants): later kills would find nothing
                            // to do.
                            exited_first += 1;
                            if !reached {
                                missed += 1;
                            }
                            break;
                        }
                        let class = classify(&path, journal, &set)
                            .map_err(|e| format!("classifying kill {round}: {e}"))?;
                        histogram.add(class);
                        applied = applied_after(class, &set);
                        // The database must be sound right after the kill, before any repair.
                        integrity(&open(&path)?).map_err(|e| format!("after kill {round}: {e}"))?;
                    }
                    finish(&path, &set, &expected)
                });
            }
            let (from, to) = plan.window(0);
            println!(
                "  crash [{label}]: child's run {:.0?} (spawn to exit; uniform kills {:.0?} to {:.0?} after the spawn), {exited_first} rounds where the child exited before the kill (not counted; {missed} of them aimed at an event that never came); {}",
                plan.took,
                Duration::from_micros(from),
                Duration::from_micros(to),
                histogram.summary()
            );
            alone.merge(&histogram);

            let mut followers = Histogram::default();
            let mut survivors = 0;
            let has_no_transaction = set.iter().any(|m| m.no_transaction());
            let mut inside = 0;
            let follower_trials = ctx.count(6, 150);
            for i in 0..follower_trials {
                let aim = match FOLLOWER_CYCLE[follower % FOLLOWER_CYCLE.len()] {
                    b'I' => {
                        inside += 1;
                        Aim::Inside {
                            no_transaction: has_no_transaction && inside % 2 == 1,
                        }
                    }
                    // Once per run: a follower killed before the start proves little, and
                    // each one weighs on the share of kills mid-run.
                    b'B' if follower < FOLLOWER_CYCLE.len() => Aim::Before,
                    b'b' => Aim::Between,
                    _ => Aim::Uniform,
                };
                follower += 1;
                tally.trial(&format!("crash among followers #{i} [{label}]"), |rng| {
                    let (class, n) =
                        kill_one_of_many(ctx, rng, &plan, aim, set_name, journal, &expected)?;
                    survivors += n;
                    if std::env::var_os("RELIABILITY_VERBOSE").is_some() {
                        println!("  follower kill aimed {aim:?}: {class:?}");
                    }
                    if let Some(class) = class {
                        followers.add(class);
                    }
                    Ok(())
                });
            }
            println!(
                "  crash among followers [{label}]: {follower_trials} trials, {survivors} surviving processes; {}",
                followers.summary()
            );
            among.merge(&followers);
        }
    }
    for journal in Journal::ALL {
        let problem = classifier_control(journal).err();
        tally.record(
            &format!("classifier control [{}]", journal.name()),
            0,
            problem,
        );
    }
    for (what, histogram) in [("crash", &alone), ("crash among followers", &among)] {
        println!("  {what}, all configurations: {}", histogram.summary());
        // A failure of the family, not a trial: it counts only when it fails.
        if let Some(problem) = histogram.problem() {
            tally.record(&format!("{what}: where the kills landed"), 0, Some(problem));
        }
    }
}

/// Times two uncut runs of the child; the shorter one (the machine is shared, and a slow
/// sample would put many kills after the child has finished) sets the kill window.
fn timing<'a>(
    ctx: &Ctx,
    dir: &Path,
    set_name: &str,
    journal: Journal,
    set: &'a Migrations,
) -> Result<Plan<'a>, String> {
    let mut best: Option<(Duration, Vec<(Duration, String)>)> = None;
    for file in ["timing-1.db", "timing-2.db"] {
        let path = new_db(dir, file, journal)?;
        let (took, events) = child::timed_run(ctx, set_name, &path)?;
        if best.as_ref().is_none_or(|(b, _)| took < *b) {
            best = Some((took, events));
        }
    }
    let (took, events) = best.ok_or("no timed run")?;
    let mut started = BTreeMap::new();
    let mut finished = BTreeMap::new();
    for (at, line) in events {
        if let Some(v) = line.strip_prefix("started ") {
            started.insert(v.parse::<i64>().map_err(s)?, at);
        } else if let Some(v) = line.strip_prefix("finished ") {
            finished.insert(v.parse::<i64>().map_err(s)?, at);
        }
    }
    if started.len() != set.len() || finished.len() != set.len() {
        return Err(format!(
            "the timed child reported {} starts and {} ends for {} migrations",
            started.len(),
            finished.len(),
            set.len()
        ));
    }
    Ok(Plan {
        set,
        took,
        started,
        finished,
        next: 0,
        inside: 0,
        before_due: false,
    })
}

/// The classifier, on states made on purpose: two migrations applied, then a third one's
/// transaction open with pages written (classified from a copy taken while it is open),
/// then committed without its tracking row. A classifier that missed the open transaction
/// (or saw one that is not there) fails here.
fn classifier_control(journal: Journal) -> Result<(), String> {
    let set = reliability::set("crash_tx", 2_000).ok_or("no crash_tx set")?;
    let dir = tempfile::tempdir().map_err(s)?;
    let path = new_db(dir.path(), "control.db", journal)?;
    let mut conn = open(&path)?;
    set.runner().target(2).run(&mut conn).map_err(s)?;
    let expect = |want: Class| -> Result<(), String> {
        let got = classify_copy(&path, journal, &set)?;
        if got == want {
            Ok(())
        } else {
            Err(format!("classified {got}, expected {want}"))
        }
    };
    expect(Class::Between { applied: 2 })?;
    // A small cache, so that the open transaction's pages reach the WAL (in WAL mode) or the
    // journal (in rollback mode) before it commits.
    conn.pragma_update(None, "cache_size", 10).map_err(s)?;
    conn.execute_batch(
        "BEGIN IMMEDIATE;
         WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 20000)
         INSERT INTO t (x) SELECT x FROM c;",
    )
    .map_err(s)?;
    expect(Class::InTransaction { version: 3 })?;
    conn.execute_batch("COMMIT;").map_err(s)?;
    expect(Class::Between { applied: 2 })
}

/// A fresh run completes and leaves exactly a straight apply's database; a second run has
/// nothing to do.
fn finish(path: &Path, set: &Migrations, expected: &Dump) -> Result<(), String> {
    let mut conn = open(path)?;
    set.run(&mut conn)
        .map_err(|e| format!("the run after the kill failed: {e}"))?;
    integrity(&conn)?;
    same(
        "after the kill and a fresh run vs a straight apply",
        &dump(&conn, DumpKind::Logical)?,
        expected,
    )?;
    tracking_complete(&conn, set)?;
    let again = set.run(&mut conn).map_err(s)?;
    if !again.applied.is_empty() {
        return Err(format!("a second run applied {:?}", again.applied));
    }
    Ok(())
}

/// Several children start together; one of them, at random, is killed at the moment `aim`
/// names (the leader or a follower waiting for it). At the kill the others are stopped
/// (SIGSTOP) while a copy of the database files is taken, which is then classified. The
/// survivors must finish the work between them and exit 0, so that a run afterwards has
/// nothing to do. Returns the class of the kill (`None` when the victim had already exited)
/// and the number of survivors.
fn kill_one_of_many(
    ctx: &Ctx,
    rng: &mut Rng,
    plan: &Plan<'_>,
    aim: Aim,
    set_name: &str,
    journal: Journal,
    expected: &Dump,
) -> Result<(Option<Class>, usize), String> {
    let dir = tempfile::tempdir().map_err(s)?;
    let path = new_db(dir.path(), "shared.db", journal)?;
    let n = rng.range(3, 5) as usize;
    let mut children = Vec::new();
    for _ in 0..n {
        children.push(child::spawn(ctx, set_name, &path, true)?);
    }
    std::thread::sleep(Duration::from_millis(30));
    let victim = rng.below(n as u64) as usize;
    let class = if let Aim::Before = aim {
        // Killed while it waits to start: the others, waiting too, write nothing meanwhile.
        let class = if children[victim].kill()? {
            Some(classify_copy(&path, journal, plan.set)?)
        } else {
            None
        };
        release(&mut children);
        class
    } else {
        release(&mut children);
        aim_at_leader(plan, aim, &mut children, rng);
        let stopped = Stopped::all_but(&children, victim);
        if children[victim].kill()? {
            let class = classify_copy(&path, journal, plan.set)?;
            drop(stopped);
            Some(class)
        } else {
            None
        }
    };
    let mut problems = Vec::new();
    for (i, running) in children.into_iter().enumerate() {
        if i == victim {
            continue;
        }
        let out = running.child.wait_with_output().map_err(s)?;
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
        return Err(problems.join("; "));
    }
    let mut conn = open(&path)?;
    integrity(&conn)?;
    let report = plan.set.run(&mut conn).map_err(s)?;
    if !report.applied.is_empty() {
        return Err(format!(
            "the survivors exited 0 but left work: a run afterwards applied {:?}",
            report.applied.iter().map(|a| a.version).collect::<Vec<_>>()
        ));
    }
    same(
        "after the survivors",
        &dump(&conn, DumpKind::Logical)?,
        expected,
    )?;
    tracking_complete(&conn, plan.set)?;
    Ok((class, n - 1))
}

/// Lets every child waiting on its standard input start.
fn release(children: &mut [Running]) {
    for running in children {
        if let Some(mut stdin) = running.child.stdin.take() {
            let _ = stdin.write_all(b"g");
        }
    }
}

/// Classifies a copy of the database files, taken while nobody writes them, so that the
/// original is left for the survivors.
fn classify_copy(path: &Path, journal: Journal, set: &Migrations) -> Result<Class, String> {
    let copy = tempfile::tempdir().map_err(s)?;
    let copied = copy.path().join("copy.db");
    for suffix in ["", "-journal", "-wal"] {
        let from = format!("{}{suffix}", path.display());
        if Path::new(&from).exists() {
            std::fs::copy(&from, format!("{}{suffix}", copied.display())).map_err(s)?;
        }
    }
    classify(&copied, journal, set)
}

/// Waits for the moment `aim` names in whichever child applies the set: the event is awaited
/// from each child in turn with a short limit until one prints it.
fn aim_at_leader(plan: &Plan<'_>, aim: Aim, children: &mut [Running], rng: &mut Rng) {
    if let Aim::Uniform = aim {
        // Over the timed child's migrations, from its first start to its last end.
        let (from, to) = plan.window(0);
        std::thread::sleep(Duration::from_micros(
            rng.below(to.saturating_sub(from).max(1)),
        ));
        return;
    }
    // Only the leader prints `started`; poll every child's events until one does.
    let deadline = std::time::Instant::now() + plan.took * 4 + Duration::from_secs(5);
    let wanted = match aim {
        Aim::Inside { no_transaction } => {
            let Some(v) = plan.pick_inside(rng, 0, no_transaction) else {
                return;
            };
            format!("started {v}")
        }
        _ => format!(
            "finished {}",
            rng.range(1, plan.set.latest_version() as u64 - 1)
        ),
    };
    while std::time::Instant::now() < deadline {
        if children
            .iter_mut()
            .any(|c| c.wait_for(&wanted, Duration::from_micros(200)))
        {
            break;
        }
    }
    let micros = match wanted.strip_prefix("started ") {
        Some(v) => plan.length(v.parse().unwrap_or(1)),
        None => Duration::from_millis(PAUSE_MS).as_micros() as u64,
    };
    std::thread::sleep(Duration::from_micros(rng.below(micros)));
}

/// Children stopped with SIGSTOP until dropped (SIGCONT), so that the database files hold
/// still while they are copied.
struct Stopped(Vec<i32>);

impl Stopped {
    fn all_but(children: &[Running], victim: usize) -> Stopped {
        let pids: Vec<i32> = children
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != victim)
            .filter_map(|(_, c)| i32::try_from(c.child.id()).ok())
            .collect();
        for &pid in &pids {
            // SAFETY: plain kill(2) on a child of ours, not yet reaped.
            unsafe { libc::kill(pid, libc::SIGSTOP) };
        }
        // A stop signal takes effect asynchronously: wait until each is stopped (state `T`)
        // or gone.
        for &pid in &pids {
            for _ in 0..2_000 {
                let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
                    break;
                };
                let state = stat.rsplit(')').next().unwrap_or("").trim_start();
                if state.starts_with(['T', 't', 'Z', 'X']) {
                    break;
                }
                std::thread::sleep(Duration::from_micros(50));
            }
        }
        Stopped(pids)
    }
}

impl Drop for Stopped {
    fn drop(&mut self) {
        for &pid in &self.0 {
            // SAFETY: as in `all_but`.
            unsafe { libc::kill(pid, libc::SIGCONT) };
        }
    }
}
