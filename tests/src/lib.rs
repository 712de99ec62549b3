//! Building crates that use `embed_migrations!` with cargo, the way users build them.
//!
//! A [`Fixture`] copies the checked-in template `fixtures/app` (a binary that prints its
//! embedded migrations) into a temporary directory, writes its `Cargo.toml` with an absolute
//! path to `migrate-runtime`, and builds it with a real `cargo build`.
//!
//! Speed: every fixture shares one target directory (`target/fixture-builds`, or
//! `target/fixture-builds-nightly` on nightly) and a copy of the workspace's `Cargo.lock`, so
//! SQLite and the dependencies are compiled once and only the small fixture crate is built per
//! test. Fixtures hold a global lock for their whole life, so tests in one binary build one at a
//! time instead of fighting over cargo's lock.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use migrate_rules::{Checksum, Entry, MigrationSet};
use migrate_test_kit::{fixture, workspace_root};

/// The toolchain a fixture is built with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Toolchain {
    /// The toolchain running the tests.
    Stable,
    /// `rustup run nightly`, with `RUSTFLAGS="--cfg migrate_unstable"`.
    Nightly,
}

/// One migration as the fixture binary reports it (or as the files on disk say it must be).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reported {
    /// The version.
    pub version: i64,
    /// The description part of the file name.
    pub name: String,
    /// The up file's name.
    pub file_name: String,
    /// `sha256:<hex>`.
    pub checksum: String,
    /// The number of statements of the up SQL.
    pub statement_count: usize,
}

/// The result of `cargo build`.
#[derive(Debug)]
pub struct Build {
    /// True when cargo succeeded.
    pub success: bool,
    /// Everything cargo and rustc printed: warnings and errors.
    pub stderr: String,
}

/// True when `rustup run nightly` works on this machine.
pub fn nightly_available() -> bool {
    Command::new("rustup")
        .args(["run", "nightly", "rustc", "--version"])
        .env_remove("RUSTUP_TOOLCHAIN")
        .output()
        .is_ok_and(|output| output.status.success())
}

/// Serializes fixture builds: they share a target directory.
static BUILDS: Mutex<()> = Mutex::new(());

/// A copy of the fixture template in a temporary directory.
pub struct Fixture {
    dir: tempfile::TempDir,
    name: String,
    toolchain: Toolchain,
    last_build_finished: Option<Instant>,
    // Dropped last: the fixture's artifacts are removed while the lock is held.
    _lock: MutexGuard<'static, ()>,
}

impl Fixture {
    /// Copies the template into a new crate called `name` (unique per test), with the
    /// template's `build.rs` (the `rerun-if-changed` rule) or without any build script.
    pub fn new(name: &str, toolchain: Toolchain, with_build_script: bool) -> Fixture {
        Fixture::with_features(name, toolchain, with_build_script, &[])
    }

    /// [`Fixture::new`] with more features of migrate-runtime than `bundled`, e.g. `verify`.
    pub fn with_features(
        name: &str,
        toolchain: Toolchain,
        with_build_script: bool,
        features: &[&str],
    ) -> Fixture {
        // A test that failed while holding the lock leaves nothing inconsistent behind.
        let lock = BUILDS
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let dir = tempfile::Builder::new()
            .prefix(&format!("{name}-"))
            .tempdir()
            .unwrap();
        let template = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/app");
        copy_dir(&template, dir.path());
        if !with_build_script {
            fs::remove_file(dir.path().join("build.rs")).unwrap();
        }
        let manifest = format!(
            "[package]\n\
             name = \"{name}\"\n\
             version = \"0.0.0\"\n\
             edition = \"2024\"\n\
             publish = false\n\
             \n\
             [dependencies]\n\
             {runtime}\n\
             \n\
             # Not part of the repository's workspace.\n\
             [workspace]\n",
            runtime = fixture::runtime_dependency_with(&workspace_root(), features),
        );
        fs::write(dir.path().join("Cargo.toml"), manifest).unwrap();
        // The workspace's versions, so that nothing is resolved anew.
        fixture::copy_lock(dir.path()).unwrap();
        Fixture {
            dir,
            name: name.to_owned(),
            toolchain,
            last_build_finished: None,
            _lock: lock,
        }
    }

