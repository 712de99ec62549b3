//! Compile-fail tests: every malformed migrations directory under `tests/ui/` must be refused
//! with the errors recorded in its `.stderr` file, and the sets under `tests/ui-pass/` must
//! compile and run.
//!
//! To regenerate the `.stderr` files after a deliberate change of a message:
//! `TRYBUILD=overwrite cargo test -p migrate-macros --test compile_fail`, then read every diff.

use std::path::Path;

#[test]
fn ui() {
    let manifest_dir = env!("CARGO_MANIFEST_DIR");
    // trybuild compiles the cases in a crate it generates elsewhere, so the macro would resolve
    // paths against that crate; this variable points it back at this one.
    // SAFETY: this is the only test in this binary and it sets the variable before trybuild
    // starts any thread or process; nothing else reads or writes the environment concurrently.
    unsafe {
        std::env::set_var("__MIGRATE_MACROS_TEST_MANIFEST_DIR", manifest_dir);
    }

    // Git does not keep empty directories, and the missing ones must stay missing.
    let ui = Path::new(manifest_dir).join("tests/ui");
    assert!(!ui.join("missing_directory").exists());
    assert!(!Path::new("/nonexistent/migrate-macros-ui").exists());
    let empty = std::fs::read_dir(ui.join("empty_directory"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name())
        .collect::<Vec<_>>();
    assert_eq!(
        empty,
        [".gitkeep"],
        "empty_directory must hold only a hidden file"
    );

    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
    t.pass("tests/ui-pass/*.rs");
}
