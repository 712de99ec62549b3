//! The handlers behind the token (status, history, run, rollback), the page, the fallbacks,
//! and the layers every request passes (body cap, log, security headers).
//!
//! Each handler parses its request on the async thread, then does its SQLite work on a
//! blocking thread with its own connection, and answers with the CLI's JSON document.

use std::time::Instant;

use axum::body::Body;
use axum::extract::rejection::PathRejection;
use axum::extract::{OriginalUri, Path, RawQuery, Request, State};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_LENGTH, CONTENT_SECURITY_POLICY, CONTENT_TYPE, REFERRER_POLICY,
    X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::database::{open_read, open_write};
use super::problem::{Problem, json};
use super::{Admin, Shared};
use crate::{BackupTarget, MigrationState, RollbackOptions, json as documents};

/// The admin page: one file, inline CSS and script, no external assets.
const PAGE: &str = include_str!("page.html");

/// What the page may load and talk to: itself only.
const PAGE_POLICY: &str = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// Runs `work` on a blocking thread.
async fn blocking(work: impl FnOnce() -> Result<Response, Problem> + Send + 'static) -> Response {
    match tokio::task::spawn_blocking(work).await {
        Ok(Ok(response)) => response,
        Ok(Err(problem)) => problem.into_response(),
        Err(e) => {
            log::error!("a request's database work failed: {e}");
            Problem::internal("the request's database work failed").into_response()
        }
    }
}

pub(super) async fn page() -> Response {
    (
        [
            (
                CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            (
                CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(PAGE_POLICY),
            ),
        ],
        PAGE,
    )
        .into_response()
}

pub(super) async fn status(State(admin): State<Shared>) -> Response {
    blocking(move || {
        let config = &admin.config;
        let conn = open_read(config.database(), config.busy_timeout)?;
        let status = admin.migrations.status(&conn)?;
        Ok(json(
            StatusCode::OK,
            &documents::Status::new(&admin.shown, &status),
        ))
    })
    .await
}

pub(super) async fn history(State(admin): State<Shared>) -> Response {
    blocking(move || {
        let config = &admin.config;
        let conn = open_read(config.database(), config.busy_timeout)?;
        let events = admin.migrations.history(&conn)?;
        Ok(json(
            StatusCode::OK,
            &documents::History::new(&admin.shown, &events),
        ))
    })
    .await
}

/// The query of `POST /run`.
#[derive(Debug, Default, PartialEq, Eq)]
struct RunOptions {
    dry_run: bool,
    target: Option<i64>,
}

impl RunOptions {
    fn parse(query: Option<&str>) -> Result<RunOptions, Problem> {
        let mut options = RunOptions::default();
        let (mut seen_dry_run, mut seen_target) = (false, false);
        for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let (key, value) = match (decode(key), decode(value)) {
                (Some(key), Some(value)) => (key, value),
                _ => return Err(Problem::bad_request("malformed query string")),
            };
            match key.as_str() {
                "dry_run" if !seen_dry_run => {
                    seen_dry_run = true;
                    options.dry_run = match value.to_ascii_lowercase().as_str() {
                        "true" | "1" | "yes" | "" => true,
                        "false" | "0" | "no" => false,
                        _ => {
                            return Err(Problem::bad_request(format!(
                                "dry_run must be true or false, not `{}`",
                                shorten(&value)
                            )));
                        }
                    };
                }
                "target" if !seen_target => {
                    seen_target = true;
                    options.target = Some(parse_number(&value, "target")?);
                }
                "dry_run" | "target" => {
                    return Err(Problem::bad_request(format!("`{key}` is given twice")));
                }
                _ => {
                    return Err(Problem::bad_request(format!(
                        "unknown query parameter `{}`: /run takes dry_run=true and target=N",
                        shorten(&key)
                    )));
                }
            }
        }
        Ok(options)
    }
}

pub(super) async fn run(State(admin): State<Shared>, RawQuery(query): RawQuery) -> Response {
    let options = match RunOptions::parse(query.as_deref()) {
        Ok(options) => options,
        Err(problem) => return problem.into_response(),
    };
    blocking(move || run_blocking(&admin, &options)).await
}

fn run_blocking(admin: &Admin, options: &RunOptions) -> Result<Response, Problem> {
    let config = &admin.config;
    let path = config.database();
    // A dry run never creates the file: on a missing one, an empty database is the same.
    let conn = if options.dry_run && !path.exists() {
        Some(open_read(path, config.busy_timeout)?)
    } else {
        open_write(path, config.busy_timeout, true)?
    };
    let Some(mut conn) = conn else {
        return Err(Problem::internal("the database could not be opened"));
    };
    let mut runner = admin
        .migrations
        .runner()
        .dry_run(options.dry_run)
        .lock_timeout(config.busy_timeout);
    if let Some(target) = options.target {
        runner = runner.target(target);
    }
    let report = runner.run(&mut conn)?;
    let version = if options.dry_run {
        None
    } else {
        Some(admin.migrations.current_version(&conn)?)
    };
    Ok(json(
        StatusCode::OK,
        &documents::Run::new(&admin.shown, &report, version),
    ))
}

pub(super) async fn rollback(
    State(admin): State<Shared>,
    version: Result<Path<String>, PathRejection>,
) -> Response {
    let version = match version {
        Ok(Path(text)) => parse_number(&text, "version"),
        Err(rejection) => Err(Problem::bad_request(rejection.body_text())),
    };
    let version = match version {
        Ok(0) => Err(Problem::bad_request(
            "migration versions start at 1 (POST /rollback/1 rolls back every migration)",
        )),
        other => other,
    };
    match version {
        Ok(version) => blocking(move || rollback_blocking(&admin, version)).await,
        Err(problem) => problem.into_response(),
    }
}

