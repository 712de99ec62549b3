static MIGRATIONS: migrate_runtime::Migrations =
    migrate_runtime::embed_migrations!("tests/ui/gap_of_several_versions");

fn main() {
    for m in MIGRATIONS.iter() {
        println!("{} {}", m.version(), m.checksum());
    }
}
