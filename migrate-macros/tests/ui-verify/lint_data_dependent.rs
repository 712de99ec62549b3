// A unique index on an existing table is a `data-dependent` warning: real rows may have duplicates.
#![deny(deprecated)]

static MIGRATIONS: migrate_runtime::Migrations =
    migrate_runtime::embed_migrations!("../ui-verify/lint_data_dependent", verify);

fn main() {
    println!("{}", MIGRATIONS.len());
}
