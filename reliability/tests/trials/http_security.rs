//! HTTP security: hostile requests against the admin's router on a loopback port, written by
//! hand on a TCP connection so that nothing normalises them: no token, wrong tokens, tokens in
//! the query string or a cookie, a very long token, oversized bodies, non-numeric, negative
//! and huge versions, path tricks, wrong methods, and concurrent rollbacks. Each trial checks
//! the status code, that the whole answer (status line, headers, body) echoes neither the
//! token nor the 64 KiB long token, that the bytes of `app.db` (and of `app.db-wal` when there
//! is one) are the same before and after the request, that the logical content is the same,
//! and that no backup was written.

use std::sync::{Arc, Barrier};
use std::time::Duration;

use migrate_runtime::Migrations;

use crate::common::{
    Ctx, DumpKind, Journal, Rng, Tally, dump, new_db, open, s, same, user_version,
};
use crate::web::{Server, TOKEN, build, leak, raw, raw_answer};

/// A set whose versions 1, 2 and 4 have down files, and 3 has none; the database is at 4.
fn set() -> Migrations {
    Migrations::from_files([
        (
            "0001_people.sql",
            "CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n",
        ),
        ("0001_people.down.sql", "DROP TABLE people;\n"),
        (
            "0002_seed.sql",
            "INSERT INTO people (name) VALUES ('ada'), ('grace');\n",
        ),
        ("0002_seed.down.sql", "DELETE FROM people;\n"),
        (
            "0003_orders.sql",
            "CREATE TABLE orders (id INTEGER PRIMARY KEY, person INTEGER);\n",
        ),
        (
            "0004_index.sql",
            "CREATE INDEX orders_person ON orders (person);\n",
        ),
        ("0004_index.down.sql", "DROP INDEX orders_person;\n"),
        ("0005_pending.sql", "CREATE TABLE later (x);\n"),
    ])
    .expect("a valid set")
}

/// The over-long token one case sends: 64 KiB.
fn long_token() -> String {
    "t".repeat(64 * 1024)
}

/// The bytes of the database file and of its WAL when there is one (the shared-memory index
/// and the lock file are not the database).
fn database_bytes(path: &std::path::Path) -> Result<Vec<(String, Vec<u8>)>, String> {
    let mut files = vec![("app.db".to_owned(), std::fs::read(path).map_err(s)?)];
    let wal = migrate_test_kit::with_suffix(path, "-wal");
    if wal.exists() {
        files.push(("app.db-wal".to_owned(), std::fs::read(&wal).map_err(s)?));
    }
    Ok(files)
}

/// One hostile request and the status it must get.
struct Case {
    what: String,
    request: Vec<u8>,
    /// Acceptable statuses (a long header may be refused by the HTTP layer itself).
    expected: &'static [u16],
}

