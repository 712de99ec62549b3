//! Bad input at run time: each case is a typed error and applies nothing.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use migrate_runtime::rusqlite::{Connection, OpenFlags};
use migrate_runtime::{Error, Migrations};

use crate::common::{
    Ctx, DumpKind, Journal, Rng, Tally, dump, integrity, new_db, open, reference, s, same,
    tracking_at, tracking_complete,
};

type Case = fn(&Ctx, &mut Rng, Journal) -> Result<(), String>;

/// Whether a case is run once per journal mode, or once (its database is not opened in any
/// journal mode, so running it per mode would count one test twice).
#[derive(Clone, Copy, PartialEq)]
enum Modes {
    Each,
    Once,
}

const CASES: [(&str, Case, Modes); 11] = [
    ("tampered checksum", tampered_checksum, Modes::Each),
    ("row for an unknown version", unknown_version, Modes::Each),
    ("deleted rows leave a hole", hole, Modes::Each),
    (
        "schema_migrations with wrong columns",
        wrong_columns,
        Modes::Each,
    ),
    // Random bytes: no journal mode is ever set.
    ("not a database", not_a_database, Modes::Once),
    ("read-only database", read_only, Modes::Each),
    ("full disk", full_disk, Modes::Each),
    ("SQL error at statement K", sql_error, Modes::Each),
    ("foreign-key violation", foreign_key_violation, Modes::Each),
    (
        "rollback with a missing down file",
        missing_down,
        Modes::Each,
    ),
    (
        "interrupted no-transaction migration",
        interrupted_no_transaction,
        Modes::Each,
    ),
];

pub fn run(ctx: &Ctx, tally: &mut Tally) {
    let rounds = ctx.count(1, 25);
    for round in 0..rounds {
        for (name, case, modes) in CASES {
            for journal in Journal::ALL {
                if modes == Modes::Once {
                    if journal != Journal::ALL[0] {
                        continue;
                    }
                    tally.trial(&format!("{name} #{round}"), |rng| case(ctx, rng, journal));
                    continue;
                }
                tally.trial(&format!("{name} #{round} [{}]", journal.name()), |rng| {
                    case(ctx, rng, journal)
                });
            }
        }
    }
}

fn small() -> Migrations {
    reliability::set("small", 0).expect("known set")
}

fn small_files() -> Vec<(String, String)> {
    reliability::files("small", 0).expect("known set")
}

/// A database in `dir` with `set` applied up to `version`.
fn prepared(
    dir: &Path,
    journal: Journal,
    set: &Migrations,
    version: i64,
) -> Result<PathBuf, String> {
    let path = new_db(dir, "bad.db", journal)?;
    if version > 0 {
        set.runner()
            .target(version)
            .run(&mut open(&path)?)
            .map_err(s)?;
    }
    Ok(path)
}

fn unexpected(wanted: &str, got: Result<impl std::fmt::Debug, Error>) -> String {
    match got {
        Ok(report) => format!("expected {wanted}, but run succeeded: {report:?}"),
        Err(e) => format!("expected {wanted}, got {e:?} ({e})"),
    }
}

fn tampered_checksum(_: &Ctx, rng: &mut Rng, journal: Journal) -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(s)?;
    let set = small();
    // Always something pending (k < latest), so that "applies nothing" can fail.
    let k = rng.range(1, set.latest_version() as u64 - 1) as i64;
    let path = prepared(dir.path(), journal, &set, k)?;
    let tampered = rng.range(1, k as u64) as i64;
    let fake = format!("sha256:{:016x}{:048x}", rng.next_u64(), 0);
    let mut conn = open(&path)?;
    conn.execute(
        "UPDATE schema_migrations SET checksum = ?1 WHERE version = ?2",
        (&fake, tampered),
    )
    .map_err(s)?;
    let before = dump(&conn, DumpKind::Exact)?;
    match set.run(&mut conn) {
        Err(Error::Drift(drift)) => {
            let [d] = drift.as_slice() else {
                return Err(format!("expected drift of one migration, got {drift:?}"));
            };
            let m = set.get(tampered).expect("in the set");
            if d.migration.version != tampered
                || d.migration.file != m.file_name()
                || d.applied.to_string() != fake
                || d.embedded != m.checksum()
            {
                return Err(format!(
                    "drift names the wrong migration or checksums: {d:?}"
                ));
            }
        }
        other => return Err(unexpected("Error::Drift", other)),
    }
    same("after Drift", &dump(&conn, DumpKind::Exact)?, &before)
}

