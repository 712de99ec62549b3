//! Rebuilds: how cargo learns that the migrations directory changed.
//!
//! Cargo re-runs a macro only when the calling crate is rebuilt, and on stable Rust a macro
//! cannot register a directory as an input. The documented fix is one line in the calling
//! crate's `build.rs`: `println!("cargo:rerun-if-changed=migrations");`. This module checks that
//! the line is there; when it is not, the expansion tracks each file with `include_bytes!` (so
//! edits are still seen) and emits a warning that says exactly what to add, because additions,
//! removals and renames would otherwise be missed silently. On nightly with
//! `--cfg migrate_unstable`, the macro crate passes [`Tracking::Compiler`] with a function that
//! calls `proc_macro::tracked::path`, which registers the directory: no build script is needed.

use std::path::{Path, PathBuf};

use crate::MigrationSet;

use super::{Host, MacroInput, resolve};

/// How the build is told about changes.
#[derive(Debug, Clone, Copy)]
pub enum Tracking {
    /// The compiler tracks the directory itself (nightly, `--cfg migrate_unstable`): the
    /// function is called with the directory, then with each migration file (paths that are
    /// not UTF-8 are skipped). `migrate-macros` passes one that calls
    /// `proc_macro::tracked::path`, which only a proc-macro crate can name.
    Compiler(fn(&str)),
    /// A `cargo:rerun-if-changed` rule in the calling crate's build script is needed.
    BuildScript,
}

/// What the expansion must add so that the next build notices changes.
#[derive(Debug, Default)]
pub(super) struct RebuildPlan {
    /// Files to read with `include_bytes!`, which makes rustc track them.
    pub(super) include_files: Vec<PathBuf>,
    /// A warning to emit, when additions or removals would go unnoticed.
    pub(super) warning: Option<String>,
}

