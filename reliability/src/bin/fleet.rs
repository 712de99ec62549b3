//! A child process of the reliability trials: applies a named set to every database listed
//! in a file, as a fleet.
//!
//! `fleet <set> <rows> <list> <parallel>`: prints one line per finished database
//! (`done <status> <path>`) and exits 0 when none failed, 1 otherwise (2 for bad arguments).

use std::io::{BufRead, BufReader, Write};
use std::process::ExitCode;

use migrate_runtime::FleetEvent;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() != 4 {
        eprintln!("usage: fleet <set> <rows> <list> <parallel>");
        return ExitCode::from(2);
    }
    let (Ok(rows), Ok(parallel)) = (args[1].parse::<u32>(), args[3].parse::<usize>()) else {
        eprintln!("rows and parallel must be numbers");
        return ExitCode::from(2);
    };
    let Some(migrations) = reliability::set(&args[0], rows) else {
        eprintln!("unknown set `{}`", args[0]);
        return ExitCode::from(2);
    };
    let list = match std::fs::File::open(&args[2]) {
        Ok(file) => BufReader::new(file),
        Err(e) => {
            eprintln!("{}: {e}", args[2]);
            return ExitCode::from(2);
        }
    };
    let paths = list.lines().map_while(Result::ok).map(Into::into);
    let report = migrations
        .fleet()
        .databases(paths)
        .parallel(parallel)
        .on_event(|event| {
            if let FleetEvent::Finished { outcome, .. } = event {
                let mut out = std::io::stdout().lock();
                let _ = writeln!(
                    out,
                    "done {} {}",
                    outcome.status.as_str(),
                    outcome.path.display()
                );
                let _ = out.flush();
            }
        })
        .run();
    match report {
        Ok(report) if report.totals.failed == 0 => ExitCode::SUCCESS,
        Ok(report) => {
            for outcome in report.failures() {
                eprintln!(
                    "failed {}: {}",
                    outcome.path.display(),
                    outcome.error().map(ToString::to_string).unwrap_or_default()
                );
            }
            ExitCode::from(1)
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}
