// A new migration numbered like one that has a down file: the duplicate only, not also the
// down file as unmatched (its up file is there).
static MIGRATIONS: migrate_runtime::Migrations =
    migrate_runtime::embed_migrations!("tests/ui/duplicate_beside_down");

fn main() {
    println!("{}", MIGRATIONS.len());
}
