//! Benchmarks of `migrate-runtime` and `embed_migrations!` (issue 6).
//!
//! This library holds what the divan benches (`cargo bench -p migrate-bench`), the report
//! binary (`scripts/bench.sh`) and the smoke test share: a generator of realistic migration
//! sets, the measured operations, and their floors written with plain rusqlite.
//!
//! Every measured operation is a plain function here, so that the bench, the report and the
//! test run exactly the same code.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use migrate_rules::expand::{self, Host, Tracking};
use migrate_runtime::rusqlite::{self, Connection};
use migrate_runtime::{ForeignKeyCheck, Migrations, UpToDateCheck};

/// The set sizes of the full run.
pub const FULL_SIZES: [usize; 5] = [10, 100, 1000, 5000, 10000];

/// The sizes to measure: `MIGRATE_BENCH_SIZES` (comma-separated) when set, else `default`.
pub fn sizes(default: &[usize]) -> Vec<usize> {
    match std::env::var("MIGRATE_BENCH_SIZES") {
        Ok(list) => list
            .split(',')
            .filter_map(|s| s.trim().parse().ok())
            .collect(),
        Err(_) => default.to_vec(),
    }
}

/// The file name of migration `version` of a generated set of any size up to 99999.
pub fn file_name(version: usize) -> String {
    let kind = match version % 5 {
        1 => "create_table",
        2 => "add_column",
        3 => "create_index",
        4 => "insert_rows",
        _ => "update_rows",
    };
    format!("{version:05}_{kind}_{}.sql", table_of(version))
}

/// The table migration `version` works on: every fifth migration creates one.
fn table_of(version: usize) -> usize {
    (version - 1) / 5 + 1
}

/// The SQL of migration `version` (1-based) of a generated set: a realistic rotation of
/// `CREATE TABLE`, `ALTER TABLE ... ADD COLUMN`, `CREATE INDEX`, `INSERT` and `UPDATE` of a few
/// rows, each file two to four statements with a comment header, as people write them.
pub fn migration_sql(version: usize) -> String {
    let t = table_of(version);
    let mut sql = String::new();
    let _ = writeln!(sql, "-- Migration {version}: generated for the benchmarks.");
    match version % 5 {
        1 => {
            let _ = write!(
                sql,
                "CREATE TABLE table_{t} (\n    id INTEGER PRIMARY KEY,\n    name TEXT NOT NULL,\n    \
                 email TEXT,\n    status INTEGER NOT NULL DEFAULT 0,\n    \
                 created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))\n);\n\
                 CREATE UNIQUE INDEX table_{t}_email ON table_{t} (email);\n\
                 INSERT INTO table_{t} (name, email) VALUES ('first', 'first-{t}@example.com');\n"
            );
        }
        2 => {
            let _ = write!(
                sql,
                "ALTER TABLE table_{t} ADD COLUMN score INTEGER NOT NULL DEFAULT 0;\n\
                 ALTER TABLE table_{t} ADD COLUMN note TEXT;\n\
                 UPDATE table_{t} SET note = 'migrated in {version}' WHERE note IS NULL;\n"
            );
        }
        3 => {
            let _ = write!(
                sql,
                "CREATE INDEX table_{t}_status_score ON table_{t} (status, score);\n\
                 CREATE INDEX table_{t}_created_at ON table_{t} (created_at);\n"
            );
        }
        4 => {
            let _ = write!(
                sql,
                "INSERT INTO table_{t} (name, email, status, score) VALUES\n    \
                 ('alice', 'alice-{t}@example.com', 1, 10),\n    \
                 ('bob', 'bob-{t}@example.com', 2, 20),\n    \
                 ('carol', 'carol-{t}@example.com', 1, 30);\n"
            );
        }
        _ => {
            let _ = write!(
                sql,
                "UPDATE table_{t} SET status = status + 1, score = score * 2 WHERE status = 1;\n\
                 UPDATE table_{t} SET note = 'checked' WHERE id IN (1, 2);\n\
                 DELETE FROM table_{t} WHERE name = 'first' AND status > 5;\n"
            );
        }
    }
    sql
}

/// The file name of the down file of migration `version`: `<version>_<description>.down.sql`.
pub fn down_file_name(version: usize) -> String {
    let up = file_name(version);
    format!("{}.down.sql", up.strip_suffix(".sql").unwrap_or(&up))
}

