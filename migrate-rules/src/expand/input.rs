//! Parsing the invocation: the migrations directory as a string literal, then optionally
//! `verify` and `schema = "path"`:
//!
//! ```text
//! embed_migrations!("migrations")
//! embed_migrations!("migrations", verify)
//! embed_migrations!("migrations", verify, schema = "migrations/schema.sql")
//! ```

use syn::parse::{Parse, ParseStream};
use syn::{Ident, LitStr, Token};

/// The parsed arguments of `embed_migrations!("path", verify, schema = "file")`.
pub(super) struct MacroInput {
    /// The directory, relative to the calling crate's `Cargo.toml`. Errors point at it.
    pub(super) path: LitStr,
    /// The `verify` argument: the token, so that an error about the feature points at it.
    pub(super) verify: Option<Ident>,
    /// The `schema = "file"` argument: the snapshot file, relative to the calling crate's
    /// `Cargo.toml`. Only with `verify`.
    pub(super) schema: Option<LitStr>,
}

const EXPECTED_PATH: &str = "expected the migrations directory as a string literal, e.g. `embed_migrations!(\"migrations\")`";
const UNEXPECTED: &str = "unexpected argument: `embed_migrations!` takes only the directory";
const EXPECTED_SCHEMA: &str = "expected the snapshot file as a string literal, e.g. \
                               `schema = \"migrations/schema.sql\"`";

impl Parse for MacroInput {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if input.is_empty() {
            return Err(input.error(EXPECTED_PATH));
        }
        let path: LitStr = input
            .parse()
            .map_err(|e| syn::Error::new(e.span(), EXPECTED_PATH))?;
        let mut parsed = MacroInput {
            path,
            verify: None,
            schema: None,
        };
        loop {
            if input.peek(Token![,]) {
                input.parse::<Token![,]>()?;
            } else if !input.is_empty() {
                let first = parsed.verify.is_none() && parsed.schema.is_none();
                return Err(input.error(if first {
                    UNEXPECTED
                } else {
                    "expected `,` between the arguments"
                }));
            }
            if input.is_empty() {
                break;
            }
            parsed.argument(input)?;
        }
        if let (Some(schema), None) = (&parsed.schema, &parsed.verify) {
            return Err(syn::Error::new(
                schema.span(),
                "`schema` compares the schema the migrations build, which needs `verify`: \
                 write `embed_migrations!(\"...\", verify, schema = \"...\")`",
            ));
        }
        Ok(parsed)
    }
}

impl MacroInput {
    /// One argument after the directory: `verify` or `schema = "file"`.
    fn argument(&mut self, input: ParseStream) -> syn::Result<()> {
        // Anything but an identifier (a second literal, a stray comma) gets today's message.
        if !input.peek(Ident) {
            return Err(input.error(UNEXPECTED));
        }
        let name: Ident = input.parse()?;
        if name == "verify" {
            if self.verify.is_some() {
                return Err(syn::Error::new(name.span(), "`verify` is given twice"));
            }
            if input.peek(Token![=]) {
                return Err(syn::Error::new(
                    name.span(),
                    "`verify` takes no value: write `embed_migrations!(\"...\", verify)`",
                ));
            }
            self.verify = Some(name);
        } else if name == "schema" {
            if self.schema.is_some() {
                return Err(syn::Error::new(name.span(), "`schema` is given twice"));
            }
            if !input.peek(Token![=]) {
                return Err(syn::Error::new(name.span(), EXPECTED_SCHEMA));
            }
            input.parse::<Token![=]>()?;
            let file: LitStr = input
                .parse()
                .map_err(|e| syn::Error::new(e.span(), EXPECTED_SCHEMA))?;
            if file.value().is_empty() {
                return Err(syn::Error::new(file.span(), EXPECTED_SCHEMA));
            }
            self.schema = Some(file);
        } else {
            return Err(syn::Error::new(
                name.span(),
                format!(
                    "unknown argument `{name}`: `embed_migrations!` takes the directory, then \
                     optionally `verify` and `schema = \"...\"`"
                ),
            ));
        }
        Ok(())
    }
}
