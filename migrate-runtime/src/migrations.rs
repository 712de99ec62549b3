//! The migration set: embedded by the macro or built at run time from a directory.

use std::borrow::Cow;
use std::fmt;
use std::path::Path;

use migrate_rules::packed::{PackedSet, PackedView, ScriptView};
use migrate_rules::{Checksum, Entry, MigrationSet};

use crate::error::{Error, MigrationRef};

/// A validated, ordered set of migrations, versions `1..=n` with no gap.
///
/// Usually built by the compiler with [`embed_migrations!`](crate::embed_migrations), which makes
/// it a constant: no parsing, hashing or allocation at run time. [`Migrations::from_dir`] builds
/// the same value at run time, checked by the same rules.
///
/// ```
/// use migrate_runtime::{rusqlite::Connection, Migrations};
///
/// static MIGRATIONS: Migrations = migrate_runtime::embed_migrations!("tests/doc_migrations");
///
/// let mut conn = Connection::open_in_memory()?;
/// MIGRATIONS.run(&mut conn)?;
/// for m in MIGRATIONS.iter() {
///     println!("{} {} {}", m.version(), m.name(), m.checksum());
/// }
/// # Ok::<(), migrate_runtime::Error>(())
/// ```
pub struct Migrations {
    names: Cow<'static, str>,
    up_sql: Cow<'static, str>,
    down_sql: Cow<'static, str>,
    index: Cow<'static, [u8]>,
    statement_ends: Cow<'static, [u8]>,
    checksums: Cow<'static, [u8]>,
    history_checksum: [u8; 32],
    /// The directory the set was read from, when known.
    source_dir: SourceDir,
}

/// Where a set's files were read from.
enum SourceDir {
    /// The macro's absolute path, as it expanded (empty when it was not UTF-8).
    Embedded(&'static str),
    /// The directory given to [`Migrations::from_dir`].
    Dir(std::path::PathBuf),
    /// Built from files or an `include_dir` tree.
    Unknown,
}

impl Migrations {
    /// The set in the layout the macro writes (see `crate::__private`).
    pub(crate) const fn from_embedded(set: crate::__private::EmbeddedSet) -> Migrations {
        Migrations {
            names: Cow::Borrowed(set.names),
            up_sql: Cow::Borrowed(set.up_sql),
            down_sql: Cow::Borrowed(set.down_sql),
            index: Cow::Borrowed(set.index),
            statement_ends: Cow::Borrowed(set.statement_ends),
            checksums: Cow::Borrowed(set.checksums),
            history_checksum: set.history_checksum,
            source_dir: SourceDir::Embedded(set.source_dir),
        }
    }

    /// The directory the migrations were read from: the absolute path `embed_migrations!`
    /// resolved when it expanded (on the machine that built the binary), or the directory
    /// given to [`Migrations::from_dir`]. `None` for a set built from files in memory. The
    /// CLI's `new` writes there by default.
    ///
    /// ```
    /// static MIGRATIONS: migrate_runtime::Migrations =
    ///     migrate_runtime::embed_migrations!("tests/doc_migrations");
    ///
    /// let dir = MIGRATIONS.source_dir().unwrap();
    /// assert!(dir.is_absolute() && dir.ends_with("tests/doc_migrations"));
    /// ```
    pub fn source_dir(&self) -> Option<&Path> {
        match &self.source_dir {
            SourceDir::Embedded("") | SourceDir::Unknown => None,
            SourceDir::Embedded(dir) => Some(Path::new(dir)),
            SourceDir::Dir(dir) => Some(dir),
        }
    }

