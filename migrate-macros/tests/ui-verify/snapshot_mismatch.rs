// The committed snapshot is the one blessed before migration 2 added a column.

static MIGRATIONS: migrate_runtime::Migrations =
    migrate_runtime::embed_migrations!("../ui-verify/snapshot_mismatch", verify, schema = "../ui-verify/snapshot_mismatch/schema.sql");

fn main() {
    println!("{}", MIGRATIONS.len());
}
