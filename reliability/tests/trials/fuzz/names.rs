//! File names against a model of the grammar written here, not the parser's helpers: a regular
//! expression decides acceptance and splits the parts, a digit-string comparison bounds the
//! version, and a short hand model says which rule a rejected name breaks.
//!
//! The grammar (migrate-rules/src/name.rs): `<version>_<description>[.down][.sql]`, the version
//! decimal digits (leading zeros allowed) worth 1 to `i64::MAX`, the description one or more
//! of `A-Z a-z 0-9 _ -`. The parser takes the `.sql` extension as optional (the loader only
//! passes it names ending in `.sql`); the model does the same.

use std::sync::LazyLock;

use migrate_rules::FileKind;
use migrate_rules::name::{NameError, parse_file_name};
use regex::Regex;

use super::{Verdict, hash_of};
use crate::common::Rng;

static GRAMMAR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\A([0-9]+)_([A-Za-z0-9_-]+?)(\.down)?(\.sql)?\z").expect("a valid regex")
});

/// What the model expects of a name.
#[derive(Debug, PartialEq)]
pub enum Expected<'a> {
    Accepted {
        version: i64,
        digits: &'a str,
        description: &'a str,
        kind: FileKind,
    },
    /// Rejected, for the reason named like the parser's error variant.
    Rejected(&'static str),
}

/// The value of a digit string, if it is 1 to `i64::MAX`, by comparing digit strings.
fn version_value(digits: &str) -> Result<i64, &'static str> {
    let significant = digits.trim_start_matches('0');
    const MAX: &str = "9223372036854775807";
    if significant.is_empty() {
        return Err("VersionZero");
    }
    if significant.len() > MAX.len() || significant.len() == MAX.len() && significant > MAX {
        return Err("VersionTooLarge");
    }
    Ok(significant
        .bytes()
        .fold(0i64, |value, digit| value * 10 + i64::from(digit - b'0')))
}

/// The model's answer for `name`.
pub fn expected(name: &str) -> Expected<'_> {
    if let Some(parts) = GRAMMAR.captures(name) {
        let digits = parts.get(1).map_or("", |m| m.as_str());
        return match version_value(digits) {
            Ok(version) => Expected::Accepted {
                version,
                digits,
                description: parts.get(2).map_or("", |m| m.as_str()),
                kind: if parts.get(3).is_some() {
                    FileKind::Down
                } else {
                    FileKind::Up
                },
            },
            Err(reason) => Expected::Rejected(reason),
        };
    }
    // Which rule a name outside the grammar breaks, checked in the order of the grammar:
    // separator, version, description.
    let stem = name.strip_suffix(".sql").unwrap_or(name);
    let stem = stem.strip_suffix(".down").unwrap_or(stem);
    let Some((digits, description)) = stem.split_once('_') else {
        return Expected::Rejected("MissingSeparator");
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return Expected::Rejected("VersionNotDecimal");
    }
    if let Err(reason) = version_value(digits) {
        return Expected::Rejected(reason);
    }
    if description.is_empty() {
        return Expected::Rejected("EmptyDescription");
    }
    Expected::Rejected("InvalidDescriptionChar")
}

fn variant(error: &NameError) -> &'static str {
    match error {
        NameError::MissingSeparator => "MissingSeparator",
        NameError::VersionNotDecimal(_) => "VersionNotDecimal",
        NameError::VersionZero => "VersionZero",
        NameError::VersionTooLarge(_) => "VersionTooLarge",
        NameError::EmptyDescription => "EmptyDescription",
        NameError::InvalidDescriptionChar(_) => "InvalidDescriptionChar",
        _ => "(a new variant)",
    }
}

const DESCRIPTION_CHARS: &[u8] =
    b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-";

/// A valid description of 1 to 12 characters.
pub fn description(rng: &mut Rng) -> String {
    (0..rng.range(1, 12))
        .map(|_| char::from(*rng.pick(DESCRIPTION_CHARS)))
        .collect()
}

/// Version digits: the value with 0 to 13 leading zeros.
pub fn digits(rng: &mut Rng, version: u64) -> String {
    let width = *rng.pick(&[1usize, 3, 4, 4, 14]);
    format!("{version:0width$}")
}

/// A valid name, up or down.
pub fn valid(rng: &mut Rng, version: u64) -> String {
    let (digits, description) = (digits(rng, version), description(rng));
    let down = if rng.chance(25) { ".down" } else { "" };
    format!("{digits}_{description}{down}.sql")
}

/// What a mutation inserts.
const PIECES: &[&str] = &[
    "_",
    "-",
    ".",
    ".sql",
    ".down",
    ".SQL",
    ".down.down",
    "0",
    "9",
    "a",
    " ",
    "é",
    "😀",
    "/",
    "..",
    "\\",
    "\u{0}",
    "+",
    "x",
];

/// A name that is valid, or valid but for one or two mutations.
fn generate(rng: &mut Rng) -> String {
    let version = match rng.below(10) {
        0 => 0,
        1 => i64::MAX as u64 - rng.below(3),
        2 => i64::MAX as u64 + 1 + rng.below(3),
        _ => rng.range(1, 9999),
    };
    let mut name = valid(rng, version);
    if rng.chance(45) {
        mutate(rng, &mut name);
    }
    if rng.chance(5) {
        // Without the extension, which the parser takes as optional.
        name = name.trim_end_matches(".sql").to_owned();
    }
    name
}

/// One or two insertions or deletions, on char boundaries.
pub fn mutate(rng: &mut Rng, name: &mut String) {
    for _ in 0..rng.range(1, 2) {
        let boundaries: Vec<usize> = (0..=name.len())
            .filter(|&i| name.is_char_boundary(i))
            .collect();
        let at = *rng.pick(&boundaries);
        if rng.chance(60) {
            name.insert_str(at, rng.pick::<&str>(PIECES));
        } else if let Some(&next) = boundaries.iter().find(|&&b| b > at) {
            name.replace_range(at..next, "");
        }
    }
}

pub fn trial(rng: &mut Rng, _: &mut super::splitter::Oracle) -> (u64, String, Option<Verdict>) {
    let name = generate(rng);
    let parsed = parse_file_name(&name);
    let problem = match (&parsed, expected(&name)) {
        (
            Ok(parsed),
            Expected::Accepted {
                version,
                digits,
                description,
                kind,
            },
        ) => {
            let got = (
                parsed.version,
                parsed.version_digits,
                parsed.description,
                parsed.kind,
            );
            if got == (version, digits, description, kind) {
                Ok(())
            } else {
                Err(format!(
                    "parsed as {got:?}, the model says {:?}",
                    (version, digits, description, kind)
                ))
            }
        }
        (Err(error), Expected::Rejected(reason)) if variant(error) == reason => Ok(()),
        (Err(error), Expected::Rejected(reason)) => {
            Err(format!("rejected for {error:?}, the model says {reason}"))
        }
        (Ok(parsed), Expected::Rejected(reason)) => Err(format!(
            "accepted as {parsed:?}, the model rejects it ({reason})"
        )),
        (Err(error), accepted) => Err(format!(
            "rejected ({error}), the model accepts it as {accepted:?}"
        )),
    };
    let shown = format!("{name:?}");
    (hash_of(&name), shown, Verdict::new(parsed.is_ok(), problem))
}
