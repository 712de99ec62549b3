//! The helpers every test package of the workspace needs, in one place: databases in
//! temporary directories ([`Db`], [`Journal`]), text dumps of what a database holds
//! ([`dump()`], [`user_dump`], [`rows_of`]), comparable digests of whole databases ([`digest`]),
//! the [`workspace_root`], the pieces of [`fixture`] crates, and a [`proptest_config`].
//!
//! Helpers panic on failure (they serve tests), except the ones the reliability trials use
//! inside trials, which return `Result<_, String>` so that a failure counts instead of
//! aborting the run.

mod db;
pub mod digest;
mod dump;
pub mod fixture;

use std::path::{Path, PathBuf};

pub use db::{Db, FilesSnapshot, Journal, new_db, with_suffix};
pub use dump::{
    applied_versions, count, dump, dump_file, dump_with, rows_of, user_dump, user_version,
};

/// A proptest configuration with `cases` cases, unless `PROPTEST_CASES` says otherwise (then
/// proptest's own reading of the variable wins).
pub fn proptest_config(cases: u32) -> proptest::test_runner::Config {
    let mut config = proptest::test_runner::Config::default();
    if std::env::var_os("PROPTEST_CASES").is_none() {
        config.cases = cases;
    }
    config
}

/// The workspace root, where `Cargo.lock`, `migrations/` and `target/` are.
pub fn workspace_root() -> PathBuf {
    // This crate lives at `tests/kit`.
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("the kit is two levels below the workspace root")
        .to_path_buf()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_workspace_root_holds_the_workspace_manifest() {
        let manifest = std::fs::read_to_string(super::workspace_root().join("Cargo.toml")).unwrap();
        assert!(manifest.contains("[workspace]"));
    }
}
