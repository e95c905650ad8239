//! RFC 5322 / MIME for messages: written deterministically from a message's
//! [`Content`], and parsed back from what clients post.
//!
//! Layout, as Exchange writes it: `multipart/mixed` when there are attachments
//! (first part the body), `multipart/related` around the body when it has inline
//! images, `multipart/alternative` for a plain and an HTML body; text parts in
//! quoted-printable UTF-8, binary parts in base64 (76-column lines), attached
//! messages as `message/rfc822`. Reference attachments are not part of MIME.

pub mod parse;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc2822;

use super::content::{AttachmentBody, Content, Person, hex};

pub use parse::{ParseError, parse};

/// The MIME of a message.
pub fn write(c: &Content) -> Vec<u8> {
    let mut out = Vec::with_capacity(4096);
    let mut h = Headers(&mut out);
    h.add("From", &address(&c.from));
    if !c.to.is_empty() {
        h.add("To", &addresses(&c.to));
    }
    if !c.cc.is_empty() {
        h.add("Cc", &addresses(&c.cc));
    }
    if !c.bcc.is_empty() {
        h.add("Bcc", &addresses(&c.bcc));
    }
    h.add("Subject", &encode_word(&c.subject));
    h.add("Thread-Topic", &encode_word(&c.topic));
    h.add("Date", &rfc2822(c.date));
    h.add("Message-ID", &c.message_id);
    h.add("Content-Language", "en-US");
    let has_files = c
        .attachments
        .iter()
        .any(|a| !a.is_inline && !matches!(a.body, AttachmentBody::Reference { .. }));
    h.add("X-MS-Has-Attach", if has_files { "yes" } else { "" });
    h.add("MIME-Version", "1.0");
    let body = body_part(c);
    let inline: Vec<&super::content::Attachment> = c
        .attachments
        .iter()
        .filter(|a| a.is_inline && matches!(a.body, AttachmentBody::File(_)))
        .collect();
    let related = if inline.is_empty() {
        body
    } else {
        let mut parts = vec![body];
        for a in inline {
            parts.push(attachment_part(a));
        }
        multipart(
            "related",
            &boundary(c, "related"),
            Some("multipart/alternative"),
            parts,
        )
    };
    let files: Vec<&super::content::Attachment> = c
        .attachments
        .iter()
        .filter(|a| !a.is_inline && !matches!(a.body, AttachmentBody::Reference { .. }))
        .collect();
    let top = if files.is_empty() {
        related
    } else {
        let mut parts = vec![related];
        for a in files {
            parts.push(attachment_part(a));
        }
        multipart("mixed", &boundary(c, "mixed"), None, parts)
    };
    out.extend_from_slice(&top);
    out
}

/// A date as `Date:` headers write it.
pub fn rfc2822(t: OffsetDateTime) -> String {
    t.replace_nanosecond(0)
        .unwrap_or(t)
        .format(&Rfc2822)
        .unwrap_or_default()
}

struct Headers<'a>(&'a mut Vec<u8>);

impl Headers<'_> {
    fn add(&mut self, name: &str, value: &str) {
        self.0.extend_from_slice(name.as_bytes());
        self.0.extend_from_slice(b": ");
        self.0.extend_from_slice(value.as_bytes());
        self.0.extend_from_slice(b"\r\n");
    }
}

/// `"Name" <address>` (or just the address when there is no name).
pub fn address(p: &Person) -> String {
    if p.name.is_empty() {
        return format!("<{}>", p.address);
    }
    let name = if p.name.is_ascii() {
        if p.name.chars().any(|c| "()<>[]:;@\\,.\"".contains(c)) {
            format!("\"{}\"", p.name.replace('\\', "\\\\").replace('"', "\\\""))
        } else {
            p.name.clone()
        }
    } else {
        encode_word(&p.name)
    };
    format!("{name} <{}>", p.address)
}

fn addresses(list: &[Person]) -> String {
    list.iter().map(address).collect::<Vec<_>>().join(", ")
}

/// RFC 2047 `B` encoding of non-ASCII header text.
pub fn encode_word(s: &str) -> String {
    if s.is_ascii() {
        return s.to_owned();
    }
    format!("=?utf-8?B?{}?=", STANDARD.encode(s.as_bytes()))
}

fn boundary(c: &Content, level: &str) -> String {
    let mut h = Sha256::new();
    h.update(c.message_id.as_bytes());
    h.update(level.as_bytes());
    let d = h.finalize();
    format!("_000_{}_", hex(&d[..12]).to_ascii_uppercase())
}

fn body_part(c: &Content) -> Vec<u8> {
    let plain = text_part("text/plain", &c.text);
    match &c.html {
        None => plain,
        Some(html) => multipart(
            "alternative",
            &boundary(c, "alternative"),
            None,
            vec![plain, text_part("text/html", html)],
        ),
    }
}

fn text_part(content_type: &str, text: &str) -> Vec<u8> {
    let mut out = format!(
        "Content-Type: {content_type}; charset=\"utf-8\"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
    )
    .into_bytes();
    out.extend_from_slice(quoted_printable(text.as_bytes()).as_bytes());
    out
}

fn multipart(
    subtype: &str,
    boundary: &str,
    related_type: Option<&str>,
    parts: Vec<Vec<u8>>,
) -> Vec<u8> {
    let mut out =
        format!("Content-Type: multipart/{subtype};\r\n\tboundary=\"{boundary}\"").into_bytes();
    if let Some(t) = related_type {
        out.extend_from_slice(format!(";\r\n\ttype=\"{t}\"").as_bytes());
    }
    out.extend_from_slice(b"\r\n\r\n");
    // Each delimiter is CRLF "--" boundary: the CRLF belongs to it, not to the part.
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        out.extend_from_slice(p);
    }
    out.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    out
}

