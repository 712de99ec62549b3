//! Lock holder: another connection holds a write transaction longer than the busy timeout.
//! `run` fails with `Error::Locked` saying so and changes nothing; once the holder commits,
//! `run` succeeds.

use std::time::Duration;

use migrate_runtime::Error;
use migrate_runtime::rusqlite::{Connection, OpenFlags};

use crate::common::{
    Ctx, DumpKind, Journal, Tally, dump, integrity, new_db, open, reference, s, same,
    tracking_complete,
};

pub fn run(ctx: &Ctx, tally: &mut Tally) {
    let trials = ctx.count(8, 200);
    let set = reliability::set("small", 0).expect("known set");
    let n = set.latest_version();
    for i in 0..trials {
        let journal = Journal::ALL[i % 2];
        let exclusive = i % 4 >= 2;
        let begin = if exclusive {
            "BEGIN EXCLUSIVE"
        } else {
            "BEGIN IMMEDIATE"
        };
        tally.trial(
            &format!("holder #{i} [{begin}, {}]", journal.name()),
            |rng| {
                let dir = tempfile::tempdir().map_err(s)?;
                let (expected, _) = reference(dir.path(), "reference.db", journal, &set, None)?;
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
                let busy = Duration::from_millis(rng.range(10, 150));
                conn.busy_timeout(busy).map_err(s)?;
                match set.run(&mut conn) {
                    Err(e @ Error::Locked { .. }) => {
                        let message = e.to_string();
                        if !message.contains("locked by another connection") {
                            return Err(format!("Locked, but the message is `{message}`"));
                        }
                    }
                    Err(e) => return Err(format!("expected Error::Locked, got {e:?}")),
                    Ok(report) => {
                        return Err(format!(
                            "run succeeded while another connection held the lock: {report:?}"
                        ));
                    }
                }
                // While the holder still holds its lock, what is committed is unchanged.
                if journal == Journal::Wal || !exclusive {
                    let observer =
                        Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_ONLY)
                            .map_err(s)?;
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
                let held: i64 = conn
                    .query_row("SELECT count(*) FROM holder_data", [], |r| r.get(0))
                    .map_err(s)?;
                if held != 1 {
                    return Err(format!("holder_data has {held} rows, expected 1"));
                }
                let report = set
                    .run(&mut conn)
                    .map_err(|e| format!("run after the holder committed: {e}"))?;
                let versions: Vec<i64> = report.applied.iter().map(|a| a.version).collect();
                if versions != ((already + 1)..=n).collect::<Vec<_>>() {
                    return Err(format!(
                        "applied {versions:?} after the holder committed, expected {}..={n}",
                        already + 1
                    ));
                }
                integrity(&conn)?;
                same(
                    "after the holder committed and run",
                    &dump(&conn, DumpKind::Logical)?.without("holder_data"),
                    &expected,
                )?;
                tracking_complete(&conn, &set)
            },
        );
    }
}
