//! File names for single messages saved as `.eml`.

use sha2::{Digest, Sha256};
use time::{OffsetDateTime, UtcOffset};

/// Most bytes of the subject kept in a file name.
const MAX_SUBJECT_BYTES: usize = 80;

/// Names that Windows reserves whatever their extension.
const RESERVED: [&str; 22] = [
    "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
    "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
];

/// A file name for a message: `YYYY-MM-DD_HHMMSS_<subject>_<hash>.eml`.
///
/// The date and time are when it was received, in UTC. The subject keeps
/// letters and digits of any script and `- _ . , ( ) [ ] + = @ & '`; every
/// other run of characters (white space, path separators, `: * ? " < > |`,
/// control and formatting characters, emoji) becomes one `_`; it is cut to
/// 80 bytes on a character boundary, and `no-subject` when empty. `<hash>` is
/// the first 12 hex digits of the SHA-256 of `id`, so two messages with the
/// same subject and time still get different names. The result is at most
/// 117 bytes, has no leading or trailing dot or space, and is never a
/// reserved Windows device name.
pub fn eml_file_name(subject: Option<&str>, received: OffsetDateTime, id: &str) -> String {
    let mut clean = String::new();
    let mut gap = false;
    for c in subject.unwrap_or_default().chars() {
        let keep = c.is_alphanumeric() || "-_.,()[]+=@&'".contains(c);
        if !keep {
            gap = true;
            continue;
        }
        if gap && !clean.is_empty() {
            clean.push('_');
        }
        gap = false;
        if clean.len() + c.len_utf8() > MAX_SUBJECT_BYTES {
            break;
        }
        clean.push(c);
    }
    let clean = clean.trim_matches(['_', '.', ' ']);
    let clean = if clean.is_empty() {
        "no-subject"
    } else {
        clean
    };
    let at = received.to_offset(UtcOffset::UTC);
    let digest = Sha256::digest(id.as_bytes());
    let hash: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
    let name = format!(
        "{:04}-{:02}-{:02}_{:02}{:02}{:02}_{clean}_{hash}.eml",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    );
    let stem = name
        .split('.')
        .next()
        .unwrap_or_default()
        .to_ascii_uppercase();
    if RESERVED.contains(&stem.as_str()) {
        format!("_{name}")
    } else {
        name
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn names_are_safe_and_unique() {
        let at = datetime!(2026-11-20 18:02:11 +01:00);
        let a = eml_file_name(Some("Re: Q3/Q4 report <draft> *final*?"), at, "AAMk1");
        assert!(
            a.starts_with("2026-11-20_170211_Re_Q3_Q4_report_draft_final_"),
            "{a}"
        );
        assert!(a.ends_with(".eml"));
        assert_ne!(
            a,
            eml_file_name(Some("Re: Q3/Q4 report <draft> *final*?"), at, "AAMk2")
        );
        assert_eq!(
            a,
            eml_file_name(Some("Re: Q3/Q4 report <draft> *final*?"), at, "AAMk1")
        );
        let empty = eml_file_name(Some(" \u{202e}.. "), at, "x");
        assert!(
            empty.starts_with("2026-11-20_170211_no-subject_"),
            "{empty}"
        );
        let long = eml_file_name(Some(&"ü".repeat(300)), at, "x");
        assert!(long.len() <= 117, "{}", long.len());
        assert_eq!(eml_file_name(None, at, "x"), empty);
        assert!(eml_file_name(Some("Grüße aus 東京"), at, "x").contains("Grüße_aus_東京"));
    }
}
