//! Real `cargo build`s of a crate that uses `embed_migrations!(..., verify)`: the feature's
//! error without it, lints as the warnings people see, and the schema snapshot's bless cycle
//! (`MIGRATE_BLESS=1 cargo build`).
//!
//! With `verify`, the macro links SQLite: the first run compiles it once more, for the host,
//! into `target/fixture-builds`.

use std::fs;

use migrate_tests::{Fixture, Toolchain};

const FEATURE_ERROR: &str = "error: `verify` needs the `verify` feature of migrate-runtime: \
                             `migrate-runtime = { ..., features = [\"verify\"] }`";
const BLESS: &str = "MIGRATE_BLESS=1 cargo build";

/// `--> src/main.rs:<line>:<column>` of the first `needle` in the fixture's `src/main.rs`.
fn location(app: &Fixture, needle: &str) -> String {
    let main = fs::read_to_string(app.path().join("src/main.rs")).unwrap();
    let (line, text) = main
        .lines()
        .enumerate()
        .find(|(_, text)| text.contains(needle))
        .unwrap();
    format!(
        "--> src/main.rs:{}:{}",
        line + 1,
        text.find(needle).unwrap() + 1
    )
}

#[test]
fn verify_without_the_feature_says_which_feature_to_enable() {
    // The feature is off: this crate's migrate-runtime has only `bundled`.
    let mut app = Fixture::new("fixture-verify-off", Toolchain::Stable, true);
    app.set_macro_arguments("\"migrations\", verify");
    let build = app.build();
    assert!(!build.success, "{}", build.stderr);
    assert!(build.stderr.contains(FEATURE_ERROR), "{}", build.stderr);
    // At the `verify` token, and nothing else: no knock-on errors.
    assert!(
        build.stderr.contains(&location(&app, "verify")),
        "{}",
        build.stderr
    );
    assert_eq!(
        build.stderr.matches("error:").count(),
        2,
        "{}",
        build.stderr
    );
    assert!(!build.stderr.contains("panicked"), "{}", build.stderr);

    // With `schema`, the same single error.
    app.set_macro_arguments("\"migrations\", verify, schema = \"migrations/schema.sql\"");
    let build = app.build();
    assert!(!build.success, "{}", build.stderr);
    assert!(build.stderr.contains(FEATURE_ERROR), "{}", build.stderr);

    // Without the argument, the same crate builds as before.
    app.set_macro_arguments("\"migrations\"");
    app.build_ok();
    assert_eq!(app.run(), app.expected());
}

#[test]
fn lints_are_warnings_that_an_allow_comment_silences() {
    let mut app =
        Fixture::with_features("fixture-verify-lints", Toolchain::Stable, true, &["verify"]);
    app.set_macro_arguments("\"migrations\", verify");
    let stderr = app.build_ok();
    assert!(!stderr.contains("migrate::"), "no lint yet:\n{stderr}");

    app.write_migration(
        "0004_drop_body.sql",
        "-- Bodies move to files.\nALTER TABLE notes DROP COLUMN body;\n",
    );
    let stderr = app.build_ok();
    assert!(
        stderr.contains("warning: use of deprecated constant `MIGRATIONS::destructive`"),
        "{stderr}"
    );
    assert!(
        stderr.contains("migrate::destructive: `0004_drop_body.sql` line 2: "),
        "{stderr}"
    );
    assert!(
        stderr.contains("; if intended, add `-- migrate:allow destructive` to the file"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&location(&app, "\"migrations\"")),
        "{stderr}"
    );
    assert_eq!(app.run().len(), 4);

    app.write_migration(
        "0004_drop_body.sql",
        "-- Bodies move to files.\n-- migrate:allow destructive\nALTER TABLE notes DROP COLUMN body;\n",
    );
    let stderr = app.build_ok();
    assert!(!stderr.contains("migrate::"), "allowed:\n{stderr}");
}

#[test]
fn the_snapshot_is_blessed_then_guards_the_schema() {
    let mut app =
        Fixture::with_features("fixture-verify-bless", Toolchain::Stable, true, &["verify"]);
    app.set_macro_arguments("\"migrations\", verify, schema = \"migrations/schema.sql\"");
    let snapshot = app.migrations().join("schema.sql");

    // No snapshot yet: the error names the bless command.
    let build = app.build();
    assert!(!build.success, "{}", build.stderr);
    assert!(
        build.stderr.contains(&format!(
            "error: schema snapshot `migrations/schema.sql` does not exist: run `{BLESS}` to \
             write it, then commit it"
        )),
        "{}",
        build.stderr
    );
    assert!(!snapshot.exists());

    // Blessed: written, with a warning that says so.
    let build = app.build_with_env(&[("MIGRATE_BLESS", "1")]);
    assert!(build.success, "{}", build.stderr);
    assert!(
        build.stderr.contains(
            "migrate: wrote the schema snapshot `migrations/schema.sql` (MIGRATE_BLESS=1)"
        ),
        "{}",
        build.stderr
    );
    let blessed = fs::read_to_string(&snapshot).unwrap();
    for file in [
        "0001_create_notes.sql",
        "0002_add_tags.sql",
        "0003_note_counts.sql",
    ] {
        assert!(blessed.contains(file), "{blessed}");
    }
    assert!(blessed.contains("tag_count"), "{blessed}");

    // The snapshot in the migrations directory is not a migration.
    assert_eq!(app.run(), app.expected_without("schema.sql"));

    // The next build passes quietly and leaves the file alone.
    let stderr = app.build_ok();
    assert!(!stderr.contains("schema snapshot"), "{stderr}");
    assert_eq!(fs::read_to_string(&snapshot).unwrap(), blessed);

    // A new column: the build fails with the difference, until blessed again.
    app.write_migration(
        "0004_note_title.sql",
        "ALTER TABLE notes ADD COLUMN title TEXT;\n",
    );
    let build = app.build();
    assert!(!build.success, "{}", build.stderr);
    assert!(
        build.stderr.contains(&format!(
            "error: schema snapshot `migrations/schema.sql` does not match the schema the \
             migrations build: if the change is intended, run `{BLESS}` to rewrite it"
        )),
        "{}",
        build.stderr
    );
    assert!(build.stderr.contains("title"), "{}", build.stderr);
    assert!(
        build.stderr.contains("0004_note_title.sql"),
        "{}",
        build.stderr
    );
    assert_eq!(fs::read_to_string(&snapshot).unwrap(), blessed);

    let build = app.build_with_env(&[("MIGRATE_BLESS", "1")]);
    assert!(build.success, "{}", build.stderr);
    assert!(fs::read_to_string(&snapshot).unwrap().contains("title"));

    // An edit of the snapshot by hand is noticed: the file is an input of the build.
    app.write_migration("schema.sql", "-- edited\n");
    let build = app.build();
    assert!(!build.success, "{}", build.stderr);
    assert!(build.stderr.contains("does not match"), "{}", build.stderr);
}