/// The down file of migration `version`: it restores the schema before the migration (data is
/// not the down file's concern). `DROP TABLE` for the table, `DROP COLUMN` for the two
/// columns, `DROP INDEX` for the two indexes, `DELETE` of the inserted rows; the updates cannot
/// be undone (the old values are gone), so their down file is a compensating `UPDATE` that
/// leaves the schema as it is, as people write them.
pub fn down_sql(version: usize) -> String {
    let t = table_of(version);
    let mut sql = String::new();
    let _ = writeln!(sql, "-- Undoes migration {version}.");
    match version % 5 {
        1 => {
            let _ = writeln!(sql, "DROP TABLE table_{t};");
        }
        2 => {
            let _ = write!(
                sql,
                "ALTER TABLE table_{t} DROP COLUMN note;\nALTER TABLE table_{t} DROP COLUMN score;\n"
            );
        }
        3 => {
            let _ = write!(
                sql,
                "DROP INDEX table_{t}_created_at;\nDROP INDEX table_{t}_status_score;\n"
            );
        }
        4 => {
            let _ = write!(
                sql,
                "DELETE FROM table_{t} WHERE email IN\n    \
                 ('alice-{t}@example.com', 'bob-{t}@example.com', 'carol-{t}@example.com');\n"
            );
        }
        _ => {
            let _ = write!(
                sql,
                "-- The values before the updates are gone: only the note is reset.\n\
                 UPDATE table_{t} SET note = NULL WHERE note = 'checked';\n"
            );
        }
    }
    sql
}

/// The file name of migration `version` of the foreign-key workload
/// ([`foreign_key_migration_sql`]).
pub fn foreign_key_file_name(version: usize) -> String {
    let kind = match version % 5 {
        1 => "create_parent",
        2 => "create_child",
        3 => "add_child_column",
        4 => "insert_both",
        _ => "delete_and_move",
    };
    format!("{version:05}_{kind}_{}.sql", table_of(version))
}

/// Parent rows each parent table starts with, in the foreign-key workload.
pub const PARENT_ROWS: usize = 20;

/// Child rows each child table starts with, in the foreign-key workload.
pub const CHILD_ROWS: usize = 40;

/// The SQL of migration `version` of the workload with foreign keys between tables: every
/// five migrations create a parent table with rows, a child table referencing it with rows,
/// add a column to the child, insert into both, and delete and move rows on both sides, so
/// that each migration writes tables other tables reference (and the foreign-key check after
/// it has something to read).
pub fn foreign_key_migration_sql(version: usize) -> String {
    let p = table_of(version);
    let mut sql = String::new();
    let _ = writeln!(
        sql,
        "-- Migration {version}: generated for the benchmarks (foreign keys)."
    );
    match version % 5 {
        1 => {
            let _ = write!(
                sql,
                "CREATE TABLE parent_{p} (\n    id INTEGER PRIMARY KEY,\n    name TEXT NOT NULL\n);\n\
                 WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {PARENT_ROWS})\n\
                 INSERT INTO parent_{p} (id, name) SELECT i, 'parent ' || i FROM n;\n"
            );
        }
        2 => {
            let _ = write!(
                sql,
                "CREATE TABLE child_{p} (\n    id INTEGER PRIMARY KEY,\n    \
                 parent_id INTEGER NOT NULL REFERENCES parent_{p} (id),\n    note TEXT\n);\n\
                 CREATE INDEX child_{p}_parent ON child_{p} (parent_id);\n\
                 WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {CHILD_ROWS})\n\
                 INSERT INTO child_{p} (parent_id, note) SELECT i % {PARENT_ROWS} + 1, 'child ' || i FROM n;\n"
            );
        }
        3 => {
            let _ = write!(
                sql,
                "ALTER TABLE child_{p} ADD COLUMN score INTEGER NOT NULL DEFAULT 0;\n\
                 UPDATE child_{p} SET score = id * 2;\n"
            );
        }
        4 => {
            let _ = write!(
                sql,
                "INSERT INTO parent_{p} (id, name) VALUES ({late}, 'late');\n\
                 INSERT INTO child_{p} (parent_id, note) VALUES ({late}, 'late child'), (3, 'another');\n",
                late = PARENT_ROWS + 1
            );
        }
        _ => {
            let _ = write!(
                sql,
                "DELETE FROM child_{p} WHERE parent_id = {PARENT_ROWS};\n\
                 DELETE FROM parent_{p} WHERE id = {PARENT_ROWS};\n\
                 UPDATE child_{p} SET parent_id = 1 WHERE parent_id = 2;\n"
            );
        }
    }
    sql
}

