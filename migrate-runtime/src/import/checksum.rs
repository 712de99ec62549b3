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

fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        // Writing to a String cannot fail.
        let _ = write!(out, "{byte:02x}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

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
