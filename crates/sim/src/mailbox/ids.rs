//! Exchange-shaped item ids.
//!
//! Exchange Online ids are the base64 of an entry id: a header (`AAMkA…` is
//! `00 03 24 00`), the mailbox GUID as text, and the item's own bytes. Graph
//! writes them in base64 with `-` and `_` for `+` and `/`, keeping the `=`
//! padding. Ids here have that layout, so they look and size like the real
//! ones; the last bytes make them unique. Occurrences of a recurring event
//! append their date to the series master's bytes, as Exchange does.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use model::Guid;
use sha2::{Digest, Sha256};
use time::Date;

/// What an id names (the marker byte after the mailbox GUID).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdKind {
    /// A mail folder, calendar or contact folder.
    Folder,
    /// A message, event or contact.
    Item,
    /// An attachment.
    Attachment,
}

impl IdKind {
    fn marker(self) -> u8 {
        match self {
            IdKind::Folder => 0x2E,
            IdKind::Item => 0x46,
            IdKind::Attachment => 0x52,
        }
    }
}

const HEADER: [u8; 4] = [0x00, 0x03, 0x24, 0x00];
const OCCURRENCE: u8 = 0x4F;

/// Encodes bytes as Graph writes ids: standard base64 with `-`/`_`, padded.
pub fn encode(bytes: &[u8]) -> String {
    STANDARD.encode(bytes).replace('+', "-").replace('/', "_")
}

/// Decodes an id (either base64 alphabet).
pub fn decode(id: &str) -> Option<Vec<u8>> {
    STANDARD.decode(id.replace('-', "+").replace('_', "/")).ok()
}

/// A new id for object number `serial` of `kind` in the mailbox `mailbox`.
/// `salt` separates the id spaces of different object families.
pub fn make(mailbox: Guid, kind: IdKind, salt: &str, serial: u64) -> String {
    let mut bytes = Vec::with_capacity(80);
    bytes.extend_from_slice(&HEADER);
    bytes.extend_from_slice(mailbox.to_string().as_bytes());
    bytes.extend_from_slice(&[0x00, kind.marker(), 0x00, 0x00]);
    let mut h = Sha256::new();
    h.update(mailbox.as_uuid().as_bytes());
    h.update(salt.as_bytes());
    h.update(serial.to_le_bytes());
    let digest = h.finalize();
    bytes.extend_from_slice(&digest[..22]);
    bytes.extend_from_slice(&[0x07, 0x00]);
    bytes.extend_from_slice(&serial.to_be_bytes()[2..]);
    bytes.extend_from_slice(&[0x00, 0x00]);
    encode(&bytes)
}

/// Whether `id` has the shape of an id of this mailbox (else Graph answers
/// `ErrorInvalidIdMalformed`).
pub fn well_formed(id: &str) -> bool {
    decode(id).is_some_and(|b| b.len() >= 44 && b.starts_with(&HEADER))
}

/// The id of the occurrence of series `master` on `date`.
pub fn occurrence(master: &str, date: Date) -> Option<String> {
    let mut bytes = decode(master)?;
    bytes.push(OCCURRENCE);
    bytes.extend_from_slice(&date.year().to_be_bytes()[2..]);
    bytes.push(u8::from(date.month()));
    bytes.push(date.day());
    Some(encode(&bytes))
}

/// Splits an occurrence id into its series master's id and the date.
pub fn split_occurrence(id: &str) -> Option<(String, Date)> {
    let bytes = decode(id)?;
    let n = bytes.len();
    if n < 49 || bytes[n - 5] != OCCURRENCE {
        return None;
    }
    let year = i32::from(u16::from_be_bytes([bytes[n - 4], bytes[n - 3]]));
    let month = time::Month::try_from(bytes[n - 2]).ok()?;
    let date = Date::from_calendar_date(year, month, bytes[n - 1]).ok()?;
    Some((encode(&bytes[..n - 5]), date))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_look_like_exchange_ids_and_occurrences_round_trip() {
        let mbx = Guid::from_bytes([7; 16]);
        let a = make(mbx, IdKind::Item, "message", 1);
        let b = make(mbx, IdKind::Item, "message", 2);
        assert!(a.starts_with("AAMkA"), "{a}");
        assert_ne!(a, b);
        assert!(well_formed(&a));
        assert!(!well_formed("inbox"));
        assert!(!a.contains('/') && !a.contains('+'));
        let date = Date::from_calendar_date(2026, time::Month::March, 9).expect("date");
        let occ = occurrence(&a, date).expect("occurrence");
        assert_eq!(split_occurrence(&occ), Some((a.clone(), date)));
        assert_eq!(split_occurrence(&a), None);
    }
}
