//! Checksums as the tracking tables record them.

use std::fmt;

use migrate_rules::Checksum;

/// A checksum read from a tracking table, parsed once when read.
///
/// The tables hold checksums as text (`sha256:<64 hex digits>`). A value that is not one, left
/// by a hand edit, is kept as found: reports show it as it is, and it equals no checksum of
/// the build, so the migration counts as drifted.
///
/// ```
/// use migrate_runtime::{Checksum, RecordedChecksum};
///
/// let embedded = Checksum::of_sql(b"CREATE TABLE t (id INTEGER);");
/// let recorded = RecordedChecksum::parse(embedded.to_string());
/// assert!(recorded.is(&embedded));
/// assert_eq!(RecordedChecksum::parse("edited".to_owned()).to_string(), "edited");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordedChecksum {
    /// A well-formed checksum.
    Valid(Checksum),
    /// Text that is not a checksum, as found in the table.
    Malformed(String),
}

impl RecordedChecksum {
    /// Parses the text of a tracking-table cell; never fails.
    pub fn parse(text: String) -> Self {
        match text.parse() {
            Ok(checksum) => RecordedChecksum::Valid(checksum),
            Err(_) => RecordedChecksum::Malformed(text),
        }
    }

    /// The checksum, unless the recorded text is not one.
    pub fn valid(&self) -> Option<&Checksum> {
        match self {
            RecordedChecksum::Valid(checksum) => Some(checksum),
            RecordedChecksum::Malformed(_) => None,
        }
    }

    /// True when this is `checksum`.
    pub fn is(&self, checksum: &Checksum) -> bool {
        self.valid() == Some(checksum)
    }
}

impl From<Checksum> for RecordedChecksum {
    fn from(checksum: Checksum) -> Self {
        RecordedChecksum::Valid(checksum)
    }
}

impl fmt::Display for RecordedChecksum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecordedChecksum::Valid(checksum) => checksum.fmt(f),
            RecordedChecksum::Malformed(text) => f.write_str(text),
        }
    }
}
