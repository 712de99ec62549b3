// Renaming a column is a `backward-incompatible` warning.
#![deny(deprecated)]

static MIGRATIONS: migrate_runtime::Migrations =
    migrate_runtime::embed_migrations!("../ui-verify/lint_backward_incompatible", verify);

fn main() {
    println!("{}", MIGRATIONS.len());
}
