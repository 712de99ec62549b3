//! The checksums the macro embeds are the checksums everyone else computes: `migrate-rules` on
//! the file's bytes, the runtime's `Migrations::from_dir`, and `sha256sum` on the LF file.
//!
//! `tests/checksums/` keeps Windows line endings, byte-order marks and a stray `\r` on purpose
//! (its `.gitattributes` stops git from converting them).

use std::path::Path;

use migrate_rules::Checksum;
use migrate_runtime::Migrations;

// The rebuild warning is about new files in this fixed directory, which tests do not add.
#[allow(deprecated)]
static EMBEDDED: Migrations = migrate_runtime::embed_migrations!("tests/checksums");

fn dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/checksums"))
}

/// `sha256sum` of each up file after removing the BOM and turning CRLF into LF.
const SHA256SUM_OF_LF_FILES: [(&str, &str); 4] = [
    (
        "0001_lf.sql",
        "a6e4ff93c134bc2d3f1c9b7c9ec271f39c734cb2a049d1023266a4cbcc651fc4",
    ),
    (
        "0002_crlf_bom.sql",
        "4a5f72ca35899c293a918effbb7ff170200f4460fa32126e7d929a7a106778b3",
    ),
    (
        "0003_stray_cr.sql",
        "73286a4da3bd014f90faae8ca8548026e0721a65cac4a27d3e9f31770f486bdf",
    ),
    (
        "0004_utf8.sql",
        "eef74b77af328d69b7095e7259c2c8d34643dc7064164288ab842567b88e7f6b",
    ),
];

#[test]
fn the_fixture_kept_its_line_endings() {
    let crlf = std::fs::read(dir().join("0002_crlf_bom.sql")).unwrap();
    assert!(crlf.starts_with(b"\xEF\xBB\xBF"));
    assert!(crlf.ends_with(b"\r\n"));
    let stray = std::fs::read(dir().join("0003_stray_cr.sql")).unwrap();
    assert!(stray.ends_with(b"\r\r\n"));
}

#[test]
fn embedded_checksums_are_those_of_the_files() {
    assert_eq!(EMBEDDED.len(), SHA256SUM_OF_LF_FILES.len());
    for (m, (file, sha256sum)) in EMBEDDED.iter().zip(SHA256SUM_OF_LF_FILES) {
        assert_eq!(m.file_name(), file);
        let bytes = std::fs::read(dir().join(file)).unwrap();
        assert_eq!(m.checksum(), Checksum::of_sql(&bytes), "{file}");
        assert_eq!(
            m.checksum().to_string(),
            format!("sha256:{sha256sum}"),
            "{file}"
        );
        // The embedded SQL is the normalized file, and hashes to the same value.
        assert_eq!(m.checksum(), Checksum::digest(m.sql().as_bytes()), "{file}");
    }
}

#[test]
fn embedded_set_equals_the_set_read_at_run_time() {
    let runtime = Migrations::from_dir(dir()).unwrap();
    assert_eq!(runtime.len(), EMBEDDED.len());
    assert_eq!(runtime.history_checksum(), EMBEDDED.history_checksum());
    for (a, b) in EMBEDDED.iter().zip(runtime.iter()) {
        assert_eq!(a.version(), b.version());
        assert_eq!(a.file_name(), b.file_name());
        assert_eq!(a.checksum(), b.checksum());
        assert_eq!(a.sql(), b.sql());
        assert_eq!(a.down_sql(), b.down_sql());
        assert_eq!(a.no_transaction(), b.no_transaction());
        assert_eq!(a.statement_count(), b.statement_count());
    }
    let second = EMBEDDED.get(2).unwrap();
    assert_eq!(
        second.sql(),
        "CREATE TABLE tags (name TEXT);\nCREATE INDEX tags_name ON tags (name);\n"
    );
    assert_eq!(second.down_sql(), Some("DROP TABLE tags;\n"));
    assert!(EMBEDDED.get(3).unwrap().no_transaction());
}