fn unknown_version(_: &Ctx, rng: &mut Rng, journal: Journal) -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(s)?;
    let set = small();
    let n = set.latest_version();
    let k = rng.range(1, n as u64 - 1) as i64;
    let path = prepared(dir.path(), journal, &set, k)?;
    let mut conn = open(&path)?;
    let mut ghosts: Vec<i64> = (0..rng.range(1, 3))
        .map(|_| n + rng.range(1, 50) as i64)
        .collect();
    ghosts.sort_unstable();
    ghosts.dedup();
    for v in &ghosts {
        conn.execute(
            "INSERT INTO schema_migrations (version, name, checksum, applied_at, execution_time_ms, history_checksum)
             VALUES (?1, 'from_the_future', 'sha256:00', '2026-01-01T00:00:00.000Z', 1, 'sha256:00')",
            [v],
        )
        .map_err(s)?;
    }
    let before = dump(&conn, DumpKind::Exact)?;
    match set.run(&mut conn) {
        Err(Error::UnknownApplied(unknown)) => {
            let versions: Vec<i64> = unknown.iter().map(|m| m.version).collect();
            if versions != ghosts || unknown.iter().any(|m| m.file != "from_the_future") {
                return Err(format!(
                    "expected unknown versions {ghosts:?}, got {unknown:?}"
                ));
            }
        }
        other => return Err(unexpected("Error::UnknownApplied", other)),
    }
    same(
        "after UnknownApplied",
        &dump(&conn, DumpKind::Exact)?,
        &before,
    )
}

fn hole(_: &Ctx, rng: &mut Rng, journal: Journal) -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(s)?;
    let set = small();
    let k = rng.range(2, set.latest_version() as u64) as i64;
    let path = prepared(dir.path(), journal, &set, k)?;
    let mut conn = open(&path)?;
    let mut deleted: Vec<i64> = (1..k).filter(|_| rng.chance(50)).collect();
    if deleted.is_empty() {
        deleted.push(rng.range(1, k as u64 - 1) as i64);
    }
    for v in &deleted {
        conn.execute("DELETE FROM schema_migrations WHERE version = ?1", [v])
            .map_err(s)?;
    }
    let before = dump(&conn, DumpKind::Exact)?;
    match set.run(&mut conn) {
        Err(Error::Holes(holes)) => {
            let versions: Vec<i64> = holes.iter().map(|m| m.version).collect();
            let files_ok = holes
                .iter()
                .all(|m| set.get(m.version).is_some_and(|x| x.file_name() == m.file));
            if versions != deleted || !files_ok {
                return Err(format!("expected holes {deleted:?}, got {holes:?}"));
            }
        }
        other => return Err(unexpected("Error::Holes", other)),
    }
    same("after Holes", &dump(&conn, DumpKind::Exact)?, &before)
}

fn wrong_columns(_: &Ctx, rng: &mut Rng, journal: Journal) -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(s)?;
    let set = small();
    let path = new_db(dir.path(), "bad.db", journal)?;
    let mut conn = open(&path)?;
    let layouts = [
        "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT)",
        "CREATE TABLE schema_migrations (id INTEGER PRIMARY KEY, script TEXT, hash TEXT)",
        "CREATE TABLE schema_migrations (version TEXT, dirty INTEGER)",
        "CREATE TABLE schema_migrations (version INTEGER, name TEXT, checksum TEXT, applied_at TEXT)",
    ];
    let layout = rng.pick(&layouts);
    conn.execute_batch(layout).map_err(s)?;
    if rng.chance(50) {
        conn.execute_batch("INSERT INTO schema_migrations DEFAULT VALUES")
            .map_err(s)?;
    }
    let before = dump(&conn, DumpKind::Exact)?;
    match set.run(&mut conn) {
        Err(Error::TrackingTable { table, .. }) if table == "schema_migrations" => {}
        other => return Err(unexpected("Error::TrackingTable", other)),
    }
    same(
        &format!("after TrackingTable ({layout})"),
        &dump(&conn, DumpKind::Exact)?,
        &before,
    )
}

