//! A readable HTML transcript of a Teams channel or chat, from Microsoft Graph
//! `chatMessage` objects.
//!
//! One self-contained HTML5 document: an inline style sheet, no scripts, no
//! remote resources (a Content-Security-Policy says so too). Threads are sorted
//! by the time of their first message, replies by time; every message is one
//! `<article class="message">` (`message reply` for replies, `message system`
//! for system events). HTML bodies go through an allow-list sanitizer; inline
//! images (hosted contents) are embedded as `data:` URIs when the backup has
//! them. Nothing in the input is trusted: every value is escaped and odd or
//! missing fields never panic. `docs/export-formats.md` describes the file.

mod image;
mod sanitize;

use std::collections::HashMap;

use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

use image::Inline;

/// One thread: a top-level message and its replies (Graph `chatMessage` JSON).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Thread {
    /// The top-level message.
    pub message: Value,
    /// Its replies, in any order (the renderer sorts them).
    pub replies: Vec<Value>,
}

/// What a transcript shows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Transcript<'a> {
    /// The heading: "Team name › Channel name" or a chat's topic / members.
    pub title: &'a str,
    /// A second line (e.g. "Exported from backup run X on DATE"), if any.
    pub subtitle: Option<&'a str>,
    /// Threads in any order (the renderer sorts them).
    pub threads: Vec<Thread>,
}

/// Inline images (hosted contents) by (message id, hosted content id): their bytes.
pub type Images = HashMap<(String, String), Vec<u8>>;

/// Renders the transcript as one HTML5 document.
pub fn transcript_html(t: &Transcript<'_>, images: &Images) -> String {
    let mut threads: Vec<(&Value, Vec<&Value>)> = t
        .threads
        .iter()
        .map(|thread| (&thread.message, sorted(&thread.replies)))
        .collect();
    threads.sort_by_cached_key(|(message, _)| sort_key(message));
    let messages: usize = threads.iter().map(|(_, replies)| 1 + replies.len()).sum();

    let mut out = String::with_capacity(8192);
    head(&mut out, t.title);
    header(&mut out, t, messages, threads.len());
    out.push_str("<main>\n");
    for (message, replies) in &threads {
        thread(&mut out, message, replies, images);
    }
    out.push_str("</main>\n</body>\n</html>\n");
    out
}

/// The style sheet: readable on screen, plain on paper. It must not contain
/// `<`, `>` or the text `class="message`.
const STYLE: &str = r#"
:root { color-scheme: light; }
body { margin: 0; background: #f4f4f5; color: #1f1f1f;
  font: 15px/1.5 "Segoe UI", -apple-system, "Helvetica Neue", Roboto, Arial, sans-serif; }
