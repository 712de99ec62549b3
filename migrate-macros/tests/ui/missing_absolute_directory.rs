// An absolute path is used as it is.
static MIGRATIONS: migrate_runtime::Migrations =
    migrate_runtime::embed_migrations!("/nonexistent/migrate-macros-ui/migrations");

fn main() {
    println!("{}", MIGRATIONS.len());
}
