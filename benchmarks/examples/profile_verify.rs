//! One expansion with `verify` of a generated set, or its floor, for profilers: the
//! instruction counts of the "cost beyond the floor" in BENCHMARKS.md (issue 14), which the
//! wall times of a shared machine resolve poorly.
//!
//! ```text
//! cargo build --release -p migrate-bench --example profile_verify
//! valgrind --tool=callgrind --callgrind-out-file=/dev/null target/release/examples/profile_verify 1000 verify
//! valgrind --tool=callgrind --callgrind-out-file=/dev/null target/release/examples/profile_verify 1000 floor
//! ```
//!
//! Modes: `verify` (`embed_migrations!("migrations", verify)`'s expansion), `floor` (plain
//! rusqlite applying the same SQL to `:memory:`, one transaction per migration). Both
//! generate the fixture first, so the difference of two counts is the expansion with
//! `verify` minus the floor, as the report's row.

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1000);
    let mode = std::env::args().nth(2).unwrap_or_default();
    let f = migrate_bench::Fixture::new(n);
    match mode.as_str() {
        "verify" => {
            migrate_bench::expand_verify(f.root());
        }
        "floor" => {
            let mut conn = migrate_bench::open_memory();
            assert_eq!(migrate_bench::plain_per_transaction(&f.sql, &mut conn), n);
        }
        other => {
            eprintln!("unknown mode `{other}`");
            std::process::exit(2);
        }
    }
}
