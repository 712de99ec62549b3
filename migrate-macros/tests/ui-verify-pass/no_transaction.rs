// A migration that cannot run in a transaction is verified as the runtime runs it:
// statement by statement, outside a transaction.
#![deny(deprecated)]

use migrate_runtime::Migrations;
use migrate_runtime::rusqlite::Connection;

static MIGRATIONS: Migrations =
    migrate_runtime::embed_migrations!("../ui-verify-pass/no_transaction", verify);

fn main() {
    assert_eq!(MIGRATIONS.len(), 2);
    // What the compiler verified, the runtime applies.
    let mut conn = Connection::open_in_memory().unwrap();
    let report = MIGRATIONS.run(&mut conn).unwrap();
    assert_eq!(report.applied.len(), 2);
}
