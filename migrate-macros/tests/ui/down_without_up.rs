static MIGRATIONS: migrate_runtime::Migrations =
    migrate_runtime::embed_migrations!("tests/ui/down_without_up");

fn main() {
    for m in MIGRATIONS.iter() {
        println!("{} {}", m.version(), m.checksum());
    }
}
