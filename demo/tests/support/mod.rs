//! What the HTTP admin's tests share: a real server on a loopback port, a real HTTP client,
//! and the migration sets they serve.

#![allow(dead_code)] // each test file uses its part

use std::path::{Path, PathBuf};
use std::time::Duration;

use migrate_runtime::Migrations;
use migrate_runtime::http::{AdminConfig, router};
use migrate_test_kit::digest::{Dump, DumpKind, dump};
use rusqlite::Connection;

/// The demo's own migrations, as `demo serve` embeds them.
pub static DEMO: Migrations = migrate_runtime::embed_migrations!("../migrations");

/// A token the tests configure.
pub const TOKEN: &str = "test-token-0123456789abcdef";

/// A set built from files, kept for the whole test process (the router wants `'static`).
pub fn leak(files: &[(&str, &str)]) -> &'static Migrations {
    let set = Migrations::from_files(files.iter().map(|(n, c)| (n.to_string(), c.to_string())))
        .expect("a valid set");
    Box::leak(Box::new(set))
}

/// The admin's router served on `127.0.0.1:0` by its own tokio runtime, stopped when dropped.
pub struct Server {
    pub base: String,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Server {
    /// The router mounted under `/admin/migrations` of an otherwise empty app, as the demo
    /// mounts it.
    pub fn start(migrations: &'static Migrations, config: AdminConfig) -> Server {
        Server::start_app(
            axum::Router::new().nest("/admin/migrations", router(migrations, config)),
            "/admin/migrations",
        )
    }

    pub fn start_app(app: axum::Router, prefix: &str) -> Server {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        runtime.spawn(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            axum::serve(
                axum::serve::ListenerExt::tap_io(listener, |tcp| {
                    let _ = tcp.set_nodelay(true);
                }),
                app,
            )
            .await
            .unwrap();
        });
        Server {
            base: format!("http://{addr}{prefix}"),
            runtime: Some(runtime),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// What a request got back.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: ureq::http::HeaderMap,
    pub body: String,
}

impl Answer {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// A real HTTP client (ureq) that reports every status as an answer, never as an error.
pub fn client() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into()
}

fn answer(response: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Answer {
    let mut response = response.expect("the request reaches the server");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response
        .body_mut()
        .with_config()
        .limit(64 * 1024 * 1024)
        .read_to_string()
        .unwrap();
    Answer {
        status,
        headers,
        body,
    }
}

/// `GET` with `token` as a bearer token, if any.
pub fn get(url: &str, token: Option<&str>) -> Answer {
    let mut request = client().get(url);
    if let Some(token) = token {
        request = request.header("Authorization", format!("Bearer {token}"));
    }
    answer(request.call())
}

/// `POST` without a body, with `token` as a bearer token, if any.
pub fn post(url: &str, token: Option<&str>) -> Answer {
    let mut request = client().post(url);
    if let Some(token) = token {
        request = request.header("Authorization", format!("Bearer {token}"));
    }
    answer(request.send_empty())
}

/// Any method with any headers and body.
pub fn request(method: &str, url: &str, headers: &[(&str, &str)], body: &[u8]) -> Answer {
    let mut builder = ureq::http::Request::builder().method(method).uri(url);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    let request = builder.body(body.to_vec()).unwrap();
    answer(client().run(request))
}

/// A request written by hand on a TCP connection (for what HTTP clients refuse to send or
/// normalise: raw paths, bodies the server stops reading); the status code of the answer.
pub fn raw(base: &str, request: &[u8]) -> u16 {
    use std::io::{Read, Write};
    let addr = base
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    // The server may answer and close before reading everything: a failed write is fine.
    let _ = stream.write_all(request);
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let text = String::from_utf8_lossy(&answer);
    text.strip_prefix("HTTP/1.1 ")
        .and_then(|rest| rest.get(..3))
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP answer: {text:?}"))
}

/// A database path in a new temporary directory (no file yet).
pub struct TempDb {
    pub dir: tempfile::TempDir,
    pub path: PathBuf,
}

impl TempDb {
    pub fn new() -> TempDb {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.db");
        TempDb { dir, path }
    }

    pub fn config(&self) -> AdminConfig {
        AdminConfig::new(&self.path)
            .token(TOKEN)
            .unwrap()
            .busy_timeout(Duration::from_millis(500))
    }

    pub fn open(&self) -> Connection {
        Connection::open(&self.path).unwrap()
    }

    /// Everything the database holds, byte for byte of every value, tracking tables
    /// included.
    pub fn dump(&self) -> Dump {
        dump(&self.open(), DumpKind::Exact).unwrap()
    }

    /// Applies `migrations` up to `target` directly, through the library.
    pub fn at(&self, migrations: &Migrations, target: i64) {
        migrations
            .runner()
            .target(target)
            .run(&mut self.open())
            .unwrap();
    }

    pub fn version(&self, migrations: &Migrations) -> i64 {
        migrations.current_version(&self.open()).unwrap()
    }

    /// The files in the directory other than the database and its lock, journal and WAL.
    pub fn other_files(&self) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| {
                let name = p.file_name().unwrap().to_string_lossy().into_owned();
                ![
                    "app.db",
                    "app.db.migrate-lock",
                    "app.db-wal",
                    "app.db-shm",
                    "app.db-journal",
                ]
                .contains(&name.as_str())
            })
            .collect();
        files.sort();
        files
    }
}

/// Asserts that two dumps are identical.
pub fn assert_same(what: &str, after: &Dump, before: &Dump) {
    if let Some(diff) = after.diff(before) {
        panic!("{what}: the database changed: {diff}");
    }
}

pub fn exists(path: &Path) -> bool {
    path.exists()
}
