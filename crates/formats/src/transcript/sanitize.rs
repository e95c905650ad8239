//! An allow-list sanitizer for the HTML bodies of Teams messages.
//!
//! The body is split into text, tags, character references and comments,
//! roughly as an HTML tokenizer does, and written again from scratch: text
//! escaped, only the tags listed here, only the attributes checked here, and
//! every element it opens closed again (so that a stray `</div>` cannot end
//! the transcript's own markup). Everything else is dropped: tags not listed
//! (their text is kept), the content of `script`, `style`, `iframe` and other
//! raw-text or foreign elements, comments, event and style attributes,
//! classes, links other than http, https and mailto. No byte of the input
//! reaches the output unescaped, so whatever the input, the output holds no
//! markup but what is written here.

use super::image::{Inline, img_html};
use super::push_escaped;

/// The attributes of a tag that the sanitizer reads: lower-case name and
/// decoded value, the first of each name.
pub(super) type Attrs = Vec<(String, String)>;

/// The attributes read; all others are skipped.
const READ: [&str; 8] = [
    "href", "src", "alt", "width", "height", "itemtype", "colspan", "rowspan",
];

/// Tags written as they are.
const ALLOWED: [&str; 33] = [
    "p",
    "br",
    "div",
    "span",
    "b",
    "strong",
    "i",
    "em",
    "u",
    "s",
    "strike",
    "del",
    "sub",
    "sup",
    "a",
    "ul",
    "ol",
    "li",
    "blockquote",
    "pre",
    "code",
    "table",
    "thead",
    "tbody",
    "tr",
    "td",
    "th",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
];

/// Block elements written as `div`, so that their text does not run together.
const AS_DIV: [&str; 14] = [
    "article",
    "section",
    "header",
    "footer",
    "main",
    "aside",
    "nav",
    "figure",
    "figcaption",
    "address",
    "center",
    "dl",
    "dt",
    "dd",
];

/// Elements dropped with their content: raw text (scripts, styles), frames,
/// embedded objects, templates, and foreign (SVG, MathML) content.
const DROPPED: [&str; 13] = [
    "script", "style", "iframe", "object", "noscript", "noembed", "noframes", "template",
    "textarea", "title", "xmp", "svg", "math",
];

/// How deeply elements are nested at most; deeper start tags are dropped
/// (browsers stop nesting at a few hundred levels too).
const MAX_DEPTH: usize = 200;

/// Sanitizes an HTML body; inline images come from `inline`.
pub(super) fn sanitize(html: &str, inline: &Inline<'_>) -> String {
    let mut s = Sanitizer {
        out: String::with_capacity(html.len() + 16),
        open: Vec::new(),
        inline,
    };
    let mut rest = html;
    while let Some(at) = rest.find(['<', '&']) {
        push_escaped(&mut s.out, &rest[..at]);
        let markup = &rest[at..];
        rest = if markup.starts_with('<') {
            s.markup(markup)
        } else {
            s.reference(markup)
        };
    }
    push_escaped(&mut s.out, rest);
    s.close_from(0);
    s.out
}

/// A link target that is safe to write: http, https or mailto.
fn link_url(raw: &str) -> Option<String> {
    let url = clean_url(raw);
    has_scheme(&url, &["http://", "https://", "mailto:"]).then_some(url)
}

/// A web address (http or https) as a browser reads it: tabs and line ends
/// removed, leading and trailing controls and spaces trimmed.
pub(super) fn web_url(raw: &str) -> Option<String> {
    let url = clean_url(raw);
    has_scheme(&url, &["http://", "https://"]).then_some(url)
}

fn clean_url(raw: &str) -> String {
    let url: String = raw
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect();
    url.trim_matches(|c: char| c <= ' ').to_owned()
}

fn has_scheme(url: &str, schemes: &[&str]) -> bool {
    schemes.iter().any(|scheme| {
        url.as_bytes()
            .get(..scheme.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(scheme.as_bytes()))
    })
}

/// The value of an attribute.
pub(super) fn attr<'a>(attrs: &'a Attrs, name: &str) -> Option<&'a str> {
    attrs
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

