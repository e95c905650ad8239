//! Mail writes restore uses: folders, messages from MIME or JSON, updates
//! (flags, read state, extended properties), deletes, attachments and
//! attachment upload sessions.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::mail::message_json;
use super::outlook::{self, bad_request, body_bytes, entity_status, json_body, missing};
use crate::failure::{GraphFailure, GraphResult};
use crate::mailbox::content::{Attachment, AttachmentBody, Bytes, Content, Person, hex};
use crate::mailbox::{Exists, Mailbox, Message, Origin, lock, mime, render, upload};
use crate::state::AppState;

/// Largest request body the mail writes read (Outlook's 150 MB message limit, in base64).
pub const BODY_LIMIT: usize = 210 * 1024 * 1024;
/// Largest attachment a plain `POST …/attachments` takes (Microsoft: under 3 MB).
pub const SMALL_ATTACHMENT: usize = 3 * 1024 * 1024;

/// 409 `ErrorFolderExists`.
pub fn folder_exists() -> GraphFailure {
    GraphFailure::new(
        StatusCode::CONFLICT,
        "ErrorFolderExists",
        "A folder with the specified name already exists.",
    )
}

fn display_name(v: &Value, key: &str) -> GraphResult<String> {
    match v.get(key).and_then(Value::as_str).map(str::trim) {
        Some(n) if !n.is_empty() => Ok(n.to_owned()),
        _ => Err(bad_request(
            "ErrorInvalidRequest",
            format!("The '{key}' property is required to create a folder."),
        )),
    }
}

async fn create_folder(
    state: &AppState,
    user: &str,
    parent: Option<&str>,
    body: Body,
) -> GraphResult<Response> {
    let v = json_body(&body_bytes(body, 1024 * 1024).await?)?;
    let name = display_name(&v, "displayName")?;
    let hidden = v.get("isHidden").and_then(Value::as_bool).unwrap_or(false);
    let (_, mailbox) = outlook::mailbox(state, user).await?;
    let mut m = lock(&mailbox);
    let parent = match parent {
        None => 0,
        Some(key) => m.folder(key).ok_or_else(|| missing(key))?,
    };
    let i = m
        .add_folder(parent, &name, hidden, None)
        .map_err(|Exists| folder_exists())?;
    let context = format!("users('{user}')/mailFolders/$entity");
    Ok(entity_status(
        &state.base_url(),
        &context,
        render::folder(&m, i),
        StatusCode::CREATED,
    ))
}

/// `POST /users/{id}/mailFolders`.
pub async fn post_folder(
    State(state): State<AppState>,
    Path(user): Path<String>,
    body: Body,
) -> GraphResult<Response> {
    create_folder(&state, &user, None, body).await
}

/// `POST /users/{id}/mailFolders/{id}/childFolders`.
pub async fn post_child_folder(
    State(state): State<AppState>,
    Path((user, folder)): Path<(String, String)>,
    body: Body,
) -> GraphResult<Response> {
    create_folder(&state, &user, Some(&folder), body).await
}

/// `DELETE /users/{id}/mailFolders/{id}`: the folder, its messages and its
/// folders (well-known folders cannot be deleted).
pub async fn delete_folder(
    State(state): State<AppState>,
    Path((user, folder)): Path<(String, String)>,
) -> GraphResult<Response> {
    let (_, mailbox) = outlook::mailbox(&state, &user).await?;
    let mut m = lock(&mailbox);
    let i = m.folder(&folder).ok_or_else(|| missing(&folder))?;
    if m.folders[i].well_known.is_some() {
        return Err(bad_request(
            "ErrorDeleteDistinguishedFolder",
            "Distinguished folders cannot be deleted.",
        ));
    }
    m.delete_folder(i);
    Ok(StatusCode::NO_CONTENT.into_response())
}

fn people(v: &Value) -> Vec<Person> {
    v.as_array()
        .map(|a| a.iter().filter_map(person).collect())
        .unwrap_or_default()
}

fn person(v: &Value) -> Option<Person> {
    let e = v.get("emailAddress")?;
    Some(Person {
        name: e
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        address: e.get("address").and_then(Value::as_str)?.to_owned(),
    })
}

