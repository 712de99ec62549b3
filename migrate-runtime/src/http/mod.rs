//! The HTTP admin (feature `http`): health, status, history, run, dry run and rollback of one
//! database over HTTP, and an admin page, as an [`axum::Router`] the application mounts under
//! any prefix of its own app.
//!
//! The router is an axum **0.8** `Router` (the application needs `axum = "0.8"` and tokio
//! with a runtime, e.g. `features = ["rt-multi-thread", "net", "macros"]`). It is generic over
//! the application's state, so it nests into a stateful app as it is (see [`router`]).
//!
//! ```no_run
//! use migrate_runtime::http::{AdminConfig, router};
//!
//! static MIGRATIONS: migrate_runtime::Migrations =
//!     migrate_runtime::embed_migrations!("tests/doc_migrations");
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // A token of at least 16 characters; without one every route but /health answers 403.
//! // A refused token's error names the variable (its `Debug` is its message, so `?` in a
//! // `main` returning `Box<dyn Error>` prints the sentence).
//! let config = AdminConfig::new("app.db").token_from_env("MIGRATE_ADMIN_TOKEN")?;
//! let app: axum::Router = axum::Router::new()
//!     // .route("/", ...) the application's own routes
//!     .nest("/admin/migrations", router(&MIGRATIONS, config));
//! // axum::serve(tokio::net::TcpListener::bind("127.0.0.1:8080").await?, app).await?;
//! # let _ = app;
//! # Ok(())
//! # }
//! ```
//!
//! The page is at the mount point itself (`/admin/migrations`); axum does not route
//! `/admin/migrations/` there: add a redirect if you want it
//! (`.route("/admin/migrations/", get(|| async { Redirect::permanent("/admin/migrations") }))`,
//! as [`router`] shows).
//!
//! The admin logs through the `log` crate: the application installs a logger (`env_logger`,
//! `simple_logger`, a `tracing` bridge...) to see its lines. Every request is logged at info
//! level, `GET /health` at debug level (load balancers poll it).
//!
//! # Routes
//! Relative to the mount point. Every answer but the page is JSON; the documents of status,
//! history, a run and a rollback are byte for byte the CLI's `--json` documents (described
//! below under [Documents](#documents)).
//!
//! | route | auth | answers |
//! |---|---|---|
//! | `GET /health` | none | `200 {"status":"ready","version":V,"latest":L}` when up to date; `503` with `"status"` `"pending"` (and `"pending"`: the count), `"migrating"` (another migrator holds the migrator lock) or `"error"` (drift, an unknown applied version, a hole, a failed no-transaction migration, an unreadable database, or a database locked by another connection, e.g. one holding an exclusive transaction; `"reason"`: one line, never SQL). Within one second, always. |
//! | `GET /status` | bearer | the `status` document; `409` (`"locked"`) when SQLite's lock cannot be had within the busy timeout |
//! | `GET /history` | bearer | the `history` document; `409` (`"locked"`) as `/status` |
//! | `POST /run[?dry_run=true][&target=N]` | bearer | `200` with the run document (a dry run: what would be applied, the database unchanged); `422` when a migration fails; `409` when another migrator or connection holds the lock past the busy timeout, or the history does not match this build (drift: the message says how to repair); `400` for a bad query |
//! | `POST /rollback/{version}` | bearer | rolls back `{version}` and every applied migration above it (the database ends at `{version} - 1`) after a backup beside the database (unless turned off); `200` with the rollback document; `400` for a version that is not a number from 1; `409` when it is not applied, a migration in range has no down file or has changed, or the lock cannot be had |
//! | `GET /` | none, but a configured token | the admin page: one HTML file, no external assets; it asks for the token, keeps it in the tab's `sessionStorage` and sends it as a header |
//!
//! `target=N` is the highest version to apply; a target at or below the current version
//! applies nothing (`200`, `"applied": []`): a run never rolls back.
//!
//! Errors are `{"error": "<kind>", "message": "<one sentence>"}`; a failed migration (`422`)
//! adds `version`, `file`, `statement_index`, `line` (`null` when the failure is not a
//! statement's), `sqlite_message` and `applied` (versions this call applied before it).
//!
//! # Documents
//! `database` is the database path as configured in [`AdminConfig::new`]; timestamps are UTC
//! RFC 3339 with milliseconds; checksums are `"sha256:<hex>"`; durations are whole
//! milliseconds.
//!
//! - **status**: `{"database", "current_version", "latest_version", "migrations": [{"version",
//!   "name", "file", "state", "applied_at", "duration_ms", "checksum", "applied_checksum",
//!   "has_down", "detail", "error"}], "holes": [versions], "counts": {"applied", "pending",
//!   "drifted", "incomplete", "unknown"}}`; `state` is `applied`, `pending`, `drifted`
//!   (edited after it was applied), `incomplete` or `unknown` (applied, not in this build);
//!   `has_down` says whether the migration has a down file.
//! - **history**: `{"database", "events": [{"at", "checksum", "detail", "duration_ms", "event",
//!   "id", "name", "version"}]}`, oldest first; `event` is `applied`, `failed`,
//!   `rolled_back`, `baselined` or `repaired`.
//! - **run** (`POST /run`): `{"applied": [{"duration_ms", "file", "name", "version"}],
//!   "backup": null, "current_version", "database", "dry_run", "not_verified": [{"file",
//!   "version"}]}`. `applied` lists the migrations applied, in order; in a dry run the ones
//!   that ran in a transaction that was then rolled back. `not_verified` is empty except in a
//!   dry run that reached a migration marked `-- migrate:no-transaction`: it cannot be tried
//!   and undone, so it and every pending migration after it are listed there instead.
//!   `current_version` is the database's version after the run, `null` for a dry run.
//!   `backup` is always `null` here (a run over HTTP writes no backup).
//! - **rollback** (`POST /rollback/{version}`): `{"backup", "current_version", "database",
//!   "rolled_back": [{"duration_ms", "file", "name", "version"}]}`. `rolled_back` lists the
//!   down files run, highest version first; `current_version` is `{version} - 1`; `backup` is
//!   the absolute path of the copy written first
//!   (`<database>.before-v<version before>-<UTC timestamp>`), absent when
//!   [`AdminConfig::backup_before_rollback`] is off.
//!
//! # Security
//! - Only `Authorization: Bearer <token>` authenticates; a token in the query string or in a
//!   cookie is ignored. The comparison is in constant time (SHA-256 digests compared with
//!   `subtle`). A missing or wrong token is `401` with `WWW-Authenticate: Bearer`.
//! - Without a token every route but `/health` is `403`, saying how to enable the admin; a
//!   token shorter than [`MIN_TOKEN_LEN`] characters is refused by [`AdminConfig::token`], so
//!   a server cannot start with it.
//! - Request bodies are capped ([`AdminConfig::body_limit`], `413` beyond); unknown routes are
//!   `404`, wrong methods `405`, both JSON.
//! - Every request is logged through `log` (method, the path the client asked for, status,
//!   time): never the query string or a header, so never a token.
//! - Responses carry `Cache-Control: no-store`, `X-Content-Type-Options: nosniff`,
//!   `Referrer-Policy: no-referrer` and `X-Frame-Options: DENY`; the page a
//!   `Content-Security-Policy` that allows no source but itself.
//!
//! SQLite work runs on tokio's blocking threads (`spawn_blocking`), one connection per request,
//! with the configured busy timeout; runs and rollbacks wait for another migrator at most as
//! long, then answer `409`. Runs serialise on the migrator lock as they do between processes,
//! so two concurrent runs apply each migration exactly once.

