//! Compile-fail tests of `embed_migrations!(..., verify)`: each set under `tests/ui-verify/`
//! must be refused (or, for lints, warned about) with the messages recorded in its `.stderr`
//! file; the sets under `tests/ui-verify-pass/` must compile without any warning
//! (`#![deny(deprecated)]`: lints are deprecation warnings) and apply at run time.
//!
//! Lints are warnings, which trybuild's `compile_fail` does not show: each lint case has
//! `#![deny(deprecated)]`, so its warning becomes an error and appears in the `.stderr`.
//!
//! The cases' paths are relative to `tests/verify-root`, whose `build.rs` (never compiled)
//! holds the rerun rule the macro looks for: without it, every case would also show the
//! warning about a missing build script rule.
//!
//! The cases always have the feature: this crate's dev-dependency on migrate-runtime enables
//! `verify` (and so `migrate-macros/verify`) in the crate trybuild builds. The case of `verify`
//! without the feature is therefore a fixture build in `tests/` (`tests/tests/verify.rs`).
//!
//! The time budget of every migration in this run is 2 s (`MIGRATE_VERIFY_TIMEOUT_MS=2000`),
//! so that the runaway query of `runaway_query` is stopped quickly; no other case comes close.
//!
//! To regenerate the `.stderr` files after a deliberate change of a message:
//! `TRYBUILD=overwrite cargo test -p migrate-macros --test verify`, then read every diff.

use std::path::Path;

#[test]
fn ui_verify() {
    let manifest_dir = env!("CARGO_MANIFEST_DIR");
    let root = Path::new(manifest_dir).join("tests/verify-root");
    assert!(root.join("build.rs").is_file());
    // The snapshot cases must not write into the repository, whatever the caller's environment.
    // SAFETY: this is the only test in this binary and it changes the environment before
    // trybuild starts any thread or process; nothing else reads or writes it concurrently.
    unsafe {
        std::env::set_var("__MIGRATE_MACROS_TEST_MANIFEST_DIR", &root);
        std::env::set_var("MIGRATE_VERIFY_TIMEOUT_MS", "2000");
        std::env::remove_var("MIGRATE_BLESS");
    }
    assert!(
        !Path::new(manifest_dir)
            .join("tests/ui-verify/snapshot_missing/schema.sql")
            .exists()
    );

    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui-verify/*.rs");
    t.pass("tests/ui-verify-pass/*.rs");
}