/// A message's content from its JSON form (`subject`, `body`, recipients, `from`).
pub fn content_from_json(v: &Value, m: &Mailbox, now: OffsetDateTime) -> Content {
    let subject = v
        .get("subject")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let body = v.get("body").cloned().unwrap_or(Value::Null);
    let text = body
        .get("content")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let is_html = body
        .get("contentType")
        .and_then(Value::as_str)
        .is_some_and(|t| t.eq_ignore_ascii_case("html"));
    let serial = hex(&m.seq.to_be_bytes());
    Content {
        topic: subject.clone(),
        subject,
        from: v
            .get("from")
            .and_then(person)
            .unwrap_or_else(|| m.owner().clone()),
        to: people(&v["toRecipients"]),
        cc: people(&v["ccRecipients"]),
        bcc: people(&v["bccRecipients"]),
        date: now,
        message_id: v
            .get("internetMessageId")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .unwrap_or_else(|| format!("<{serial}.{}@{}>", m.guid, m.ctx.domain)),
        text: if is_html {
            mime::parse::strip_tags(&text)
        } else {
            text.clone()
        },
        html: is_html.then_some(text),
        attachments: Vec::new(),
    }
}

/// Applies single-value extended properties. Exchange reads these on create and
/// update: `Integer 0x0E07` (PR_MESSAGE_FLAGS: 1 read, 8 unsent), `SystemTime
/// 0x0E06` (PR_MESSAGE_DELIVERY_TIME: received) and `SystemTime 0x0039`
/// (PR_CLIENT_SUBMIT_TIME: sent); others are kept as given.
fn apply_properties(msg: &mut Message, props: &Value) -> GraphResult<()> {
    let Some(list) = props.as_array() else {
        return Err(bad_request(
            "BadRequest",
            "singleValueExtendedProperties must be a collection.",
        ));
    };
    for p in list {
        let (Some(id), Some(value)) = (
            p.get("id").and_then(Value::as_str),
            p.get("value").and_then(Value::as_str),
        ) else {
            return Err(bad_request(
                "BadRequest",
                "An extended property needs an id and a value.",
            ));
        };
        let key = id
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_ascii_lowercase();
        let time = || {
            OffsetDateTime::parse(value, &Rfc3339).map_err(|_| {
                bad_request(
                    "ErrorInvalidExtendedPropertyValue",
                    format!("The value '{value}' is not a valid SystemTime."),
                )
            })
        };
        match key.as_str() {
            "integer 0x0e07" => {
                let flags: i64 = value.trim().parse().map_err(|_| {
                    bad_request(
                        "ErrorInvalidExtendedPropertyValue",
                        format!("The value '{value}' is not a valid Integer."),
                    )
                })?;
                msg.is_read = flags & 0x1 != 0;
                msg.is_draft = flags & 0x8 != 0;
            }
            "systemtime 0x0e06" => msg.received = time()?,
            "systemtime 0x0039" => msg.sent = Some(time()?),
            _ => {}
        }
        msg.properties.retain(|(k, _)| !k.eq_ignore_ascii_case(id));
        msg.properties.push((id.to_owned(), value.to_owned()));
    }
    Ok(())
}

/// Applies the metadata a message update (or a JSON create) may set.
fn apply_metadata(msg: &mut Message, v: &Value) -> GraphResult<()> {
    if let Some(b) = v.get("isRead").and_then(Value::as_bool) {
        msg.is_read = b;
    }
    if let Some(s) = v.pointer("/flag/flagStatus").and_then(Value::as_str) {
        if !["notFlagged", "flagged", "complete"].contains(&s) {
            return Err(bad_request(
                "BadRequest",
                format!("'{s}' is not a valid flagStatus."),
            ));
        }
        msg.flag = s.to_owned();
    }
    if let Some(c) = v.get("categories").and_then(Value::as_array) {
        msg.categories = c
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect();
    }
    if let Some(s) = v.get("importance").and_then(Value::as_str) {
        if !["low", "normal", "high"].contains(&s) {
            return Err(bad_request(
                "BadRequest",
                format!("'{s}' is not a valid importance."),
            ));
        }
        msg.importance = s.to_owned();
    }
    if let Some(s) = v.get("inferenceClassification").and_then(Value::as_str) {
        msg.inference = s.to_owned();
    }
    if let Some(p) = v.get("singleValueExtendedProperties") {
        apply_properties(msg, p)?;
    }
    Ok(())
}

