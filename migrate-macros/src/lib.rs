//! The procedural macro behind `migrate_runtime::embed_migrations!`.
//!
//! Use it through `migrate-runtime`, which documents it and provides the types the expansion
//! names. This crate is only the entry point: the expansion is `migrate_rules::expand` (feature
//! `expand`), plain functions over `proc_macro2` that unit tests and benchmarks call directly.
//! What stays here is what needs the `proc_macro` crate itself: the entry point, and on nightly
//! with `--cfg migrate_unstable` the compiler's path tracking.
//!
//! The feature `verify` (enable it through migrate-runtime's `verify`) links SQLite into this
//! crate through `migrate-rules/bundled`, for `embed_migrations!("migrations", verify)`; the
//! verification itself is `migrate_rules::verify`, called by `migrate_rules::expand`.

#![cfg_attr(migrate_unstable, feature(proc_macro_tracked_path))]

use migrate_rules::expand::{self, Tracking};
use proc_macro::TokenStream;

/// Embeds a directory of SQL migrations; see `migrate_runtime::embed_migrations!`.
#[proc_macro]
pub fn embed_migrations(input: TokenStream) -> TokenStream {
    expand::expand(input.into(), tracking())
        .unwrap_or_else(expand::error_placeholder)
        .into()
}

/// The compiler tracks the directory on nightly with `--cfg migrate_unstable`; otherwise the
/// calling crate's build script must.
fn tracking() -> Tracking {
    #[cfg(migrate_unstable)]
    return Tracking::Compiler(|path| proc_macro::tracked::path(path));
    #[cfg(not(migrate_unstable))]
    Tracking::BuildScript
}