fn cases() -> Vec<Case> {
    let bearer = |token: &str| ("Authorization", format!("Bearer {token}"));
    let good = || bearer(TOKEN);
    let p = |path: &str| format!("{}{path}", crate::web::PREFIX);
    let mut cases = Vec::new();
    let mut add = |what: &str, request: Vec<u8>, expected: &'static [u16]| {
        cases.push(Case {
            what: what.to_owned(),
            request,
            expected,
        });
    };
    // Authentication.
    add("no token", build("GET", &p("/status"), &[], b""), &[401]);
    add(
        "no token, POST /run",
        build("POST", &p("/run"), &[], b""),
        &[401],
    );
    add(
        "no token, rollback",
        build("POST", &p("/rollback/4"), &[], b""),
        &[401],
    );
    add(
        "no token, HEAD",
        build("HEAD", &p("/status"), &[], b""),
        &[401],
    );
    add(
        "wrong token",
        build(
            "GET",
            &p("/status"),
            &[bearer("reliability-admin-token-0123456788")],
            b"",
        ),
        &[401],
    );
    add(
        "token with a suffix",
        build("GET", &p("/status"), &[bearer(&format!("{TOKEN}x"))], b""),
        &[401],
    );
    add(
        "token prefix only",
        build("POST", &p("/run"), &[bearer(&TOKEN[..20])], b""),
        &[401],
    );
    add(
        "token of another case",
        build("GET", &p("/history"), &[bearer(&TOKEN.to_uppercase())], b""),
        &[401],
    );
    add(
        "token in the query",
        build("GET", &p(&format!("/status?token={TOKEN}")), &[], b""),
        &[401],
    );
    add(
        "access_token in the query",
        build("POST", &p(&format!("/run?access_token={TOKEN}")), &[], b""),
        &[401],
    );
    add(
        "token in a cookie",
        build(
            "GET",
            &p("/status"),
            &[("Cookie", format!("token={TOKEN}; admin={TOKEN}"))],
            b"",
        ),
        &[401],
    );
    add(
        "token without a scheme",
        build(
            "GET",
            &p("/status"),
            &[("Authorization", TOKEN.to_owned())],
            b"",
        ),
        &[401],
    );
    add(
        "basic auth",
        build(
            "GET",
            &p("/status"),
            &[("Authorization", "Basic YWRtaW46YWRtaW4=".to_owned())],
            b"",
        ),
        &[401],
    );
    add(
        "token in another header",
        build(
            "GET",
            &p("/status"),
            &[("X-Admin-Token", TOKEN.to_owned())],
            b"",
        ),
        &[401],
    );
    add(
        "two authorization headers",
        build("GET", &p("/status"), &[good(), good()], b""),
        &[401],
    );
    add(
        "long token",
        build("GET", &p("/status"), &[bearer(&long_token())], b""),
        &[401, 431],
    );
    add(
        "empty bearer",
        build(
            "POST",
            &p("/rollback/4"),
            &[("Authorization", "Bearer".to_owned())],
            b"",
        ),
        &[401],
    );
    // Bodies.
    add(
        "oversized body",
        build("POST", &p("/run"), &[good()], &vec![b'x'; 1 << 20]),
        &[413],
    );
    let mut chunked = Vec::new();
    for _ in 0..40 {
        chunked.extend(b"1000\r\n");
        chunked.extend(vec![b'y'; 0x1000]);
        chunked.extend(b"\r\n");
    }
    chunked.extend(b"0\r\n\r\n");
    add(
        "oversized chunked body",
        build(
            "POST",
            &p("/rollback/4"),
            &[good(), ("Transfer-Encoding", "chunked".to_owned())],
            &chunked,
        ),
        &[413],
    );
    add(
        "oversized body without token",
        build("POST", &p("/run"), &[], &vec![b'x'; 1 << 20]),
        &[413],
    );
    // Versions.
    for (version, expected) in [
        ("abc", &[400][..]),
        ("-1", &[400]),
        ("0", &[400]),
        ("%2D1", &[400]),
        ("+4", &[400]),
        ("4.0", &[400]),
        ("1e3", &[400]),
        ("0x4", &[400]),
        ("99999999999999999999999999", &[400]),
        ("9223372036854775808", &[400]),
        ("%00", &[400]),
        ("4%00", &[400]),
        ("..%2F..%2Fstatus", &[400]),
        ("%E2%80%8B4", &[400]),
        ("%FF", &[400]),
        ("5", &[409]),
        ("9223372036854775807", &[409]),
        ("3", &[409]),
    ] {
        add(
            &format!("rollback/{version}"),
            build("POST", &p(&format!("/rollback/{version}")), &[good()], b""),
            expected,
        );
    }
    add(
        "run with a negative target",
        build("POST", &p("/run?target=-3"), &[good()], b""),
        &[400],
    );
    add(
        "run with a huge target",
        build(
            "POST",
            &p("/run?target=99999999999999999999"),
            &[good()],
            b"",
        ),
        &[400],
    );
    add(
        "run with an unknown parameter",
        build("POST", &p("/run?dry_run=true&token=x"), &[good()], b""),
        &[400],
    );
    // Paths.
    add(
        "dot-dot",
        build("GET", &p("/../migrations/status"), &[], b""),
        &[404],
    );
    add(
        "encoded dot-dot",
        build("GET", &p("/%2e%2e/migrations/status"), &[], b""),
        &[404],
    );
    add(
        "double slash",
        build("GET", &p("//status"), &[], b""),
        &[404],
    );
    add(
        "trailing slash",
        build("GET", &p("/status/"), &[], b""),
        &[404],
    );
    add(
        "encoded letter",
        build("GET", &p("/%73tatus"), &[], b""),
        &[404],
    );
    add(
        "upper case",
        build("GET", &p("/STATUS"), &[good()], b""),
        &[404],
    );
    add(
        "rollback without version",
        build("POST", &p("/rollback"), &[good()], b""),
        &[404],
    );
    add(
        "rollback with two segments",
        build("POST", &p("/rollback/4/3"), &[good()], b""),
        &[404],
    );
    add(
        "outside the mount point",
        build("GET", "/status", &[good()], b""),
        &[404],
    );
    // Methods.
    for (method, path) in [
        ("DELETE", "/status"),
        ("PUT", "/run"),
        ("GET", "/run"),
        ("GET", "/rollback/4"),
        ("DELETE", "/rollback/4"),
        ("PATCH", "/history"),
        ("POST", "/health"),
        ("POST", ""),
    ] {
        add(
            &format!("{method} {path}"),
            build(method, &p(path), &[], b""),
            &[405],
        );
        add(
            &format!("{method} {path} with token"),
            build(method, &p(path), &[good()], b""),
            &[405],
        );
    }
    cases
}