struct Sanitizer<'a, 'b> {
    out: String,
    /// Open elements: the tag as read, the tag as written.
    open: Vec<(&'static str, &'static str)>,
    inline: &'a Inline<'b>,
}

/// A start or end tag.
struct Tag<'h> {
    /// Lower case.
    name: String,
    attrs: Attrs,
    /// What follows the tag.
    rest: &'h str,
}

impl Sanitizer<'_, '_> {
    /// Handles the markup at `<`; returns what follows it.
    fn markup<'h>(&mut self, rest: &'h str) -> &'h str {
        if let Some(after) = rest.strip_prefix("<!--") {
            return after.find("-->").map_or("", |end| &after[end + 3..]);
        }
        let bytes = rest.as_bytes();
        match (bytes.get(1), bytes.get(2)) {
            // `<!DOCTYPE …>`, `<![CDATA[…]]>`, `<?xml …?>`: bogus comments.
            (Some(b'!' | b'?'), _) => after_gt(rest),
            (Some(b'/'), Some(c)) if c.is_ascii_alphabetic() => match parse_tag(&rest[2..]) {
                Some(tag) => {
                    self.end(&tag.name);
                    tag.rest
                }
                None => "",
            },
            (Some(b'/'), Some(b'>')) => &rest[3..],
            (Some(b'/'), Some(_)) => after_gt(rest),
            (Some(c), _) if c.is_ascii_alphabetic() => match parse_tag(&rest[1..]) {
                Some(tag) => self.start(tag),
                None => "",
            },
            _ => {
                self.out.push_str("&lt;");
                &rest[1..]
            }
        }
    }

    /// Handles `&`: a well-formed character reference is kept as written
    /// (in text it can only ever be text), anything else is `&amp;`.
    fn reference<'h>(&mut self, rest: &'h str) -> &'h str {
        match reference_len(rest) {
            Some(len) => {
                self.out.push_str(&rest[..len]);
                &rest[len..]
            }
            None => {
                self.out.push_str("&amp;");
                &rest[1..]
            }
        }
    }

    fn start<'h>(&mut self, tag: Tag<'h>) -> &'h str {
        let name = tag.name.as_str();
        if DROPPED.contains(&name) {
            return skip_element(tag.rest, name);
        }
        match name {
            "img" => {
                let html = img_html(&tag.attrs, self.inline);
                self.out.push_str(&html);
            }
            "br" | "hr" => {
                self.out.push('<');
                self.out.push_str(name);
                self.out.push('>');
            }
            // Teams' mention: `<at id="0">Ann</at>`.
            "at" => self.open("at", "span", " class=\"mention\""),
            // Teams' emoji: `<emoji id="…" alt="😀" title="…"></emoji>`.
            "emoji" => {
                if let Some(alt) = attr(&tag.attrs, "alt") {
                    push_escaped(&mut self.out, alt);
                }
            }
            "a" => {
                let href = attr(&tag.attrs, "href")
                    .and_then(link_url)
                    .map(|url| {
                        let mut attribute = " href=\"".to_owned();
                        push_escaped(&mut attribute, &url);
                        attribute.push('"');
                        attribute
                    })
                    .unwrap_or_default();
                self.open("a", "a", &href);
            }
            "td" | "th" => {
                let spans = cell_spans(&tag.attrs);
                let name = if name == "td" { "td" } else { "th" };
                self.open(name, name, &spans);
            }
            _ => {
                if let Some(&allowed) = ALLOWED.iter().find(|t| **t == name) {
                    self.open(allowed, allowed, "");
                } else if let Some(&block) = AS_DIV.iter().find(|t| **t == name) {
                    self.open(block, "div", "");
                }
            }
        }
        tag.rest
    }

    /// Writes a start tag and remembers to close it.
    fn open(&mut self, read: &'static str, written: &'static str, attributes: &str) {
        if self.open.len() >= MAX_DEPTH {
            return;
        }
        self.out.push('<');
        self.out.push_str(written);
        self.out.push_str(attributes);
        self.out.push('>');
        self.open.push((read, written));
    }

    /// An end tag closes the innermost open element of its name and all
    /// elements opened inside it; an end tag of nothing open is dropped.
    fn end(&mut self, name: &str) {
        if let Some(at) = self.open.iter().rposition(|(read, _)| *read == name) {
            self.close_from(at);
        }
    }

    /// Closes the open elements from `depth` inwards.
    fn close_from(&mut self, depth: usize) {
        while self.open.len() > depth {
            if let Some((_, written)) = self.open.pop() {
                self.out.push_str("</");
                self.out.push_str(written);
                self.out.push('>');
            }
        }
    }
}

