//! Ids shaped like OneDrive for Business's: drive ids `b!` + base64url of the
//! site collection, web and list GUIDs; item ids `01` + 32 base32 characters.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use model::Guid;
use sha2::{Digest, Sha256};

/// A drive id from the GUIDs of its site collection, web and list.
pub fn drive_id(collection: Guid, web: Guid, list: Guid) -> String {
    let mut bytes = Vec::with_capacity(48);
    for g in [collection, web, list] {
        bytes.extend_from_slice(g.as_uuid().as_bytes());
    }
    format!("b!{}", URL_SAFE_NO_PAD.encode(bytes))
}

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// Base32 (RFC 4648 alphabet, no padding) of 20 bytes: 32 characters.
fn base32(bytes: &[u8; 20]) -> String {
    let mut out = String::with_capacity(32);
    let mut acc: u64 = 0;
    let mut bits = 0;
    for &b in bytes {
        acc = (acc << 8) | u64::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(BASE32[((acc >> bits) & 31) as usize] as char);
        }
    }
    out
}

/// Item `serial` of the drive whose list is `list`.
pub fn item_id(list: Guid, serial: u64) -> String {
    let mut h = Sha256::new();
    h.update(b"drive-item\0");
    h.update(list.as_uuid().as_bytes());
    h.update(serial.to_le_bytes());
    let d = h.finalize();
    let mut b = [0u8; 20];
    b.copy_from_slice(&d[..20]);
    format!("01{}", base32(&b))
}

/// A GUID for object `serial` of `kind` within the drive `list`.
pub fn guid(list: Guid, kind: &str, serial: u64) -> Guid {
    let mut h = Sha256::new();
    h.update(kind.as_bytes());
    h.update([0]);
    h.update(list.as_uuid().as_bytes());
    h.update(serial.to_le_bytes());
    let d = h.finalize();
    let mut b = [0u8; 16];
    b.copy_from_slice(&d[..16]);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    Guid::from_bytes(b)
}

/// Percent-encodes a path for a `webUrl` (unreserved characters and `/` kept).
pub fn url_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_onedrive_shapes() {
        let g = Guid::from_bytes([1; 16]);
        let d = drive_id(g, g, g);
        assert!(d.starts_with("b!") && d.len() == 66, "{d}");
        let i = item_id(g, 3);
        assert_eq!(i.len(), 34);
        assert!(i.starts_with("01"));
        assert!(
            i.bytes()
                .all(|c| BASE32.contains(&c) || c == b'0' || c == b'1')
        );
        assert_ne!(item_id(g, 3), item_id(g, 4));
        assert_eq!(url_path("/a b/é#"), "/a%20b/%C3%A9%23");
    }
}
