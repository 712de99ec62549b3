// `VACUUM INTO` writes a file: denied during verification.

static MIGRATIONS: migrate_runtime::Migrations =
    migrate_runtime::embed_migrations!("../ui-verify/vacuum_into_denied", verify);

fn main() {
    println!("{}", MIGRATIONS.len());
}
