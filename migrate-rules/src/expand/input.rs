//! Parsing the invocation: one string literal, the migrations directory.

use syn::parse::{Parse, ParseStream};
use syn::{LitStr, Token};

/// The parsed arguments of `embed_migrations!("path")`.
pub(super) struct MacroInput {
    /// The directory, relative to the calling crate's `Cargo.toml`. Errors point at it.
    pub(super) path: LitStr,
}

impl Parse for MacroInput {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if input.is_empty() {
            return Err(input.error(
                "expected the migrations directory as a string literal, e.g. `embed_migrations!(\"migrations\")`",
            ));
        }
        let path: LitStr = input.parse().map_err(|e| {
            syn::Error::new(
                e.span(),
                "expected the migrations directory as a string literal, e.g. `embed_migrations!(\"migrations\")`",
            )
        })?;
        if input.peek(Token![,]) {
            input.parse::<Token![,]>()?;
        }
        if !input.is_empty() {
            return Err(
                input.error("unexpected argument: `embed_migrations!` takes only the directory")
            );
        }
        Ok(MacroInput { path })
    }
}
