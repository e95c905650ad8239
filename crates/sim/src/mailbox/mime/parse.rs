//! Reads the parts of a MIME message a mailbox needs: addressing headers,
//! bodies and attachments (nested messages included).

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc2822;

use crate::mailbox::content::{Attachment, AttachmentBody, Bytes, Content, Person};

/// Why MIME could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError(pub String);

/// A parsed message.
#[derive(Debug, Clone, Default)]
pub struct Parsed {
    /// Top-level headers, unfolded, in order.
    pub headers: Vec<(String, String)>,
    /// `Subject:` (decoded).
    pub subject: String,
    /// `From:`.
    pub from: Option<Person>,
    /// `Sender:`.
    pub sender: Option<Person>,
    /// `To:`.
    pub to: Vec<Person>,
    /// `Cc:`.
    pub cc: Vec<Person>,
    /// `Bcc:`.
    pub bcc: Vec<Person>,
    /// `Reply-To:`.
    pub reply_to: Vec<Person>,
    /// `Date:`.
    pub date: Option<OffsetDateTime>,
    /// `Message-ID:`.
    pub message_id: Option<String>,
    /// `Thread-Topic:`.
    pub topic: Option<String>,
    /// The first plain-text body part.
    pub text: Option<String>,
    /// The first HTML body part.
    pub html: Option<String>,
    /// Attachments, in order.
    pub attachments: Vec<Attachment>,
}

impl Parsed {
    /// The header `name` (first occurrence, case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// As message content; `fallback` stands for a missing `Date:`.
    pub fn into_content(self, fallback: OffsetDateTime) -> Content {
        let text = self
            .text
            .clone()
            .or_else(|| self.html.as_deref().map(strip_tags))
            .unwrap_or_default();
        Content {
            topic: self.topic.clone().unwrap_or_else(|| self.subject.clone()),
            subject: self.subject,
            from: self.from.unwrap_or(Person {
                name: String::new(),
                address: String::new(),
            }),
            to: self.to,
            cc: self.cc,
            bcc: self.bcc,
            date: self.date.unwrap_or(fallback),
            message_id: self.message_id.unwrap_or_default(),
            text,
            html: self.html,
            attachments: self.attachments,
        }
    }
}

/// Parses a message.
pub fn parse(bytes: &[u8]) -> Result<Parsed, ParseError> {
    let (head, _) = split_head(bytes);
    let headers = headers(head);
    if headers.is_empty() {
        return Err(ParseError("no header fields".into()));
    }
    let mut p = Parsed {
        subject: decode_words(find(&headers, "subject").unwrap_or_default()),
        from: find(&headers, "from").and_then(|v| address_list(v).into_iter().next()),
        sender: find(&headers, "sender").and_then(|v| address_list(v).into_iter().next()),
        to: find(&headers, "to").map(address_list).unwrap_or_default(),
        cc: find(&headers, "cc").map(address_list).unwrap_or_default(),
        bcc: find(&headers, "bcc").map(address_list).unwrap_or_default(),
        reply_to: find(&headers, "reply-to")
            .map(address_list)
            .unwrap_or_default(),
        date: find(&headers, "date").and_then(|d| OffsetDateTime::parse(d.trim(), &Rfc2822).ok()),
        message_id: find(&headers, "message-id").map(|v| v.trim().to_owned()),
        topic: find(&headers, "thread-topic").map(decode_words),
        headers: Vec::new(),
        ..Parsed::default()
    };
    walk(bytes, &mut p, 0, false);
    p.headers = headers;
    Ok(p)
}

fn find<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// Splits a part into its header block and body.
fn split_head(bytes: &[u8]) -> (&[u8], &[u8]) {
    if bytes.starts_with(b"\r\n") {
        return (&[], &bytes[2..]);
    }
    if bytes.starts_with(b"\n") {
        return (&[], &bytes[1..]);
    }
    if let Some(i) = find_bytes(bytes, b"\r\n\r\n") {
        return (&bytes[..i], &bytes[i + 4..]);
    }
    if let Some(i) = find_bytes(bytes, b"\n\n") {
        return (&bytes[..i], &bytes[i + 2..]);
    }
    (bytes, &[])
}