/// The number of tables a generated set of `n` migrations creates.
pub fn tables_created(n: usize) -> usize {
    if n == 0 { 0 } else { table_of(n) }
}

/// The number of rows in `table_1` after a generated set of `n >= 5` migrations.
pub const ROWS_IN_FIRST_TABLE: i64 = 4;

/// Writes the first `n` migrations into `dir` (created if missing); returns their total bytes.
pub fn write_set(dir: &Path, n: usize) -> std::io::Result<u64> {
    write_migrations(dir, n, file_name, migration_sql)
}

/// Writes migrations `1..=n`, named by `name` with the SQL of `sql`, into `dir`.
fn write_migrations(
    dir: &Path,
    n: usize,
    name: fn(usize) -> String,
    sql: fn(usize) -> String,
) -> std::io::Result<u64> {
    std::fs::create_dir_all(dir)?;
    let mut bytes = 0;
    for version in 1..=n {
        let text = sql(version);
        bytes += text.len() as u64;
        std::fs::write(dir.join(name(version)), text)?;
    }
    Ok(bytes)
}

/// Writes the first `n` migrations of the foreign-key workload into `dir`; returns their
/// total bytes.
pub fn write_foreign_key_set(dir: &Path, n: usize) -> std::io::Result<u64> {
    write_migrations(dir, n, foreign_key_file_name, foreign_key_migration_sql)
}

/// [`write_set`] with a down file ([`down_sql`]) beside every migration; returns the total
/// bytes of the up files.
pub fn write_set_with_downs(dir: &Path, n: usize) -> std::io::Result<u64> {
    let bytes = write_set(dir, n)?;
    for version in 1..=n {
        std::fs::write(dir.join(down_file_name(version)), down_sql(version))?;
    }
    Ok(bytes)
}

/// Which migrations a [`Fixture`] holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Workload {
    /// [`migration_sql`]: tables, columns, indexes, inserts and updates.
    Plain,
    /// [`migration_sql`] with a [`down_sql`] beside each migration.
    PlainWithDowns,
    /// [`foreign_key_migration_sql`]: parent and child tables with rows in both.
    ForeignKeys,
}

/// A generated set on disk: `<root>/migrations/*.sql` beside a `build.rs` that tracks it,
/// loaded with [`Migrations::from_dir`] (the macro's packed layout) and as plain SQL strings
/// for the floors.
pub struct Fixture {
    root: tempfile::TempDir,
    /// The number of migrations.
    pub n: usize,
    /// The set as the runtime sees it.
    pub migrations: Migrations,
    /// The SQL of each migration, in order, for the plain-rusqlite floors.
    pub sql: Vec<String>,
    /// The down file of each migration, in order, when the fixture has them (else empty).
    pub downs: Vec<String>,
    /// Total bytes of SQL.
    pub sql_bytes: u64,
}

impl Fixture {
    /// Generates `n` migrations into a new temporary directory.
    ///
    /// # Panics
    /// When the temporary directory cannot be written or the set is invalid (a bug here).
    pub fn new(n: usize) -> Fixture {
        Fixture::generate(n, Workload::Plain)
    }

    /// [`Fixture::new`] with a down file beside every migration ([`write_set_with_downs`]);
    /// `sql` holds the up scripts, `downs` the down files.
    ///
    /// # Panics
    /// As [`Fixture::new`].
    pub fn with_downs(n: usize) -> Fixture {
        Fixture::generate(n, Workload::PlainWithDowns)
    }

    /// `n` migrations of the foreign-key workload ([`foreign_key_migration_sql`]).
    ///
    /// # Panics
    /// As [`Fixture::new`].
    pub fn with_foreign_keys(n: usize) -> Fixture {
        Fixture::generate(n, Workload::ForeignKeys)
    }