mod auth;
mod database;
mod health;
mod problem;
mod routes;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::middleware;
use axum::routing::{get, post};

use crate::Migrations;

/// The shortest admin token [`AdminConfig::token`] accepts.
pub const MIN_TOKEN_LEN: usize = 16;

/// What the admin needs: the database file, the admin token, and how it runs.
///
/// ```
/// use std::time::Duration;
/// use migrate_runtime::http::AdminConfig;
///
/// let config = AdminConfig::new("app.db")
///     .token("correct-horse-battery-staple")?
///     .busy_timeout(Duration::from_secs(2))
///     .backup_before_rollback(true);
/// assert!(config.has_token());
/// // Too short: refused, so a server cannot start with it.
/// assert!(AdminConfig::new("app.db").token("hunter2").is_err());
/// # Ok::<(), migrate_runtime::http::ConfigError>(())
/// ```
#[derive(Clone)]
pub struct AdminConfig {
    database: PathBuf,
    token: Option<auth::Token>,
    source: TokenSource,
    backup_before_rollback: bool,
    busy_timeout: Duration,
    body_limit: usize,
}

impl fmt::Debug for AdminConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AdminConfig")
            .field("database", &self.database)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("backup_before_rollback", &self.backup_before_rollback)
            .field("busy_timeout", &self.busy_timeout)
            .field("body_limit", &self.body_limit)
            .finish()
    }
}

