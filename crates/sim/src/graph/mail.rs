//! Mail: `/users/{id}/mailFolders…`, `/messages…`, attachments, `$value`, and
//! the delta queries of folders and messages.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::odata::Query;
use super::outlook::{self, entity, list_page, missing, page, paging, refuse_unsupported, select};
use super::outlook_delta::{Round, Spec};
use crate::failure::GraphResult;
use crate::mailbox::content::AttachmentBody;
use crate::mailbox::{Mailbox, lock, render, truth};
use crate::state::AppState;

/// A message as returned, with `Prefer: outlook.body-content-type` applied.
pub fn message_json(m: &Mailbox, i: usize, text_body: bool) -> Value {
    let c = m.content(i);
    let mut v = render::message(m, i, &c);
    if text_body {
        v["body"] = json!({"contentType": "text", "content": c.text});
    }
    v
}

fn body_preference(headers: &HeaderMap) -> (bool, Vec<String>) {
    if outlook::wants_text(headers) {
        (true, vec!["outlook.body-content-type=\"text\"".to_owned()])
    } else {
        (false, Vec::new())
    }
}

fn hidden_too(query: &Query) -> bool {
    query.pairs.iter().any(|(k, v)| {
        k.eq_ignore_ascii_case("includeHiddenFolders") && v.eq_ignore_ascii_case("true")
    })
}

async fn folders_page(
    state: &AppState,
    uri: &Uri,
    headers: &HeaderMap,
    user: &str,
    parent: Option<&str>,
) -> GraphResult<Response> {
    let query = Query::parse(uri, headers);
    refuse_unsupported(&query)?;
    let (top, skip) = paging(&query, 10, 1000)?;
    let (_, mailbox) = outlook::mailbox(state, user).await?;
    let m = lock(&mailbox);
    let parent = match parent {
        None => 0,
        Some(key) => m.folder(key).ok_or_else(|| missing(key))?,
    };
    let hidden = hidden_too(&query);
    let all: Vec<usize> = m
        .child_folders(parent)
        .filter(|&i| hidden || !m.folders[i].hidden)
        .collect();
    list_page(state, uri, &query, "mailFolder", &all, (top, skip), |i| {
        render::folder(&m, i)
    })
}

