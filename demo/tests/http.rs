//! The HTTP admin against the real router on a loopback port, with a real HTTP client (ureq),
//! on real database files: every route and every status of the contract, the database checked
//! after each call (an exact dump, tracking tables included, where nothing may change).

mod support;

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

use migrate_runtime::http::{AdminConfig, ConfigError};
use serde_json::{Value, json};
use support::{DEMO, Server, TOKEN, TempDb, assert_same, get, leak, post, request};

// ---------------------------------------------------------------------------------------------
// health

#[test]
fn health_says_pending_ready_or_error_without_auth() {
    let db = TempDb::new();
    let server = Server::start(&DEMO, db.config());

    // A missing database: everything pending, and the file is not created.
    let answer = get(&server.url("/health"), None);
    assert_eq!(answer.status, 503, "{}", answer.body);
    assert_eq!(
        answer.json(),
        json!({"status": "pending", "version": 0, "latest": 7, "pending": 7})
    );
    assert!(!db.path.exists(), "health created the database");

    db.at(&DEMO, 3);
    let before = db.dump();
    let answer = get(&server.url("/health"), None);
    assert_eq!(answer.status, 503);
    assert_eq!(
        answer.json(),
        json!({"status": "pending", "version": 3, "latest": 7, "pending": 4})
    );
    assert_same("health", &db.dump(), &before);

    db.at(&DEMO, 7);
    let before = db.dump();
    let answer = get(&server.url("/health"), None);
    assert_eq!(answer.status, 200);
    assert_eq!(answer.body, r#"{"status":"ready","version":7,"latest":7}"#);
    assert_eq!(answer.header("content-type"), Some("application/json"));
    assert_same("health", &db.dump(), &before);

    // Drift: an applied migration's checksum differs.
    db.open()
        .execute(
            "UPDATE schema_migrations SET checksum = 'sha256:' || substr(checksum, 8, 63) || '0' WHERE version = 2",
            [],
        )
        .unwrap();
    let answer = get(&server.url("/health"), None);
    assert_eq!(answer.status, 503);
    let body = answer.json();
    assert_eq!(body["status"], "error");
    assert_eq!(
        body["reason"],
        "drift: applied migration 2 (`0002_create_customers_and_orders.sql`) was edited after it was applied"
    );

    // A run refuses the drift, and says what to do next.
    let before = db.dump();
    let answer = post(&server.url("/run"), Some(TOKEN));
    assert_eq!(answer.status, 409, "{}", answer.body);
    let body = answer.json();
    assert_eq!(body["error"], "drift");
    let message = body["message"].as_str().unwrap();
    assert!(
        message.contains("0002_create_customers_and_orders.sql")
            && message.contains("if the edit was intended, accept it with `repair`"),
        "{message}"
    );
    assert_same("a run refused for drift", &db.dump(), &before);
}

#[test]
fn health_reports_unknown_versions_and_unreadable_databases_in_one_line() {
    let db = TempDb::new();
    let server = Server::start(&DEMO, db.config());
    db.at(&DEMO, 7);
    db.open()
        .execute_batch(
            "INSERT INTO schema_migrations (version, name, checksum, applied_at, execution_time_ms, history_checksum) \
             VALUES (8, 'from_the_future', 'sha256:00', '2026-01-01T00:00:00.000Z', 1, 'sha256:00')",
        )
        .unwrap();
    let answer = get(&server.url("/health"), None);
    assert_eq!(answer.status, 503);
    let body = answer.json();
    assert_eq!(body["status"], "error");
    assert!(
        body["reason"]
            .as_str()
            .unwrap()
            .contains("unknown to this build"),
        "{body}"
    );

    // Not a database at all.
    let garbage = TempDb::new();
    std::fs::write(
        &garbage.path,
        b"this is not an SQLite database, just text".repeat(200),
    )
    .unwrap();
    let server = Server::start(&DEMO, garbage.config());
    let answer = get(&server.url("/health"), None);
    assert_eq!(answer.status, 503);
    assert_eq!(
        answer.json(),
        json!({"status": "error", "version": null, "latest": 7,
               "reason": "the database file is not an SQLite database"})
    );
}

#[test]
fn health_says_migrating_while_another_migrator_holds_the_lock_and_run_gives_up_with_409() {
    let db = TempDb::new();
    db.at(&DEMO, 2);
    let before = db.dump();
    let server = Server::start(&DEMO, db.config());
    // Another migrator: the lock file beside the database, held.
    let lock = File::create(db.path.with_extension("db.migrate-lock")).unwrap();
    lock.lock().unwrap();

    let started = Instant::now();
    let answer = get(&server.url("/health"), None);
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!(answer.status, 503);
    let body = answer.json();
    assert_eq!(body["status"], "migrating", "{body}");
    assert_eq!(body["latest"], 7);

    // A run waits the busy timeout (500 ms here) for the lock, then answers 409.
    let started = Instant::now();
    let answer = post(&server.url("/run"), Some(TOKEN));
    assert_eq!(answer.status, 409, "{}", answer.body);
    assert_eq!(answer.json()["error"], "locked");
    assert!(started.elapsed() >= Duration::from_millis(400));
    let answer = post(&server.url("/rollback/2"), Some(TOKEN));
    assert_eq!(answer.status, 409, "{}", answer.body);
    assert_same("run and rollback without the lock", &db.dump(), &before);
    assert!(db.other_files().is_empty(), "{:?}", db.other_files());

    drop(lock);
    let answer = get(&server.url("/health"), None);
    assert_eq!(answer.json()["status"], "pending");
}

#[test]
fn health_answers_within_a_second_while_a_foreign_writer_holds_sqlites_lock() {
    let db = TempDb::new();
    db.at(&DEMO, 6); // rollback-journal mode: 7 turns WAL on
    let server = Server::start(&DEMO, db.config());
    let holder = db.open();
    holder.execute_batch("BEGIN EXCLUSIVE").unwrap();
    holder
        .execute("INSERT INTO authors (name) VALUES ('held')", [])
        .unwrap();

    for _ in 0..3 {
        let started = Instant::now();
        let answer = get(&server.url("/health"), None);
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(answer.status, 503);
        let body = answer.json();
        assert_eq!(body["status"], "error", "{body}");
        assert_eq!(
            body["reason"],
            "the database is locked by another connection"
        );
    }
    // Status and history cannot read within the busy timeout: 409.
    for path in ["/status", "/history"] {
        let answer = get(&server.url(path), Some(TOKEN));
        assert_eq!(answer.status, 409, "{path}: {}", answer.body);
        assert_eq!(answer.json()["error"], "locked");
    }
    // A run cannot have SQLite's lock within the busy timeout: 409, nothing applied.
    let answer = post(&server.url("/run"), Some(TOKEN));
    assert_eq!(answer.status, 409, "{}", answer.body);
    assert_eq!(answer.json()["error"], "locked");
    holder.execute_batch("ROLLBACK").unwrap();
    drop(holder);
    assert_eq!(db.version(&DEMO), 6);
}

// ---------------------------------------------------------------------------------------------
// auth

#[test]
fn without_a_token_every_route_but_health_answers_403() {
    let db = TempDb::new();
    // Configured in code: the message names the API, not the demo's variable.
    let server = Server::start(&DEMO, AdminConfig::new(&db.path));
    let answer = get(&server.url("/status"), Some(TOKEN));
    assert_eq!(answer.status, 403);
    assert_eq!(
        answer.json()["message"],
        "the migration admin is disabled: no admin token is configured; configure one of at least 16 characters with `AdminConfig::token` or `AdminConfig::token_from_env` and restart"
    );
    // From a variable that is not set: the message names it.
    let config = AdminConfig::new(&db.path)
        .token_from_env("MIGRATE_TEST_NEVER_SET_TOKEN")
        .unwrap();
    let server = Server::start(&DEMO, config);
    for (method, path) in [
        ("GET", ""),
        ("GET", "/status"),
        ("GET", "/history"),
        ("POST", "/run"),
        ("POST", "/run?dry_run=true"),
        ("POST", "/rollback/1"),
    ] {
        for token in [None, Some(TOKEN)] {
            let auth = token.map(|t| format!("Bearer {t}"));
            let headers: Vec<(&str, &str)> = auth
                .as_deref()
                .map(|a| vec![("Authorization", a)])
                .unwrap_or_default();
            let answer = request(method, &server.url(path), &headers, b"");
            assert_eq!(answer.status, 403, "{method} {path}: {}", answer.body);
            let body = answer.json();
            assert_eq!(body["error"], "admin_disabled");
            assert_eq!(
                body["message"],
                "the migration admin is disabled: no admin token is configured; `MIGRATE_TEST_NEVER_SET_TOKEN` is not set: set it to a secret of at least 16 characters and restart",
            );
        }
    }
    assert_eq!(get(&server.url("/health"), None).status, 503);
    assert!(!db.path.exists());
}

#[test]
fn a_token_shorter_than_16_characters_is_refused() {
    assert_eq!(
        AdminConfig::new("app.db").token("fifteen-chars!!").err(),
        Some(ConfigError::TokenTooShort { length: 15 })
    );
    assert!(AdminConfig::new("app.db").token("sixteen-chars!!!").is_ok());
    // The README's `?` in a `main` returning `Box<dyn Error>` prints `Debug`: the message.
    let error: Box<dyn std::error::Error> = AdminConfig::new("app.db")
        .token("hunter2")
        .unwrap_err()
        .into();
    assert_eq!(
        format!("Error: {error:?}"),
        "Error: the admin token has 7 characters; it needs at least 16 (for example the output of `openssl rand -hex 24`)"
    );
}

#[test]
fn only_the_bearer_header_authenticates_and_failures_are_401_with_www_authenticate() {
    let db = TempDb::new();
    db.at(&DEMO, 7);
    let before = db.dump();
    let server = Server::start(&DEMO, db.config());
    let bearer = format!("Bearer {TOKEN}");
    let cookie = format!("token={TOKEN}; admin_token={TOKEN}");
    let cases: Vec<(String, Vec<(&str, &str)>)> = vec![
        (String::from("/status"), vec![]),
        (String::from("/status"), vec![("Authorization", "Bearer ")]),
        (
            String::from("/status"),
            vec![("Authorization", "Bearer test-token-0123456789abcdeF")],
        ),
        (format!("/status?token={TOKEN}"), vec![]),
        (format!("/status?access_token={TOKEN}"), vec![]),
        (String::from("/status"), vec![("Cookie", cookie.as_str())]),
        (String::from("/status"), vec![("Authorization", TOKEN)]),
        (
            String::from("/status"),
            vec![("Authorization", "Basic dGVzdDp0ZXN0")],
        ),
        (String::from("/status"), vec![("X-Admin-Token", TOKEN)]),
        (
            String::from("/status"),
            vec![
                ("Authorization", bearer.as_str()),
                ("Authorization", bearer.as_str()),
            ],
        ),
    ];
    for (path, headers) in &cases {
        for method in ["GET", "POST"] {
            let path = if method == "POST" {
                path.replace("/status", "/run")
            } else {
                path.clone()
            };
            let answer = request(method, &server.url(&path), headers, b"");
            assert_eq!(
                answer.status, 401,
                "{method} {path} {headers:?}: {}",
                answer.body
            );
            assert_eq!(answer.header("www-authenticate"), Some("Bearer"));
            assert_eq!(answer.json()["error"], "unauthorized");
        }
    }
    // A very long token.
    let long = format!("Bearer {}", "x".repeat(100_000));
    let answer = request(
        "GET",
        &server.url("/status"),
        &[("Authorization", &long)],
        b"",
    );
    assert!(
        answer.status == 401 || answer.status == 431,
        "{}",
        answer.status
    );
    // The scheme is case-insensitive.
    let lower = format!("bearer {TOKEN}");
    let answer = request(
        "GET",
        &server.url("/status"),
        &[("Authorization", &lower)],
        b"",
    );
    assert_eq!(answer.status, 200);
    assert_same("refused requests", &db.dump(), &before);
}

// ---------------------------------------------------------------------------------------------
// status and history

/// The demo's CLI, `--json`, on the same database: the HTTP documents must be the same.
fn cli_json(db: &std::path::Path, command: &str) -> Value {
    let output = Command::new(env!("CARGO_BIN_EXE_demo"))
        .args(["--json", "--db"])
        .arg(db)
        .arg(command)
        .env_remove("MIGRATE_DB")
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    assert!(output.stderr.is_empty(), "{output:?}");
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn status_and_history_are_the_clis_json_documents() {
    let db = TempDb::new();
    let server = Server::start(&DEMO, db.config());
    // Never created by reading.
    let answer = get(&server.url("/status"), Some(TOKEN));
    assert_eq!(answer.status, 200);
    assert_eq!(answer.json()["current_version"], 0);
    assert_eq!(answer.json()["counts"]["pending"], 7);
    assert_eq!(
        get(&server.url("/history"), Some(TOKEN)).json()["events"],
        json!([])
    );
    assert!(!db.path.exists());

    db.at(&DEMO, 5);
    DEMO.rollback_to(&mut db.open(), 4).unwrap();
    let before = db.dump();
    let status = get(&server.url("/status"), Some(TOKEN));
    assert_eq!(status.status, 200);
    assert_eq!(status.json(), cli_json(&db.path, "status"));
    let history = get(&server.url("/history"), Some(TOKEN));
    assert_eq!(history.status, 200);
    assert_eq!(history.json(), cli_json(&db.path, "history"));
    let events = history.json()["events"].as_array().unwrap().len();
    assert_eq!(events, 6);
    assert_eq!(status.json()["migrations"][3]["state"], "applied");
    assert_eq!(status.json()["migrations"][4]["state"], "pending");
    assert_same("status and history", &db.dump(), &before);
}

// ---------------------------------------------------------------------------------------------
// run

#[test]
fn run_applies_dry_runs_and_targets() {
    let db = TempDb::new();
    let server = Server::start(&DEMO, db.config());

    // A dry run on a missing database: what would be applied, nothing created.
    let answer = post(&server.url("/run?dry_run=true"), Some(TOKEN));
    assert_eq!(answer.status, 200, "{}", answer.body);
    let body = answer.json();
    assert_eq!(body["dry_run"], true);
    assert_eq!(body["current_version"], Value::Null);
    assert_eq!(body["applied"].as_array().unwrap().len(), 6);
    assert_eq!(body["not_verified"][0]["version"], 7);
    assert!(!db.path.exists());

    // target=N
    let answer = post(&server.url("/run?target=3"), Some(TOKEN));
    assert_eq!(answer.status, 200, "{}", answer.body);
    let body = answer.json();
    assert_eq!(body["dry_run"], false);
    assert_eq!(body["current_version"], 3);
    let versions: Vec<i64> = body["applied"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["version"].as_i64().unwrap())
        .collect();
    assert_eq!(versions, [1, 2, 3]);
    assert!(body["applied"][0]["duration_ms"].is_u64());
    assert_eq!(
        body["applied"][0]["file"],
        "0001_create_authors_and_books.sql"
    );
    assert_eq!(db.version(&DEMO), 3);

    // A dry run of the rest leaves the database exactly as it was.
    let before = db.dump();
    let answer = post(&server.url("/run?dry_run=true&target=6"), Some(TOKEN));
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.json()["applied"].as_array().unwrap().len(), 3);
    assert_same("dry run", &db.dump(), &before);

    // Bad queries: 400, nothing changed.
    for query in [
        "target=abc",
        "target=-1",
        "target=99",
        "target=99999999999999999999999",
        "dry_run=maybe",
        "verbose=1",
    ] {
        let answer = post(&server.url(&format!("/run?{query}")), Some(TOKEN));
        assert_eq!(answer.status, 400, "{query}: {}", answer.body);
        assert!(answer.json()["message"].is_string());
    }
    assert_same("bad queries", &db.dump(), &before);

    // Everything; a second run applies nothing.
    let answer = post(&server.url("/run"), Some(TOKEN));
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.json()["current_version"], 7);
    assert_eq!(answer.json()["applied"].as_array().unwrap().len(), 4);
    let before = db.dump();
    let answer = post(&server.url("/run"), Some(TOKEN));
    assert_eq!(answer.status, 200);
    assert_eq!(answer.json()["applied"], json!([]));
    assert_same("a run with nothing to do", &db.dump(), &before);
    // A target below the current version applies nothing: a run never rolls back.
    let answer = post(&server.url("/run?target=3"), Some(TOKEN));
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.json()["applied"], json!([]));
    assert_eq!(answer.json()["current_version"], 7);
    assert_same("a run to a lower target", &db.dump(), &before);
    assert_eq!(get(&server.url("/health"), None).status, 200);
}

