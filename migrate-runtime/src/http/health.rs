//! `GET /health`: whether the schema is ready, for load balancers. No auth.
//!
//! Invariants: it answers within [`BUDGET`] whatever the database does (the check runs on a
//! blocking thread under a timeout, with a short busy timeout of its own); it never waits for
//! the migrator lock (another migrator holding it is `migrating`); it never writes or creates
//! anything; its reasons are one line and never hold SQL.

use std::path::Path;
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Serialize;

use super::database::open_read;
use super::problem::json;
use super::{Admin, Shared};
use crate::db::{classify, migrator_lock_is_held};
use crate::tracking::state::state_matches;
use crate::{Error, MigrationState, Migrations, Status};

/// The longest `/health` takes to answer.
const BUDGET: Duration = Duration::from_millis(800);
/// How long its reads wait for SQLite's lock.
const READ_PATIENCE: Duration = Duration::from_millis(200);

/// The health document.
#[derive(Debug, Serialize)]
struct Health {
    status: &'static str,
    /// The database's version; `null` when it could not be read.
    version: Option<i64>,
    /// This build's latest version.
    latest: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pending: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
}

impl Health {
    fn ready(version: i64, latest: i64) -> Health {
        Health {
            status: "ready",
            version: Some(version),
            latest,
            pending: None,
            reason: None,
        }
    }

    fn error(version: Option<i64>, latest: i64, reason: impl Into<String>) -> Health {
        Health {
            status: "error",
            version,
            latest,
            pending: None,
            reason: Some(reason.into()),
        }
    }

    fn code(&self) -> StatusCode {
        if self.status == "ready" {
            StatusCode::OK
        } else {
            StatusCode::SERVICE_UNAVAILABLE
        }
    }
}

pub(super) async fn health(State(admin): State<Shared>) -> Response {
    let latest = admin.migrations.latest_version();
    let check = tokio::task::spawn_blocking(move || check(&admin));
    let health = match tokio::time::timeout(BUDGET, check).await {
        Ok(Ok(health)) => health,
        Ok(Err(e)) => {
            log::error!("the health check failed: {e}");
            Health::error(None, latest, "the health check failed")
        }
        Err(_) => Health::error(
            None,
            latest,
            format!("the database did not answer within {BUDGET:?}"),
        ),
    };
    json(health.code(), &health)
}

fn check(admin: &Admin) -> Health {
    let migrations = admin.migrations;
    let latest = migrations.latest_version();
    let path = admin.config.database();
    if migrator_lock_is_held(path) {
        return migrating(migrations, path);
    }
    let conn = match open_read(path, READ_PATIENCE) {
        Ok(conn) => conn,
        Err(e) => return unreadable(&e, migrations, path),
    };
    // The run's own fast path: one row says whether everything is applied and unchanged.
    let since = Instant::now();
    match state_matches(&conn, latest, &migrations.history_checksum()) {
        Ok(true) => return Health::ready(latest, latest),
        Ok(false) => {}
        Err(e) => return unreadable(&classify(&conn, e, None, since), migrations, path),
    }
    match migrations.status(&conn) {
        Ok(status) => verdict(&status),
        Err(e) => unreadable(&e, migrations, path),
    }
}

fn migrating(migrations: &Migrations, path: &Path) -> Health {
    Health {
        status: "migrating",
        version: quick_version(migrations, path),
        latest: migrations.latest_version(),
        pending: None,
        reason: Some("another migrator holds the migrator lock".to_owned()),
    }
}

/// The version, when it can be read at once, without waiting for a lock (in WAL mode, while a
/// migration runs).
fn quick_version(migrations: &Migrations, path: &Path) -> Option<i64> {
    let conn = open_read(path, Duration::ZERO).ok()?;
    migrations.current_version(&conn).ok()
}

