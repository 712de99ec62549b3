// A valid set expands to a constant that describes it.
// This crate has no build script with the rerun rule; `warning_without_build_script` checks the
// warning that causes.
#![allow(deprecated)]

use migrate_runtime::{Checksum, Migrations};

static MIGRATIONS: Migrations = migrate_runtime::embed_migrations!("tests/ui-pass/valid_set");
const AS_CONST: Migrations = migrate_runtime::embed_migrations!("tests/ui-pass/valid_set",);

fn main() {
    let summary: Vec<_> = MIGRATIONS
        .iter()
        .map(|m| {
            (
                m.version(),
                m.name(),
                m.file_name(),
                m.statement_count(),
                m.has_down(),
                m.no_transaction(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (1, "create_users", "0001_create_users.sql", 2, true, false),
            (
                2,
                "audit_trigger",
                "0002_audit_trigger.sql",
                2,
                false,
                false
            ),
            (3, "wal", "003_wal.sql", 1, false, true),
            (4, "placeholder", "4_placeholder.sql", 1, false, false),
        ]
    );
    let first = MIGRATIONS.get(1).unwrap();
    assert_eq!(
        first.checksum(),
        Checksum::of_sql(include_bytes!("valid_set/0001_create_users.sql"))
    );
    assert_eq!(first.sql(), include_str!("valid_set/0001_create_users.sql"));
    assert_eq!(first.down_sql(), Some("DROP TABLE users;\n"));
    assert!(first.checksum().to_string().starts_with("sha256:"));
    assert_eq!(AS_CONST.history_checksum(), MIGRATIONS.history_checksum());
    assert_eq!(AS_CONST.len(), 4);
}
