//! `embed_migrations!` in three stages, each a plain function over `proc_macro2`:
//! [`input`] parses the invocation, [`load`] validates the directory with `migrate-core`'s
//! rules, [`tokens`] writes the embedded set; [`rebuild`] decides how the build is told to
//! re-run the macro when the directory changes.

mod input;
mod load;
mod rebuild;
mod tokens;

use std::path::{Path, PathBuf};

use proc_macro2::{Span, TokenStream};
use quote::quote;

pub use self::input::MacroInput;
pub use self::rebuild::Tracking;

/// Where the expansion runs: the calling crate's directory and how file changes are tracked.
#[derive(Debug, Clone)]
pub struct Host {
    /// The directory holding the calling crate's `Cargo.toml`.
    pub manifest_dir: PathBuf,
    /// How the build learns about changes to the migrations directory.
    pub tracking: Tracking,
}

/// The test suite sets this to point the macro at the crate that holds the compile-fail
/// cases, because trybuild compiles them from a generated crate elsewhere.
const TEST_MANIFEST_DIR: &str = "__MIGRATE_MACROS_TEST_MANIFEST_DIR";

impl Host {
    /// The host of a real macro invocation, from cargo's environment.
    pub fn from_env() -> syn::Result<Host> {
        let manifest_dir = std::env::var_os(TEST_MANIFEST_DIR)
            .or_else(|| std::env::var_os("CARGO_MANIFEST_DIR"))
            .ok_or_else(|| {
                syn::Error::new(
                    Span::call_site(),
                    "`CARGO_MANIFEST_DIR` is not set: `embed_migrations!` must be built by cargo",
                )
            })?;
        Ok(Host {
            manifest_dir: PathBuf::from(manifest_dir),
            tracking: Tracking::detect(),
        })
    }
}

/// Expands `embed_migrations!(...)` in the calling crate's environment.
pub fn expand(input: TokenStream) -> syn::Result<TokenStream> {
    expand_with(input, &Host::from_env()?)
}

/// Expands `embed_migrations!(...)` for an explicit [`Host`].
pub fn expand_with(input: TokenStream, host: &Host) -> syn::Result<TokenStream> {
    let input: MacroInput = syn::parse2(input)?;
    let dir = resolve(&host.manifest_dir, &input.path.value());
    let set = load::load(&dir, &input)?;
    let rebuild = rebuild::plan(host, &dir, &set, &input)?;
    tokens::expand(&set, &rebuild, &input)
}

/// The expansion when there are errors: the errors, then a value of the right type, so the
/// compiler reports only the real problems and no knock-on type errors.
pub fn error_placeholder(error: syn::Error) -> TokenStream {
    let errors = error.to_compile_error();
    quote! {
        {
            #errors
            ::migrate_runtime::__private::Migrations::EMPTY
        }
    }
}

/// `path` relative to the calling crate's manifest directory, with `.` and `..` resolved
/// lexically so that error messages show a clean absolute path.
fn resolve(manifest_dir: &Path, path: &str) -> PathBuf {
    let mut resolved = PathBuf::new();
    for component in manifest_dir.join(path).components() {
        match component {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                resolved.pop();
            }
            other => resolved.push(other),
        }
    }
    resolved
}