fn rollback_blocking(admin: &Admin, version: i64) -> Result<Response, Problem> {
    let config = &admin.config;
    let not_applied = |current: Option<i64>| {
        Problem::new(
            StatusCode::CONFLICT,
            "not_applied",
            match current {
                Some(current) => format!(
                    "migration {version} is not applied (the database is at version {current}); nothing was changed"
                ),
                None => format!(
                    "migration {version} is not applied: the database file does not exist; nothing was changed"
                ),
            },
        )
    };
    let Some(mut conn) = open_write(config.database(), config.busy_timeout, false)? else {
        return Err(not_applied(None));
    };
    let status = admin.migrations.status(&conn)?;
    let applied = status.migrations.iter().any(|m| {
        m.version == version
            && matches!(
                m.state,
                MigrationState::Applied | MigrationState::Drifted | MigrationState::Unknown
            )
    });
    if !applied {
        return Err(not_applied(Some(status.current_version)));
    }
    let mut options = RollbackOptions::new().lock_timeout(config.busy_timeout);
    if config.backup_before_rollback {
        options = options.backup(BackupTarget::Beside);
    }
    let report = admin
        .migrations
        .rollback_to_with(&mut conn, version - 1, &options)?;
    if report.rolled_back.is_empty() {
        // Another rollback got there first, while this one waited for the lock.
        return Err(not_applied(Some(report.current_version)));
    }
    Ok(json(
        StatusCode::OK,
        &documents::Rollback::new(&admin.shown, &report),
    ))
}

/// A version or target: ASCII digits only (no sign, no spaces), within `i64`.
fn parse_number(text: &str, what: &str) -> Result<i64, Problem> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Problem::bad_request(format!(
            "{what} `{}` is not a number: migration versions are whole numbers from 1",
            shorten(text)
        )));
    }
    text.parse().map_err(|_| {
        Problem::bad_request(format!(
            "{what} `{}` is too large: migration versions go up to {}",
            shorten(text),
            i64::MAX
        ))
    })
}

/// Percent-decoding of a query component (`+` is a space); `None` when malformed.
fn decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'%' => {
                let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// Echoed user input, cut to a length that fits a message.
fn shorten(text: &str) -> String {
    const MAX: usize = 40;
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text.to_owned(),
    }
}

/// The path the client asked for (the application's prefix included), as the log and the 404
/// show it.
fn asked_for(request: &Request) -> String {
    let uri = match request.extensions().get::<OriginalUri>() {
        Some(OriginalUri(uri)) => uri,
        None => request.uri(),
    };
    shorten(uri.path())
}

pub(super) async fn not_found(OriginalUri(uri): OriginalUri) -> Response {
    Problem::new(
        StatusCode::NOT_FOUND,
        "not_found",
        format!(
            "no such route: {}; the admin has GET /health, GET /status, GET /history, POST /run, POST /rollback/{{version}} and GET /",
            shorten(uri.path())
        ),
    )
    .into_response()
}

pub(super) async fn method_not_allowed() -> Response {
    Problem::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "wrong method for this route: /run and /rollback/{version} are POST, the others GET",
    )
    .into_response()
}

/// Refuses bodies larger than `limit` bytes (413): by their `Content-Length` before reading
/// anything, and by reading at most `limit` bytes of the others.
pub(super) async fn cap_body(limit: usize, request: Request, next: Next) -> Response {
    let too_large = || {
        Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("request bodies are limited to {limit} bytes"),
        )
        .into_response()
    };
    let declared = request
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return too_large();
    }
    let (parts, body) = request.into_parts();
    match axum::body::to_bytes(body, limit).await {
        Ok(bytes) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        Err(_) => too_large(),
    }
}

/// Logs every request (method, path as the client asked for it, status, time; never the
/// query or a header, so never the token) and adds the security headers every answer carries.
/// `GET /health` is logged at debug level (load balancers poll it), the others at info.
pub(super) async fn log_and_harden(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = asked_for(&request);
    let level = if method == Method::GET && request.uri().path() == "/health" {
        log::Level::Debug
    } else {
        log::Level::Info
    };
    let started = Instant::now();
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    log::log!(
        level,
        "{method} {path} -> {} in {:.1?}",
        response.status().as_u16(),
        started.elapsed()
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_options() {
        let parse = |q| RunOptions::parse(Some(q)).map_err(|p| p.status());
        assert_eq!(parse(""), Ok(RunOptions::default()));
        assert_eq!(
            parse("dry_run=true&target=3"),
            Ok(RunOptions {
                dry_run: true,
                target: Some(3)
            })
        );
        assert_eq!(
            parse("dry_run=%74rue").map(|o| o.dry_run),
            Ok(true),
            "percent-encoded"
        );
        assert_eq!(parse("dry_run=false").map(|o| o.dry_run), Ok(false));
        assert_eq!(parse("dry_run=True").map(|o| o.dry_run), Ok(true));
        assert_eq!(parse("dry_run").map(|o| o.dry_run), Ok(true));
        for bad in [
            "dry_run=maybe",
            "target=-1",
            "target=x",
            "target=99999999999999999999",
            "target=1&target=2",
            "token=abc",
            "dry_run=%zz",
            "dry_run=%ff",
        ] {
            assert_eq!(parse(bad), Err(StatusCode::BAD_REQUEST), "{bad}");
        }
    }

    #[test]
    fn versions() {
        assert_eq!(parse_number("007", "version").ok(), Some(7));
        for bad in ["", "-1", "+1", " 1", "1.0", "abc", "9223372036854775808"] {
            assert!(parse_number(bad, "version").is_err(), "{bad}");
        }
        assert_eq!(shorten(&"é".repeat(50)).chars().count(), 43);
    }
}
