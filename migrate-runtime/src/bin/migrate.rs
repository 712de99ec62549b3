//! `migrate`, the tool without an application: `import` another tool's migrations before
//! anything embeds a set, and the other subcommands over `--migrations DIR`.
//!
//! ```sh
//! cargo install migrate-runtime --features cli,bundled
//! migrate import --from sqlx old/migrations --to migrations
//! ```

fn main() -> std::process::ExitCode {
    migrate_runtime::cli::standalone_main()
}