    /// The crate's directory.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The crate's `migrations` directory.
    pub fn migrations(&self) -> PathBuf {
        self.path().join("migrations")
    }

    /// Creates or overwrites a migration file.
    pub fn write_migration(&mut self, file: &str, contents: impl AsRef<[u8]>) {
        self.before_change();
        fs::write(self.migrations().join(file), contents).unwrap();
    }

    /// Creates or overwrites any file of the crate, e.g. `src/main.rs`.
    pub fn write_file(&mut self, path: &str, contents: impl AsRef<[u8]>) {
        self.before_change();
        let path = self.path().join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, contents).unwrap();
    }

    /// Makes the fixture's `embed_migrations!` call take `arguments` (the directory first),
    /// e.g. `"migrations", verify`.
    pub fn set_macro_arguments(&mut self, arguments: &str) {
        let main = fs::read_to_string(self.path().join("src/main.rs")).unwrap();
        let call = "embed_migrations!(";
        let start = main
            .find(call)
            .expect("the template calls embed_migrations!")
            + call.len();
        let end = start + main[start..].find(");").unwrap();
        let main = format!("{}{arguments}{}", &main[..start], &main[end..]);
        self.write_file("src/main.rs", main);
    }

    /// Deletes a migration file.
    pub fn remove_migration(&mut self, file: &str) {
        self.before_change();
        fs::remove_file(self.migrations().join(file)).unwrap();
    }

    /// Renames a migration file.
    pub fn rename_migration(&mut self, from: &str, to: &str) {
        self.before_change();
        fs::rename(self.migrations().join(from), self.migrations().join(to)).unwrap();
    }

    /// Cargo notices a change when a file's mtime is later than its record of the last build.
    /// On a file system with one-second timestamps, a change in the same second as the end of
    /// the last build would look unchanged, so wait until that second is over.
    fn before_change(&self) {
        if let Some(finished) = self.last_build_finished {
            let tick = Duration::from_millis(1100);
            if let Some(rest) = tick.checked_sub(finished.elapsed()) {
                std::thread::sleep(rest);
            }
        }
    }

    /// Runs `cargo build`.
    pub fn build(&mut self) -> Build {
        self.build_with_env(&[])
    }

    /// Runs `cargo build` with these environment variables set, e.g. `MIGRATE_BLESS=1`.
    pub fn build_with_env(&mut self, env: &[(&str, &str)]) -> Build {
        let target = workspace_root().join("target").join(match self.toolchain {
            Toolchain::Stable => "fixture-builds",
            Toolchain::Nightly => "fixture-builds-nightly",
        });
        let mut cargo = match self.toolchain {
            Toolchain::Stable => {
                Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
            }
            Toolchain::Nightly => {
                let mut rustup = Command::new("rustup");
                rustup
                    .args(["run", "nightly", "cargo"])
                    .env_remove("RUSTUP_TOOLCHAIN")
                    .env_remove("CARGO")
                    .env_remove("RUSTC")
                    .env_remove("RUSTDOC");
                rustup
            }
        };
        // Only the flags of this test: flags from the environment would change every
        // dependency's fingerprint and rebuild SQLite.
        for var in [
            "RUSTFLAGS",
            "CARGO_ENCODED_RUSTFLAGS",
            "CARGO_BUILD_RUSTFLAGS",
            "CARGO_TARGET_DIR",
            "CARGO_BUILD_TARGET_DIR",
            "__MIGRATE_MACROS_TEST_MANIFEST_DIR",
            "MIGRATE_BLESS",
            "MIGRATE_VERIFY_TIMEOUT_MS",
        ] {
            cargo.env_remove(var);
        }
        cargo.envs(env.iter().copied());
        if self.toolchain == Toolchain::Nightly {
            cargo.env("RUSTFLAGS", "--cfg migrate_unstable");
        }
        let output = cargo
            .args(["build", "--color", "never", "--target-dir"])
            .arg(&target)
            .current_dir(self.path())
            .env("CARGO_TERM_COLOR", "never")
            .output()
            .expect("cargo runs");
        self.last_build_finished = Some(Instant::now());
        Build {
            success: output.status.success(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Runs `cargo build` and requires it to succeed; returns what it printed.
    #[track_caller]
    pub fn build_ok(&mut self) -> String {
        let build = self.build();
        assert!(build.success, "cargo build failed:\n{}", build.stderr);
        build.stderr
    }

    /// The built binary.
    pub fn binary(&self) -> PathBuf {
        let target = workspace_root().join("target").join(match self.toolchain {
            Toolchain::Stable => "fixture-builds",
            Toolchain::Nightly => "fixture-builds-nightly",
        });
        target
            .join("debug")
            .join(format!("{}{}", self.name, std::env::consts::EXE_SUFFIX))
    }

    /// Runs the built binary and parses the migrations it reports.
    #[track_caller]
    pub fn run(&self) -> Vec<Reported> {
        let output = Command::new(self.binary())
            .output()
            .expect("the fixture runs");
        assert!(
            output.status.success(),
            "the fixture failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let stdout = String::from_utf8(output.stdout).unwrap();
        stdout
            .lines()
            .map(|line| {
                let fields: Vec<&str> = line.split('\t').collect();
                assert_eq!(fields.len(), 5, "unexpected line {line:?}");
                Reported {
                    version: fields[0].parse().unwrap(),
                    name: fields[1].to_owned(),
                    file_name: fields[2].to_owned(),
                    checksum: fields[3].to_owned(),
                    statement_count: fields[4].parse().unwrap(),
                }
            })
            .collect()
    }

    /// What the binary must report for the files now on disk: names and statements from
    /// `migrate-rules`, checksums of each file's bytes.
    pub fn expected(&self) -> Vec<Reported> {
        self.expected_without("")
    }

    /// [`Fixture::expected`] when the file `skip` of the migrations directory is no migration
    /// (the schema snapshot of `embed_migrations!(..., schema = "migrations/<skip>")`).
    pub fn expected_without(&self, skip: &str) -> Vec<Reported> {
        let dir = self.migrations();
        let entries = fs::read_dir(&dir).unwrap().map(|entry| {
            let entry = entry.unwrap();
            let name = entry.file_name().into_string().unwrap();
            if entry.file_type().unwrap().is_dir() {
                Entry::directory(name)
            } else {
                Entry::file(name, fs::read(entry.path()).unwrap())
            }
        });
        let set = MigrationSet::from_entries(
            entries.filter(|entry| !matches!(entry, Entry::File { name, .. } if name == skip)),
        )
        .unwrap_or_else(|problems| panic!("{problems}"));
        set.migrations()
            .iter()
            .map(|m| Reported {
                version: m.version,
                name: m.description.clone(),
                file_name: m.up.file_name.clone(),
                checksum: Checksum::of_sql(&fs::read(dir.join(&m.up.file_name)).unwrap())
                    .to_string(),
                statement_count: m.up.statements.len(),
            })
            .collect()
    }
}

impl Drop for Fixture {
    /// Removes this fixture's own artifacts from the shared target directory, which would
    /// otherwise grow with every run (each run's fixtures live at new paths).
    fn drop(&mut self) {
        let debug = self.binary().parent().unwrap().to_path_buf();
        let package = format!("{}-", self.name);
        let krate = format!("{}-", self.name.replace('-', "_"));
        for (dir, prefix) in [
            (debug.join("deps"), &krate),
            (debug.join("incremental"), &krate),
            (debug.join(".fingerprint"), &package),
            (debug.join("build"), &package),
        ] {
            let Ok(entries) = fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                if entry
                    .file_name()
                    .to_string_lossy()
                    .starts_with(prefix.as_str())
                {
                    let path = entry.path();
                    let _ = if path.is_dir() {
                        fs::remove_dir_all(&path)
                    } else {
                        fs::remove_file(&path)
                    };
                }
            }
        }
        let _ = fs::remove_file(self.binary());
        let _ = fs::remove_file(self.binary().with_extension("d"));
    }
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}