fn find_bytes(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn headers(head: &[u8]) -> Vec<(String, String)> {
    let text = String::from_utf8_lossy(head);
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.starts_with([' ', '\t']) {
            if let Some(last) = out.last_mut() {
                last.1.push(' ');
                last.1.push_str(line.trim());
            }
            continue;
        }
        if let Some((k, v)) = line.split_once(':') {
            let k = k.trim();
            if !k.is_empty() && !k.contains(' ') {
                out.push((k.to_owned(), v.trim().to_owned()));
            }
        }
    }
    out
}

/// `type/subtype` (lowercase) and parameters (keys lowercase, values unquoted).
fn parameters(value: &str) -> (String, Vec<(String, String)>) {
    let mut parts = split_outside_quotes(value, ';').into_iter();
    let main = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
    let params = parts
        .filter_map(|p| {
            let (k, v) = p.split_once('=')?;
            let v = v.trim();
            let v = v
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .map(|v| v.replace("\\\"", "\"").replace("\\\\", "\\"))
                .unwrap_or_else(|| v.to_owned());
            Some((k.trim().to_ascii_lowercase(), v))
        })
        .collect();
    (main, params)
}

fn param(params: &[(String, String)], name: &str) -> Option<String> {
    if let Some((_, v)) = params.iter().find(|(k, _)| k == name) {
        return Some(decode_words(v));
    }
    // RFC 2231: name*=charset'lang'percent-encoded
    let (_, v) = params.iter().find(|(k, _)| *k == format!("{name}*"))?;
    let encoded = v.splitn(3, '\'').nth(2).unwrap_or(v);
    Some(percent_decode(encoded))
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(b) = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn split_outside_quotes(s: &str, sep: char) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let (mut quoted, mut angle, mut escaped) = (false, false, false);
    for c in s.chars() {
        if escaped {
            cur.push(c);
            escaped = false;
            continue;
        }
        match c {
            '\\' if quoted => {
                escaped = true;
                cur.push(c);
            }
            '"' => {
                quoted = !quoted;
                cur.push(c);
            }
            '<' if !quoted => {
                angle = true;
                cur.push(c);
            }
            '>' if !quoted => {
                angle = false;
                cur.push(c);
            }
            c if c == sep && !quoted && !angle => out.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    out.push(cur);
    out
}

/// Parses an address list such as `"Lee, Ann" <ann@x.com>, bo@y.com`.
pub fn address_list(value: &str) -> Vec<Person> {
    split_outside_quotes(value, ',')
        .into_iter()
        .filter_map(|item| {
            let item = item.trim();
            if item.is_empty() {
                return None;
            }
            let (name, address) = match (item.rfind('<'), item.rfind('>')) {
                (Some(a), Some(b)) if a < b => (item[..a].trim(), item[a + 1..b].trim()),
                _ => ("", item),
            };
            let name = name
                .strip_prefix('"')
                .and_then(|n| n.strip_suffix('"'))
                .map(|n| n.replace("\\\"", "\"").replace("\\\\", "\\"))
                .unwrap_or_else(|| name.to_owned());
            Some(Person {
                name: decode_words(&name),
                address: address.to_owned(),
            })
        })
        .collect()
}

/// Decodes RFC 2047 encoded words (`=?utf-8?B?…?=`, `=?iso-8859-1?Q?…?=`).
pub fn decode_words(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    let mut after_word = false;
    while let Some(start) = rest.find("=?") {
        let (before, tail) = rest.split_at(start);
        let decoded = tail[2..].split_once('?').and_then(|(charset, t)| {
            let (enc, t) = t.split_once('?')?;
            let (text, after) = t.split_once("?=")?;
            let bytes = match enc {
                "B" | "b" => STANDARD.decode(text).ok()?,
                "Q" | "q" => decode_qp(text.replace('_', " ").as_bytes()),
                _ => return None,
            };
            Some((charset_decode(charset, &bytes), after))
        });
        match decoded {
            Some((text, after)) => {
                if !(after_word && before.trim().is_empty()) {
                    out.push_str(before);
                }
                out.push_str(&text);
                rest = after;
                after_word = true;
            }
            None => {
                out.push_str(before);
                out.push_str("=?");
                rest = &tail[2..];
                after_word = false;
            }
        }
    }
    out.push_str(rest);
    out
}

fn charset_decode(charset: &str, bytes: &[u8]) -> String {
    let c = charset.to_ascii_lowercase();
    if c.starts_with("iso-8859-1") || c == "windows-1252" || c == "latin1" {
        bytes.iter().map(|&b| b as char).collect()
    } else {
        String::from_utf8_lossy(bytes).into_owned()
    }
}

/// Decodes quoted-printable.
pub fn decode_qp(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    let mut i = 0;
    while i < data.len() {
        if data[i] == b'=' {
            if data.get(i + 1) == Some(&b'\r') && data.get(i + 2) == Some(&b'\n') {
                i += 3;
                continue;
            }
            if data.get(i + 1) == Some(&b'\n') {
                i += 2;
                continue;
            }
            if let Some(b) = std::str::from_utf8(data.get(i + 1..i + 3).unwrap_or_default())
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(data[i]);
        i += 1;
    }
    out
}

fn decode_body(body: &[u8], encoding: &str) -> Vec<u8> {
    match encoding.to_ascii_lowercase().as_str() {
        "base64" => {
            let clean: Vec<u8> = body
                .iter()
                .copied()
                .filter(|b| !b.is_ascii_whitespace())
                .collect();
            STANDARD
                .decode(&clean)
                .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(&clean))
                .unwrap_or_default()
        }
        "quoted-printable" => decode_qp(body),
        _ => body.to_vec(),
    }
}

/// The parts of a multipart body.
fn split_parts<'a>(body: &'a [u8], boundary: &str) -> Vec<&'a [u8]> {
    let delimiter = format!("--{boundary}");
    let d = delimiter.as_bytes();
    let mut starts = Vec::new();
    let mut i = 0;
    while let Some(pos) = find_bytes(&body[i..], d) {
        let at = i + pos;
        let line_start = at == 0 || body[at - 1] == b'\n';
        if line_start {
            starts.push(at);
        }
        i = at + d.len();
    }
    let mut parts = Vec::new();
    for w in starts.windows(2) {
        let (a, b) = (w[0], w[1]);
        let mut start = a + d.len();
        if body[start..].starts_with(b"--") {
            break;
        }
        while start < b && body[start] != b'\n' {
            start += 1;
        }
        start = (start + 1).min(b);
        let mut end = b;
        if end > start && body[end - 1] == b'\n' {
            end -= 1;
        }
        if end > start && body[end - 1] == b'\r' {
            end -= 1;
        }
        parts.push(&body[start..end.max(start)]);
    }
    parts
}

