// A table rebuild (the SQLite way to change a column) whose down file rebuilds the table back,
// written with other whitespace and quoting: the schemas are compared by structure, not text.
#![deny(deprecated)]

use migrate_runtime::Migrations;
use migrate_runtime::rusqlite::Connection;

static MIGRATIONS: Migrations =
    migrate_runtime::embed_migrations!("../ui-verify-pass/table_rebuild", verify);

fn main() {
    assert_eq!(MIGRATIONS.len(), 2);
    // What the compiler verified, the runtime applies.
    let mut conn = Connection::open_in_memory().unwrap();
    let report = MIGRATIONS.run(&mut conn).unwrap();
    assert_eq!(report.applied.len(), 2);
}
