//! `scripts/bench.sh` runs this: every figure of issue 6 in one table, with the ratios to
//! the floors and the targets.
//!
//! Runtime figures are medians over interleaved rounds (in each round every variant runs once,
//! so the engine and its floor see the same machine load). Build figures come from fixture
//! crates generated under `target/bench-fixtures/` and built with cargo.
//!
//! Environment: `MIGRATE_BENCH_SIZES` (runtime and expansion, default 10,100,1000,5000,10000),
//! `MIGRATE_BENCH_BUILD_SIZES` (fixture crates, default 10,100,1000,5000),
//! `MIGRATE_BENCH_SKIP_BUILDS=1` to skip the fixture crates and clean builds,
//! `MIGRATE_BENCH_GROUPS` (comma-separated, default all): `runtime` (apply all, no-op
//! start-up, expansion), `verify` (expansion with `verify`, issue 14), `builds` (fixture
//! crates), `one-time` (clean builds of migrate-macros with and without `verify`), `fleet`
//! (issue 11: 1000 databases x 20 migrations at 1, 2 and 4 threads, the up-to-date check of
//! 10,000 databases, peak memory at 1,000 and 10,000 databases; its own table, after the
//! main one), `test-database` (issue 12: `Migrations::test_database()` per call against a
//! fresh apply to `:memory:`, at the runtime sizes; its own table, after the main one). `MIGRATE_BENCH_FLEET_ROUNDS` (default 3) and `MIGRATE_BENCH_FLEET_SIZES`
//! (default `1000,10000`: the apply fleet and the check fleet) scale it down.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use migrate_bench::{Fixture, ScratchDb};
use migrate_test_kit::{fixture, workspace_root};

fn main() {
    // The child process of the peak-memory measurement.
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--fleet-memory") {
        fleet_memory_child(&args[2..]);
        return;
    }
    let sizes = migrate_bench::sizes(&migrate_bench::FULL_SIZES);
    let build_sizes = match std::env::var("MIGRATE_BENCH_BUILD_SIZES") {
        Ok(list) => list
            .split(',')
            .filter_map(|s| s.trim().parse().ok())
            .collect(),
        Err(_) => vec![10, 100, 1000, 5000],
    };
    let skip_builds = std::env::var_os("MIGRATE_BENCH_SKIP_BUILDS").is_some();
    let groups: Option<Vec<String>> = std::env::var("MIGRATE_BENCH_GROUPS")
        .ok()
        .map(|list| list.split(',').map(|g| g.trim().to_owned()).collect());
    let group = |name: &str| groups.as_ref().is_none_or(|g| g.iter().any(|g| g == name));

    let mut table = Table::default();
    let mut test_databases = Table::default();
    for &n in &sizes {
        if group("runtime") {
            eprintln!("[{}] runtime, N = {n}", clock());
            measure_runtime(n, &mut table);
        }
        if group("foreign-keys") {
            eprintln!("[{}] foreign-key workload, N = {n}", clock());
            measure_foreign_keys(n, &mut table);
        }
        if group("verify") {
            eprintln!("[{}] expansion with verify, N = {n}", clock());
            measure_verify(n, &mut table);
        }
        if group("test-database") {
            eprintln!("[{}] test databases, N = {n}", clock());
            measure_test_databases(n, &mut test_databases);
        }
    }
    if !skip_builds && (group("builds") || group("one-time")) {
        let workspace = workspace_root();
        let fixtures = workspace.join("target/bench-fixtures");
        // The fixture crates build against a snapshot of the committed sources, so that
        // edits in progress in the work tree cannot break or skew the run.
        let snapshot = snapshot_head(&workspace, &fixtures);
        let mut all = vec![1];
        all.extend(build_sizes.iter().copied().filter(|&n| n != 1));
        for &n in all.iter().filter(|_| group("builds")) {
            eprintln!("[{}] fixture crates, N = {n}", clock());
            if let Err(e) = measure_builds(&snapshot, &fixtures, n, n != 1, &mut table) {
                eprintln!("fixture crates at N = {n} skipped: {e}");
            }
        }
        if group("one-time") {
            eprintln!("[{}] clean builds of migrate-macros", clock());
            if let Err(e) = measure_one_time(&snapshot, &fixtures, &mut table) {
                eprintln!("clean builds of migrate-macros skipped: {e}");
            }
        }
    }
    if !table.values.is_empty() {
        print!("{}", table.render(&sizes, &build_sizes));
    }
    if !test_databases.values.is_empty() {
        print!("\n{}", test_databases.render_test_databases(&sizes));
    }
    if group("fleet") {
        eprintln!("[{}] fleets", clock());
        print!("\n{}", measure_fleet());
    }
}

