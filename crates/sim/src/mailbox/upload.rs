//! Attachment upload sessions, as Outlook documents them: `createUploadSession`
//! answers a pre-authenticated `uploadUrl` (on `outlook.office.com` in the real
//! service, `{base}/api/v2.0/…` here); the client PUTs the bytes in order, in
//! pieces of at most 4 MB with `Content-Range: bytes a-b/total` and no
//! `Authorization` header. Each piece answers 200 with `nextExpectedRanges:
//! ["{next}"]`; the last one 201 with a `Location` naming the new attachment.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::put;
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};

use super::content::{Attachment, AttachmentBody, Bytes};
use super::ids::IdKind;
use super::{Mailbox, lock};
use crate::failure::{GraphFailure, GraphResult};
use crate::graph::outlook::{self, bad_request, body_bytes, json_body, missing};
use crate::graph::render::ts;
use crate::state::AppState;

/// Smallest attachment an upload session takes.
pub const MIN_SIZE: u64 = 3 * 1024 * 1024;
/// Largest attachment an upload session takes.
pub const MAX_SIZE: u64 = 150 * 1024 * 1024;
/// Largest piece one PUT may carry.
pub const MAX_PIECE: usize = 4 * 1024 * 1024;

/// What an upload session attaches to.
#[derive(Debug, Clone)]
pub enum Target {
    /// A message, by id.
    Message(String),
    /// An event, by id.
    Event(String),
}

/// An upload in progress.
#[derive(Debug, Clone)]
pub struct Session {
    user: usize,
    user_id: String,
    target: Target,
    name: String,
    content_type: String,
    is_inline: bool,
    content_id: Option<String>,
    size: usize,
    data: Vec<u8>,
    token: String,
    expires: OffsetDateTime,
}

/// Files attachment `a` on message `i`; returns its id.
pub fn attach_to_message(m: &mut Mailbox, i: usize, a: Attachment, now: OffsetDateTime) -> String {
    let aid = m.new_id(IdKind::Attachment);
    m.messages[i].added_attachments.push((aid.clone(), a));
    m.messages[i].digest = None;
    m.touch_message(i, now);
    aid
}

/// Files attachment `a` on event `i`; returns its id.
pub fn attach_to_event(m: &mut Mailbox, i: usize, a: Attachment, now: OffsetDateTime) -> String {
    let aid = m.new_id(IdKind::Attachment);
    m.events[i].attachments.push((aid.clone(), a));
    m.touch_event(i, now);
    aid
}

/// `POST …/attachments/createUploadSession`.
pub async fn create(
    state: &AppState,
    user: &str,
    target: Target,
    body: Body,
) -> GraphResult<Response> {
    let v = json_body(&body_bytes(body, 1024 * 1024).await?)?;
    let item = v
        .get("AttachmentItem")
        .or_else(|| v.get("attachmentItem"))
        .cloned()
        .unwrap_or(Value::Null);
    if item
        .get("attachmentType")
        .and_then(Value::as_str)
        .is_some_and(|t| !t.eq_ignore_ascii_case("file"))
    {
        return Err(bad_request(
            "ErrorInvalidRequest",
            "Only file attachments can be uploaded in a session.",
        ));
    }
    let name = item
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    if name.is_empty() {
        return Err(bad_request(
            "ErrorInvalidRequest",
            "The attachment needs a name.",
        ));
    }
    let size = item.get("size").and_then(Value::as_u64).unwrap_or(0);
    if size < MIN_SIZE {
        return Err(bad_request(
            "ErrorAttachmentSizeShouldNotBeLessThanMinimumSize",
            "Attachment size must be greater than the minimum size.",
        ));
    }
    if size > MAX_SIZE {
        return Err(GraphFailure::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "ErrorRequestEntityTooLarge",
            "The attachment exceeds the maximum size of 150 MB.",
        ));
    }
    let tenant_id = state.tenant().id.to_string();
    let (index, mailbox) = outlook::mailbox(state, user).await?;
    let (user_id, item_id) = {
        let m = lock(&mailbox);
        let id = match &target {
            Target::Message(id) => m.message(id).map(|i| m.messages[i].id.clone()),
            Target::Event(id) => m.event(id).map(|i| m.events[i].id.clone()),
        };
        let item_id = match &target {
            Target::Message(id) | Target::Event(id) => id.clone(),
        };
        id.ok_or_else(|| missing(&item_id))?;
        (m.user_id.to_string(), item_id)
    };
    let now = state.now();
    let session_id = crate::mailbox::ids::encode(uuid::Uuid::new_v4().as_bytes());
    let token = uuid::Uuid::new_v4().simple().to_string();
    let expires = now + Duration::hours(1);
    let segment = match target {
        Target::Message(_) => "Messages",
        Target::Event(_) => "Events",
    };
    let upload_url = format!(
        "{}/api/v2.0/Users('{user_id}@{tenant_id}')/{segment}('{item_id}')/AttachmentSessions('{session_id}')?authtoken={token}",
        state.base_url()
    );
    state
        .mailboxes
        .uploads
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(
            session_id,
            Session {
                user: index,
                user_id,
                target,
                name,
                content_type: item
                    .get("contentType")
                    .and_then(Value::as_str)
                    .unwrap_or("application/octet-stream")
                    .to_owned(),
                is_inline: item
                    .get("isInline")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
                content_id: item
                    .get("contentId")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                size: size as usize,
                data: Vec::new(),
                token,
                expires,
            },
        );
    Ok((
        StatusCode::CREATED,
        axum::Json(json!({
            "@odata.context": format!("{}/v1.0/$metadata#microsoft.graph.uploadSession", state.base_url()),
            "uploadUrl": upload_url,
            "expirationDateTime": ts(expires),
            "nextExpectedRanges": ["0-"],
        })),
    )
        .into_response())
}

