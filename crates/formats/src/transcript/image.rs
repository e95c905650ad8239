//! Inline images of a body: hosted contents embedded as `data:` URIs, other
//! images a link or a placeholder. Nothing is loaded from elsewhere.

use super::sanitize::{Attrs, attr, web_url};
use super::{Images, escape, push_escaped};

/// Where a message's inline images come from.
pub(super) struct Inline<'a> {
    /// The Graph id of the message whose body is rendered.
    pub(super) message_id: Option<&'a str>,
    /// The backed-up hosted contents.
    pub(super) images: &'a Images,
}

/// Shown for an image that the backup does not have.
pub(super) const NOT_IN_BACKUP: &str = "[image not in backup]";
/// Shown for a hosted content that is not an image type a browser shows.
pub(super) const UNKNOWN_TYPE: &str = "[image not shown: not a PNG, JPEG, GIF or WebP file]";

/// The HTML for an `<img>` of a body, from its decoded attributes.
///
/// A hosted content (`…/hostedContents/{id}/$value`) is embedded when the
/// backup has it; a Teams emoji is its `alt` text; any other web image is a
/// link to it, never loaded.
pub(super) fn img_html(attrs: &Attrs, inline: &Inline<'_>) -> String {
    let src = attr(attrs, "src").unwrap_or("");
    let alt = attr(attrs, "alt").filter(|a| !a.trim().is_empty());
    if let Some(hosted) = hosted_content(src) {
        return match find(inline, &hosted) {
            None => placeholder(NOT_IN_BACKUP),
            Some(bytes) => match sniff(bytes) {
                Some(media_type) => embedded(media_type, bytes, alt, attrs),
                None => placeholder(UNKNOWN_TYPE),
            },
        };
    }
    let emoji = attr(attrs, "itemtype").is_some_and(|t| t.contains("Emoji"));
    if let (true, Some(alt)) = (emoji, alt) {
        return escape(alt);
    }
    match web_url(src) {
        Some(url) => format!(
            "<a href=\"{}\">[image: {}]</a>",
            escape(&url),
            escape(alt.unwrap_or(&url))
        ),
        None => placeholder(NOT_IN_BACKUP),
    }
}

fn placeholder(text: &str) -> String {
    format!("<span class=\"placeholder\">{}</span>", escape(text))
}

/// A hosted content named by an image's `src`.
#[derive(Debug, PartialEq)]
struct Hosted {
    /// The id as written in the URL and percent-decoded.
    raw: String,
    decoded: String,
    /// The message (or reply) the URL names: the path segment before
    /// `hostedContents`, percent-decoded.
    owner: Option<String>,
}

/// Reads `…/messages/M[/replies/R]/hostedContents/H/$value`.
fn hosted_content(src: &str) -> Option<Hosted> {
    const MARK: &str = "/hostedcontents/";
    // ASCII lower-casing keeps every byte where it was.
    let at = src.to_ascii_lowercase().rfind(MARK)?;
    let after = &src[at + MARK.len()..];
    let raw = after.split(['/', '?', '#']).next().unwrap_or("");
    if raw.is_empty() {
        return None;
    }
    let owner = src[..at]
        .rsplit('/')
        .next()
        .filter(|s| !s.is_empty())
        .map(percent_decode);
    Some(Hosted {
        raw: raw.to_owned(),
        decoded: percent_decode(raw),
        owner,
    })
}

/// The bytes of a hosted content: by the rendered message's id, else by the
/// message the URL names; the decoded id first, then as written.
fn find<'a>(inline: &Inline<'a>, hosted: &Hosted) -> Option<&'a [u8]> {
    let owners = inline.message_id.into_iter().chain(hosted.owner.as_deref());
    for owner in owners {
        for id in [&hosted.decoded, &hosted.raw] {
            if let Some(bytes) = inline.images.get(&(owner.to_owned(), id.clone())) {
                return Some(bytes);
            }
        }
    }
    None
}

