//! MBOX files in the mboxrd variant, which every mail client reads.
//!
//! Each message is written as:
//!
//! 1. a separator line `From <sender> <asctime date in UTC>` (for example
//!    `From ann@example.com Thu Nov 20 17:02:11 2026`);
//! 2. the message with CRLF line ends turned into LF (mbox files are LF
//!    files: mutt and Thunderbird read them so; CRs at the end of a line are
//!    removed, lone CRs inside a line kept) and every line that matches
//!    `^>*From ` given one more leading `>`;
//! 3. a newline if the message did not end with one, then one empty line.
//!
//! Reading reverses step 2's quoting by removing one `>`, so messages come
//! back byte for byte, apart from the CRLF to LF change (see
//! [`normalize_message`]).

use std::io::{self, Write};

use time::{OffsetDateTime, UtcOffset};

pub use crate::eml::eml_file_name;

/// Writes messages to an mboxrd file.
#[derive(Debug)]
pub struct MboxWriter<W: Write> {
    out: W,
    count: usize,
}

impl<W: Write> MboxWriter<W> {
    /// Starts an mbox file on `out`. Wrap a file in a `BufWriter` for speed.
    pub fn new(out: W) -> Self {
        Self { out, count: 0 }
    }

    /// Appends one message: its raw MIME bytes (RFC 5322), the sender for the
    /// separator line and when it was received.
    pub fn add(
        &mut self,
        mime: &[u8],
        from_addr: &str,
        received: OffsetDateTime,
    ) -> io::Result<()> {
        let mut buf = Vec::with_capacity(mime.len() + 128);
        buf.extend_from_slice(from_line(from_addr, received).as_bytes());
        buf.push(b'\n');
        for_each_line(mime, |line| {
            if is_from_line(line) {
                buf.push(b'>');
            }
            buf.extend_from_slice(line);
            buf.push(b'\n');
        });
        buf.push(b'\n');
        self.out.write_all(&buf)?;
        self.count += 1;
        Ok(())
    }

    /// How many messages were added.
    pub fn count(&self) -> usize {
        self.count
    }

    /// Flushes and gives back the writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}

/// The separator line, without its newline: `From <sender> <date>`.
///
/// The sender has white space, control characters and angle brackets removed;
/// an empty sender becomes `MAILER-DAEMON`. The date is in UTC in C's
/// `asctime` form, `Thu Nov 20 17:02:11 2026` (days below 10 padded with a
/// space).
pub fn from_line(from_addr: &str, received: OffsetDateTime) -> String {
    let sender: String = from_addr
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control() && *c != '<' && *c != '>')
        .collect();
    let sender = if sender.is_empty() {
        "MAILER-DAEMON".to_owned()
    } else {
        sender
    };
    let at = received.to_offset(UtcOffset::UTC);
    let weekday = &at.weekday().to_string()[..3];
    let month = &at.month().to_string()[..3];
    format!(
        "From {sender} {weekday} {month} {:>2} {:02}:{:02}:{:02} {}",
        at.day(),
        at.hour(),
        at.minute(),
        at.second(),
        at.year()
    )
}

/// Whether a line (without its newline) must be quoted: `^>*From `.
fn is_from_line(line: &[u8]) -> bool {
    let quotes = line.iter().take_while(|b| **b == b'>').count();
    line[quotes..].starts_with(b"From ")
}

/// Calls `f` with each line of `message` as the mbox holds it: without its
/// line end (LF, with any CRs before it: CRLF and LF both end a line; a final
/// line without LF counts as a line), an empty message being one empty line.
fn for_each_line(message: &[u8], mut f: impl FnMut(&[u8])) {
    if message.is_empty() {
        f(b"");
        return;
    }
    let mut rest = message;
    while !rest.is_empty() {
        match rest.iter().position(|b| *b == b'\n') {
            Some(end) => {
                f(trim_cr(&rest[..end]));
                rest = &rest[end + 1..];
            }
            None => {
                f(trim_cr(rest));
                rest = &[];
            }
        }
    }
}

