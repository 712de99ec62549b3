//! HTTP load: `/health` under concurrent clients on loopback while `POST /run` applies a
//! migration of a few seconds, one round per journal mode. Every client has had an answer
//! before the run is posted and polls until a few answers after it returned. Every answer must
//! come within a second and be what its timing allows: `503` `pending` if it was finished
//! before the run was posted, `200` `ready` if it was sent after the run returned, and one of
//! these or `503` `migrating` in between; each client's answers only move forward (pending,
//! migrating, ready), and each round has all three. Prints the clients, the requests and the
//! p50 / p99 / max latencies of each round.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::common::{Ctx, Journal, Tally, new_db, open, s, tracking_complete};
use crate::web::{Server, TOKEN, client, leak};

/// The longest a health answer may take.
const BUDGET: Duration = Duration::from_secs(1);

pub fn run(ctx: &Ctx, tally: &mut Tally) {
    // One round per journal mode in the bounded run (a round is about two seconds).
    let rounds = ctx.count(2, 6);
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

/// One `/health` answer as a client saw it.
struct Answer {
    /// Just before the request was written: the server saw it later.
    sent: Instant,
    /// Once the whole answer was read: the server had answered earlier.
    finished: Instant,
    /// `200 ready`, `503 pending`, `503 migrating`, or what came instead.
    verdict: Result<Phase, String>,
}

/// Where a database is, as `/health` tells it; a client's answers only ever move forward.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Phase {
    Pending,
    Migrating,
    Ready,
}

impl Phase {
    fn name(self) -> &'static str {
        match self {
            Phase::Pending => "503 pending",
            Phase::Migrating => "503 migrating",
            Phase::Ready => "200 ready",
        }
    }
}

/// When `POST /run` was written and when its answer was read.
struct RunWindow {
    sent: Instant,
    returned: Instant,
}

impl RunWindow {
    /// What `answer` must say given when it was sent and finished, if its timing decides it:
    /// answered before the run was posted, nothing can have been applied (`pending`); asked
    /// after the run answered, everything is (`ready`). Between the two, any phase.
    fn required(&self, answer: &Answer) -> Option<Phase> {
        if answer.finished < self.sent {
            Some(Phase::Pending)
        } else if answer.sent > self.returned {
            Some(Phase::Ready)
        } else {
            None
        }
    }
}

/// One client: polls `/health` until told the run is over, then a few more times.
fn poll(health: &str, done: &AtomicBool, polling: &AtomicUsize) -> Vec<Answer> {
    let agent = client();
    let mut answers = Vec::new();
    // The answers after the run count too: they must all be ready.
    let mut tail = 0;
    while tail < 5 {
        if done.load(Ordering::SeqCst) {
            tail += 1;
        }
        let sent = Instant::now();
        let verdict = match agent.get(health).call() {
            Ok(mut response) => {
                let code = response.status().as_u16();
                let body = response.body_mut().read_to_string().unwrap_or_default();
                let status = body
                    .split("\"status\":\"")
                    .nth(1)
                    .and_then(|rest| rest.split('"').next())
                    .unwrap_or("");
                match (code, status) {
                    (503, "pending") => Ok(Phase::Pending),
                    (503, "migrating") => Ok(Phase::Migrating),
                    (200, "ready") => Ok(Phase::Ready),
                    _ => Err(format!("{code} {body}")),
                }
            }
            Err(e) => Err(format!("request failed: {e}")),
        };
        answers.push(Answer {
            sent,
            finished: Instant::now(),
            verdict,
        });
        if answers.len() == 1 {
            polling.fetch_add(1, Ordering::SeqCst);
        }
        // A load balancer's pace, many times over: 40 checks a second per client.
        std::thread::sleep(Duration::from_millis(25));
    }
    answers
}

