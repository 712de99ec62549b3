//! The compact layout in which a validated set is embedded in a binary.
//!
//! A set of N migrations becomes six flat values instead of N structs: three concatenated
//! strings (file names, up SQL, down SQL), and three byte tables (a 24-byte index entry per
//! migration, a `u32` end offset per statement, a 32-byte checksum per migration). That keeps
//! the per-migration cost in the binary near the SQL itself (no pointers, so no relocations),
//! and the macro's output a handful of literals whatever N is, which is what keeps compile times
//! flat.
//!
//! The macro writes this layout with [`PackedSet::pack`]; the runtime reads it through
//! [`PackedView`]. A set built at run time uses the same two functions, so both paths share one
//! encoder and one decoder.
//!
//! ```
//! use migrate_rules::{packed::PackedSet, Entry, MigrationSet};
//!
//! let set = MigrationSet::from_entries(vec![
//!     Entry::file("01_users.sql", "CREATE TABLE users (id INTEGER PRIMARY KEY);\nCREATE INDEX i ON users (id);"),
//!     Entry::file("01_users.down.sql", "DROP TABLE users;"),
//! ]).unwrap();
//! let packed = PackedSet::pack(&set).unwrap();
//! let view = packed.view();
//! assert_eq!(view.len(), 1);
//! assert_eq!(view.file_name(0), "01_users.sql");
//! let up = view.up(0);
//! assert_eq!(up.statement_count(), 2);
//! assert_eq!(up.statement(1).text, "CREATE INDEX i ON users (id);");
//! assert_eq!(up.statement(1).line(), 2);
//! assert_eq!(view.down(0).unwrap().statement(0).text, "DROP TABLE users;");
//! ```

use thiserror::Error;

use crate::checksum::Checksum;
use crate::set::{MigrationSet, Script};
use crate::split::skip_trivia;

/// Bytes per migration in [`PackedSet::index`]: six little-endian `u32`s.
pub const INDEX_ENTRY_LEN: usize = 24;

const FLAG_UP_NO_TRANSACTION: u32 = 1;
const FLAG_HAS_DOWN: u32 = 2;
const FLAG_DOWN_NO_TRANSACTION: u32 = 4;

/// A set too large for 32-bit offsets.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("the migration set is too large to embed: offsets must fit in 32 bits (4 GiB of SQL)")]
pub struct TooLarge;

/// A set in the embedded layout, owning its data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackedSet {
    /// Every up file name, concatenated.
    pub names: String,
    /// Every up script, concatenated.
    pub up_sql: String,
    /// Every down script, concatenated.
    pub down_sql: String,
    /// Per migration, six `u32` (little endian): end of its name in `names`, end of its up
    /// script in `up_sql`, end of its down script in `down_sql`, end of its up statements and
    /// of its down statements in `statement_ends`, flags.
    pub index: Vec<u8>,
    /// Per statement, a `u32` (little endian): the end of the statement, relative to the start
    /// of its script.
    pub statement_ends: Vec<u8>,
    /// Per migration, the 32 bytes of its checksum.
    pub checksums: Vec<u8>,
    /// The history checksum of the whole set.
    pub history_checksum: [u8; 32],
}

impl PackedSet {
    /// Packs a validated set.
    ///
    /// # Errors
    /// [`TooLarge`] when an offset does not fit in a `u32`.
    pub fn pack(set: &MigrationSet) -> Result<Self, TooLarge> {
        let mut packed = PackedSet {
            names: String::new(),
            up_sql: String::new(),
            down_sql: String::new(),
            index: Vec::with_capacity(set.migrations().len() * INDEX_ENTRY_LEN),
            statement_ends: Vec::new(),
            checksums: Vec::with_capacity(set.migrations().len() * 32),
            history_checksum: *set.history_checksum().as_bytes(),
        };
        let mut statements = 0usize;
        for migration in set.migrations() {
            packed.names.push_str(&migration.up.file_name);
            packed.up_sql.push_str(&migration.up.sql);
            statements = packed.push_statements(&migration.up, statements)?;
            let up_statements = statements;
            let mut flags = 0;
            if migration.up.no_transaction {
                flags |= FLAG_UP_NO_TRANSACTION;
            }
            if let Some(down) = &migration.down {
                flags |= FLAG_HAS_DOWN;
                if down.no_transaction {
                    flags |= FLAG_DOWN_NO_TRANSACTION;
                }
                packed.down_sql.push_str(&down.sql);
                statements = packed.push_statements(down, statements)?;
            }
            for value in [
                packed.names.len(),
                packed.up_sql.len(),
                packed.down_sql.len(),
                up_statements,
                statements,
                flags as usize,
            ] {
                packed
                    .index
                    .extend_from_slice(&to_u32(value)?.to_le_bytes());
            }
            packed
                .checksums
                .extend_from_slice(migration.up.checksum.as_bytes());
        }
        Ok(packed)
    }

    fn push_statements(&mut self, script: &Script, count: usize) -> Result<usize, TooLarge> {
        for statement in &script.statements {
            self.statement_ends
                .extend_from_slice(&to_u32(statement.end)?.to_le_bytes());
        }
        Ok(count + script.statements.len())
    }

    /// A borrowed view of this set.
    pub fn view(&self) -> PackedView<'_> {
        PackedView {
            names: &self.names,
            up_sql: &self.up_sql,
            down_sql: &self.down_sql,
            index: &self.index,
            statement_ends: &self.statement_ends,
            checksums: &self.checksums,
        }
    }
}