fn trim_cr(line: &[u8]) -> &[u8] {
    let keep = line.iter().rposition(|b| *b != b'\r').map_or(0, |i| i + 1);
    &line[..keep]
}

/// A message as [`parse_mboxrd`] gives it back: every line ended by LF alone
/// (CRs at the end of a line removed, so CRLF becomes LF), a final newline
/// added if missing (an empty message becomes one newline). Applying it twice
/// changes nothing more.
pub fn normalize_message(mime: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(mime.len() + 1);
    for_each_line(mime, |line| {
        out.extend_from_slice(line);
        out.push(b'\n');
    });
    out
}

/// Splits an mboxrd file into its messages, removing the separator lines,
/// one level of `>` quoting from `^>+From ` lines and the empty line that
/// ends each message. Anything before the first separator line is ignored.
pub fn parse_mboxrd(bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut messages: Vec<Vec<u8>> = Vec::new();
    let mut current: Option<Vec<u8>> = None;
    let mut rest = bytes;
    while !rest.is_empty() {
        let end = rest
            .iter()
            .position(|b| *b == b'\n')
            .map_or(rest.len(), |e| e + 1);
        let line = &rest[..end];
        rest = &rest[end..];
        if line.starts_with(b"From ") {
            messages.extend(current.take().map(strip_separator));
            current = Some(Vec::new());
            continue;
        }
        let Some(message) = current.as_mut() else {
            continue;
        };
        if line.first() == Some(&b'>') && is_from_line(line) {
            message.extend_from_slice(&line[1..]);
        } else {
            message.extend_from_slice(line);
        }
    }
    messages.extend(current.map(strip_separator));
    messages
}

fn strip_separator(mut message: Vec<u8>) -> Vec<u8> {
    if message.ends_with(b"\n\n") {
        message.pop();
    }
    message
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn from_line_is_asctime_in_utc() {
        assert_eq!(
            from_line("ann@example.com", datetime!(2026-11-20 18:02:11 +01:00)),
            "From ann@example.com Fri Nov 20 17:02:11 2026"
        );
        assert_eq!(
            from_line(
                " <bob smith@example.com>\n",
                datetime!(2026-03-01 00:00:00 UTC)
            ),
            "From bobsmith@example.com Sun Mar  1 00:00:00 2026"
        );
        assert_eq!(
            from_line("", datetime!(2026-03-01 00:00:00 UTC))
                .split(' ')
                .nth(1),
            Some("MAILER-DAEMON")
        );
    }

    #[test]
    fn quotes_from_lines_and_converts_crlf() -> io::Result<()> {
        let mut writer = MboxWriter::new(Vec::new());
        writer.add(
            b"Subject: x\r\n\r\nFrom here\r\n>From there\r\nFromage\r\nend",
            "a@b",
            OffsetDateTime::UNIX_EPOCH,
        )?;
        writer.add(b"", "a@b", OffsetDateTime::UNIX_EPOCH)?;
        assert_eq!(writer.count(), 2);
        let bytes = writer.finish()?;
        assert_eq!(
            String::from_utf8_lossy(&bytes),
            "From a@b Thu Jan  1 00:00:00 1970\nSubject: x\n\n>From here\n>>From there\nFromage\nend\n\n\
             From a@b Thu Jan  1 00:00:00 1970\n\n\n"
        );
        let parsed = parse_mboxrd(&bytes);
        assert_eq!(
            parsed,
            vec![
                b"Subject: x\n\nFrom here\n>From there\nFromage\nend\n".to_vec(),
                b"\n".to_vec()
            ]
        );
        Ok(())
    }

    #[test]
    fn lone_cr_is_kept() {
        let once = normalize_message(b"a\rb\r\r\nc\r");
        assert_eq!(once, b"a\rb\nc\n");
        assert_eq!(normalize_message(&once), once);
    }
}