async fn create_message(
    state: &AppState,
    user: &str,
    folder: Option<&str>,
    headers: &HeaderMap,
    body: Body,
) -> GraphResult<Response> {
    let raw = body_bytes(body, BODY_LIMIT).await?;
    let is_mime = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().to_ascii_lowercase().starts_with("text/plain"));
    let now = state.now();
    let (_, mailbox) = outlook::mailbox(state, user).await?;
    let mime_bytes = if is_mime {
        let clean: Vec<u8> = raw
            .iter()
            .copied()
            .filter(|b| !b.is_ascii_whitespace())
            .collect();
        let bytes = STANDARD.decode(&clean).map_err(|_| {
            bad_request(
                "ErrorMimeContentInvalidBase64String",
                "Invalid base64 string for MIME content.",
            )
        })?;
        mime::parse(&bytes)
            .map_err(|_| bad_request("ErrorMimeContentInvalid", "The MIME content is invalid."))?;
        Some(bytes)
    } else {
        None
    };
    let json = if is_mime {
        Value::Null
    } else {
        json_body(&raw)?
    };
    let mut m = lock(&mailbox);
    let folder = match folder {
        None => m.folder("drafts").unwrap_or(0),
        Some(key) => m.folder(key).ok_or_else(|| missing(key))?,
    };
    let mut msg = match mime_bytes {
        Some(bytes) => {
            let date = mime::parse(&bytes).ok().and_then(|p| p.date);
            let mut msg = Message::new(Origin::Mime(Arc::new(bytes)), now, now);
            msg.sent = date;
            msg
        }
        None => {
            let c = content_from_json(&json, &m, now);
            Message::new(Origin::Json(Arc::new(c)), now, now)
        }
    };
    msg.is_draft = true;
    msg.is_read = true;
    if !is_mime {
        apply_metadata(&mut msg, &json)?;
    }
    let i = m.add_message(folder, msg);
    let v = message_json(&m, i, false);
    let context = format!("users('{user}')/messages/$entity");
    Ok(entity_status(
        &state.base_url(),
        &context,
        v,
        StatusCode::CREATED,
    ))
}