fn walk(part: &[u8], out: &mut Parsed, depth: usize, in_related: bool) {
    if depth > 20 {
        return;
    }
    let (head, body) = split_head(part);
    let hs = headers(head);
    let (ct, ct_params) = find(&hs, "content-type")
        .map(parameters)
        .unwrap_or_else(|| ("text/plain".to_owned(), Vec::new()));
    let encoding = find(&hs, "content-transfer-encoding")
        .unwrap_or("7bit")
        .trim()
        .to_owned();
    let (disposition, d_params) = find(&hs, "content-disposition")
        .map(parameters)
        .unwrap_or_default();
    if let Some(sub) = ct.strip_prefix("multipart/") {
        if let Some(boundary) = param(&ct_params, "boundary") {
            for p in split_parts(body, &boundary) {
                walk(p, out, depth + 1, in_related || sub == "related");
            }
        }
        return;
    }
    let name = param(&d_params, "filename").or_else(|| param(&ct_params, "name"));
    let content_id = find(&hs, "content-id").map(|v| {
        v.trim()
            .trim_start_matches('<')
            .trim_end_matches('>')
            .to_owned()
    });
    let attached = disposition == "attachment" || (disposition == "inline" && name.is_some());
    let modified = d_params
        .iter()
        .find(|(k, _)| k == "modification-date")
        .and_then(|(_, v)| OffsetDateTime::parse(v, &Rfc2822).ok())
        .or(out.date)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    if ct == "message/rfc822" {
        let inner = decode_body(body, &encoding);
        let nested = parse(&inner).map(|p| p.into_content(modified)).ok();
        if let Some(nested) = nested {
            out.attachments.push(Attachment {
                name: name.unwrap_or_else(|| nested.subject.clone()),
                content_type: ct,
                is_inline: false,
                content_id: None,
                modified,
                body: AttachmentBody::Item(Box::new(nested)),
            });
        }
        return;
    }
    let charset = param(&ct_params, "charset").unwrap_or_else(|| "utf-8".into());
    if !attached && ct == "text/plain" && out.text.is_none() {
        out.text = Some(charset_decode(&charset, &decode_body(body, &encoding)));
        return;
    }
    if !attached && ct == "text/html" && out.html.is_none() {
        out.html = Some(charset_decode(&charset, &decode_body(body, &encoding)));
        return;
    }
    let is_inline =
        disposition == "inline" || (disposition.is_empty() && in_related && content_id.is_some());
    out.attachments.push(Attachment {
        name: name.unwrap_or_else(|| "attachment".to_owned()),
        content_type: ct,
        is_inline,
        content_id,
        modified,
        body: AttachmentBody::File(Bytes::Stored(Arc::new(decode_body(body, &encoding)))),
    });
}

