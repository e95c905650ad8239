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
mod tests;
