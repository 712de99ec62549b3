// Rows that violate a foreign key fail the migration, as `foreign_key_check` does at run time.

static MIGRATIONS: migrate_runtime::Migrations =
    migrate_runtime::embed_migrations!("../ui-verify/foreign_keys", verify);

fn main() {
    println!("{}", MIGRATIONS.len());
}
