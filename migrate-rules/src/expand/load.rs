//! Validation: the directory is read and checked by [`MigrationSet::from_dir`], the same
//! function
//! `Migrations::from_dir` uses at run time, and every problem becomes a compiler error.

use std::path::Path;

use crate::MigrationSet;

use super::MacroInput;

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