/// `GET /users/{id}/mailFolders` (`includeHiddenFolders=true` lists hidden ones too).
pub async fn list_folders(
    State(state): State<AppState>,
    Path(user): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> GraphResult<Response> {
    folders_page(&state, &uri, &headers, &user, None).await
}

/// `GET /users/{id}/mailFolders/{id}/childFolders`.
pub async fn child_folders(
    State(state): State<AppState>,
    Path((user, folder)): Path<(String, String)>,
    uri: Uri,
    headers: HeaderMap,
) -> GraphResult<Response> {
    folders_page(&state, &uri, &headers, &user, Some(&folder)).await
}

/// `GET /users/{id}/mailFolders/{id}` (also well-known names: `inbox`, `msgfolderroot`, …).
pub async fn get_folder(
    State(state): State<AppState>,
    Path((user, folder)): Path<(String, String)>,
    uri: Uri,
    headers: HeaderMap,
) -> GraphResult<Response> {
    let query = Query::parse(&uri, &headers);
    let (_, mailbox) = outlook::mailbox(&state, &user).await?;
    let m = lock(&mailbox);
    let i = m.folder(&folder).ok_or_else(|| missing(&folder))?;
    let v = select(render::folder(&m, i), query.select.as_deref(), "mailFolder")?;
    Ok(entity(
        &state.base_url(),
        &format!("users('{user}')/mailFolders/$entity"),
        v,
    ))
}

/// `GET /users/{id}/mailFolders/delta`: the whole folder tree, flat.
pub async fn folders_delta(
    State(state): State<AppState>,
    Path(user): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> GraphResult<Response> {
    let query = Query::parse(&uri, &headers);
    let (index, mailbox) = outlook::mailbox(&state, &user).await?;
    let m = lock(&mailbox);
    let spec = Spec {
        kind: "mailFolders",
        user: index,
        collection: "",
        default_page: 10,
        max_page: 1000,
    };
    let round = Round::begin(&state, &spec, &query, &headers, None, m.seq)?;
    let (items, next) = round.collect(&m.folder_log, |i| {
        let f = &m.folders[i];
        if !f.seqs.live() {
            return Ok(if round.initial() {
                vec![]
            } else {
                vec![render::removed("mailFolder", &f.id)]
            });
        }
        Ok(vec![select(
            render::folder(&m, i),
            round.select.as_deref(),
            "mailFolder",
        )?])
    })?;
    let now = state.now().unix_timestamp();
    Ok(round.respond(
        &state.base_url(),
        uri.path(),
        "Collection(mailFolder)",
        items,
        next,
        now,
    ))
}

async fn messages_page(
    state: &AppState,
    uri: &Uri,
    headers: &HeaderMap,
    user: &str,
    folder: Option<&str>,
) -> GraphResult<Response> {
    let query = Query::parse(uri, headers);
    refuse_unsupported(&query)?;
    let (top, skip) = paging(&query, 10, 1000)?;
    let (text, prefs) = body_preference(headers);
    let (_, mailbox) = outlook::mailbox(state, user).await?;
    let m = lock(&mailbox);
    let folder = match folder {
        None => None,
        Some(key) => Some(m.folder(key).ok_or_else(|| missing(key))?),
    };
    let mut all: Vec<usize> = (0..m.messages.len())
        .filter(|&i| m.messages[i].seqs.live() && folder.is_none_or(|f| m.messages[i].folder == f))
        .collect();
    all.sort_by(|&a, &b| {
        m.messages[b]
            .received
            .cmp(&m.messages[a].received)
            .then_with(|| m.messages[a].id.cmp(&m.messages[b].id))
    });
    let response = list_page(state, uri, &query, "message", &all, (top, skip), |i| {
        message_json(&m, i, text)
    })?;
    Ok(outlook::applied(response, &prefs))
}

/// `GET /users/{id}/messages` (every folder), newest first.
pub async fn list_messages(
    State(state): State<AppState>,
    Path(user): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> GraphResult<Response> {
    messages_page(&state, &uri, &headers, &user, None).await
}

/// `GET /users/{id}/mailFolders/{id}/messages`, newest first.
pub async fn folder_messages(
    State(state): State<AppState>,
    Path((user, folder)): Path<(String, String)>,
    uri: Uri,
    headers: HeaderMap,
) -> GraphResult<Response> {
    messages_page(&state, &uri, &headers, &user, Some(&folder)).await
}

/// `GET /users/{id}/messages/{id}`.
pub async fn get_message(
    State(state): State<AppState>,
    Path((user, id)): Path<(String, String)>,
    uri: Uri,
    headers: HeaderMap,
) -> GraphResult<Response> {
    one_message(&state, &uri, &headers, &user, &id).await
}

/// `GET /users/{id}/mailFolders/{id}/messages/{id}`.
pub async fn get_folder_message(
    State(state): State<AppState>,
    Path((user, _folder, id)): Path<(String, String, String)>,
    uri: Uri,
    headers: HeaderMap,
) -> GraphResult<Response> {
    one_message(&state, &uri, &headers, &user, &id).await
}

async fn one_message(
    state: &AppState,
    uri: &Uri,
    headers: &HeaderMap,
    user: &str,
    id: &str,
) -> GraphResult<Response> {
    let query = Query::parse(uri, headers);
    let (text, prefs) = body_preference(headers);
    let (_, mailbox) = outlook::mailbox(state, user).await?;
    let m = lock(&mailbox);
    let i = m.message(id).ok_or_else(|| missing(id))?;
    let v = select(
        message_json(&m, i, text),
        query.select.as_deref(),
        "message",
    )?;
    let response = entity(
        &state.base_url(),
        &format!("users('{user}')/messages/$entity"),
        v,
    );
    Ok(outlook::applied(response, &prefs))
}

/// `GET /users/{id}/messages/{id}/$value`: the MIME (`Content-Type: text/plain`, as Graph answers).
pub async fn message_value(
    State(state): State<AppState>,
    Path((user, id)): Path<(String, String)>,
) -> GraphResult<Response> {
    let (_, mailbox) = outlook::mailbox(&state, &user).await?;
    let source = {
        let m = lock(&mailbox);
        let i = m.message(&id).ok_or_else(|| missing(&id))?;
        truth::mime_source(&m, i)
    };
    let bytes = tokio::task::spawn_blocking(move || source.bytes())
        .await
        .map_err(|e| {
            crate::failure::GraphFailure::new(
                axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                "InternalServerError",
                e.to_string(),
            )
        })?;
    let mut response = (*bytes).clone().into_response();
    response
        .headers_mut()
        .insert("content-type", HeaderValue::from_static("text/plain"));
    Ok(response)
}

fn attachments_of(
    m: &Mailbox,
    id: &str,
) -> GraphResult<Vec<(String, crate::mailbox::content::Attachment)>> {
    let i = m.message(id).ok_or_else(|| missing(id))?;
    let c = m.content(i);
    Ok(render::message_attachments(m, i, &c))
}

/// `GET /users/{id}/messages/{id}/attachments` (file attachments with `contentBytes`).
pub async fn list_attachments(
    State(state): State<AppState>,
    Path((user, id)): Path<(String, String)>,
    uri: Uri,
    headers: HeaderMap,
) -> GraphResult<Response> {
    let query = Query::parse(&uri, &headers);
    let (_, mailbox) = outlook::mailbox(&state, &user).await?;
    let list = attachments_of(&lock(&mailbox), &id)?;
    let items = list
        .iter()
        .map(|(aid, a)| {
            select(
                render::attachment(aid, a, true),
                query.select.as_deref(),
                "attachment",
            )
        })
        .collect::<GraphResult<Vec<_>>>()?;
    Ok(page(
        &state.base_url(),
        uri.path(),
        &query,
        "Collection(attachment)",
        items,
        None,
    ))
}

/// `GET /users/{id}/messages/{id}/attachments/{id}`.
pub async fn get_attachment(
    State(state): State<AppState>,
    Path((user, id, aid)): Path<(String, String, String)>,
    uri: Uri,
    headers: HeaderMap,
) -> GraphResult<Response> {
    let query = Query::parse(&uri, &headers);
    let (_, mailbox) = outlook::mailbox(&state, &user).await?;
    let list = attachments_of(&lock(&mailbox), &id)?;
    let (aid, a) = list
        .iter()
        .find(|(x, _)| *x == aid)
        .ok_or_else(|| missing(&aid))?;
    let v = select(
        render::attachment(aid, a, true),
        query.select.as_deref(),
        "attachment",
    )?;
    Ok(entity(
        &state.base_url(),
        &format!("users('{user}')/messages('{id}')/attachments/$entity"),
        v,
    ))
}

/// `GET /users/{id}/messages/{id}/attachments/{id}/$value`: the file's bytes, or
/// the MIME of an attached message.
pub async fn attachment_value(
    State(state): State<AppState>,
    Path((user, id, aid)): Path<(String, String, String)>,
) -> GraphResult<Response> {
    let (_, mailbox) = outlook::mailbox(&state, &user).await?;
    let list = attachments_of(&lock(&mailbox), &id)?;
    let (_, a) = list
        .into_iter()
        .find(|(x, _)| *x == aid)
        .ok_or_else(|| missing(&aid))?;
    attachment_bytes(a)
}

/// The raw content of an attachment (`…/attachments/{id}/$value`).
pub fn attachment_bytes(a: crate::mailbox::content::Attachment) -> GraphResult<Response> {
    let (content_type, bytes) = match a.body {
        AttachmentBody::File(b) => (a.content_type.clone(), (*b.bytes()).clone()),
        AttachmentBody::Item(c) => ("text/plain".to_owned(), crate::mailbox::mime::write(&c)),
        AttachmentBody::Reference { .. } => {
            return Err(outlook::bad_request(
                "ErrorInvalidRequest",
                "The OData request is not supported.",
            ));
        }
    };
    let mut response = bytes.into_response();
    if let Ok(v) = HeaderValue::from_str(&content_type) {
        response.headers_mut().insert("content-type", v);
    }
    Ok(response)
}

/// `GET /users/{id}/mailFolders/{id}/messages/delta`.
pub async fn messages_delta(
    State(state): State<AppState>,
    Path((user, folder)): Path<(String, String)>,
    uri: Uri,
    headers: HeaderMap,
) -> GraphResult<Response> {
    let query = Query::parse(&uri, &headers);
    let (text, _) = body_preference(&headers);
    let (index, mailbox) = outlook::mailbox(&state, &user).await?;
    let m = lock(&mailbox);
    let f = m.folder(&folder).ok_or_else(|| missing(&folder))?;
    let folder_id = m.folders[f].id.clone();
    let spec = Spec {
        kind: "messages",
        user: index,
        collection: &folder_id,
        default_page: 10,
        max_page: 1000,
    };
    let round = Round::begin(&state, &spec, &query, &headers, None, m.seq)?;
    let (items, next) = round.collect(&m.folders[f].log, |i| {
        let msg = &m.messages[i];
        if !msg.seqs.live() {
            return Ok(if round.initial() {
                vec![]
            } else {
                vec![render::removed("message", &msg.id)]
            });
        }
        Ok(vec![select(
            message_json(&m, i, text),
            round.select.as_deref(),
            "message",
        )?])
    })?;
    let now = state.now().unix_timestamp();
    Ok(round.respond(
        &state.base_url(),
        uri.path(),
        "Collection(message)",
        items,
        next,
        now,
    ))
}

/// `GET /users/{id}/mailboxSettings`.
pub async fn mailbox_settings(
    State(state): State<AppState>,
    Path(user): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> GraphResult<Response> {
    let query = Query::parse(&uri, &headers);
    let (_, mailbox) = outlook::mailbox(&state, &user).await?;
    let settings = lock(&mailbox).settings.clone();
    let v = match &query.select {
        Some(_) => {
            let mut v = select(settings, query.select.as_deref(), "mailboxSettings")?;
            if let Some(map) = v.as_object_mut() {
                map.remove("id");
            }
            v
        }
        None => settings,
    };
    Ok(entity(
        &state.base_url(),
        &format!("users('{user}')/mailboxSettings"),
        v,
    ))
}
