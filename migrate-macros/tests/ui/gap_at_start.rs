static MIGRATIONS: migrate_runtime::Migrations =
    migrate_runtime::embed_migrations!("tests/ui/gap_at_start");

fn main() {
    for m in MIGRATIONS.iter() {
        println!("{} {}", m.version(), m.checksum());
    }
}
