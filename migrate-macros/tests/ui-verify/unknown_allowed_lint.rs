// A misspelt lint name in an allow comment is an error, not a silent no-op.

static MIGRATIONS: migrate_runtime::Migrations =
    migrate_runtime::embed_migrations!("../ui-verify/unknown_allowed_lint", verify);

fn main() {
    println!("{}", MIGRATIONS.len());
}
