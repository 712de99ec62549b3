//! The child process of the reliability trials: applies a named set to a database file.
//!
//! `migrator <set> <rows> <db> [--wait-stdin] [--busy-ms N] [--cache-pages N] [--events]
//! [--clock] [--pause-ms N]`
//!
//! With `--wait-stdin` it opens the database, then blocks until its standard input yields a
//! byte or closes, so that a parent can release many children at the same moment. With
//! `--events` it prints `opened` once the database is open, then `started <v>` and
//! `finished <v>` as the runner reports them, each line flushed, so that a parent can aim a
//! kill at a phase of the run; `--pause-ms N` sleeps N ms after `opened` and after each
//! `finished` but the last, so that the moments before the first migration and between two migrations
//! last long enough to be hit. `--clock` ends each event line with ` at <µs>`, microseconds
//! since the Unix epoch, so that a parent can order the events of several children on one
//! clock (who was already running when another finished). On success
//! it prints `applied: <versions>` and exits 0; on failure it prints `error: <message>` and
//! `kind: <variant>` on standard error and exits 1 (2 for bad arguments).

use std::io::{Read, Write};
use std::process::ExitCode;
use std::time::Duration;

use migrate_runtime::rusqlite::Connection;
use migrate_runtime::{Error, Event};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 3 {
        eprintln!(
            "usage: migrator <set> <rows> <db> [--wait-stdin] [--busy-ms N] [--cache-pages N] \
             [--events] [--clock] [--pause-ms N]"
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
    let mut events = false;
    let mut clock = false;
    let mut pause = Duration::ZERO;
    let mut rest = args[3..].iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--wait-stdin" => wait = true,
            "--busy-ms" => busy_ms = rest.next().and_then(|v| v.parse::<u64>().ok()),
            "--cache-pages" => cache_pages = rest.next().and_then(|v| v.parse::<i64>().ok()),
            "--events" => events = true,
            "--clock" => clock = true,
            "--pause-ms" => {
                let ms = rest.next().and_then(|v| v.parse::<u64>().ok());
                pause = Duration::from_millis(ms.unwrap_or(0));
            }
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
        // Each event line is flushed before the pause, so that the parent sees it while the
        // child is in the phase it names.
        let say = |line: String| {
            if events {
                let mut out = std::io::stdout().lock();
                if clock {
                    let micros = std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map(|d| d.as_micros())
                        .unwrap_or(0);
                    let _ = writeln!(out, "{line} at {micros}");
                } else {
                    let _ = writeln!(out, "{line}");
                }
                let _ = out.flush();
            }
        };
        let latest = migrations.latest_version();
        say("opened".to_owned());
        std::thread::sleep(pause);
        let report = migrations
            .runner()
            .on_event(|event| match event {
                Event::Started(m) => say(format!("started {}", m.version())),
                Event::Finished(m, _) => {
                    say(format!("finished {}", m.version()));
                    // After the last one the run ends: no "between" to stretch.
                    if m.version() < latest {
                        std::thread::sleep(pause);
                    }
                }
                _ => {}
            })
            .run(&mut conn)?;
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
