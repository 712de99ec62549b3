//! Verification time against the floor (plain rusqlite applying the same SQL to `:memory:`),
//! at two sizes, to see that it stays linear. Ignored: run it in release mode,
//! `cargo test --release -p migrate-rules --features verify,bundled --test verify_scaling -- --ignored --nocapture`.
//! The benchmarks report the real figures.

#![cfg(feature = "verify")]

use std::time::{Duration, Instant};

use migrate_rules::verify::{Options, verify};
use migrate_rules::{Entry, MigrationSet};

/// The benchmarks' rotation in short, with down files for the three schema changes.
fn files(n: usize, downs: bool) -> Vec<(String, String)> {
    let mut files = Vec::new();
    for v in 1..=n {
        let t = (v - 1) / 5 + 1;
        let name = format!("{v:05}_step.sql");
        let sql = match v % 5 {
            1 => format!(
                "CREATE TABLE t{t} (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT, status INT NOT NULL DEFAULT 0);\n\
                 CREATE UNIQUE INDEX t{t}_email ON t{t} (email);\nINSERT INTO t{t} (name, email) VALUES ('a', 'a@x');\n"
            ),
            2 => format!(
                "ALTER TABLE t{t} ADD COLUMN score INTEGER NOT NULL DEFAULT 0;\nALTER TABLE t{t} ADD COLUMN note TEXT;\n"
            ),
            3 => format!("CREATE INDEX t{t}_status ON t{t} (status, score);\n"),
            4 => format!(
                "INSERT INTO t{t} (name, email, status) VALUES ('b', 'b@x', 1), ('c', 'c@x', 2);\n"
            ),
            _ => format!("UPDATE t{t} SET status = status + 1 WHERE status = 1;\n"),
        };
        let down = match v % 5 {
            1 => Some(format!("DROP TABLE t{t};\n")),
            2 => Some(format!(
                "ALTER TABLE t{t} DROP COLUMN note;\nALTER TABLE t{t} DROP COLUMN score;\n"
            )),
            3 => Some(format!("DROP INDEX t{t}_status;\n")),
            _ => None,
        };
        if let Some(down) = down.filter(|_| downs) {
            files.push((format!("{v:05}_step.down.sql"), down));
        }
        files.push((name, sql));
    }
    files
}

/// The SQL the down-file check must run at least, in plain rusqlite: each up script, its
/// down file, and the up script again.
fn floor_with_downs(files: &[(String, String)]) -> Duration {
    let conn = rusqlite::Connection::open_in_memory().unwrap();
    let started = Instant::now();
    let mut pending_down: Option<&str> = None;
    for (name, sql) in files {
        if name.ends_with(".down.sql") {
            pending_down = Some(sql);
            continue;
        }
        conn.execute_batch(&format!("BEGIN; {sql} COMMIT;"))
            .unwrap();
        if let Some(down) = pending_down.take() {
            conn.execute_batch(&format!("BEGIN; {down} COMMIT;"))
                .unwrap();
            conn.execute_batch(&format!("BEGIN; {sql} COMMIT;"))
                .unwrap();
        }
    }
    started.elapsed()
}

fn floor(files: &[(String, String)]) -> Duration {
    let conn = rusqlite::Connection::open_in_memory().unwrap();
    let started = Instant::now();
    for (name, sql) in files {
        if !name.ends_with(".down.sql") {
            conn.execute_batch(&format!("BEGIN; {sql} COMMIT;"))
                .unwrap();
        }
    }
    started.elapsed()
}

#[test]
#[ignore = "timing; run in release mode"]
fn verification_stays_linear() {
    for (n, downs) in [(1000, false), (1000, true), (5000, false), (5000, true)] {
        let files = files(n, downs);
        let floor = floor(&files);
        let set = MigrationSet::from_entries(
            files
                .iter()
                .map(|(name, sql)| Entry::file(name.clone(), sql.clone())),
        )
        .unwrap();
        let started = Instant::now();
        let verification = verify(&set, &Options::default()).unwrap();
        let took = started.elapsed();
        assert!(verification.is_ok(), "{:?}", verification.failures.first());
        println!(
            "n = {n}, down files: {downs}: floor {floor:?}, verify {took:?} ({:.1}x), lints {}",
            took.as_secs_f64() / floor.as_secs_f64(),
            verification.lints.len()
        );
        if downs {
            let with_downs = floor_with_downs(&files);
            println!(
                "    floor running each down file and the up script again: {with_downs:?} (verify {:.1}x of it)",
                took.as_secs_f64() / with_downs.as_secs_f64()
            );
        }
    }
}
