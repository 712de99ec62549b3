//! The admin token: its rules, the `Authorization: Bearer` header, and the two gates (the
//! admin is enabled; the request carries the token).
//!
//! Invariant: the token itself is never stored, logged or compared byte by byte: only its
//! SHA-256 digest is kept, and a presented token's digest is compared in constant time, so
//! neither the content nor the length of the token leaks through timing.

use axum::extract::{Request, State};
use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use axum::response::Response;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::problem::Problem;
use super::{ConfigError, MIN_TOKEN_LEN, Shared};

/// The longest `Authorization` value looked at; anything longer is a wrong token.
const MAX_PRESENTED: usize = 4096;

/// The digest of the configured token.
#[derive(Clone)]
pub(super) struct Token([u8; 32]);

impl Token {
    pub(super) fn new(token: &str) -> Result<Token, ConfigError> {
        if let Some((index, c)) = token
            .chars()
            .enumerate()
            .find(|(_, c)| !c.is_ascii_graphic())
        {
            return Err(ConfigError::TokenNotPrintable {
                position: index + 1,
                length: token.chars().count(),
                kind: kind(c),
            });
        }
        if token.len() < MIN_TOKEN_LEN {
            return Err(ConfigError::TokenTooShort {
                length: token.len(),
            });
        }
        Ok(Token(digest(token.as_bytes())))
    }

    /// Whether `presented` is the token, in time independent of both.
    fn matches(&self, presented: &[u8]) -> bool {
        bool::from(digest(presented).ct_eq(&self.0))
    }
}

/// A character a token may not hold, in words (never the character: it is part of a secret).
fn kind(c: char) -> &'static str {
    match c {
        '\n' => "a newline",
        '\r' => "a carriage return",
        '\t' => "a tab",
        ' ' => "a space",
        c if c.is_ascii_control() => "a control character",
        c if c.is_whitespace() => "a non-ASCII space",
        _ => "a non-ASCII character",
    }
}

fn digest(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// The token of the one `Authorization: Bearer <token>` header, if the request has exactly
/// one such header. The scheme is case-insensitive (RFC 7235).
fn bearer(headers: &HeaderMap) -> Option<&[u8]> {
    let mut values = headers.get_all(AUTHORIZATION).iter();
    let value = values.next()?;
    if values.next().is_some() || value.len() > MAX_PRESENTED {
        return None;
    }
    let value = value.as_bytes();
    let (scheme, rest) = value.split_at_checked(7)?;
    if !scheme.eq_ignore_ascii_case(b"bearer ") {
        return None;
    }
    let token = rest.trim_ascii();
    (!token.is_empty()).then_some(token)
}

/// 403 unless a token is configured.
pub(super) async fn require_enabled(
    State(admin): State<Shared>,
    request: Request,
    next: Next,
) -> Response {
    if admin.config.token.is_none() {
        return Problem::disabled(&admin.config.how_to_enable()).into_response();
    }
    next.run(request).await
}

/// 403 unless a token is configured, 401 unless the request presents it.
pub(super) async fn require_token(
    State(admin): State<Shared>,
    request: Request,
    next: Next,
) -> Response {
    let Some(token) = &admin.config.token else {
        return Problem::disabled(&admin.config.how_to_enable()).into_response();
    };
    match bearer(request.headers()) {
        Some(presented) if token.matches(presented) => next.run(request).await,
        Some(_) => Problem::unauthorized("wrong admin token").into_response(),
        None => {
            Problem::unauthorized("missing admin token: send it as `Authorization: Bearer <token>`")
                .into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for v in values {
            headers.append(AUTHORIZATION, HeaderValue::from_str(v).unwrap());
        }
        headers
    }

    #[test]
    fn only_one_bearer_header_counts() {
        assert_eq!(bearer(&headers(&["Bearer abc"])), Some(&b"abc"[..]));
        assert_eq!(bearer(&headers(&["bearer  abc "])), Some(&b"abc"[..]));
        assert_eq!(bearer(&headers(&["Basic abc"])), None);
        assert_eq!(bearer(&headers(&["Bearer"])), None);
        assert_eq!(bearer(&headers(&["Bearer "])), None);
        assert_eq!(bearer(&headers(&["Bearer a", "Bearer a"])), None);
        assert_eq!(bearer(&headers(&[])), None);
        let long = format!("Bearer {}", "a".repeat(MAX_PRESENTED));
        assert_eq!(bearer(&headers(&[&long])), None);
    }

    #[test]
    fn tokens_are_checked_and_compared_by_digest() {
        assert_eq!(
            Token::new("short").err(),
            Some(ConfigError::TokenTooShort { length: 5 })
        );
        let refused = |token| Token::new(token).err().map(|e| e.to_string());
        assert_eq!(
            Token::new("sixteen chars!!!").err(),
            Some(ConfigError::TokenNotPrintable {
                position: 8,
                length: 16,
                kind: "a space"
            })
        );
        assert_eq!(
            refused("sixteen chars!!!").unwrap(),
            "the admin token has a space at character 8 of 16; it may hold only visible ASCII characters (no spaces, line breaks or control characters)"
        );
        assert!(
            refused("sixteen-chars-é!")
                .unwrap()
                .starts_with("the admin token has a non-ASCII character at character 15 of 16;")
        );
        assert_eq!(
            refused("0123456789abcdef\n").unwrap(),
            "the admin token ends with a newline (as `echo` and the last line of a file add; strip it); it may hold only visible ASCII characters (no spaces, line breaks or control characters)"
        );
        assert!(
            refused("\t0123456789abcdef")
                .unwrap()
                .starts_with("the admin token starts with a tab;")
        );
        assert!(
            refused("")
                .unwrap()
                .starts_with("the admin token is empty;")
        );
        let token = Token::new("0123456789abcdef").unwrap();
        assert!(token.matches(b"0123456789abcdef"));
        assert!(!token.matches(b"0123456789abcdeF"));
        assert!(!token.matches(b"0123456789abcdef0"));
        assert!(!token.matches(b""));
    }
}
