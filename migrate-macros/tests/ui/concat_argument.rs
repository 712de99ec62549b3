static MIGRATIONS: migrate_runtime::Migrations =
    migrate_runtime::embed_migrations!(concat!("tests/ui/", "gap"));

fn main() {
    println!("{}", MIGRATIONS.len());
}
