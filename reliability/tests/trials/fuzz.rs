//! Fuzzing with oracles: each target's output is checked against an answer computed
//! independently of the code under test.
//!
//! - `splitter` ([`splitter`]): `migrate_rules::split` against SQLite's own
//!   `sqlite3_complete()`: every statement ends where SQLite first says the text is complete,
//!   and the text between statements is empty to SQLite's parser.
//! - `file names` ([`names`]): `parse_file_name` against a regular expression of the grammar
//!   and a hand model of which rule a name breaks.
//! - `set validation` ([`sets`]): `MigrationSet::from_entries` against a reference model of
//!   the rules, on sets generated with known defects: valid if and only if the model says so,
//!   with the same files named.
//!
//! Generators start from valid input and mutate it, so that a large share is accepted and the
//! rejected rest is near-valid. Per target the family prints trials, accepted, rejected and
//! distinct inputs; only inputs that reached the oracle count as trials.

mod names;
mod sets;
mod splitter;
mod sql;

use std::collections::HashSet;
use std::hash::{DefaultHasher, Hash, Hasher};

use crate::common::{Ctx, Rng, Tally, panic_message};

/// What one target's trials came to.
#[derive(Default)]
struct Figures {
    accepted: usize,
    rejected: usize,
    /// Hashes of the inputs, to count distinct ones.
    seen: HashSet<u64>,
}

impl Figures {
    /// Inputs that reached the oracle.
    fn trials(&self) -> usize {
        self.accepted + self.rejected
    }

    fn print(&self, target: &str) {
        println!(
            "  fuzz {target}: {} trials, {} accepted, {} rejected, {} distinct inputs",
            self.trials(),
            self.accepted,
            self.rejected,
            self.seen.len()
        );
    }
}

/// One trial's outcome: `None` when the input never reached the oracle (not a trial), else
/// whether the code under test accepted it and what the oracle found wrong.
pub struct Verdict {
    accepted: bool,
    problem: Option<String>,
}

impl Verdict {
    fn new(accepted: bool, problem: Result<(), String>) -> Option<Verdict> {
        Some(Verdict {
            accepted,
            problem: problem.err(),
        })
    }
}

type Target = (
    &'static str,
    usize,
    fn(&mut Rng, &mut splitter::Oracle) -> (u64, String, Option<Verdict>),
);

pub fn run(ctx: &Ctx, tally: &mut Tally) {
    let mut oracle = splitter::Oracle::new();
    let targets: [Target; 3] = [
        ("splitter", ctx.count(6_000, 2_000_000), splitter::trial),
        ("file names", ctx.count(30_000, 2_000_000), names::trial),
        ("set validation", ctx.count(6_000, 1_000_000), sets::trial),
    ];
    for (target, count, trial) in targets {
        let mut figures = Figures::default();
        // A bound on attempts, so that a generator that stopped reaching the oracle fails the
        // family instead of looping.
        for attempt in 0..count * 2 {
            if figures.trials() == count {
                break;
            }
            let seed = tally.next_seed();
            let mut rng = Rng::new(seed);
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                trial(&mut rng, &mut oracle)
            }));
            let (hash, shown, verdict) = match outcome {
                Ok(result) => result,
                Err(panic) => {
                    tally.record(
                        &format!("{target} input #{attempt}"),
                        seed,
                        Some(format!("panicked: {}", panic_message(&*panic))),
                    );
                    continue;
                }
            };
            let Some(verdict) = verdict else { continue };
            figures.seen.insert(hash);
            if verdict.accepted {
                figures.accepted += 1;
            } else {
                figures.rejected += 1;
            }
            tally.record(
                &format!("{target} input #{attempt}"),
                seed,
                verdict.problem.map(|p| format!("{p}; input {shown}")),
            );
        }
        figures.print(target);
        if figures.trials() < count {
            tally.record(
                &format!("{target}: inputs reaching the oracle"),
                0,
                Some(format!(
                    "only {} of {} attempts reached the oracle",
                    figures.trials(),
                    count * 2
                )),
            );
        }
        // A generator that mostly produces rejected input tests little of what is accepted.
        if figures.accepted * 3 < figures.trials() {
            tally.record(
                &format!("{target}: share accepted"),
                0,
                Some(format!(
                    "{} of {} accepted, fewer than a third",
                    figures.accepted,
                    figures.trials()
                )),
            );
        }
    }
}

/// A hash of an input, to count distinct inputs.
fn hash_of(input: &impl Hash) -> u64 {
    let mut hasher = DefaultHasher::new();
    input.hash(&mut hasher);
    hasher.finish()
}
