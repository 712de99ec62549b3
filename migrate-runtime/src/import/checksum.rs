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

/// Every checksum under which `tool` accepts `sql` as the migration it applied: the one
/// [`tool_checksum`] gives and, for Prisma, those of the file with its line endings turned
/// into the other convention (Prisma compares both ways, since git may rewrite them).
pub(crate) fn accepted_checksums(
    tool: SourceTool,
    sql: &str,
    refinery_entry: Option<(&str, i32)>,
) -> Vec<String> {
    let mut accepted: Vec<String> = tool_checksum(tool, sql, refinery_entry)
        .into_iter()
        .collect();
    if tool == SourceTool::Prisma {
        let lf = sql.replace("\r\n", "\n");
        let crlf = lf.replace('\n', "\r\n");
        accepted.extend(
            [lf, crlf]
                .iter()
                .map(|s| hex(&Sha256::digest(s.as_bytes()))),
        );
    }
    accepted
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlx_and_prisma_checksums_are_the_digests_of_the_bytes() {
        // `printf 'SELECT 1;\n' | sha384sum` and `| sha256sum`.
        let sql = "SELECT 1;\n";
        assert_eq!(
            tool_checksum(SourceTool::Sqlx, sql, None).unwrap(),
            "24454095d8d7876ca8e842f34296ca645c83e0f7b50f048c99db4b2ff4da659267afc4ef3e994f3d74e18c741165d931"
        );
        assert_eq!(
            tool_checksum(SourceTool::Prisma, sql, None).unwrap(),
            "b4e0497804e46e0a0b0b8c31975b062152d551bac49c3c2e80932567b4085dcd"
        );
        assert_eq!(tool_checksum(SourceTool::Diesel, sql, None), None);
        assert_eq!(hex(&[0x00, 0xab, 0x0f]), "00ab0f");
    }

    #[test]
    fn prisma_accepts_a_file_whose_line_endings_git_rewrote() {
        let lf = "CREATE TABLE a (id INTEGER);\nCREATE TABLE b (id INTEGER);\n";
        let crlf = lf.replace('\n', "\r\n");
        let applied = tool_checksum(SourceTool::Prisma, lf, None).unwrap();
        assert!(accepted_checksums(SourceTool::Prisma, &crlf, None).contains(&applied));
        // sqlx compares the bytes as they are.
        let applied = tool_checksum(SourceTool::Sqlx, lf, None).unwrap();
        assert!(!accepted_checksums(SourceTool::Sqlx, &crlf, None).contains(&applied));
    }
}
