//! Every answer that is not a success: `{"error": "<kind>", "message": "..."}` with its status
//! code, and for a failed migration the typed fields of the failure.

use axum::http::header::{CONTENT_TYPE, WWW_AUTHENTICATE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::Error;

/// A JSON answer with its status code.
pub(super) fn json(status: StatusCode, body: &impl Serialize) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => (
            status,
            [(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
            bytes,
        )
            .into_response(),
        Err(e) => {
            log::error!("cannot serialise a response: {e}");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// A failure as the client sees it.
#[derive(Debug)]
pub(super) struct Problem {
    status: StatusCode,
    body: Body,
}

#[derive(Debug, Serialize)]
struct Body {
    error: &'static str,
    message: String,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    failure: Option<Box<Failure>>,
}

/// What a failed migration (or down file) adds.
#[derive(Debug, Serialize)]
struct Failure {
    version: i64,
    file: String,
    /// 1-based, for a failed statement.
    statement_index: Option<usize>,
    /// 1-based line of that statement in the file.
    line: Option<u32>,
    /// SQLite's own message, for a failed statement.
    sqlite_message: Option<String>,
    /// Versions this call applied (or rolled back) before the failure.
    applied: Vec<i64>,
}

impl Problem {
    pub(super) fn new(status: StatusCode, error: &'static str, message: impl Into<String>) -> Self {
        Problem {
            status,
            body: Body {
                error,
                message: message.into(),
                failure: None,
            },
        }
    }

    pub(super) fn bad_request(message: impl Into<String>) -> Self {
        Problem::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    pub(super) fn unauthorized(message: &str) -> Self {
        Problem::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    /// No token is configured; `how` says how to enable the admin.
    pub(super) fn disabled(how: &str) -> Self {
        Problem::new(
            StatusCode::FORBIDDEN,
            "admin_disabled",
            format!("the migration admin is disabled: no admin token is configured; {how}"),
        )
    }

    pub(super) fn internal(message: impl Into<String>) -> Self {
        Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message)
    }

    #[cfg(test)]
    pub(super) fn status(&self) -> StatusCode {
        self.status
    }

    pub(super) fn into_response(self) -> Response {
        let mut response = json(self.status, &self.body);
        if self.status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        Problem::into_response(self)
    }
}

impl From<Error> for Problem {
    fn from(error: Error) -> Self {
        let mut message = error.to_string();
        if let Error::Drift(_) = &error {
            message.push_str(
                "; nothing was changed. If the edit was intended, accept it with the CLI's `repair` (or `Migrations::repair`) and try again; otherwise restore the file as it was applied",
            );
        }
        let (status, kind) = match &error {
            Error::Statement(_)
            | Error::ForeignKeys { .. }
            | Error::Code { .. }
            | Error::Record { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "migration_failed"),
            Error::Locked { .. } => (StatusCode::CONFLICT, "locked"),
            Error::Drift(_) => (StatusCode::CONFLICT, "drift"),
            Error::UnknownApplied(_) => (StatusCode::CONFLICT, "unknown_applied"),
            Error::Holes(_) => (StatusCode::CONFLICT, "holes"),
            Error::Incomplete(_) | Error::IncompleteEdited { .. } => {
                (StatusCode::CONFLICT, "incomplete")
            }
            Error::MissingDown(_) => (StatusCode::CONFLICT, "missing_down"),
            Error::NeedsOwnTransaction { .. } | Error::AlreadyTracked { .. } => {
                (StatusCode::CONFLICT, "conflict")
            }
            Error::InvalidVersion { .. } => (StatusCode::BAD_REQUEST, "invalid_version"),
            Error::NotADatabase { .. } => (StatusCode::INTERNAL_SERVER_ERROR, "not_a_database"),
            Error::ReadOnly { .. } => (StatusCode::INTERNAL_SERVER_ERROR, "read_only"),
            _ => (StatusCode::INTERNAL_SERVER_ERROR, "database_error"),
        };
        if status.is_server_error() {
            log::error!("{message}");
        } else {
            log::warn!("{message}");
        }
        let mut problem = Problem::new(status, kind, message);
        problem.body.failure = failure(&error).map(Box::new);
        problem
    }
}

fn failure(error: &Error) -> Option<Failure> {
    let applied = error.applied_before_failure().to_vec();
    match error {
        Error::Statement(f) => Some(Failure {
            version: f.migration.version,
            file: f.migration.file.clone(),
            statement_index: Some(f.statement_index),
            line: Some(f.line),
            sqlite_message: Some(f.message.clone()),
            applied,
        }),
        Error::ForeignKeys { migration, .. }
        | Error::Code { migration, .. }
        | Error::Record { migration, .. } => Some(Failure {
            version: migration.version,
            file: migration.file.clone(),
            statement_index: None,
            line: None,
            sqlite_message: None,
            applied,
        }),
        _ => None,
    }
}
