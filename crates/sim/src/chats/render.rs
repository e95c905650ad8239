//! Chats, chat members and chat messages as Microsoft Graph v1.0 returns them
//! (shapes follow `chat`, `aadUserConversationMember`, `chatMessage` and
//! `chatMessageHostedContent` in the CSDL schema).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::generate::millis;
use super::words::reaction_name;
use super::{Chat, Event, Hosted, Message, Person};
use crate::mailbox::content::escape_html;

/// What rendering needs besides the chat: where the simulator is and whose tenant it is.
#[derive(Debug, Clone, Copy)]
pub struct Ctx<'a> {
    /// The simulator's base URL (hosted-content URLs in message bodies).
    pub base: &'a str,
    /// The tenant's id.
    pub tenant_id: &'a str,
}

/// A timestamp as Teams writes it: `2021-03-28T20:48:29.832Z`.
pub fn ts(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

/// Where Teams starts a member's visible history: all of it.
const ALL_HISTORY: &str = "0001-01-01T00:00:00Z";

fn user_identity(p: &Person, named: bool) -> Value {
    json!({
        "@odata.type": "#microsoft.graph.teamworkUserIdentity",
        "id": p.id,
        "displayName": if named { Value::String(p.name.clone()) } else { Value::Null },
        "userIdentityType": "aadUser",
    })
}

fn identity_set(user: Value) -> Value {
    json!({"application": null, "device": null, "user": user})
}

/// A chat (`chat`), without its relationships.
pub fn chat(ctx: Ctx<'_>, c: &Chat) -> Value {
    let encoded = c.id.replace(':', "%3A").replace('@', "%40");
    json!({
        "id": c.id,
        "topic": c.topic,
        "createdDateTime": ts(c.created),
        "lastUpdatedDateTime": ts(c.updated),
        "chatType": c.kind.as_str(),
        "webUrl": format!("https://teams.microsoft.com/l/chat/{encoded}/0?tenantId={}", ctx.tenant_id),
        "tenantId": ctx.tenant_id,
        "isHiddenForAllMembers": false,
        "onlineMeetingInfo": c.meeting.as_ref().map(|m| json!({
            "calendarEventId": m.calendar_event_id,
            "joinWebUrl": m.join_url,
            "organizer": user_identity(&c.members[m.organizer], false),
        })),
        // Caller-specific: only delegated callers have a viewpoint.
        "viewpoint": null,
    })
}

/// A member of a chat (`aadUserConversationMember`).
pub fn member(ctx: Ctx<'_>, c: &Chat, p: &Person) -> Value {
    json!({
        "@odata.type": "#microsoft.graph.aadUserConversationMember",
        "id": STANDARD.encode(format!("{}##{}##{}", ctx.tenant_id, p.id, c.id)),
        "roles": ["owner"],
        "displayName": p.name,
        "visibleHistoryStartDateTime": ALL_HISTORY,
        "userId": p.id,
        "email": p.email,
        "tenantId": ctx.tenant_id,
    })
}

/// The URL of a hosted content's bytes, as message bodies reference them.
pub fn hosted_url(ctx: Ctx<'_>, c: &Chat, m: &Message, h: &Hosted) -> String {
    format!(
        "{}/v1.0/chats/{}/messages/{}/hostedContents/{}/$value",
        ctx.base, c.id, m.id, h.id
    )
}

fn body(ctx: Ctx<'_>, c: &Chat, m: &Message) -> Value {
    if m.deleted.is_some() {
        return json!({"contentType": "text", "content": ""});
    }
    if m.event.is_some() {
        return json!({"contentType": "html", "content": "<systemEventMessage/>"});
    }
    if m.mentions.is_empty() && m.hosted.is_empty() && m.file.is_none() {
        return json!({"contentType": "text", "content": m.text});
    }
    let mut html = String::from("<p>");
    for (k, &slot) in m.mentions.iter().enumerate() {
        html.push_str(&format!(
            "<at id=\"{k}\">{}</at>&nbsp;",
            escape_html(&c.members[slot].name)
        ));
    }
    html.push_str(&escape_html(&m.text));
    html.push_str("</p>");
    for h in &m.hosted {
        html.push_str(&format!(
            "<p><img src=\"{}\" width=\"{w}\" height=\"{h2}\" style=\"vertical-align:bottom; width:{w}px; height:{h2}px\"></p>",
            hosted_url(ctx, c, m, h),
            w = h.width,
            h2 = h.height
        ));
    }
    if let Some(f) = &m.file {
        html.push_str(&format!("<attachment id=\"{}\"></attachment>", f.id));
    }
    json!({"contentType": "html", "content": html})
}

fn event_detail(c: &Chat, e: &Event) -> Value {
    match e {
        Event::MembersAdded { initiator, members } => json!({
            "@odata.type": "#microsoft.graph.membersAddedEventMessageDetail",
            "visibleHistoryStartDateTime": ALL_HISTORY,
            "members": members.iter().map(|&s| json!({
                "id": c.members[s].id,
                "displayName": null,
                "userIdentityType": "aadUser",
            })).collect::<Vec<_>>(),
            "initiator": identity_set(user_identity(&c.members[*initiator], false)),
        }),
        Event::Renamed { initiator, name } => json!({
            "@odata.type": "#microsoft.graph.chatRenamedEventMessageDetail",
            "chatId": c.id,
            "chatDisplayName": name,
            "initiator": identity_set(user_identity(&c.members[*initiator], false)),
        }),
    }
}

fn reaction(c: &Chat, r: &super::Reaction) -> Value {
    json!({
        "reactionType": r.kind,
        "displayName": reaction_name(r.kind),
        "reactionContentUrl": null,
        "createdDateTime": ts(r.at),
        "user": identity_set(user_identity(&c.members[r.user], false)),
    })
}

/// A chat message (`chatMessage`) as `GET /chats/{id}/messages/{id}` returns it.
pub fn message(ctx: Ctx<'_>, c: &Chat, m: &Message) -> Value {
    let live = m.deleted.is_none();
    let keep = |v: Vec<Value>| if live { v } else { Vec::new() };
    json!({
        "id": m.id,
        "replyToId": null,
        "etag": millis(m.modified).to_string(),
        "messageType": if m.event.is_some() { "systemEventMessage" } else { "message" },
        "createdDateTime": ts(m.created),
        "lastModifiedDateTime": ts(m.modified),
        "lastEditedDateTime": m.edited.map(ts),
        "deletedDateTime": m.deleted.map(ts),
        "subject": null,
        "summary": null,
        "chatId": c.id,
        "importance": m.importance,
        "locale": "en-us",
        "webUrl": null,
        "channelIdentity": null,
        "policyViolation": null,
        "eventDetail": m.event.as_ref().map(|e| event_detail(c, e)),
        "from": m.from.map(|s| identity_set(user_identity(&c.members[s], true))),
        "body": body(ctx, c, m),
        "attachments": keep(m.file.iter().map(|f| json!({
            "id": f.id,
            "contentType": "reference",
            "contentUrl": f.url,
            "content": null,
            "name": f.name,
            "thumbnailUrl": null,
            "teamsAppId": null,
        })).collect()),
        "mentions": keep(m.mentions.iter().enumerate().map(|(k, &s)| json!({
            "id": k,
            "mentionText": c.members[s].name,
            "mentioned": {
                "application": null,
                "device": null,
                "conversation": null,
                "user": user_identity(&c.members[s], true),
            },
        })).collect()),
        "reactions": keep(m.reactions.iter().map(|r| reaction(c, r)).collect()),
        "messageHistory": keep(m.reactions.iter().map(|r| json!({
            "modifiedDateTime": ts(r.at),
            "actions": "reactionAdded",
            "reaction": reaction(c, r),
        })).collect()),
    })
}

/// The preview of a chat's last message (`chatMessageInfo`).
pub fn preview(ctx: Ctx<'_>, c: &Chat, m: &Message) -> Value {
    let full = message(ctx, c, m);
    json!({
        "id": m.id,
        "createdDateTime": ts(m.created),
        "isDeleted": m.deleted.is_some(),
        "messageType": full["messageType"],
        "eventDetail": full["eventDetail"],
        "body": full["body"],
        "from": full["from"],
    })
}

/// A hosted content as listed (`chatMessageHostedContent`: the bytes come from `$value`).
pub fn hosted(h: &Hosted) -> Value {
    json!({"id": h.id, "contentBytes": null, "contentType": null})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_carry_milliseconds() {
        let t = OffsetDateTime::from_unix_timestamp_nanos(1_616_964_509_832_000_000)
            .expect("valid time");
        assert_eq!(ts(t), "2021-03-28T20:48:29.832Z");
    }
}
