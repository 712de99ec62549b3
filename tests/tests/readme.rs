//! The README's quick start, built and run as a new user would: its `src/main.rs`, `build.rs`
//! and first migration, taken from README.md, in a real crate.

use std::path::Path;
use std::process::Command;

use migrate_tests::{Fixture, Toolchain};

/// The body of the README's fenced block whose first line is `first_line`.
fn readme_block(first_line: &str) -> String {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md"))
            .unwrap();
    let start = readme
        .find(&format!("\n{first_line}\n"))
        .unwrap_or_else(|| panic!("README.md has a block starting with `{first_line}`"))
        + 1;
    let end = start + readme[start..].find("\n```").unwrap();
    readme[start..end].to_owned() + "\n"
}

#[test]
fn the_quick_start_applies_and_prints_errors_in_words() {
    let mut app = Fixture::new("fixture-readme-quick-start", Toolchain::Stable, true);
    for file in std::fs::read_dir(app.migrations()).unwrap() {
        std::fs::remove_file(file.unwrap().path()).unwrap();
    }
    app.write_file("src/main.rs", readme_block("// src/main.rs"));
    app.write_file(
        "build.rs",
        readme_block("// build.rs: rebuild when a migration is added, removed, renamed or edited"),
    );
    let migration = readme_block("-- migrations/0001_create_users.sql");
    app.write_migration("0001_create_users.sql", &migration);
    let stderr = app.build_ok();
    assert!(!stderr.contains("warning"), "{stderr}");

    let run = |cwd: &Path| {
        let output = Command::new(app.binary())
            .current_dir(cwd)
            .output()
            .unwrap();
        (
            output.status.code(),
            String::from_utf8(output.stderr).unwrap(),
        )
    };
    let work = tempfile::tempdir().unwrap();
    let (code, stderr) = run(work.path());
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.starts_with("applied 1 create_users in "), "{stderr}");
    assert!(work.path().join("app.db").is_file());

    // A database that cannot be opened: the message in words, not `Debug`.
    let blocked = tempfile::tempdir().unwrap();
    std::fs::create_dir(blocked.path().join("app.db")).unwrap();
    let (code, stderr) = run(blocked.path());
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    for debug in ["SqliteFailure", "Error {", "code:"] {
        assert!(!stderr.contains(debug), "no Debug output: {stderr}");
    }
}
