//! The ground truth of a mailbox (`GET /_sim/truth/items`): every live item
//! with its folder path and the SHA-256 of its content, so tests can prove a
//! backup or a restore lost nothing.
//!
//! Content is the MIME (`$value`) for messages, and for events and contacts the
//! canonical JSON of the entity as `GET /users/{id}/events/{id}` (or
//! `/contacts/{id}`) returns it: the top-level `@odata.*` annotations removed,
//! object keys sorted by their UTF-8 bytes at every level, array order kept,
//! no whitespace, strings escaped as JSON requires and nothing more (non-ASCII
//! stays UTF-8, `/` is not escaped), numbers as the response writes them.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::content::{AttachmentBody, Content, hex};
use super::{Mailbox, Origin, lock, mime, render};
use crate::state::AppState;

/// The JSON `value` with the top-level `@odata.*` annotations removed and every
/// object's keys sorted, serialized without whitespace.
pub fn canonical(v: &Value) -> Vec<u8> {
    let stripped = match v {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(k, _)| !k.starts_with("@odata."))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
        other => other.clone(),
    };
    serde_json::to_vec(&sorted(&stripped)).unwrap_or_default()
}

fn sorted(v: &Value) -> Value {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let mut out = Map::new();
            for k in keys {
                out.insert(k.clone(), sorted(&map[k]));
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

/// Where a message's MIME comes from: bytes kept as given, or content to write.
pub enum MimeSource {
    /// Stored bytes.
    Stored(Arc<Vec<u8>>),
    /// Content to write.
    Write(Box<Content>),
}

impl MimeSource {
    /// The MIME bytes.
    pub fn bytes(self) -> Arc<Vec<u8>> {
        match self {
            MimeSource::Stored(b) => b,
            MimeSource::Write(c) => Arc::new(mime::write(&c)),
        }
    }
}

/// The MIME of message `i` (cheap to take under the lock; write it outside).
/// Messages created from JSON include the attachments added since.
pub fn mime_source(m: &Mailbox, i: usize) -> MimeSource {
    let msg = &m.messages[i];
    match &msg.origin {
        Origin::Mime(bytes) => MimeSource::Stored(bytes.clone()),
        Origin::Generated { .. } => MimeSource::Write(Box::new(m.content(i))),
        Origin::Json(c) => {
            let mut c = (**c).clone();
            c.attachments.extend(
                msg.added_attachments
                    .iter()
                    .filter(|(_, a)| !matches!(a.body, AttachmentBody::Reference { .. }))
                    .map(|(_, a)| a.clone()),
            );
            MimeSource::Write(Box::new(c))
        }
    }
}

/// SHA-256 (hex) and length.
pub fn digest(bytes: &[u8]) -> (String, usize) {
    (hex(&Sha256::digest(bytes)), bytes.len())
}

/// What kind of items `GET /_sim/truth/items` lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Messages.
    Message,
    /// Events (single events and series masters).
    Event,
    /// Contacts.
    Contact,
    /// Files of a OneDrive or of a site's document libraries.
    File,
    /// Items of a site's lists.
    #[serde(rename = "listItem", alias = "listitem")]
    ListItem,
    /// Teams chat messages (`crate::chats::truth`).
    #[serde(rename = "chatMessage", alias = "chatmessage")]
    ChatMessage,
    /// Hosted contents (inline images) of chat or channel messages.
    #[serde(rename = "hostedContent", alias = "hostedcontent")]
    HostedContent,
    /// Direct members and owners of a group (`crate::chats::truth`).
    Member,
    /// Messages and replies of a team's channels (`crate::teams::truth`, `team=ID`).
    #[serde(rename = "channelMessage", alias = "channelmessage")]
    ChannelMessage,
}

impl Kind {
    /// Whether the kind lives in a mailbox (rather than a drive or a site).
    pub fn in_mailbox(self) -> bool {
        matches!(self, Kind::Message | Kind::Event | Kind::Contact)
    }
}

/// The query of `GET /_sim/truth/items`.
#[derive(Debug, Deserialize)]
pub struct ItemsQuery {
    /// User principal name or object id.
    #[serde(default)]
    pub user: Option<String>,
    /// Site id (for `file` and `listItem`).
    #[serde(default)]
    pub site: Option<String>,
    /// Team id (for `channelMessage` and `hostedContent`).
    #[serde(default)]
    pub team: Option<String>,
    /// Chat id (for `chatMessage` and `hostedContent`).
    #[serde(default)]
    pub chat: Option<String>,
    /// Group id (for `member`).
    #[serde(default)]
    pub group: Option<String>,
    /// `message`, `event`, `contact`, `file` or `listItem`.
    pub kind: Kind,
}

fn support_error(status: StatusCode, message: String) -> Response {
    (status, Json(json!({"error": message}))).into_response()
}

/// `GET /_sim/truth/items?user=UPN&kind=message|event|contact` (and, for
/// drives and sites, `?user=UPN&kind=file`, `?site=ID&kind=file|listItem`).
pub async fn items(State(state): State<AppState>, Query(q): Query<ItemsQuery>) -> Response {
    if let Some(response) = crate::chats::truth::dispatch(&state, &q).await {
        return response;
    }
    if q.kind == Kind::ChannelMessage || (q.kind == Kind::HostedContent && q.team.is_some()) {
        let hosted = q.kind == Kind::HostedContent;
        return crate::teams::truth::items(state, q.team, hosted).await;
    }
    if !q.kind.in_mailbox() {
        return crate::drive::truth::items(state, q.user, q.site, q.kind == Kind::ListItem).await;
    }
    let Some(user) = q.user.clone() else {
        return support_error(StatusCode::BAD_REQUEST, "name a user: user=UPN".into());
    };
    let index = state.tenant().user(&user).map(|(i, _)| i);
    let Some(index) = index else {
        return support_error(StatusCode::NOT_FOUND, format!("no user '{user}'"));
    };
    let result = tokio::task::spawn_blocking(move || {
        let mailbox = state.mailboxes.open(&state, index)?;
        Some(truth(&mailbox, q.kind))
    })
    .await;
    match result {
        Ok(Some(items)) => Json(Value::Array(items)).into_response(),
        Ok(None) => support_error(StatusCode::NOT_FOUND, format!("'{user}' has no mailbox")),
        Err(e) => support_error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

/// Item counts of every mailbox (generating those not generated yet), for
/// `GET /_sim/truth/summary?mailboxes=true`.
pub async fn counts(state: &AppState) -> Value {
    let users: Vec<(usize, String)> = {
        let t = state.tenant();
        (0..t.users.len())
            .filter(|&i| t.users[i].deleted_seq.is_none() && t.has_mailbox(i))
            .map(|i| (i, t.users[i].user_principal_name.clone()))
            .collect()
    };
    let state = state.clone();
    tokio::task::spawn_blocking(move || {
        users
            .into_iter()
            .filter_map(|(i, upn)| {
                let mailbox = state.mailboxes.open(&state, i)?;
                let m = lock(&mailbox);
                let live = |n: usize, f: &dyn Fn(usize) -> bool| (0..n).filter(|&k| f(k)).count();
                Some(json!({
                    "userPrincipalName": upn,
                    "purpose": m.purpose.as_str(),
                    "folders": live(m.folders.len(), &|k| k > 0 && m.folders[k].seqs.live()),
                    "messages": live(m.messages.len(), &|k| m.messages[k].seqs.live()),
                    "calendars": live(m.calendars.len(), &|k| m.calendars[k].seqs.live()),
                    "events": live(m.events.len(), &|k| m.events[k].seqs.live()),
                    "contactFolders": live(m.contact_folders.len(), &|k| m.contact_folders[k].seqs.live()),
                    "contacts": live(m.contacts.len(), &|k| m.contacts[k].seqs.live()),
                }))
            })
            .collect::<Vec<_>>()
    })
    .await
    .map(Value::Array)
    .unwrap_or(Value::Null)
}

/// Every live item of `kind` with its path, SHA-256 and size.
pub fn truth(mailbox: &super::SharedMailbox, kind: Kind) -> Vec<Value> {
    match kind {
        Kind::Message => messages(mailbox),
        Kind::Event => {
            let m = lock(mailbox);
            (0..m.events.len())
                .filter(|&i| m.events[i].seqs.live())
                .map(|i| {
                    let (sha, size) = digest(&canonical(&render::event(&m, i)));
                    let path = format!("/{}", m.calendars[m.events[i].calendar].name);
                    json!({"id": m.events[i].id, "path": path, "sha256": sha, "size": size})
                })
                .collect()
        }
        Kind::Contact => {
            let m = lock(mailbox);
            (0..m.contacts.len())
                .filter(|&i| m.contacts[i].seqs.live())
                .map(|i| {
                    let (sha, size) = digest(&canonical(&render::contact(&m, i)));
                    let path = m.contact_folder_path(m.contacts[i].folder);
                    json!({"id": m.contacts[i].id, "path": path, "sha256": sha, "size": size})
                })
                .collect()
        }
        // Drives and lists have their own truth (`crate::drive::truth`).
        Kind::File | Kind::ListItem => Vec::new(),
        // Chats and group membership have their own truth (`crate::chats::truth`).
        Kind::ChatMessage | Kind::HostedContent | Kind::Member => Vec::new(),
        // Teams have their own truth (`crate::teams::truth`).
        Kind::ChannelMessage => Vec::new(),
    }
}

/// Messages: digests are computed once per message (outside the lock) and kept.
fn messages(mailbox: &super::SharedMailbox) -> Vec<Value> {
    let pending: Vec<(usize, String, MimeSource)> = {
        let m = lock(mailbox);
        (0..m.messages.len())
            .filter(|&i| m.messages[i].seqs.live() && m.messages[i].digest.is_none())
            .map(|i| (i, m.messages[i].id.clone(), mime_source(&m, i)))
            .collect()
    };
    let computed: Vec<(usize, String, (String, usize))> = pending
        .into_iter()
        .map(|(i, id, source)| (i, id, digest(&source.bytes())))
        .collect();
    let mut m = lock(mailbox);
    for (i, id, d) in computed {
        if m.messages[i].id == id {
            m.messages[i].digest = Some(d);
        }
    }
    (0..m.messages.len())
        .filter(|&i| m.messages[i].seqs.live())
        .filter_map(|i| {
            let msg = &m.messages[i];
            let (sha, size) = msg.digest.clone()?;
            Some(json!({"id": msg.id, "path": m.folder_path(msg.folder), "sha256": sha, "size": size}))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_json_sorts_keys_and_drops_annotations() {
        let v = json!({"@odata.etag": "x", "b": {"z": 1, "a": [ {"y": 2, "x": "é/"} ]}, "a": null});
        assert_eq!(
            String::from_utf8(canonical(&v)).expect("utf-8"),
            "{\"a\":null,\"b\":{\"a\":[{\"x\":\"é/\",\"y\":2}],\"z\":1}}"
        );
    }
}
