// `.` and `..` are resolved before the path is shown.
static MIGRATIONS: migrate_runtime::Migrations =
    migrate_runtime::embed_migrations!("./tests/ui/../ui/./missing_directory/");

fn main() {
    println!("{}", MIGRATIONS.len());
}