#[test]
fn a_failing_migration_is_422_with_the_typed_error() {
    let set = leak(&[
        (
            "0001_people.sql",
            "CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT);\n",
        ),
        (
            "0002_broken.sql",
            "INSERT INTO people (name) VALUES ('ada');\n\n-- the typo\nINSERT INTO peeple (name) VALUES ('grace');\n",
        ),
        ("0003_after.sql", "CREATE TABLE after (x);\n"),
    ]);
    let db = TempDb::new();
    let server = Server::start(set, db.config());

    // The dry run fails the same way and changes nothing.
    let answer = post(&server.url("/run?dry_run=true"), Some(TOKEN));
    assert_eq!(answer.status, 422, "{}", answer.body);
    assert!(!db.path.exists());

    let answer = post(&server.url("/run"), Some(TOKEN));
    assert_eq!(answer.status, 422, "{}", answer.body);
    let body = answer.json();
    assert_eq!(body["error"], "migration_failed");
    assert_eq!(body["version"], 2);
    assert_eq!(body["file"], "0002_broken.sql");
    assert_eq!(body["statement_index"], 2);
    assert_eq!(body["line"], 4);
    assert_eq!(body["sqlite_message"], "no such table: peeple");
    assert_eq!(body["applied"], json!([1]));
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("no such table: peeple"),
        "{body}"
    );
    // Migration 1 stays applied, 2 is rolled back whole (no 'ada'), 3 never ran.
    assert_eq!(db.version(set), 1);
    let people: i64 = db
        .open()
        .query_row("SELECT count(*) FROM people", [], |r| r.get(0))
        .unwrap();
    assert_eq!(people, 0);
    let events = get(&server.url("/history"), Some(TOKEN)).json();
    assert_eq!(events["events"][1]["event"], "failed");
}