/// Fleets (issue 11): apply, up-to-date check and peak memory, each engine figure beside its
/// floor with the same number of threads, interleaved in each round. Rendered as its own
/// table (its columns are thread counts, not N).
fn measure_fleet() -> String {
    let env_list = |name: &str, default: &[usize]| -> Vec<usize> {
        std::env::var(name)
            .ok()
            .map(|v| v.split(',').filter_map(|s| s.trim().parse().ok()).collect())
            .unwrap_or_else(|| default.to_vec())
    };
    let sizes = env_list("MIGRATE_BENCH_FLEET_SIZES", &[1000, 10000]);
    let (apply_n, check_n) = (sizes[0], *sizes.get(1).unwrap_or(&sizes[0]));
    let rounds = env_list("MIGRATE_BENCH_FLEET_ROUNDS", &[3])[0].max(1);
    let threads = [1usize, 2, 4];
    let f = Fixture::new(20);
    let scratch = tempfile::Builder::new()
        .prefix("migrate-bench-fleet-")
        .tempdir()
        .expect("a temporary directory");
    let fresh = |name: &str| {
        let dir = scratch.path().join(name);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create a fleet directory");
        migrate_bench::fleet_paths(&dir, apply_n)
    };
    let mut apply: Vec<[Vec<f64>; 2]> = vec![Default::default(); threads.len()];
    let check_dir = scratch.path().join("up-to-date");
    std::fs::create_dir_all(&check_dir).expect("create a fleet directory");
    eprintln!("  {check_n} copies of an up-to-date database");
    let copies = migrate_bench::up_to_date_fleet(&f, &check_dir, check_n);
    let mut check: Vec<[Vec<f64>; 2]> = vec![Default::default(); threads.len()];
    // The machine is shared: a run that takes seconds sees the load change under it. So each
    // fleet is measured in chunks, engine and floor alternating chunk by chunk (and which
    // goes first alternating too); a variant's time is the sum of its chunks.
    let chunk = |n: usize| (n / 10).max(1);
    for round in 0..rounds {
        for (i, &t) in threads.iter().enumerate() {
            eprintln!("  round {round}, {t} threads: apply {apply_n} x 20");
            let engine = fresh("engine");
            let plain = fresh("plain");
            let mut sums = [0.0f64; 2];
            for (c, (engine, plain)) in engine
                .chunks(chunk(apply_n))
                .zip(plain.chunks(chunk(apply_n)))
                .enumerate()
            {
                let order = if (round + i + c) % 2 == 0 {
                    [0, 1]
                } else {
                    [1, 0]
                };
                for variant in order {
                    sums[variant] += time_with(
                        || (),
                        |()| {
                            if variant == 0 {
                                migrate_bench::fleet_apply(&f.migrations, engine, t)
                            } else {
                                migrate_bench::plain_fleet_apply(&f.sql, plain, t)
                            }
                        },
                    );
                }
            }
            apply[i][0].push(sums[0]);
            apply[i][1].push(sums[1]);
            eprintln!("  round {round}, {t} threads: check {check_n}");
            for run in 0..3 {
                let mut sums = [0.0f64; 2];
                for (c, part) in copies.chunks(chunk(check_n)).enumerate() {
                    let order = if (run + i + c) % 2 == 0 {
                        [0, 1]
                    } else {
                        [1, 0]
                    };
                    for variant in order {
                        sums[variant] += time_with(
                            || (),
                            |()| {
                                if variant == 0 {
                                    migrate_bench::fleet_up_to_date(&f.migrations, part, t)
                                } else {
                                    migrate_bench::plain_fleet_first_query(part, t)
                                }
                            },
                        );
                    }
                }
                check[i][0].push(sums[0]);
                check[i][1].push(sums[1]);
            }
        }
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Fleets (issue 11): {apply_n} databases x 20 migrations (apply, new files, median of {rounds} run{}), up-to-date check of {check_n} databases (median of {} runs); each run in 10 chunks, engine and floor alternating chunk by chunk; {} cores",
        if rounds == 1 { "" } else { "s" },
        rounds * 3,
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
    );
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "| measure | unit | 1 thread | 2 threads | 4 threads | target |"
    );
    let _ = writeln!(out, "|---|---|---:|---:|---:|---|");
    let mut row = |name: &str, unit: &str, values: Vec<f64>, target: &str| {
        let _ = write!(out, "| {name} | {unit} |");
        for v in values {
            let _ = write!(out, " {v:.3} |");
        }
        let _ = writeln!(out, " {target} |");
    };
    let med = |samples: &[f64]| median(&mut samples.to_vec());
    row(
        "apply, `Migrations::fleet().run()`",
        "s",
        apply.iter().map(|a| med(&a[0])).collect(),
        "",
    );
    row(
        "apply, floor: plain rusqlite, one transaction per migration",
        "s",
        apply.iter().map(|a| med(&a[1])).collect(),
        "",
    );
    row(
        "**ratio** fleet apply / floor",
        "x",
        apply.iter().map(|a| med(&a[0]) / med(&a[1])).collect(),
        "≤ 1.15",
    );
    row(
        "up-to-date check, `Migrations::fleet().run()`",
        "ms",
        check.iter().map(|c| med(&c[0]) * 1e3).collect(),
        "",
    );
    row(
        "up-to-date check, floor: open + first query",
        "ms",
        check.iter().map(|c| med(&c[1]) * 1e3).collect(),
        "",
    );
    row(
        "**ratio** fleet check / floor",
        "x",
        check.iter().map(|c| med(&c[0]) / med(&c[1])).collect(),
        "≤ 1.2",
    );
    drop(copies);
    let _ = writeln!(out);
    for n in [1000usize, 10000] {
        match fleet_memory(n) {
            Ok(line) => {
                let _ = writeln!(out, "{line}");
            }
            Err(e) => eprintln!("peak memory at {n} databases skipped: {e}"),
        }
    }
    out
}

