//! Inline images of channel messages: small valid PNGs made from a seed (so
//! they are never stored), and hosted-content ids shaped like Teams' own.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A `width` × `height` RGB PNG whose pixels follow from `seed`: a colour
/// gradient with a little noise, stored (uncompressed) deflate blocks.
pub fn png(seed: u64, width: u32, height: u32) -> Vec<u8> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let base: [u8; 3] = [rng.random(), rng.random(), rng.random()];
    let mut raw = Vec::with_capacity((height * (1 + width * 3)) as usize);
    for y in 0..height {
        raw.push(0); // filter: none
        for x in 0..width {
            let noise: u8 = rng.random_range(0..16);
            raw.push(base[0].wrapping_add((x * 255 / width.max(1)) as u8) ^ noise);
            raw.push(base[1].wrapping_add((y * 255 / height.max(1)) as u8) ^ noise);
            raw.push(base[2] ^ noise);
        }
    }
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]); // 8-bit RGB, deflate, no filter, no interlace
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

/// A zlib stream of stored deflate blocks.
fn zlib_stored(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x78, 0x01];
    let blocks: Vec<&[u8]> = data.chunks(65_535).collect();
    if blocks.is_empty() {
        out.extend_from_slice(&[1, 0, 0, 0xff, 0xff]);
    }
    for (k, block) in blocks.iter().enumerate() {
        out.push(u8::from(k + 1 == blocks.len()));
        let len = block.len() as u16;
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(block);
    }
    out.extend_from_slice(&adler32(data).to_be_bytes());
    out
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xedb8_8320 & mask);
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

/// A hosted-content id as Teams writes them: base64 of
/// `id=x_0-wus-d{n}-{hex},type=1,url=https://us-api.asm.skype.com/v1/objects/0-wus-d{n}-{hex}/views/imgo`.
/// The text holds no `?`, `>` or `~`, so the base64 has no `/` or `+` and
/// the id fits in a URL path segment.
pub fn hosted_id(seed: u64) -> String {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let region: u8 = rng.random_range(1..10);
    let hex: String = (0..16)
        .map(|_| format!("{:02x}", rng.random::<u8>()))
        .collect();
    let object = format!("0-wus-d{region}-{hex}");
    STANDARD.encode(format!(
        "id=x_{object},type=1,url=https://us-api.asm.skype.com/v1/objects/{object}/views/imgo"
    ))
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
    fn pngs_are_well_formed_and_deterministic() {
        let a = png(7, 20, 10);
        assert_eq!(a, png(7, 20, 10));
        assert_ne!(a, png(8, 20, 10));
        assert!(a.starts_with(b"\x89PNG\r\n\x1a\n"));
        // IHDR: length 13, then the type, width and height.
        assert_eq!(&a[8..16], b"\x00\x00\x00\x0dIHDR");
        assert_eq!(&a[16..24], &[0, 0, 0, 20, 0, 0, 0, 10]);
        assert!(a.ends_with(&[0, 0, 0, 0, b'I', b'E', b'N', b'D', 0xae, 0x42, 0x60, 0x82]));
        assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
        assert_eq!(adler32(b"Wikipedia"), 0x11e6_0398);
    }

    #[test]
    fn hosted_ids_fit_in_a_path_segment() {
        for seed in 0..200 {
            let id = hosted_id(seed);
            assert!(!id.contains('/') && !id.contains('+'), "{id}");
            assert_eq!(id, hosted_id(seed));
        }
    }
}