/// Text of an HTML document, for previews.
pub fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    let lower = html.to_ascii_lowercase();
    let body = lower.find("<body").map_or(html, |i| &html[i..]);
    for c in body.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&nbsp;", " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_foreign_mime() {
        let mime = b"Received: from x\r\nFrom: =?iso-8859-1?Q?J=F6rg?= <jorg@example.com>\r\nTo: \"Lee, Ann\" <ann@example.com>,\r\n bo@example.com\r\nSubject: =?utf-8?B?Q2Fmw6k=?= =?utf-8?B?IG1lbnU=?=\r\nDate: Tue, 3 Mar 2026 10:00:00 +0100\r\nContent-Type: multipart/mixed; boundary=XYZ\r\n\r\npreamble\r\n--XYZ\r\nContent-Type: text/plain\r\n\r\nHello\r\n--XYZ\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename*=utf-8''na%C3%AFve.bin\r\nContent-Transfer-Encoding: base64\r\n\r\nAAEC\r\n--XYZ--\r\n";
        let p = parse(mime).expect("parses");
        assert_eq!(p.subject, "Caf\u{e9} menu");
        assert_eq!(p.from.as_ref().map(|f| f.name.as_str()), Some("J\u{f6}rg"));
        assert_eq!(p.to.len(), 2);
        assert_eq!(p.to[0].name, "Lee, Ann");
        assert_eq!(p.text.as_deref(), Some("Hello"));
        assert_eq!(p.attachments.len(), 1);
        assert_eq!(p.attachments[0].name, "na\u{ef}ve.bin");
        match &p.attachments[0].body {
            AttachmentBody::File(b) => assert_eq!(*b.bytes(), vec![0, 1, 2]),
            other => panic!("{other:?}"),
        }
        assert!(p.date.is_some());
        assert!(parse(b"no headers here").is_err());
    }
}