fn not_a_database(_: &Ctx, rng: &mut Rng, _journal: Journal) -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(s)?;
    let set = small();
    let path = dir.path().join("random.db");
    let len = rng.range(100, 16_384) as usize;
    let mut bytes: Vec<u8> = (0..len).map(|_| rng.next_u64() as u8).collect();
    if rng.chance(30) {
        // Starts like a text file.
        bytes[..16].copy_from_slice(b"not a database!\n");
    }
    std::fs::write(&path, &bytes).map_err(s)?;
    let mut conn = Connection::open(&path).map_err(s)?;
    match set.run(&mut conn) {
        Err(Error::NotADatabase { path: p }) if p == path => {}
        other => return Err(unexpected("Error::NotADatabase naming the file", other)),
    }
    drop(conn);
    if std::fs::read(&path).map_err(s)? != bytes {
        return Err("the file's bytes changed".to_owned());
    }
    Ok(())
}

fn read_only(_: &Ctx, rng: &mut Rng, journal: Journal) -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(s)?;
    let set = small();
    let k = rng.below(set.latest_version() as u64) as i64;
    let path = prepared(dir.path(), journal, &set, k)?;
    let before = dump(&open(&path)?, DumpKind::Exact)?;
    let bytes = std::fs::read(&path).map_err(s)?;
    // Tests run as root, where file permissions are not enforced: make the connection
    // genuinely read-only instead.
    let query_only = rng.chance(30);
    let mut conn = if query_only {
        let conn = open(&path)?;
        conn.execute_batch("PRAGMA query_only = ON").map_err(s)?;
        conn
    } else {
        Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(s)?
    };
    match set.run(&mut conn) {
        Err(Error::ReadOnly { path: p, .. }) if p == path => {}
        other => {
            return Err(unexpected(
                &format!("Error::ReadOnly (query_only={query_only}, at version {k})"),
                other,
            ));
        }
    }
    same("after ReadOnly", &dump(&conn, DumpKind::Exact)?, &before)?;
    drop(conn);
    if journal == Journal::Rollback && std::fs::read(&path).map_err(s)? != bytes {
        return Err("the file's bytes changed".to_owned());
    }
    Ok(())
}

fn full_disk(_: &Ctx, rng: &mut Rng, journal: Journal) -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(s)?;
    let mut files = small_files();
    files.truncate(3);
    files.push((
        "0004_bulk.sql".to_owned(),
        "CREATE TABLE bulk (x INTEGER NOT NULL, pad TEXT NOT NULL);\n\
         WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 20000)\n\
         INSERT INTO bulk SELECT x, printf('%0200d', x) FROM c;\n\
         INSERT INTO log VALUES (4);\n"
            .to_owned(),
    ));
    let set = Migrations::from_files(files).map_err(s)?;
    let path = prepared(dir.path(), journal, &set, 3)?;
    let mut conn = open(&path)?;
    let before = dump(&conn, DumpKind::ExactButHistory)?;
    let pages: i64 = conn
        .query_row("PRAGMA page_count", [], |r| r.get(0))
        .map_err(s)?;
    let limit = pages + rng.range(2, 12) as i64;
    let _: i64 = conn
        .query_row(&format!("PRAGMA max_page_count = {limit}"), [], |r| {
            r.get(0)
        })
        .map_err(s)?;
    match set.run(&mut conn) {
        Err(Error::Statement(failure)) => {
            let full = failure.extended_code.is_some_and(|c| c & 0xff == 13);
            let message = Error::Statement(failure.clone()).to_string();
            if failure.migration.version != 4
                || !full
                || !message.starts_with("migration 4 (0004_bulk.sql) failed at statement ")
            {
                return Err(format!(
                    "expected SQLITE_FULL naming migration 4 and its statement, got {failure:?}"
                ));
            }
        }
        other => return Err(unexpected("Error::Statement with SQLITE_FULL", other)),
    }
    integrity(&conn)?;
    same(
        "after the full disk",
        &dump(&conn, DumpKind::ExactButHistory)?,
        &before,
    )?;
    // Room again: the migration applies.
    let _: i64 = conn
        .query_row("PRAGMA max_page_count = 1073741823", [], |r| r.get(0))
        .map_err(s)?;
    set.run(&mut conn)
        .map_err(|e| format!("after freeing space: {e}"))?;
    tracking_complete(&conn, &set)
}

