//! Comparing the applied history with this build: the basis of validation and `status`.

use std::collections::BTreeMap;

use crate::Migrations;
use crate::error::{Drift, MigrationRef};
use crate::tracking::AppliedRow;

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

/// Compares the applied rows with the set.
pub(crate) fn compare(migrations: &Migrations, applied: &BTreeMap<i64, AppliedRow>) -> Comparison {
    let mut comparison = Comparison::default();
    let highest = applied.keys().next_back().copied().unwrap_or(0);
    for row in applied.values() {
        match migrations.get(row.version) {
            None => comparison.unknown.push(MigrationRef {
                version: row.version,
                file: row.name.clone(),
            }),
            Some(m) if row.checksum != m.checksum().to_string() => comparison.drift.push(Drift {
                migration: MigrationRef::of(&m),
                applied: row.checksum.clone(),
                embedded: m.checksum(),
            }),
            Some(_) => {}
        }
    }
    for m in migrations.iter().take_while(|m| m.version() < highest) {
        if !applied.contains_key(&m.version()) {
            comparison.holes.push(MigrationRef::of(&m));
        }
    }
    comparison
}
