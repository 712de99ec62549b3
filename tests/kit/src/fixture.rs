//! Pieces of the fixture crates that tests build with a real `cargo build`, as users build
//! them: a dependency on this workspace's migrate-runtime and the workspace's lock file.

use std::path::Path;

use crate::workspace_root;

/// The `[dependencies]` line of a crate that uses the migrate-runtime of the workspace at
/// `workspace` (by absolute path; [`workspace_root`] or a snapshot of it) with SQLite built
/// from source.
pub fn runtime_dependency(workspace: &Path) -> String {
    runtime_dependency_with(workspace, &[])
}

/// [`runtime_dependency`] with more features of migrate-runtime, e.g. `verify`.
pub fn runtime_dependency_with(workspace: &Path, features: &[&str]) -> String {
    let features: Vec<String> = std::iter::once("bundled")
        .chain(features.iter().copied())
        .map(|feature| format!("\"{feature}\""))
        .collect();
    format!(
        "migrate-runtime = {{ path = {}, features = [{}] }}",
        toml_string(&workspace.join("migrate-runtime")),
        features.join(", ")
    )
}

/// Copies the workspace's `Cargo.lock` into the crate at `dir`, so that it resolves the
/// workspace's versions: offline, and SQLite and the dependencies are not compiled anew.
pub fn copy_lock(dir: &Path) -> std::io::Result<()> {
    std::fs::copy(workspace_root().join("Cargo.lock"), dir.join("Cargo.lock")).map(drop)
}

/// A TOML basic string holding `path`.
pub fn toml_string(path: &Path) -> String {
    let text = path.to_str().expect("the workspace path is UTF-8");
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