fn sql_error(_: &Ctx, rng: &mut Rng, journal: Journal) -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(s)?;
    let base = small_files();
    let m = rng.range(1, base.len() as u64) as usize;
    let mut files: Vec<(String, String)> = base[..m - 1].to_vec();
    // Migration m: K-1 good statements, the bad one, a few good ones, with blank lines and
    // comments between them so that the reported line is checked too.
    let k = rng.range(1, 6) as usize;
    let mut sql = String::new();
    let mut line = 1;
    let mut bad_line = 0;
    let filler = |sql: &mut String, line: &mut u32, rng: &mut Rng| {
        for _ in 0..rng.below(3) {
            if rng.chance(50) {
                sql.push('\n');
            } else {
                sql.push_str("-- a comment; with a semicolon\n");
            }
            *line += 1;
        }
    };
    for i in 1..=k + rng.below(3) as usize {
        filler(&mut sql, &mut line, rng);
        if i == k {
            bad_line = line;
            let bad = *rng.pick(&[
                "INSERT INTO no_such_table VALUES (1);",
                "SELECT * FROM;",
                "CREATE TABLE sqlite_reserved (x);",
                "INSERT INTO bad_1 VALUES (1, 2, 3);",
                "SELECT no_such_function(1);",
            ]);
            sql.push_str(bad);
            sql.push('\n');
        } else {
            sql.push_str(&format!(
                "CREATE TABLE bad_{i} (x);\nINSERT INTO bad_{i}\n  VALUES ({i});\n"
            ));
            // Two statements over three lines: counts as two statements.
            line += 3;
            continue;
        }
        line += 1;
    }
    // Statement numbers: each good block is two statements.
    let k_index = 2 * (k - 1) + 1;
    files.push((format!("{m:04}_broken.sql"), sql.clone()));
    let set = Migrations::from_files(files).map_err(s)?;
    let p = rng.below(m as u64) as i64; // already applied: 0..=m-1
    let path = prepared(dir.path(), journal, &set, p)?;
    let mut conn = open(&path)?;
    match set.run(&mut conn) {
        Err(Error::Statement(f)) => {
            let applied: Vec<i64> = (p + 1..m as i64).collect();
            if f.migration.version != m as i64
                || f.migration.file != format!("{m:04}_broken.sql")
                || f.statement_index != k_index
                || f.line != bad_line
                || f.applied != applied
                || f.message.is_empty()
            {
                return Err(format!(
                    "expected migration {m} statement {k_index} line {bad_line} applied {applied:?}, got {f:?}\n{sql}"
                ));
            }
        }
        other => return Err(unexpected("Error::Statement", other)),
    }
    integrity(&conn)?;
    let (expected, _) = reference(dir.path(), "ref.db", journal, &set, Some(m as i64 - 1))?;
    same(
        "after the failed migration vs migrations before it",
        &dump(&conn, DumpKind::Logical)?,
        &expected,
    )?;
    tracking_at(&conn, &set, m as i64 - 1)?;
    let failed: i64 = conn
        .query_row(
            "SELECT count(*) FROM schema_migrations_history WHERE event = 'failed' AND version = ?1",
            [m as i64],
            |r| r.get(0),
        )
        .map_err(s)?;
    if failed != 1 {
        return Err(format!(
            "{failed} failed attempts recorded for migration {m}, expected 1"
        ));
    }
    Ok(())
}

