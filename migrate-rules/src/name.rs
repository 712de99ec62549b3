//! The file-name grammar.
//!
//! A migration is `<version>_<description>.sql`, its optional down twin
//! `<version>_<description>.down.sql`. The version is decimal digits (leading zeros allowed)
//! with a value from 1 up to `i64::MAX`; the description is one or more of `A-Z a-z 0-9 _ -`.

use thiserror::Error;

/// Whether a file applies a migration or reverts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FileKind {
    /// `<version>_<description>.sql`
    Up,
    /// `<version>_<description>.down.sql`
    Down,
}

/// A parsed migration file name.
///
/// ```
/// use migrate_rules::{name::parse_file_name, FileKind};
///
/// let name = parse_file_name("0003_add_orders.down.sql").unwrap();
/// assert_eq!((name.version, name.description, name.kind), (3, "add_orders", FileKind::Down));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileName<'a> {
    /// The numeric value of the version digits.
    pub version: i64,
    /// The version digits as written, leading zeros included.
    pub version_digits: &'a str,
    /// The part between the first `_` and the extension.
    pub description: &'a str,
    /// Up or down.
    pub kind: FileKind,
}

/// Why a `.sql` file name does not fit the grammar.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum NameError {
    /// The name has no `_` separating version and description.
    #[error("no `_` between version and description")]
    MissingSeparator,
    /// The version part is empty or has something other than digits.
    #[error("{}", if .0.is_empty() {
        "the version is empty".to_owned()
    } else {
        format!("the version `{}` is not a decimal number", .0)
    })]
    VersionNotDecimal(String),
    /// The version is zero.
    #[error("the version must be at least 1")]
    VersionZero,
    /// The version does not fit in an `i64`.
    #[error("the version `{0}` is larger than {max}", max = i64::MAX)]
    VersionTooLarge(String),
    /// Nothing between `_` and the extension.
    #[error("the description is empty")]
    EmptyDescription,
    /// A character outside `A-Z a-z 0-9 _ -` in the description.
    #[error("the description contains {0:?}; only `A-Z a-z 0-9 _ -` are allowed")]
    InvalidDescriptionChar(char),
}

/// True for names the migration loader considers at all: visible files ending in `.sql`.
///
/// Hidden files (editor swap files, `.DS_Store`) and other extensions (`README.md`) are ignored.
pub fn is_migration_candidate(file_name: &str) -> bool {
    !file_name.starts_with('.') && file_name.ends_with(".sql")
}

/// Why a file that looks like a migration is not one, or `None` when it does not look like one
/// (or is one): a name that starts with a digit and holds `.sql` in some form, but does not end
/// in `.sql` exactly (`0012_notes.SQL`, `0012_notes.sql.bak`). Such files are left out of the
/// set; the macro warns about them so that a typo does not silently drop a migration.
///
/// ```
/// use migrate_rules::name::lookalike_reason;
///
/// assert!(lookalike_reason("0012_notes.SQL").is_some());
/// assert!(lookalike_reason("0012_notes.sql.bak").is_some());
/// assert!(lookalike_reason("0012_notes.sql").is_none());
/// assert!(lookalike_reason("README.md").is_none());
/// ```
pub fn lookalike_reason(file_name: &str) -> Option<String> {
    if is_migration_candidate(file_name)
        || file_name.starts_with('.')
        || !file_name.starts_with(|c: char| c.is_ascii_digit())
    {
        return None;
    }
    let lower = file_name.to_ascii_lowercase();
    if lower.ends_with(".sql") {
        let stem = &file_name[..file_name.len() - 4];
        Some(format!(
            "the extension must be `.sql` in lower case: rename it to `{stem}.sql` to embed it"
        ))
    } else if lower.contains(".sql") {
        Some(
            "only files ending in `.sql` are migrations: rename it to embed it, or move it out of \
             the directory"
                .to_owned(),
        )
    } else {
        None
    }
}

/// Parses a `.sql` file name against the grammar.
///
/// # Errors
/// A [`NameError`] saying which part of the name is wrong.
pub fn parse_file_name(file_name: &str) -> Result<FileName<'_>, NameError> {
    let stem = file_name.strip_suffix(".sql").unwrap_or(file_name);
    let (stem, kind) = match stem.strip_suffix(".down") {
        Some(stem) => (stem, FileKind::Down),
        None => (stem, FileKind::Up),
    };
    let (digits, description) = stem.split_once('_').ok_or(NameError::MissingSeparator)?;
    let version = parse_version(digits)?;
    if description.is_empty() {
        return Err(NameError::EmptyDescription);
    }
    if let Some(c) = description.chars().find(|c| !is_description_char(*c)) {
        return Err(NameError::InvalidDescriptionChar(c));
    }
    Ok(FileName {
        version,
        version_digits: digits,
        description,
        kind,
    })
}

/// Parses the version digits of a file name.
///
/// # Errors
/// When `digits` is not a decimal number from 1 to `i64::MAX`.
pub fn parse_version(digits: &str) -> Result<i64, NameError> {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(NameError::VersionNotDecimal(digits.to_owned()));
    }
    let significant = digits.trim_start_matches('0');
    if significant.is_empty() {
        return Err(NameError::VersionZero);
    }
    significant
        .parse::<i64>()
        .map_err(|_| NameError::VersionTooLarge(digits.to_owned()))
}

/// True for the characters a description may contain.
pub fn is_description_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

/// Checks a description on its own, as `new DESCRIPTION` commands receive it.
///
/// # Errors
/// [`NameError::EmptyDescription`] or [`NameError::InvalidDescriptionChar`].
pub fn validate_description(description: &str) -> Result<(), NameError> {
    if description.is_empty() {
        return Err(NameError::EmptyDescription);
    }
    match description.chars().find(|c| !is_description_char(*c)) {
        Some(c) => Err(NameError::InvalidDescriptionChar(c)),
        None => Ok(()),
    }
}
