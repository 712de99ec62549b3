//! The rules of a migration set, in one place.
//!
//! Both the compile-time macro (`migrate-macros`) and the runtime (`migrate-runtime`) call this
//! crate, so a directory that compiles is exactly a directory that [`MigrationSet::from_dir`]
//! accepts at run time, and the checksum the macro embeds is the checksum the runtime computes.
//!
//! - [`name`]: the file-name grammar `<version>_<description>.sql` / `.down.sql`.
//! - [`checksum`]: `sha256:<hex>` of the normalized SQL, and the history checksum chain.
//! - [`split`]: an SQL statement splitter that follows SQLite's lexical rules.
//! - [`set`]: validation of a whole directory, reporting every problem at once.
//! - [`packed`]: the layout the macro embeds and the runtime reads.
//! - `expand` (feature `expand`, off by default): the expansion of `embed_migrations!` over
//!   `proc_macro2`, which `migrate-macros` wraps; only this feature adds `syn`.
//!
//! - `verify` (feature `verify`, off by default): the set applied to an in-memory SQLite
//!   database at build time; only this feature adds rusqlite.
//!
//! This crate never names the `proc_macro` crate; without `verify` it has no dependency on
//! SQLite.
//!
//! ```
//! use migrate_rules::{Entry, MigrationSet};
//!
//! let set = MigrationSet::from_entries(vec![
//!     Entry::file("0001_create_users.sql", "CREATE TABLE users (id INTEGER PRIMARY KEY);"),
//!     Entry::file("0002_add_email.sql", "ALTER TABLE users ADD COLUMN email TEXT;"),
//! ])?;
//! assert_eq!(set.migrations().len(), 2);
//! assert_eq!(set.migrations()[1].description, "add_email");
//! # Ok::<(), migrate_rules::Problems>(())
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod checksum;
#[cfg(feature = "expand")]
pub mod expand;
pub mod name;
pub mod packed;
pub mod set;
pub mod split;
#[cfg(feature = "verify")]
pub mod verify;

pub use checksum::Checksum;
pub use name::{FileKind, FileName, NameError};
pub use set::{Entry, Migration, MigrationSet, Problem, Problems, Script};
pub use split::{Statement, StrayCharacter, TransactionConflict};

/// The first line that makes a migration run outside a transaction.
pub const NO_TRANSACTION_DIRECTIVE: &str = "-- migrate:no-transaction";