fn foreign_key_violation(_: &Ctx, rng: &mut Rng, journal: Journal) -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(s)?;
    let mut files = small_files();
    files.truncate(5); // without the view, which a rebuild of `orders` would trip over
    let orphan = rng.chance(50);
    let sql = if orphan {
        "CREATE TABLE orders_new (id INTEGER PRIMARY KEY, person_id INTEGER NOT NULL REFERENCES people (id), total INTEGER NOT NULL, note TEXT);\n\
         INSERT INTO orders_new (id, person_id, total) SELECT id, person_id, total FROM orders;\n\
         DROP TABLE orders;\n\
         ALTER TABLE orders_new RENAME TO orders;\n\
         INSERT INTO orders (id, person_id, total) VALUES (100, 99, 1);\n"
    } else {
        "DELETE FROM people WHERE id = 2;\n"
    };
    files.push(("0006_break.sql".to_owned(), sql.to_owned()));
    let set = Migrations::from_files(files).map_err(s)?;
    let p = rng.range(0, 5) as i64;
    let path = prepared(dir.path(), journal, &set, p)?;
    let mut conn = open(&path)?;
    conn.execute_batch("PRAGMA foreign_keys = ON").map_err(s)?;
    let expected_rowid = if orphan { 100 } else { 2 };
    match set.run(&mut conn) {
        Err(Error::ForeignKeys {
            migration,
            violations,
            applied,
        }) => {
            let ok = migration.version == 6
                && violations.len() == 1
                && violations[0].table == "orders"
                && violations[0].parent == "people"
                && violations[0].rowid == Some(expected_rowid)
                && applied == (p + 1..6).collect::<Vec<_>>();
            if !ok {
                return Err(format!(
                    "wrong ForeignKeys error: {migration:?} {violations:?} applied {applied:?}"
                ));
            }
        }
        other => return Err(unexpected("Error::ForeignKeys", other)),
    }
    let fk: bool = conn
        .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
        .map_err(s)?;
    if !fk {
        return Err("foreign_keys was not turned back on".to_owned());
    }
    integrity(&conn)?;
    let (expected, _) = reference(dir.path(), "ref.db", journal, &set, Some(5))?;
    same(
        "after the violation",
        &dump(&conn, DumpKind::Logical)?,
        &expected,
    )?;
    tracking_at(&conn, &set, 5)
}

fn missing_down(_: &Ctx, rng: &mut Rng, journal: Journal) -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(s)?;
    let mut files = small_files();
    let n = files.len();
    let downs = [
        "DROP TABLE log;\nDROP TABLE people;\n",
        "DELETE FROM people;\nDELETE FROM log WHERE v = 2;\n",
        "DROP TABLE orders;\nDELETE FROM log WHERE v = 3;\n",
        "DROP INDEX orders_person;\nDELETE FROM log WHERE v IN (41, 42);\n",
        "DROP TABLE counter;\nDELETE FROM log WHERE v = 5;\n",
        "DROP VIEW totals;\nDELETE FROM log WHERE v = 6;\n",
    ];
    // Every migration has a down file but a random few in the range rolled back.
    let target = rng.below(n as u64 - 1) as usize; // roll back to 0..=n-2
    let mut missing: Vec<usize> = (target + 1..=n).filter(|_| rng.chance(30)).collect();
    if missing.is_empty() {
        missing.push(rng.range(target as u64 + 1, n as u64) as usize);
    }
    for v in 1..=n {
        if !missing.contains(&v) {
            let up = files[v - 1].0.clone();
            files.push((up.replace(".sql", ".down.sql"), downs[v - 1].to_owned()));
        }
    }
    let set = Migrations::from_files(files).map_err(s)?;
    let path = prepared(dir.path(), journal, &set, n as i64)?;
    let mut conn = open(&path)?;
    let before = dump(&conn, DumpKind::Exact)?;
    match set.rollback_to(&mut conn, target as i64) {
        Err(Error::MissingDown(refs)) => {
            let versions: Vec<usize> = refs.iter().map(|m| m.version as usize).collect();
            let mut sorted = versions.clone();
            sorted.sort_unstable();
            if sorted != missing {
                return Err(format!(
                    "expected MissingDown for {missing:?}, got {refs:?}"
                ));
            }
        }
        other => return Err(unexpected("Error::MissingDown", other)),
    }
    same("after MissingDown", &dump(&conn, DumpKind::Exact)?, &before)
}

