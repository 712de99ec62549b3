//! A small bookshop that carries its schema inside its own binary.
//!
//! `demo` applies pending migrations (one line each), places an order and prints the status
//! table. `demo migrate <subcommand>` is the full migration tool mounted under the
//! application's own command line; its subcommands also work at the top level
//! (`demo status`, `demo check`, `demo --json history`), as a tool built with `cli::main` has them.

use std::path::Path;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use migrate_runtime::{Migrations, cli, rusqlite::Connection};

// `verify`: the compiler applies the set to an in-memory database (SQL errors, down files that
// do not undo their migration, lints) and compares the final schema with `schema.sql`.
static MIGRATIONS: Migrations =
    migrate_runtime::embed_migrations!("../migrations", verify, schema = "schema.sql");

/// Where the shop keeps its data when neither `--db` nor `MIGRATE_DB` says otherwise.
const DEFAULT_DB: &str = "demo.db";

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
