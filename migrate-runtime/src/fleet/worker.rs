//! The pool: `n` scoped threads take the next path from the caller's iterator, behind a
//! mutex, one at a time: paths are streamed, none is read before a thread is free for it,
//! and no thread hands work to another (no channel, no wake-up per database).
//!
//! Invariants: a database starts only while the stop flag is down; once it is up, every path
//! still to come becomes a skipped outcome, and the databases in flight finish. Every path
//! yields exactly one outcome and one `Finished` event.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};

use super::FleetEvent;
use super::report::{DatabaseStatus, Outcome};

/// What the pool calls, shared by the threads.
pub(crate) struct Pool<'a> {
    /// Migrates or inspects one database.
    pub job: &'a (dyn Fn(PathBuf) -> Outcome + Sync),
    /// The caller's event callback.
    pub observer: Option<&'a (dyn Fn(FleetEvent<'_>) + Sync)>,
    /// Raise the stop flag after a failure.
    pub stop_on_error: bool,
    /// Up once nothing new may start.
    pub stop: &'a AtomicBool,
    /// `(position, outcome)`, in the order the databases finished.
    pub outcomes: &'a Mutex<Vec<(usize, Outcome)>>,
}

impl Pool<'_> {
    /// Runs every `(position, path)` of `items` on `threads` threads (on the calling thread
    /// when `threads` is 1); returns when all are done.
    pub(crate) fn run(
        &self,
        threads: usize,
        items: &mut (dyn Iterator<Item = (usize, PathBuf)> + Send),
    ) {
        if threads <= 1 {
            for (position, path) in items {
                self.one(position, path);
            }
            return;
        }
        let items = Mutex::new(items);
        std::thread::scope(|scope| {
            for _ in 0..threads {
                scope.spawn(|| {
                    loop {
                        // The guard is dropped at the end of the statement: the next path is
                        // read under the lock, the database is worked on outside it.
                        let next = items.lock().unwrap_or_else(PoisonError::into_inner).next();
                        let Some((position, path)) = next else { break };
                        self.one(position, path);
                    }
                });
            }
        });
    }

    fn one(&self, position: usize, path: PathBuf) {
        if self.stop.load(Ordering::Acquire) {
            return self.skip(position, path);
        }
        self.emit(FleetEvent::Started {
            position,
            path: &path,
        });
        let outcome = (self.job)(path);
        if outcome.is_failed() {
            log::warn!(
                "{}: {}",
                outcome.path.display(),
                outcome.error().map(ToString::to_string).unwrap_or_default()
            );
            if self.stop_on_error {
                self.stop.store(true, Ordering::Release);
            }
        }
        self.finish(position, outcome);
    }

    /// A database not started because the fleet stopped.
    pub(crate) fn skip(&self, position: usize, path: PathBuf) {
        self.finish(position, Outcome::new(path, DatabaseStatus::Skipped));
    }

    fn finish(&self, position: usize, outcome: Outcome) {
        self.emit(FleetEvent::Finished {
            position,
            outcome: &outcome,
        });
        self.outcomes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((position, outcome));
    }

    fn emit(&self, event: FleetEvent<'_>) {
        if let Some(observer) = self.observer {
            observer(event);
        }
    }
}
