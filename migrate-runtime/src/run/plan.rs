//! The state a run works from, read and validated under the write lock.
//!
//! Invariant: `history` is always `Checksum::history(applied.values())`, kept up to date one
//! link at a time: chaining is O(applied), so computing it afresh for every migration would
//! make a run O(N²).

use std::collections::BTreeMap;

use migrate_rules::Checksum;
use rusqlite::Connection;

use crate::compare::compare;
use crate::db::classified;
use crate::error::Error;
use crate::migrations::{Migration, Migrations};
use crate::tracking::migrations::read_applied;
use crate::tracking::progress::read_progress;
use crate::tracking::state::{data_version, verified_history};
use crate::tracking::{AppliedHistory, Progress, ensure_tables};

/// Which differences between the applied history and the build a run accepts.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Tolerance {
    pub drift: bool,
    pub unknown: bool,
    pub holes: bool,
}

impl Tolerance {
    /// Checks the applied history against this build: unknown versions, drift, holes.
    ///
    /// Returns whether the history matched exactly (`false` when a tolerance let a problem
    /// through).
    pub(crate) fn validate(
        self,
        migrations: &Migrations,
        applied: &AppliedHistory,
    ) -> Result<bool, Error> {
        let comparison = compare(migrations, applied);
        let clean = comparison.is_clean();
        if !comparison.unknown.is_empty() && !self.unknown {
            return Err(Error::UnknownApplied(comparison.unknown));
        }
        if !comparison.drift.is_empty() && !self.drift {
            return Err(Error::Drift(comparison.drift));
        }
        if !comparison.holes.is_empty() && !self.holes {
            return Err(Error::Holes(comparison.holes));
        }
        Ok(clean)
    }
}

/// The state a run works from.
pub(crate) struct Plan<'m> {
    pub pending: Vec<Migration<'m>>,
    pub applied: AppliedHistory<Checksum>,
    /// `Checksum::history(applied.values())`.
    pub history: Option<Checksum>,
    pub progress: BTreeMap<i64, Progress>,
    /// True when the applied history matches this build exactly (nothing tolerated).
    pub clean: bool,
    /// `PRAGMA data_version` when the history was last read: it changes when another
    /// connection commits, and only then.
    data_version: i64,
}

impl<'m> Plan<'m> {
    /// Creates the tracking tables if needed (inside the open transaction), reads the applied
    /// history and validates it against this build.
    pub(crate) fn read(
        conn: &Connection,
        migrations: &'m Migrations,
        target: Option<i64>,
        tolerance: Tolerance,
    ) -> Result<Self, Error> {
        classified(conn, ensure_tables)?;
        let data_version = data_version(conn)?;
        let applied = read_applied(conn)?;
        let progress = read_progress(conn)?;
        let latest = migrations.latest_version();
        // `Runner::run` has refused a target outside `0..=latest` before any lock.
        let target = target.unwrap_or(latest);
        let clean = tolerance.validate(migrations, &applied)?;
        let pending = migrations
            .iter()
            .take_while(|m| m.version() <= target)
            .filter(|m| !applied.contains(m.version()))
            .collect();
        let applied = applied.checksums();
        Ok(Plan {
            pending,
            history: Checksum::history(applied.values()),
            applied,
            progress,
            clean,
            data_version,
        })
    }

    /// Adds `migration` to the applied history and returns the history checksum of its row.
    ///
    /// The row's history covers versions up to its own; the state's covers all of them (they
    /// differ when a hole below the highest applied version is filled). In the usual case,
    /// appending, both are one more link of the chain.
    pub(crate) fn push(&mut self, migration: &Migration<'_>) -> Option<Checksum> {
        let version = migration.version();
        let appends = self.applied.highest() < version;
        self.applied.insert(version, migration.checksum());
        if appends {
            self.history = Some(Checksum::chain(
                self.history.as_ref(),
                &migration.checksum(),
            ));
            self.history
        } else {
            self.history = Checksum::history(self.applied.values());
            Checksum::history(self.applied.up_to(version))
        }
    }

    /// Called with the write lock taken again between two migrations: true when another
    /// process applied `migration` since this run read the state. `PRAGMA data_version` says
    /// whether any other connection committed meanwhile; if one did, one read of the state
    /// row tells whether the history changed, and only then is it read again.
    pub(crate) fn applied_meanwhile(
        &mut self,
        conn: &Connection,
        migration: &Migration<'_>,
    ) -> Result<bool, Error> {
        let data_version = data_version(conn)?;
        let unchanged = data_version == self.data_version
            || (self.history.is_some() && verified_history(conn)? == self.history);
        self.data_version = data_version;
        if !unchanged {
            self.applied = read_applied(conn)?.checksums();
            self.history = Checksum::history(self.applied.values());
        }
        let done = self.applied.contains(migration.version());
        if done {
            log::info!("{migration} was applied by another process meanwhile");
        }
        Ok(done)
    }
}
