const DIR: &str = "tests/ui/gap";

static MIGRATIONS: migrate_runtime::Migrations = migrate_runtime::embed_migrations!(DIR);

fn main() {
    println!("{} {}", DIR, MIGRATIONS.len());
}
