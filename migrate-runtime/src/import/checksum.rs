//! The checksums other tools keep of their migration files, computed from bytes, so that
//! `baseline --from` can compare our file with what the tool applied.

use sha2::{Digest, Sha256, Sha384};

use super::map::SourceTool;
use super::siphash::refinery_checksum;

/// Lowercase hexadecimal, as `IMPORTED.toml` and Prisma's table hold checksums.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut out, b| {
            let _ = write!(out, "{b:02x}");
            out
        })
}

/// The checksum `tool` would store for a migration holding `sql`, in the form it stores it;
/// `None` for tools that keep none (diesel, rusqlite_migration). refinery's also hashes the
/// migration's name and version, taken from the applied entry.
pub(crate) fn tool_checksum(
    tool: SourceTool,
    sql: &str,
    refinery_entry: Option<(&str, i32)>,
) -> Option<String> {
    match tool {
        // sqlx: SHA-384 of the whole file as read (`Migration::new` in sqlx-core).
        SourceTool::Sqlx => Some(hex(&Sha384::digest(sql.as_bytes()))),
        // Prisma: SHA-256 of `migration.sql` (it also accepts the file with other line
        // endings; the bytes here are compared as they are).
        SourceTool::Prisma => Some(hex(&Sha256::digest(sql.as_bytes()))),
        SourceTool::Refinery => {
            refinery_entry.map(|(name, version)| refinery_checksum(name, version, sql).to_string())
        }
        _ => None,
    }
}

/// The name of the hash `tool` keeps, for reports.
pub(crate) fn algorithm(tool: SourceTool) -> Option<&'static str> {
    match tool {
        SourceTool::Sqlx => Some("SHA-384"),
        SourceTool::Prisma => Some("SHA-256"),
        SourceTool::Refinery => Some("SipHash-1-3 of name, version and SQL"),
        _ => None,
    }
}