    /// Reads and validates a migrations directory at run time.
    ///
    /// The rules and messages are those of `embed_migrations!`; prefer the macro, which reports
    /// problems at build time.
    ///
    /// # Errors
    /// [`Error::InvalidSet`] listing every problem found.
    ///
    /// ```
    /// let migrations = migrate_runtime::Migrations::from_dir("tests/doc_migrations")?;
    /// assert_eq!(migrations.iter().next().unwrap().name(), "create_notes");
    /// # Ok::<(), migrate_runtime::Error>(())
    /// ```
    pub fn from_dir(dir: impl AsRef<Path>) -> Result<Migrations, Error> {
        let set = MigrationSet::from_dir(dir.as_ref()).map_err(Error::InvalidSet)?;
        let mut migrations = Self::from_set(&set)?;
        migrations.source_dir = SourceDir::Dir(
            std::path::absolute(dir.as_ref()).unwrap_or_else(|_| dir.as_ref().to_path_buf()),
        );
        Ok(migrations)
    }

    /// Validates a set from an [`include_dir::Dir`] embedded by the application.
    ///
    /// # Errors
    /// [`Error::InvalidSet`] listing every problem found.
    #[cfg(feature = "include-dir")]
    pub fn from_include_dir(dir: &include_dir::Dir<'_>) -> Result<Migrations, Error> {
        let name = |path: &Path| {
            path.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        };
        let entries = dir.entries().iter().map(|entry| match entry {
            include_dir::DirEntry::Dir(d) => Entry::directory(name(d.path())),
            include_dir::DirEntry::File(f) => Entry::file(name(f.path()), f.contents()),
        });
        let set = MigrationSet::from_entries(entries).map_err(Error::InvalidSet)?;
        Self::from_set(&set)
    }

    /// Validates a set from in-memory files (name and contents), for sets generated by code.
    ///
    /// # Errors
    /// [`Error::InvalidSet`] listing every problem found.
    ///
    /// ```
    /// let migrations = migrate_runtime::Migrations::from_files([
    ///     ("1_people.sql", "CREATE TABLE people (name TEXT);"),
    /// ])?;
    /// assert_eq!(migrations.len(), 1);
    /// # Ok::<(), migrate_runtime::Error>(())
    /// ```
    pub fn from_files<N, C>(files: impl IntoIterator<Item = (N, C)>) -> Result<Migrations, Error>
    where
        N: Into<String>,
        C: Into<Vec<u8>>,
    {
        let entries = files
            .into_iter()
            .map(|(name, contents)| Entry::file(name, contents));
        let set = MigrationSet::from_entries(entries).map_err(Error::InvalidSet)?;
        Self::from_set(&set)
    }

    fn from_set(set: &MigrationSet) -> Result<Migrations, Error> {
        let packed = PackedSet::pack(set)?;
        Ok(Migrations {
            names: Cow::Owned(packed.names),
            up_sql: Cow::Owned(packed.up_sql),
            down_sql: Cow::Owned(packed.down_sql),
            index: Cow::Owned(packed.index),
            statement_ends: Cow::Owned(packed.statement_ends),
            checksums: Cow::Owned(packed.checksums),
            history_checksum: packed.history_checksum,
            source_dir: SourceDir::Unknown,
        })
    }

    pub(crate) fn view(&self) -> PackedView<'_> {
        PackedView::new(
            &self.names,
            &self.up_sql,
            &self.down_sql,
            &self.index,
            &self.statement_ends,
            &self.checksums,
        )
    }

    /// The number of migrations.
    pub fn len(&self) -> usize {
        self.view().len()
    }

    /// True for a set without migrations (only the placeholder after a compile error).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The highest version, 0 for an empty set.
    pub fn latest_version(&self) -> i64 {
        self.len() as i64
    }

    /// The migration with this version.
    pub fn get(&self, version: i64) -> Option<Migration<'_>> {
        let index = usize::try_from(version.checked_sub(1)?).ok()?;
        (index < self.len()).then(|| Migration {
            set: self.view(),
            index,
        })
    }

    /// The migrations in version order.
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            set: self.view(),
            range: 0..self.len(),
        }
    }

    /// The packed file names of the set, one string: with the history checksum, what tells
    /// two sets apart in the test database templates (`crate::testing`).
    pub(crate) fn packed_names(&self) -> &str {
        &self.names
    }

    /// The history checksum of the whole set: one value that stands for every migration's
    /// checksum in order. The up-to-date check compares it with the database's.
    pub fn history_checksum(&self) -> Checksum {
        Checksum::from_bytes(self.history_checksum)
    }
}

