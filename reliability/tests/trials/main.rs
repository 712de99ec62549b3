//! Reliability trials of the migration engine (issue 5; the `fleet` family: issue 11; the
//! `power_loss` family, a power loss at every sync point of a run: issue 16).
//!
//! `cargo test -p reliability` runs the bounded version; `RELIABILITY_LONG=1` the long one;
//! `RELIABILITY_SEED=<u64>` replays a run; `RELIABILITY_FAMILIES=crash,fuzz` runs only some
//! families (each family is the module of the same name; an unknown name is an error that
//! lists the valid ones). Prints `<family>: N passed, N failed` per family and a total line,
//! and exits non-zero when any trial failed.

mod bad_input_compile;
mod bad_input_runtime;
mod common;
mod concurrent;
mod crash;
mod fleet;
mod fuzz;
mod http_load;
mod http_security;
mod lock_holder;
mod power_loss;
mod web;

use std::process::ExitCode;
use std::time::Instant;

use common::{Ctx, Tally};

type Family = fn(&Ctx, &mut Tally);

fn main() -> ExitCode {
    let long = std::env::var("RELIABILITY_LONG").is_ok_and(|v| !v.is_empty() && v != "0");
    let seed = match std::env::var("RELIABILITY_SEED") {
        Ok(v) => match v.trim().parse::<u64>() {
            Ok(seed) => seed,
            Err(_) => {
                eprintln!("RELIABILITY_SEED must be a u64, got `{v}`");
                return ExitCode::FAILURE;
            }
        },
        Err(_) => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1),
    };
    println!(
        "reliability trials: {} run, seed {seed} (replay with RELIABILITY_SEED={seed}{})",
        if long { "long" } else { "bounded" },
        if long { " RELIABILITY_LONG=1" } else { "" }
    );
    let ctx = Ctx {
        long,
        migrator: env!("CARGO_BIN_EXE_migrator"),
        fleet: env!("CARGO_BIN_EXE_fleet"),
        workspace: migrate_test_kit::workspace_root(),
    };
    // The family name is the module name, by construction.
    macro_rules! families {
        ($($module:ident),* $(,)?) => {
            [$((stringify!($module), $module::run as Family)),*]
        };
    }
    let families = families![
        crash,
        concurrent,
        lock_holder,
        bad_input_runtime,
        bad_input_compile,
        fuzz,
        http_security,
        http_load,
        fleet,
        power_loss,
    ];
    let valid: Vec<&str> = families.iter().map(|(name, _)| *name).collect();
    let only = match std::env::var("RELIABILITY_FAMILIES") {
        Ok(v) => match chosen_families(&v, &valid) {
            Ok(only) => Some(only),
            Err(e) => {
                eprintln!("RELIABILITY_FAMILIES: {e}");
                return ExitCode::FAILURE;
            }
        },
        Err(_) => None,
    };
    let started = Instant::now();
    let mut lines = Vec::new();
    let (mut passed, mut failed) = (0, 0);
    for (name, family) in families {
        if only
            .as_ref()
            .is_some_and(|only| !only.iter().any(|f| f == name))
        {
            continue;
        }
        let family_started = Instant::now();
        let mut tally = Tally::new(name, seed);
        family(&ctx, &mut tally);
        println!("  ({name} took {:.1?})", family_started.elapsed());
        lines.push(format!(
            "{name}: {} passed, {} failed",
            tally.passed, tally.failed
        ));
        passed += tally.passed;
        failed += tally.failed;
    }
    println!("seed {seed}, wall time {:.1?}", started.elapsed());
    for line in lines {
        println!("{line}");
    }
    println!("total: {passed} passed, {failed} failed");
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// The families a `RELIABILITY_FAMILIES` value names, comma-separated. A misspelt name must not
/// run nothing and report success, so every name has to be one of `valid`, and at least one
/// must be given.
fn chosen_families(value: &str, valid: &[&str]) -> Result<Vec<String>, String> {
    let names: Vec<String> = value
        .split(',')
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .map(str::to_owned)
        .collect();
    let unknown: Vec<&str> = names
        .iter()
        .map(String::as_str)
        .filter(|name| !valid.contains(name))
        .collect();
    if !unknown.is_empty() {
        return Err(format!(
            "unknown famil{} `{}`; the families are: {}",
            if unknown.len() == 1 { "y" } else { "ies" },
            unknown.join("`, `"),
            valid.join(", ")
        ));
    }
    if names.is_empty() {
        return Err(format!(
            "names no family; the families are: {}",
            valid.join(", ")
        ));
    }
    Ok(names)
}