/// `POST /users/{id}/messages` (into Drafts): JSON, or MIME in base64 with
/// `Content-Type: text/plain`.
pub async fn post_message(
    State(state): State<AppState>,
    Path(user): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> GraphResult<Response> {
    create_message(&state, &user, None, &headers, body).await
}

/// `POST /users/{id}/mailFolders/{id}/messages`.
pub async fn post_folder_message(
    State(state): State<AppState>,
    Path((user, folder)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> GraphResult<Response> {
    create_message(&state, &user, Some(&folder), &headers, body).await
}

const DRAFT_ONLY: &[&str] = &[
    "subject",
    "body",
    "toRecipients",
    "ccRecipients",
    "bccRecipients",
    "from",
];

async fn update_message(
    state: &AppState,
    user: &str,
    id: &str,
    body: Body,
) -> GraphResult<Response> {
    let v = json_body(&body_bytes(body, BODY_LIMIT).await?)?;
    let now = state.now();
    let (_, mailbox) = outlook::mailbox(state, user).await?;
    let mut m = lock(&mailbox);
    let i = m.message(id).ok_or_else(|| missing(id))?;
    let mut msg = m.messages[i].clone();
    apply_metadata(&mut msg, &v)?;
    if DRAFT_ONLY.iter().any(|k| v.get(*k).is_some()) {
        if !msg.is_draft {
            return Err(bad_request(
                "ErrorInvalidPropertyUpdateSentMessage",
                "Update operation is invalid for property of a sent message.",
            ));
        }
        let mut c = m.content(i);
        let patch = content_from_json(&v, &m, now);
        if v.get("subject").is_some() {
            c.subject = patch.subject;
        }
        if v.get("body").is_some() {
            c.text = patch.text;
            c.html = patch.html;
        }
        for (key, list) in [
            ("toRecipients", patch.to),
            ("ccRecipients", patch.cc),
            ("bccRecipients", patch.bcc),
        ] {
            if v.get(key).is_some() {
                match key {
                    "toRecipients" => c.to = list,
                    "ccRecipients" => c.cc = list,
                    _ => c.bcc = list,
                }
            }
        }
        if v.get("from").is_some() {
            c.from = patch.from;
        }
        msg.origin = Origin::Json(Arc::new(c));
        msg.digest = None;
    }
    m.messages[i] = msg;
    m.touch_message(i, now);
    let out = message_json(&m, i, false);
    let context = format!("users('{user}')/messages/$entity");
    Ok(entity_status(
        &state.base_url(),
        &context,
        out,
        StatusCode::OK,
    ))
}

/// `PATCH /users/{id}/messages/{id}`.
pub async fn patch_message(
    State(state): State<AppState>,
    Path((user, id)): Path<(String, String)>,
    body: Body,
) -> GraphResult<Response> {
    update_message(&state, &user, &id, body).await
}

/// `PATCH /users/{id}/mailFolders/{id}/messages/{id}`.
pub async fn patch_folder_message(
    State(state): State<AppState>,
    Path((user, _folder, id)): Path<(String, String, String)>,
    body: Body,
) -> GraphResult<Response> {
    update_message(&state, &user, &id, body).await
}

async fn remove_message(state: &AppState, user: &str, id: &str) -> GraphResult<Response> {
    let (_, mailbox) = outlook::mailbox(state, user).await?;
    let mut m = lock(&mailbox);
    let i = m.message(id).ok_or_else(|| missing(id))?;
    m.delete_message(i);
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `DELETE /users/{id}/messages/{id}`.
pub async fn delete_message(
    State(state): State<AppState>,
    Path((user, id)): Path<(String, String)>,
) -> GraphResult<Response> {
    remove_message(&state, &user, &id).await
}

/// `DELETE /users/{id}/mailFolders/{id}/messages/{id}`.
pub async fn delete_folder_message(
    State(state): State<AppState>,
    Path((user, _folder, id)): Path<(String, String, String)>,
) -> GraphResult<Response> {
    remove_message(&state, &user, &id).await
}

/// An attachment from its JSON form (file or item attachment).
pub fn attachment_from_json(
    v: &Value,
    m: &Mailbox,
    now: OffsetDateTime,
) -> GraphResult<Attachment> {
    let kind = v
        .get("@odata.type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let name = v
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or("attachment")
        .to_owned();
    let body = if kind.ends_with("fileAttachment") {
        let encoded = v
            .get("contentBytes")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let bytes = STANDARD
            .decode(encoded.trim())
            .map_err(|_| bad_request("ErrorInvalidRequest", "contentBytes is not valid base64."))?;
        if bytes.len() > SMALL_ATTACHMENT {
            return Err(GraphFailure::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "ErrorRequestEntityTooLarge",
                "The attachment is 3 MB or larger; attach it through an upload session.",
            ));
        }
        AttachmentBody::File(Bytes::Stored(Arc::new(bytes)))
    } else if kind.ends_with("itemAttachment") {
        let item = v.get("item").cloned().unwrap_or(Value::Null);
        AttachmentBody::Item(Box::new(content_from_json(&item, m, now)))
    } else {
        return Err(bad_request(
            "ErrorInvalidRequest",
            "The simulator creates fileAttachment and itemAttachment only.",
        ));
    };
    Ok(Attachment {
        name,
        content_type: v
            .get("contentType")
            .and_then(Value::as_str)
            .unwrap_or(if kind.ends_with("itemAttachment") {
                "message/rfc822"
            } else {
                "application/octet-stream"
            })
            .to_owned(),
        is_inline: v.get("isInline").and_then(Value::as_bool).unwrap_or(false),
        content_id: v
            .get("contentId")
            .and_then(Value::as_str)
            .map(str::to_owned),
        modified: now,
        body,
    })
}

/// `POST /users/{id}/messages/{id}/attachments` (under 3 MB).
pub async fn post_attachment(
    State(state): State<AppState>,
    Path((user, id)): Path<(String, String)>,
    body: Body,
) -> GraphResult<Response> {
    let v = json_body(&body_bytes(body, BODY_LIMIT).await?)?;
    let now = state.now();
    let (_, mailbox) = outlook::mailbox(&state, &user).await?;
    let mut m = lock(&mailbox);
    let i = m.message(&id).ok_or_else(|| missing(&id))?;
    let a = attachment_from_json(&v, &m, now)?;
    let aid = upload::attach_to_message(&mut m, i, a.clone(), now);
    let context = format!("users('{user}')/messages('{id}')/attachments/$entity");
    Ok(entity_status(
        &state.base_url(),
        &context,
        render::attachment(&aid, &a, true),
        StatusCode::CREATED,
    ))
}

/// `POST /users/{id}/messages/{id}/attachments/createUploadSession` (3 MB to 150 MB).
pub async fn message_upload_session(
    State(state): State<AppState>,
    Path((user, id)): Path<(String, String)>,
    body: Body,
) -> GraphResult<Response> {
    upload::create(&state, &user, upload::Target::Message(id), body).await
}
