//! QuickXorHash, the content hash OneDrive for Business and SharePoint give
//! every file (`file.hashes.quickXorHash`, base64 of 20 bytes).
//!
//! Each input byte is XORed into a 160-bit circular register at a bit offset
//! that advances by 11 per byte; the input's length (64-bit little-endian) is
//! XORed into the register's last 8 bytes at the end. This follows Microsoft's
//! reference implementation: bytes whose positions are equal modulo 160 land
//! at the same offset, so each chunk is folded per residue first.

use base64::Engine as _;

const WIDTH_BITS: usize = 160;
const SHIFT: usize = 11;
const WIDTH_BYTES: usize = WIDTH_BITS / 8;

/// A streaming QuickXorHash.
#[derive(Debug, Clone)]
pub struct QuickXor {
    register: [u8; WIDTH_BYTES],
    /// Bytes hashed so far.
    length: u64,
}

impl Default for QuickXor {
    fn default() -> Self {
        Self::new()
    }
}

impl QuickXor {
    /// An empty hash.
    pub fn new() -> Self {
        QuickXor {
            register: [0; WIDTH_BYTES],
            length: 0,
        }
    }

    /// Adds `data`.
    pub fn update(&mut self, data: &[u8]) {
        if data.is_empty() {
            return;
        }
        // Fold the bytes by position modulo 160; each residue is XORed in once.
        let mut folded = [0u8; WIDTH_BITS];
        let mut rows = data.chunks_exact(WIDTH_BITS);
        for row in rows.by_ref() {
            for (f, b) in folded.iter_mut().zip(row) {
                *f ^= b;
            }
        }
        for (f, b) in folded.iter_mut().zip(rows.remainder()) {
            *f ^= b;
        }
        let start = (self.length % WIDTH_BITS as u64) as usize;
        for (i, &byte) in folded.iter().enumerate() {
            if byte != 0 {
                let bit = ((start + i) * SHIFT) % WIDTH_BITS;
                self.xor_at(bit, byte);
            }
        }
        self.length += data.len() as u64;
    }

    /// XORs `byte` into the register at bit offset `bit`, wrapping around.
    fn xor_at(&mut self, bit: usize, byte: u8) {
        let index = bit / 8;
        let offset = bit % 8;
        let wide = u16::from(byte) << offset;
        self.register[index] ^= wide as u8;
        if offset > 0 {
            self.register[(index + 1) % WIDTH_BYTES] ^= (wide >> 8) as u8;
        }
    }

    /// The 20-byte digest.
    pub fn finish(&self) -> [u8; WIDTH_BYTES] {
        let mut out = self.register;
        for (o, l) in out[WIDTH_BYTES - 8..]
            .iter_mut()
            .zip(self.length.to_le_bytes())
        {
            *o ^= l;
        }
        out
    }

    /// The digest in base64, as Graph writes `quickXorHash`.
    pub fn finish_base64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.finish())
    }
}

/// The QuickXorHash of `data`, in base64.
pub fn quickxor_base64(data: &[u8]) -> String {
    let mut h = QuickXor::new();
    h.update(data);
    h.finish_base64()
}

#[cfg(test)]
mod tests {
    use super::*;

    // Vectors from the `quickxorhash` package on PyPI (a port of Microsoft's
    // reference implementation), computed independently of this code.
    fn pattern(n: usize, mul: usize, add: usize, modulo: usize) -> Vec<u8> {
        (0..n).map(|i| ((i * mul + add) % modulo) as u8).collect()
    }

    #[test]
    fn matches_reference_vectors() {
        assert_eq!(quickxor_base64(b""), "AAAAAAAAAAAAAAAAAAAAAAAAAAA=");
        assert_eq!(quickxor_base64(b"abc"), "YRDDGAAAAAAAAAAAAwAAAAAAAAA=");
        assert_eq!(
            quickxor_base64(&pattern(1000, 7, 3, 251)),
            "XwCwWw+SPjp9D8+NCRe+PKCPYvw="
        );
        assert_eq!(
            quickxor_base64(&pattern(100_000, 13, 5, 253)),
            "/T4Kvn22keiyzgyvmQCmeP85g+A="
        );
    }

    #[test]
    fn chunking_does_not_change_the_digest() {
        let data = pattern(100_000, 13, 5, 253);
        for size in [1, 7, 160, 161, 4096, 65_537] {
            let mut h = QuickXor::new();
            for chunk in data.chunks(size) {
                h.update(chunk);
            }
            assert_eq!(
                h.finish_base64(),
                "/T4Kvn22keiyzgyvmQCmeP85g+A=",
                "chunks of {size}"
            );
        }
    }
}
