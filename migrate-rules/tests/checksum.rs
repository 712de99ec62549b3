//! Checksums: `sha256:` of the SQL with a leading BOM removed and CRLF turned into LF, so that
//! `sha256sum` on the LF file gives the same digits.

use migrate_rules::Checksum;
use migrate_rules::checksum::normalize;

/// `(LF bytes, output of `printf '...' | sha256sum`)`.
const SHA256SUM: &[(&[u8], &str)] = &[
    (
        b"",
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    ),
    (
        b"SELECT 1;",
        "17db4fd369edb9244b9f91d9aeed145c3d04ad8ba6e95d06247f07a63527d11a",
    ),
    (
        b"SELECT 1;\n",
        "b4e0497804e46e0a0b0b8c31975b062152d551bac49c3c2e80932567b4085dcd",
    ),
    (
        b"CREATE TABLE t (x INTEGER);\nINSERT INTO t VALUES (1);\n",
        "814b0c887a24d86695185f63743d4a1727098d368392a37a54b36f6ce3798791",
    ),
    (
        "-- é\nSELECT 'ü';\n".as_bytes(),
        "b29c6a5e032b65715c747ccc4d02e5d17da2a5940ae84343183dbd85a889fd22",
    ),
];

/// The Windows form of an LF file: CRLF line endings and a byte-order mark.
fn windows(lf: &[u8]) -> Vec<u8> {
    let mut out = b"\xEF\xBB\xBF".to_vec();
    for &b in lf {
        if b == b'\n' {
            out.push(b'\r');
        }
        out.push(b);
    }
    out
}

#[test]
fn agrees_with_sha256sum_on_the_lf_file() {
    for &(lf, hex) in SHA256SUM {
        let expected = format!("sha256:{hex}");
        assert_eq!(Checksum::of_sql(lf).to_string(), expected);
        assert_eq!(Checksum::digest(lf).to_string(), expected);
        assert_eq!(Checksum::of_sql(&windows(lf)).to_string(), expected);
    }
}

#[test]
fn crlf_and_bom_do_not_change_the_checksum() {
    let lf = b"CREATE TABLE t (x);\n\nSELECT 1;\n";
    let crlf = b"CREATE TABLE t (x);\r\n\r\nSELECT 1;\r\n";
    let bom = b"\xEF\xBB\xBFCREATE TABLE t (x);\n\nSELECT 1;\n";
    let mixed = b"\xEF\xBB\xBFCREATE TABLE t (x);\r\n\nSELECT 1;\r\n";
    for variant in [&crlf[..], bom, mixed] {
        assert_eq!(Checksum::of_sql(variant), Checksum::of_sql(lf));
    }
}

#[test]
fn other_differences_change_the_checksum() {
    let base = Checksum::of_sql(b"SELECT 1;\n");
    for other in [
        &b"SELECT 1;"[..],
        b"SELECT 1;\n\n",
        b"select 1;\n",
        b"SELECT 1;\r",
        b"SELECT 1;\n\r",
        b" SELECT 1;\n",
        // Only a leading BOM is removed.
        b"SELECT 1;\n\xEF\xBB\xBF",
        b"\xEF\xBB\xBF\xEF\xBB\xBFSELECT 1;\n",
    ] {
        assert_ne!(Checksum::of_sql(other), base, "{:?}", other.escape_ascii());
    }
}

#[test]
fn normalization_is_one_pass() {
    // Every CRLF becomes LF once; what that leaves is not normalized again.
    for (input, expected) in [
        (&b"a\r\nb"[..], &b"a\nb"[..]),
        (b"\xEF\xBB\xBF\r\n", b"\n"),
        (b"\r\r\n\n", b"\r\n\n"),
        (b"\xEF\xBB\xBF\xEF\xBB\xBFx", b"\xEF\xBB\xBFx"),
        (b"\r", b"\r"),
        (b"", b""),
    ] {
        assert_eq!(&*normalize(input), expected, "{:?}", input.escape_ascii());
    }
}

#[test]
fn text_form_round_trips() {
    for &(lf, _) in SHA256SUM {
        let checksum = Checksum::of_sql(lf);
        let text = checksum.to_string();
        assert_eq!(text.len(), "sha256:".len() + 64);
        assert!(
            text[7..]
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        );
        assert_eq!(text.parse::<Checksum>(), Ok(checksum));
        assert_eq!(format!("{checksum:?}"), text);
        assert_eq!(Checksum::from_bytes(*checksum.as_bytes()), checksum);
    }
    for bad in [
        "sha256:b4e0497804e46e0a0b0b8c31975b062152d551bac49c3c2e80932567b4085dc",
        "sha256:b4e0497804e46e0a0b0b8c31975b062152d551bac49c3c2e80932567b4085dcdd",
        "SHA256:b4e0497804e46e0a0b0b8c31975b062152d551bac49c3c2e80932567b4085dcd",
        "sha256:b4e0497804e46e0a0b0b8c31975b062152d551bac49c3c2e80932567b4085dcg",
        "b4e0497804e46e0a0b0b8c31975b062152d551bac49c3c2e80932567b4085dcd",
        "sha256:é4e0497804e46e0a0b0b8c31975b062152d551bac49c3c2e80932567b4085dc",
    ] {
        let error = bad.parse::<Checksum>().unwrap_err();
        assert_eq!(
            error.to_string(),
            format!("`{bad}` is not a checksum of the form `sha256:<64 lowercase hex digits>`")
        );
    }
}
