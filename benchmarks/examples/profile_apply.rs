//! One apply-all run of a generated set, for profilers (the breakdown in BENCHMARKS.md):
//!
//! ```text
//! cargo build --release -p migrate-bench --example profile_apply
//! valgrind --tool=callgrind target/release/examples/profile_apply 300 grouped
//! valgrind --tool=callgrind target/release/examples/profile_apply 300 grouped-floor
//! ```
//!
//! Modes: `per-transaction`, `per-transaction-floor`, `grouped`, `grouped-floor`; on `:memory:`,
//! or on a new database file (`synchronous = FULL`) with a third argument `file`, e.g. to count
//! writes and syncs: `strace -f -c -e trace=pwrite64,fsync,fdatasync ... 100 per-transaction file`.

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(300);
    let mode = std::env::args().nth(2).unwrap_or_default();
    // `MIGRATE_BENCH_FOREIGN_KEYS=1`: the foreign-key workload.
    let f = if std::env::var_os("MIGRATE_BENCH_FOREIGN_KEYS").is_some() {
        migrate_bench::Fixture::with_foreign_keys(n)
    } else {
        migrate_bench::Fixture::new(n)
    };
    let file = std::env::args().nth(3).as_deref() == Some("file");
    let mut conn = if file {
        migrate_bench::open_file(&f.new_db_path())
    } else {
        migrate_bench::open_memory()
    };
    let applied = match mode.as_str() {
        "per-transaction" => migrate_bench::apply(&f.migrations, &mut conn),
        "per-transaction-floor" => migrate_bench::plain_per_transaction(&f.sql, &mut conn),
        "grouped" => migrate_bench::apply_single_transaction(&f.migrations, &mut conn),
        "grouped-floor" => migrate_bench::plain_single_transaction(&f.sql, &mut conn),
        other => {
            eprintln!("unknown mode `{other}`");
            std::process::exit(2);
        }
    };
    assert_eq!(applied, n);
}