/// `%XX` escapes decoded; anything else kept. Bytes that are not UTF-8 become U+FFFD.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let high = bytes.get(i + 1).and_then(|c| hex_value(*c));
        let low = bytes.get(i + 2).and_then(|c| hex_value(*c));
        match (b, high, low) {
            (b'%', Some(high), Some(low)) => {
                out.push(high << 4 | low);
                i += 3;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex_value(c: u8) -> Option<u8> {
    char::from(c)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

/// The media type of the image formats every browser shows, from the bytes.
fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if bytes.starts_with(b"RIFF") && bytes.get(8..12) == Some(b"WEBP") {
        Some("image/webp")
    } else {
        None
    }
}

/// An `<img>` with the bytes as a `data:` URI; `width` and `height` kept
/// when they are plain numbers.
fn embedded(media_type: &str, bytes: &[u8], alt: Option<&str>, attrs: &Attrs) -> String {
    let mut out = String::with_capacity(bytes.len() / 3 * 4 + 100);
    out.push_str("<img src=\"data:");
    out.push_str(media_type);
    out.push_str(";base64,");
    push_base64(&mut out, bytes);
    out.push_str("\" alt=\"");
    push_escaped(&mut out, alt.unwrap_or("image"));
    out.push('"');
    for name in ["width", "height"] {
        let value = attr(attrs, name)
            .map(str::trim)
            .filter(|v| (1..=5).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_digit()));
        if let Some(value) = value {
            out.push_str(&format!(" {name}=\"{value}\""));
        }
    }
    out.push('>');
    out
}

/// Standard base64 (RFC 4648 §4) with padding.
fn push_base64(out: &mut String, bytes: &[u8]) {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for chunk in bytes.chunks(3) {
        let byte = |i: usize| u32::from(chunk.get(i).copied().unwrap_or(0));
        let group = byte(0) << 16 | byte(1) << 8 | byte(2);
        for i in 0..4 {
            if i <= chunk.len() {
                let index = (group >> (18 - 6 * i)) & 63;
                out.push(char::from(ALPHABET[index as usize]));
            } else {
                out.push('=');
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base64(bytes: &[u8]) -> String {
        let mut out = String::new();
        push_base64(&mut out, bytes);
        out
    }

    #[test]
    fn base64_matches_rfc_4648_vectors() {
        let vectors = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (plain, encoded) in vectors {
            assert_eq!(base64(plain.as_bytes()), encoded, "{plain:?}");
        }
        assert_eq!(base64(&[0xfb, 0xff, 0xfe]), "+//+");
    }

    #[test]
    fn hosted_content_urls_are_read() {
        let channel = "https://graph.microsoft.com/v1.0/teams/T/channels/19%3Ax%40thread.tacv2/messages/1700/hostedContents/aWQ9eF8w%3D%3D/$value";
        assert_eq!(
            hosted_content(channel),
            Some(Hosted {
                raw: "aWQ9eF8w%3D%3D".to_owned(),
                decoded: "aWQ9eF8w==".to_owned(),
                owner: Some("1700".to_owned()),
            })
        );
        let reply = "https://graph.microsoft.com/v1.0/teams/T/channels/C/messages/1700/replies/1800/hostedContents/H/$value";
        assert_eq!(
            hosted_content(reply).and_then(|h| h.owner),
            Some("1800".to_owned())
        );
        let chat = "https://graph.microsoft.com/beta/chats/19:a_b@unq.gbl.spaces/messages/1900/HostedContents/H2/%24value";
        let hosted = hosted_content(chat);
        assert_eq!(hosted.as_ref().map(|h| h.decoded.as_str()), Some("H2"));
        assert_eq!(hosted.and_then(|h| h.owner), Some("1900".to_owned()));
        assert_eq!(hosted_content("https://example.com/a.png"), None);
        assert_eq!(hosted_content("x/hostedContents/"), None);
        assert_eq!(
            hosted_content("/hostedContents/%ZZ%e2%82").map(|h| h.decoded),
            Some("%ZZ\u{fffd}".to_owned())
        );
    }

    #[test]
    fn only_known_image_types_are_sniffed() {
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Some("image/png"));
        assert_eq!(sniff(&[0xff, 0xd8, 0xff, 0xe0]), Some("image/jpeg"));
        assert_eq!(sniff(b"GIF89a..."), Some("image/gif"));
        assert_eq!(sniff(b"RIFF\x10\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(sniff(b"RIFF\x10\0\0\0WAVE"), None);
        assert_eq!(sniff(b"<svg onload=alert(1)>"), None);
        assert_eq!(sniff(b""), None);
    }

    #[test]
    fn images_are_embedded_linked_or_replaced() {
        let mut images = Images::new();
        images.insert(("1800".into(), "H==".into()), b"GIF89a\x01\x00".to_vec());
        images.insert(("1800".into(), "bin".into()), b"MZ\x90\x00".to_vec());
        let inline = Inline {
            message_id: Some("1800"),
            images: &images,
        };
        let attrs = |src: &str, alt: &str| -> Attrs {
            vec![
                ("src".into(), src.into()),
                ("alt".into(), alt.into()),
                ("width".into(), "120".into()),
                ("height".into(), "1e9\"".into()),
            ]
        };
        let html = img_html(
            &attrs("https://g/messages/1/hostedContents/H%3D%3D/$value", "a\"b"),
            &inline,
        );
        assert_eq!(
            html,
            "<img src=\"data:image/gif;base64,R0lGODlhAQA=\" alt=\"a&quot;b\" width=\"120\">"
        );
        let html = img_html(
            &attrs("https://g/messages/1800/hostedContents/bin/$value", ""),
            &inline,
        );
        assert!(html.contains(UNKNOWN_TYPE), "{html}");
        let html = img_html(
            &attrs("https://g/messages/1800/hostedContents/gone/$value", ""),
            &inline,
        );
        assert!(html.contains(NOT_IN_BACKUP), "{html}");
        let html = img_html(&attrs("https://cdn.example/x.png?a=1&b=<2>", ""), &inline);
        assert_eq!(
            html,
            "<a href=\"https://cdn.example/x.png?a=1&amp;b=&lt;2&gt;\">[image: https://cdn.example/x.png?a=1&amp;b=&lt;2&gt;]</a>"
        );
        assert!(!html.contains("<img"));
        let html = img_html(&attrs("cid:image001.png", "logo"), &inline);
        assert!(
            html.contains(NOT_IN_BACKUP) && !html.contains("cid:"),
            "{html}"
        );
        let mut emoji = attrs("https://statics.teams.cdn.office.net/smile.png", "😄");
        emoji.push(("itemtype".into(), "http://schema.skype.com/Emoji".into()));
        assert_eq!(img_html(&emoji, &inline), "😄");
    }
}
