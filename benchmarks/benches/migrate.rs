//! `cargo bench -p migrate-bench`: the runtime and the macro over generated sets of
//! N = 10, 100, 1000, 5000, 10000 migrations (`MIGRATE_BENCH_SIZES=10,100` to choose).
//!
//! Run as a test (`cargo test --benches`, or `cargo bench -- --test`), every benchmark runs
//! once at N = 10. `scripts/bench.sh` prints the same measurements as one table with ratios.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use divan::Bencher;
use migrate_bench::{Fixture, ScratchDb};

static FIXTURES: Mutex<BTreeMap<usize, Arc<Fixture>>> = Mutex::new(BTreeMap::new());

fn fixture(n: usize) -> Arc<Fixture> {
    let mut fixtures = FIXTURES.lock().unwrap_or_else(|e| e.into_inner());
    fixtures
        .entry(n)
        .or_insert_with(|| Arc::new(Fixture::new(n)))
        .clone()
}

/// The up-to-date database of each fixture, for the no-op runs.
static UP_TO_DATE: Mutex<BTreeMap<usize, std::path::PathBuf>> = Mutex::new(BTreeMap::new());

fn up_to_date(fixture: &Fixture) -> std::path::PathBuf {
    let mut dbs = UP_TO_DATE.lock().unwrap_or_else(|e| e.into_inner());
    dbs.entry(fixture.n)
        .or_insert_with(|| fixture.up_to_date_db())
        .clone()
}

fn sizes() -> Vec<usize> {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--bench") && !args.iter().any(|a| a == "--test") {
        migrate_bench::sizes(&migrate_bench::FULL_SIZES)
    } else {
        vec![10]
    }
}

fn main() {
    divan::main();
    // Remove the temporary directories.
    FIXTURES.lock().unwrap_or_else(|e| e.into_inner()).clear();
    macro_expansion_verify::clear();
}

mod apply_file {
    use super::*;

    /// The runtime, one transaction per migration (the default).
    #[divan::bench(args = sizes(), sample_count = 10, max_time = 20)]
    fn runtime(bencher: Bencher, n: usize) {
        let f = fixture(n);
        bencher
            .with_inputs(|| ScratchDb::file(&f))
            .bench_local_values(|mut db| {
                assert_eq!(migrate_bench::apply(&f.migrations, &mut db.conn), n);
                db
            });
    }

    /// The runtime with `single_transaction(true)`.
    #[divan::bench(args = sizes(), sample_count = 10, max_time = 20)]
    fn runtime_single_transaction(bencher: Bencher, n: usize) {
        let f = fixture(n);
        bencher
            .with_inputs(|| ScratchDb::file(&f))
            .bench_local_values(|mut db| {
                migrate_bench::apply_single_transaction(&f.migrations, &mut db.conn);
                db
            });
    }

    /// Floor: plain rusqlite, one transaction per migration.
    #[divan::bench(args = sizes(), sample_count = 10, max_time = 20)]
    fn plain_per_transaction(bencher: Bencher, n: usize) {
        let f = fixture(n);
        bencher
            .with_inputs(|| ScratchDb::file(&f))
            .bench_local_values(|mut db| {
                migrate_bench::plain_per_transaction(&f.sql, &mut db.conn);
                db
            });
    }

    /// Floor: plain rusqlite, one transaction for everything.
    #[divan::bench(args = sizes(), sample_count = 10, max_time = 20)]
    fn plain_single_transaction(bencher: Bencher, n: usize) {
        let f = fixture(n);
        bencher
            .with_inputs(|| ScratchDb::file(&f))
            .bench_local_values(|mut db| {
                migrate_bench::plain_single_transaction(&f.sql, &mut db.conn);
                db
            });
    }
}

mod apply_memory {
    use super::*;

    /// The runtime on `:memory:`, one transaction per migration.
    #[divan::bench(args = sizes(), sample_count = 10, max_time = 20)]
    fn runtime(bencher: Bencher, n: usize) {
        let f = fixture(n);
        bencher
            .with_inputs(migrate_bench::open_memory)
            .bench_local_values(|mut conn| {
                migrate_bench::apply(&f.migrations, &mut conn);
                conn
            });
    }

    /// Floor on `:memory:`: plain rusqlite, one transaction per migration.
    #[divan::bench(args = sizes(), sample_count = 10, max_time = 20)]
    fn plain_per_transaction(bencher: Bencher, n: usize) {
        let f = fixture(n);
        bencher
            .with_inputs(migrate_bench::open_memory)
            .bench_local_values(|mut conn| {
                migrate_bench::plain_per_transaction(&f.sql, &mut conn);
                conn
            });
    }
}

/// Issue 12: `Migrations::test_database()` per call, a copy of the template the first call
/// built; the fresh apply it replaces is `apply_memory::runtime`.
mod test_database {
    use super::*;

    /// One call: a new in-memory database copied from the set's template.
    #[divan::bench(args = sizes(), sample_count = 100, max_time = 10)]
    fn per_call(bencher: Bencher, n: usize) {
        let f = fixture(n);
        // The template: built once, outside the measurement.
        drop(migrate_bench::test_database(&f.migrations));
        bencher.bench_local(|| migrate_bench::test_database(&f.migrations));
    }

