//! A small bookshop that carries its schema inside its own binary.
//!
//! `demo` applies pending migrations (one line each), places an order and prints the status
//! table. `demo migrate <subcommand>` is the full migration tool mounted under the
//! application's own command line; its subcommands also work at the top level
//! (`demo status`, `demo check`, `demo --json history`), as a tool built with `cli::main` has them.
//! `demo serve` serves the HTTP admin under `/admin/migrations`.

use std::future::Future as _;
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use migrate_runtime::http::{self, AdminConfig};
use migrate_runtime::{Migrations, cli, rusqlite::Connection};

// `verify`: the compiler applies the set to an in-memory database (SQL errors, down files that
// do not undo their migration, lints) and compares the final schema with `schema.sql`.
static MIGRATIONS: Migrations =
    migrate_runtime::embed_migrations!("../migrations", verify, schema = "schema.sql");

/// Where the shop keeps its data when neither `--db` nor `MIGRATE_DB` says otherwise.
const DEFAULT_DB: &str = "demo.db";

/// Where `demo serve` mounts the HTTP admin.
const ADMIN_PREFIX: &str = "/admin/migrations";

/// The environment variable that holds the admin token.
const TOKEN_VAR: &str = "MIGRATE_ADMIN_TOKEN";

#[derive(Parser)]
#[command(about = "A small bookshop that embeds its migrations")]
// The library's `--db` has no default: a migration tool must not guess the database. The shop
// has one, so it adds it here, where `--help` shows it.
#[command(mut_arg("db", |db| db.default_value(DEFAULT_DB)))]
struct Cli {
    /// `--db`, `--json`, `--quiet`, for the shop and every migration subcommand.
    #[command(flatten)]
    global: cli::GlobalArgs,

    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Manage the database schema: status, apply, check, rollback, ...
    Migrate {
        #[command(subcommand)]
        command: Option<cli::Command>,
    },
    /// Serve the HTTP admin (health, status, history, run, rollback, admin page) under
    /// /admin/migrations; the token is read from MIGRATE_ADMIN_TOKEN.
    Serve {
        /// The address to listen on; loopback unless you say otherwise.
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: SocketAddr,
    },
    /// The same subcommands without the `migrate` prefix.
    #[command(flatten)]
    Tool(cli::Command),
}

fn main() -> ExitCode {
    let Cli { global, command } = Cli::parse();
    match command {
        Some(Command::Migrate { command }) => {
            cli::run(&MIGRATIONS, cli::Args::from_parts(global, command))
        }
        Some(Command::Serve { addr }) => {
            let db = global.db.unwrap_or_else(|| DEFAULT_DB.into());
            serve(db, addr, global.quiet)
        }
        Some(Command::Tool(command)) => {
            cli::run(&MIGRATIONS, cli::Args::from_parts(global, Some(command)))
        }
        None => {
            let db = global.db.unwrap_or_else(|| DEFAULT_DB.into());
            match shop(&db) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}

/// What the application does at start-up: migrate, then use the data.
fn shop(db: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let mut conn = Connection::open(db)?;
    conn.pragma_update(None, "foreign_keys", true)?;
    MIGRATIONS.runner().on_event(cli::progress).run(&mut conn)?;

    conn.execute(
        "INSERT INTO orders (customer_id, book_id, quantity, total_cents)
         SELECT 2, id, 1, price_cents FROM books WHERE title = 'Invisible Cities'",
        [],
    )?;
    let (orders, cents): (i64, i64) =
        conn.query_row("SELECT count(*), sum(total_cents) FROM orders", [], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })?;
    println!(
        "placed an order: {orders} orders, {}.{:02} in total\n",
        cents / 100,
        cents % 100
    );
    cli::print_status(&MIGRATIONS, &conn)?;
    Ok(())
}

/// `demo serve`: the shop's HTTP server, with the migration admin mounted under
/// [`ADMIN_PREFIX`]. Runs until Ctrl-C.
fn serve(db: PathBuf, addr: SocketAddr, quiet: bool) -> ExitCode {
    if !quiet {
        log::set_logger(&StderrLog).ok();
        log::set_max_level(log::LevelFilter::Info);
    }
    let config = match AdminConfig::new(&db).token_from_env(TOKEN_VAR) {
        Ok(config) => config,
        // The error names the variable and what is wrong with its value.
        Err(e) => {
            eprintln!("error: {e}; refusing to start");
            return ExitCode::FAILURE;
        }
    };
    if !config.has_token() {
        let unset = if std::env::var_os(TOKEN_VAR).is_some() {
            "empty"
        } else {
            "not set"
        };
        eprintln!(
            "note: {TOKEN_VAR} is {unset}: the admin answers 403 on every route but /health; \
             set it to a secret of at least {} characters (`export {TOKEN_VAR}=$(openssl rand -hex 24)`) to enable it",
            http::MIN_TOKEN_LEN
        );
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        let listener = match tokio::net::TcpListener::bind(addr).await {
            Ok(listener) => listener,
            Err(e) => {
                eprintln!("error: cannot listen on {addr}: {e}");
                return ExitCode::FAILURE;
            }
        };
        let bound = listener.local_addr().unwrap_or(addr);
        // The page is at the mount point itself; `/` and the mount point with a slash lead
        // there.
        let to_admin =
            || axum::routing::get(|| async { axum::response::Redirect::to(ADMIN_PREFIX) });
        let app = axum::Router::new()
            .route("/", to_admin())
            .route(&format!("{ADMIN_PREFIX}/"), to_admin())
            .nest(ADMIN_PREFIX, http::router(&MIGRATIONS, config));
        println!(
            "serving {} on http://{bound}{ADMIN_PREFIX} (Ctrl-C stops)",
            db.display()
        );
        let _ = std::io::stdout().flush();
        // Ctrl-C or SIGTERM: stop accepting, let running requests (a run, a rollback) finish.
        let shutdown = async {
            let mut interrupt = std::pin::pin!(tokio::signal::ctrl_c());
            let mut terminate = std::pin::pin!(terminated());
            std::future::poll_fn(|cx| {
                if interrupt.as_mut().poll(cx).is_ready() || terminate.as_mut().poll(cx).is_ready()
                {
                    std::task::Poll::Ready(())
                } else {
                    std::task::Poll::Pending
                }
            })
            .await;
            eprintln!("stopping: waiting for running requests to finish");
        };
        // Small JSON answers: no waiting for Nagle's algorithm.
        let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
            let _ = tcp.set_nodelay(true);
        });
        match axum::serve(listener, app)
            .with_graceful_shutdown(shutdown)
            .await
        {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: the server stopped: {e}");
                ExitCode::FAILURE
            }
        }
    })
}

/// Resolves when the process receives SIGTERM (never where there is no such signal).
async fn terminated() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut terminate) = signal(SignalKind::terminate()) {
            terminate.recv().await;
            return;
        }
    }
    std::future::pending::<()>().await;
}

/// The server's log: the admin's request lines and what the library logs, on standard error.
struct StderrLog;

impl log::Log for StderrLog {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.level() <= log::Level::Info
    }

    fn log(&self, record: &log::Record<'_>) {
        if self.enabled(record.metadata()) {
            eprintln!("[{}] {}", record.level(), record.args());
        }
    }

    fn flush(&self) {}
}
