//! Writing a plan: into a new or empty directory only, all files or none.

use std::fs;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use super::error::ImportError;
use super::map::IMPORTED_FILE;
use super::plan::ImportPlan;

impl ImportPlan {
    /// Checks that `target` can receive the import: it does not exist, or it is an empty
    /// directory. `--dry-run` calls it too, so that a dry run finds what a real one would.
    ///
    /// # Errors
    /// [`ImportError::TargetNotEmpty`] when `target` exists and is not an empty directory
    /// (a file counts as not empty), [`ImportError::Read`] when it cannot be listed.
    ///
    /// ```
    /// use migrate_runtime::import::{ImportError, ImportPlan, SourceTool};
    ///
    /// let source = tempfile::tempdir()?;
    /// std::fs::write(source.path().join("V1__init.sql"), "CREATE TABLE t (x);\n")?;
    /// let plan = ImportPlan::new(SourceTool::Refinery, source.path())?;
    /// let target = tempfile::tempdir()?;
    /// plan.check_target(&target.path().join("new"))?; // missing: fine
    /// plan.check_target(target.path())?; // empty: fine
    /// std::fs::write(target.path().join("0001_old.sql"), "SELECT 1;")?;
    /// assert!(matches!(plan.check_target(target.path()), Err(ImportError::TargetNotEmpty { .. })));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn check_target(&self, target: &Path) -> Result<(), ImportError> {
        // Importing a directory into itself: the usual case is a set already called
        // `migrations`, which must move aside first.
        if let (Ok(a), Ok(b)) = (
            fs::canonicalize(target),
            fs::canonicalize(self.source_dir()),
        ) && a == b
        {
            return Err(ImportError::TargetIsSource {
                path: target.to_path_buf(),
            });
        }
        match fs::read_dir(target) {
            Ok(mut entries) => match entries.next() {
                None => Ok(()),
                Some(_) => Err(ImportError::TargetNotEmpty {
                    path: target.to_path_buf(),
                }),
            },
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) if target.exists() && !target.is_dir() => {
                log::debug!("`{}` is not a directory: {e}", target.display());
                Err(ImportError::TargetNotEmpty {
                    path: target.to_path_buf(),
                })
            }
            Err(e) => Err(ImportError::read(target)(e)),
        }
    }

    /// Everything [`ImportPlan::write`] checks before writing: no problems, then
    /// [`ImportPlan::check_target`]. `import --dry-run` calls it to fail as a real run would.
    pub(crate) fn check_writable(&self, target: &Path) -> Result<(), ImportError> {
        if !self.problems().is_empty() {
            return Err(ImportError::Refused {
                problems: self.problems().to_vec(),
            });
        }
        self.check_target(target)
    }

    /// Writes the planned files and `IMPORTED.toml` into `target`, creating it (and its
    /// parents) when missing. Returns the paths written, `IMPORTED.toml` last.
    ///
    /// ```
    /// use migrate_runtime::import::{ImportMap, ImportPlan, SourceTool};
    ///
    /// let source = tempfile::tempdir()?;
    /// let step = source.path().join("20240105093000_init");
    /// std::fs::create_dir(&step)?;
    /// std::fs::write(step.join("migration.sql"), "CREATE TABLE \"User\" (id INTEGER);\n")?;
    ///
    /// let target = tempfile::tempdir()?;
    /// let migrations = target.path().join("migrations");
    /// let plan = ImportPlan::new(SourceTool::Prisma, source.path())?;
    /// plan.write(&migrations)?;
    /// assert!(migrations.join("0001_init.sql").is_file());
    /// assert_eq!(ImportMap::read(&migrations)?.migrations[0].source, "20240105093000_init");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`ImportError::Refused`] when the plan has problems, [`ImportError::TargetNotEmpty`],
    /// [`ImportError::Write`]. Nothing is left behind after an error: the files written
    /// so far, and the directory if this call created it, are removed.
    pub fn write(&self, target: &Path) -> Result<Vec<PathBuf>, ImportError> {
        self.check_writable(target)?;
        let mut written = Written::new(target)?;
        for file in self.files() {
            written.create(&file.name, &file.contents)?;
        }
        written.create(IMPORTED_FILE, self.map().to_toml().as_bytes())?;
        Ok(written.keep())
    }
}

/// Files written so far; removed on drop unless kept, so that a failure halfway leaves the
/// target as it was.
struct Written {
    dir: PathBuf,
    /// The directory this import created (the outermost one), removed with the files.
    created: Option<PathBuf>,
    files: Vec<PathBuf>,
}

impl Written {
    fn new(dir: &Path) -> Result<Written, ImportError> {
        let created = if dir.exists() {
            None
        } else {
            // The outermost missing ancestor is what removing must undo.
            let mut outermost = dir.to_path_buf();
            while let Some(parent) = outermost.parent() {
                if parent.as_os_str().is_empty() || parent.exists() {
                    break;
                }
                outermost = parent.to_path_buf();
            }
            fs::create_dir_all(dir).map_err(ImportError::write(dir))?;
            Some(outermost)
        };
        Ok(Written {
            dir: dir.to_path_buf(),
            created,
            files: Vec::new(),
        })
    }

    /// Creates `name` with `contents`, never overwriting.
    fn create(&mut self, name: &str, contents: &[u8]) -> Result<(), ImportError> {
        let path = self.dir.join(name);
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(ImportError::write(&path))?;
        self.files.push(path.clone());
        file.write_all(contents)
            .and_then(|()| file.sync_all())
            .map_err(ImportError::write(&path))
    }

    fn keep(mut self) -> Vec<PathBuf> {
        self.created = None;
        std::mem::take(&mut self.files)
    }
}

impl Drop for Written {
    fn drop(&mut self) {
        for file in &self.files {
            if let Err(e) = fs::remove_file(file) {
                log::warn!(
                    "cannot remove `{}` after a failed import: {e}",
                    file.display()
                );
            }
        }
        if let Some(dir) = &self.created
            && let Err(e) = fs::remove_dir_all(dir)
        {
            log::warn!(
                "cannot remove `{}` after a failed import: {e}",
                dir.display()
            );
        }
    }
}
