// Every failing migration is reported in one build; a failure that follows from an earlier one says so.

static MIGRATIONS: migrate_runtime::Migrations =
    migrate_runtime::embed_migrations!("../ui-verify/two_failures", verify);

fn main() {
    println!("{}", MIGRATIONS.len());
}
