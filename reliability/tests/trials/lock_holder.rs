//! Lock holder: another connection holds a write transaction (`BEGIN IMMEDIATE` or `BEGIN
//! EXCLUSIVE`, rollback-journal or WAL) while `run` starts. When it holds on past the busy
//! timeout, `run` gives up with `Error::Locked` saying so, only after waiting the whole busy
//! timeout, and changes nothing; once the holder commits, `run` succeeds. When the holder
//! commits on another thread about half-way through the busy timeout, that same `run` waits
//! for it and succeeds.

use std::time::{Duration, Instant};

use migrate_runtime::rusqlite::{Connection, OpenFlags};
use migrate_runtime::{Error, Migrations};

use crate::common::{
    Ctx, Dump, DumpKind, Journal, Rng, Tally, dump, integrity, new_db, open, reference, s, same,
    tracking_complete,
};

pub fn run(ctx: &Ctx, tally: &mut Tally) {
    let trials = ctx.count(8, 200);
    let set = reliability::set("small", 0).expect("known set");
    for i in 0..trials {
        // The bounded run has each combination once.
        let journal = Journal::ALL[i % 2];
        let exclusive = i % 4 >= 2;
        let commits = i % 8 >= 4;
        let begin = if exclusive {
            "BEGIN EXCLUSIVE"
        } else {
            "BEGIN IMMEDIATE"
        };
        let outcome = if commits {
            "commits half-way"
        } else {
            "holds on"
        };
        tally.trial(
            &format!("holder #{i} [{begin}, {}, {outcome}]", journal.name()),
            |rng| trial(i, &set, journal, begin, commits, rng),
        );
    }
}

fn trial(
    i: usize,
    set: &Migrations,
    journal: Journal,
    begin: &str,
    commits: bool,
    rng: &mut Rng,
) -> Result<(), String> {
    let n = set.latest_version();
    let dir = tempfile::tempdir().map_err(s)?;
    let (expected, _) = reference(dir.path(), "reference.db", journal, set, None)?;
    let path = new_db(dir.path(), "held.db", journal)?;
    let already = rng.below(n as u64) as i64;
    {
        let mut conn = open(&path)?;
        conn.execute_batch("CREATE TABLE holder_data (x INTEGER)")
            .map_err(s)?;
        if already > 0 {
            set.runner().target(already).run(&mut conn).map_err(s)?;
        }
    }
    let before = dump(&open(&path)?, DumpKind::Exact)?;

    let holder = open(&path)?;
    holder.execute_batch(begin).map_err(s)?;
    holder
        .execute("INSERT INTO holder_data VALUES (?1)", [i as i64])
        .map_err(s)?;

    let mut conn = Connection::open(&path).map_err(s)?;
    if commits {
        return commits_half_way(conn, holder, set, already, &expected, rng);
    }

    let busy = Duration::from_millis(rng.range(10, 150));
    conn.busy_timeout(busy).map_err(s)?;
    let started = Instant::now();
    let result = set.run(&mut conn);
    let elapsed = started.elapsed();
    let e = match result {
        Err(e) => e,
        Ok(report) => {
            return Err(format!(
                "run succeeded while another connection held the lock: {report:?}"
            ));
        }
    };
    let message = e.to_string();
    let Error::Locked { waited, migration } = e else {
        return Err(format!("expected Error::Locked, got {e:?}"));
    };
    if !message.contains("locked by another connection") {
        return Err(format!("Locked, but the message is `{message}`"));
    }
    // Giving up before the busy timeout is over would fail callers who asked to wait.
    if elapsed < busy || waited < busy {
        return Err(format!(
            "Locked after {elapsed:.1?} (waited {waited:.1?} by the error), before the busy timeout of {busy:?}"
        ));
    }
    // The runtime gives up at the planning transaction, before it has read under the lock
    // what is pending, and names no migration then; when it names one, it must be the next.
    if let Some(m) = migration {
        let next = set
            .iter()
            .find(|x| x.version() == already + 1)
            .ok_or("no next migration")?;
        if m.version != already + 1 || m.file != next.file_name() {
            return Err(format!(
                "Locked names {m}, but the next migration is {} ({})",
                already + 1,
                next.file_name()
            ));
        }
    }
    // While the holder still holds its lock, what is committed is unchanged (an exclusive
    // lock in rollback-journal mode keeps readers out).
    if journal == Journal::Wal || begin != "BEGIN EXCLUSIVE" {
        let observer =
            Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(s)?;
        same(
            "committed state while the lock is held",
            &dump(&observer, DumpKind::Exact)?,
            &before,
        )?;
    }
    holder.execute_batch("COMMIT").map_err(s)?;
    drop(holder);
    let after = dump(&conn, DumpKind::Exact)?;
    same(
        "after the holder committed (except its own table)",
        &after.clone().without("holder_data"),
        &before.clone().without("holder_data"),
    )?;
    let report = set
        .run(&mut conn)
        .map_err(|e| format!("run after the holder committed: {e}"))?;
    applied_from(&report, already, n, "after the holder committed")?;
    finished_state(&conn, set, &expected)
}

