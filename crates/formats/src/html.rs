//! Plain text from an HTML body, for DESCRIPTION and NOTE.
//!
//! Not a full HTML parser: enough for the bodies Outlook and other clients
//! write. Tags are removed; `head`, `script`, `style` and `title` are removed
//! with their content; comments are removed; `br` and block elements (`p`,
//! `div`, `tr`, `li`, headings, …) end a line; table cells are separated by a
//! space; runs of white space collapse to one space except inside `pre`;
//! character references are decoded. Trailing spaces are removed and runs of
//! blank lines collapse to one.

/// Turns an HTML document or fragment into plain text with `\n` line ends.
pub fn html_to_text(html: &str) -> String {
    let mut out = Converter::default();
    let mut rest = html;
    while let Some(c) = rest.chars().next() {
        match c {
            '<' => rest = out.markup(rest),
            '&' => {
                let (text, len) = decode_reference(rest);
                out.literal(&text);
                rest = &rest[len..];
            }
            c => {
                out.char(c);
                rest = &rest[c.len_utf8()..];
            }
        }
    }
    tidy(&out.text)
}

#[derive(Default)]
struct Converter {
    text: String,
    pending_space: bool,
    pre: usize,
}

const SKIPPED: [&str; 4] = ["head", "script", "style", "title"];
const BLOCKS: [&str; 27] = [
    "address",
    "article",
    "aside",
    "blockquote",
    "caption",
    "dd",
    "div",
    "dl",
    "dt",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "li",
    "ol",
    "p",
    "pre",
    "section",
    "table",
    "tr",
    "ul",
];

impl Converter {
    fn char(&mut self, c: char) {
        if c.is_whitespace() && self.pre == 0 {
            self.pending_space = true;
            return;
        }
        if self.pending_space && !self.text.is_empty() && !self.text.ends_with('\n') {
            self.text.push(' ');
        }
        self.pending_space = false;
        self.text.push(if c == '\r' { '\n' } else { c });
    }

    /// Text from a character reference: never collapsed (`&nbsp;` keeps a
    /// blank line blank rather than removing it).
    fn literal(&mut self, s: &str) {
        for c in s.chars() {
            let c = if c == '\u{a0}' { ' ' } else { c };
            if c == ' ' {
                if self.pending_space && !self.text.ends_with('\n') && !self.text.is_empty() {
                    self.text.push(' ');
                }
                self.pending_space = false;
                self.text.push(' ');
            } else {
                self.char(c);
            }
        }
    }

    fn line_break(&mut self) {
        self.pending_space = false;
        self.text.push('\n');
    }

    fn end_line(&mut self) {
        self.pending_space = false;
        if !self.text.is_empty() && !self.text.ends_with('\n') {
            self.text.push('\n');
        }
    }

    /// Handles markup starting at `<`; returns what follows it.
    fn markup<'a>(&mut self, rest: &'a str) -> &'a str {
        if let Some(after) = rest.strip_prefix("<!--") {
            return after.find("-->").map_or("", |end| &after[end + 3..]);
        }
        let bytes = rest.as_bytes();
        let closing = bytes.get(1) == Some(&b'/');
        let name_start = if closing { 2 } else { 1 };
        let starts_tag = match bytes.get(name_start) {
            Some(b) => b.is_ascii_alphabetic() || (!closing && (*b == b'!' || *b == b'?')),
            None => false,
        };
        if !starts_tag {
            self.char('<');
            return &rest[1..];
        }
        let name_len = rest[name_start..]
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(rest.len() - name_start);
        let name = rest[name_start..name_start + name_len].to_ascii_lowercase();
        let after = skip_tag(&rest[name_start + name_len..]);
        if !closing && SKIPPED.contains(&name.as_str()) {
            return skip_element(after, &name);
        }
        match name.as_str() {
            "br" => self.line_break(),
            "td" | "th" if !closing => self.pending_space = true,
            "pre" => {
                self.end_line();
                if closing {
                    self.pre = self.pre.saturating_sub(1);
                } else {
                    self.pre += 1;
                }
            }
            n if BLOCKS.contains(&n) => self.end_line(),
            _ => {}
        }
        after
    }
}

