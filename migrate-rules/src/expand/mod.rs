//! The expansion of `embed_migrations!` (feature `expand`), as plain functions over
//! `proc_macro2`, so that the proc-macro crate `migrate-macros` is only a shim and benchmarks
//! and tests call the same code directly.
//!
//! Three stages: `input` parses the invocation, `load` validates the directory with this
//! crate's rules (every problem combined into one [`syn::Error`] at the path literal),
//! `tokens` writes the embedded set; `rebuild` decides how the build is told to re-run the
//! macro when the directory changes.
//!
//! This module never names the `proc_macro` crate: what needs it (the compiler's path tracking
//! on nightly) is passed in by the macro through [`Tracking::Compiler`].
//!
//! ```
//! use migrate_rules::expand::{Host, Tracking, expand_with};
//!
//! let dir = tempfile::tempdir()?;
//! std::fs::create_dir(dir.path().join("migrations"))?;
//! std::fs::write(dir.path().join("migrations/0001_a.sql"), "CREATE TABLE a (x);")?;
//! let host = Host {
//!     manifest_dir: dir.path().to_path_buf(),
//!     tracking: Tracking::BuildScript,
//! };
//! let tokens = expand_with(quote::quote!("migrations"), &host)?.to_string();
//! assert!(tokens.contains("__private :: from_embedded"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#[cfg(feature = "verify")]
mod check;
mod input;
mod load;
mod rebuild;
mod tokens;

use std::path::{Path, PathBuf};

use proc_macro2::{Span, TokenStream};
use quote::quote;

use self::input::MacroInput;
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
    /// The host of a real macro invocation: the manifest directory from cargo's environment,
    /// and the `tracking` the macro crate chose.
    pub fn from_env(tracking: Tracking) -> syn::Result<Host> {
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
            tracking,
        })
    }
}

/// Expands `embed_migrations!(...)` in the calling crate's environment ([`Host::from_env`]).
pub fn expand(input: TokenStream, tracking: Tracking) -> syn::Result<TokenStream> {
    expand_with(input, &Host::from_env(tracking)?)
}

/// Expands `embed_migrations!(...)` for an explicit [`Host`].
///
/// With `verify` (feature `verify`), the validated set is then applied to an in-memory
/// database by `migrate_rules::verify::verify`: failures become errors, lints warnings, and
/// `schema = "..."` compares the final schema with the committed snapshot.
pub fn expand_with(input: TokenStream, host: &Host) -> syn::Result<TokenStream> {
    let input: MacroInput = syn::parse2(input)?;
    let dir = resolve(&host.manifest_dir, &input.path.value());
    let snapshot = input
        .schema
        .as_ref()
        .map(|file| resolve(&host.manifest_dir, &file.value()));
    // A snapshot in the migrations directory is not a migration.
    let skip = snapshot
        .as_deref()
        .filter(|path| path.parent() == Some(dir.as_path()))
        .and_then(Path::file_name)
        .and_then(|name| name.to_str());
    let set = match (missing_feature(&input), load::load(&dir, skip, &input)) {
        (None, loaded) => loaded?,
        (Some(error), Ok(_)) => return Err(error),
        (Some(mut error), Err(problems)) => {
            error.combine(problems);
            return Err(error);
        }
    };
    let mut warnings = load::lookalikes(&dir);
    warnings.extend(verification(&set, &input, snapshot.as_deref())?);
    let rebuild = rebuild::plan(host, &dir, &set, &input, snapshot.as_deref())?;
    tokens::expand(&set, &dir, &rebuild, &warnings, &input)
}

/// A warning of the expansion: the use of a deprecated item called `item` whose note is the
/// message, the one way a macro can make stable rustc warn.
#[derive(Debug)]
struct Warning {
    /// The item's name, part of rustc's message (``use of deprecated constant `item` ``).
    item: String,
    /// The message.
    note: String,
}

/// The error for `verify` without the feature that links SQLite into the macro.
#[cfg(not(feature = "verify"))]
fn missing_feature(input: &MacroInput) -> Option<syn::Error> {
    input.verify.as_ref().map(|token| {
        syn::Error::new(
            token.span(),
            "`verify` needs the `verify` feature of migrate-runtime: \
             `migrate-runtime = { ..., features = [\"verify\"] }`",
        )
    })
}

#[cfg(feature = "verify")]
fn missing_feature(_: &MacroInput) -> Option<syn::Error> {
    None
}

