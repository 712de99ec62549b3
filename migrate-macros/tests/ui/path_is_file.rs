// The path names this very file.
static MIGRATIONS: migrate_runtime::Migrations =
    migrate_runtime::embed_migrations!("tests/ui/path_is_file.rs");

fn main() {
    println!("{}", MIGRATIONS.len());
}
