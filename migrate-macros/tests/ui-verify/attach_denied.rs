// `ATTACH` reaches outside the database: denied during verification.

static MIGRATIONS: migrate_runtime::Migrations =
    migrate_runtime::embed_migrations!("../ui-verify/attach_denied", verify);

fn main() {
    println!("{}", MIGRATIONS.len());
}
