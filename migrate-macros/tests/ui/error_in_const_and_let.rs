// The same error, wherever the value is used: no knock-on type errors follow it.
const MIGRATIONS: migrate_runtime::Migrations = migrate_runtime::embed_migrations!("tests/ui/gap");

fn main() {
    let local: migrate_runtime::Migrations = migrate_runtime::embed_migrations!("tests/ui/gap");
    println!("{} {}", MIGRATIONS.len(), local.len());
    for m in &local {
        println!("{}", m.file_name());
    }
}
