//! Validation: the directory is read and checked by [`MigrationSet::from_dir`], the same
//! function
//! `Migrations::from_dir` uses at run time, and every problem becomes a compiler error.

use std::path::Path;

use crate::MigrationSet;
use crate::name::lookalike_reason;

use super::{MacroInput, Warning};

/// Reads and validates the set; all problems are combined into one error at the path literal.
///
/// `snapshot` is the file name of the schema snapshot when it lives in `dir`: that one file is
/// not a migration and is left out.
pub(super) fn load(
    dir: &Path,
    snapshot: Option<&str>,
    input: &MacroInput,
) -> syn::Result<MigrationSet> {
    MigrationSet::from_dir_skipping(dir, snapshot).map_err(|problems| {
        let span = input.path.span();
        problems
            .iter()
            .map(|problem| syn::Error::new(span, problem))
            .reduce(|mut all, next| {
                all.combine(next);
                all
            })
            .unwrap_or_else(|| syn::Error::new(span, "invalid migrations directory"))
    })
}

/// A warning for each file of `dir` that looks like a migration but is not taken
/// ([`lookalike_reason`]), in name order. An unreadable directory gives none: loading has
/// reported it.
pub(super) fn lookalikes(dir: &Path) -> Vec<Warning> {
    let Ok(listing) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut found: Vec<(String, String)> = listing
        .filter_map(Result::ok)
        .filter_map(|entry| entry.file_name().into_string().ok())
        .filter_map(|name| lookalike_reason(&name).map(|reason| (name, reason)))
        .collect();
    found.sort();
    found
        .into_iter()
        .map(|(name, reason)| Warning {
            item: "not_a_migration".to_owned(),
            note: format!(
                "migrate::not-a-migration: `{name}` looks like a migration but was not embedded: {reason}"
            ),
        })
        .collect()
}