fn round_of(clients: usize, rows: u32, journal: Journal) -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(s)?;
    let path = new_db(dir.path(), "app.db", journal)?;
    let set = leak(reliability::set("slow", rows).ok_or("no slow set")?);
    let server = Server::start(set, &path, Duration::from_secs(30))?;
    let health = server.url("/health");
    let done = Arc::new(AtomicBool::new(false));
    let polling = Arc::new(AtomicUsize::new(0));
    let workers: Vec<_> = (0..clients)
        .map(|_| {
            let (health, done, polling) = (health.clone(), done.clone(), polling.clone());
            std::thread::spawn(move || poll(&health, &done, &polling))
        })
        .collect();
    // Every client has had an answer before the run is posted: there are `pending` answers to
    // check, and a server that calls a pending database ready is caught.
    let waiting = Instant::now();
    while polling.load(Ordering::SeqCst) < clients {
        if waiting.elapsed() > Duration::from_secs(30) {
            done.store(true, Ordering::SeqCst);
            return Err(format!(
                "only {} of {clients} clients had an answer after 30 s",
                polling.load(Ordering::SeqCst)
            ));
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let sent = Instant::now();
    let run = client()
        .post(server.url("/run"))
        .header("Authorization", format!("Bearer {TOKEN}"))
        .send_empty();
    let window = RunWindow {
        sent,
        returned: Instant::now(),
    };
    done.store(true, Ordering::SeqCst);
    let mut answers = Vec::with_capacity(clients);
    for worker in workers {
        answers.push(worker.join().map_err(|_| "a client panicked".to_owned())?);
    }
    let mut run = run.map_err(s)?;
    let run_status = run.status().as_u16();
    let run_body = run.body_mut().read_to_string().unwrap_or_default();
    if run_status != 200 {
        return Err(format!("POST /run answered {run_status}: {run_body}"));
    }

    // Milliseconds from the moment the run was posted, negative before it.
    let at = |instant: Instant| {
        if instant >= sent {
            (instant - sent).as_secs_f64() * 1e3
        } else {
            -(sent - instant).as_secs_f64() * 1e3
        }
    };
    let mut unexpected = Vec::new();
    let mut latencies = Vec::new();
    let mut statuses = std::collections::BTreeMap::<&str, usize>::new();
    for (client_no, answers) in answers.iter().enumerate() {
        let mut last: Option<Phase> = None;
        for (i, answer) in answers.iter().enumerate() {
            let took = answer.finished - answer.sent;
            latencies.push(took);
            let whence = || {
                format!(
                    "client {client_no} answer {i} (sent {:+.0} ms, finished {:+.0} ms; the run was posted at 0 and answered at {:+.0} ms)",
                    at(answer.sent),
                    at(answer.finished),
                    at(window.returned),
                )
            };
            let phase = match &answer.verdict {
                Ok(phase) => *phase,
                Err(problem) => {
                    *statuses.entry("other").or_default() += 1;
                    unexpected.push(format!("{}: {problem}", whence()));
                    continue;
                }
            };
            *statuses.entry(phase.name()).or_default() += 1;
            if let Some(required) = window.required(answer)
                && phase != required
            {
                unexpected.push(format!(
                    "{}: {}, expected {}",
                    whence(),
                    phase.name(),
                    required.name()
                ));
            }
            if let Some(previous) = last
                && phase < previous
            {
                unexpected.push(format!(
                    "{}: {} after {}",
                    whence(),
                    phase.name(),
                    previous.name()
                ));
            }
            last = Some(phase);
            if took > BUDGET {
                unexpected.push(format!("{}: answered in {took:?}", whence()));
            }
        }
    }
    latencies.sort();
    let quantile = |q: f64| {
        let i = ((latencies.len() as f64 - 1.0) * q).round() as usize;
        latencies.get(i).copied().unwrap_or_default()
    };
    println!(
        "  http_load [{}]: {clients} clients, {} health requests around a {:.1?} run ({rows} rows): p50 {:.1?}, p99 {:.1?}, max {:.1?}; {} unexpected; {:?}",
        journal.name(),
        latencies.len(),
        window.returned - window.sent,
        quantile(0.5),
        quantile(0.99),
        latencies.last().copied().unwrap_or_default(),
        unexpected.len(),
        statuses,
    );
    if let Some(first) = unexpected.first() {
        return Err(format!(
            "{} unexpected answers, the first: {first}",
            unexpected.len()
        ));
    }
    for (phase, missing) in [
        (
            Phase::Pending,
            "no client saw the database pending before the run",
        ),
        (Phase::Migrating, "no client saw the migration running"),
        (Phase::Ready, "no client saw the database ready"),
    ] {
        if !statuses.contains_key(phase.name()) {
            return Err(missing.into());
        }
    }
    tracking_complete(&open(&path)?, set)
}
