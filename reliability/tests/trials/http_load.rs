//! HTTP load: `/health` under concurrent clients on loopback while `POST /run` applies a
//! migration of a few seconds. Every answer must come within a second and be one of the
//! expected ones: `503` `pending` before the run takes the migrator lock, `503` `migrating`
//! while it holds it, `200` `ready` once it is done. Prints the clients, the requests and the
//! p50 / p99 / max latencies of each round.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::common::{Ctx, Journal, Tally, new_db, open, s, tracking_complete};
use crate::web::{Server, TOKEN, client, leak};

/// The longest a health answer may take.
const BUDGET: Duration = Duration::from_secs(1);

pub fn run(ctx: &Ctx, tally: &mut Tally) {
    let rounds = ctx.count(1, 6);
    let clients = ctx.count(50, 64);
    // Rows of the slow migration: about 1.5 s of work alone in the bounded run, 5 s in the long
    // one (longer under the clients' load).
    let rows = calibrate(if ctx.long { 5.0 } else { 1.5 });
    for round in 0..rounds {
        let journal = Journal::ALL[round % 2];
        tally.trial(
            &format!(
                "health under {clients} clients during a run #{round} [{}]",
                journal.name()
            ),
            |_| round_of(clients, rows, journal),
        );
    }
}

/// How many rows the `slow` set fills in about `seconds` on this machine.
fn calibrate(seconds: f64) -> u32 {
    let probe = 200_000;
    let measured = (|| -> Result<Duration, String> {
        let dir = tempfile::tempdir().map_err(s)?;
        let path = new_db(dir.path(), "probe.db", Journal::Rollback)?;
        let set = reliability::set("slow", probe).ok_or("no slow set")?;
        let started = Instant::now();
        set.run(&mut open(&path)?).map_err(s)?;
        Ok(started.elapsed())
    })()
    .unwrap_or(Duration::from_millis(200));
    let per_row = measured.as_secs_f64() / f64::from(probe);
    ((seconds / per_row.max(1e-9)) as u32).clamp(probe, 50_000_000)
}

/// What the clients saw.
#[derive(Default)]
struct Seen {
    latencies: Vec<Duration>,
    unexpected: Vec<String>,
    statuses: std::collections::BTreeMap<String, usize>,
}

fn round_of(clients: usize, rows: u32, journal: Journal) -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(s)?;
    let path = new_db(dir.path(), "app.db", journal)?;
    let set = leak(reliability::set("slow", rows).ok_or("no slow set")?);
    let server = Server::start(set, &path, Duration::from_secs(30))?;
    let health = server.url("/health");
    let done = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let workers: Vec<_> = (0..clients)
        .map(|_| {
            let (health, done) = (health.clone(), done.clone());
            std::thread::spawn(move || {
                let agent = client();
                let mut seen = Seen::default();
                // Until the run is over, and a little longer: the answers after it count too.
                let mut tail = 0;
                while tail < 5 {
                    if done.load(Ordering::Relaxed) {
                        tail += 1;
                    }
                    let sent = Instant::now();
                    let answer = agent.get(&health).call();
                    let took = sent.elapsed();
                    seen.latencies.push(took);
                    let verdict = match answer {
                        Ok(mut response) => {
                            let code = response.status().as_u16();
                            let body = response.body_mut().read_to_string().unwrap_or_default();
                            let status = body
                                .split("\"status\":\"")
                                .nth(1)
                                .and_then(|rest| rest.split('"').next())
                                .unwrap_or("")
                                .to_owned();
                            *seen.statuses.entry(format!("{code} {status}")).or_default() += 1;
                            match (code, status.as_str()) {
                                (200, "ready") | (503, "pending" | "migrating") => None,
                                _ => Some(format!("{code} {body}")),
                            }
                        }
                        Err(e) => Some(format!("request failed: {e}")),
                    };
                    if let Some(problem) = verdict {
                        seen.unexpected.push(problem);
                    } else if took > BUDGET {
                        seen.unexpected.push(format!("answered in {took:?}"));
                    }
                    // A load balancer's pace, many times over: 40 checks a second per client.
                    std::thread::sleep(Duration::from_millis(25));
                }
                seen
            })
        })
        .collect();
    // Let the clients start, then run the migration over HTTP.
    std::thread::sleep(Duration::from_millis(200));
    let run = client()
        .post(server.url("/run"))
        .header("Authorization", format!("Bearer {TOKEN}"))
        .send_empty();
    let run_took = started.elapsed();
    done.store(true, Ordering::Relaxed);
    let mut all = Seen::default();
    for worker in workers {
        let seen = worker.join().map_err(|_| "a client panicked".to_owned())?;
        all.latencies.extend(seen.latencies);
        all.unexpected.extend(seen.unexpected);
        for (k, v) in seen.statuses {
            *all.statuses.entry(k).or_default() += v;
        }
    }
    let mut run = run.map_err(s)?;
    let run_status = run.status().as_u16();
    let run_body = run.body_mut().read_to_string().unwrap_or_default();
    if run_status != 200 {
        return Err(format!("POST /run answered {run_status}: {run_body}"));
    }
    all.latencies.sort();
    let at = |q: f64| {
        let i = ((all.latencies.len() as f64 - 1.0) * q).round() as usize;
        all.latencies.get(i).copied().unwrap_or_default()
    };
    println!(
        "  http_load [{}]: {clients} clients, {} health requests during a {:.1?} run ({rows} rows): p50 {:.1?}, p99 {:.1?}, max {:.1?}; {} unexpected; {:?}",
        journal.name(),
        all.latencies.len(),
        run_took,
        at(0.5),
        at(0.99),
        all.latencies.last().copied().unwrap_or_default(),
        all.unexpected.len(),
        all.statuses,
    );
    if !all.statuses.keys().any(|k| k == "503 migrating") {
        return Err("no client saw the migration running".into());
    }
    if !all.statuses.keys().any(|k| k == "200 ready") {
        return Err("no client saw the database ready".into());
    }
    if let Some(first) = all.unexpected.first() {
        return Err(format!(
            "{} unexpected answers, the first: {first}",
            all.unexpected.len()
        ));
    }
    tracking_complete(&open(&path)?, set)
}
