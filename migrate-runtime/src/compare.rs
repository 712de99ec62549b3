//! Comparing the applied history with this build: the basis of validation, `status`,
//! `rollback_to` and `repair`.

use crate::error::{Drift, MigrationRef};
use crate::migrations::Migrations;
use crate::tracking::AppliedHistory;

/// How the applied history differs from this build.
#[derive(Debug, Default)]
pub(crate) struct Comparison {
    /// Applied versions this build does not have.
    pub unknown: Vec<MigrationRef>,
    /// Applied migrations whose checksum differs from this build's.
    pub drift: Vec<Drift>,
    /// Versions of this build that are not applied while a higher version is.
    pub holes: Vec<MigrationRef>,
}

impl Comparison {
    /// True when the applied history matches this build exactly.
    pub(crate) fn is_clean(&self) -> bool {
        self.unknown.is_empty() && self.drift.is_empty() && self.holes.is_empty()
    }
}

/// Compares the applied rows with the set.
pub(crate) fn compare(migrations: &Migrations, applied: &AppliedHistory) -> Comparison {
    let mut comparison = Comparison::default();
    let highest = applied.highest();
    for row in applied.values() {
        match migrations.get(row.version) {
            None => comparison.unknown.push(MigrationRef {
                version: row.version,
                file: row.name.clone(),
            }),
            Some(m) if !row.checksum.is(&m.checksum()) => comparison.drift.push(Drift {
                migration: MigrationRef::of(&m),
                applied: row.checksum.clone(),
                embedded: m.checksum(),
            }),
            Some(_) => {}
        }
    }
    for m in migrations.iter().take_while(|m| m.version() < highest) {
        if !applied.contains(m.version()) {
            comparison.holes.push(MigrationRef::of(&m));
        }
    }
    comparison
}
