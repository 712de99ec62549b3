//! A complete migration tool in one line, over the doc-test migrations:
//!
//! ```sh
//! cargo run -p migrate-runtime --example migrate --features cli,bundled -- --db notes.db apply
//! ```

static MIGRATIONS: migrate_runtime::Migrations =
    migrate_runtime::embed_migrations!("tests/doc_migrations");

fn main() -> std::process::ExitCode {
    migrate_runtime::cli::main(&MIGRATIONS)
}
