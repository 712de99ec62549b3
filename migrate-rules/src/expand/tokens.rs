//! Writing the embedded set: a handful of literals in the [packed](crate::packed) layout, however
//! many migrations there are, so the compiler's work stays small.

use proc_macro2::{Literal, TokenStream};
use quote::{quote, quote_spanned};

use crate::MigrationSet;
use crate::packed::PackedSet;

use super::rebuild::RebuildPlan;
use super::{MacroInput, Warning};

/// The expression of type `migrate_runtime::Migrations` for a validated set, with the
/// `warnings` of verification (lints, a rewritten snapshot).
pub(super) fn expand(
    set: &MigrationSet,
    dir: &std::path::Path,
    rebuild: &RebuildPlan,
    warnings: &[Warning],
    input: &MacroInput,
) -> syn::Result<TokenStream> {
    // Where the set came from, for the CLI's `new` (a path that is not UTF-8 is left out).
    let source_dir = Literal::string(dir.to_str().unwrap_or_default());
    let packed = PackedSet::pack(set).map_err(|e| syn::Error::new(input.path.span(), e))?;
    let names = Literal::string(&packed.names);
    let up_sql = Literal::string(&packed.up_sql);
    let down_sql = Literal::string(&packed.down_sql);
    let index = Literal::byte_string(&packed.index);
    let statement_ends = Literal::byte_string(&packed.statement_ends);
    let checksums = Literal::byte_string(&packed.checksums);
    let history_checksum = Literal::byte_string(&packed.history_checksum);

    let tracked = rebuild
        .include_files
        .iter()
        .filter_map(|path| path.to_str())
        .map(|path| {
            quote! { const _: &[u8] = ::core::include_bytes!(#path); }
        });
    // The use carries the literal's span so the warning points at the user's code.
    let warning = rebuild.warning.as_deref().map(|note| {
        quote_spanned! {input.path.span()=>
            #[deprecated(note = #note)]
            #[allow(non_upper_case_globals)]
            const add_rerun_if_changed_to_build_rs: () = ();
            let () = add_rerun_if_changed_to_build_rs;
        }
    });

    // One deprecated item per warning, used once, each in its own block so that names repeat.
    let warnings = warnings.iter().map(|Warning { item, note }| {
        let item = syn::Ident::new(item, input.path.span());
        quote_spanned! {input.path.span()=>
            {
                #[deprecated(note = #note)]
                #[allow(non_upper_case_globals)]
                const #item: () = ();
                let () = #item;
            }
        }
    });

    Ok(quote! {
        {
            #(#tracked)*
            #warning
            #(#warnings)*
            ::migrate_runtime::__private::from_embedded(
                ::migrate_runtime::__private::EmbeddedSet {
                    names: #names,
                    up_sql: #up_sql,
                    down_sql: #down_sql,
                    index: #index,
                    statement_ends: #statement_ends,
                    checksums: #checksums,
                    history_checksum: *#history_checksum,
                    source_dir: #source_dir,
                },
            )
        }
    })
}
