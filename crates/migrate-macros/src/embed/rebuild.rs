//! Rebuilds: how cargo learns that the migrations directory changed.
//!
//! Cargo re-runs a macro only when the calling crate is rebuilt, and on stable Rust a macro
//! cannot register a directory as an input. The documented fix is one line in the calling
//! crate's `build.rs`: `println!("cargo:rerun-if-changed=migrations");`. This module checks that
//! the line is there; when it is not, the expansion tracks each file with `include_bytes!` (so
//! edits are still seen) and emits a warning that says exactly what to add, because additions,
//! removals and renames would otherwise be missed silently. On nightly with
//! `--cfg migrate_unstable`, `proc_macro::tracked::path` registers the directory and no build
//! script is needed.

use std::path::{Path, PathBuf};

use migrate_core::MigrationSet;

use super::{Host, MacroInput, resolve};

/// How the build is told about changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tracking {
    /// The compiler tracks the directory itself (nightly, `--cfg migrate_unstable`).
    #[cfg_attr(not(migrate_unstable), allow(dead_code))]
    Compiler,
    /// A `cargo:rerun-if-changed` rule in the calling crate's build script is needed.
    BuildScript,
}

impl Tracking {
    /// [`Tracking::Compiler`] when built with `--cfg migrate_unstable` inside a real macro
    /// invocation, otherwise [`Tracking::BuildScript`].
    pub fn detect() -> Self {
        #[cfg(migrate_unstable)]
        if proc_macro::is_available() {
            return Tracking::Compiler;
        }
        Tracking::BuildScript
    }
}

/// What the expansion must add so that the next build notices changes.
#[derive(Debug, Default)]
pub struct RebuildPlan {
    /// Files to read with `include_bytes!`, which makes rustc track them.
    pub include_files: Vec<PathBuf>,
    /// A warning to emit, when additions or removals would go unnoticed.
    pub warning: Option<String>,
}

/// Decides the [`RebuildPlan`] for one expansion.
pub fn plan(
    host: &Host,
    dir: &Path,
    set: &MigrationSet,
    input: &MacroInput,
) -> syn::Result<RebuildPlan> {
    let files = set.files().iter().map(|f| dir.join(f));
    match host.tracking {
        Tracking::Compiler => {
            track_with_compiler(dir, files);
            Ok(RebuildPlan::default())
        }
        Tracking::BuildScript if build_script_tracks(&host.manifest_dir, dir) => {
            Ok(RebuildPlan::default())
        }
        Tracking::BuildScript => {
            let rule = format!(
                "println!(\"cargo:rerun-if-changed={}\");",
                input.path.value()
            );
            Ok(RebuildPlan {
                include_files: files.collect(),
                warning: Some(format!(
                    "`embed_migrations!` will not notice new, removed or renamed files in `{}`: \
                     add `{rule}` to `fn main` in this crate's build.rs \
                     (or build on nightly with `--cfg migrate_unstable`)",
                    input.path.value()
                )),
            })
        }
    }
}

#[cfg(migrate_unstable)]
fn track_with_compiler(dir: &Path, files: impl Iterator<Item = PathBuf>) {
    // Tracking the directory catches additions, removals and renames; each file, its edits.
    for path in std::iter::once(dir.to_path_buf()).chain(files) {
        if let Some(path) = path.to_str() {
            proc_macro::tracked::path(path);
        }
    }
}

#[cfg(not(migrate_unstable))]
fn track_with_compiler(_dir: &Path, _files: impl Iterator<Item = PathBuf>) {}

/// True when the calling crate's build script prints `rerun-if-changed` for `dir`.
///
/// Reads the script as text: a literal path is compared with `dir`; a formatted one
/// (`rerun-if-changed={}`) cannot be checked and is trusted.
pub fn build_script_tracks(manifest_dir: &Path, dir: &Path) -> bool {
    let Some(script) = build_script(manifest_dir) else {
        return false;
    };
    let Ok(source) = std::fs::read_to_string(&script) else {
        return false;
    };
    source
        .match_indices("rerun-if-changed=")
        .any(|(at, marker)| {
            let rest = &source[at + marker.len()..];
            let path: String = rest
                .chars()
                .take_while(|c| !matches!(c, '"' | ')' | '\n' | '\\'))
                .collect();
            path.contains('{') || resolve(manifest_dir, path.trim_end_matches('/')) == dir
        })
}

/// The calling crate's build script: `package.build` in its `Cargo.toml`, else `build.rs`.
fn build_script(manifest_dir: &Path) -> Option<PathBuf> {
    let manifest = std::fs::read_to_string(manifest_dir.join("Cargo.toml")).unwrap_or_default();
    for line in manifest.lines() {
        let Some(value) = line.trim().strip_prefix("build").map(str::trim_start) else {
            continue;
        };
        let Some(value) = value.strip_prefix('=').map(str::trim) else {
            continue;
        };
        if value == "false" {
            return None;
        }
        if let Some(path) = value.strip_prefix('"').and_then(|v| v.split('"').next()) {
            return Some(manifest_dir.join(path));
        }
    }
    let default = manifest_dir.join("build.rs");
    default.is_file().then_some(default)
}
