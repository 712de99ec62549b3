//! `repair`: accepting intentional edits and migrations finished by hand.
//!
//! Invariant: everything happens in one transaction, and every row's history checksum and
//! the state row are rewritten, so the next run validates against what repair accepted.

use migrate_rules::Checksum;
use rusqlite::Connection;

use crate::checksum::RecordedChecksum;
use crate::clock;
use crate::compare::compare;
use crate::db::{MigratorLock, Transaction, classified};
use crate::error::{Drift, Error, MigrationRef};
use crate::migrations::{Migration, Migrations};
use crate::tracking::history::insert_event;
use crate::tracking::migrations::{insert_row, read_applied, update_checksums};
use crate::tracking::progress::{clear_progress, read_progress};
use crate::tracking::state::{set_state, set_user_version, user_version};
use crate::tracking::{
    AppliedRecord, AppliedRow, EventRow, HistoryEvent, MIGRATIONS_TABLE, Progress, table_exists,
};

/// What [`Migrations::repair`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RepairReport {
    /// Applied migrations whose recorded checksum was replaced by this build's.
    pub accepted: Vec<Drift>,
    /// Incomplete no-transaction migrations whose already-run statements had changed,
    /// recorded as applied (they must have been finished by hand).
    pub recorded: Vec<MigrationRef>,
}

impl RepairReport {
    /// True when there was nothing to repair.
    pub fn is_empty(&self) -> bool {
        self.accepted.is_empty() && self.recorded.is_empty()
    }
}

impl Migrations {
    /// Accepts this build's checksums for applied migrations whose files have changed, after
    /// an intentional edit; each acceptance is a `repaired` history event naming both
    /// checksums. Also records as applied an incomplete `-- migrate:no-transaction` migration
    /// whose already-run statements have changed since (the case where [`Error::IncompleteEdited`]
    /// says to finish it by hand): the operator is saying it is done. The state row is
    /// rewritten and verified. Everything happens in one transaction.
    ///
    /// ```
    /// use migrate_runtime::{rusqlite::Connection, Migrations};
    ///
    /// let v1 = Migrations::from_files([("1_notes.sql", "CREATE TABLE notes (body TEXT);")])?;
    /// let v2 = Migrations::from_files([("1_notes.sql", "CREATE TABLE notes (body TEXT); -- edited")])?;
    ///
    /// let mut conn = Connection::open_in_memory()?;
    /// v1.run(&mut conn)?;
    /// assert!(v2.run(&mut conn).is_err()); // drift
    /// let report = v2.repair(&mut conn)?;
    /// assert_eq!(report.accepted[0].migration.version, 1);
    /// assert!(v2.run(&mut conn)?.is_empty());
    /// # Ok::<(), migrate_runtime::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::Locked`], [`Error::ReadOnly`], [`Error::NotADatabase`],
    /// [`Error::TrackingTable`], [`Error::Sqlite`]; nothing was changed.
    pub fn repair(&self, conn: &mut Connection) -> Result<RepairReport, Error> {
        let _lock = MigratorLock::acquire(conn)?;
        let tx = Transaction::immediate(conn, None)?;
        let report = self.repair_locked(conn)?;
        tx.commit()?;
        Ok(report)
    }

    fn repair_locked(&self, conn: &Connection) -> Result<RepairReport, Error> {
        let mut report = RepairReport::default();
        if !classified(conn, |c| table_exists(c, MIGRATIONS_TABLE))? {
            return Ok(report);
        }
        let mut applied = read_applied(conn)?;
        let progress = read_progress(conn)?;
        let now = clock::now_utc();
        report.accepted = compare(self, &applied).drift;
        for drift in &report.accepted {
            if let Some(row) = applied.get_mut(drift.migration.version) {
                row.checksum = RecordedChecksum::Valid(drift.embedded);
            }
            let detail = format!(
                "accepted the checksum of {} (was {})",
                drift.migration.file, drift.applied
            );
            insert_event(
                conn,
                &EventRow {
                    event: HistoryEvent::Repaired,
                    version: Some(drift.migration.version),
                    name: self.get(drift.migration.version).map(|m| m.name()),
                    checksum: Some(&drift.embedded.to_string()),
                    execution_time_ms: None,
                    detail: Some(&detail),
                },
                &now,
            )?;
        }
        for p in progress.values() {
            let Some(m) = self.get(p.version) else {
                continue;
            };
            if applied.contains(m.version()) || !statements_changed(&m, p) {
                continue;
            }
            let checksum = m.checksum().to_string();
            insert_row(
                conn,
                &AppliedRecord {
                    version: m.version(),
                    name: m.name(),
                    checksum: &checksum,
                    execution_time_ms: 0,
                    history_checksum: "",
                },
                &now,
            )?;
            clear_progress(conn, m.version())?;
            let detail =
                "recorded an incomplete no-transaction migration as applied (finished by hand)";
            insert_event(
                conn,
                &EventRow {
                    event: HistoryEvent::Repaired,
                    version: Some(m.version()),
                    name: Some(m.name()),
                    checksum: Some(&checksum),
                    execution_time_ms: None,
                    detail: Some(detail),
                },
                &now,
            )?;
            applied.insert(
                m.version(),
                AppliedRow {
                    version: m.version(),
                    name: m.name().to_owned(),
                    checksum: RecordedChecksum::Valid(m.checksum()),
                    applied_at: now.clone(),
                    execution_time_ms: 0,
                },
            );
            report.recorded.push(MigrationRef::of(&m));
        }
        // Every row's history checksum covers the rows before it: rewrite them all.
        let mut history = None;
        for row in applied.values() {
            if let Some(checksum) = row.checksum.valid() {
                history = Some(Checksum::chain(history.as_ref(), checksum));
            }
            let history_text = history
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default();
            update_checksums(conn, row.version, &row.checksum.to_string(), &history_text)?;
        }
        let highest = applied.highest();
        let history_text = history.map(|h| h.to_string());
        set_state(conn, highest, history_text.as_deref())?;
        if !report.recorded.is_empty() && user_version(conn)? < highest {
            set_user_version(conn, highest)?;
        }
        for d in &report.accepted {
            log::info!("repair: accepted the checksum of {}", d.migration);
        }
        for m in &report.recorded {
            log::info!("repair: recorded {m} as applied");
        }
        Ok(report)
    }
}

/// True when statements of an incomplete migration that already ran differ from this build's.
fn statements_changed(migration: &Migration<'_>, progress: &Progress) -> bool {
    let script = migration.up();
    progress
        .statement_checksums
        .iter()
        .enumerate()
        .any(|(i, done)| {
            i >= script.statement_count()
                || !done.is(&Checksum::digest(script.statement(i).text.as_bytes()))
        })
}