header { background: #fff; border-bottom: 1px solid #ddd; padding: 1.25rem 1.5rem; }
header h1 { margin: 0; font-size: 1.4rem; }
header p { margin: .2rem 0 0; color: #5c5c5c; }
main { max-width: 56rem; margin: 0 auto; padding: 1rem; }
.thread { background: #fff; border: 1px solid #e1e1e1; border-radius: 6px; margin: 0 0 1rem; padding: .5rem 1rem; }
.message { padding: .4rem 0; }
.replies { margin: .25rem 0 0 1.25rem; padding-left: 1rem; border-left: 2px solid #e1e1e1; }
.meta { font-size: .85rem; color: #5c5c5c; }
.author { font-weight: 600; color: #1f1f1f; margin-right: .2rem; }
.meta .flag { margin-left: .3rem; }
.importance { color: #b3261e; font-weight: 600; }
.deleted { color: #b3261e; }
.subject { font-size: 1.1rem; margin: .25rem 0; }
.body { overflow-wrap: anywhere; }
.body p { margin: .2rem 0; }
.body img { max-width: 100%; height: auto; }
.body pre { white-space: pre-wrap; background: #f4f4f5; padding: .5rem; border-radius: 4px; }
.body code { font-family: Consolas, Menlo, monospace; font-size: .9em; }
.body blockquote { margin: .25rem 0; padding-left: .75rem; border-left: 3px solid #ccc; color: #444; }
.body table { border-collapse: collapse; }
.body td, .body th { border: 1px solid #ccc; padding: .2rem .4rem; vertical-align: top; }
.mention { color: #4f52b2; font-weight: 600; }
.note, .placeholder { color: #6e6e6e; font-style: italic; }
.attachments { margin: .25rem 0; padding-left: 1.25rem; font-size: .9rem; }
.reactions { margin: .25rem 0 0; font-size: .85rem; color: #5c5c5c; }
.system { color: #6e6e6e; font-size: .85rem; font-style: italic; }
.system p { margin: 0; }
@media print {
  body { background: #fff; font-size: 10.5pt; }
  header { border: 0; padding: 0 0 .75rem; }
  main { max-width: none; padding: 0; }
  .thread { border: 0; border-top: 1px solid #999; border-radius: 0; padding: .4rem 0; margin: 0; }
  .message { break-inside: avoid; }
  a { color: inherit; }
}
"#;

fn head(out: &mut String, title: &str) {
    out.push_str(
        "<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
         img-src data:; style-src 'unsafe-inline'\">\n\
         <meta name=\"generator\" content=\"m365vault\">\n<title>",
    );
    out.push_str(&escape(title));
    out.push_str("</title>\n<style>");
    out.push_str(STYLE);
    out.push_str("</style>\n</head>\n<body>\n");
}

fn header(out: &mut String, t: &Transcript<'_>, messages: usize, threads: usize) {
    out.push_str("<header>\n<h1>");
    out.push_str(&escape(t.title));
    out.push_str("</h1>\n");
    if let Some(subtitle) = t.subtitle.filter(|s| !s.trim().is_empty()) {
        out.push_str("<p class=\"subtitle\">");
        out.push_str(&escape(subtitle));
        out.push_str("</p>\n");
    }
    out.push_str(&format!(
        "<p class=\"count\">{} in {}</p>\n</header>\n",
        plural(messages, "message", "messages"),
        plural(threads, "thread", "threads")
    ));
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Messages sorted by [`sort_key`].
fn sorted(messages: &[Value]) -> Vec<&Value> {
    let mut sorted: Vec<&Value> = messages.iter().collect();
    sorted.sort_by_cached_key(|message| sort_key(message));
    sorted
}

/// Creation time, then id; a missing or unreadable time sorts first.
fn sort_key(message: &Value) -> (Option<OffsetDateTime>, String) {
    let created = text(message, &["createdDateTime"]).and_then(parse_time);
    (created, message_id(message).unwrap_or_default())
}

fn thread(out: &mut String, root: &Value, replies: &[&Value], images: &Images) {
    out.push_str("<section class=\"thread\">\n");
    message(out, root, false, images);
    if !replies.is_empty() {
        out.push_str("<div class=\"replies\">\n");
        for reply in replies {
            message(out, reply, true, images);
        }
        out.push_str("</div>\n");
    }
    out.push_str("</section>\n");
}

/// One message as one `<article>`.
fn message(out: &mut String, m: &Value, reply: bool, images: &Images) {
    let system = is_system(m);
    out.push_str("<article class=\"message");
    if reply {
        out.push_str(" reply");
    }
    if system {
        out.push_str(" system");
    }
    out.push('"');
    let id = message_id(m);
    if let Some(id) = &id {
        let id = escape(id);
        out.push_str(&format!(" id=\"m-{id}\" data-id=\"{id}\""));
    }
    out.push_str(">\n");
    if system {
        system_line(out, m);
    } else {
        meta(out, m);
        if let Some(subject) = text(m, &["subject"]) {
            out.push_str(&format!("<h2 class=\"subject\">{}</h2>\n", escape(subject)));
        }
        let inline = Inline {
            message_id: id.as_deref(),
            images,
        };
        body(out, m, &inline);
        attachments(out, m);
        reactions(out, m);
    }
    out.push_str("</article>\n");
}

/// Author, time, and the edited / importance / deleted flags.
fn meta(out: &mut String, m: &Value) {
    out.push_str("<div class=\"meta\"><span class=\"author\">");
    out.push_str(&escape(author(m)));
    out.push_str("</span> ");
    out.push_str(&time_html(text(m, &["createdDateTime"])));
    if let Some(edited) = text(m, &["lastEditedDateTime"]) {
        out.push_str(" <span class=\"flag edited\">edited ");
        out.push_str(&time_html(Some(edited)));
        out.push_str("</span>");
    }
    if let Some(label) = text(m, &["importance"]).and_then(importance) {
        out.push_str(&format!(
            " <span class=\"flag importance\">{}</span>",
            escape(&label)
        ));
    }
    if let Some(deleted) = deleted(m) {
        out.push_str(" <span class=\"flag deleted\">Deleted");
        if !deleted.is_empty() {
            out.push(' ');
            out.push_str(&time_html(Some(deleted)));
        }
        out.push_str("</span>");
    }
    out.push_str("</div>\n");
}

/// The sender's display name: user, else application, else device.
fn author(m: &Value) -> &str {
    ["user", "application", "device"]
        .iter()
        .find_map(|kind| text(m, &["from", kind, "displayName"]))
        .unwrap_or("Unknown")
}

/// How an importance other than `normal` is shown.
fn importance(value: &str) -> Option<String> {
    match value.trim().to_ascii_lowercase().as_str() {
        "" | "normal" => None,
        "high" => Some("Important".to_owned()),
        "urgent" => Some("Urgent".to_owned()),
        _ => Some(format!("Importance: {value}")),
    }
}

/// When the message was deleted: `Some("")` if it was but the time is not a
/// string.
fn deleted(m: &Value) -> Option<&str> {
    match m.get("deletedDateTime")? {
        Value::Null => None,
        Value::String(s) if s.trim().is_empty() => None,
        Value::String(s) => Some(s),
        _ => Some(""),
    }
}

fn body(out: &mut String, m: &Value, inline: &Inline<'_>) {
    let content = text(m, &["body", "content"]);
    let Some(content) = content else {
        if deleted(m).is_some() {
            out.push_str("<p class=\"note\">This message was deleted.</p>\n");
        }
        return;
    };
    let plain = text(m, &["body", "contentType"]).is_some_and(|t| t.eq_ignore_ascii_case("text"));
    if plain {
        out.push_str("<div class=\"body text\">");
        out.push_str(&text_to_html(content));
    } else {
        out.push_str("<div class=\"body\">");
        out.push_str(&sanitize::sanitize(content, inline));
    }
    out.push_str("</div>\n");
}

/// Plain text escaped, each line end (LF, CRLF or CR) a `<br>`.
fn text_to_html(content: &str) -> String {
    let normalized = content.replace("\r\n", "\n").replace('\r', "\n");
    normalized
        .split('\n')
        .map(escape)
        .collect::<Vec<_>>()
        .join("<br>\n")
}

fn attachments(out: &mut String, m: &Value) {
    let items: Vec<String> = array(m, "attachments")
        .iter()
        .filter_map(attachment)
        .collect();
    if items.is_empty() {
        return;
    }
    out.push_str("<ul class=\"attachments\">\n");
    for item in items {
        out.push_str(&format!("<li>{item}</li>\n"));
    }
    out.push_str("</ul>\n");
}

/// One attachment: a link for a file reference, else its name or type.
fn attachment(a: &Value) -> Option<String> {
    if !a.is_object() {
        return None;
    }
    let name = text(a, &["name"]);
    let content_type = text(a, &["contentType"]);
    let url = text(a, &["contentUrl"]);
    if content_type == Some("reference")
        && let Some(href) = url.and_then(sanitize::web_url)
    {
        let label = name.unwrap_or(&href);
        return Some(format!(
            "<a href=\"{}\">{}</a>",
            escape(&href),
            escape(label)
        ));
    }
    Some(escape(name.or(content_type).unwrap_or("Attachment")))
}

/// The reactions grouped by type: `👍 like ×2 — Ann, Bob · ❤️ heart ×1`.
fn reactions(out: &mut String, m: &Value) {
    struct Group<'a> {
        kind: &'a str,
        label: Option<&'a str>,
        count: usize,
        names: Vec<&'a str>,
    }
    let mut groups: Vec<Group> = Vec::new();
    for r in array(m, "reactions") {
        let Some(kind) = text(r, &["reactionType"]) else {
            continue;
        };
        let name = text(r, &["user", "user", "displayName"]).or(text(r, &["user", "displayName"]));
        let index = match groups.iter().position(|g| g.kind == kind) {
            Some(i) => i,
            None => {
                groups.push(Group {
                    kind,
                    label: text(r, &["displayName"]),
                    count: 0,
                    names: Vec::new(),
                });
                groups.len() - 1
            }
        };
        let group = &mut groups[index];
        group.count += 1;
        group
            .names
            .extend(name.filter(|n| !group.names.contains(n)));
    }
    if groups.is_empty() {
        return;
    }
    let parts: Vec<String> = groups
        .iter()
        .map(|g| {
            let mut part = reaction_label(g.kind, g.label);
            part.push_str(&format!(" ×{}", g.count));
            if !g.names.is_empty() {
                part.push_str(" — ");
                part.push_str(&g.names.join(", "));
            }
            escape(&part)
        })
        .collect();
    out.push_str("<p class=\"reactions\">");
    out.push_str(&parts.join(" · "));
    out.push_str("</p>\n");
}

/// `👍 like` for Teams' named reactions; an emoji reaction with its display
/// name (`💯 Hundred points`), or as it is.
fn reaction_label(kind: &str, display_name: Option<&str>) -> String {
    let emoji = match kind {
        "like" => Some("👍"),
        "heart" => Some("❤️"),
        "laugh" => Some("😆"),
        "surprised" => Some("😮"),
        "sad" => Some("😢"),
        "angry" => Some("😠"),
        _ => None,
    };
    match (emoji, display_name) {
        (Some(emoji), _) => format!("{emoji} {kind}"),
        (None, Some(name)) if name != kind => format!("{kind} {name}"),
        (None, _) => kind.to_owned(),
    }
}

/// Whether a message is a system event (members added, channel renamed, …).
fn is_system(m: &Value) -> bool {
    text(m, &["messageType"]) == Some("systemEventMessage")
        || m.get("eventDetail").is_some_and(Value::is_object)
}

/// A system event as one muted line: its time and what happened.
fn system_line(out: &mut String, m: &Value) {
    out.push_str("<p>");
    out.push_str(&time_html(text(m, &["createdDateTime"])));
    out.push(' ');
    out.push_str(&escape(&event_text(m)));
    out.push_str("</p>\n");
}

/// `Members added: Ann, Bob (by Carol)`, from `eventDetail`.
fn event_text(m: &Value) -> String {
    let detail = m.get("eventDetail").filter(|d| d.is_object());
    let Some(detail) = detail else {
        return "System event".to_owned();
    };
    let mut line = text(detail, &["@odata.type"])
        .map(event_name)
        .unwrap_or_else(|| "System event".to_owned());
    let members: Vec<&str> = array(detail, "members")
        .iter()
        .filter_map(|member| text(member, &["displayName"]))
        .collect();
    let named = ["channelDisplayName", "chatDisplayName", "teamDisplayName"]
        .iter()
        .find_map(|field| text(detail, &[field]));
    if !members.is_empty() {
        line.push_str(": ");
        line.push_str(&members.join(", "));
    } else if let Some(name) = named {
        line.push_str(&format!(": “{name}”"));
    }
    let initiator = ["user", "application", "device"]
        .iter()
        .find_map(|kind| text(detail, &["initiator", kind, "displayName"]));
    if let Some(initiator) = initiator {
        line.push_str(&format!(" (by {initiator})"));
    }
    line
}

/// `#microsoft.graph.membersAddedEventMessageDetail` → `Members added`.
fn event_name(odata_type: &str) -> String {
    let name = odata_type.rsplit('.').next().unwrap_or(odata_type);
    let name = name.trim_start_matches('#');
    let name = name.strip_suffix("EventMessageDetail").unwrap_or(name);
    match name {
        "" => "System event".to_owned(),
        "membersDeleted" => "Members removed".to_owned(),
        _ => humanize(name),
    }
}

/// `channelRenamed` → `Channel renamed`.
fn humanize(camel: &str) -> String {
    let mut out = String::with_capacity(camel.len() + 4);
    for c in camel.chars() {
        if out.is_empty() {
            out.extend(c.to_uppercase());
        } else if c.is_uppercase() {
            out.push(' ');
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// A Graph `DateTimeOffset`; one without an offset is taken as UTC.
fn parse_time(s: &str) -> Option<OffsetDateTime> {
    let s = s.trim();
    OffsetDateTime::parse(s, &Rfc3339)
        .ok()
        .or_else(|| OffsetDateTime::parse(&format!("{s}Z"), &Rfc3339).ok())
}

/// `<time datetime="2026-03-04T14:05:09Z">2026-03-04 14:05 UTC</time>`; an
/// unreadable time as it is written, a missing one as "time unknown".
fn time_html(value: Option<&str>) -> String {
    let Some(value) = value else {
        return "<span class=\"time\">time unknown</span>".to_owned();
    };
    match parse_time(value).and_then(|t| t.checked_to_offset(UtcOffset::UTC)) {
        Some(t) => format!(
            "<time datetime=\"{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z\">{:04}-{:02}-{:02} {:02}:{:02} UTC</time>",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second(),
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
        ),
        None => format!("<span class=\"time\">{}</span>", escape(value)),
    }
}

/// A message's Graph id (a string, or a number written as one).
fn message_id(m: &Value) -> Option<String> {
    match m.get("id")? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The string at a path of object fields; `None` when missing, not a string,
/// or blank.
fn text<'v>(value: &'v Value, path: &[&str]) -> Option<&'v str> {
    let mut at = value;
    for field in path {
        at = at.get(field)?;
    }
    at.as_str().filter(|s| !s.trim().is_empty())
}

/// An array field; anything else is empty.
fn array<'v>(value: &'v Value, field: &str) -> &'v [Value] {
    value
        .get(field)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// Escapes text for HTML content and quoted attribute values; control
/// characters other than tab and line ends are dropped.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    push_escaped(&mut out, s);
    out
}

/// [`escape`] onto the end of `out`.
fn push_escaped(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use proptest::prelude::*;
    use serde_json::json;

    use super::*;

    /// A 1×1 PNG.
    const PNG: &[u8] =
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89\
        \0\0\0\nIDATx\x9cc\0\x01\0\0\x05\0\x01\r\n-\xb4\0\0\0\0IEND\xaeB`\x82";

    fn msg(id: &str, created: &str) -> Value {
        json!({
            "id": id,
            "messageType": "message",
            "createdDateTime": created,
            "from": {"user": {"id": "u1", "displayName": "Ann"}, "application": null, "device": null},
            "body": {"contentType": "html", "content": format!("<p>text of {id}</p>")},
        })
    }

    fn render(threads: Vec<Thread>) -> String {
        render_with(threads, &Images::new())
    }

    fn render_with(threads: Vec<Thread>, images: &Images) -> String {
        let t = Transcript {
            title: "Contoso › General",
            subtitle: Some("Exported from backup run R1"),
            threads,
        };
        let html = transcript_html(&t, images);
        assert_well_formed(&html);
        html
    }

    fn single(message: Value) -> String {
        render(vec![Thread {
            message,
            replies: Vec::new(),
        }])
    }

    fn articles(html: &str) -> usize {
        html.matches("<article class=\"message").count()
    }

    /// The `data-id`s of the messages, in document order.
    fn ids(html: &str) -> Vec<&str> {
        html.split("data-id=\"")
            .skip(1)
            .filter_map(|rest| rest.split('"').next())
            .collect()
    }

    /// Tags the transcript may contain, and which of them have no end tag.
    const TAGS: [&str; 51] = [
        "html",
        "head",
        "meta",
        "title",
        "style",
        "body",
        "header",
        "main",
        "section",
        "article",
        "div",
        "span",
        "time",
        "p",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "ul",
        "ol",
        "li",
        "a",
        "img",
        "br",
        "hr",
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
        "blockquote",
        "pre",
        "code",
        "table",
        "thead",
        "tbody",
        "tr",
        "td",
        "th",
        "caption",
        "tfoot",
        "dl",
        "dt",
        "dd",
    ];
    const VOID: [&str; 4] = ["meta", "img", "br", "hr"];
    const ATTRIBUTES: [&str; 15] = [
        "charset",
        "name",
        "content",
        "http-equiv",
        "class",
        "id",
        "data-id",
        "datetime",
        "href",
        "src",
        "alt",
        "width",
        "height",
        "colspan",
        "rowspan",
    ];

    /// Every `<` starts a tag of the list, with attributes of the list, each
    /// `name="value"`; links are http(s) or mailto, images `data:image/…`;
    /// every element is closed.
    fn assert_well_formed(html: &str) {
        assert!(html.starts_with("<!DOCTYPE html>\n"));
        let mut depth: HashMap<&str, i64> = HashMap::new();
        let mut rest = html;
        while let Some(at) = rest.find('<') {
            let tag = &rest[at + 1..];
            let end = tag
                .find('>')
                .unwrap_or_else(|| panic!("unclosed tag {tag:.40}"));
            let inner = &tag[..end];
            rest = &tag[end + 1..];
            if inner == "!DOCTYPE html" {
                continue;
            }
            let (closing, inner) = match inner.strip_prefix('/') {
                Some(inner) => (true, inner),
                None => (false, inner),
            };
            let name_end = inner.find(' ').unwrap_or(inner.len());
            let name = &inner[..name_end];
            assert!(TAGS.contains(&name), "tag {name:?} in {inner:.80}");
            if closing {
                assert_eq!(name_end, inner.len(), "end tag with attributes");
                *depth.entry(name).or_default() -= 1;
                continue;
            }
            if !VOID.contains(&name) {
                *depth.entry(name).or_default() += 1;
            }
            let mut attrs = &inner[name_end..];
            while let Some(attr) = attrs.strip_prefix(' ') {
                let eq = attr
                    .find("=\"")
                    .unwrap_or_else(|| panic!("bad attribute {attr:.40}"));
                let (attr_name, after) = (&attr[..eq], &attr[eq + 2..]);
                let close = after
                    .find('"')
                    .unwrap_or_else(|| panic!("unquoted {after:.40}"));
                let value = &after[..close];
                assert!(ATTRIBUTES.contains(&attr_name), "attribute {attr_name:?}");
                if attr_name == "href" {
                    let lower = value.to_ascii_lowercase();
                    assert!(
                        ["http://", "https://", "mailto:"]
                            .iter()
                            .any(|s| lower.starts_with(s)),
                        "href {value:?}"
                    );
                }
                if attr_name == "src" {
                    assert!(value.starts_with("data:image/"), "src {value:.40}");
                }
                attrs = &after[close + 1..];
            }
            assert!(attrs.is_empty(), "junk in tag {inner:.80}");
        }
        for (name, open) in depth {
            assert_eq!(open, 0, "<{name}> opened {open} more times than closed");
        }
        assert_eq!(html.matches("<style").count(), 1);
        let lower = html.to_lowercase();
        for bad in [
            "<script", "<iframe", "<object", "<embed", "<svg", "<link", "<base",
        ] {
            assert!(!lower.contains(bad), "{bad} in the output");
        }
    }

    #[test]
    fn threads_and_replies_are_sorted_and_counted() {
        let t = |h: u32, m: u32| format!("2026-03-04T{h:02}:{m:02}:00Z");
        let a = Thread {
            message: msg("a", &t(10, 0)),
            replies: vec![],
        };
        let b = Thread {
            message: msg("b", &t(9, 0)),
            replies: vec![msg("b2", &t(9, 10)), msg("b1", &t(9, 5))],
        };
        let c = Thread {
            message: msg("c", &t(11, 0)),
            replies: [3, 5, 1, 4, 2]
                .iter()
                .map(|n| msg(&format!("c{n}"), &t(11, *n)))
                .collect(),
        };
        let html = render(vec![c, a, b]);
        assert_eq!(articles(&html), 10);
        assert_eq!(html.matches("<article class=\"message reply\"").count(), 7);
        assert_eq!(
            ids(&html),
            ["b", "b1", "b2", "a", "c", "c1", "c2", "c3", "c4", "c5"]
        );
        assert_eq!(html.matches("<section class=\"thread\">").count(), 3);
        assert!(html.contains("<p class=\"count\">10 messages in 3 threads</p>"));
        assert!(html.contains("<article class=\"message\" id=\"m-b\" data-id=\"b\">"));
        assert!(html.contains("<title>Contoso › General</title>"));
        assert!(html.contains("<p class=\"subtitle\">Exported from backup run R1</p>"));
        // The replies follow their parent's article, inside the thread.
        let b_thread = html
            .split("<section class=\"thread\">")
            .nth(1)
            .unwrap_or_default();
        assert!(b_thread.contains(
            "</article>\n<div class=\"replies\">\n<article class=\"message reply\" id=\"m-b1\""
        ));
    }

    #[test]
    fn missing_and_odd_times_sort_first_by_id() {
        let mut late = msg("z", "2026-01-01T00:00:00Z");
        late["createdDateTime"] = json!("2026-01-01T00:00:00.1234567-05:00");
        let odd = |id: &str, created: Value| {
            let mut m = msg(id, "");
            m["createdDateTime"] = created;
            m
        };
        let threads = vec![
            late,
            odd("d", json!("yesterday")),
            odd("b", Value::Null),
            odd("c", json!(12)),
            msg("y", "2026-01-01T04:59:59Z"),
            odd("a", json!({"x": 1})),
        ]
        .into_iter()
        .map(|message| Thread {
            message,
            replies: vec![],
        })
        .collect();
        let html = render(threads);
        assert_eq!(ids(&html), ["a", "b", "c", "d", "y", "z"]);
        assert!(html.contains("<span class=\"time\">yesterday</span>"));
        assert!(html.contains("<span class=\"time\">time unknown</span>"));
        assert!(
            html.contains("<time datetime=\"2026-01-01T05:00:00Z\">2026-01-01 05:00 UTC</time>")
        );
        assert!(html.contains("6 messages in 6 threads"));
    }

    #[test]
    fn html_bodies_are_sanitized() {
        let mut m = msg("1", "2026-03-04T14:05:00Z");
        m["body"]["content"] = json!(
            "<p>hello</p><script>alert(1)</script><img src=x onerror=alert(1)>\
             <a href=\"javascript:alert(1)\">link text</a><style>body{display:none}</style>\
             <iframe src=\"https://evil.example/\"></iframe><p onclick=\"alert(3)\">kept</p>\
             <at id=\"0\">Bob</at></div></section></article>"
        );
        let html = single(m);
        let lower = html.to_lowercase();
        for bad in [
            "alert",
            "javascript:",
            "onerror",
            "onclick",
            "evil.example",
            "display:none",
        ] {
            assert!(!lower.contains(bad), "{bad} survived");
        }
        assert!(html.contains(
            "<div class=\"body\"><p>hello</p><span class=\"placeholder\">[image not in backup]</span>\
             <a>link text</a><p>kept</p><span class=\"mention\">Bob</span></div>"
        ));
        assert_eq!(articles(&html), 1);
    }

    #[test]
    fn text_bodies_are_escaped_with_their_line_breaks() {
        let mut m = msg("1", "2026-03-04T14:05:00Z");
        m["body"] =
            json!({"contentType": "text", "content": "<b>not bold</b> & co\r\nline 2\nline 3"});
        let html = single(m);
        assert!(html.contains(
            "<div class=\"body text\">&lt;b&gt;not bold&lt;/b&gt; &amp; co<br>\nline 2<br>\nline 3</div>"
        ));
        assert!(!html.contains("<b>"));
    }

    #[test]
    fn inline_images_are_embedded_or_replaced() {
        let root =
            "https://graph.microsoft.com/v1.0/teams/T/channels/19%3Ac%40thread.tacv2/messages/100";
        let mut m = msg("100", "2026-03-04T14:05:00Z");
        m["body"]["content"] = json!(format!(
            "<p>see <img src=\"{root}/hostedContents/aWQ9MQ%3D%3D/$value\" alt=\"chart\" width=\"250\" style=\"x\"> \
             and <img src=\"{root}/hostedContents/bWlzc2luZw/$value\"></p>"
        ));
        let mut r = msg("200", "2026-03-04T14:06:00Z");
        r["body"]["content"] = json!(format!(
            "<img src=\"{root}/replies/200/hostedContents/cg/$value\">"
        ));
        let mut images = Images::new();
        images.insert(("100".into(), "aWQ9MQ==".into()), PNG.to_vec());
        images.insert(("200".into(), "cg".into()), PNG.to_vec());
        let html = render_with(
            vec![Thread {
                message: m,
                replies: vec![r],
            }],
            &images,
        );
        assert_eq!(html.matches("data:image/png;base64,iVBORw0KGgo").count(), 2);
        assert!(html.contains("alt=\"chart\" width=\"250\">"));
        assert_eq!(html.matches("[image not in backup]").count(), 1);
        assert!(!html.contains("graph.microsoft.com"));
    }

    #[test]
    fn deleted_messages_are_marked_and_their_replies_kept() {
        let mut root = msg("1", "2026-03-04T14:05:00Z");
        root["deletedDateTime"] = json!("2026-03-05T08:00:00Z");
        root["body"]["content"] = json!("");
        let mut kept = msg("3", "2026-03-04T14:07:00Z");
        kept["deletedDateTime"] = json!("2026-03-05T09:00:00Z");
        let html = render(vec![Thread {
            message: root,
            replies: vec![msg("2", "2026-03-04T14:06:00Z"), kept],
        }]);
        assert_eq!(articles(&html), 3);
        assert_eq!(ids(&html), ["1", "2", "3"]);
        assert!(html.contains(
            "<span class=\"flag deleted\">Deleted <time datetime=\"2026-03-05T08:00:00Z\">2026-03-05 08:00 UTC</time></span>"
        ));
        assert_eq!(html.matches("This message was deleted.").count(), 1);
        assert!(html.contains("<p>text of 2</p>"));
        // A backup that kept the content shows it, with the marker.
        assert!(html.contains("<p>text of 3</p>"));
        assert_eq!(html.matches("Deleted <time").count(), 2);
    }

    #[test]
    fn system_events_are_one_muted_line() {
        let event = json!({
            "id": "5",
            "messageType": "systemEventMessage",
            "createdDateTime": "2026-03-04T14:05:00Z",
            "from": null,
            "body": {"contentType": "html", "content": "<systemEventMessage/>"},
            "eventDetail": {
                "@odata.type": "#microsoft.graph.membersAddedEventMessageDetail",
                "members": [{"id": "u2", "displayName": "Bob <b>"}, {"id": "u3", "displayName": null}, {"id": "u4", "displayName": "Cy"}],
                "initiator": {"user": {"id": "u1", "displayName": "Ann"}}
            }
        });
        let html = single(event);
        assert!(html.contains(
            "<article class=\"message system\" id=\"m-5\" data-id=\"5\">\n<p><time datetime=\"2026-03-04T14:05:00Z\">2026-03-04 14:05 UTC</time> \
             Members added: Bob &lt;b&gt;, Cy (by Ann)</p>\n</article>"
        ));
        assert_eq!(articles(&html), 1);

        let renamed = json!({
            "id": "6", "createdDateTime": "2026-03-04T14:05:00Z", "messageType": "unknownFutureValue",
            "eventDetail": {"@odata.type": "#microsoft.graph.channelRenamedEventMessageDetail", "channelDisplayName": "Ops"}
        });
        assert!(single(renamed).contains("Channel renamed: “Ops”</p>"));
        let bare = json!({"id": "7", "messageType": "systemEventMessage"});
        assert!(single(bare).contains("time unknown</span> System event</p>"));
        assert_eq!(
            event_name("#microsoft.graph.membersDeletedEventMessageDetail"),
            "Members removed"
        );
        assert_eq!(
            event_name("#microsoft.graph.teamsAppInstalledEventMessageDetail"),
            "Teams app installed"
        );
        assert_eq!(
            event_name("#microsoft.graph.EventMessageDetail"),
            "System event"
        );
    }

    #[test]
    fn meta_line_shows_author_time_subject_and_flags() {
        let mut m = msg("1", "2026-03-04T15:05:09.1234567+01:00");
        m["subject"] = json!("Plan & <review>");
        m["importance"] = json!("urgent");
        m["lastEditedDateTime"] = json!("2026-03-04T16:00:00Z");
        let html = single(m);
        assert!(html.contains(
            "<div class=\"meta\"><span class=\"author\">Ann</span> <time datetime=\"2026-03-04T14:05:09Z\">2026-03-04 14:05 UTC</time> \
             <span class=\"flag edited\">edited <time datetime=\"2026-03-04T16:00:00Z\">2026-03-04 16:00 UTC</time></span> \
             <span class=\"flag importance\">Urgent</span></div>\n<h2 class=\"subject\">Plan &amp; &lt;review&gt;</h2>"
        ));
        let from = |from: Value| {
            let mut m = msg("1", "2026-03-04T15:05:09Z");
            m["from"] = from;
            single(m)
        };
        assert!(
            from(json!({"user": null, "application": {"displayName": "Bot"}}))
                .contains(">Bot</span>")
        );
        assert!(from(json!({"device": {"displayName": "Phone"}})).contains(">Phone</span>"));
        assert!(from(json!({"user": {"displayName": "  "}})).contains(">Unknown</span>"));
        assert!(from(json!("Ann")).contains(">Unknown</span>"));
        let mut normal = msg("1", "2026-03-04T15:05:09Z");
        normal["importance"] = json!("normal");
        assert!(!single(normal).contains("flag importance"));
    }

    #[test]
    fn attachments_and_reactions_are_listed() {
        let mut m = msg("1", "2026-03-04T14:05:00Z");
        m["attachments"] = json!([
            {"id": "a", "contentType": "reference", "contentUrl": "https://contoso.sharepoint.com/Shared Documents/Q3 <final>.xlsx", "name": "Q3 <final>.xlsx"},
            {"id": "b", "contentType": "reference", "contentUrl": "javascript:alert(1)", "name": "evil.docx"},
            {"id": "c", "contentType": "application/vnd.microsoft.card.adaptive", "content": "{\"type\":\"AdaptiveCard\"}", "name": null},
            {"id": "d", "contentType": "messageReference", "name": "quoted"},
            "not an object",
            {}
        ]);
        m["reactions"] = json!([
            {"reactionType": "like", "createdDateTime": "2026-03-04T14:06:00Z", "user": {"user": {"id": "u1", "displayName": "Ann"}}},
            {"reactionType": "heart", "user": {"user": {"id": "u3", "displayName": null}}},
            {"reactionType": "like", "user": {"user": {"id": "u2", "displayName": "Bob"}}},
            {"reactionType": "💯", "displayName": "Hundred points", "user": {"user": {"displayName": "<Cy>"}}},
            {"reactionType": null},
            7
        ]);
        let html = single(m);
        assert!(html.contains(
            "<ul class=\"attachments\">\n\
             <li><a href=\"https://contoso.sharepoint.com/Shared Documents/Q3 &lt;final&gt;.xlsx\">Q3 &lt;final&gt;.xlsx</a></li>\n\
             <li>evil.docx</li>\n<li>application/vnd.microsoft.card.adaptive</li>\n<li>quoted</li>\n<li>Attachment</li>\n</ul>"
        ));
        assert!(html.contains(
            "<p class=\"reactions\">👍 like ×2 — Ann, Bob · ❤️ heart ×1 · 💯 Hundred points ×1 — &lt;Cy&gt;</p>"
        ));
    }

    #[test]
    fn odd_input_does_not_panic() {
        let odd = [
            Value::Null,
            json!("a string"),
            json!([1, 2]),
            json!({"id": ["x"], "body": "text", "from": [], "attachments": {"a": 1}, "reactions": "x",
                   "eventDetail": "x", "deletedDateTime": 5, "lastEditedDateTime": false, "subject": 3,
                   "importance": {"x": 1}, "createdDateTime": "9999-12-31T23:59:59-23:59"}),
            json!({"id": "e", "body": {"contentType": 1, "content": "<b>x"}, "mentions": null}),
        ];
        let threads = odd
            .iter()
            .map(|message| Thread {
                message: message.clone(),
                replies: vec![message.clone()],
            })
            .collect();
        let html = render(threads);
        assert_eq!(articles(&html), 10);
        assert!(html.contains("<span class=\"time\">9999-12-31T23:59:59-23:59</span>"));
        assert!(html.contains("<span class=\"flag deleted\">Deleted</span>"));
        let empty = transcript_html(&Transcript::default(), &Images::new());
        assert!(empty.contains("0 messages in 0 threads"));
        let title = transcript_html(
            &Transcript {
                title: "A & B <x> \"q\"",
                subtitle: None,
                threads: vec![],
            },
            &Images::new(),
        );
        assert!(title.contains("<title>A &amp; B &lt;x&gt; &quot;q&quot;</title>"));
        assert!(!title.contains("subtitle"));
    }

    #[test]
    fn huge_bodies_are_handled_in_linear_time() {
        let mut m = msg("1", "2026-03-04T14:05:00Z");
        let body = "<div><script>".repeat(20_000) + &"</b>".repeat(20_000) + &"&amp".repeat(20_000);
        m["body"]["content"] = json!(body);
        let html = single(m);
        assert_eq!(articles(&html), 1);
    }

    /// Markup fragments that attack the sanitizer or the transcript's structure.
    fn fragment() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("<script>alert(1)</script>".to_owned()),
            Just("<script>".to_owned()),
            Just("</script>".to_owned()),
            Just("<scr".to_owned()),
            Just("ipt>".to_owned()),
            Just("<img src=x onerror=alert(1)>".to_owned()),
            Just("<a href=\"javascript:alert(1)\">".to_owned()),
            Just("<a href=\"https://ok.example/\" onclick=x>".to_owned()),
            Just("</a>".to_owned()),
            Just("<div>".to_owned()),
            Just("</div>".to_owned()),
            Just("</article>".to_owned()),
            Just("</section></main></body>".to_owned()),
            Just("<article class=\"message\">".to_owned()),
            Just("<at id=\"1\">".to_owned()),
            Just("</at>".to_owned()),
            Just("<style>".to_owned()),
            Just("<iframe>".to_owned()),
            Just("<svg onload=alert(1)>".to_owned()),
            Just("<img src=\"https://graph.microsoft.com/v1.0/chats/c/messages/1/hostedContents/h/$value\">".to_owned()),
            Just("<!--".to_owned()),
            Just("-->".to_owned()),
            Just("&".to_owned()),
            Just("&#x3C;".to_owned()),
            Just("<".to_owned()),
            Just(">".to_owned()),
            Just("\"".to_owned()),
            Just("'".to_owned()),
            Just("=".to_owned()),
            "[a-z /=]{0,8}",
            any::<String>(),
        ]
    }

    fn markup() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<String>(),
            proptest::collection::vec(fragment(), 0..24).prop_map(|parts| parts.concat()),
        ]
    }

    proptest! {
        #[test]
        fn arbitrary_fields_never_panic_or_inject(
            subject in markup(),
            body in markup(),
            author in markup(),
            id in markup(),
            created in markup(),
            content_type in prop_oneof![Just("html"), Just("text"), Just("HTML"), Just("")],
            reaction in markup(),
            url in markup(),
            title in markup(),
            replies in 0usize..3,
        ) {
            let m = json!({
                "id": id,
                "createdDateTime": created,
                "subject": subject,
                "from": {"user": {"displayName": author}},
                "body": {"contentType": content_type, "content": body},
                "attachments": [{"contentType": "reference", "contentUrl": url, "name": url}],
                "reactions": [{"reactionType": reaction, "displayName": reaction, "user": {"user": {"displayName": author}}}],
            });
            let mut images = Images::new();
            images.insert((id.clone(), "h".to_owned()), PNG.to_vec());
            let t = Transcript {
                title: &title,
                subtitle: Some(&subject),
                threads: vec![Thread { message: m.clone(), replies: vec![m; replies] }],
            };
            let html = transcript_html(&t, &images);
            assert_well_formed(&html);
            prop_assert_eq!(articles(&html), 1 + replies);
        }
    }
}
