//! Every answer that is not a success: `{"error": "<kind>", "message": "..."}` with its status
//! code, and for a failed migration the typed fields of the failure.

use axum::http::header::{CONTENT_TYPE, WWW_AUTHENTICATE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::Error;
use crate::json::ErrorDocument;

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
    body: ErrorDocument,
}

impl Problem {
    pub(super) fn new(status: StatusCode, error: &'static str, message: impl Into<String>) -> Self {
        Problem {
            status,
            body: ErrorDocument::new(error, message),
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
        let mut body = ErrorDocument::of(&error);
        if let Error::Drift(_) = &error {
            body.message.push_str("; nothing was changed");
        }
        let status = match body.error {
            "migration_failed" => StatusCode::UNPROCESSABLE_ENTITY,
            "locked" | "drift" | "unknown_applied" | "holes" | "incomplete" | "missing_down"
            | "conflict" => StatusCode::CONFLICT,
            "invalid_version" => StatusCode::BAD_REQUEST,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        if status.is_server_error() {
            log::error!("{}", body.message);
        } else {
            log::warn!("{}", body.message);
        }
        Problem { status, body }
    }
}
