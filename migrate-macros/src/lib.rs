//! The procedural macro behind `migrate_runtime::embed_migrations!`.
//!
//! Use it through `migrate-runtime`, which documents it and provides the types the expansion
//! names. This crate is only the entry point; the work happens in plain functions over
//! `proc_macro2` (see `embed`), which unit tests and benchmarks call directly.

#![cfg_attr(migrate_unstable, feature(proc_macro_tracked_path))]

use proc_macro::TokenStream;

mod embed;

/// Embeds a directory of SQL migrations; see `migrate_runtime::embed_migrations!`.
#[proc_macro]
pub fn embed_migrations(input: TokenStream) -> TokenStream {
    embed::expand(input.into())
        .unwrap_or_else(embed::error_placeholder)
        .into()
}