/// The pre-authenticated upload routes (mounted at the root, like
/// `https://outlook.office.com/api/v2.0/…`).
pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v2.0/{*rest}", put(piece).delete(cancel))
}

fn session_id(rest: &str) -> Option<String> {
    let start = rest.find("AttachmentSessions('")? + "AttachmentSessions('".len();
    let end = rest[start..].find("')")? + start;
    Some(rest[start..end].to_owned())
}

fn parse_range(headers: &HeaderMap) -> Option<(usize, usize, usize)> {
    let v = headers.get("content-range")?.to_str().ok()?;
    let (range, total) = v.trim().strip_prefix("bytes ")?.split_once('/')?;
    let (a, b) = range.split_once('-')?;
    Some((
        a.trim().parse().ok()?,
        b.trim().parse().ok()?,
        total.trim().parse().ok()?,
    ))
}

fn session_gone() -> GraphFailure {
    GraphFailure::new(
        StatusCode::NOT_FOUND,
        "ErrorItemNotFound",
        "The upload session was not found or has expired.",
    )
}

async fn piece(
    State(state): State<AppState>,
    Path(rest): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    match put_piece(&state, &rest, &q, &headers, body).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

async fn put_piece(
    state: &AppState,
    rest: &str,
    q: &HashMap<String, String>,
    headers: &HeaderMap,
    body: Body,
) -> GraphResult<Response> {
    let id = session_id(rest).ok_or_else(session_gone)?;
    let bytes = body_bytes(body, MAX_PIECE + 1).await?;
    if bytes.len() > MAX_PIECE {
        return Err(GraphFailure::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "ErrorRequestEntityTooLarge",
            "Upload at most 4 MB in one request.",
        ));
    }
    let now = state.now();
    let mut done = {
        let mut uploads = state
            .mailboxes
            .uploads
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let s = uploads.get_mut(&id).ok_or_else(session_gone)?;
        if q.get("authtoken") != Some(&s.token) {
            return Err(GraphFailure::new(
                StatusCode::UNAUTHORIZED,
                "InvalidAuthenticationToken",
                "The upload URL's token is not valid for this session.",
            ));
        }
        if now > s.expires {
            uploads.remove(&id);
            return Err(session_gone());
        }
        let Some((a, b, total)) = parse_range(headers) else {
            return Err(bad_request(
                "ErrorInvalidRequest",
                "Content-Range is required: bytes {start}-{end}/{total}.",
            ));
        };
        if total != s.size || b < a || b - a + 1 != bytes.len() || b >= total {
            return Err(bad_request(
                "ErrorInvalidRequest",
                format!(
                    "Content-Range bytes {a}-{b}/{total} does not match the session or the body."
                ),
            ));
        }
        if a != s.data.len() {
            return Err(GraphFailure::new(
                StatusCode::RANGE_NOT_SATISFIABLE,
                "ErrorInvalidRange",
                format!("The next expected range starts at {}.", s.data.len()),
            ));
        }
        s.data.extend_from_slice(&bytes);
        if s.data.len() < s.size {
            return Ok(axum::Json(json!({
                "@odata.context": format!("{}/api/v2.0/$metadata#Users('{}')/AttachmentSessions/$entity", state.base_url(), s.user_id),
                "expirationDateTime": ts(s.expires),
                "nextExpectedRanges": [s.data.len().to_string()],
            }))
            .into_response());
        }
        uploads.remove(&id).ok_or_else(session_gone)?
    };
    let data = std::mem::take(&mut done.data);
    let attachment = Attachment {
        name: done.name.clone(),
        content_type: done.content_type.clone(),
        is_inline: done.is_inline,
        content_id: done.content_id.clone(),
        modified: now,
        body: AttachmentBody::File(Bytes::Stored(Arc::new(data))),
    };
    let tenant_id = state.tenant().id.to_string();
    let mailbox = state
        .mailboxes
        .open(state, done.user)
        .ok_or_else(session_gone)?;
    let mut m = lock(&mailbox);
    let (segment, item_id, aid) = match &done.target {
        Target::Message(id) => {
            let i = m.message(id).ok_or_else(outlook::not_found)?;
            (
                "Messages",
                id.clone(),
                attach_to_message(&mut m, i, attachment, now),
            )
        }
        Target::Event(id) => {
            let i = m.event(id).ok_or_else(outlook::not_found)?;
            (
                "Events",
                id.clone(),
                attach_to_event(&mut m, i, attachment, now),
            )
        }
    };
    drop(m);
    let location = format!(
        "{}/api/v2.0/Users('{}@{tenant_id}')/{segment}('{item_id}')/Attachments('{aid}')",
        state.base_url(),
        done.user_id
    );
    let mut response = StatusCode::CREATED.into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        response.headers_mut().insert("location", v);
    }
    Ok(response)
}

async fn cancel(
    State(state): State<AppState>,
    Path(rest): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let Some(id) = session_id(&rest) else {
        return session_gone().into_response();
    };
    let mut uploads = state
        .mailboxes
        .uploads
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    match uploads.get(&id) {
        Some(s) if q.get("authtoken") == Some(&s.token) => {
            uploads.remove(&id);
            StatusCode::NO_CONTENT.into_response()
        }
        _ => session_gone().into_response(),
    }
}
