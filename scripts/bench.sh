#!/usr/bin/env bash
# Issue 6: run every benchmark and print ONE table of all figures, with the ratios against
# the floors and the targets. Takes tens of minutes; not run in CI (CI runs the smoke test
# and the benches once at N = 10 through `cargo test --workspace`).
#
#   scripts/bench.sh                      # everything
#   MIGRATE_BENCH_SIZES=10,100 scripts/bench.sh            # runtime/expansion sizes
#   MIGRATE_BENCH_BUILD_SIZES=10,100 scripts/bench.sh      # fixture crate sizes
#   MIGRATE_BENCH_SKIP_BUILDS=1 scripts/bench.sh           # no fixture crates, no clean builds
#   MIGRATE_BENCH_GROUPS=verify,builds scripts/bench.sh     # some groups only: runtime,
#                                                           # foreign-keys (issue 9), verify
#                                                           # (issue 14), builds, one-time,
#                                                           # fleet (issue 11),
#                                                           # test-database (issue 12)
#   MIGRATE_BENCH_FLEET_SIZES=100,1000 MIGRATE_BENCH_FLEET_ROUNDS=1 ...  # a smaller fleet run
#
# The table goes to stdout and to $CARGO_TARGET_DIR/bench-report.md (target/ by default);
# progress goes to stderr.
# For divan's own statistics of the runtime and expansion: cargo bench -p migrate-bench
set -euo pipefail
cd "$(dirname "$0")/.."
# The binary is where cargo puts it: CARGO_TARGET_DIR when set (a relative one is relative
# to the workspace root, where this script runs cargo), else target/.
target_dir="${CARGO_TARGET_DIR:-target}"
cargo build --release -p migrate-bench --bin bench-report
{
    echo "Machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(rustc --version)"
    echo "Run: $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
    echo
    "$target_dir/release/bench-report"
} | tee "$target_dir/bench-report.md"