/// What a full status says: an error, pending migrations, or ready.
fn verdict(status: &Status) -> Health {
    let version = Some(status.current_version);
    let latest = status.latest_version;
    let versions = |state| {
        status
            .in_state(state)
            .map(|m| m.version.to_string())
            .collect::<Vec<_>>()
    };
    let mut problems = Vec::new();
    let drifted: Vec<String> = status
        .in_state(MigrationState::Drifted)
        .map(|m| match &m.file {
            Some(file) => format!("{} (`{file}`)", m.version),
            None => m.version.to_string(),
        })
        .collect();
    match drifted.as_slice() {
        [] => {}
        [one] => problems.push(format!(
            "drift: applied migration {one} was edited after it was applied"
        )),
        many => problems.push(format!(
            "drift: applied migrations {} were edited after they were applied",
            many.join(", ")
        )),
    }
    let unknown = versions(MigrationState::Unknown);
    if !unknown.is_empty() {
        problems.push(format!(
            "applied version {} unknown to this build (the database is ahead of the code)",
            unknown.join(", ")
        ));
    }
    if !status.holes.is_empty() {
        let holes: Vec<String> = status.holes.iter().map(i64::to_string).collect();
        problems.push(format!(
            "version {} not applied while later versions are",
            holes.join(", ")
        ));
    }
    let failed: Vec<String> = status
        .in_state(MigrationState::Incomplete)
        .filter(|m| m.error.is_some())
        .map(|m| m.version.to_string())
        .collect();
    if !failed.is_empty() {
        problems.push(format!(
            "migration {} stopped at a failed statement",
            failed.join(", ")
        ));
    }
    if !problems.is_empty() {
        return Health::error(version, latest, problems.join("; "));
    }
    let pending = status.counts.pending + status.counts.incomplete;
    if pending > 0 {
        return Health {
            status: "pending",
            version,
            latest,
            pending: Some(pending),
            reason: None,
        };
    }
    Health::ready(status.current_version, latest)
}

/// An error reading the database, in one line without SQL (the details go to the log). A
/// lock held by a migrator that started after the first look at the migrator lock is
/// `migrating`.
fn unreadable(error: &Error, migrations: &Migrations, path: &Path) -> Health {
    let latest = migrations.latest_version();
    if matches!(error, Error::Locked { .. }) && migrator_lock_is_held(path) {
        return migrating(migrations, path);
    }
    log::warn!("health: cannot read the database: {error}");
    let reason = match error {
        Error::Locked { .. } => "the database is locked by another connection".to_owned(),
        Error::NotADatabase { .. } => "the database file is not an SQLite database".to_owned(),
        Error::TrackingTable { table, .. } => {
            format!("the tracking table `{table}` does not have the expected layout")
        }
        _ => "the database cannot be read".to_owned(),
    };
    Health::error(None, latest, reason)
}

/// Reads the health of `conn` directly, for the tests of the verdicts.
#[cfg(test)]
fn of(migrations: &Migrations, conn: &rusqlite::Connection) -> Health {
    verdict(&migrations.status(conn).unwrap())
}

#[cfg(test)]
mod tests {
    use rusqlite::Connection;

    use super::*;

    #[test]
    fn verdicts() {
        let set = Migrations::from_files([
            ("0001_a.sql", "CREATE TABLE a (x);"),
            ("0002_b.sql", "CREATE TABLE b (x);"),
        ])
        .unwrap();
        let mut conn = Connection::open_in_memory().unwrap();
        let h = of(&set, &conn);
        assert_eq!(
            (h.status, h.pending, h.version),
            ("pending", Some(2), Some(0))
        );
        set.runner().target(1).run(&mut conn).unwrap();
        assert_eq!(of(&set, &conn).pending, Some(1));
        set.run(&mut conn).unwrap();
        let h = of(&set, &conn);
        assert_eq!(
            serde_json::to_string(&h).unwrap(),
            r#"{"status":"ready","version":2,"latest":2}"#
        );
        conn.execute(
            "UPDATE schema_migrations SET checksum = 'x' WHERE version = 1",
            [],
        )
        .unwrap();
        let h = of(&set, &conn);
        assert_eq!(h.status, "error");
        assert_eq!(
            h.reason.as_deref(),
            Some("drift: applied migration 1 (`0001_a.sql`) was edited after it was applied")
        );
        conn.execute("UPDATE schema_migrations SET checksum = 'x'", [])
            .unwrap();
        assert_eq!(
            of(&set, &conn).reason.as_deref(),
            Some(
                "drift: applied migrations 1 (`0001_a.sql`), 2 (`0002_b.sql`) were edited after they were applied"
            )
        );
        assert_eq!(h.code(), StatusCode::SERVICE_UNAVAILABLE);
    }
}