    /// `n` migrations of `workload` in a new temporary directory.
    ///
    /// # Panics
    /// As [`Fixture::new`].
    pub fn generate(n: usize, workload: Workload) -> Fixture {
        let downs = workload == Workload::PlainWithDowns;
        let root = tempfile::Builder::new()
            .prefix("migrate-bench-")
            .tempdir()
            .expect("create a temporary directory");
        let dir = root.path().join("migrations");
        let sql_bytes = match workload {
            Workload::Plain => write_set(&dir, n),
            Workload::PlainWithDowns => write_set_with_downs(&dir, n),
            Workload::ForeignKeys => write_foreign_key_set(&dir, n),
        }
        .expect("write migrations");
        std::fs::write(
            root.path().join("build.rs"),
            "fn main() {\n    println!(\"cargo:rerun-if-changed=migrations\");\n}\n",
        )
        .expect("write build.rs");
        let migrations =
            Migrations::from_dir(root.path().join("migrations")).expect("a valid generated set");
        Fixture {
            root,
            n,
            migrations,
            sql: match workload {
                Workload::ForeignKeys => (1..=n).map(foreign_key_migration_sql).collect(),
                _ => (1..=n).map(migration_sql).collect(),
            },
            downs: if downs {
                (1..=n).map(down_sql).collect()
            } else {
                Vec::new()
            },
            sql_bytes,
        }
    }

    /// The directory that holds `migrations/` and `build.rs` (the macro's manifest directory).
    pub fn root(&self) -> &Path {
        self.root.path()
    }

    /// A path for a new database file in the fixture's directory.
    pub fn new_db_path(&self) -> PathBuf {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        self.root.path().join(format!(
            "db-{}.sqlite",
            NEXT.fetch_add(1, Ordering::Relaxed)
        ))
    }

    /// A database file with every migration applied by the runtime, for the no-op runs.
    pub fn up_to_date_db(&self) -> PathBuf {
        let path = self.new_db_path();
        let mut conn = open_file(&path);
        let report = self
            .migrations
            .run(&mut conn)
            .expect("apply the generated set");
        assert_eq!(report.applied.len(), self.n);
        path
    }
}

/// A new, empty database file for one apply-all iteration; removed (with its journal and
/// migrator lock file) when dropped.
pub struct ScratchDb {
    /// The open connection.
    pub conn: Connection,
    path: PathBuf,
}

impl ScratchDb {
    /// A new database file in the fixture's directory, opened by [`open_file`].
    pub fn file(fixture: &Fixture) -> ScratchDb {
        let path = fixture.new_db_path();
        ScratchDb {
            conn: open_file(&path),
            path,
        }
    }
}

impl Drop for ScratchDb {
    fn drop(&mut self) {
        for suffix in ["", "-journal", "-wal", "-shm", ".migrate-lock"] {
            let mut name = self.path.clone().into_os_string();
            name.push(suffix);
            let _ = std::fs::remove_file(name);
        }
    }
}

/// Opens a file database the way the benchmarks use it: default (rollback) journal mode and
/// `synchronous = FULL`, stated explicitly.
///
/// # Panics
/// When SQLite cannot open the file.
pub fn open_file(path: &Path) -> Connection {
    let conn = Connection::open(path).expect("open the database");
    conn.pragma_update(None, "synchronous", "FULL")
        .expect("set synchronous");
    conn
}

/// Opens a file database with nothing but `Connection::open`, as an application starts: no
/// statement runs, so SQLite has not read the schema yet (a `PRAGMA synchronous` would).
///
/// # Panics
/// When SQLite cannot open the file.
pub fn open_fresh(path: &Path) -> Connection {
    Connection::open(path).expect("open the database")
}

/// Opens an in-memory database.
///
/// # Panics
/// When SQLite cannot open it.
pub fn open_memory() -> Connection {
    Connection::open_in_memory().expect("open :memory:")
}

/// Applies every pending migration with the runtime, one transaction each (the default).
pub fn apply(migrations: &Migrations, conn: &mut Connection) -> usize {
    migrations
        .run(conn)
        .expect("apply the generated set")
        .applied
        .len()
}

/// A test database of the set at its latest version (issue 12): after the first call in the
/// process, a copy of the set's in-memory template.
pub fn test_database(migrations: &Migrations) -> Connection {
    migrations.test_database().expect("a test database")
}

