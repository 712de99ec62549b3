//! `baseline`: adopting a database built before this library was used.
//!
//! Invariant: only a database with no applied migration is baselined, in one transaction.

use migrate_rules::Checksum;
use rusqlite::Connection;

use crate::clock;
use crate::db::{MigratorLock, Transaction, classified};
use crate::error::Error;
use crate::migrations::Migrations;
use crate::tracking::history::insert_event;
use crate::tracking::migrations::{insert_row, read_applied};
use crate::tracking::state::{set_state, set_user_version, user_version};
use crate::tracking::{AppliedRecord, EventRow, HistoryEvent, ensure_tables};

impl Migrations {
    /// Adopts a database built before this library was used: records versions `1..=version`
    /// as applied, with this build's checksums, without running them. Writes one `baselined`
    /// history event, the state row, and `PRAGMA user_version` when it is 0.
    ///
    /// ```
    /// use migrate_runtime::{rusqlite::Connection, Migrations};
    ///
    /// static MIGRATIONS: Migrations = migrate_runtime::embed_migrations!("tests/doc_migrations");
    ///
    /// let mut conn = Connection::open_in_memory()?;
    /// conn.execute_batch("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL);")?;
    /// MIGRATIONS.baseline(&mut conn, 1)?;
    /// let report = MIGRATIONS.run(&mut conn)?;
    /// assert_eq!(report.applied[0].version, 2);
    /// // Once migrations are recorded, baseline refuses.
    /// assert!(MIGRATIONS.baseline(&mut conn, 2).is_err());
    /// # Ok::<(), migrate_runtime::Error>(())
    /// ```
    ///
    /// # Errors
    /// - [`Error::InvalidVersion`] unless `1 <= version <= latest`.
    /// - [`Error::AlreadyTracked`] when the database already records applied migrations.
    /// - [`Error::Locked`], [`Error::ReadOnly`], [`Error::NotADatabase`],
    ///   [`Error::TrackingTable`], [`Error::Sqlite`].
    pub fn baseline(&self, conn: &mut Connection, version: i64) -> Result<(), Error> {
        let latest = self.latest_version();
        if !(1..=latest).contains(&version) {
            return Err(Error::InvalidVersion {
                requested: version,
                reason: format!("a baseline records versions 1 to {latest} of this build"),
            });
        }
        self.record_baseline(conn, |_| {
            let detail =
                format!("recorded versions 1 to {version} as applied without running them");
            Ok::<_, Error>((BaselinePlan { version, detail }, ()))
        })
    }

    /// Records versions `1..=plan.version` as applied without running them, under the
    /// migrator lock and in one `BEGIN IMMEDIATE` transaction: `decide` reads the database
    /// inside that transaction (after the check that nothing is recorded yet) and says how
    /// far to baseline. Shared by [`Migrations::baseline`] and `baseline_from`, so that both
    /// write the same rows, event, state and `user_version`.
    pub(crate) fn record_baseline<T, E: From<Error>>(
        &self,
        conn: &mut Connection,
        decide: impl FnOnce(&Connection) -> Result<(BaselinePlan, T), E>,
    ) -> Result<T, E> {
        let _lock = MigratorLock::acquire(conn)?;
        let tx = Transaction::immediate(conn, None)?;
        classified(conn, ensure_tables)?;
        let applied = read_applied(conn)?;
        if !applied.is_empty() {
            return Err(Error::AlreadyTracked {
                current_version: applied.highest(),
            }
            .into());
        }
        let (BaselinePlan { version, detail }, value) = decide(conn)?;
        let latest = self.latest_version();
        if !(1..=latest).contains(&version) {
            return Err(Error::InvalidVersion {
                requested: version,
                reason: format!("a baseline records versions 1 to {latest} of this build"),
            }
            .into());
        }
        let now = clock::now_utc();
        let mut history = None;
        for m in self.iter().take_while(|m| m.version() <= version) {
            let checksum = m.checksum();
            history = Some(Checksum::chain(history.as_ref(), &checksum));
            let history_text = history.as_ref().map(ToString::to_string);
            insert_row(
                conn,
                &AppliedRecord {
                    version: m.version(),
                    name: m.name(),
                    checksum: &checksum.to_string(),
                    execution_time_ms: 0,
                    history_checksum: history_text.as_deref().unwrap_or_default(),
                },
                &now,
            )
            .map_err(Error::from)?;
        }
        insert_event(
            conn,
            &EventRow {
                event: HistoryEvent::Baselined,
                version: Some(version),
                name: self.get(version).map(|m| m.name()),
                checksum: None,
                execution_time_ms: None,
                detail: Some(&detail),
            },
            &now,
        )
        .map_err(Error::from)?;
        let history_text = history.map(|h| h.to_string());
        set_state(conn, version, history_text.as_deref()).map_err(Error::from)?;
        if user_version(conn).map_err(Error::from)? == 0 {
            set_user_version(conn, version).map_err(Error::from)?;
        }
        tx.commit().map_err(Error::from)?;
        log::info!("baselined the database at version {version}");
        Ok(value)
    }
}

/// What [`Migrations::record_baseline`] records: versions `1..=version`, and the detail of
/// the `baselined` history event.
pub(crate) struct BaselinePlan {
    /// The last version to record.
    pub version: i64,
    /// The history event's detail.
    pub detail: String,
}
