//! Tests of the transcript renderer.

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
    assert!(html.contains("<time datetime=\"2026-01-01T05:00:00Z\">2026-01-01 05:00 UTC</time>"));
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
    m["body"] = json!({"contentType": "text", "content": "<b>not bold</b> & co\r\nline 2\nline 3"});
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
        from(json!({"user": null, "application": {"displayName": "Bot"}})).contains(">Bot</span>")
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