pub fn run(ctx: &Ctx, tally: &mut Tally) {
    let migrations = leak(set());
    let rounds = ctx.count(1, 20);
    let concurrent_rounds = ctx.count(2, 40);
    for round in 0..rounds {
        let journal = Journal::ALL[round % 2];
        let Ok(dir) = tempfile::tempdir() else {
            tally.record(
                "tempdir",
                0,
                Some("cannot create a temporary directory".into()),
            );
            return;
        };
        let prepared = prepare(dir.path(), journal, migrations);
        let (path, server) = match prepared {
            Ok(p) => p,
            Err(e) => {
                tally.record("setup", 0, Some(e));
                return;
            }
        };
        let mut cases = cases();
        // A different order each round.
        let mut rng = Rng::new(tally.next_seed());
        for i in (1..cases.len()).rev() {
            cases.swap(i, rng.below(i as u64 + 1) as usize);
        }
        let long = long_token();
        for case in cases {
            tally.trial(&format!("{} [{}]", case.what, journal.name()), |_| {
                // The dump's connection closes before the bytes are read (in WAL mode the
                // last connection to close checkpoints), and after the request the bytes are
                // read before the dump opens one.
                let before = dump(&open(&path)?, DumpKind::Exact)?;
                let bytes_before = database_bytes(&path)?;
                let answer = raw_answer(server.addr, &case.request)?;
                let (status, body) = (answer.status, &answer.body);
                let bytes_after = database_bytes(&path)?;
                if !case.expected.contains(&status) {
                    return Err(format!(
                        "status {status}, expected {:?}: {body}",
                        case.expected
                    ));
                }
                if answer.whole.contains(TOKEN) {
                    return Err("the answer echoes the token".into());
                }
                if answer.whole.contains(&long) {
                    return Err("the answer echoes the long token".into());
                }
                let names = |files: &[(String, Vec<u8>)]| {
                    files.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>()
                };
                if bytes_after != bytes_before {
                    return Err(format!(
                        "the database's bytes changed (files before {:?}, after {:?})",
                        names(&bytes_before),
                        names(&bytes_after)
                    ));
                }
                if status != 431 && !body.is_empty() && !is_json_error(body) {
                    return Err(format!("not a JSON answer: {body}"));
                }
                same(
                    "after a hostile request",
                    &dump(&open(&path)?, DumpKind::Exact)?,
                    &before,
                )?;
                no_backups(dir.path())
            });
        }
    }
    for round in 0..concurrent_rounds {
        let journal = Journal::ALL[round % 2];
        tally.trial(
            &format!("concurrent rollbacks #{round} [{}]", journal.name()),
            |rng| {
                let dir = tempfile::tempdir().map_err(s)?;
                let (path, server) = prepare(dir.path(), journal, migrations)?;
                let clients = rng.range(4, 12) as usize;
                let barrier = Arc::new(Barrier::new(clients));
                let request = build(
                    "POST",
                    &format!("{}/rollback/4", crate::web::PREFIX),
                    &[("Authorization", format!("Bearer {TOKEN}"))],
                    b"",
                );
                let threads: Vec<_> = (0..clients)
                    .map(|_| {
                        let (barrier, request, addr) =
                            (barrier.clone(), request.clone(), server.addr);
                        std::thread::spawn(move || {
                            barrier.wait();
                            raw(addr, &request)
                        })
                    })
                    .collect();
                let mut statuses = Vec::new();
                for thread in threads {
                    let (status, body) = thread
                        .join()
                        .map_err(|_| "a client panicked".to_owned())??;
                    if status == 409 && !body.contains("not applied") {
                        return Err(format!("409 without `not applied`: {body}"));
                    }
                    statuses.push(status);
                }
                statuses.sort();
                let mut expected = vec![200];
                expected.extend(vec![409; clients - 1]);
                if statuses != expected {
                    return Err(format!(
                        "statuses {statuses:?}, expected one 200 and the rest 409"
                    ));
                }
                let conn = open(&path)?;
                let version = migrations.current_version(&conn).map_err(s)?;
                let rolled_back: i64 = conn
                    .query_row(
                        "SELECT count(*) FROM schema_migrations_history WHERE event = 'rolled_back'",
                        [],
                        |r| r.get(0),
                    )
                    .map_err(s)?;
                let user_version = user_version(&conn)?;
                if (version, rolled_back, user_version) != (3, 1, 3) {
                    return Err(format!(
                        "at version {version} (user_version {user_version}) with {rolled_back} rollbacks recorded, expected 3, 3 and 1"
                    ));
                }
                let backups = std::fs::read_dir(dir.path())
                    .map_err(s)?
                    .filter(|e| {
                        e.as_ref()
                            .is_ok_and(|e| e.file_name().to_string_lossy().contains(".before-v"))
                    })
                    .count();
                if backups != 1 {
                    return Err(format!("{backups} backups, expected 1"));
                }
                Ok(())
            },
        );
    }
}