/// Peak memory of a fleet over `n` up-to-date databases, measured in a child process (this
/// binary with `--fleet-memory`): the child builds its fleet, resets its peak RSS, runs the
/// fleet and reports the growth of its peak over the RSS before the run.
fn fleet_memory(n: usize) -> Result<String, String> {
    let output = Command::new(std::env::current_exe().map_err(|e| e.to_string())?)
        .args(["--fleet-memory", &n.to_string()])
        .output()
        .map_err(|e| e.to_string())?;
    if !output.status.success() {
        return Err(String::from_utf8_lossy(&output.stderr).into_owned());
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// The child of [`fleet_memory`].
fn fleet_memory_child(args: &[String]) {
    let n: usize = args.first().and_then(|n| n.parse().ok()).unwrap_or(1000);
    let f = Fixture::new(20);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let paths = migrate_bench::up_to_date_fleet(&f, dir.path(), n);
    let status = |field: &str| -> Option<u64> {
        let text = std::fs::read_to_string("/proc/self/status").ok()?;
        let line = text.lines().find(|l| l.starts_with(field))?;
        line.split_whitespace().nth(1)?.parse().ok()
    };
    // Linux: writing 5 to clear_refs resets the peak RSS (VmHWM) to the current RSS.
    let reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
    let before = status("VmRSS:").unwrap_or(0);
    let report = f
        .migrations
        .fleet()
        .databases(paths)
        .parallel(2)
        .run()
        .expect("run the fleet");
    let peak = status("VmHWM:").unwrap_or(0);
    let entry = std::mem::size_of::<migrate_runtime::Outcome>()
        + report
            .outcomes
            .first()
            .map_or(0, |o| o.path.as_os_str().len());
    println!(
        "Peak memory, fleet of {n} up-to-date databases (2 threads): RSS {before} KiB before the run, peak {peak} KiB{} (+{} KiB, {:.0} bytes per database; one report entry is about {entry} bytes)",
        if reset {
            ""
        } else {
            " (peak not reset: includes the setup)"
        },
        peak.saturating_sub(before),
        peak.saturating_sub(before) as f64 * 1024.0 / n as f64
    );
    assert_eq!(report.totals.up_to_date, n);
}

fn clock() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    format!(
        "{:02}:{:02}:{:02}",
        secs / 3600 % 24,
        secs / 60 % 60,
        secs % 60
    )
}

/// Apply-all rounds per size: fewer for the large sets, whose single run takes seconds.
fn apply_rounds(n: usize) -> usize {
    match n {
        0..=10 => 15,
        11..=100 => 9,
        101..=1000 => 5,
        1001..=5000 => 3,
        _ => 1,
    }
}

fn measure_runtime(n: usize, table: &mut Table) {
    let f = Fixture::new(n);
    let rounds = apply_rounds(n);
    let mut apply: [Vec<f64>; 8] = Default::default();
    // Each round runs every variant once, in a new random order, so that no variant always
    // inherits the allocator, cache and disk state left by the same predecessor.
    let variants: [&dyn Fn() -> f64; 8] = [
        &|| {
            time_with(
                || ScratchDb::file(&f),
                |mut db| {
                    assert_eq!(migrate_bench::apply(&f.migrations, &mut db.conn), n);
                    db
                },
            )
        },
        &|| {
            time_with(
                || ScratchDb::file(&f),
                |mut db| {
                    migrate_bench::plain_per_transaction(&f.sql, &mut db.conn);
                    db
                },
            )
        },
        &|| {
            time_with(
                || ScratchDb::file(&f),
                |mut db| {
                    assert_eq!(
                        migrate_bench::apply_single_transaction(&f.migrations, &mut db.conn),
                        n
                    );
                    db
                },
            )
        },
        &|| {
            time_with(
                || ScratchDb::file(&f),
                |mut db| {
                    migrate_bench::plain_single_transaction(&f.sql, &mut db.conn);
                    db
                },
            )
        },
        &|| {
            time_with(migrate_bench::open_memory, |mut conn| {
                assert_eq!(migrate_bench::apply(&f.migrations, &mut conn), n);
                conn
            })
        },
        &|| {
            time_with(migrate_bench::open_memory, |mut conn| {
                migrate_bench::plain_per_transaction(&f.sql, &mut conn);
                conn
            })
        },
        &|| {
            time_with(migrate_bench::open_memory, |mut conn| {
                migrate_bench::plain_single_transaction(&f.sql, &mut conn);
                conn
            })
        },
        &|| {
            time_with(migrate_bench::open_memory, |mut conn| {
                assert_eq!(
                    migrate_bench::apply_single_transaction(&f.migrations, &mut conn),
                    n
                );
                conn
            })
        },
    ];
    let mut rng = Shuffle(0x9E37_79B9_7F4A_7C15 ^ n as u64);
    for _ in 0..rounds {
        for k in rng.order(variants.len()) {
            apply[k].push(variants[k]());
        }
    }
    let keys = [
        "apply_file",
        "apply_file_floor",
        "apply_file_single",
        "apply_file_single_floor",
        "apply_mem",
        "apply_mem_floor",
        "apply_mem_single_floor",
        "apply_mem_single",
    ];
    for (key, samples) in keys.iter().zip(apply.iter_mut()) {
        table.set(key, n, median(samples));
        table.set(&format!("{key}_min"), n, fastest(samples));
    }

    // Start-up on an up-to-date file: a fresh connection for every measurement.
    let path = f.up_to_date_db();
    let mut noop: [Vec<f64>; 5] = Default::default();
    let started = Instant::now();
    let mut round = 0;
    while round < 200 || (round < 3000 && started.elapsed() < Duration::from_secs(4)) {
        round += 1;
        let open = || migrate_bench::open_fresh(&path);
        let variants: [&dyn Fn() -> f64; 5] = [
            &|| {
                time_with(open, |mut conn| {
                    assert_eq!(migrate_bench::noop_run(&f.migrations, &mut conn), 0);
                    conn
                })
            },
            &|| {
                time_with(open, |conn| {
                    migrate_bench::floor_first_query(&conn);
                    conn
                })
            },
            &|| {
                time_with(open, |mut conn| {
                    assert_eq!(
                        migrate_bench::noop_version_only(&f.migrations, &mut conn),
                        0
                    );
                    conn
                })
            },
            &|| {
                time_with(open, |conn| {
                    assert_eq!(migrate_bench::floor_user_version(&conn), n as i64);
                    conn
                })
            },
            &|| {
                time_with(open, |conn| {
                    assert_eq!(migrate_bench::status(&f.migrations, &conn), n);
                    conn
                })
            },
        ];
        // Shuffled like the apply variants; status (slow) only in the first 50 rounds.
        let count = if round <= 50 { 5 } else { 4 };
        for k in rng.order(count) {
            noop[k].push(variants[k]());
        }
    }
    for (key, samples) in [
        "noop",
        "noop_floor",
        "version_only",
        "version_floor",
        "status",
    ]
    .iter()
    .zip(noop.iter_mut())
    {
        table.set(key, n, median(samples));
    }

    let mut expand = Vec::new();
    for _ in 0..apply_rounds(n).max(3) {
        expand.push(time_with(|| (), |()| migrate_bench::expand(f.root())));
    }
    table.set("expand", n, median(&mut expand));
    table.set("sql_bytes", n, f.sql_bytes as f64);
}

/// Calls of `Migrations::test_database()` timed per round, after the template is built.
const TEST_DATABASE_CALLS: usize = 20;

/// Issue 12: `Migrations::test_database()` per call (the template built beforehand, once,
/// and timed apart) against the runtime applying the set to a new `:memory:` database. Each
/// round runs one fresh apply and [`TEST_DATABASE_CALLS`] calls of each test-database variant,
/// in a new random order, so that all see the same machine load.
fn measure_test_databases(n: usize, table: &mut Table) {
    let f = Fixture::new(n);
    // The first call of the process: the set applied to the template, then one copy.
    let first = time_with(|| (), |()| migrate_bench::test_database(&f.migrations));
    table.set("testdb_first", n, first);
    let rounds = apply_rounds(n).max(3);
    let mut samples: [Vec<f64>; 3] = Default::default();
    let variants: [&dyn Fn() -> Vec<f64>; 3] = [
        &|| {
            vec![time_with(migrate_bench::open_memory, |mut conn| {
                assert_eq!(migrate_bench::apply(&f.migrations, &mut conn), n);
                conn
            })]
        },
        &|| {
            (0..TEST_DATABASE_CALLS)
                .map(|_| time_with(|| (), |()| migrate_bench::test_database(&f.migrations)))
                .collect()
        },
        &|| {
            (0..TEST_DATABASE_CALLS)
                .map(|_| {
                    time_with(
                        || (),
                        |()| migrate_bench::test_database_first_query(&f.migrations),
                    )
                })
                .collect()
        },
    ];
    let mut rng = Shuffle(0x94D0_49BB_1331_11EB ^ n as u64);
    for _ in 0..rounds {
        for k in rng.order(variants.len()) {
            samples[k].extend(variants[k]());
        }
    }
    for (key, samples) in ["testdb_apply_mem", "testdb_call", "testdb_call_query"]
        .iter()
        .zip(samples.iter_mut())
    {
        table.set(key, n, median(samples));
    }
}

/// Issue 14: the expansion with `verify` against its floor, plain rusqlite applying the same
/// The sizes up to which the foreign-key workload also runs with `ForeignKeyCheck::Full`,
/// whose cost grows with the data: above, one run would take minutes.
const FULL_CHECK_MAX_N: usize = 1000;

/// Apply all on the foreign-key workload (issue 9): the runtime (scoped foreign-key check)
/// against plain rusqlite with foreign keys on (SQLite enforcing them statement by
/// statement), on a file and in memory, and the runtime with the whole-database check.
fn measure_foreign_keys(n: usize, table: &mut Table) {
    let f = Fixture::with_foreign_keys(n);
    let rounds = apply_rounds(n);
    let full = n <= FULL_CHECK_MAX_N;
    let variants: [&dyn Fn() -> Option<f64>; 5] = [
        &|| {
            Some(time_with(
                || ScratchDb::file(&f),
                |mut db| {
                    assert_eq!(migrate_bench::apply(&f.migrations, &mut db.conn), n);
                    db
                },
            ))
        },
        &|| {
            Some(time_with(
                || ScratchDb::file(&f),
                |mut db| {
                    migrate_bench::plain_per_transaction(&f.sql, &mut db.conn);
                    db
                },
            ))
        },
        &|| {
            Some(time_with(migrate_bench::open_memory, |mut conn| {
                assert_eq!(migrate_bench::apply(&f.migrations, &mut conn), n);
                conn
            }))
        },
        &|| {
            Some(time_with(migrate_bench::open_memory, |mut conn| {
                migrate_bench::plain_per_transaction(&f.sql, &mut conn);
                conn
            }))
        },
        &|| {
            full.then(|| {
                time_with(migrate_bench::open_memory, |mut conn| {
                    assert_eq!(migrate_bench::apply_full_check(&f.migrations, &mut conn), n);
                    conn
                })
            })
        },
    ];
    let mut samples: [Vec<f64>; 5] = Default::default();
    let mut rng = Shuffle(0x2545_F491_4F6C_DD1D ^ n as u64);
    for _ in 0..rounds {
        for k in rng.order(variants.len()) {
            if let Some(t) = variants[k]() {
                samples[k].push(t);
            }
        }
    }
    let keys = [
        "fk_file",
        "fk_file_floor",
        "fk_mem",
        "fk_mem_floor",
        "fk_mem_full",
    ];
    for (key, samples) in keys.iter().zip(samples.iter_mut()) {
        if !samples.is_empty() {
            table.set(key, n, median(samples));
        }
    }
}

/// SQL to `:memory:` (one transaction per migration), and the same set with a down file beside
/// every migration against the floor of the down-file check. Every variant runs once per
/// round, in a new random order, so that all see the same machine load.
fn measure_verify(n: usize, table: &mut Table) {
    let f = Fixture::new(n);
    let d = Fixture::with_downs(n);
    let rounds = apply_rounds(n).max(3);
    let mut samples: [Vec<f64>; 5] = Default::default();
    let variants: [&dyn Fn() -> f64; 5] = [
        &|| {
            time_with(migrate_bench::open_memory, |mut conn| {
                migrate_bench::plain_per_transaction(&f.sql, &mut conn);
                conn
            })
        },
        &|| time_with(|| (), |()| migrate_bench::expand(f.root())),
        &|| time_with(|| (), |()| migrate_bench::expand_verify(f.root())),
        &|| time_with(|| (), |()| migrate_bench::expand_verify(d.root())),
        &|| {
            time_with(migrate_bench::open_memory, |mut conn| {
                migrate_bench::plain_up_and_down(&d.sql, &d.downs, &mut conn);
                conn
            })
        },
    ];
    let mut rng = Shuffle(0xD1B5_4A32_D192_ED03 ^ n as u64);
    for _ in 0..rounds {
        for k in rng.order(variants.len()) {
            samples[k].push(variants[k]());
        }
    }
    for (key, samples) in [
        "verify_floor",
        "verify_expand_plain",
        "verify_expand",
        "verify_expand_downs",
        "verify_floor_downs",
    ]
    .iter()
    .zip(samples.iter_mut())
    {
        table.set(key, n, median(samples));
        table.set(&format!("{key}_min"), n, fastest(samples));
    }
}

/// The macro's one-time cost: a clean dev build of migrate-macros (the snapshot's) in a new
/// target directory, without and with `--features verify` (which compiles SQLite for the
/// macro). Seconds under the keys `macros_clean` and `macros_clean_verify`, at N = 0.
fn measure_one_time(workspace: &Path, fixtures: &Path, table: &mut Table) -> Result<(), String> {
    for (key, features) in [
        ("macros_clean", None),
        ("macros_clean_verify", Some("verify")),
    ] {
        let target = fixtures.join(format!("target-{key}"));
        if target.exists() {
            std::fs::remove_dir_all(&target).map_err(|e| format!("{}: {e}", target.display()))?;
        }
        let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
        command
            .args(["build", "--quiet", "--offline", "-p", "migrate-macros"])
            .arg("--manifest-path")
            .arg(workspace.join("Cargo.toml"))
            .env("CARGO_TARGET_DIR", &target)
            .env_remove("RUSTFLAGS");
        if let Some(features) = features {
            command.args(["--features", features]);
        }
        let started = Instant::now();
        let status = command
            .status()
            .map_err(|e| format!("cannot run cargo: {e}"))?;
        let elapsed = started.elapsed().as_secs_f64();
        let _ = std::fs::remove_dir_all(&target);
        if !status.success() {
            return Err(format!("cargo build -p migrate-macros {features:?} failed"));
        }
        table.set(key, 0, elapsed);
    }
    Ok(())
}

/// A small deterministic generator of random orders (xorshift64 and Fisher-Yates).
struct Shuffle(u64);

impl Shuffle {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn order(&mut self, len: usize) -> Vec<usize> {
        let mut order: Vec<usize> = (0..len).collect();
        for i in (1..len).rev() {
            let j = (self.next() % (i as u64 + 1)) as usize;
            order.swap(i, j);
        }
        order
    }
}

/// Seconds taken by `run` on the output of `setup`; setup and drop are not timed.
fn time_with<I, O>(setup: impl FnOnce() -> I, run: impl FnOnce(I) -> O) -> f64 {
    let input = setup();
    let started = Instant::now();
    let output = std::hint::black_box(run(input));
    let elapsed = started.elapsed().as_secs_f64();
    drop(output);
    elapsed
}

fn fastest(samples: &[f64]) -> f64 {
    samples.iter().copied().fold(f64::INFINITY, f64::min)
}

fn median(samples: &mut [f64]) -> f64 {
    samples.sort_by(f64::total_cmp);
    match samples.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => samples[n / 2],
        n => (samples[n / 2 - 1] + samples[n / 2]) / 2.0,
    }
}

