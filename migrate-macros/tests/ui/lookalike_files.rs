// `0002_b.SQL` and `0003_c.sql.bak` look like migrations but are not embedded: a warning
// each (an error here, by `deny(deprecated)`), so that a typo does not drop a migration
// silently. `notes.txt` does not look like one.
#![deny(deprecated)]

static MIGRATIONS: migrate_runtime::Migrations =
    migrate_runtime::embed_migrations!("tests/ui/lookalike_files");

fn main() {
    println!("{}", MIGRATIONS.len());
}