/// Decides the [`RebuildPlan`] for one expansion.
///
/// `snapshot` is the schema snapshot file of `schema = "..."`, an input like the migrations:
/// the compiler tracks it, or, when it exists, the expansion includes it (a directory rule in
/// the build script would not cover it outside the migrations directory).
pub(super) fn plan(
    host: &Host,
    dir: &Path,
    set: &MigrationSet,
    input: &MacroInput,
    snapshot: Option<&Path>,
) -> syn::Result<RebuildPlan> {
    let files = set.files().iter().map(|f| dir.join(f));
    let snapshot_file = snapshot
        .filter(|path| path.is_file())
        .map(Path::to_path_buf);
    match host.tracking {
        Tracking::Compiler(track) => {
            // The directory catches additions, removals and renames; each file, its edits.
            let paths = std::iter::once(dir.to_path_buf())
                .chain(files)
                .chain(snapshot.map(Path::to_path_buf));
            for path in paths {
                if let Some(path) = path.to_str() {
                    track(path);
                }
            }
            Ok(RebuildPlan::default())
        }
        Tracking::BuildScript if build_script_tracks(&host.manifest_dir, dir) => Ok(RebuildPlan {
            include_files: snapshot_file.into_iter().collect(),
            warning: None,
        }),
        Tracking::BuildScript => {
            let rule = format!(
                "println!(\"cargo:rerun-if-changed={}\");",
                input.path.value()
            );
            Ok(RebuildPlan {
                include_files: files.chain(snapshot_file).collect(),
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

/// True when the calling crate's build script prints `rerun-if-changed` for `dir`.
///
/// Reads the script as text: a literal path is compared with `dir`; a formatted one
/// (`rerun-if-changed={}`) cannot be checked and is trusted.
fn build_script_tracks(manifest_dir: &Path, dir: &Path) -> bool {
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

#[cfg(test)]
mod tests {
    use std::fs;

    use quote::quote;

    use super::super::{expand_with, load};
    use super::*;

    /// A calling crate with one valid migration and the given extra files.
    fn calling_crate(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let mut all = vec![("migrations/0001_a.sql", "SELECT 1;")];
        all.extend_from_slice(files);
        for (path, contents) in all {
            let path = dir.path().join(path);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, contents).unwrap();
        }
        dir
    }

    fn tracks(files: &[(&str, &str)]) -> bool {
        let krate = calling_crate(files);
        build_script_tracks(krate.path(), &krate.path().join("migrations"))
    }

    fn build_rs(line: &str) -> String {
        format!("fn main() {{\n    {line}\n}}\n")
    }

    #[test]
    fn a_rerun_rule_for_the_directory_is_found() {
        for line in [
            r#"println!("cargo:rerun-if-changed=migrations");"#,
            r#"println!("cargo::rerun-if-changed=migrations");"#,
            r#"println!("cargo:rerun-if-changed=migrations/");"#,
            r#"println!("cargo:rerun-if-changed=./migrations");"#,
            r#"println!("cargo:rerun-if-changed=src/../migrations");"#,
            r#"println!("cargo:rerun-if-changed=build.rs"); println!("cargo:rerun-if-changed=migrations");"#,
            r#"println!("cargo:rerun-if-changed={}", dir.display());"#,
        ] {
            assert!(tracks(&[("build.rs", build_rs(line).as_str())]), "{line}");
        }
    }

    #[test]
    fn a_missing_or_different_rule_is_not_enough() {
        assert!(!tracks(&[]), "no build script");
        for line in [
            "",
            r#"println!("cargo:rerun-if-changed=build.rs");"#,
            r#"println!("cargo:rerun-if-changed=migrations2");"#,
            r#"println!("cargo:rerun-if-changed=db/migrations");"#,
            r#"println!("cargo:rerun-if-env-changed=migrations");"#,
        ] {
            assert!(!tracks(&[("build.rs", build_rs(line).as_str())]), "{line}");
        }
    }

    #[test]
    fn the_build_script_named_in_cargo_toml_is_read() {
        let rule = build_rs(r#"println!("cargo:rerun-if-changed=migrations");"#);
        let manifest = |build: &str| {
            format!("[package]\nname = \"app\"\nversion = \"0.1.0\"\n{build}\n\n[dependencies]\n")
        };
        // A custom path with the rule.
        assert!(tracks(&[
            (
                "Cargo.toml",
                manifest("build = \"tools/build_main.rs\"").as_str()
            ),
            ("tools/build_main.rs", rule.as_str()),
        ]));
        // A custom path without it: a build.rs beside Cargo.toml does not count.
        assert!(!tracks(&[
            (
                "Cargo.toml",
                manifest("build = \"tools/build_main.rs\"").as_str()
            ),
            ("tools/build_main.rs", "fn main() {}"),
            ("build.rs", rule.as_str()),
        ]));
        // `build = false` disables build.rs even when it has the rule.
        assert!(!tracks(&[
            ("Cargo.toml", manifest("build = false").as_str()),
            ("build.rs", rule.as_str()),
        ]));
        // Keys that only start with `build` are not the build script.
        assert!(tracks(&[
            (
                "Cargo.toml",
                manifest("[build-dependencies]\nbuild-helper = \"1\"").as_str(),
            ),
            ("build.rs", rule.as_str()),
        ]));
    }

    fn host(krate: &tempfile::TempDir, tracking: Tracking) -> Host {
        Host {
            manifest_dir: krate.path().to_path_buf(),
            tracking,
        }
    }

    fn plan_for(krate: &tempfile::TempDir, tracking: Tracking) -> RebuildPlan {
        let input: MacroInput = syn::parse2(quote!("migrations")).unwrap();
        let dir = krate.path().join("migrations");
        let set = load::load(&dir, None, &input).unwrap();
        plan(&host(krate, tracking), &dir, &set, &input, None).unwrap()
    }

    #[test]
    fn with_the_rule_there_is_no_warning_and_nothing_to_include() {
        let rule = build_rs(r#"println!("cargo:rerun-if-changed=migrations");"#);
        let krate = calling_crate(&[("build.rs", rule.as_str())]);
        let plan = plan_for(&krate, Tracking::BuildScript);
        assert_eq!(plan.warning, None);
        assert!(plan.include_files.is_empty());
        let tokens = expand_with(quote!("migrations"), &host(&krate, Tracking::BuildScript))
            .unwrap()
            .to_string();
        assert!(!tokens.contains("include_bytes"), "{tokens}");
        assert!(!tokens.contains("deprecated"), "{tokens}");
    }

    #[test]
    fn without_the_rule_the_warning_says_what_to_add() {
        let krate = calling_crate(&[
            ("migrations/0001_a.down.sql", "SELECT 1;"),
            ("migrations/0002_b.sql", "SELECT 2;"),
            ("migrations/notes.txt", "ignored"),
            ("build.rs", "fn main() {}"),
        ]);
        let plan = plan_for(&krate, Tracking::BuildScript);
        let warning = plan.warning.unwrap();
        assert!(
            warning.contains(r#"add `println!("cargo:rerun-if-changed=migrations");` to `fn main` in this crate's build.rs"#),
            "{warning}"
        );
        assert!(warning.contains("`--cfg migrate_unstable`"), "{warning}");
        let dir = krate.path().join("migrations");
        let mut included = plan.include_files.clone();
        included.sort();
        assert_eq!(
            included,
            [
                dir.join("0001_a.down.sql"),
                dir.join("0001_a.sql"),
                dir.join("0002_b.sql")
            ]
        );

        // The expansion carries the warning as a deprecation and tracks every file.
        let tokens = expand_with(quote!("migrations"), &host(&krate, Tracking::BuildScript))
            .unwrap()
            .to_string();
        assert!(tokens.contains("deprecated"), "{tokens}");
        assert!(
            tokens.contains("add_rerun_if_changed_to_build_rs"),
            "{tokens}"
        );
        assert!(
            tokens.contains(r#"println!(\"cargo:rerun-if-changed=migrations\");"#),
            "{tokens}"
        );
        for file in &included {
            let include = format!(
                "include_bytes ! ({})",
                proc_macro2::Literal::string(file.to_str().unwrap())
            );
            assert!(tokens.contains(&include), "{include} not in {tokens}");
        }
    }

    #[test]
    fn the_warning_names_the_path_as_written() {
        let krate = calling_crate(&[]);
        let input: MacroInput = syn::parse2(quote!("./migrations/")).unwrap();
        let dir = krate.path().join("migrations");
        let set = load::load(&dir, None, &input).unwrap();
        let plan = plan(
            &host(&krate, Tracking::BuildScript),
            &dir,
            &set,
            &input,
            None,
        )
        .unwrap();
        assert!(
            plan.warning
                .unwrap()
                .contains(r#"println!("cargo:rerun-if-changed=./migrations/");"#)
        );
    }

    #[test]
    fn the_schema_snapshot_is_an_input() {
        let rule = build_rs(r#"println!("cargo:rerun-if-changed=migrations");"#);
        let krate = calling_crate(&[
            ("build.rs", rule.as_str()),
            ("migrations/schema.sql", "-- snapshot"),
            ("db/schema.sql", "-- snapshot"),
        ]);
        let input: MacroInput = syn::parse2(quote!("migrations")).unwrap();
        let dir = krate.path().join("migrations");
        let set = load::load(&dir, Some("schema.sql"), &input).unwrap();
        assert_eq!(set.files(), ["0001_a.sql"]);
        for snapshot in ["migrations/schema.sql", "db/schema.sql"] {
            let snapshot = krate.path().join(snapshot);
            let planned = plan(
                &host(&krate, Tracking::BuildScript),
                &dir,
                &set,
                &input,
                Some(&snapshot),
            )
            .unwrap();
            assert_eq!(planned.include_files, std::slice::from_ref(&snapshot));
            assert_eq!(planned.warning, None);
        }
        // A snapshot not written yet is not included (it would not compile).
        let missing = krate.path().join("missing.sql");
        let without = plan(
            &host(&krate, Tracking::BuildScript),
            &dir,
            &set,
            &input,
            Some(&missing),
        )
        .unwrap();
        assert!(without.include_files.is_empty());
        // The compiler tracks it after the directory and the migrations.
        TRACKED.with(|tracked| tracked.take());
        let snapshot = dir.join("schema.sql");
        plan(
            &host(&krate, Tracking::Compiler(record)),
            &dir,
            &set,
            &input,
            Some(&snapshot),
        )
        .unwrap();
        let tracked = TRACKED.with(|tracked| tracked.take());
        assert_eq!(
            tracked,
            [&dir, &dir.join("0001_a.sql"), &snapshot].map(|p| p.to_str().unwrap().to_owned())
        );
    }

    thread_local! {
        static TRACKED: std::cell::RefCell<Vec<String>> = const { std::cell::RefCell::new(Vec::new()) };
    }

    fn record(path: &str) {
        TRACKED.with(|tracked| tracked.borrow_mut().push(path.to_owned()));
    }

    #[test]
    fn compiler_tracking_needs_no_build_script() {
        let krate = calling_crate(&[
            ("migrations/0001_a.down.sql", "SELECT 1;"),
            ("migrations/notes.txt", "ignored"),
        ]);
        let plan = plan_for(&krate, Tracking::Compiler(record));
        assert_eq!(plan.warning, None);
        assert!(plan.include_files.is_empty());

        // The directory first, then every migration file, and nothing else.
        let dir = krate.path().join("migrations");
        let tracked = TRACKED.with(|tracked| tracked.take());
        assert_eq!(tracked[0], dir.to_str().unwrap());
        let mut files = tracked[1..].to_vec();
        files.sort();
        assert_eq!(
            files,
            [dir.join("0001_a.down.sql"), dir.join("0001_a.sql")]
                .map(|path| path.to_str().unwrap().to_owned())
        );
    }
}