/// [`test_database`] and the first query a test runs on it, which reads the schema the copy
/// brought (a fresh apply leaves it read already): what a test waits for before its own work.
pub fn test_database_first_query(migrations: &Migrations) -> Connection {
    let conn = test_database(migrations);
    floor_first_query(&conn);
    conn
}

/// Applies every pending migration with the runtime in one transaction.
pub fn apply_single_transaction(migrations: &Migrations, conn: &mut Connection) -> usize {
    migrations
        .runner()
        .single_transaction(true)
        .run(conn)
        .expect("apply the generated set")
        .applied
        .len()
}

/// The floor of [`apply`]: the same SQL with plain rusqlite, one transaction per migration,
/// no tracking.
pub fn plain_per_transaction(sql: &[String], conn: &mut Connection) -> usize {
    for script in sql {
        let tx = conn.transaction().expect("begin");
        tx.execute_batch(script).expect("run a migration");
        tx.commit().expect("commit");
    }
    sql.len()
}

/// [`apply`] with the whole-database foreign-key check after every migration
/// ([`ForeignKeyCheck::Full`]).
pub fn apply_full_check(migrations: &Migrations, conn: &mut Connection) -> usize {
    migrations
        .runner()
        .foreign_key_check(ForeignKeyCheck::Full)
        .run(conn)
        .expect("apply the generated set")
        .applied
        .len()
}

/// The floor of [`apply_single_transaction`]: the same SQL in one transaction, no tracking.
pub fn plain_single_transaction(sql: &[String], conn: &mut Connection) -> usize {
    let tx = conn.transaction().expect("begin");
    for script in sql {
        tx.execute_batch(script).expect("run a migration");
    }
    tx.commit().expect("commit");
    sql.len()
}

/// The floor of the down-file check: each up script committed in its own transaction, then
/// its down file in a transaction that is rolled back (what verification must run at least
/// for a set with down files; it compares the schemas on top).
pub fn plain_up_and_down(sql: &[String], downs: &[String], conn: &mut Connection) -> usize {
    for (script, down) in sql.iter().zip(downs) {
        let tx = conn.transaction().expect("begin");
        tx.execute_batch(script).expect("run a migration");
        tx.commit().expect("commit");
        let tx = conn.transaction().expect("begin");
        tx.execute_batch(down).expect("run a down file");
        tx.rollback().expect("roll back");
    }
    sql.len()
}

/// The no-op run on an up-to-date database (the default check); returns how many migrations
/// it applied (0).
pub fn noop_run(migrations: &Migrations, conn: &mut Connection) -> usize {
    migrations.run(conn).expect("no-op run").applied.len()
}

/// The no-op run with the opt-in version-only check.
pub fn noop_version_only(migrations: &Migrations, conn: &mut Connection) -> usize {
    migrations
        .runner()
        .up_to_date_check(UpToDateCheck::VersionOnly)
        .run(conn)
        .expect("no-op run")
        .applied
        .len()
}

/// `Migrations::status` on the database; returns the number of applied migrations.
pub fn status(migrations: &Migrations, conn: &Connection) -> usize {
    migrations.status(conn).expect("status").counts.applied
}

/// Floor: a bare `PRAGMA user_version` read.
pub fn floor_user_version(conn: &Connection) -> i64 {
    conn.query_row("PRAGMA user_version", [], |row| row.get(0))
        .expect("read user_version")
}

/// Floor: the application's first query of one of its tables, which makes SQLite read and
/// parse the whole schema on a fresh connection.
pub fn floor_first_query(conn: &Connection) -> i64 {
    conn.query_row("SELECT 1 FROM table_1 LIMIT 1", [], |row| row.get(0))
        .expect("query table_1")
}

/// The number of user tables (not `sqlite_%`, not the tracking tables).
pub fn user_table_count(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row(
        "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name LIKE 'table\\_%' ESCAPE '\\'",
        [],
        |row| row.get(0),
    )
}

/// Expands `embed_migrations!("migrations")` for the fixture at `root` by calling the macro's
/// expansion function directly, with the build-script tracking a real crate would use.
///
/// # Panics
/// When the expansion reports an error (the generated set is valid, so that is a bug).
pub fn expand(root: &Path) -> proc_macro2::TokenStream {
    let input = quote::quote!("migrations");
    let host = Host {
        manifest_dir: root.to_path_buf(),
        tracking: Tracking::BuildScript,
    };
    expand::expand_with(input, &host).expect("expansion succeeds")
}

