// `schema = "..."` with no snapshot file yet: the error names the bless command.

static MIGRATIONS: migrate_runtime::Migrations =
    migrate_runtime::embed_migrations!("../ui-verify/snapshot_missing", verify, schema = "../ui-verify/snapshot_missing/schema.sql");

fn main() {
    println!("{}", MIGRATIONS.len());
}
