//! The checksums other tools keep of a migration, computed from the source bytes exactly as
//! each tool computes them, so that `baseline --from` can compare them with the tool's
//! history table.
//!
//! - sqlx (`Migration::new`, `resolve_blocking`): SHA-384 of the up file's text; stored as
//!   bytes in `_sqlx_migrations.checksum`, written here as lowercase hex.
//! - Prisma (`schema-connector`'s `render_checksum`): SHA-256 of `migration.sql`, stored as
//!   64 lowercase hex digits in `_prisma_migrations.checksum`.
//! - refinery (`Migration::unapplied`): SipHash-1-3 with zero keys over the name (`str`'s
//!   `Hash`: the bytes, then `0xff`), the version (`SchemaVersion`'s `Hash`) and the SQL
//!   (likewise), stored as the decimal `u64` in `refinery_schema_history.checksum`.
//! - diesel keeps none.

use std::fmt::Write as _;
use std::hash::{Hash, Hasher};

use sha2::{Digest, Sha256, Sha384};
use siphasher::sip::SipHasher13;

use super::map::SourceTool;

/// sqlx's checksum of an up file: lowercase hex of its SHA-384.
pub(crate) fn sqlx(up: &[u8]) -> String {
    hex(&Sha384::digest(up))
}

/// Prisma's checksum of a `migration.sql`: lowercase hex of its SHA-256.
pub(crate) fn prisma(sql: &[u8]) -> String {
    hex(&Sha256::digest(sql))
}

/// refinery's checksum of `V<version>__<name>.sql` with contents `sql`.
///
/// refinery hashes its `SchemaVersion`, an `i32` unless the application enables refinery's
/// `int8-versions` feature (then an `i64`). A version above `i32::MAX` only exists with that
/// feature, so it is hashed as an `i64`; below, the default `i32` is assumed.
pub(crate) fn refinery(name: &str, version: i64, sql: &str) -> String {
    let mut hasher = SipHasher13::new();
    name.hash(&mut hasher);
    match i32::try_from(version) {
        Ok(version) => version.hash(&mut hasher),
        Err(_) => version.hash(&mut hasher),
    }
    sql.hash(&mut hasher);
    hasher.finish().to_string()
}

/// Lowercase hexadecimal, as `IMPORTED.toml` and Prisma's table hold checksums.
pub(crate) fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        // Writing to a String cannot fail.
        let _ = write!(out, "{byte:02x}");
    }
    out
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
        SourceTool::Sqlx => Some(sqlx(sql.as_bytes())),
        SourceTool::Prisma => Some(prisma(sql.as_bytes())),
        SourceTool::Refinery => {
            refinery_entry.map(|(name, version)| refinery(name, i64::from(version), sql))
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
        accepted.extend([lf, crlf].iter().map(|s| prisma(s.as_bytes())));
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
    fn refinery_checksums_of_the_fixture_set_match_what_refinery_stored() {
        // The values refinery 0.8.16 wrote into tests/fixtures/foreign/databases/refinery.sqlite3.
        let root = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/fixtures/foreign/refinery/migrations"
        );
        for (version, name, expected) in [
            (1, "create_users", "10351292129827170334"),
            (2, "create_posts", "4091608736065158618"),
            (3, "backfill_names", "9391853499958906439"),
            (4, "add_published_at", "6782248797123429888"),
        ] {
            let sql = std::fs::read_to_string(format!("{root}/V{version}__{name}.sql")).unwrap();
            assert_eq!(
                refinery(name, version, &sql),
                expected,
                "V{version}__{name}"
            );
        }
    }

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

    #[test]
    fn digests_are_lowercase_hex_of_the_bytes() {
        // Prisma's own test vector (schema-connector's checksum.rs).
        assert_eq!(
            prisma(b"hello"),
            "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
        );
        // FIPS 180-2's SHA-384 example.
        assert_eq!(
            sqlx(b"abc"),
            "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed\
             8086072ba1e7cc2358baeca134c825a7"
        );
    }

    #[test]
    fn refinery_hashes_name_version_and_sql() {
        let base = refinery("create_users", 1, "CREATE TABLE u (x);");
        assert_ne!(base, refinery("create_users", 2, "CREATE TABLE u (x);"));
        assert_ne!(base, refinery("create_user", 1, "CREATE TABLE u (x);"));
        assert_ne!(base, refinery("create_users", 1, "CREATE TABLE u (y);"));
        assert!(base.parse::<u64>().is_ok(), "{base}");
    }
}
