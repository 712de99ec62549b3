// The committed snapshot lacks the column that migration 2 adds.

static MIGRATIONS: migrate_runtime::Migrations =
    migrate_runtime::embed_migrations!("../ui-verify/snapshot_mismatch", verify, schema = "../ui-verify/snapshot_mismatch/schema.sql");

fn main() {
    println!("{}", MIGRATIONS.len());
}