/// A child applies a set whose migration 2 runs outside a transaction; the parent watches its
/// progress and kills it once statement 1 or 2 of 4 has run (a slow statement follows either,
/// so the kill lands inside the migration). The rerun resumes: every statement's
/// effect is present once.
fn interrupted_no_transaction(ctx: &Ctx, rng: &mut Rng, journal: Journal) -> Result<(), String> {
    let rows = 150_000;
    let set = reliability::set("crash_mixed", rows).expect("known set");
    let dir = tempfile::tempdir().map_err(s)?;
    let (expected, _) = reference(dir.path(), "ref.db", journal, &set, None)?;
    let statements = set.get(2).expect("version 2").statement_count() as i64;
    let mut last = String::new();
    for attempt in 0..5 {
        let path = new_db(dir.path(), &format!("interrupted-{attempt}.db"), journal)?;
        let stop_after = rng.range(1, 2) as i64;
        let mut child = Command::new(ctx.migrator)
            .args(["crash_mixed", &rows.to_string()])
            .arg(&path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(s)?;
        let watcher =
            Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(s)?;
        watcher.busy_timeout(Duration::from_secs(5)).map_err(s)?;
        let started = Instant::now();
        let mut seen = false;
        while started.elapsed() < Duration::from_secs(60) {
            let done: Option<i64> = watcher
                .query_row(
                    "SELECT statements_done FROM schema_migrations_progress WHERE version = 2",
                    [],
                    |r| r.get(0),
                )
                .ok();
            if done.is_some_and(|d| d >= stop_after) {
                seen = true;
                break;
            }
            if child.try_wait().map_err(s)?.is_some() {
                break;
            }
            std::thread::sleep(Duration::from_micros(500));
        }
        drop(watcher);
        let _ = child.kill();
        let _ = child.wait();
        if !seen {
            last = "the child finished or never got there".to_owned();
            continue;
        }
        let mut conn = open(&path)?;
        integrity(&conn)?;
        let applied2: i64 = conn
            .query_row(
                "SELECT count(*) FROM schema_migrations WHERE version = 2",
                [],
                |r| r.get(0),
            )
            .map_err(s)?;
        let done: Option<i64> = conn
            .query_row(
                "SELECT statements_done FROM schema_migrations_progress WHERE version = 2",
                [],
                |r| r.get(0),
            )
            .ok();
        if applied2 == 1 {
            last = format!(
                "migration 2 completed before the kill landed (wanted stop after {stop_after})"
            );
            continue;
        }
        let Some(done) = done.filter(|d| (1..=statements).contains(d)) else {
            return Err(format!(
                "after the kill: migration 2 not applied and progress {done:?}"
            ));
        };
        let report = set
            .run(&mut conn)
            .map_err(|e| format!("the rerun after the kill at statement {done}: {e}"))?;
        if report.applied.first().map(|a| a.version) != Some(2) {
            return Err(format!(
                "the rerun did not start with migration 2: {report:?}"
            ));
        }
        integrity(&conn)?;
        same(
            &format!("resumed after statement {done} of migration 2 vs a straight apply"),
            &dump(&conn, DumpKind::Logical)?,
            &expected,
        )?;
        return tracking_complete(&conn, &set);
    }
    Err(format!(
        "could not interrupt migration 2 in five attempts: {last}"
    ))
}
