//! MBOX files read back with our parser and with mail-parser's.

use std::io::Cursor;

use anyhow::Result;
use m365vault_formats::mbox::{MboxWriter, normalize_message, parse_mboxrd};
use time::macros::datetime;

/// Messages as mail-parser's mbox reader sees them, with the empty line that
/// separates messages taken off, as mboxrd readers do.
pub fn read_with_mail_parser(bytes: &[u8]) -> Result<Vec<(String, u64, Vec<u8>)>> {
    let mut out = Vec::new();
    for message in mail_parser::mailbox::mbox::MessageIterator::new(Cursor::new(bytes)) {
        let message = message?;
        let mut contents = message.contents().to_vec();
        if contents.ends_with(b"\n\n") {
            contents.pop();
        }
        out.push((message.from().to_owned(), message.internal_date(), contents));
    }
    Ok(out)
}

const TRICKY: &[u8] = b"From: Ann <ann@example.com>\r\n\
Subject: quoting\r\n\
\r\n\
From here on, lines look like separators:\r\n\
From someone@example.com Thu Nov 20 17:02:11 2026\r\n\
>From already quoted once\r\n\
>>From quoted twice\r\n\
> From is not a From line\r\n\
Fromage is not one either\r\n\
\r\n\
\r\n\
last line without a newline";

#[test]
fn tricky_messages_round_trip_through_both_parsers() -> Result<()> {
    let messages: Vec<&[u8]> = vec![
        TRICKY,
        b"Subject: second\n\nbody\n",
        b"",
        b"Subject: blank end\n\n\n\n",
    ];
    let received = datetime!(2026-11-20 18:02:11 +01:00);
    let mut writer = MboxWriter::new(Vec::new());
    for message in &messages {
        writer.add(message, "ann@example.com", received)?;
    }
    let bytes = writer.finish()?;
    assert!(!bytes.contains(&b'\r'), "the mbox keeps a CR");
    assert!(bytes.starts_with(b"From ann@example.com Fri Nov 20 17:02:11 2026\n"));

    let expected: Vec<Vec<u8>> = messages.iter().map(|m| normalize_message(m)).collect();
    assert_eq!(parse_mboxrd(&bytes), expected);
    let independent = read_with_mail_parser(&bytes)?;
    assert_eq!(independent.len(), messages.len());
    for ((from, date, contents), expected) in independent.into_iter().zip(&expected) {
        assert_eq!(from, "ann@example.com");
        assert_eq!(
            date,
            datetime!(2026-11-20 17:02:11 UTC)
                .unix_timestamp()
                .unsigned_abs()
        );
        assert_eq!(
            String::from_utf8_lossy(&contents),
            String::from_utf8_lossy(expected)
        );
    }
    // mail-parser reads the first message's headers and body back.
    let first = mail_parser::MessageParser::default()
        .parse(&expected[0])
        .ok_or_else(|| anyhow::anyhow!("unparsable"))?;
    assert_eq!(first.subject(), Some("quoting"));
    assert!(
        first
            .body_text(0)
            .is_some_and(|b| b.contains(">>From quoted twice"))
    );
    Ok(())
}

#[test]
fn parse_ignores_text_before_the_first_separator() {
    let bytes = b"junk\nFrom a@b Thu Jan  1 00:00:00 1970\nx\n\n";
    assert_eq!(parse_mboxrd(bytes), vec![b"x\n".to_vec()]);
    assert!(parse_mboxrd(b"").is_empty());
}