/// Expands `embed_migrations!("migrations", verify)` for the fixture at `root` (issue 14): the
/// expansion of [`expand()`] plus the verification of the whole set, down files included, on
/// the macro's private in-memory database.
///
/// # Panics
/// When the expansion reports an error: a failed verification is a bug of the generator.
pub fn expand_verify(root: &Path) -> proc_macro2::TokenStream {
    expand_verify_result(root).unwrap_or_else(|e| panic!("verification fails: {e}"))
}

/// [`expand_verify`] without the panic, for the tests that check a broken set is refused.
///
/// # Errors
/// The macro's error (every failure of the verification, combined) as text.
pub fn expand_verify_result(root: &Path) -> Result<proc_macro2::TokenStream, String> {
    let input = quote::quote!("migrations", verify);
    let host = Host {
        manifest_dir: root.to_path_buf(),
        tracking: Tracking::BuildScript,
    };
    expand::expand_with(input, &host).map_err(|e| {
        e.into_iter()
            .map(|e| e.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    })
}

/// Fleets (issue 11): `n` database paths `db-00000.sqlite`, ... in `dir` (not created).
pub fn fleet_paths(dir: &Path, n: usize) -> Vec<PathBuf> {
    (0..n)
        .map(|i| dir.join(format!("db-{i:05}.sqlite")))
        .collect()
}

/// `n` copies of one up-to-date database (every migration of `fixture` applied by the
/// runtime) in `dir`: an up-to-date fleet without applying the set `n` times.
///
/// # Panics
/// When a file cannot be written.
pub fn up_to_date_fleet(fixture: &Fixture, dir: &Path, n: usize) -> Vec<PathBuf> {
    let source = fixture.up_to_date_db();
    let paths = fleet_paths(dir, n);
    for path in &paths {
        std::fs::copy(&source, path).expect("copy the up-to-date database");
    }
    paths
}

/// Runs `work` on every path on `threads` threads, each taking the next path from a shared
/// counter: the floors' thread pool.
fn plain_pool(paths: &[PathBuf], threads: usize, work: impl Fn(&Path) + Sync) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let next = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..threads.max(1) {
            scope.spawn(|| {
                while let Some(path) = paths.get(next.fetch_add(1, Ordering::Relaxed)) {
                    work(path);
                }
            });
        }
    });
}

/// The fleet apply: every path created and brought to the latest version by
/// `Migrations::fleet` on `threads` threads; returns the migrations applied.
///
/// # Panics
/// When a database fails.
pub fn fleet_apply(migrations: &Migrations, paths: &[PathBuf], threads: usize) -> usize {
    let report = migrations
        .fleet()
        .databases(paths.iter().cloned())
        .create_missing(true)
        .parallel(threads)
        .run()
        .expect("run the fleet");
    assert_eq!(report.totals.failed, 0, "{:?}", report.failures().next());
    report.totals.migrations_applied
}

/// The floor of [`fleet_apply`]: each path opened (created) with plain rusqlite and the same
/// SQL applied, one transaction per migration, on `threads` threads.
pub fn plain_fleet_apply(sql: &[String], paths: &[PathBuf], threads: usize) -> usize {
    plain_pool(paths, threads, |path| {
        let mut conn = Connection::open(path).expect("open the database");
        plain_per_transaction(sql, &mut conn);
    });
    sql.len() * paths.len()
}

/// The up-to-date check of a fleet: `Migrations::fleet().run()` over up-to-date databases;
/// returns how many were up to date.
///
/// # Panics
/// When a database is not up to date.
pub fn fleet_up_to_date(migrations: &Migrations, paths: &[PathBuf], threads: usize) -> usize {
    let report = migrations
        .fleet()
        .databases(paths.iter().cloned())
        .parallel(threads)
        .run()
        .expect("run the fleet");
    assert_eq!(report.totals.up_to_date, paths.len());
    report.totals.up_to_date
}

/// The floor of [`fleet_up_to_date`]: each file opened and the application's first query
/// run ([`floor_first_query`]), on `threads` threads.
pub fn plain_fleet_first_query(paths: &[PathBuf], threads: usize) -> usize {
    plain_pool(paths, threads, |path| {
        let conn = open_fresh(path);
        floor_first_query(&conn);
    });
    paths.len()
}
