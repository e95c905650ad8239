//! Property tests: mboxrd quoting, folding and escaping.

use std::io;

use m365vault_formats::contentline::{MAX_LINE_OCTETS, fold, unfold};
use m365vault_formats::mbox::{MboxWriter, normalize_message, parse_mboxrd};
use m365vault_formats::{calendar_to_ics, contact_to_vcard};
use proptest::prelude::*;
use serde_json::json;
use time::OffsetDateTime;

use crate::mbox::read_with_mail_parser;
use crate::support::{events, parse_ics, parse_vcards, text};

/// Lines that stress the quoting: separators, quoted separators, near misses.
fn line() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(b"From someone@example.com Thu Nov 20 17:02:11 2026".to_vec()),
        Just(b"From ".to_vec()),
        Just(b">From x".to_vec()),
        Just(b">>>From y".to_vec()),
        Just(b"> From z".to_vec()),
        Just(b"From".to_vec()),
        Just(b"Fromage".to_vec()),
        Just(Vec::new()),
        Just(b"\r".to_vec()),
        "[ -~]{0,20}".prop_map(String::into_bytes),
        proptest::collection::vec(any::<u8>().prop_filter("no LF", |b| *b != b'\n'), 0..20),
    ]
}

/// A message: lines joined by LF or CRLF, with or without a final line end.
fn message() -> impl Strategy<Value = Vec<u8>> {
    (
        proptest::collection::vec((line(), any::<bool>()), 0..12),
        any::<bool>(),
    )
        .prop_map(|(lines, final_end)| {
            let mut out = Vec::new();
            let count = lines.len();
            for (i, (line, crlf)) in lines.into_iter().enumerate() {
                out.extend_from_slice(&line);
                if i + 1 < count || final_end {
                    out.extend_from_slice(if crlf { b"\r\n" } else { b"\n" });
                }
            }
            out
        })
}

fn write(messages: &[Vec<u8>]) -> io::Result<Vec<u8>> {
    let mut writer = MboxWriter::new(Vec::new());
    for message in messages {
        writer.add(message, "sender@example.com", OffsetDateTime::UNIX_EPOCH)?;
    }
    writer.finish()
}

/// Text for a SUMMARY or NOTE: specials, newlines, multi-byte characters;
/// never blank (blank values are left out).
fn text_value() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just("\\".to_owned()),
            Just(";".to_owned()),
            Just(",".to_owned()),
            Just(":".to_owned()),
            Just("\n".to_owned()),
            Just("\r\n".to_owned()),
            Just("é".to_owned()),
            Just("東京".to_owned()),
            Just("🦀".to_owned()),
            "[a-zA-Z0-9 ]{1,12}",
        ],
        1..30,
    )
    .prop_map(|parts| parts.concat())
    .prop_filter("not blank", |v| !v.trim().is_empty())
}

proptest! {
    #[test]
    fn mboxrd_round_trips(messages in proptest::collection::vec(message(), 1..6)) {
        let bytes = write(&messages)?;
        let expected: Vec<Vec<u8>> = messages.iter().map(|m| normalize_message(m)).collect();
        prop_assert_eq!(&parse_mboxrd(&bytes), &expected);
        let independent = read_with_mail_parser(&bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let contents: Vec<Vec<u8>> = independent.into_iter().map(|(_, _, c)| c).collect();
        prop_assert_eq!(contents, expected);
    }

    #[test]
    fn folding_keeps_lines_short_and_unfolds_to_the_original(line in "[^\r\n]{1,400}") {
        let folded = fold(&line);
        prop_assert!(folded.ends_with("\r\n"));
        for physical in folded.split_terminator("\r\n") {
            prop_assert!(physical.len() <= MAX_LINE_OCTETS, "{} octets: {:?}", physical.len(), physical);
        }
        prop_assert_eq!(unfold(&folded), vec![line]);
    }

    #[test]
    fn escaped_text_reads_back_through_calcard(value in text_value()) {
        let expected = value.replace("\r\n", "\n");
        let event = json!({ "iCalUId": "p", "subject": value, "start": { "dateTime": "2026-01-01T00:00:00", "timeZone": "UTC" } });
        let ics = calendar_to_ics("p", &[event]).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let calendar = parse_ics(&ics).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let summary = events(&calendar).first().and_then(|e| text(e, &calcard::icalendar::ICalendarProperty::Summary));
        prop_assert_eq!(summary.as_deref(), Some(expected.as_str()));

        let card = contact_to_vcard(&json!({ "displayName": "x", "personalNotes": value })).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let cards = parse_vcards(&card).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let note = cards.first().and_then(|c| c.property(&calcard::vcard::VCardProperty::Note)).and_then(|e| e.values.first()).and_then(|v| v.as_text());
        prop_assert_eq!(note, Some(expected.as_str()));
    }
}
