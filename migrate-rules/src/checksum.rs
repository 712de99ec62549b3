//! Checksums of migration SQL.
//!
//! A migration's checksum is SHA-256 of its SQL after [`normalize`] (a leading UTF-8 byte-order
//! mark removed, every CRLF turned into LF), written `sha256:<64 lowercase hex digits>`. A file
//! checked out with Windows line endings therefore has the same checksum as on Linux, and anyone
//! can recompute it with `sha256sum` on the LF file.
//!
//! The *history checksum* chains the checksums of versions `1..=n`
//! (`h1 = sha256(c1)`, `hn = sha256(h(n-1) || cn)`), so one value stands for a whole applied
//! history and a single comparison verifies it.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use sha2::{Digest, Sha256};
use thiserror::Error;

/// A SHA-256 digest, displayed as `sha256:<hex>`.
///
/// ```
/// use migrate_rules::Checksum;
///
/// let crlf = Checksum::of_sql(b"\xEF\xBB\xBFSELECT 1;\r\n");
/// let lf = Checksum::of_sql(b"SELECT 1;\n");
/// assert_eq!(crlf, lf);
/// assert!(lf.to_string().starts_with("sha256:"));
/// assert_eq!(lf.to_string().parse::<Checksum>().unwrap(), lf);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Checksum([u8; 32]);

/// The prefix of a checksum's text form.
pub const PREFIX: &str = "sha256:";

impl Checksum {
    /// Wraps raw digest bytes.
    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        Checksum(bytes)
    }

    /// The raw digest bytes.
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The checksum of migration SQL, normalized first (see [`normalize`]).
    pub fn of_sql(sql: &[u8]) -> Self {
        Self::digest(&normalize(sql))
    }

    /// The plain SHA-256 of `bytes`, without normalization.
    pub fn digest(bytes: &[u8]) -> Self {
        Checksum(Sha256::digest(bytes).into())
    }

    /// The next link of the history checksum chain: the history up to `previous`, then `next`.
    pub fn chain(previous: Option<&Checksum>, next: &Checksum) -> Checksum {
        let mut hasher = Sha256::new();
        if let Some(previous) = previous {
            hasher.update(previous.0);
        }
        hasher.update(next.0);
        Checksum(hasher.finalize().into())
    }

    /// The history checksum of a whole sequence of checksums, oldest first.
    ///
    /// `None` for an empty sequence.
    pub fn history<'a>(checksums: impl IntoIterator<Item = &'a Checksum>) -> Option<Checksum> {
        checksums.into_iter().fold(None, |history, next| {
            Some(Checksum::chain(history.as_ref(), next))
        })
    }
}

/// Removes a leading UTF-8 byte-order mark and turns every CRLF into LF.
///
/// Borrows when there is nothing to change, which is the common case.
pub fn normalize(sql: &[u8]) -> Cow<'_, [u8]> {
    let sql = sql.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(sql);
    if !sql.windows(2).any(|w| w == b"\r\n") {
        return Cow::Borrowed(sql);
    }
    let mut out = Vec::with_capacity(sql.len());
    let mut bytes = sql.iter().peekable();
    while let Some(&b) = bytes.next() {
        if b == b'\r' && bytes.peek() == Some(&&b'\n') {
            continue;
        }
        out.push(b);
    }
    Cow::Owned(out)
}

impl fmt::Display for Checksum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut text = [0u8; 64];
        for (i, byte) in self.0.iter().enumerate() {
            text[2 * i] = HEX[usize::from(byte >> 4)];
            text[2 * i + 1] = HEX[usize::from(byte & 0x0f)];
        }
        f.write_str(PREFIX)?;
        // Only ASCII hex digits were written above.
        f.write_str(std::str::from_utf8(&text).map_err(|_| fmt::Error)?)
    }
}

impl fmt::Debug for Checksum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// A string that is not `sha256:` followed by 64 lowercase hex digits.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("`{0}` is not a checksum of the form `sha256:<64 lowercase hex digits>`")]
pub struct ParseChecksumError(pub String);

impl FromStr for Checksum {
    type Err = ParseChecksumError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let error = || ParseChecksumError(text.to_owned());
        let hex = text.strip_prefix(PREFIX).ok_or_else(error)?.as_bytes();
        if hex.len() != 64 {
            return Err(error());
        }
        let nibble = |c: u8| match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            _ => None,
        };
        let mut bytes = [0u8; 32];
        for (i, pair) in hex.chunks_exact(2).enumerate() {
            bytes[i] =
                nibble(pair[0]).ok_or_else(error)? << 4 | nibble(pair[1]).ok_or_else(error)?;
        }
        Ok(Checksum(bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_sha256sum_of_the_lf_file() {
        // printf 'SELECT 1;\n' | sha256sum
        let expected = "sha256:b4e0497804e46e0a0b0b8c31975b062152d551bac49c3c2e80932567b4085dcd";
        assert_eq!(Checksum::of_sql(b"SELECT 1;\n").to_string(), expected);
        assert_eq!(
            Checksum::of_sql(b"\xEF\xBB\xBFSELECT 1;\r\n").to_string(),
            expected
        );
    }

    #[test]
    fn normalization_strips_bom_and_crlf_only() {
        assert_eq!(&*normalize(b"\xEF\xBB\xBFa\r\nb\rc\n"), b"a\nb\rc\n");
        assert!(matches!(normalize(b"plain\n"), Cow::Borrowed(_)));
        assert_eq!(&*normalize(b"a\r\r\n"), b"a\r\n");
    }

    #[test]
    fn parse_rejects_malformed_text() {
        for bad in [
            "",
            "sha256:",
            "md5:00",
            &format!("sha256:{}", "A".repeat(64)),
        ] {
            assert!(bad.parse::<Checksum>().is_err(), "{bad}");
        }
    }

    #[test]
    fn history_chains_in_order() {
        let a = Checksum::digest(b"a");
        let b = Checksum::digest(b"b");
        let ab = Checksum::history([&a, &b]).unwrap();
        assert_eq!(ab, Checksum::chain(Some(&Checksum::chain(None, &a)), &b));
        assert_ne!(ab, Checksum::history([&b, &a]).unwrap());
        assert_eq!(Checksum::history([]), None);
    }
}
