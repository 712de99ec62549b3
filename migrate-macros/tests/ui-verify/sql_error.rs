// A typo in a table name fails the build at the statement, with SQLite's message.

static MIGRATIONS: migrate_runtime::Migrations =
    migrate_runtime::embed_migrations!("../ui-verify/sql_error", verify);

fn main() {
    println!("{}", MIGRATIONS.len());
}