/// Why [`AdminConfig::token`] or [`AdminConfig::token_from_env`] refused a token.
///
/// Its `Debug` is its message, so that `fn main() -> Result<(), Box<dyn Error>>` with `?`
/// prints a sentence (Rust prints a `main` error with `Debug`):
///
/// ```
/// let e = migrate_runtime::http::AdminConfig::new("app.db").token("hunter2").unwrap_err();
/// assert_eq!(format!("{e:?}"), e.to_string());
/// assert!(e.to_string().starts_with("the admin token has 7 characters; it needs at least 16"));
/// ```
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// The token has fewer than [`MIN_TOKEN_LEN`] characters.
    TokenTooShort {
        /// How many characters it has.
        length: usize,
    },
    /// The token holds a character that cannot travel in an HTTP header as it is (a space, a
    /// control character such as a newline, or non-ASCII).
    TokenNotPrintable {
        /// Where the first such character is, counted in characters from 1.
        position: usize,
        /// How many characters the token has.
        length: usize,
        /// What it is, in words: `"a newline"`, `"a space"`, `"a non-ASCII character"`...
        /// (never the character itself, which is part of a secret).
        kind: &'static str,
    },
    /// The environment variable `variable` holds a token that `error` refuses.
    Env {
        /// The environment variable [`AdminConfig::token_from_env`] read.
        variable: String,
        /// Why its token was refused.
        error: Box<ConfigError>,
    },
}

impl ConfigError {
    /// The message, with `subject` naming the token.
    fn describe(&self, subject: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::TokenTooShort { length: 0 } => write!(
                f,
                "{subject} is empty; it needs at least {MIN_TOKEN_LEN} characters (for example the output of `openssl rand -hex 24`)"
            ),
            ConfigError::TokenTooShort { length } => write!(
                f,
                "{subject} has {length} characters; it needs at least {MIN_TOKEN_LEN} (for example the output of `openssl rand -hex 24`)"
            ),
            ConfigError::TokenNotPrintable {
                position,
                length,
                kind,
            } => {
                if *position == *length {
                    write!(f, "{subject} ends with {kind}")?;
                    if matches!(*kind, "a newline" | "a carriage return") {
                        f.write_str(" (as `echo` and the last line of a file add; strip it)")?;
                    }
                } else if *position == 1 {
                    write!(f, "{subject} starts with {kind}")?;
                } else {
                    write!(
                        f,
                        "{subject} has {kind} at character {position} of {length}"
                    )?;
                }
                f.write_str(
                    "; it may hold only visible ASCII characters (no spaces, line breaks or control characters)",
                )
            }
            ConfigError::Env { variable, error } => {
                error.describe(&format!("the admin token in `{variable}`"), f)
            }
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.describe("the admin token", f)
    }
}

/// The message: see the type's documentation.
impl fmt::Debug for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for ConfigError {}

/// Where the token was to come from, for the 403 that says how to enable the admin.
#[derive(Debug, Clone, PartialEq, Eq)]
enum TokenSource {
    /// Not asked for: neither `token` nor `token_from_env` was called.
    None,
    /// [`AdminConfig::token`].
    Given,
    /// [`AdminConfig::token_from_env`] with this variable, and whether it was set (empty).
    Env { variable: String, set: bool },
}