    /// One call and the first query of a table, which reads the copied schema.
    #[divan::bench(args = sizes(), sample_count = 100, max_time = 10)]
    fn per_call_and_first_query(bencher: Bencher, n: usize) {
        let f = fixture(n);
        drop(migrate_bench::test_database(&f.migrations));
        bencher.bench_local(|| migrate_bench::test_database_first_query(&f.migrations));
    }
}

/// Start-up on an up-to-date file database, each iteration on a freshly opened connection
/// (opening is not timed; closing is not timed).
mod noop_fresh_connection {
    use super::*;

    /// `Migrations::run` with the default (history) check.
    #[divan::bench(args = sizes(), sample_size = 1, sample_count = 300)]
    fn runtime(bencher: Bencher, n: usize) {
        let f = fixture(n);
        let path = up_to_date(&f);
        bencher
            .with_inputs(|| migrate_bench::open_fresh(&path))
            .bench_local_values(|mut conn| {
                assert_eq!(migrate_bench::noop_run(&f.migrations, &mut conn), 0);
                conn
            });
    }

    /// `runner().up_to_date_check(UpToDateCheck::VersionOnly)`.
    #[divan::bench(args = sizes(), sample_size = 1, sample_count = 300)]
    fn runtime_version_only(bencher: Bencher, n: usize) {
        let f = fixture(n);
        let path = up_to_date(&f);
        bencher
            .with_inputs(|| migrate_bench::open_fresh(&path))
            .bench_local_values(|mut conn| {
                assert_eq!(
                    migrate_bench::noop_version_only(&f.migrations, &mut conn),
                    0
                );
                conn
            });
    }

    /// `Migrations::status` (reads every applied row: it grows with N by nature).
    #[divan::bench(args = sizes(), sample_size = 1, sample_count = 100, max_time = 10)]
    fn status(bencher: Bencher, n: usize) {
        let f = fixture(n);
        let path = up_to_date(&f);
        bencher
            .with_inputs(|| migrate_bench::open_fresh(&path))
            .bench_local_values(|conn| {
                assert_eq!(migrate_bench::status(&f.migrations, &conn), n);
                conn
            });
    }

    /// Floor: the application's first query of one of its tables.
    #[divan::bench(args = sizes(), sample_size = 1, sample_count = 300)]
    fn floor_first_query(bencher: Bencher, n: usize) {
        let f = fixture(n);
        let path = up_to_date(&f);
        bencher
            .with_inputs(|| migrate_bench::open_fresh(&path))
            .bench_local_values(|conn| {
                migrate_bench::floor_first_query(&conn);
                conn
            });
    }

    /// Floor: a bare `PRAGMA user_version` read.
    #[divan::bench(args = sizes(), sample_size = 1, sample_count = 300)]
    fn floor_user_version(bencher: Bencher, n: usize) {
        let f = fixture(n);
        let path = up_to_date(&f);
        bencher
            .with_inputs(|| migrate_bench::open_fresh(&path))
            .bench_local_values(|conn| {
                assert_eq!(migrate_bench::floor_user_version(&conn), n as i64);
                conn
            });
    }
}

mod macro_expansion {
    use super::*;

    /// `embed_migrations!("migrations")`: the macro's expansion function, called directly.
    #[divan::bench(args = sizes(), sample_count = 10, max_time = 20)]
    fn expand(bencher: Bencher, n: usize) {
        let f = fixture(n);
        bencher.bench_local(|| migrate_bench::expand(f.root()));
    }
}

/// Issue 14: `embed_migrations!("migrations", verify)` against the floor, plain rusqlite
/// applying the same SQL to `:memory:`.
mod macro_expansion_verify {
    use super::*;

    static WITH_DOWNS: Mutex<BTreeMap<usize, Arc<Fixture>>> = Mutex::new(BTreeMap::new());

    fn with_downs(n: usize) -> Arc<Fixture> {
        let mut fixtures = WITH_DOWNS.lock().unwrap_or_else(|e| e.into_inner());
        fixtures
            .entry(n)
            .or_insert_with(|| Arc::new(Fixture::with_downs(n)))
            .clone()
    }

    /// The expansion with `verify` (the set applied to the macro's in-memory database).
    #[divan::bench(args = sizes(), sample_count = 10, max_time = 20)]
    fn expand_verify(bencher: Bencher, n: usize) {
        let f = fixture(n);
        bencher.bench_local(|| migrate_bench::expand_verify(f.root()));
    }

    /// The same with a down file beside every migration (each one checked).
    #[divan::bench(args = sizes(), sample_count = 10, max_time = 20)]
    fn expand_verify_down_files(bencher: Bencher, n: usize) {
        let f = with_downs(n);
        bencher.bench_local(|| migrate_bench::expand_verify(f.root()));
    }

    // The floor, plain rusqlite on `:memory:` with one transaction per migration, is
    // `apply_memory::plain_per_transaction`.

    /// Floor of the down-file check: each up script, then its down file rolled back.
    #[divan::bench(args = sizes(), sample_count = 10, max_time = 20)]
    fn floor_down_files(bencher: Bencher, n: usize) {
        let f = with_downs(n);
        bencher
            .with_inputs(migrate_bench::open_memory)
            .bench_local_values(|mut conn| {
                migrate_bench::plain_up_and_down(&f.sql, &f.downs, &mut conn);
                conn
            });
    }

    /// Removes the temporary directories of the fixtures with down files.
    pub(crate) fn clear() {
        WITH_DOWNS.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }
}
