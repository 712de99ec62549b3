static MIGRATIONS: migrate_runtime::Migrations = migrate_runtime::embed_migrations!();

fn main() {
    println!("{}", MIGRATIONS.len());
}