/// `colspan` and `rowspan` when they are small numbers.
fn cell_spans(attrs: &Attrs) -> String {
    let mut out = String::new();
    for name in ["colspan", "rowspan"] {
        let value = attr(attrs, name)
            .map(str::trim)
            .filter(|v| (1..=3).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_digit()));
        if let Some(value) = value {
            out.push_str(&format!(" {name}=\"{value}\""));
        }
    }
    out
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0c)
}

/// What follows the next `>`; nothing if there is none.
fn after_gt(rest: &str) -> &str {
    rest.find('>').map_or("", |at| &rest[at + 1..])
}

/// Reads a tag from its name (after `<` or `</`) to its `>`, as the HTML
/// tokenizer does; `None` if the input ends first (the browser drops such a
/// tag too).
fn parse_tag(s: &str) -> Option<Tag<'_>> {
    let b = s.as_bytes();
    // Every stop below is at an ASCII byte, so every slice is at a character
    // boundary.
    let name_end = b
        .iter()
        .position(|&c| is_space(c) || c == b'/' || c == b'>')
        .unwrap_or(b.len());
    let name = s[..name_end].to_ascii_lowercase();
    let mut attrs = Attrs::new();
    let mut i = name_end;
    loop {
        while b.get(i).is_some_and(|&c| is_space(c) || c == b'/') {
            i += 1;
        }
        match b.get(i) {
            None => return None,
            Some(b'>') => {
                return Some(Tag {
                    name,
                    attrs,
                    rest: &s[i + 1..],
                });
            }
            Some(_) => {}
        }
        // The first character of a name may be `=`.
        let name_start = i;
        i += 1;
        while b
            .get(i)
            .is_some_and(|&c| !(is_space(c) || matches!(c, b'/' | b'>' | b'=')))
        {
            i += 1;
        }
        let attr_name = s[name_start..i].to_ascii_lowercase();
        while b.get(i).is_some_and(|&c| is_space(c)) {
            i += 1;
        }
        let mut value = "";
        if b.get(i) == Some(&b'=') {
            i += 1;
            while b.get(i).is_some_and(|&c| is_space(c)) {
                i += 1;
            }
            match b.get(i) {
                Some(&quote @ (b'"' | b'\'')) => {
                    let len = s[i + 1..].find(char::from(quote))?;
                    value = &s[i + 1..i + 1 + len];
                    i += len + 2;
                }
                _ => {
                    let start = i;
                    while b.get(i).is_some_and(|&c| !is_space(c) && c != b'>') {
                        i += 1;
                    }
                    value = &s[start..i];
                }
            }
        }
        let wanted = READ.contains(&attr_name.as_str());
        if wanted && attr(&attrs, &attr_name).is_none() {
            attrs.push((attr_name, decode_attribute(value)));
        }
    }
}

/// Skips the content of a dropped element and its end tag; with no end tag,
/// the rest of the body (as a browser would take it as the element's content).
fn skip_element<'h>(rest: &'h str, name: &str) -> &'h str {
    let b = rest.as_bytes();
    let mut from = 0;
    while let Some(found) = rest[from..].find("</") {
        let start = from + found + 2;
        let matches = b
            .get(start..start + name.len())
            .is_some_and(|n| n.eq_ignore_ascii_case(name.as_bytes()));
        let ends = matches!(
            b.get(start + name.len()),
            None | Some(b'>' | b'/' | b' ' | b'\t' | b'\n' | b'\r' | 0x0c)
        );
        if matches && ends {
            return after_gt(&rest[start..]);
        }
        from = start;
    }
    ""
}

