//! A small bookshop that carries its schema inside its own binary.
//!
//! `demo` applies pending migrations (one line each), places an order and prints the status
//! table. `demo migrate <subcommand>` is the full migration tool mounted under the
//! application's own command line; its subcommands also work at the top level
//! (`demo status`, `demo check`, `demo --json history`), as a tool built with `cli::main` has them.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use migrate_runtime::{Migrations, cli, rusqlite::Connection};

static MIGRATIONS: Migrations = migrate_runtime::embed_migrations!("../migrations");

#[derive(Parser)]
#[command(about = "A small bookshop that embeds its migrations")]
struct Cli {
    /// The database file.
    #[arg(
        long,
        global = true,
        env = "MIGRATE_DB",
        default_value = "demo.db",
        value_name = "PATH"
    )]
    db: PathBuf,

    /// Print JSON on standard output (for the migration subcommands).
    #[arg(long, global = true)]
    json: bool,

    /// Print nothing but errors (for the migration subcommands).
    #[arg(long, short, global = true)]
    quiet: bool,

    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Manage the database schema: status, apply, check, rollback, ...
    Migrate(cli::Args),
    /// The same subcommands without the `migrate` prefix.
    #[command(flatten)]
    Tool(cli::Command),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Migrate(mut args)) => {
            args.db.get_or_insert(cli.db);
            args.json |= cli.json;
            args.quiet |= cli.quiet;
            cli::run(&MIGRATIONS, args)
        }
        Some(Command::Tool(command)) => {
            let mut args = cli::Args::new(cli.db, command);
            args.json = cli.json;
            args.quiet = cli.quiet;
            cli::run(&MIGRATIONS, args)
        }
        None => match shop(&cli.db) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        },
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
