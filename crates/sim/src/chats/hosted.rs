//! The bytes of hosted contents: small PNG images made from a seed (a real
//! PNG, so that a restored or exported image opens), written again whenever
//! they are read.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::Hosted;

/// The content type of every hosted content.
pub const CONTENT_TYPE: &str = "image/png";

/// The PNG of `h`.
pub fn bytes(h: &Hosted) -> Vec<u8> {
    png(h.seed, h.width.max(1), h.height.max(1))
}

/// A `width`×`height` RGB PNG whose colours come from `seed`.
pub fn png(seed: u64, width: u32, height: u32) -> Vec<u8> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let base: [u8; 3] = [rng.random(), rng.random(), rng.random()];
    let step: [u8; 3] = [
        rng.random_range(1..8),
        rng.random_range(1..8),
        rng.random_range(1..8),
    ];
    let mut raw = Vec::with_capacity((height * (1 + 3 * width)) as usize);
    for y in 0..height {
        raw.push(0); // filter: none
        for x in 0..width {
            for c in 0..3 {
                let v = u32::from(base[c]) + (x + y) * u32::from(step[c]);
                raw.push((v % 256) as u8);
            }
        }
    }
    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &zlib_stored(&raw));
    chunk(&mut out, b"IEND", &[]);
    out
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let start = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

/// A zlib stream of uncompressed (stored) deflate blocks.
fn zlib_stored(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x78, 0x01];
    let blocks: Vec<&[u8]> = if data.is_empty() {
        vec![&[][..]]
    } else {
        data.chunks(65_535).collect()
    };
    let last = blocks.len() - 1;
    for (i, block) in blocks.iter().enumerate() {
        out.push(u8::from(i == last));
        let len = block.len() as u16;
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(block);
    }
    out.extend_from_slice(&adler32(data).to_be_bytes());
    out
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xEDB8_8320 & mask);
        }
    }
    !crc
}

fn adler32(data: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &x in data {
        a = (a + u32::from(x)) % 65_521;
        b = (b + a) % 65_521;
    }
    (b << 16) | a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksums_match_known_values() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(adler32(b"Wikipedia"), 0x11E6_0398);
    }

    #[test]
    fn png_is_well_formed_and_deterministic() {
        let a = png(7, 20, 10);
        assert_eq!(&a[..8], b"\x89PNG\r\n\x1a\n");
        assert_eq!(&a[12..16], b"IHDR");
        assert_eq!(u32::from_be_bytes([a[16], a[17], a[18], a[19]]), 20);
        assert!(a.ends_with(&[0, 0, 0, 0, b'I', b'E', b'N', b'D', 0xAE, 0x42, 0x60, 0x82]));
        assert_eq!(a, png(7, 20, 10));
        assert_ne!(a, png(8, 20, 10));
    }
}
