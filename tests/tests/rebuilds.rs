//! Real `cargo build`s of a crate that embeds its migrations: the set it reports, and how
//! adding, editing, removing and renaming files reach the next build.
//!
//! The first run compiles SQLite into `target/fixture-builds` (and, when nightly is installed,
//! again into `target/fixture-builds-nightly`); later runs only build the small fixture crates.

use migrate_tests::{Fixture, Reported, Toolchain, nightly_available};

/// The rule the fixture's build script prints, and that the warning asks for.
const RULE: &str = r#"println!("cargo:rerun-if-changed=migrations");"#;

fn summary(reported: &[Reported]) -> Vec<(i64, &str, &str, usize)> {
    reported
        .iter()
        .map(|m| {
            (
                m.version,
                m.name.as_str(),
                m.file_name.as_str(),
                m.statement_count,
            )
        })
        .collect()
}

const TEMPLATE: [(i64, &str, &str, usize); 3] = [
    (1, "create_notes", "0001_create_notes.sql", 1),
    (2, "add_tags", "0002_add_tags.sql", 2),
    (3, "note_counts", "0003_note_counts.sql", 2),
];

#[test]
fn a_valid_set_runs_and_reports_its_migrations() {
    let mut app = Fixture::new("fixture-valid-set", Toolchain::Stable, true);
    let stderr = app.build_ok();
    assert!(
        !stderr.contains("rerun-if-changed"),
        "the build script has the rule, so no warning:\n{stderr}"
    );
    let reported = app.run();
    assert_eq!(summary(&reported), TEMPLATE);
    // Checksums are those of the files' bytes, computed by migrate-rules.
    assert_eq!(reported, app.expected());
    for m in &reported {
        assert!(m.checksum.starts_with("sha256:") && m.checksum.len() == 7 + 64);
    }
}

#[test]
fn adding_a_file_is_picked_up() {
    let mut app = Fixture::new("fixture-adding", Toolchain::Stable, true);
    app.build_ok();
    assert_eq!(app.run().len(), 3);

    // Saved on Windows: a byte-order mark and CRLF, which the checksum ignores.
    let sql = "\u{feff}CREATE TABLE archive (id INTEGER);\r\nCREATE INDEX archive_id ON archive (id);\r\n";
    app.write_migration("0004_archive.sql", sql);
    app.build_ok();
    let reported = app.run();
    assert_eq!(reported.len(), 4);
    assert_eq!(
        summary(&reported[3..]),
        [(4, "archive", "0004_archive.sql", 2)]
    );
    assert_eq!(
        reported[3].checksum,
        migrate_rules::Checksum::of_sql(sql.as_bytes()).to_string()
    );
    assert_eq!(
        reported[3].checksum,
        migrate_rules::Checksum::of_sql(
            b"CREATE TABLE archive (id INTEGER);\nCREATE INDEX archive_id ON archive (id);\n"
        )
        .to_string()
    );
    assert_eq!(reported, app.expected());
}

#[test]
fn editing_a_file_changes_its_checksum() {
    let mut app = Fixture::new("fixture-editing", Toolchain::Stable, true);
    app.build_ok();
    let before = app.run();

    app.write_migration(
        "0002_add_tags.sql",
        "CREATE TABLE tags (note_id INTEGER NOT NULL, name TEXT NOT NULL, color TEXT);\n",
    );
    app.build_ok();
    let after = app.run();
    assert_ne!(after[1].checksum, before[1].checksum);
    assert_eq!(after[1].statement_count, 1);
    assert_eq!(after[0], before[0]);
    assert_eq!(after[2], before[2]);
    assert_eq!(after, app.expected());
}

#[test]
fn removing_and_renaming_files_is_picked_up() {
    let mut app = Fixture::new("fixture-removing", Toolchain::Stable, true);
    app.build_ok();
    assert_eq!(app.run().len(), 3);

    app.rename_migration("0003_note_counts.sql", "0003_count_tags.sql");
    app.build_ok();
    let reported = app.run();
    assert_eq!(
        summary(&reported[2..]),
        [(3, "count_tags", "0003_count_tags.sql", 2)]
    );
    assert_eq!(reported, app.expected());

    app.remove_migration("0003_count_tags.sql");
    app.build_ok();
    assert_eq!(summary(&app.run()), TEMPLATE[..2]);

    // Removing a file from the middle leaves a gap: the build fails instead of shipping it.
    app.remove_migration("0001_create_notes.sql");
    let build = app.build();
    assert!(!build.success, "{}", build.stderr);
    assert!(
        build.stderr.contains(
            "error: gap in migration versions: versions start at 1 but the first migration is \
             `0002_add_tags.sql` (1 is missing)"
        ),
        "{}",
        build.stderr
    );
    assert!(!build.stderr.contains("panicked"), "{}", build.stderr);
}

#[test]
fn without_the_build_script_rule_the_build_warns() {
    let mut app = Fixture::new("fixture-no-build-rs", Toolchain::Stable, false);
    let stderr = app.build_ok();
    assert!(
        stderr.contains("warning: use of deprecated constant"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "add `{RULE}` to `fn main` in this crate's build.rs"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains("src/main.rs:"),
        "the warning points at the call:\n{stderr}"
    );
    assert_eq!(summary(&app.run()), TEMPLATE);

    // The files it embedded are still tracked: an edit is picked up.
    let before = app.run();
    app.write_migration(
        "0001_create_notes.sql",
        "CREATE TABLE notes (id INTEGER);\n",
    );
    app.build_ok();
    let after = app.run();
    assert_ne!(after[0].checksum, before[0].checksum);
    assert_eq!(after, app.expected());
}

#[test]
fn on_nightly_the_compiler_tracks_the_directory() {
    // CI sets REQUIRE_NIGHTLY=1 where a nightly toolchain is installed, so that a broken
    // nightly setup fails there instead of passing as a skip.
    let required = std::env::var("REQUIRE_NIGHTLY").is_ok_and(|v| v == "1");
    if !nightly_available() {
        assert!(
            !required,
            "REQUIRE_NIGHTLY=1 but `rustup run nightly rustc --version` does not work: install \
             nightly (`rustup toolchain install nightly`) or unset REQUIRE_NIGHTLY"
        );
        eprintln!(
            "note: skipping the nightly test: `rustup run nightly` is not available \
             (set REQUIRE_NIGHTLY=1 to make this a failure)"
        );
        return;
    }
    let mut app = Fixture::new("fixture-nightly", Toolchain::Nightly, false);
    let stderr = app.build_ok();
    assert!(
        !stderr.contains("rerun-if-changed"),
        "no build script is needed on nightly, so no warning:\n{stderr}"
    );
    assert_eq!(summary(&app.run()), TEMPLATE);

    app.write_migration("0004_more.sql", "CREATE TABLE more (x);\n");
    app.build_ok();
    let reported = app.run();
    assert_eq!(summary(&reported[3..]), [(4, "more", "0004_more.sql", 1)]);

    app.rename_migration("0004_more.sql", "0004_renamed.sql");
    app.build_ok();
    assert_eq!(app.run()[3].file_name, "0004_renamed.sql");

    app.write_migration("0004_renamed.sql", "CREATE TABLE renamed (x);\n");
    app.build_ok();
    assert_eq!(app.run(), app.expected());
}
