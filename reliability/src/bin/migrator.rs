//! The child process of the reliability trials: applies a named set to a database file.
//!
//! `migrator <set> <rows> <db> [--wait-stdin] [--busy-ms N] [--cache-pages N]`
//!
//! With `--wait-stdin` it opens the database, then blocks until its standard input yields a
//! byte or closes, so that a parent can release many children at the same moment. On success
//! it prints `applied: <versions>` and exits 0; on failure it prints `error: <message>` and
//! `kind: <variant>` on standard error and exits 1 (2 for bad arguments).

use std::io::Read;
use std::process::ExitCode;
use std::time::Duration;

use migrate_runtime::Error;
use migrate_runtime::rusqlite::Connection;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 3 {
        eprintln!(
            "usage: migrator <set> <rows> <db> [--wait-stdin] [--busy-ms N] [--cache-pages N]"
        );
        return ExitCode::from(2);
    }
    let Ok(rows) = args[1].parse::<u32>() else {
        eprintln!("rows must be a number");
        return ExitCode::from(2);
    };
    let Some(migrations) = reliability::set(&args[0], rows) else {
        eprintln!("unknown set `{}`", args[0]);
        return ExitCode::from(2);
    };
    let mut wait = false;
    let mut busy_ms = None;
    let mut cache_pages = None;
    let mut rest = args[3..].iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--wait-stdin" => wait = true,
            "--busy-ms" => busy_ms = rest.next().and_then(|v| v.parse::<u64>().ok()),
            "--cache-pages" => cache_pages = rest.next().and_then(|v| v.parse::<i64>().ok()),
            other => {
                eprintln!("unknown argument `{other}`");
                return ExitCode::from(2);
            }
        }
    }
    let result = (|| -> Result<Vec<i64>, Error> {
        let mut conn = Connection::open(&args[2])?;
        if let Some(ms) = busy_ms {
            conn.busy_timeout(Duration::from_millis(ms))?;
        }
        if let Some(pages) = cache_pages {
            conn.pragma_update(None, "cache_size", pages)?;
        }
        if wait {
            let mut byte = [0u8; 1];
            let _ = std::io::stdin().read(&mut byte);
        }
        let report = migrations.run(&mut conn)?;
        Ok(report.applied.iter().map(|a| a.version).collect())
    })();
    match result {
        Ok(applied) => {
            let list: Vec<String> = applied.iter().map(i64::to_string).collect();
            println!("applied: {}", list.join(","));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            let kind = format!("{e:?}");
            let kind = kind.split(['(', ' ', '{']).next().unwrap_or_default();
            eprintln!("kind: {kind}");
            ExitCode::from(1)
        }
    }
}