fn to_u32(value: usize) -> Result<u32, TooLarge> {
    u32::try_from(value).map_err(|_| TooLarge)
}

/// Read access to a set in the embedded layout.
///
/// Indexes are 0-based positions; migration `i` has version `i + 1`. Accessors take any index
/// below [`PackedView::len`]; the data is produced by [`PackedSet::pack`], and out-of-range
/// reads yield empty values rather than panicking.
#[derive(Debug, Clone, Copy)]
pub struct PackedView<'a> {
    names: &'a str,
    up_sql: &'a str,
    down_sql: &'a str,
    index: &'a [u8],
    statement_ends: &'a [u8],
    checksums: &'a [u8],
}

impl<'a> PackedView<'a> {
    /// A view over the six parts of a packed set (see [`PackedSet`] for their meaning).
    pub const fn new(
        names: &'a str,
        up_sql: &'a str,
        down_sql: &'a str,
        index: &'a [u8],
        statement_ends: &'a [u8],
        checksums: &'a [u8],
    ) -> Self {
        PackedView {
            names,
            up_sql,
            down_sql,
            index,
            statement_ends,
            checksums,
        }
    }

    /// The number of migrations.
    pub const fn len(&self) -> usize {
        self.index.len() / INDEX_ENTRY_LEN
    }

    /// True when the set has no migration.
    pub const fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The up file name of migration `i`.
    pub fn file_name(&self, i: usize) -> &'a str {
        slice(self.names, self.field(i, 0, 1)..self.field(i, 0, 0))
    }

    /// The checksum of migration `i`'s up script.
    pub fn checksum(&self, i: usize) -> Checksum {
        let mut bytes = [0u8; 32];
        if let Some(stored) = self.checksums.get(i * 32..i * 32 + 32) {
            bytes.copy_from_slice(stored);
        }
        Checksum::from_bytes(bytes)
    }

    /// The up script of migration `i`.
    pub fn up(&self, i: usize) -> ScriptView<'a> {
        let flags = self.field(i, 5, 0);
        ScriptView {
            sql: slice(self.up_sql, self.field(i, 1, 1)..self.field(i, 1, 0)),
            ends: self.ends(self.field(i, 4, 1)..self.field(i, 3, 0)),
            no_transaction: flags & FLAG_UP_NO_TRANSACTION as usize != 0,
        }
    }

    /// The down script of migration `i`, if it has one.
    pub fn down(&self, i: usize) -> Option<ScriptView<'a>> {
        let flags = self.field(i, 5, 0);
        (flags & FLAG_HAS_DOWN as usize != 0).then(|| ScriptView {
            sql: slice(self.down_sql, self.field(i, 2, 1)..self.field(i, 2, 0)),
            ends: self.ends(self.field(i, 3, 0)..self.field(i, 4, 0)),
            no_transaction: flags & FLAG_DOWN_NO_TRANSACTION as usize != 0,
        })
    }

    /// Field `field` of entry `i`, or with `previous == 1` the same field of entry `i - 1`
    /// (0 before the first entry): ends of one entry are starts of the next.
    fn field(&self, i: usize, field: usize, previous: usize) -> usize {
        let Some(entry) = i.checked_sub(previous) else {
            return 0;
        };
        read_u32(self.index, entry * 6 + field)
    }

    fn ends(&self, statements: std::ops::Range<usize>) -> &'a [u8] {
        self.statement_ends
            .get(statements.start * 4..statements.end * 4)
            .unwrap_or(&[])
    }
}

/// One script (up or down) of a packed set.
#[derive(Debug, Clone, Copy)]
pub struct ScriptView<'a> {
    /// The whole script.
    pub sql: &'a str,
    ends: &'a [u8],
    /// True when the script opts out of the transaction.
    pub no_transaction: bool,
}

impl<'a> ScriptView<'a> {
    /// The number of statements.
    pub fn statement_count(&self) -> usize {
        self.ends.len() / 4
    }

    /// Statement `i` (0-based).
    pub fn statement(&self, i: usize) -> StatementView<'a> {
        let from = i.checked_sub(1).map_or(0, |p| read_u32(self.ends, p));
        let to = read_u32(self.ends, i);
        let owned = slice(self.sql, from..to);
        let start = from + skip_trivia(owned);
        StatementView {
            index: i,
            text: slice(self.sql, start..to),
            start,
            script: self.sql,
        }
    }

    /// Every statement, in order.
    pub fn statements(&self) -> impl ExactSizeIterator<Item = StatementView<'a>> + 'a {
        let this = *self;
        (0..self.statement_count()).map(move |i| this.statement(i))
    }
}

/// One statement of a packed script.
#[derive(Debug, Clone, Copy)]
pub struct StatementView<'a> {
    /// 0-based position in the script.
    pub index: usize,
    /// The statement from its first token through its `;`.
    pub text: &'a str,
    /// Byte offset of the first token in the script.
    pub start: usize,
    script: &'a str,
}

impl StatementView<'_> {
    /// 1-based line of the statement's first token. Counts lines, so call it on error paths.
    pub fn line(&self) -> u32 {
        let before = self.script.get(..self.start).unwrap_or("");
        1 + before.bytes().filter(|&b| b == b'\n').count() as u32
    }
}

fn read_u32(bytes: &[u8], i: usize) -> usize {
    bytes
        .get(i * 4..i * 4 + 4)
        .and_then(|b| b.try_into().ok())
        .map_or(0, |b| u32::from_le_bytes(b) as usize)
}

fn slice(text: &str, range: std::ops::Range<usize>) -> &str {
    text.get(range).unwrap_or("")
}