/// The holder commits on another thread half-way through `conn`'s busy timeout: the run
/// waits for it and applies what is pending.
fn commits_half_way(
    mut conn: Connection,
    holder: Connection,
    set: &Migrations,
    already: i64,
    expected: &Dump,
    rng: &mut Rng,
) -> Result<(), String> {
    let n = set.latest_version();
    // Long enough that the holder's thread, woken half-way, commits well before the
    // timeout even on a loaded machine.
    let busy = Duration::from_millis(rng.range(500, 900));
    conn.busy_timeout(busy).map_err(s)?;
    let (started, result, finished, committing) = std::thread::scope(|scope| {
        let holding = scope.spawn(move || {
            std::thread::sleep(busy / 2);
            let committing = Instant::now();
            holder.execute_batch("COMMIT").map(|()| committing)
        });
        let started = Instant::now();
        let result = set.run(&mut conn);
        let finished = Instant::now();
        let committing = holding.join();
        (started, result, finished, committing)
    });
    let committing = committing
        .map_err(|_| "the holder's thread panicked".to_owned())?
        .map_err(|e| format!("the holder's COMMIT: {e}"))?;
    let report = result.map_err(|e| {
        format!(
            "run failed although the holder committed {:.1?} after it started, within its busy timeout of {busy:?}: {e}",
            committing.saturating_duration_since(started)
        )
    })?;
    // Its write lock could not be had before the holder began to commit.
    if finished <= committing {
        return Err(format!(
            "run finished {:.1?} before the holder committed: it did not wait for the lock",
            committing - finished
        ));
    }
    applied_from(&report, already, n, "while the holder committed")?;
    finished_state(&conn, set, expected)
}

/// The run applied exactly `already + 1..=n`.
fn applied_from(
    report: &migrate_runtime::Report,
    already: i64,
    n: i64,
    when: &str,
) -> Result<(), String> {
    let versions: Vec<i64> = report.applied.iter().map(|a| a.version).collect();
    if versions != ((already + 1)..=n).collect::<Vec<_>>() {
        return Err(format!(
            "applied {versions:?} {when}, expected {}..={n}",
            already + 1
        ));
    }
    Ok(())
}

/// The holder's one row is kept, and the rest equals a straight apply of `set`.
fn finished_state(conn: &Connection, set: &Migrations, expected: &Dump) -> Result<(), String> {
    let held: i64 = conn
        .query_row("SELECT count(*) FROM holder_data", [], |r| r.get(0))
        .map_err(s)?;
    if held != 1 {
        return Err(format!("holder_data has {held} rows, expected 1"));
    }
    integrity(conn)?;
    same(
        "after the holder committed and run",
        &dump(conn, DumpKind::Logical)?.without("holder_data"),
        expected,
    )?;
    tracking_complete(conn, set)
}
