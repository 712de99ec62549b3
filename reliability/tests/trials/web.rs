//! What the HTTP families share: the admin's router served on a loopback port, and requests
//! written by hand on a TCP connection (what HTTP clients refuse to send or normalise).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::time::Duration;

use migrate_runtime::Migrations;
use migrate_runtime::http::{AdminConfig, router};

use crate::common::s;

/// The token the families configure.
pub const TOKEN: &str = "reliability-admin-token-0123456789";

/// Where the router is mounted, as the demo mounts it.
pub const PREFIX: &str = "/admin/migrations";

/// The admin of `db` over `migrations`, served on `127.0.0.1:0` until dropped.
pub struct Server {
    pub addr: SocketAddr,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Server {
    pub fn start(
        migrations: &'static Migrations,
        db: &Path,
        busy: Duration,
    ) -> Result<Server, String> {
        let config = AdminConfig::new(db)
            .token(TOKEN)
            .map_err(s)?
            .busy_timeout(busy);
        let app = axum::Router::new().nest(PREFIX, router(migrations, config));
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(s)?;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(s)?;
        listener.set_nonblocking(true).map_err(s)?;
        let addr = listener.local_addr().map_err(s)?;
        runtime.spawn(async move {
            if let Ok(listener) = tokio::net::TcpListener::from_std(listener) {
                let _ = axum::serve(
                    axum::serve::ListenerExt::tap_io(listener, |tcp| {
                        let _ = tcp.set_nodelay(true);
                    }),
                    app,
                )
                .await;
            }
        });
        Ok(Server {
            addr,
            runtime: Some(runtime),
        })
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{PREFIX}{path}", self.addr)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// Leaks a set for the router, which wants `'static` (a few per run).
pub fn leak(set: Migrations) -> &'static Migrations {
    Box::leak(Box::new(set))
}

/// Sends `request` as it is and returns the status code and body of the answer.
pub fn raw(addr: SocketAddr, request: &[u8]) -> Result<(u16, String), String> {
    raw_answer(addr, request).map(|answer| (answer.status, answer.body))
}

/// An answer read off the wire.
pub struct Answer {
    pub status: u16,
    /// Everything the server sent: status line, headers and body.
    pub whole: String,
    pub body: String,
}

/// Sends `request` as it is and returns the whole answer.
pub fn raw_answer(addr: SocketAddr, request: &[u8]) -> Result<Answer, String> {
    let mut stream = TcpStream::connect(addr).map_err(s)?;
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .map_err(s)?;
    // The server may answer and close before reading everything: a failed write is fine.
    let _ = stream.write_all(request);
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text
        .strip_prefix("HTTP/1.1 ")
        .and_then(|rest| rest.get(..3))
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| {
            format!(
                "no HTTP answer: {:?}",
                text.chars().take(200).collect::<String>()
            )
        })?;
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default();
    Ok(Answer {
        status,
        whole: text,
        body,
    })
}

/// A request line and headers (the target taken as it is, not normalised), then `body`.
pub fn build(method: &str, target: &str, headers: &[(&str, String)], body: &[u8]) -> Vec<u8> {
    let mut out = format!("{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    if !body.is_empty()
        && !headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("transfer-encoding"))
    {
        out.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    out.push_str("\r\n");
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// A blocking HTTP client that reports every status as an answer.
pub fn client() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into()
}
