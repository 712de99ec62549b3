static MIGRATIONS: migrate_runtime::Migrations =
    migrate_runtime::embed_migrations!("tests/ui/down_with_other_description");

fn main() {
    for m in MIGRATIONS.iter() {
        println!("{} {}", m.version(), m.checksum());
    }
}