/// With `verify`: every failure as an error, every lint as a warning, the snapshot compared.
#[cfg(feature = "verify")]
fn verification(
    set: &crate::MigrationSet,
    input: &MacroInput,
    snapshot: Option<&Path>,
) -> syn::Result<Vec<Warning>> {
    match input.verify {
        Some(_) => check::check(set, input, snapshot),
        None => Ok(Vec::new()),
    }
}

/// Without the feature there is nothing to verify: `verify` was refused by `missing_feature`.
#[cfg(not(feature = "verify"))]
fn verification(
    _: &crate::MigrationSet,
    _: &MacroInput,
    _: Option<&Path>,
) -> syn::Result<Vec<Warning>> {
    Ok(Vec::new())
}

/// The expansion when there are errors: the errors, then a value of the right type, so the
/// compiler reports only the real problems and no knock-on type errors.
pub fn error_placeholder(error: syn::Error) -> TokenStream {
    let errors = error.to_compile_error();
    quote! {
        {
            #errors
            ::migrate_runtime::__private::EMPTY
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

#[cfg(test)]
mod tests {
    use std::fs;

    use crate::MigrationSet;
    use crate::packed::PackedSet;
    use proc_macro2::Literal;
    use quote::quote;

    use super::*;

    /// A calling crate in a temporary directory: `(path, contents)` relative to its root.
    fn calling_crate(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (path, contents) in files {
            let path = dir.path().join(path);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, contents).unwrap();
        }
        dir
    }

    fn host(manifest_dir: &Path) -> Host {
        Host {
            manifest_dir: manifest_dir.to_path_buf(),
            tracking: Tracking::BuildScript,
        }
    }

    /// The expansion as text, or every error message.
    fn expand_in(manifest_dir: &Path, input: TokenStream) -> Result<String, Vec<String>> {
        expand_with(input, &host(manifest_dir))
            .map(|tokens| tokens.to_string())
            .map_err(|errors| errors.into_iter().map(|e| e.to_string()).collect())
    }

    const RULE: &str = "fn main() { println!(\"cargo:rerun-if-changed=migrations\"); }\n";

    #[test]
    fn a_valid_set_expands_to_its_packed_literals() {
        let krate = calling_crate(&[
            ("build.rs", RULE),
            ("migrations/0001_a.sql", "CREATE TABLE a (x);\r\n"),
            ("migrations/0001_a.down.sql", "DROP TABLE a;"),
            ("migrations/0002_b.sql", "SELECT 'b;'; SELECT 2;"),
            ("migrations/README.md", "ignored"),
        ]);
        let tokens = expand_in(krate.path(), quote!("migrations")).unwrap();

        let set = MigrationSet::from_dir(&krate.path().join("migrations")).unwrap();
        let packed = PackedSet::pack(&set).unwrap();
        for literal in [
            Literal::string("0001_a.sql0002_b.sql"),
            Literal::string("CREATE TABLE a (x);\nSELECT 'b;'; SELECT 2;"),
            Literal::string("DROP TABLE a;"),
            Literal::byte_string(&packed.index),
            Literal::byte_string(&packed.statement_ends),
            Literal::byte_string(&packed.checksums),
            Literal::byte_string(&packed.history_checksum),
        ] {
            let literal = literal.to_string();
            assert!(tokens.contains(&literal), "{literal} not in {tokens}");
        }
        assert!(tokens.contains(":: migrate_runtime :: __private :: from_embedded"));
        assert!(!tokens.contains("include_bytes"), "{tokens}");
        assert!(!tokens.contains("deprecated"), "{tokens}");
    }

    #[test]
    fn a_trailing_comma_is_accepted() {
        let krate = calling_crate(&[("build.rs", RULE), ("migrations/1_a.sql", "SELECT 1;")]);
        assert!(expand_in(krate.path(), quote!("migrations",)).is_ok());
        assert!(expand_in(krate.path(), quote!(r"migrations")).is_ok());
    }

    #[test]
    fn every_problem_becomes_one_error() {
        let krate = calling_crate(&[
            ("migrations/0001_a.sql", "SELECT 1;"),
            ("migrations/0003_c.sql", ""),
            ("migrations/0004_d.sql", "VACUUM;"),
            ("migrations/x.sql", "SELECT 1;"),
        ]);
        let errors = expand_in(krate.path(), quote!("migrations")).unwrap_err();
        let problems = MigrationSet::from_dir(&krate.path().join("migrations")).unwrap_err();
        let expected: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert_eq!(errors, expected);
        assert_eq!(errors.len(), 4);
        assert!(errors[1].starts_with("gap in migration versions: `0001_a.sql` is followed by"));
    }

    #[test]
    fn directory_errors_show_the_resolved_absolute_path() {
        let krate = calling_crate(&[("file.sql", "SELECT 1;"), ("empty/.gitkeep", "")]);
        let root = krate.path().display();
        for (input, expected) in [
            (
                quote!("missing"),
                format!("migrations directory `{root}/missing` does not exist"),
            ),
            (
                quote!("./empty/../missing/"),
                format!("migrations directory `{root}/missing` does not exist"),
            ),
            (
                quote!("file.sql"),
                format!("migrations path `{root}/file.sql` is not a directory"),
            ),
            (
                quote!("empty"),
                format!(
                    "no migrations found in `{root}/empty`: add a file such as `0001_init.sql`"
                ),
            ),
        ] {
            assert_eq!(expand_in(krate.path(), input), Err(vec![expected]));
        }
    }

    #[test]
    fn the_argument_must_be_one_string_literal() {
        let krate = calling_crate(&[]);
        let expected_literal = "expected the migrations directory as a string literal, e.g. \
                                `embed_migrations!(\"migrations\")`";
        let extra = "unexpected argument: `embed_migrations!` takes only the directory";
        for (input, expected) in [
            (
                quote!(),
                &format!("unexpected end of input, {expected_literal}")[..],
            ),
            (quote!(migrations), expected_literal),
            (quote!(b"migrations"), expected_literal),
            (quote!(42), expected_literal),
            (quote!(concat!("a", "b")), expected_literal),
            (quote!("a" "b"), extra),
            (quote!("a", "b"), extra),
            (quote!("a",,), extra),
        ] {
            assert_eq!(
                expand_in(krate.path(), input.clone()),
                Err(vec![expected.to_owned()]),
                "{input}"
            );
        }
    }

    #[test]
    fn verify_and_schema_are_parsed_and_checked() {
        let krate = calling_crate(&[]);
        let errors = |input: TokenStream| expand_in(krate.path(), input).unwrap_err();
        for (input, expected) in [
            (
                quote!("migrations", schema = "migrations/schema.sql"),
                "`schema` compares the schema the migrations build, which needs `verify`: \
                 write `embed_migrations!(\"...\", verify, schema = \"...\")`",
            ),
            (
                quote!("migrations", verfy),
                "unknown argument `verfy`: `embed_migrations!` takes the directory, then \
                 optionally `verify` and `schema = \"...\"`",
            ),
            (
                quote!("migrations", verify, verify),
                "`verify` is given twice",
            ),
            (
                quote!("migrations", verify = true),
                "`verify` takes no value: write `embed_migrations!(\"...\", verify)`",
            ),
            (
                quote!("migrations", verify schema = "s.sql"),
                "expected `,` between the arguments",
            ),
            (
                quote!("migrations", verify, schema = "a.sql", schema = "b.sql"),
                "`schema` is given twice",
            ),
        ] {
            assert_eq!(errors(input.clone()), [expected], "{input}");
        }
        let expected_schema = "expected the snapshot file as a string literal, e.g. \
                               `schema = \"migrations/schema.sql\"`";
        for input in [
            quote!("migrations", verify, schema),
            quote!("migrations", verify, schema = 1),
            quote!("migrations", verify, schema = ""),
            quote!("migrations", verify, schema = concat!("a", "b")),
        ] {
            assert_eq!(errors(input.clone()), [expected_schema], "{input}");
        }
    }

    #[test]
    fn the_arguments_are_accepted_in_either_order() {
        for input in [
            quote!("m", verify, schema = "s.sql"),
            quote!("m", schema = "s.sql", verify,),
            quote!("m", verify,),
        ] {
            let parsed: MacroInput = syn::parse2(input.clone()).unwrap();
            assert!(parsed.verify.is_some(), "{input}");
        }
        let parsed: MacroInput = syn::parse2(quote!("m", verify, schema = "s.sql")).unwrap();
        assert_eq!(parsed.schema.unwrap().value(), "s.sql");
    }

    #[cfg(not(feature = "verify"))]
    #[test]
    fn verify_without_the_feature_says_which_feature_to_enable() {
        let feature = "`verify` needs the `verify` feature of migrate-runtime: \
                       `migrate-runtime = { ..., features = [\"verify\"] }`";
        let krate = calling_crate(&[("build.rs", RULE), ("migrations/0001_a.sql", "SELECT 1;")]);
        assert_eq!(
            expand_in(krate.path(), quote!("migrations", verify)),
            Err(vec![feature.to_owned()])
        );
        assert_eq!(
            expand_in(
                krate.path(),
                quote!("migrations", verify, schema = "schema.sql")
            ),
            Err(vec![feature.to_owned()])
        );
        // Together with the set's own problems, in the same build.
        let krate = calling_crate(&[("migrations/0002_b.sql", "SELECT 1;")]);
        let errors = expand_in(krate.path(), quote!("migrations", verify)).unwrap_err();
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert_eq!(errors[0], feature);
        assert!(
            errors[1].starts_with("gap in migration versions"),
            "{errors:?}"
        );
    }

    #[test]
    fn without_verify_the_expansion_is_unchanged() {
        // With or without the feature: no SQLite is called (the engine is not even needed).
        let krate = calling_crate(&[("build.rs", RULE), ("migrations/0001_a.sql", "SELECT 1;")]);
        let plain = expand_in(krate.path(), quote!("migrations")).unwrap();
        let comma = expand_in(krate.path(), quote!("migrations",)).unwrap();
        assert_eq!(plain, comma);
        assert!(!plain.contains("deprecated"), "{plain}");
    }

    #[test]
    fn a_snapshot_in_the_migrations_directory_is_not_a_migration() {
        let krate = calling_crate(&[
            ("build.rs", RULE),
            ("migrations/0001_a.sql", "CREATE TABLE a (x);"),
            (
                "migrations/schema.sql",
                "-- 0001_a.sql\nCREATE TABLE a (x);\n",
            ),
        ]);
        let dir = krate.path().join("migrations");
        let input: MacroInput = syn::parse2(quote!("migrations")).unwrap();
        let set = load::load(&dir, Some("schema.sql"), &input).unwrap();
        assert_eq!(set.files(), ["0001_a.sql"]);
        // Only that file: without it, `schema.sql` is an invalid migration name.
        assert!(load::load(&dir, None, &input).is_err());
        assert!(load::load(&dir, Some("other.sql"), &input).is_err());
        // Without `schema`, the plain macro still refuses it.
        let errors = expand_in(krate.path(), quote!("migrations")).unwrap_err();
        assert!(errors[0].contains("`schema.sql`"), "{errors:?}");
        // A snapshot elsewhere with the same name does not hide the file in the directory.
        let errors = expand_in(
            krate.path(),
            quote!("migrations", verify, schema = "schema.sql"),
        )
        .unwrap_err();
        assert!(
            errors.iter().any(|e| e.contains("`schema.sql`")),
            "{errors:?}"
        );
        // With the snapshot in the directory, the set loads (what follows is verification).
        let errors = expand_in(
            krate.path(),
            quote!("migrations", verify, schema = "migrations/schema.sql"),
        );
        if let Err(errors) = errors {
            assert!(
                !errors.iter().any(|e| e.contains("`schema.sql`")),
                "{errors:?}"
            );
        }
    }

    #[test]
    fn each_warning_is_one_deprecated_item_used_once() {
        let set =
            MigrationSet::from_entries([crate::set::Entry::file("1_a.sql", "SELECT 1;")]).unwrap();
        let input: MacroInput = syn::parse2(quote!("migrations")).unwrap();
        let warnings = [
            Warning {
                item: "destructive".to_owned(),
                note: "migrate::destructive: one".to_owned(),
            },
            Warning {
                item: "destructive".to_owned(),
                note: "migrate::destructive: two".to_owned(),
            },
        ];
        let tokens = tokens::expand(
            &set,
            Path::new("migrations"),
            &Default::default(),
            &warnings,
            &input,
        )
        .unwrap()
        .to_string();
        for note in ["one", "two"] {
            let item = format!(
                "{{ # [deprecated (note = \"migrate::destructive: {note}\")] \
                 # [allow (non_upper_case_globals)] const destructive : () = () ; \
                 let () = destructive ; }}"
            );
            assert!(tokens.contains(&item), "{item} not in {tokens}");
        }
    }

    #[test]
    fn the_error_placeholder_is_a_value_of_the_right_type() {
        let error = syn::Error::new(Span::call_site(), "boom");
        let tokens = error_placeholder(error).to_string();
        assert!(tokens.contains("compile_error"), "{tokens}");
        assert!(tokens.contains("\"boom\""), "{tokens}");
        assert!(tokens.contains(":: migrate_runtime :: __private :: EMPTY"));
    }

    #[test]
    fn resolve_removes_dot_components() {
        let base = Path::new("/crate");
        for (path, expected) in [
            ("migrations", "/crate/migrations"),
            ("./migrations/", "/crate/migrations"),
            ("db/../migrations", "/crate/migrations"),
            ("../shared/migrations", "/shared/migrations"),
            ("/abs/migrations", "/abs/migrations"),
            (".", "/crate"),
        ] {
            assert_eq!(resolve(base, path), Path::new(expected), "{path}");
        }
    }
}
