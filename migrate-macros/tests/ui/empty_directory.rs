static MIGRATIONS: migrate_runtime::Migrations =
    migrate_runtime::embed_migrations!("tests/ui/empty_directory");

fn main() {
    for m in MIGRATIONS.iter() {
        println!("{} {}", m.version(), m.checksum());
    }
}