/// The length of the character reference at the start of `rest` (which
/// starts with `&`): `&name;`, `&#123;` or `&#x1F600;`.
fn reference_len(rest: &str) -> Option<usize> {
    let b = rest.as_bytes();
    let (start, max, valid): (usize, usize, fn(&u8) -> bool) = match (b.get(1), b.get(2)) {
        (Some(b'#'), Some(b'x' | b'X')) => (3, 6, u8::is_ascii_hexdigit),
        (Some(b'#'), _) => (2, 8, u8::is_ascii_digit),
        (Some(c), _) if c.is_ascii_alphabetic() => (1, 32, u8::is_ascii_alphanumeric),
        _ => return None,
    };
    let len = b
        .get(start..)
        .unwrap_or_default()
        .iter()
        .take(max + 1)
        .take_while(|c| valid(c))
        .count();
    let ends = b.get(start + len) == Some(&b';');
    (len > 0 && len <= max && ends).then_some(start + len + 1)
}

/// An attribute value with its character references decoded, as a browser
/// reads it. References not known here stay as written: the value is escaped
/// again when written, so the browser sees exactly the text checked here.
fn decode_attribute(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let decoded = reference_len(rest)
            .and_then(|len| Some((decode_reference(rest.get(1..len - 1)?)?, len)));
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The character of a reference body (`amp`, `#58`, `#x3A`).
fn decode_reference(body: &str) -> Option<char> {
    if let Some(number) = body.strip_prefix('#') {
        let code = match number.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => number.parse().ok()?,
        };
        return Some(
            char::from_u32(code)
                .filter(|c| *c != '\0')
                .unwrap_or('\u{fffd}'),
        );
    }
    Some(match body {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => '\u{a0}',
        "colon" => ':',
        "Tab" => '\t',
        "NewLine" => '\n',
        "sol" => '/',
        "period" => '.',
        "lpar" => '(',
        "rpar" => ')',
        "commat" => '@',
        "num" => '#',
        "quest" => '?',
        "equals" => '=',
        "percnt" => '%',
        "plus" => '+',
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transcript::Images;

    fn clean(html: &str) -> String {
        let images = Images::new();
        sanitize(
            html,
            &Inline {
                message_id: Some("1"),
                images: &images,
            },
        )
    }

    #[test]
    fn allowed_markup_is_kept() {
        assert_eq!(
            clean("<p>Hello <b>bold</b>, <I>it</I>&nbsp;&amp; <em>em</em><br/>x</p><hr>"),
            "<p>Hello <b>bold</b>, <i>it</i>&nbsp;&amp; <em>em</em><br>x</p><hr>"
        );
        assert_eq!(
            clean("<ul><li>one<li>two</ul><pre><code>a  <\n b</code></pre>"),
            "<ul><li>one<li>two</li></li></ul><pre><code>a  &lt;\n b</code></pre>"
        );
        assert_eq!(
            clean(
                "<table class=x><tr><td colspan=\"2\" rowspan=9999 style=\"x\">c</td></tr></table>"
            ),
            "<table><tr><td colspan=\"2\">c</td></tr></table>"
        );
    }

    #[test]
    fn dangerous_markup_is_removed() {
        let out = clean(
            "<p>before</p><script>alert(1)</script><img src=x onerror=alert(1)>\
             <a href=\"javascript:alert(1)\">x</a><style>p{color:red}</style>\
             <iframe src=\"https://evil.example\">frame text</iframe>\
             <div onclick='alert(2)' style=\"background:url(https://t.example/p.gif)\">after</div>",
        );
        assert_eq!(
            out,
            "<p>before</p><span class=\"placeholder\">[image not in backup]</span>\
             <a>x</a><div>after</div>"
        );
    }

    #[test]
    fn links_are_checked_as_a_browser_reads_them() {
        for href in [
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            " \tjava\nscript:alert(1)",
            "java&#x73;cript:alert(1)",
            "javascript&colon;alert(1)",
            "&#106;avascript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "vbscript:msgbox(1)",
            "/relative/path",
            "file:///etc/passwd",
        ] {
            let out = clean(&format!("<a href=\"{href}\">x</a>"));
            assert_eq!(out, "<a>x</a>", "{href}");
        }
        assert_eq!(
            clean("<a href='HTTPS://example.com/?a=1&amp;b=\"2\"'>x</a>"),
            "<a href=\"HTTPS://example.com/?a=1&amp;b=&quot;2&quot;\">x</a>"
        );
        assert_eq!(
            clean("<a href=mailto:ann@example.com>Ann</a>"),
            "<a href=\"mailto:ann@example.com\">Ann</a>"
        );
        // An unknown reference stays literal text: the browser sees `&foo;`.
        assert_eq!(
            clean("<a href=\"https://x/?q=&foo;\">x</a>"),
            "<a href=\"https://x/?q=&amp;foo;\">x</a>"
        );
    }

    #[test]
    fn teams_tags_become_mentions_and_disappear() {
        assert_eq!(
            clean(
                "<div><div><at id=\"0\">Ann Lee</at>&nbsp;see this<attachment id=\"f00d\"></attachment> \
                 <emoji id=\"1f600_grinning\" alt=\"😀\" title=\"Grinning\"></emoji></div></div>"
            ),
            "<div><div><span class=\"mention\">Ann Lee</span>&nbsp;see this \
             😀</div></div>"
        );
    }

    #[test]
    fn unknown_tags_are_dropped_and_their_text_kept() {
        assert_eq!(
            clean("<font color=red>red</font> <section>s</section><blink>b</blink><x-y>z</x-y>"),
            "red <div>s</div>bz"
        );
        assert_eq!(
            clean("<svg><a href=https://x>in svg</a></svg>after"),
            "after"
        );
        assert_eq!(
            clean("<!-- <script>x</script> -->text<!DOCTYPE html><?xml x?>"),
            "text"
        );
    }

    #[test]
    fn elements_are_balanced_and_stray_end_tags_dropped() {
        assert_eq!(
            clean("</div></article><b>x<i>y</b>z</section>"),
            "<b>x<i>y</i></b>z"
        );
        assert_eq!(clean("<div><span>open"), "<div><span>open</span></div>");
        let deep = "<div>".repeat(1000);
        let out = clean(&deep);
        assert_eq!(out.matches("<div>").count(), MAX_DEPTH);
        assert_eq!(out.matches("</div>").count(), MAX_DEPTH);
    }

    #[test]
    fn text_and_references_are_escaped() {
        assert_eq!(
            clean("3 < 4 > 2 & \"q\" &lt;script&gt; &#60; &#x3C; &bogus &;"),
            "3 &lt; 4 &gt; 2 &amp; &quot;q&quot; &lt;script&gt; &#60; &#x3C; &amp;bogus &amp;;"
        );
        assert_eq!(clean("a\u{0}b\u{7}c"), "abc");
    }

    #[test]
    fn broken_markup_does_not_panic() {
        for html in [
            "<",
            "<b",
            "</",
            "</b",
            "<!--",
            "<a href=\"x",
            "<a href='",
            "&",
            "&#",
            "&#x",
            "&#xZZ;",
            "<script>",
            "<script>x</scrip",
            "<style",
            "<é>",
            "<a é=\"ü\">ü</a>",
            "<p =x>y</p>",
            "<img src=\"",
            "</ >",
            "<>",
            "<<b>>",
        ] {
            let out = clean(html);
            assert!(!out.contains("<script"), "{html} → {out}");
        }
        assert_eq!(clean("<script>alert(1)</SCRIPT >after"), "after");
        assert_eq!(clean("<b>x</b"), "<b>x</b>");
        assert_eq!(clean("<p =x>y</p>"), "<p>y</p>");
        assert_eq!(clean("<<b>>"), "&lt;<b>&gt;</b>");
    }

    #[test]
    fn references_are_read() {
        assert_eq!(reference_len("&amp;x"), Some(5));
        assert_eq!(reference_len("&#58;"), Some(5));
        assert_eq!(reference_len("&#x1F600;"), Some(9));
        assert_eq!(reference_len("&#x1234567;"), None);
        assert_eq!(reference_len("&amp"), None);
        assert_eq!(reference_len("& ;"), None);
        assert_eq!(
            decode_attribute("a&amp;b&#58;&#x3a;&#0;&#99999999;&x;"),
            "a&b::\u{fffd}\u{fffd}&x;"
        );
    }
}