impl fmt::Debug for Migrations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<'a> IntoIterator for &'a Migrations {
    type Item = Migration<'a>;
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

/// Iterator over a set's migrations, from [`Migrations::iter`].
#[derive(Clone)]
pub struct Iter<'a> {
    set: PackedView<'a>,
    range: std::ops::Range<usize>,
}

impl<'a> Iterator for Iter<'a> {
    type Item = Migration<'a>;

    fn next(&mut self) -> Option<Migration<'a>> {
        let index = self.range.next()?;
        Some(Migration {
            set: self.set,
            index,
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.range.size_hint()
    }
}

impl DoubleEndedIterator for Iter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        let index = self.range.next_back()?;
        Some(Migration {
            set: self.set,
            index,
        })
    }
}

impl ExactSizeIterator for Iter<'_> {}

/// One migration of a set.
#[derive(Clone, Copy)]
pub struct Migration<'a> {
    set: PackedView<'a>,
    index: usize,
}

impl<'a> Migration<'a> {
    /// The version, from 1.
    pub fn version(&self) -> i64 {
        self.index as i64 + 1
    }

    /// The description part of the file name: `add_orders` for `0003_add_orders.sql`.
    pub fn name(&self) -> &'a str {
        let file = self.file_name();
        let stem = file.strip_suffix(".sql").unwrap_or(file);
        stem.split_once('_').map_or(stem, |(_, name)| name)
    }

    /// The up file's name, e.g. `0003_add_orders.sql`.
    pub fn file_name(&self) -> &'a str {
        self.set.file_name(self.index)
    }

    /// The down file's name, e.g. `0003_add_orders.down.sql`, when the migration has one.
    pub fn down_file_name(&self) -> Option<String> {
        self.has_down().then(|| {
            let file = self.file_name();
            format!("{}.down.sql", file.strip_suffix(".sql").unwrap_or(file))
        })
    }

    /// The checksum of the up SQL, `sha256:<hex>` when displayed.
    pub fn checksum(&self) -> Checksum {
        self.set.checksum(self.index)
    }

    /// The up SQL, normalized (no byte-order mark, LF line endings).
    pub fn sql(&self) -> &'a str {
        self.set.up(self.index).sql
    }

    /// The down SQL, if the migration has a down file.
    pub fn down_sql(&self) -> Option<&'a str> {
        self.set.down(self.index).map(|script| script.sql)
    }

    /// True when the migration has a down file.
    pub fn has_down(&self) -> bool {
        self.set.down(self.index).is_some()
    }

    /// True when the up file starts with `-- migrate:no-transaction`.
    pub fn no_transaction(&self) -> bool {
        self.set.up(self.index).no_transaction
    }

    /// The number of statements in the up SQL.
    pub fn statement_count(&self) -> usize {
        self.set.up(self.index).statement_count()
    }

    pub(crate) fn up(&self) -> ScriptView<'a> {
        self.set.up(self.index)
    }

    pub(crate) fn down(&self) -> Option<ScriptView<'a>> {
        self.set.down(self.index)
    }
}

impl fmt::Debug for Migration<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Migration")
            .field("version", &self.version())
            .field("file_name", &self.file_name())
            .field("checksum", &self.checksum())
            .field("has_down", &self.has_down())
            .field("no_transaction", &self.no_transaction())
            .finish()
    }
}

impl fmt::Display for Migration<'_> {
    /// `migration 3 (0003_add_orders.sql)`, the way every error names a migration.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "migration {} ({})", self.version(), self.file_name())
    }
}

impl MigrationRef {
    pub(crate) fn of(migration: &Migration<'_>) -> Self {
        MigrationRef {
            version: migration.version(),
            file: migration.file_name().to_owned(),
        }
    }
}