/// A database at version 4 and its admin.
fn prepare(
    dir: &std::path::Path,
    journal: Journal,
    migrations: &'static Migrations,
) -> Result<(std::path::PathBuf, Server), String> {
    let path = new_db(dir, "app.db", journal)?;
    migrations
        .runner()
        .target(4)
        .run(&mut open(&path)?)
        .map_err(s)?;
    let server = Server::start(migrations, &path, Duration::from_secs(10))?;
    Ok((path, server))
}

/// No file beside the database but its journal, WAL and lock: no backup was written.
fn no_backups(dir: &std::path::Path) -> Result<(), String> {
    for entry in std::fs::read_dir(dir).map_err(s)? {
        let name = entry.map_err(s)?.file_name().to_string_lossy().into_owned();
        if ![
            "app.db",
            "app.db-wal",
            "app.db-shm",
            "app.db-journal",
            "app.db.migrate-lock",
        ]
        .contains(&name.as_str())
        {
            return Err(format!("unexpected file `{name}` beside the database"));
        }
    }
    Ok(())
}

/// The answers are JSON objects: `{"error": ..., "message": ...}`.
fn is_json_error(body: &str) -> bool {
    let body = body.trim();
    body.starts_with("{\"error\":\"") && body.ends_with('}') && body.contains("\"message\":\"")
}
