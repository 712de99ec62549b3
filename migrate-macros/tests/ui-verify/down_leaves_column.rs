// A down file that forgets a column.

static MIGRATIONS: migrate_runtime::Migrations =
    migrate_runtime::embed_migrations!("../ui-verify/down_leaves_column", verify);

fn main() {
    println!("{}", MIGRATIONS.len());
}
