// A down file that forgets a trigger.

static MIGRATIONS: migrate_runtime::Migrations =
    migrate_runtime::embed_migrations!("../ui-verify/down_leaves_trigger", verify);

fn main() {
    println!("{}", MIGRATIONS.len());
}
