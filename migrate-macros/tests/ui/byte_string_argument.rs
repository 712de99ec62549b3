static MIGRATIONS: migrate_runtime::Migrations =
    migrate_runtime::embed_migrations!(b"tests/ui/gap");

fn main() {
    println!("{}", MIGRATIONS.len());
}
