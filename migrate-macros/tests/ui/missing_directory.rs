// Nothing exists at this path (the test asserts so before compiling).
static MIGRATIONS: migrate_runtime::Migrations =
    migrate_runtime::embed_migrations!("tests/ui/missing_directory");

fn main() {
    println!("{}", MIGRATIONS.len());
}
