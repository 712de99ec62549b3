// Each lint silenced for its file by `-- migrate:allow <lint>`: no warning at all
// (`deny(deprecated)` would turn one into an error).
#![deny(deprecated)]

use migrate_runtime::Migrations;
use migrate_runtime::rusqlite::Connection;

static MIGRATIONS: Migrations =
    migrate_runtime::embed_migrations!("../ui-verify-pass/lints_allowed", verify);

fn main() {
    assert_eq!(MIGRATIONS.len(), 4);
    // What the compiler verified, the runtime applies.
    let mut conn = Connection::open_in_memory().unwrap();
    let report = MIGRATIONS.run(&mut conn).unwrap();
    assert_eq!(report.applied.len(), 4);
}
