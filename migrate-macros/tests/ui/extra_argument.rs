static MIGRATIONS: migrate_runtime::Migrations =
    migrate_runtime::embed_migrations!("tests/ui/gap", "tests/ui/gap_at_start");

fn main() {
    println!("{}", MIGRATIONS.len());
}
