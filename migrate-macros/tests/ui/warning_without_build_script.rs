// This crate has no build.rs with `cargo:rerun-if-changed`, so a valid set compiles with a
// warning that says what to add; denying it shows its text.
#![deny(deprecated)]

static MIGRATIONS: migrate_runtime::Migrations =
    migrate_runtime::embed_migrations!("tests/ui/warning_without_build_script");

fn main() {
    println!("{}", MIGRATIONS.len());
}
