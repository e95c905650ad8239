//! Content lines shared by iCalendar (RFC 5545 §3.1) and vCard (RFC 6350 §3.2):
//! text escaping, parameter values and line folding.

/// The most octets a physical line may hold, not counting its CRLF.
pub const MAX_LINE_OCTETS: usize = 75;

/// Escapes a TEXT value: `\` `;` `,` and newlines become `\\` `\;` `\,` `\n`.
///
/// CRLF and lone CR count as one newline. Control characters other than tab are
/// dropped: neither format allows them in text.
pub fn escape_text(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 8);
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push_str("\\n");
            }
            '\n' => out.push_str("\\n"),
            '\t' => out.push('\t'),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Writes a parameter value: quoted when it holds `:` `;` `,` or space, with
/// RFC 6868 caret encoding for `^`, `"` and newlines; other control characters
/// are dropped.
pub fn param_value(value: &str) -> String {
    let mut body = String::with_capacity(value.len() + 2);
    let mut quote = false;
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '^' => body.push_str("^^"),
            '"' => body.push_str("^'"),
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                body.push_str("^n");
            }
            '\n' => body.push_str("^n"),
            ':' | ';' | ',' | ' ' => {
                quote = true;
                body.push(c);
            }
            c if c.is_control() => {}
            c => body.push(c),
        }
    }
    if quote { format!("\"{body}\"") } else { body }
}

/// Folds one logical content line into physical lines of at most
/// [`MAX_LINE_OCTETS`] octets, each ended by CRLF.
///
/// Continuation lines start with one space, which counts toward their length.
/// Lines are only broken between characters, never inside a UTF-8 sequence.
pub fn fold(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + line.len() / 64 * 3 + 2);
    let mut used = 0;
    for c in line.chars() {
        let len = c.len_utf8();
        if used + len > MAX_LINE_OCTETS {
            out.push_str("\r\n ");
            used = 1;
        }
        out.push(c);
        used += len;
    }
    out.push_str("\r\n");
    out
}

/// Undoes [`fold`]: joins every line that starts with a space or tab to the
/// previous one and returns the logical lines, without their line ends.
pub fn unfold(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for physical in text.split('\n') {
        let physical = physical.strip_suffix('\r').unwrap_or(physical);
        match (physical.chars().next(), lines.last_mut()) {
            (Some(' ' | '\t'), Some(last)) => last.push_str(&physical[1..]),
            _ if physical.is_empty() => {}
            _ => lines.push(physical.to_owned()),
        }
    }
    lines
}

/// Collects content lines, folding each.
#[derive(Debug, Default)]
pub(crate) struct Lines {
    out: String,
}

impl Lines {
    /// Appends one logical line, folded.
    pub(crate) fn push(&mut self, line: impl AsRef<str>) {
        self.out.push_str(&fold(line.as_ref()));
    }

    /// Appends `name:value` with the value escaped as TEXT.
    pub(crate) fn text(&mut self, name: &str, value: &str) {
        self.push(format!("{name}:{}", escape_text(value)));
    }

    /// The lines written so far.
    pub(crate) fn finish(self) -> String {
        self.out
    }

    /// Appends lines already folded.
    pub(crate) fn append(&mut self, folded: &str) {
        self.out.push_str(folded);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_the_four_specials_and_drops_controls() {
        assert_eq!(
            escape_text("a\\b;c,d\r\ne\nf\rg\u{7}h\ti"),
            "a\\\\b\\;c\\,d\\ne\\nf\\ng".to_owned() + "h\ti"
        );
    }

    #[test]
    fn quotes_and_caret_encodes_params() {
        assert_eq!(param_value("Ann"), "Ann");
        assert_eq!(param_value("Doe, Ann"), "\"Doe, Ann\"");
        assert_eq!(param_value("say \"hi\"^\n"), "\"say ^'hi^'^^^n\"");
    }

    #[test]
    fn folds_at_75_octets_without_splitting_characters() {
        let line = format!("SUMMARY:{}", "é".repeat(60));
        let folded = fold(&line);
        for physical in folded.split_terminator("\r\n") {
            assert!(physical.len() <= MAX_LINE_OCTETS, "{physical:?}");
        }
        assert_eq!(unfold(&folded), vec![line]);
    }

    #[test]
    fn short_lines_are_not_folded() {
        assert_eq!(fold("VERSION:2.0"), "VERSION:2.0\r\n");
        let exact = "X".repeat(75);
        assert_eq!(fold(&exact), format!("{exact}\r\n"));
        assert_eq!(
            fold(&"X".repeat(76)),
            format!("{}\r\n X\r\n", "X".repeat(75))
        );
    }
}
