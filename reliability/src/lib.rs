//! Migration sets shared by the reliability trials (`tests/trials.rs`) and the child process
//! they start (`src/bin/migrator.rs`), so that parent and child apply exactly the same files.
//!
//! Run the trials with `cargo test -p reliability` (bounded) or
//! `RELIABILITY_LONG=1 cargo test -p reliability --release` (thousands of trials).
//!
//! ```
//! let files = reliability::files("small", 0).unwrap();
//! let set = reliability::set("small", 0).unwrap();
//! assert_eq!(set.len(), files.len());
//! ```

use migrate_runtime::Migrations;

/// The names of the sets [`files`] knows.
pub const SETS: [&str; 4] = ["crash_tx", "crash_mixed", "small", "slow"];

/// `INSERT INTO <table> SELECT x + <offset> FROM 1..=rows`, one statement that takes time.
fn fill(table: &str, rows: u32, offset: u64) -> String {
    format!(
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < {rows})\n\
         INSERT INTO {table} (x) SELECT x + {offset} FROM c;\n"
    )
}

/// The files of a named set, `(file name, contents)`, in version order. `rows` scales the
/// statements that take time (ignored by `small`).
///
/// - `crash_tx`: transactional migrations whose statements insert, index and rebuild `rows`
///   rows; every migration also logs its version once in `log`, so a migration applied twice
///   or half shows in the data.
/// - `crash_mixed`: the same kind of work with three `-- migrate:no-transaction` migrations:
///   slow inserts, a `VACUUM`, and a script that opens and commits its own transaction.
/// - `small`: quick migrations, one of them no-transaction, for concurrent starts.
/// - `slow`: one long migration that spills SQLite's page cache, so that the leader holds the
///   exclusive lock for a long time while followers start.
pub fn files(name: &str, rows: u32) -> Option<Vec<(String, String)>> {
    let create = "CREATE TABLE t (x INTEGER NOT NULL);\nCREATE TABLE log (v INTEGER NOT NULL);\n";
    let rebuild = "-- SQLite's table rebuild: create, copy, drop, rename\n\
                   CREATE TABLE t_new (x INTEGER NOT NULL, y INTEGER NOT NULL DEFAULT 0);\n\
                   INSERT INTO t_new (x, y) SELECT x, x % 7 FROM t;\n\
                   DROP TABLE t;\n\
                   ALTER TABLE t_new RENAME TO t;\n\
                   CREATE INDEX t_y ON t (y);\n";
    let files: Vec<(&str, String)> = match name {
        "crash_tx" => vec![
            ("0001_create.sql", create.to_owned()),
            (
                "0002_fill.sql",
                format!("INSERT INTO log VALUES (2);\n{}", fill("t", rows, 0)),
            ),
            (
                "0003_index.sql",
                "CREATE INDEX t_x ON t (x);\nINSERT INTO log VALUES (3);\n".to_owned(),
            ),
            (
                "0004_more.sql",
                format!(
                    "{}INSERT INTO log VALUES (4);\n",
                    fill("t", rows / 2, 1_000_000)
                ),
            ),
            (
                "0005_rebuild.sql",
                format!("{rebuild}INSERT INTO log VALUES (5);\n"),
            ),
            (
                "0006_copy.sql",
                "CREATE TABLE u AS SELECT x, y FROM t WHERE y = 3;\nINSERT INTO log VALUES (6);\n"
                    .to_owned(),
            ),
        ],
        "crash_mixed" => vec![
            ("0001_create.sql", create.to_owned()),
            (
                "0002_fill_outside.sql",
                format!(
                    "-- migrate:no-transaction\n{}INSERT INTO log VALUES (21);\n{}INSERT INTO log VALUES (22);\n",
                    fill("t", rows / 2, 0),
                    fill("t", rows / 2, 1_000_000),
                ),
            ),
            (
                "0003_index.sql",
                "CREATE INDEX t_x ON t (x);\nINSERT INTO log VALUES (3);\n".to_owned(),
            ),
            (
                "0004_vacuum.sql",
                "-- migrate:no-transaction\nDELETE FROM t WHERE x % 3 = 0;\nINSERT INTO log VALUES (41);\nVACUUM;\nINSERT INTO log VALUES (42);\n"
                    .to_owned(),
            ),
            (
                "0005_own_transaction.sql",
                "-- migrate:no-transaction\nBEGIN;\nINSERT INTO t (x) SELECT x + 5000000 FROM t WHERE x % 5 = 0;\nINSERT INTO log VALUES (51);\nCOMMIT;\nINSERT INTO log VALUES (52);\n"
                    .to_owned(),
            ),
            (
                "0006_rebuild.sql",
                format!("{rebuild}INSERT INTO log VALUES (6);\n"),
            ),
        ],
        "small" => vec![
            (
                "0001_people.sql",
                "CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\nCREATE TABLE log (v INTEGER NOT NULL);\nINSERT INTO log VALUES (1);\n"
                    .to_owned(),
            ),
            (
                "0002_seed.sql",
                "INSERT INTO people (name) VALUES ('ada'), ('grace'), ('edsger');\nINSERT INTO log VALUES (2);\n"
                    .to_owned(),
            ),
            (
                "0003_orders.sql",
                "CREATE TABLE orders (id INTEGER PRIMARY KEY, person_id INTEGER NOT NULL REFERENCES people (id), total INTEGER NOT NULL);\nINSERT INTO orders (person_id, total) SELECT id, id * 10 FROM people;\nINSERT INTO log VALUES (3);\n"
                    .to_owned(),
            ),
            (
                "0004_outside.sql",
                "-- migrate:no-transaction\nCREATE INDEX orders_person ON orders (person_id);\nINSERT INTO log VALUES (41);\nINSERT INTO log VALUES (42);\n"
                    .to_owned(),
            ),
            (
                "0005_counter.sql",
                "CREATE TABLE counter (n INTEGER NOT NULL);\nINSERT INTO counter VALUES (1);\nUPDATE counter SET n = n + (SELECT count(*) FROM people);\nINSERT INTO log VALUES (5);\n"
                    .to_owned(),
            ),
            (
                "0006_view.sql",
                "CREATE VIEW totals AS SELECT person_id, sum(total) AS total FROM orders GROUP BY person_id;\nINSERT INTO log VALUES (6);\n"
                    .to_owned(),
            ),
        ],
        "slow" => vec![
            ("0001_create.sql", create.to_owned()),
            (
                "0002_fill.sql",
                format!(
                    "INSERT INTO log VALUES (2);\n{}CREATE INDEX t_x ON t (x);\n",
                    fill("t", rows, 0)
                ),
            ),
            ("0003_log.sql", "INSERT INTO log VALUES (3);\n".to_owned()),
        ],
        _ => return None,
    };
    Some(
        files
            .into_iter()
            .map(|(name, sql)| (name.to_owned(), sql))
            .collect(),
    )
}

/// A named set (see [`files`]) as a [`Migrations`] value, validated by the library's rules.
pub fn set(name: &str, rows: u32) -> Option<Migrations> {
    let files = files(name, rows)?;
    Some(Migrations::from_files(files).expect("the reliability sets are valid"))
}
