// A down file that forgets an index.

static MIGRATIONS: migrate_runtime::Migrations =
    migrate_runtime::embed_migrations!("../ui-verify/down_leaves_index", verify);

fn main() {
    println!("{}", MIGRATIONS.len());
}
