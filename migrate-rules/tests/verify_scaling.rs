//! Verification time against the floor (plain rusqlite applying the same SQL to `:memory:`),
//! at two sizes, to see that it stays linear. Ignored: run it in release mode,
//! `cargo test --release -p migrate-rules --features verify,bundled --test verify_scaling -- --ignored --nocapture`.
//! The benchmarks report the real figures.

#![cfg(feature = "verify")]

use std::time::{Duration, Instant};

use migrate_rules::verify::{Options, verify};
use migrate_rules::{Entry, MigrationSet};

/// The benchmarks' rotation in short, with a down file every other create.
fn files(n: usize) -> Vec<(String, String)> {
    let mut files = Vec::new();
    for v in 1..=n {
        let t = (v - 1) / 5 + 1;
        let name = format!("{v:05}_step.sql");
        let sql = match v % 5 {
            1 => format!(
                "CREATE TABLE t{t} (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT, status INT NOT NULL DEFAULT 0);\n\
                 CREATE UNIQUE INDEX t{t}_email ON t{t} (email);\nINSERT INTO t{t} (name, email) VALUES ('a', 'a@x');\n"
            ),
            2 => format!("ALTER TABLE t{t} ADD COLUMN score INTEGER NOT NULL DEFAULT 0;\nALTER TABLE t{t} ADD COLUMN note TEXT;\n"),
            3 => format!("CREATE INDEX t{t}_status ON t{t} (status, score);\n"),
            4 => format!("INSERT INTO t{t} (name, email, status) VALUES ('b', 'b@x', 1), ('c', 'c@x', 2);\n"),
            _ => format!("UPDATE t{t} SET status = status + 1 WHERE status = 1;\n"),
        };
        if v % 5 == 3 {
            files.push((format!("{v:05}_step.down.sql"), format!("DROP INDEX t{t}_status;\n")));
        }
        files.push((name, sql));
    }
    files
}

fn floor(files: &[(String, String)]) -> Duration {
    let conn = rusqlite::Connection::open_in_memory().unwrap();
    let started = Instant::now();
    for (name, sql) in files {
        if !name.ends_with(".down.sql") {
            conn.execute_batch(&format!("BEGIN; {sql} COMMIT;")).unwrap();
        }
    }
    started.elapsed()
}

#[test]
#[ignore = "timing; run in release mode"]
fn verification_stays_linear() {
    for n in [1000, 5000] {
        let files = files(n);
        let floor = floor(&files);
        let set = MigrationSet::from_entries(
            files.iter().map(|(name, sql)| Entry::file(name.clone(), sql.clone())),
        )
        .unwrap();
        let started = Instant::now();
        let verification = verify(&set, &Options::default()).unwrap();
        let took = started.elapsed();
        assert!(verification.is_ok(), "{:?}", verification.failures.first());
        println!(
            "n = {n}: floor {floor:?}, verify {took:?} ({:.1}x), lints {}",
            took.as_secs_f64() / floor.as_secs_f64(),
            verification.lints.len()
        );
    }
}
