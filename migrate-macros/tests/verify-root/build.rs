// Never compiled. `tests/verify.rs` points `embed_migrations!` at this directory as the calling
// crate's root, and the macro reads this file to see that the migrations directories are
// tracked, so the verify cases show only their own errors and warnings, not the warning about
// a missing rerun rule. A formatted rule such as this one is trusted by the macro.
fn main() {
    for case in ["ui-verify", "ui-verify-pass"] {
        println!("cargo:rerun-if-changed={}", format!("../{case}"));
    }
}
