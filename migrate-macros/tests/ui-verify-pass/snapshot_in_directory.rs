// A committed snapshot that matches, inside the migrations directory: that one file is not a
// migration (`schema.sql` is no valid migration name), and the build is quiet.
#![deny(deprecated)]

use migrate_runtime::Migrations;

static MIGRATIONS: Migrations = migrate_runtime::embed_migrations!(
    "../ui-verify-pass/snapshot_in_directory",
    verify,
    schema = "../ui-verify-pass/snapshot_in_directory/schema.sql"
);

fn main() {
    assert_eq!(MIGRATIONS.len(), 2);
    assert_eq!(MIGRATIONS.get(2).unwrap().file_name(), "0002_add_email.sql");
}