impl AdminConfig {
    /// The admin of the database file `database`, without a token (every route but `/health`
    /// answers 403 until one is set), with a backup before each rollback, a busy timeout of
    /// 5 s and request bodies capped at 16 KiB.
    ///
    /// ```
    /// let config = migrate_runtime::http::AdminConfig::new("app.db");
    /// assert!(!config.has_token());
    /// ```
    pub fn new(database: impl Into<PathBuf>) -> Self {
        AdminConfig {
            database: database.into(),
            token: None,
            source: TokenSource::None,
            backup_before_rollback: true,
            busy_timeout: Duration::from_secs(5),
            body_limit: 16 * 1024,
        }
    }

    /// Sets the admin token that requests must present as `Authorization: Bearer <token>`.
    ///
    /// ```
    /// let config = migrate_runtime::http::AdminConfig::new("app.db")
    ///     .token("0123456789abcdef0123")?;
    /// # Ok::<(), migrate_runtime::http::ConfigError>(())
    /// ```
    ///
    /// # Errors
    /// [`ConfigError::TokenTooShort`] under [`MIN_TOKEN_LEN`] characters (an empty token
    /// too), [`ConfigError::TokenNotPrintable`] for spaces, line breaks, control characters
    /// and non-ASCII, naming where the first one is:
    ///
    /// ```
    /// let e = migrate_runtime::http::AdminConfig::new("app.db")
    ///     .token("0123456789abcdef0123\n")
    ///     .unwrap_err();
    /// assert!(e.to_string().starts_with("the admin token ends with a newline"));
    /// ```
    pub fn token(mut self, token: impl AsRef<str>) -> Result<Self, ConfigError> {
        self.token = Some(auth::Token::new(token.as_ref())?);
        self.source = TokenSource::Given;
        Ok(self)
    }

    /// Sets the token from the environment variable `var`; when it is unset or empty the
    /// admin stays disabled (403 on every route but `/health`, naming `var` and saying
    /// whether it is unset or empty).
    ///
    /// ```no_run
    /// let config = migrate_runtime::http::AdminConfig::new("app.db")
    ///     .token_from_env("MIGRATE_ADMIN_TOKEN")?;
    /// # Ok::<(), migrate_runtime::http::ConfigError>(())
    /// ```
    ///
    /// # Errors
    /// [`ConfigError::Env`], naming `var`, around what [`AdminConfig::token`] refuses (a
    /// value that is not UTF-8 is refused as non-ASCII):
    ///
    /// ```text
    /// the admin token in `MIGRATE_ADMIN_TOKEN` has 7 characters; it needs at least 16 (...)
    /// ```
    pub fn token_from_env(self, var: &str) -> Result<Self, ConfigError> {
        self.token_from_value(var, std::env::var_os(var))
    }

    /// [`AdminConfig::token_from_env`] with the value of `var` read.
    fn token_from_value(
        mut self,
        var: &str,
        value: Option<std::ffi::OsString>,
    ) -> Result<Self, ConfigError> {
        let wrap = |error| ConfigError::Env {
            variable: var.to_owned(),
            error: Box::new(error),
        };
        match value {
            Some(value) if !value.is_empty() => {
                // Not UTF-8: the replacement character is where the first bad byte was,
                // and it is refused as non-ASCII.
                let token = value.to_string_lossy();
                self = self.token(&*token).map_err(wrap)?;
                self.source = TokenSource::Env {
                    variable: var.to_owned(),
                    set: true,
                };
                Ok(self)
            }
            value => {
                self.token = None;
                self.source = TokenSource::Env {
                    variable: var.to_owned(),
                    set: value.is_some(),
                };
                Ok(self)
            }
        }
    }

    /// Whether `POST /rollback/{version}` writes a backup beside the database first
    /// (`<db>.before-v<current>-<UTC timestamp>`, named in the response). Default `true`.
    ///
    /// ```
    /// let config = migrate_runtime::http::AdminConfig::new("app.db").backup_before_rollback(false);
    /// assert!(!config.backs_up_before_rollback());
    /// ```
    pub fn backup_before_rollback(mut self, backup: bool) -> Self {
        self.backup_before_rollback = backup;
        self
    }

