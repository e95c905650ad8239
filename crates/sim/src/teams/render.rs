//! Graph's JSON for teams, channels, channel messages and hosted contents,
//! following `team`, `channel`, `chatMessage` and `chatMessageHostedContent`
//! of the v1.0 schema and the shapes Microsoft's examples show.

use serde_json::{Map, Value, json};

use super::{Author, Channel, Event, Hosted, Message, Team, ts_ms};
use crate::graph::render::ts;

/// `https://teams.microsoft.com` links escape `:` and `@` of thread ids.
fn enc(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// A user as Teams names one: `teamworkUserIdentity` (display name optional).
fn user(a: &Author, with_name: bool) -> Value {
    json!({
        "@odata.type": "#microsoft.graph.teamworkUserIdentity",
        "id": a.id,
        "displayName": if with_name { Value::String(a.name.clone()) } else { Value::Null },
        "userIdentityType": "aadUser",
    })
}

fn identity_set(a: &Author, with_name: bool) -> Value {
    json!({"application": null, "device": null, "user": user(a, with_name)})
}

/// `GET /teams/{id}`.
pub fn team(t: &Team) -> Value {
    let general = t
        .channels
        .first()
        .map(|c| c.id.as_str())
        .unwrap_or_default();
    json!({
        "id": t.id,
        "createdDateTime": ts(t.created),
        "displayName": t.name,
        "description": t.description,
        "internalId": general,
        "classification": null,
        "specialization": "none",
        "visibility": t.visibility,
        "webUrl": format!(
            "https://teams.microsoft.com/l/team/{}/conversations?groupId={}&tenantId={}",
            enc(general), t.id, t.tenant_id
        ),
        "isArchived": false,
        "tenantId": t.tenant_id,
        "memberSettings": {
            "allowCreateUpdateChannels": true,
            "allowDeleteChannels": true,
            "allowAddRemoveApps": true,
            "allowCreateUpdateRemoveTabs": true,
            "allowCreateUpdateRemoveConnectors": true,
            "allowCreatePrivateChannels": true,
        },
        "guestSettings": {"allowCreateUpdateChannels": false, "allowDeleteChannels": false},
        "messagingSettings": {
            "allowUserEditMessages": true,
            "allowUserDeleteMessages": true,
            "allowOwnerDeleteMessages": true,
            "allowTeamMentions": true,
            "allowChannelMentions": true,
        },
        "funSettings": {
            "allowGiphy": true,
            "giphyContentRating": "moderate",
            "allowStickersAndMemes": true,
            "allowCustomMemes": true,
        },
    })
}

/// A team as `GET /teams` lists it: id, name and description only.
pub fn team_listed(t: &crate::tenant::SimGroup) -> Value {
    json!({
        "id": t.id.to_string(),
        "displayName": t.display_name,
        "description": t.description,
    })
}

/// A channel.
pub fn channel(t: &Team, c: &Channel) -> Value {
    let migration = c.migration.as_ref();
    json!({
        "id": c.id,
        "createdDateTime": ts_ms(c.created),
        "displayName": c.name,
        "description": c.description,
        "isFavoriteByDefault": null,
        "email": c.email,
        "tenantId": t.tenant_id,
        "webUrl": format!(
            "https://teams.microsoft.com/l/channel/{}/{}?groupId={}&tenantId={}",
            enc(&c.id), enc(&c.name), t.id, t.tenant_id
        ),
        "membershipType": c.membership.as_str(),
        "isArchived": false,
        "layoutType": "post",
        "migrationMode": migration.map(|m| m.mode.as_str()),
        "originalCreatedDateTime": migration.map(|m| ts_ms(m.original_created)),
    })
}

fn event(e: &Event) -> Value {
    match e {
        Event::MembersAdded { initiator, members } => json!({
            "@odata.type": "#microsoft.graph.membersAddedEventMessageDetail",
            "visibleHistoryStartDateTime": "0001-01-01T00:00:00Z",
            "members": members.iter().map(|m| json!({
                "id": m.id, "displayName": null, "userIdentityType": "aadUser",
            })).collect::<Vec<_>>(),
            "initiator": identity_set(initiator, false),
        }),
        Event::ChannelAdded {
            initiator,
            channel_id,
            channel_name,
        } => json!({
            "@odata.type": "#microsoft.graph.channelAddedEventMessageDetail",
            "channelId": channel_id,
            "channelDisplayName": channel_name,
            "initiator": identity_set(initiator, false),
        }),
    }
}

/// Message `i` of channel `c`, without replies. `unknown_enums` is whether
/// the caller sent `Prefer: include-unknown-enum-members`: without it, system
/// event messages have `messageType` `unknownFutureValue`, as Graph writes
/// evolvable enum members added after `unknownFutureValue`.
pub fn message(t: &Team, c: &Channel, m: &Message, unknown_enums: bool) -> Value {
    let parent = m
        .parent
        .and_then(|p| c.messages.get(p))
        .map(|p| p.id.as_str());
    let message_type = match (&m.event, unknown_enums) {
        (None, _) => "message",
        (Some(_), true) => "systemEventMessage",
        (Some(_), false) => "unknownFutureValue",
    };
    let live = m.live();
    let body = if live { m.content.as_str() } else { "" };
    let mut v = Map::new();
    v.insert("id".into(), json!(m.id));
    v.insert("replyToId".into(), json!(parent));
    v.insert("etag".into(), json!(m.etag()));
    v.insert("messageType".into(), json!(message_type));
    v.insert("createdDateTime".into(), json!(ts_ms(m.created)));
    v.insert("lastModifiedDateTime".into(), json!(ts_ms(m.modified)));
    v.insert("lastEditedDateTime".into(), json!(m.edited.map(ts_ms)));
    v.insert("deletedDateTime".into(), json!(m.deleted.map(ts_ms)));
    v.insert("subject".into(), json!(m.subject));
    v.insert("summary".into(), Value::Null);
    v.insert("chatId".into(), Value::Null);
    v.insert("importance".into(), json!(m.importance));
    v.insert("locale".into(), json!("en-us"));
    v.insert(
        "webUrl".into(),
        json!(format!(
            "https://teams.microsoft.com/l/message/{}/{}?groupId={}&tenantId={}&createdTime={}&parentMessageId={}",
            enc(&c.id),
            m.id,
            t.id,
            t.tenant_id,
            m.id,
            parent.unwrap_or(&m.id)
        )),
    );
    v.insert("policyViolation".into(), Value::Null);
    v.insert("eventDetail".into(), json!(m.event.as_ref().map(event)));
    v.insert(
        "from".into(),
        json!(m.from.as_ref().map(|a| identity_set(a, true))),
    );
    v.insert(
        "body".into(),
        json!({"contentType": if m.html { "html" } else { "text" }, "content": body}),
    );
    v.insert(
        "channelIdentity".into(),
        json!({"teamId": t.id, "channelId": c.id}),
    );
    let attachments: Vec<Value> = if live {
        m.attachments
            .iter()
            .map(|a| {
                json!({
                    "id": a.id,
                    "contentType": "reference",
                    "contentUrl": a.url,
                    "content": null,
                    "name": a.name,
                    "thumbnailUrl": null,
                    "teamsAppId": null,
                })
            })
            .collect()
    } else {
        Vec::new()
    };
    v.insert("attachments".into(), Value::Array(attachments));
    let mentions: Vec<Value> = if live {
        m.mentions
            .iter()
            .enumerate()
            .map(|(k, a)| {
                json!({
                    "id": k,
                    "mentionText": a.name,
                    "mentioned": {
                        "application": null,
                        "device": null,
                        "conversation": null,
                        "user": user(a, true),
                    },
                })
            })
            .collect()
    } else {
        Vec::new()
    };
    v.insert("mentions".into(), Value::Array(mentions));
    let reactions: Vec<Value> = if live {
        m.reactions
            .iter()
            .map(|r| {
                json!({
                    "reactionType": r.kind,
                    "displayName": r.name,
                    "reactionContentUrl": null,
                    "createdDateTime": ts_ms(r.at),
                    "user": identity_set(&r.user, false),
                })
            })
            .collect()
    } else {
        Vec::new()
    };
    v.insert("reactions".into(), Value::Array(reactions));
    v.insert("messageHistory".into(), Value::Array(Vec::new()));
    Value::Object(v)
}

/// A hosted content as listed (`contentBytes` and `contentType` are always null there).
pub fn hosted(h: &Hosted) -> Value {
    json!({"id": h.id, "contentBytes": null, "contentType": null})
}

/// `@odata.context` of a channel's collection or entity, such as
/// `…/$metadata#teams('T')/channels('19%3A…')/messages`.
pub fn context(base: &str, team: &str, channel: &str, rest: &str) -> String {
    format!(
        "{base}/v1.0/$metadata#teams('{team}')/channels('{}'){rest}",
        enc(channel)
    )
}