/// Skips to after the `>` that ends a tag, ignoring `>` inside quoted
/// attribute values.
fn skip_tag(rest: &str) -> &str {
    let mut quote = None;
    for (i, c) in rest.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '>') => return &rest[i + 1..],
            _ => {}
        }
    }
    ""
}

/// Skips the content of an element up to and including its end tag.
fn skip_element<'a>(rest: &'a str, name: &str) -> &'a str {
    let lower = rest.to_ascii_lowercase();
    let end = format!("</{name}");
    match lower.find(&end) {
        Some(at) => skip_tag(&rest[at + end.len()..]),
        None => "",
    }
}

/// Decodes the character reference at the start of `rest` (which starts with
/// `&`); returns its text and how many bytes it took. An unknown or broken
/// reference is the `&` itself.
fn decode_reference(rest: &str) -> (String, usize) {
    let literal = ("&".to_owned(), 1);
    let Some(end) = rest[1..].find(';').filter(|e| *e <= 32) else {
        return literal;
    };
    let body = &rest[1..=end];
    let decoded = if let Some(num) = body.strip_prefix('#') {
        let code = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok(),
            None => num.parse().ok(),
        };
        code.and_then(char::from_u32)
    } else {
        named_reference(body)
    };
    match decoded {
        Some(c) => (c.to_string(), end + 2),
        None => literal,
    }
}

fn named_reference(name: &str) -> Option<char> {
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => '\u{a0}',
        "copy" => '©',
        "reg" => '®',
        "trade" => '™',
        "hellip" => '…',
        "mdash" => '—',
        "ndash" => '–',
        "lsquo" => '‘',
        "rsquo" => '’',
        "ldquo" => '“',
        "rdquo" => '”',
        "bull" => '•',
        "middot" => '·',
        "euro" => '€',
        "pound" => '£',
        "yen" => '¥',
        "cent" => '¢',
        "sect" => '§',
        "deg" => '°',
        "times" => '×',
        "divide" => '÷',
        "laquo" => '«',
        "raquo" => '»',
        _ => return None,
    })
}

/// Trims the end of every line and keeps at most one blank line in a row, none at the
/// start or end.
fn tidy(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank_run = 0;
    for line in text.split('\n') {
        let line = line.trim_end_matches([' ', '\t']);
        if line.is_empty() {
            blank_run += 1;
            continue;
        }
        if !out.is_empty() {
            out.push('\n');
            if blank_run > 0 {
                out.push('\n');
            }
        }
        blank_run = 0;
        out.push_str(line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::html_to_text;

    #[test]
    fn outlook_body_becomes_lines() {
        let html = "<html><head><meta charset=\"utf-8\"><style>p {margin:0}</style></head>\r\n\
            <body><div>Hello&nbsp;Ann,</div><div><br></div>\
            <div>Agenda:&#10;<b>one</b> &amp; <i>two</i></div><!-- x > y -->\
            <p class=\"MsoNormal\">a &lt;b&gt; &#x263A; &unknown; 3 < 4</p></body></html>";
        assert_eq!(
            html_to_text(html),
            "Hello Ann,\n\nAgenda: one & two\na <b> ☺ &unknown; 3 < 4"
        );
    }

    #[test]
    fn pre_keeps_spaces_and_cells_are_spaced() {
        let html =
            "<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table><pre>x   y\n z</pre>";
        assert_eq!(html_to_text(html), "a b\nc\nx   y\n z");
    }

    #[test]
    fn unterminated_markup_does_not_panic() {
        assert_eq!(html_to_text("text <b"), "text");
        assert_eq!(html_to_text("a <style>x"), "a");
        assert_eq!(html_to_text("a &amp"), "a &amp");
        assert_eq!(html_to_text("<"), "<");
        assert_eq!(html_to_text("é<!--"), "é");
    }
}