    /// How long a request waits for SQLite's lock, and a run or rollback for another
    /// migrator, before answering 409. Default 5 s.
    ///
    /// ```
    /// use std::time::Duration;
    /// let config = migrate_runtime::http::AdminConfig::new("app.db")
    ///     .busy_timeout(Duration::from_millis(500));
    /// assert_eq!(config.busy_timeout_duration(), Duration::from_millis(500));
    /// ```
    pub fn busy_timeout(mut self, timeout: Duration) -> Self {
        self.busy_timeout = timeout;
        self
    }

    /// The largest request body accepted, in bytes (413 beyond). Default 16 KiB; no route
    /// reads a body.
    ///
    /// ```
    /// let config = migrate_runtime::http::AdminConfig::new("app.db").body_limit(1024);
    /// # let _ = config;
    /// ```
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// The database file.
    ///
    /// ```
    /// let config = migrate_runtime::http::AdminConfig::new("app.db");
    /// assert_eq!(config.database(), std::path::Path::new("app.db"));
    /// ```
    pub fn database(&self) -> &Path {
        &self.database
    }

    /// True when a token is set, that is when the admin is enabled.
    ///
    /// ```
    /// let config = migrate_runtime::http::AdminConfig::new("app.db");
    /// assert!(!config.has_token());
    /// ```
    pub fn has_token(&self) -> bool {
        self.token.is_some()
    }

    /// Whether a rollback backs the database up first.
    ///
    /// ```
    /// let config = migrate_runtime::http::AdminConfig::new("app.db");
    /// assert!(config.backs_up_before_rollback());
    /// ```
    pub fn backs_up_before_rollback(&self) -> bool {
        self.backup_before_rollback
    }

    /// The busy timeout.
    ///
    /// ```
    /// let config = migrate_runtime::http::AdminConfig::new("app.db");
    /// assert_eq!(config.busy_timeout_duration().as_secs(), 5);
    /// ```
    pub fn busy_timeout_duration(&self) -> Duration {
        self.busy_timeout
    }
}

impl AdminConfig {
    /// How to enable a disabled admin, for its 403 and its warning.
    fn how_to_enable(&self) -> String {
        match &self.source {
            TokenSource::Env { variable, set } => format!(
                "`{variable}` is {}: set it to a secret of at least {MIN_TOKEN_LEN} characters and restart",
                if *set { "empty" } else { "not set" }
            ),
            _ => format!(
                "configure one of at least {MIN_TOKEN_LEN} characters with `AdminConfig::token` or `AdminConfig::token_from_env` and restart"
            ),
        }
    }
}

/// What every handler shares.
struct Admin {
    migrations: &'static Migrations,
    config: AdminConfig,
    /// The database path as the `database` field of the JSON documents shows it.
    shown: String,
}

type Shared = Arc<Admin>;

/// The admin's routes over `migrations` and the database of `config`, to mount under any
/// prefix with [`Router::nest`] (or to serve as it is).
///
/// The router has no state of its own left to provide: it is a `Router<S>` for whatever
/// state `S` the application's router has, so it nests into a stateful app as it is:
///
/// ```
/// use axum::extract::State;
/// use axum::response::Redirect;
/// use axum::routing::get;
/// use migrate_runtime::http::{AdminConfig, router};
///
/// static MIGRATIONS: migrate_runtime::Migrations =
///     migrate_runtime::embed_migrations!("tests/doc_migrations");
///
/// #[derive(Clone)]
/// struct AppState {
///     greeting: &'static str,
/// }
///
/// async fn hello(State(state): State<AppState>) -> &'static str {
///     state.greeting
/// }
///
/// let config = AdminConfig::new("app.db").token("0123456789abcdef0123")?;
/// let app: axum::Router = axum::Router::new()
///     .route("/", get(hello))
///     .nest("/ops/db", router(&MIGRATIONS, config))
///     // The page is at `/ops/db` itself: axum does not route `/ops/db/` there.
///     .route("/ops/db/", get(|| async { Redirect::permanent("/ops/db") }))
///     .with_state(AppState { greeting: "hello" });
/// # let _ = app;
/// # Ok::<(), migrate_runtime::http::ConfigError>(())
/// ```
///
/// The handlers need a tokio runtime (they use `spawn_blocking` and timers), which
/// `axum::serve` provides.
pub fn router<S>(migrations: &'static Migrations, config: AdminConfig) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    if config.token.is_none() {
        log::warn!(
            "the migration admin of `{}` is disabled (no admin token): every route but /health answers 403; {}",
            config.database.display(),
            config.how_to_enable()
        );
    }
    let body_limit = config.body_limit;
    let shared: Shared = Arc::new(Admin {
        migrations,
        shown: config.database.display().to_string(),
        config,
    });
    // The page is served to anyone once the admin is enabled: it holds no data and asks for
    // the token. The data routes need the token.
    let page =
        Router::new()
            .route("/", get(routes::page))
            .route_layer(middleware::from_fn_with_state(
                shared.clone(),
                auth::require_enabled,
            ));
    let data = Router::new()
        .route("/status", get(routes::status))
        .route("/history", get(routes::history))
        .route("/run", post(routes::run))
        .route("/rollback/{version}", post(routes::rollback))
        .route_layer(middleware::from_fn_with_state(
            shared.clone(),
            auth::require_token,
        ));
    Router::new()
        .route("/health", get(health::health))
        .merge(page)
        .merge(data)
        .fallback(routes::not_found)
        .method_not_allowed_fallback(routes::method_not_allowed)
        .layer(middleware::from_fn(move |request, next| {
            routes::cap_body(body_limit, request, next)
        }))
        .layer(middleware::from_fn(routes::log_and_harden))
        .with_state(shared)
}