/// `git archive HEAD` of the workspace, extracted under `fixtures/snapshot`.
fn snapshot_head(workspace: &Path, fixtures: &Path) -> PathBuf {
    let snapshot = fixtures.join("snapshot");
    if snapshot.exists() {
        std::fs::remove_dir_all(&snapshot).expect("clear the old snapshot");
    }
    std::fs::create_dir_all(&snapshot).expect("create the snapshot directory");
    let status = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "git -C '{}' archive HEAD | tar -x -C '{}'",
            workspace.display(),
            snapshot.display()
        ))
        .status()
        .expect("run git archive");
    if status.success() {
        snapshot
    } else {
        eprintln!("git archive failed: the fixture crates build against the work tree");
        workspace.to_path_buf()
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Macro,
    IncludeStr,
    /// `embed_migrations!("migrations", verify)` with migrate-runtime's `verify` feature.
    MacroVerify,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Macro => "macro",
            Kind::IncludeStr => "include",
            Kind::MacroVerify => "macro_verify",
        }
    }
}

/// Writes the fixture crate of one kind and size; returns its directory.
fn write_crate(workspace: &Path, fixtures: &Path, kind: Kind, n: usize) -> PathBuf {
    let dir = fixtures.join(format!("{}-{n}", kind.name().replace('_', "-")));
    let migrations = dir.join("migrations");
    if migrations.exists() {
        std::fs::remove_dir_all(&migrations).expect("clear old migrations");
    }
    migrate_bench::write_set(&migrations, n).expect("write migrations");
    std::fs::create_dir_all(dir.join("src")).expect("create src");
    let deps = match kind {
        Kind::Macro => fixture::runtime_dependency(workspace),
        Kind::MacroVerify => fixture::runtime_dependency_with(workspace, &["verify"]),
        // The workspace's rusqlite settings (no default features), so both kinds build the
        // same SQLite and resolve offline from the workspace's lock file.
        Kind::IncludeStr => {
            "rusqlite = { version = \"0.41\", default-features = false, features = [\"bundled\"] }"
                .into()
        }
    };
    let manifest = format!(
        "[package]\nname = \"fixture-{}-{n}\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
         [dependencies]\n{deps}\n\n[profile.release]\nstrip = true\n\n[workspace]\n",
        kind.name().replace('_', "-")
    );
    std::fs::write(dir.join("Cargo.toml"), manifest).expect("write Cargo.toml");
    std::fs::write(
        dir.join("build.rs"),
        "fn main() {\n    println!(\"cargo:rerun-if-changed=migrations\");\n}\n",
    )
    .expect("write build.rs");
    let main = match kind {
        Kind::Macro | Kind::MacroVerify => format!(
            "static MIGRATIONS: migrate_runtime::Migrations =\n    \
             migrate_runtime::embed_migrations!(\"migrations\"{});\n\n\
             fn main() {{\n    \
             let path = std::env::args().nth(1).unwrap_or_else(|| \"fixture.db\".into());\n    \
             let mut conn = migrate_runtime::rusqlite::Connection::open(path).expect(\"open\");\n    \
             MIGRATIONS.run(&mut conn).expect(\"migrate\");\n}}\n",
            if kind == Kind::MacroVerify {
                ", verify"
            } else {
                ""
            }
        ),
        Kind::IncludeStr => {
            let mut main = String::from("static SQL: &[&str] = &[\n");
            for version in 1..=n {
                let _ = writeln!(
                    main,
                    "    include_str!(\"../migrations/{}\"),",
                    migrate_bench::file_name(version)
                );
            }
            main.push_str(
                "];\n\nfn main() {\n    \
                 let path = std::env::args().nth(1).unwrap_or_else(|| \"fixture.db\".into());\n    \
                 let conn = rusqlite::Connection::open(path).expect(\"open\");\n    \
                 for sql in SQL {\n        conn.execute_batch(sql).expect(\"migrate\");\n    }\n}\n",
            );
            main
        }
    };
    std::fs::write(dir.join("src/main.rs"), main).expect("write main.rs");
    fixture::copy_lock(&dir).expect("copy Cargo.lock");
    dir
}