#[test]
fn two_concurrent_runs_apply_each_migration_exactly_once() {
    let slow = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 200000) \
                INSERT INTO t (x) SELECT x FROM c;\n";
    let set = leak(&[
        ("0001_t.sql", "CREATE TABLE t (x INTEGER NOT NULL);\n"),
        ("0002_fill.sql", slow),
        ("0003_fill_again.sql", slow),
        ("0004_index.sql", "CREATE INDEX t_x ON t (x);\n"),
    ]);
    let db = TempDb::new();
    let server = Server::start(set, db.config().busy_timeout(Duration::from_secs(30)));
    let barrier = Arc::new(Barrier::new(2));
    let reports = Arc::new(Mutex::new(Vec::new()));
    let threads: Vec<_> = (0..2)
        .map(|_| {
            let (url, barrier, reports) = (server.url("/run"), barrier.clone(), reports.clone());
            std::thread::spawn(move || {
                barrier.wait();
                let answer = post(&url, Some(TOKEN));
                reports.lock().unwrap().push(answer);
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    let mut applied: Vec<i64> = Vec::new();
    for answer in reports.lock().unwrap().iter() {
        assert_eq!(answer.status, 200, "{}", answer.body);
        assert_eq!(answer.json()["current_version"], 4);
        applied.extend(
            answer.json()["applied"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["version"].as_i64().unwrap()),
        );
    }
    applied.sort();
    assert_eq!(applied, [1, 2, 3, 4], "each migration applied once");
    let conn = db.open();
    let rows: i64 = conn
        .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
        .unwrap();
    assert_eq!(rows, 400_000);
    let applied_events: i64 = conn
        .query_row(
            "SELECT count(*) FROM schema_migrations_history WHERE event = 'applied'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(applied_events, 4);
}

// ---------------------------------------------------------------------------------------------
// rollback

#[test]
fn rollback_rolls_back_the_version_and_everything_above_after_a_backup() {
    let db = TempDb::new();
    db.at(&DEMO, 6);
    let at_6 = db.dump();
    let server = Server::start(&DEMO, db.config());

    let answer = post(&server.url("/rollback/4"), Some(TOKEN));
    assert_eq!(answer.status, 200, "{}", answer.body);
    let body = answer.json();
    assert_eq!(body["current_version"], 3);
    let files: Vec<&str> = body["rolled_back"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["file"].as_str().unwrap())
        .collect();
    assert_eq!(
        files,
        [
            "0006_create_reviews.down.sql",
            "0005_add_order_totals.down.sql",
            "0004_books_price_in_cents.down.sql"
        ]
    );
    assert_eq!(db.version(&DEMO), 3);
    // The backup is named, beside the database, and holds the database as it was.
    let backup = std::path::PathBuf::from(body["backup"].as_str().unwrap());
    assert_eq!(db.other_files(), std::slice::from_ref(&backup));
    assert!(
        backup
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("app.db.before-v6-")
    );
    let backup_dump = migrate_test_kit::digest::dump(
        &rusqlite::Connection::open(&backup).unwrap(),
        migrate_test_kit::digest::DumpKind::Exact,
    )
    .unwrap();
    assert_same("the backup", &backup_dump, &at_6);
    let history = get(&server.url("/history"), Some(TOKEN)).json();
    let events: Vec<&str> = history["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(&events[6..], ["rolled_back"; 3]);
}

#[test]
fn rollback_refuses_what_it_cannot_do_and_changes_nothing() {
    let set = leak(&[
        ("0001_a.sql", "CREATE TABLE a (x);\n"),
        ("0002_b.sql", "CREATE TABLE b (x);\n"),
        ("0002_b.down.sql", "DROP TABLE b;\n"),
        ("0003_c.sql", "CREATE TABLE c (x);\n"),
        ("0003_c.down.sql", "DROP TABLE c;\n"),
    ]);
    let db = TempDb::new();
    let server = Server::start(set, db.config());
    // No database file: not applied, and nothing is created.
    let answer = post(&server.url("/rollback/1"), Some(TOKEN));
    assert_eq!(answer.status, 409, "{}", answer.body);
    assert!(!db.path.exists());

    db.at(set, 2);
    let before = db.dump();
    for (path, status, error) in [
        ("/rollback/3", 409, "not_applied"),
        ("/rollback/99", 409, "not_applied"),
        ("/rollback/1", 409, "missing_down"),
        ("/rollback/0", 400, "bad_request"),
        ("/rollback/-1", 400, "bad_request"),
        ("/rollback/abc", 400, "bad_request"),
        ("/rollback/2.0", 400, "bad_request"),
        ("/rollback/%2B2", 400, "bad_request"),
        ("/rollback/99999999999999999999999", 400, "bad_request"),
        ("/rollback/%20", 400, "bad_request"),
    ] {
        let answer = post(&server.url(path), Some(TOKEN));
        assert_eq!(answer.status, status, "{path}: {}", answer.body);
        let body = answer.json();
        assert_eq!(body["error"], error, "{path}");
        assert!(!body["message"].as_str().unwrap().is_empty());
        assert_same(path, &db.dump(), &before);
        assert!(db.other_files().is_empty(), "{path}: a backup was written");
    }
    let message = post(&server.url("/rollback/3"), Some(TOKEN)).json()["message"].clone();
    assert_eq!(
        message,
        "migration 3 is not applied (the database is at version 2); nothing was changed"
    );
    let message = post(&server.url("/rollback/1"), Some(TOKEN)).json()["message"].clone();
    assert!(
        message.as_str().unwrap().contains("no down file"),
        "{message}"
    );

    // Backups off.
    let server = Server::start(set, db.config().backup_before_rollback(false));
    let answer = post(&server.url("/rollback/2"), Some(TOKEN));
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(answer.json().get("backup").is_none());
    assert!(db.other_files().is_empty());
    assert_eq!(db.version(set), 1);
}

// ---------------------------------------------------------------------------------------------
// the rest of the contract

#[test]
fn unknown_routes_are_404_wrong_methods_405_and_bodies_are_capped() {
    let db = TempDb::new();
    db.at(&DEMO, 7);
    let before = db.dump();
    let server = Server::start(&DEMO, db.config());
    let auth = format!("Bearer {TOKEN}");
    let auth = [("Authorization", auth.as_str())];
    for path in [
        "/nope",
        "/status/x",
        "/rollback",
        "/rollback/1/2",
        "/run/now",
        "/Health",
    ] {
        let answer = request("GET", &server.url(path), &auth, b"");
        assert_eq!(answer.status, 404, "{path}: {}", answer.body);
        assert_eq!(answer.json()["error"], "not_found");
    }
    for (method, path) in [
        ("POST", "/health"),
        ("POST", "/status"),
        ("DELETE", "/history"),
        ("GET", "/run"),
        ("PUT", "/run"),
        ("GET", "/rollback/1"),
        ("DELETE", "/rollback/1"),
        ("POST", ""),
    ] {
        for headers in [&auth[..], &[]] {
            let answer = request(method, &server.url(path), headers, b"");
            assert_eq!(answer.status, 405, "{method} {path}: {}", answer.body);
        }
    }
    // Too large by Content-Length (refused before reading), and chunked without a length.
    for path in ["/run", "/rollback/7"] {
        let mut big = format!(
            "POST /admin/migrations{path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\nContent-Length: 1048576\r\nConnection: close\r\n\r\n"
        )
        .into_bytes();
        big.extend(vec![b'x'; 1024 * 1024]);
        assert_eq!(support::raw(&server.base, &big), 413, "{path}");
        let mut chunked = format!(
            "POST /admin/migrations{path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        )
        .into_bytes();
        for _ in 0..64 {
            chunked.extend(b"1000\r\n");
            chunked.extend(vec![b'y'; 0x1000]);
            chunked.extend(b"\r\n");
        }
        chunked.extend(b"0\r\n\r\n");
        assert_eq!(support::raw(&server.base, &chunked), 413, "{path} chunked");
    }
    // A small body is accepted (and ignored).
    let answer = request("POST", &server.url("/run?dry_run=true"), &auth, b"{}");
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_same("refused requests", &db.dump(), &before);
}

#[test]
fn the_page_is_one_self_contained_file_served_with_a_strict_policy() {
    let db = TempDb::new();
    let server = Server::start(&DEMO, db.config());
    let answer = get(&server.url(""), None);
    assert_eq!(answer.status, 200);
    assert_eq!(
        answer.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    let policy = answer.header("content-security-policy").unwrap();
    assert!(policy.contains("default-src 'none'"), "{policy}");
    assert!(policy.contains("connect-src 'self'"), "{policy}");
    assert_eq!(answer.header("cache-control"), Some("no-store"));
    assert_eq!(answer.header("x-frame-options"), Some("DENY"));
    let page = answer.body;
    assert!(page.starts_with("<!doctype html>"));
    for external in ["http://", "https://", "src=", "<link", "@import", "url("] {
        assert!(!page.contains(external), "the page refers to `{external}`");
    }
    assert!(page.contains("sessionStorage"));
    assert!(!page.contains("localStorage") && !page.contains("document.cookie"));
}

/// Every line the library logs, with its level, for the test below.
static LOGGED: Mutex<Vec<(log::Level, String)>> = Mutex::new(Vec::new());

struct Capture;

impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, record: &log::Record<'_>) {
        // The library's lines only: the HTTP client logs its own requests.
        if record.target().starts_with("migrate_runtime") {
            LOGGED
                .lock()
                .unwrap()
                .push((record.level(), record.args().to_string()));
        }
    }
    fn flush(&self) {}
}

#[test]
fn every_request_is_logged_with_the_path_asked_for_and_without_the_token() {
    log::set_logger(&Capture).unwrap();
    log::set_max_level(log::LevelFilter::Trace);
    let db = TempDb::new();
    // Under a prefix no other test uses, so that the lines are this test's.
    let server = Server::start_app(
        axum::Router::new().nest(
            "/logged/db",
            migrate_runtime::http::router(&DEMO, db.config()),
        ),
        "/logged/db",
    );
    get(&server.url("/status"), Some(TOKEN));
    get(&server.url(&format!("/status?token={TOKEN}")), None);
    get(&server.url("/status"), Some("wrong-token-but-long-enough"));
    request(
        "GET",
        &server.url("/history"),
        &[("Cookie", &format!("token={TOKEN}"))],
        b"",
    );
    post(&server.url("/run?dry_run=true"), Some(TOKEN));
    get(&server.url("/health"), None);
    get(&server.url("/nope"), None);
    let logged = LOGGED.lock().unwrap().clone();
    let line = |level: log::Level, start: &str| {
        logged
            .iter()
            .any(|(l, line)| *l == level && line.starts_with(start))
    };
    use log::Level::{Debug, Info};
    assert!(
        line(Info, "GET /logged/db/status -> 200 in "),
        "{logged:#?}"
    );
    assert!(
        line(Info, "GET /logged/db/status -> 401 in "),
        "{logged:#?}"
    );
    assert!(
        line(Info, "GET /logged/db/history -> 401 in "),
        "{logged:#?}"
    );
    assert!(line(Info, "POST /logged/db/run -> 200 in "), "{logged:#?}");
    assert!(line(Info, "GET /logged/db/nope -> 404 in "), "{logged:#?}");
    // Load balancers poll it: debug, not info.
    assert!(
        line(Debug, "GET /logged/db/health -> 503 in "),
        "{logged:#?}"
    );
    assert!(!line(Info, "GET /logged/db/health"), "{logged:#?}");
    for (_, line) in &logged {
        assert!(!line.contains(TOKEN), "the token was logged: {line}");
        assert!(
            !line.contains("wrong-token"),
            "a presented token was logged: {line}"
        );
    }
}

/// An application with its own state, as the README shows it.
#[derive(Clone)]
struct AppState {
    greeting: &'static str,
}

async fn hello(axum::extract::State(state): axum::extract::State<AppState>) -> &'static str {
    state.greeting
}

#[test]
fn the_router_nests_into_a_stateful_app_and_answers_with_the_path_asked_for() {
    let db = TempDb::new();
    let app: axum::Router = axum::Router::new()
        .route("/", axum::routing::get(hello))
        .nest("/ops/db", migrate_runtime::http::router(&DEMO, db.config()))
        .route(
            "/ops/db/",
            axum::routing::get(|| async { axum::response::Redirect::permanent("/ops/db") }),
        )
        .with_state(AppState { greeting: "hello" });
    let server = Server::start_app(app, "");
    assert_eq!(get(&server.url("/"), None).body, "hello");
    assert_eq!(get(&server.url("/ops/db/health"), None).status, 503);
    assert_eq!(get(&server.url("/ops/db/status"), Some(TOKEN)).status, 200);
    assert_eq!(get(&server.url("/ops/db"), None).status, 200);
    let redirect = get(&server.url("/ops/db/"), None);
    assert_eq!(redirect.status, 308);
    assert_eq!(redirect.header("location"), Some("/ops/db"));
    for path in ["/ops/db//status", "/ops/db/nope"] {
        let answer = get(&server.url(path), Some(TOKEN));
        assert_eq!(answer.status, 404, "{path}: {}", answer.body);
        let message = answer.json()["message"].as_str().unwrap().to_owned();
        assert!(
            message.starts_with(&format!("no such route: {path};")),
            "{message}"
        );
    }
}

#[test]
fn the_router_mounts_under_any_prefix() {
    let db = TempDb::new();
    let app = axum::Router::new().nest(
        "/ops/db/schema",
        migrate_runtime::http::router(&DEMO, db.config()),
    );
    let server = Server::start_app(app, "/ops/db/schema");
    assert_eq!(get(&server.url("/health"), None).status, 503);
    assert_eq!(get(&server.url("/status"), Some(TOKEN)).status, 200);
    assert_eq!(get(&server.url(""), None).status, 200);
    // And at the root.
    let server = Server::start_app(migrate_runtime::http::router(&DEMO, db.config()), "");
    assert_eq!(get(&server.url("/health"), None).status, 503);
    assert_eq!(get(&server.url("/"), None).status, 200);
}

// ---------------------------------------------------------------------------------------------
// demo serve

/// `demo serve` on a free port; returns the child and the base URL it printed.
fn demo_serve(dir: &std::path::Path, token: Option<&str>) -> (std::process::Child, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_demo"));
    command
        .current_dir(dir)
        .args(["serve", "--addr", "127.0.0.1:0"])
        .env_remove("MIGRATE_DB")
        .env_remove("MIGRATE_ADMIN_TOKEN")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if let Some(token) = token {
        command.env("MIGRATE_ADMIN_TOKEN", token);
    }
    let mut child = command.spawn().unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no URL in `{line}`"))
        .to_owned();
    (child, url)
}

#[test]
fn demo_serve_mounts_the_admin_under_admin_migrations() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, url) = demo_serve(dir.path(), Some(TOKEN));
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    assert!(url.ends_with("/admin/migrations"), "{url}");
    let health = get(&format!("{url}/health"), None);
    assert_eq!(health.status, 503);
    assert_eq!(health.json()["pending"], 7);
    assert!(!dir.path().join("demo.db").exists());
    let run = post(&format!("{url}/run"), Some(TOKEN));
    assert_eq!(run.status, 200, "{}", run.body);
    assert_eq!(run.json()["database"], "demo.db");
    assert_eq!(get(&format!("{url}/health"), None).status, 200);
    assert_eq!(get(&format!("{url}/status"), None).status, 401);
    assert_eq!(get(&url, None).status, 200);
    let root = url.trim_end_matches("/admin/migrations");
    let redirect = get(&format!("{root}/"), None);
    assert_eq!(redirect.status, 303);
    assert_eq!(redirect.header("location"), Some("/admin/migrations"));
    let redirect = get(&format!("{url}/"), None);
    assert_eq!(redirect.status, 303);
    assert_eq!(redirect.header("location"), Some("/admin/migrations"));
    child.kill().unwrap();
    child.wait().unwrap();

    // Without a token it serves, and the admin answers 403.
    let (mut child, url) = demo_serve(dir.path(), None);
    assert_eq!(get(&format!("{url}/status"), Some(TOKEN)).status, 403);
    assert_eq!(get(&format!("{url}/health"), None).status, 200);
    // SIGTERM stops it cleanly.
    #[cfg(unix)]
    {
        let pid = libc::pid_t::try_from(child.id()).unwrap();
        assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
        assert!(child.wait().unwrap().success());
    }
    #[cfg(not(unix))]
    {
        child.kill().unwrap();
        child.wait().unwrap();
    }
}

#[test]
fn demo_serve_refuses_a_short_token() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_demo"))
        .current_dir(dir.path())
        .args(["serve", "--addr", "127.0.0.1:0"])
        .env("MIGRATE_ADMIN_TOKEN", "too-short")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        output.stdout.is_empty(),
        "refused before serving: {output:?}"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        stderr.trim_end(),
        "error: the admin token in `MIGRATE_ADMIN_TOKEN` has 9 characters; it needs at least 16 (for example the output of `openssl rand -hex 24`); refusing to start"
    );
    assert!(
        !stderr.contains("too-short"),
        "the token was printed: {stderr}"
    );

    // A trailing newline, as `$(cat token-file)` does not leave but a file read whole does.
    let output = Command::new(env!("CARGO_BIN_EXE_demo"))
        .current_dir(dir.path())
        .args(["serve", "--addr", "127.0.0.1:0"])
        .env("MIGRATE_ADMIN_TOKEN", format!("{TOKEN}\n"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        output.stdout.is_empty(),
        "refused before serving: {output:?}"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.starts_with(
            "error: the admin token in `MIGRATE_ADMIN_TOKEN` ends with a newline (as `echo` and the last line of a file add; strip it);"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains(TOKEN), "the token was printed: {stderr}");
}

#[test]
fn demo_serve_says_an_empty_token_is_empty() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_demo"))
        .current_dir(dir.path())
        .args(["serve", "--addr", "127.0.0.1:0"])
        .env_remove("MIGRATE_DB")
        .env("MIGRATE_ADMIN_TOKEN", "")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut url = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut url)
        .unwrap();
    let url = url
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap()
        .to_owned();
    let answer = get(&format!("{url}/status"), Some(TOKEN));
    child.kill().unwrap();
    child.wait().unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(
        stderr.contains("note: MIGRATE_ADMIN_TOKEN is empty: the admin answers 403"),
        "{stderr}"
    );
    assert_eq!(answer.status, 403);
    assert!(
        answer.json()["message"]
            .as_str()
            .unwrap()
            .contains("`MIGRATE_ADMIN_TOKEN` is empty"),
        "{}",
        answer.body
    );
}