#[cfg(test)]
mod tests {
    use std::ffi::OsString;

    use super::*;

    #[test]
    fn tokens_from_the_environment_name_the_variable() {
        let from = |value: Option<&str>| {
            AdminConfig::new("app.db").token_from_value("ADMIN_TOKEN", value.map(OsString::from))
        };
        let unset = from(None).unwrap();
        assert!(!unset.has_token());
        assert_eq!(
            unset.how_to_enable(),
            "`ADMIN_TOKEN` is not set: set it to a secret of at least 16 characters and restart"
        );
        let empty = from(Some("")).unwrap();
        assert!(!empty.has_token());
        assert_eq!(
            empty.how_to_enable(),
            "`ADMIN_TOKEN` is empty: set it to a secret of at least 16 characters and restart"
        );
        assert!(from(Some("0123456789abcdef")).unwrap().has_token());

        let short = from(Some("hunter2")).unwrap_err();
        assert_eq!(
            short,
            ConfigError::Env {
                variable: "ADMIN_TOKEN".to_owned(),
                error: Box::new(ConfigError::TokenTooShort { length: 7 })
            }
        );
        let message = "the admin token in `ADMIN_TOKEN` has 7 characters; it needs at least 16 (for example the output of `openssl rand -hex 24`)";
        assert_eq!(short.to_string(), message);
        // Debug is the message: what `?` in `main` prints.
        assert_eq!(format!("{short:?}"), message);
        let boxed: Box<dyn std::error::Error> = short.into();
        assert_eq!(format!("{boxed:?}"), message);

        assert!(
            from(Some("0123456789abcdef\n"))
                .unwrap_err()
                .to_string()
                .starts_with("the admin token in `ADMIN_TOKEN` ends with a newline (as `echo` and the last line of a file add; strip it); it may hold only visible ASCII characters")
        );
        assert!(
            from(Some("0123456789 abcdef"))
                .unwrap_err()
                .to_string()
                .starts_with("the admin token in `ADMIN_TOKEN` has a space at character 11 of 17;")
        );
        #[cfg(unix)]
        {
            use std::os::unix::ffi::OsStringExt;
            let bytes = b"0123456789abcdef\xff".to_vec();
            let config = AdminConfig::new("app.db")
                .token_from_value("ADMIN_TOKEN", Some(OsString::from_vec(bytes)));
            assert!(
                config.unwrap_err().to_string().starts_with(
                    "the admin token in `ADMIN_TOKEN` ends with a non-ASCII character;"
                )
            );
        }
        // Without a variable, the 403 names the API.
        assert!(
            AdminConfig::new("app.db")
                .how_to_enable()
                .contains("`AdminConfig::token`")
        );
    }
}