fn cargo_build(dir: &Path, target: &Path, release: bool) -> Result<f64, String> {
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    command
        .arg("build")
        .arg("--quiet")
        .arg("--offline")
        .arg("--manifest-path")
        .arg(dir.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", target)
        .env_remove("RUSTFLAGS");
    if release {
        command.arg("--release");
    }
    let started = Instant::now();
    let status = command
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    let elapsed = started.elapsed().as_secs_f64();
    if status.success() {
        Ok(elapsed)
    } else {
        Err(format!("cargo build failed in {}", dir.display()))
    }
}

fn touch(path: &Path) {
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .expect("open the migration");
    file.set_modified(std::time::SystemTime::now())
        .expect("touch the migration");
}

fn measure_builds(
    workspace: &Path,
    fixtures: &Path,
    n: usize,
    rebuild: bool,
    table: &mut Table,
) -> Result<(), String> {
    for kind in [Kind::Macro, Kind::IncludeStr, Kind::MacroVerify] {
        // With `verify` only the rebuild is measured (the binary is the macro crate's).
        if kind == Kind::MacroVerify && !rebuild {
            continue;
        }
        let dir = write_crate(workspace, fixtures, kind, n);
        let target = fixtures.join(format!("target-{}", kind.name().replace('_', "-")));
        if rebuild {
            cargo_build(&dir, &target, false)?;
            let touched = dir
                .join("migrations")
                .join(migrate_bench::file_name(n / 2 + 1));
            let mut times = Vec::new();
            for _ in 0..3 {
                touch(&touched);
                times.push(cargo_build(&dir, &target, false)?);
            }
            table.set(&format!("rebuild_{}", kind.name()), n, median(&mut times));
        }
        if kind == Kind::MacroVerify {
            continue;
        }
        cargo_build(&dir, &target, true)?;
        let binary = target
            .join("release")
            .join(format!("fixture-{}-{n}", kind.name()));
        let size = std::fs::metadata(&binary)
            .map_err(|e| format!("{}: {e}", binary.display()))?
            .len();
        table.set(&format!("size_{}", kind.name()), n, size as f64);
        // The binary works: it applies its set to a new database.
        let db = dir.join("check.db");
        let _ = std::fs::remove_file(&db);
        let status = Command::new(&binary)
            .arg(&db)
            .status()
            .map_err(|e| format!("{}: {e}", binary.display()))?;
        if !status.success() {
            return Err(format!("{} failed", binary.display()));
        }
        let _ = std::fs::remove_file(&db);
        let _ = std::fs::remove_file(dir.join("check.db.migrate-lock"));
    }
    let bytes: u64 = (1..=n)
        .map(|v| migrate_bench::migration_sql(v).len() as u64)
        .sum();
    table.set("sql_bytes", n, bytes as f64);
    Ok(())
}

#[derive(Default)]
struct Table {
    values: std::collections::BTreeMap<(String, usize), f64>,
}

impl Table {
    fn set(&mut self, key: &str, n: usize, value: f64) {
        self.values.insert((key.to_owned(), n), value);
    }

    fn get(&self, key: &str, n: usize) -> Option<f64> {
        self.values.get(&(key.to_owned(), n)).copied()
    }

    fn render(&self, sizes: &[usize], build_sizes: &[usize]) -> String {
        let mut cols: Vec<usize> = sizes.iter().chain(build_sizes).copied().collect();
        cols.sort_unstable();
        cols.dedup();
        let mut out = String::new();
        let _ = write!(out, "| measure | unit |");
        for n in &cols {
            let _ = write!(out, " N = {n} |");
        }
        let _ = write!(out, " target |\n|---|---|");
        for _ in &cols {
            out.push_str("---:|");
        }
        out.push_str("---|\n");

        let value = |key: &'static str, scale: f64| -> Cell<'_> {
            Box::new(move |n| self.get(key, n).map(|v| v * scale))
        };
        let ratio = |a: &'static str, b: &'static str| -> Cell<'_> {
            Box::new(move |n| Some(self.get(a, n)? / self.get(b, n)?))
        };
        // Microseconds per migration of `a` above `b`.
        let overhead = |a: &'static str, b: &'static str| -> Cell<'_> {
            Box::new(move |n| Some((self.get(a, n)? - self.get(b, n)?) / n as f64 * 1e6))
        };
        let ms = 1e3;
        let us = 1e6;
        let rows: Vec<Row<'_>> = vec![
            (
                "apply all, file, runtime (one transaction per migration)",
                "ms",
                value("apply_file", ms),
                "",
                2,
            ),
            (
                "apply all, file, floor: plain rusqlite, one transaction per migration",
                "ms",
                value("apply_file_floor", ms),
                "",
                2,
            ),
            (
                "**ratio** runtime / per-transaction floor (file)",
                "x",
                ratio("apply_file", "apply_file_floor"),
                "≤ 1.10 at N = 1000",
                3,
            ),
            (
                "ratio of the fastest runs (file, per transaction)",
                "x",
                ratio("apply_file_min", "apply_file_floor_min"),
                "",
                3,
            ),
            (
                "apply all, file, runtime `single_transaction(true)`",
                "ms",
                value("apply_file_single", ms),
                "",
                2,
            ),
            (
                "apply all, file, floor: plain rusqlite, one transaction",
                "ms",
                value("apply_file_single_floor", ms),
                "",
                2,
            ),
            (
                "**ratio** grouped runtime / one-transaction floor (file)",
                "x",
                ratio("apply_file_single", "apply_file_single_floor"),
                "≤ 1.05",
                3,
            ),
            (
                "ratio of the fastest runs (file, grouped)",
                "x",
                ratio("apply_file_single_min", "apply_file_single_floor_min"),
                "",
                3,
            ),
            (
                "apply all, `:memory:`, runtime (one transaction per migration)",
                "ms",
                value("apply_mem", ms),
                "",
                2,
            ),
            (
                "apply all, `:memory:`, floor: one transaction per migration",
                "ms",
                value("apply_mem_floor", ms),
                "",
                2,
            ),
            (
                "apply all, `:memory:`, floor: one transaction",
                "ms",
                value("apply_mem_single_floor", ms),
                "",
                2,
            ),
            (
                "**ratio** runtime / per-transaction floor (`:memory:`)",
                "x",
                ratio("apply_mem", "apply_mem_floor"),
                "",
                3,
            ),
            (
                "ratio of the fastest runs (`:memory:`, per transaction)",
                "x",
                ratio("apply_mem_min", "apply_mem_floor_min"),
                "",
                3,
            ),
            (
                "apply all, `:memory:`, runtime `single_transaction(true)`",
                "ms",
                value("apply_mem_single", ms),
                "",
                2,
            ),
            (
                "**ratio** grouped runtime / one-transaction floor (`:memory:`)",
                "x",
                ratio("apply_mem_single", "apply_mem_single_floor"),
                "≤ 1.05",
                3,
            ),
            (
                "**overhead per migration** above the per-transaction floor, file",
                "µs",
                overhead("apply_file", "apply_file_floor"),
                "flat in N",
                1,
            ),
            (
                "**overhead per migration** above the per-transaction floor, `:memory:`",
                "µs",
                overhead("apply_mem", "apply_mem_floor"),
                "flat in N",
                1,
            ),
            (
                "overhead per migration above the one-transaction floor, file, grouped",
                "µs",
                overhead("apply_file_single", "apply_file_single_floor"),
                "flat in N",
                1,
            ),
            (
                "foreign-key workload: apply all, file, runtime",
                "ms",
                value("fk_file", ms),
                "",
                2,
            ),
            (
                "foreign-key workload: file, floor (plain rusqlite, foreign keys on)",
                "ms",
                value("fk_file_floor", ms),
                "",
                2,
            ),
            (
                "**ratio** foreign-key workload, runtime / floor (file)",
                "x",
                ratio("fk_file", "fk_file_floor"),
                "≤ 1.10",
                3,
            ),
            (
                "foreign-key workload: apply all, `:memory:`, runtime",
                "ms",
                value("fk_mem", ms),
                "",
                2,
            ),
            (
                "foreign-key workload: `:memory:`, floor",
                "ms",
                value("fk_mem_floor", ms),
                "",
                2,
            ),
            (
                "**ratio** foreign-key workload, runtime / floor (`:memory:`)",
                "x",
                ratio("fk_mem", "fk_mem_floor"),
                "≤ 1.15",
                3,
            ),
            (
                "**overhead per migration**, foreign-key workload, `:memory:`",
                "µs",
                overhead("fk_mem", "fk_mem_floor"),
                "flat in N",
                1,
            ),
            (
                "foreign-key workload, `:memory:`, runtime with `ForeignKeyCheck::Full`",
                "ms",
                value("fk_mem_full", ms),
                "",
                2,
            ),
            (
                "overhead per migration of `ForeignKeyCheck::Full`, `:memory:`",
                "µs",
                overhead("fk_mem_full", "fk_mem_floor"),
                "(grows with the data)",
                1,
            ),
            (
                "no-op run, up-to-date file, fresh connection",
                "µs",
                value("noop", us),
                "",
                1,
            ),
            (
                "floor: first query of a table, fresh connection",
                "µs",
                value("noop_floor", us),
                "",
                1,
            ),
            (
                "**ratio** no-op / first-query floor",
                "x",
                ratio("noop", "noop_floor"),
                "≤ 1.10, flat in N",
                3,
            ),
            (
                "no-op run, `UpToDateCheck::VersionOnly`, fresh connection",
                "µs",
                value("version_only", us),
                "",
                1,
            ),
            (
                "floor: bare `PRAGMA user_version`, fresh connection",
                "µs",
                value("version_floor", us),
                "",
                1,
            ),
            (
                "**ratio** version-only / `user_version` floor",
                "x",
                ratio("version_only", "version_floor"),
                "≤ 2, flat in N",
                3,
            ),
            (
                "`Migrations::status`, up-to-date file, fresh connection",
                "µs",
                value("status", us),
                "",
                1,
            ),
            (
                "**ratio** status / first-query floor",
                "x",
                ratio("status", "noop_floor"),
                "",
                3,
            ),
            (
                "macro expansion (`expand::expand_with`, release build of the expander)",
                "ms",
                value("expand", ms),
                "< 1000 ms at N = 10000",
                2,
            ),
            (
                "rebuild after touching one migration, macro crate (dev profile)",
                "s",
                value("rebuild_macro", 1.0),
                "",
                2,
            ),
            (
                "rebuild after touching one migration, `include_str!` crate (dev profile)",
                "s",
                value("rebuild_include", 1.0),
                "",
                2,
            ),
            (
                "**ratio** macro / `include_str!` rebuild",
                "x",
                ratio("rebuild_macro", "rebuild_include"),
                "≤ 1.5 at N = 5000",
                3,
            ),
            ("SQL embedded", "bytes", value("sql_bytes", 1.0), "", 0),
            (
                "stripped release binary, macro crate",
                "bytes",
                value("size_macro", 1.0),
                "",
                0,
            ),
            (
                "stripped release binary, `include_str!` crate",
                "bytes",
                value("size_include", 1.0),
                "",
                0,
            ),
        ];
        write_rows(&mut out, &cols, &rows);
        // Binary growth per migration over the 1-migration binary, beyond the SQL itself.
        let _ = write!(
            out,
            "| **binary growth beyond the SQL, per migration** (macro, over N = 1) | bytes |"
        );
        for &n in &cols {
            let growth = (|| {
                let size = self.get("size_macro", n)? - self.get("size_macro", 1)?;
                let sql = self.get("sql_bytes", n)? - self.get("sql_bytes", 1)?;
                Some((size - sql) / (n as f64 - 1.0))
            })();
            match growth {
                Some(g) if n > 1 => {
                    let _ = write!(out, " {g:.1} |");
                }
                _ => out.push_str(" – |"),
            }
        }
        out.push_str(" ≤ 100 |\n");
        let fixed = (|| Some(self.get("size_macro", 1)? - self.get("size_include", 1)?))();
        let _ = writeln!(
            out,
            "\nLibrary fixed cost (stripped release binary, 1 migration, migrate-runtime minus plain rusqlite doing the same open and SQL): {} (target ≤ 0.3 MiB)",
            fixed.map_or("–".to_owned(), |b| format!(
                "{b:.0} bytes = {:.3} MiB",
                b / 1048576.0
            ))
        );
        out.push_str(&self.render_verify(&cols));
        out
    }

    /// The test-database table (issue 12), its columns the runtime sizes.
    fn render_test_databases(&self, cols: &[usize]) -> String {
        let value = |key: &'static str, scale: f64| -> Cell<'_> {
            Box::new(move |n| self.get(key, n).map(|v| v * scale))
        };
        let ratio = |a: &'static str, b: &'static str| -> Cell<'_> {
            Box::new(move |n| Some(self.get(a, n)? / self.get(b, n)?))
        };
        let rows: Vec<Row<'_>> = vec![
            (
                "fresh apply: `Migrations::run` on a new `:memory:` database",
                "ms",
                value("testdb_apply_mem", 1e3),
                "",
                3,
            ),
            (
                "first `test_database()` of the process (applies the set to the template, then copies)",
                "ms",
                value("testdb_first", 1e3),
                "",
                3,
            ),
            (
                "`test_database()` per call (a copy of the template)",
                "ms",
                value("testdb_call", 1e3),
                "",
                3,
            ),
            (
                "**ratio** `test_database()` per call / fresh apply",
                "x",
                ratio("testdb_call", "testdb_apply_mem"),
                "≤ 0.05 at N = 1000",
                4,
            ),
            (
                "`test_database()` and the first query of a table (reads the copied schema)",
                "ms",
                value("testdb_call_query", 1e3),
                "",
                3,
            ),
            (
                "ratio `test_database()` with the first query / fresh apply",
                "x",
                ratio("testdb_call_query", "testdb_apply_mem"),
                "",
                4,
            ),
        ];
        let mut out = format!(
            "### Test databases (issue 12): medians, {TEST_DATABASE_CALLS} calls per round\n\n"
        );
        let _ = write!(out, "| measure | unit |");
        for n in cols {
            let _ = write!(out, " N = {n} |");
        }
        let _ = write!(out, " target |\n|---|---|");
        for _ in cols {
            out.push_str("---:|");
        }
        out.push_str("---|\n");
        write_rows(&mut out, cols, &rows);
        out
    }

    /// The second table: build-time verification (issue 14).
    fn render_verify(&self, cols: &[usize]) -> String {
        let value = |key: &'static str, scale: f64| -> Cell<'_> {
            Box::new(move |n| self.get(key, n).map(|v| v * scale))
        };
        let ratio = |a: &'static str, b: &'static str| -> Cell<'_> {
            Box::new(move |n| Some(self.get(a, n)? / self.get(b, n)?))
        };
        // Microseconds per migration of `a` (minus `b` when given).
        let per_migration = |a: &'static str, b: Option<&'static str>| -> Cell<'_> {
            Box::new(move |n| {
                let base = match b {
                    Some(b) => self.get(b, n)?,
                    None => 0.0,
                };
                Some((self.get(a, n)? - base) / n as f64 * 1e6)
            })
        };
        let ms = 1e3;
        let rows: Vec<Row<'_>> = vec![
            (
                "floor: plain rusqlite applying the same SQL to `:memory:`, one transaction per migration",
                "ms",
                value("verify_floor", ms),
                "",
                2,
            ),
            (
                "macro expansion without `verify` (same rounds)",
                "ms",
                value("verify_expand_plain", ms),
                "",
                2,
            ),
            (
                "macro expansion with `verify` (`expand_with`, `\"migrations\", verify`)",
                "ms",
                value("verify_expand", ms),
                "",
                2,
            ),
            (
                "**ratio** expansion with `verify` / floor",
                "x",
                ratio("verify_expand", "verify_floor"),
                "≤ 3 at N = 1000 and 5000",
                3,
            ),
            (
                "ratio of the fastest runs",
                "x",
                ratio("verify_expand_min", "verify_floor_min"),
                "",
                3,
            ),
            (
                "expansion with `verify`, per migration",
                "µs",
                per_migration("verify_expand", None),
                "flat in N",
                1,
            ),
            (
                "cost of `verify` (with minus without), per migration",
                "µs",
                per_migration("verify_expand", Some("verify_expand_plain")),
                "flat in N",
                1,
            ),
            (
                "cost beyond the floor (expansion with `verify` minus floor), per migration",
                "µs",
                per_migration("verify_expand", Some("verify_floor")),
                "flat in N",
                1,
            ),
            (
                "macro expansion with `verify`, a down file beside every migration",
                "ms",
                value("verify_expand_downs", ms),
                "",
                2,
            ),
            (
                "floor with down files: each up script committed, then its down file rolled back",
                "ms",
                value("verify_floor_downs", ms),
                "",
                2,
            ),
            (
                "**ratio** expansion with `verify` and down files / floor (without down files)",
                "x",
                ratio("verify_expand_downs", "verify_floor"),
                "",
                3,
            ),
            (
                "ratio expansion with `verify` and down files / floor with down files",
                "x",
                ratio("verify_expand_downs", "verify_floor_downs"),
                "",
                3,
            ),
            (
                "cost of the down-file checks (with minus without down files), per migration",
                "µs",
                per_migration("verify_expand_downs", Some("verify_expand")),
                "flat in N",
                1,
            ),
            (
                "rebuild after touching one migration, macro crate with `verify` (dev profile)",
                "s",
                value("rebuild_macro_verify", 1.0),
                "",
                2,
            ),
            (
                "rebuild after touching one migration, `include_str!` crate (dev profile)",
                "s",
                value("rebuild_include", 1.0),
                "",
                2,
            ),
            (
                "**ratio** macro with `verify` / `include_str!` rebuild",
                "x",
                ratio("rebuild_macro_verify", "rebuild_include"),
                "",
                3,
            ),
            (
                "ratio macro with `verify` / macro without `verify` rebuild",
                "x",
                ratio("rebuild_macro_verify", "rebuild_macro"),
                "",
                3,
            ),
        ];
        let mut out = String::from("\n### Build-time verification (issue 14)\n\n");
        let _ = write!(out, "| measure | unit |");
        for n in cols {
            let _ = write!(out, " N = {n} |");
        }
        let _ = write!(out, " target |\n|---|---|");
        for _ in cols {
            out.push_str("---:|");
        }
        out.push_str("---|\n");
        write_rows(&mut out, cols, &rows);
        let clean = |key| {
            self.get(key, 0)
                .map_or("–".to_owned(), |s| format!("{s:.1} s"))
        };
        let extra = (|| Some(self.get("macros_clean_verify", 0)? - self.get("macros_clean", 0)?))();
        let _ = writeln!(
            out,
            "\nOne-time cost of the macro's SQLite (clean dev build of migrate-macros in a new target directory): {} without `verify`, {} with `--features verify`, {} more",
            clean("macros_clean"),
            clean("macros_clean_verify"),
            extra.map_or("–".to_owned(), |s| format!("{s:.1} s"))
        );
        out
    }
}

/// A cell of a table row: the value at N, if measured.
type Cell<'a> = Box<dyn Fn(usize) -> Option<f64> + 'a>;
/// A table row: label, unit, cells, target, decimal digits.
type Row<'a> = (&'a str, &'a str, Cell<'a>, &'a str, u8);

/// One table row per entry: label, unit, the value at each N (– when missing), target.
fn write_rows(out: &mut String, cols: &[usize], rows: &[Row<'_>]) {
    for (label, unit, cell, target, digits) in rows {
        let _ = write!(out, "| {label} | {unit} |");
        for &n in cols {
            match cell(n) {
                Some(v) if v.is_finite() => {
                    let _ = write!(out, " {v:.prec$} |", prec = usize::from(*digits));
                }
                _ => out.push_str(" – |"),
            }
        }
        let _ = writeln!(out, " {target} |");
    }
}
