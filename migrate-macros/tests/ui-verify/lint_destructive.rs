// Dropping a column is a `destructive` warning (an error here, by `deny(deprecated)`).
#![deny(deprecated)]

static MIGRATIONS: migrate_runtime::Migrations =
    migrate_runtime::embed_migrations!("../ui-verify/lint_destructive", verify);

fn main() {
    println!("{}", MIGRATIONS.len());
}
