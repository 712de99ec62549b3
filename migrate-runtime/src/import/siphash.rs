//! SipHash-1-3 with zero keys, the hash refinery keeps as each migration's checksum.
//!
//! refinery hashes a migration as `name.hash(h); version.hash(h); sql.hash(h)` with
//! `SipHasher13::new()`, through Rust's `Hash` implementations: a `str` is its bytes followed
//! by `0xff`, an `i32` its four bytes in native order. It stores the `u64` result as decimal
//! text. Reproducing it here lets `baseline --from refinery` compare our file's bytes with
//! what refinery applied, without depending on refinery.

/// refinery's checksum of the migration `V<version>__<name>.sql` holding `sql`.
pub(crate) fn refinery_checksum(name: &str, version: i32, sql: &str) -> u64 {
    let mut hasher = SipHash13::default();
    hasher.write(name.as_bytes());
    hasher.write(&[0xff]);
    hasher.write(&version.to_ne_bytes());
    hasher.write(sql.as_bytes());
    hasher.write(&[0xff]);
    hasher.finish()
}

/// A streaming SipHash-1-3 with the keys `(0, 0)`.
struct SipHash13 {
    v: [u64; 4],
    /// Bytes not yet compressed, little-endian in the low bytes of `tail`.
    tail: u64,
    ntail: usize,
    length: usize,
}

impl Default for SipHash13 {
    fn default() -> Self {
        SipHash13 {
            // The initialisation constants XORed with the zero keys.
            v: [
                0x736f_6d65_7073_6575,
                0x646f_7261_6e64_6f6d,
                0x6c79_6765_6e65_7261,
                0x7465_6462_7974_6573,
            ],
            tail: 0,
            ntail: 0,
            length: 0,
        }
    }
}

impl SipHash13 {
    fn round(&mut self) {
        let v = &mut self.v;
        v[0] = v[0].wrapping_add(v[1]);
        v[1] = v[1].rotate_left(13) ^ v[0];
        v[0] = v[0].rotate_left(32);
        v[2] = v[2].wrapping_add(v[3]);
        v[3] = v[3].rotate_left(16) ^ v[2];
        v[0] = v[0].wrapping_add(v[3]);
        v[3] = v[3].rotate_left(21) ^ v[0];
        v[2] = v[2].wrapping_add(v[1]);
        v[1] = v[1].rotate_left(17) ^ v[2];
        v[2] = v[2].rotate_left(32);
    }

    fn compress(&mut self, m: u64) {
        self.v[3] ^= m;
        self.round();
        self.v[0] ^= m;
    }

    fn write(&mut self, bytes: &[u8]) {
        self.length += bytes.len();
        for &b in bytes {
            self.tail |= u64::from(b) << (8 * self.ntail);
            self.ntail += 1;
            if self.ntail == 8 {
                let m = self.tail;
                self.compress(m);
                self.tail = 0;
                self.ntail = 0;
            }
        }
    }

    fn finish(mut self) -> u64 {
        // The length's low byte goes into the last block, as the specification says.
        let last = ((self.length as u64 & 0xff) << 56) | self.tail;
        self.compress(last);
        self.v[2] ^= 0xff;
        for _ in 0..3 {
            self.round();
        }
        self.v[0] ^ self.v[1] ^ self.v[2] ^ self.v[3]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_empty_input_hashes_to_the_reference_value() {
        // SipHash-1-3 of no bytes with zero keys, as Rust's std (which used SipHash-1-3 for
        // `DefaultHasher`) computes it.
        assert_eq!(SipHash13::default().finish(), 0xd1fb_a762_150c_532c);
    }

    #[test]
    fn refinery_checksums_of_the_fixture_set_match_what_refinery_stored() {
        // The values refinery 0.8.16 wrote into tests/fixtures/foreign/databases/refinery.sqlite3.
        let root = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/fixtures/foreign/refinery/migrations"
        );
        for (version, name, expected) in [
            (1, "create_users", 10351292129827170334_u64),
            (2, "create_posts", 4091608736065158618),
            (3, "backfill_names", 9391853499958906439),
            (4, "add_published_at", 6782248797123429888),
        ] {
            let sql = std::fs::read_to_string(format!("{root}/V{version}__{name}.sql")).unwrap();
            assert_eq!(
                refinery_checksum(name, version, &sql),
                expected,
                "V{version}__{name}"
            );
        }
    }
}