fn attachment_part(a: &super::content::Attachment) -> Vec<u8> {
    let name = encode_word(&a.name).replace('"', "'");
    let disposition = if a.is_inline { "inline" } else { "attachment" };
    match &a.body {
        AttachmentBody::File(bytes) => {
            let data = bytes.bytes();
            let mut out = format!(
                "Content-Type: {}; name=\"{name}\"\r\nContent-Description: {name}\r\nContent-Disposition: {disposition}; filename=\"{name}\"; size={};\r\n\tcreation-date=\"{}\";\r\n\tmodification-date=\"{}\"\r\n",
                a.content_type,
                data.len(),
                rfc2822(a.modified),
                rfc2822(a.modified)
            )
            .into_bytes();
            if let Some(cid) = &a.content_id {
                out.extend_from_slice(format!("Content-ID: <{cid}>\r\n").as_bytes());
            }
            out.extend_from_slice(b"Content-Transfer-Encoding: base64\r\n\r\n");
            out.extend_from_slice(base64_lines(&data).as_bytes());
            out
        }
        AttachmentBody::Item(inner) => {
            let mut out = format!(
                "Content-Type: message/rfc822\r\nContent-Disposition: attachment; filename=\"{name}.eml\"\r\n\r\n"
            )
            .into_bytes();
            out.extend_from_slice(&write(inner));
            out
        }
        AttachmentBody::Reference { .. } => Vec::new(),
    }
}

/// Base64 in lines of 76 characters, each ended by CRLF.
pub fn base64_lines(data: &[u8]) -> String {
    let encoded = STANDARD.encode(data);
    let mut out = String::with_capacity(encoded.len() + encoded.len() / 76 * 2 + 2);
    for chunk in encoded.as_bytes().chunks(76) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push_str("\r\n");
    }
    out
}

/// Quoted-printable (RFC 2045): CRLF line breaks kept, lines soft-broken at 76.
pub fn quoted_printable(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len() + data.len() / 10);
    let mut col = 0;
    let mut i = 0;
    while i < data.len() {
        let b = data[i];
        if b == b'\r' && data.get(i + 1) == Some(&b'\n') {
            out.push_str("\r\n");
            col = 0;
            i += 2;
            continue;
        }
        let next_is_break = i + 1 == data.len() || data[i + 1] == b'\r';
        let literal =
            (b == b'\t' || b == b' ') && !next_is_break || (33..=126).contains(&b) && b != b'=';
        let piece = if literal {
            (b as char).to_string()
        } else {
            format!("={b:02X}")
        };
        if col + piece.len() > 75 {
            out.push_str("=\r\n");
            col = 0;
        }
        col += piece.len();
        out.push_str(&piece);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mailbox::content::{self, Context, Role};
    use time::Duration;

    fn ctx(scale: f64) -> Context {
        Context {
            seed: 11,
            user: 2,
            owner: Person {
                name: "Ann Lee".into(),
                address: "annl@x.onmicrosoft.com".into(),
            },
            colleagues: vec![Person {
                name: "Bo Chen".into(),
                address: "boc@x.onmicrosoft.com".into(),
            }],
            domain: "x.onmicrosoft.com".into(),
            scale,
        }
    }

    #[test]
    fn written_mime_parses_back_to_the_same_content() {
        let t = OffsetDateTime::UNIX_EPOCH + Duration::days(20_000);
        let mut seen_attachments = 0;
        for n in 0..300 {
            let c = content::message(&ctx(0.01), n, Role::Received, t);
            let mime = write(&c);
            assert_eq!(mime, write(&c), "deterministic");
            let p = parse(&mime).expect("parses");
            assert_eq!(p.subject, c.subject, "{n}");
            assert_eq!(p.from.as_ref(), Some(&c.from));
            assert_eq!(p.to, c.to);
            assert_eq!(p.cc, c.cc);
            assert_eq!(p.date, c.date.replace_nanosecond(0).ok());
            assert_eq!(p.message_id.as_deref(), Some(c.message_id.as_str()));
            assert_eq!(p.text.as_deref(), Some(c.text.as_str()), "{n}");
            assert_eq!(p.html, c.html);
            let in_mime: Vec<_> = c
                .attachments
                .iter()
                .filter(|a| !matches!(a.body, AttachmentBody::Reference { .. }))
                .collect();
            assert_eq!(p.attachments.len(), in_mime.len(), "{n}");
            for (got, want) in p.attachments.iter().zip(in_mime) {
                seen_attachments += 1;
                assert_eq!(got.name.trim_end_matches(".eml"), want.name);
                assert_eq!(got.is_inline, want.is_inline);
                if let (AttachmentBody::File(g), AttachmentBody::File(w)) = (&got.body, &want.body)
                {
                    assert_eq!(g.bytes(), w.bytes());
                    assert_eq!(got.content_id, want.content_id);
                }
            }
        }
        assert!(seen_attachments > 20, "{seen_attachments}");
    }

    #[test]
    fn quoted_printable_round_trips() {
        let text =
            "Caf\u{e9} = 10\u{20ac}\r\nline with trailing space \r\n".repeat(5) + &"x".repeat(200);
        let qp = quoted_printable(text.as_bytes());
        assert!(qp.lines().all(|l| l.len() <= 76), "{qp}");
        assert_eq!(parse::decode_qp(qp.as_bytes()), text.as_bytes());
    }
}
