//! Microsoft 365 group conversations (the group mailbox): `GET
//! /groups/{id}/conversations[/{id}[/threads]]`, `/groups/{id}/threads[/{id}]`
//! and `/groups/{id}/threads/{id}/posts[/{id}]`, paged with `$top`/`$skip` as
//! Outlook pages them.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use model::wire::directory::GroupKind;
use serde_json::{Value, json};

use super::odata::Query;
use super::outlook::{self, entity, missing, page, paging, refuse_unsupported, select};
use super::render::ts;
use crate::chats::conversations::{Conversation, GroupConversations, Post, Sender, Thread};
use crate::failure::{GraphFailure, GraphResult};
use crate::mailbox::content::escape_html;
use crate::state::AppState;

/// The conversations of group `id`: 404 for no such group, and for a group
/// without a group mailbox (only Microsoft 365 groups have conversations).
fn group(state: &AppState, id: &str) -> GraphResult<Arc<GroupConversations>> {
    let t = state.tenant();
    let (index, g) = t.group(id).ok_or_else(|| GraphFailure::not_found(id))?;
    if g.kind != GroupKind::Microsoft365 {
        return Err(GraphFailure::new(
            StatusCode::NOT_FOUND,
            "MailboxNotEnabledForRESTAPI",
            "The mailbox is either inactive, soft-deleted, or is hosted on-premise.",
        ));
    }
    Ok(state.chats.conversations.of(&t, index))
}

fn recipient(s: &Sender) -> Value {
    json!({"emailAddress": {"name": s.name, "address": s.address}})
}

fn conversation(c: &Conversation) -> Value {
    let last = c.threads.iter().max_by_key(|t| t.last_delivered());
    let mut senders: Vec<String> = Vec::new();
    for t in &c.threads {
        for s in t.senders() {
            if !senders.contains(&s) {
                senders.push(s);
            }
        }
    }
    json!({
        "id": c.id,
        "topic": c.topic,
        "hasAttachments": false,
        "lastDeliveredDateTime": last.map(|t| ts(t.last_delivered())),
        "uniqueSenders": senders,
        "preview": last.map(Thread::preview).unwrap_or_default(),
    })
}

fn thread(g: &GroupConversations, t: &Thread) -> Value {
    json!({
        "id": t.id,
        "toRecipients": [{"emailAddress": {"name": g.name, "address": g.address}}],
        "topic": t.topic,
        "hasAttachments": false,
        "lastDeliveredDateTime": ts(t.last_delivered()),
        "uniqueSenders": t.senders(),
        "ccRecipients": [],
        "preview": t.preview(),
        "isLocked": false,
    })
}

fn post(c: &Conversation, t: &Thread, p: &Post) -> Value {
    let mut html = String::from("<html><body><div>");
    for para in &p.paragraphs {
        html.push_str("<p>");
        html.push_str(&escape_html(para));
        html.push_str("</p>");
    }
    html.push_str("</div></body></html>");
    json!({
        "@odata.etag": format!("W/\"{}\"", p.change_key),
        "id": p.id,
        "createdDateTime": ts(p.received),
        "lastModifiedDateTime": ts(p.received),
        "changeKey": p.change_key,
        "categories": [],
        "receivedDateTime": ts(p.received),
        "hasAttachments": false,
        "body": {"contentType": "html", "content": html},
        "from": recipient(&p.from),
        "sender": recipient(&p.from),
        "conversationThreadId": t.id,
        "conversationId": c.id,
        "newParticipants": [],
    })
}

fn listing(
    state: &AppState,
    uri: &Uri,
    headers: &HeaderMap,
    context: String,
    type_name: &str,
    items: Vec<Value>,
) -> GraphResult<Response> {
    let query = Query::parse(uri, headers);
    refuse_unsupported(&query)?;
    let (top, skip) = paging(&query, 10, 1000)?;
    let total = items.len();
    let page_items = items
        .into_iter()
        .skip(skip)
        .take(top)
        .map(|v| select(v, query.select.as_deref(), type_name))
        .collect::<GraphResult<Vec<_>>>()?;
    let next = (skip + top < total).then_some(skip + top);
    Ok(page(
        &state.base_url(),
        uri.path(),
        &query,
        &context,
        page_items,
        next,
    ))
}

fn single(
    state: &AppState,
    uri: &Uri,
    headers: &HeaderMap,
    context: String,
    type_name: &str,
    v: Value,
) -> GraphResult<Response> {
    let query = Query::parse(uri, headers);
    let v = select(v, query.select.as_deref(), type_name)?;
    Ok(entity(&state.base_url(), &context, v))
}

/// `GET /groups/{id}/conversations`: newest first.
pub async fn list_conversations(
    State(state): State<AppState>,
    Path(id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> GraphResult<Response> {
    let g = group(&state, &id)?;
    let items = g.conversations.iter().rev().map(conversation).collect();
    let context = format!("groups('{id}')/conversations");
    listing(&state, &uri, &headers, context, "conversation", items)
}

fn find_conversation<'a>(g: &'a GroupConversations, id: &str) -> GraphResult<&'a Conversation> {
    g.conversations
        .iter()
        .find(|c| c.id == id)
        .ok_or_else(|| missing(id))
}

/// `GET /groups/{id}/conversations/{id}`.
pub async fn get_conversation(
    State(state): State<AppState>,
    Path((id, conv)): Path<(String, String)>,
    uri: Uri,
    headers: HeaderMap,
) -> GraphResult<Response> {
    let g = group(&state, &id)?;
    let c = find_conversation(&g, &conv)?;
    let context = format!("groups('{id}')/conversations/$entity");
    single(
        &state,
        &uri,
        &headers,
        context,
        "conversation",
        conversation(c),
    )
}

/// `GET /groups/{id}/conversations/{id}/threads`.
pub async fn conversation_threads(
    State(state): State<AppState>,
    Path((id, conv)): Path<(String, String)>,
    uri: Uri,
    headers: HeaderMap,
) -> GraphResult<Response> {
    let g = group(&state, &id)?;
    let c = find_conversation(&g, &conv)?;
    let items = c.threads.iter().map(|t| thread(&g, t)).collect();
    let context = format!("groups('{id}')/conversations('{conv}')/threads");
    listing(&state, &uri, &headers, context, "conversationThread", items)
}

/// `GET /groups/{id}/threads`: every thread of the group, newest first.
pub async fn list_threads(
    State(state): State<AppState>,
    Path(id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> GraphResult<Response> {
    let g = group(&state, &id)?;
    let mut threads: Vec<&Thread> = g.threads().map(|(_, t)| t).collect();
    threads.sort_by_key(|t| std::cmp::Reverse(t.last_delivered()));
    let items = threads.into_iter().map(|t| thread(&g, t)).collect();
    let context = format!("groups('{id}')/threads");
    listing(&state, &uri, &headers, context, "conversationThread", items)
}

fn find_thread<'a>(
    g: &'a GroupConversations,
    id: &str,
) -> GraphResult<(&'a Conversation, &'a Thread)> {
    g.threads()
        .find(|(_, t)| t.id == id)
        .ok_or_else(|| missing(id))
}

/// `GET /groups/{id}/threads/{id}`.
pub async fn get_thread(
    State(state): State<AppState>,
    Path((id, th)): Path<(String, String)>,
    uri: Uri,
    headers: HeaderMap,
) -> GraphResult<Response> {
    let g = group(&state, &id)?;
    let (_, t) = find_thread(&g, &th)?;
    let context = format!("groups('{id}')/threads/$entity");
    single(
        &state,
        &uri,
        &headers,
        context,
        "conversationThread",
        thread(&g, t),
    )
}

/// `GET /groups/{id}/threads/{id}/posts`: oldest first.
pub async fn list_posts(
    State(state): State<AppState>,
    Path((id, th)): Path<(String, String)>,
    uri: Uri,
    headers: HeaderMap,
) -> GraphResult<Response> {
    let g = group(&state, &id)?;
    let (c, t) = find_thread(&g, &th)?;
    let items = t.posts.iter().map(|p| post(c, t, p)).collect();
    let context = format!("groups('{id}')/threads('{th}')/posts");
    listing(&state, &uri, &headers, context, "post", items)
}

/// `GET /groups/{id}/threads/{id}/posts/{id}`.
pub async fn get_post(
    State(state): State<AppState>,
    Path((id, th, p)): Path<(String, String, String)>,
    uri: Uri,
    headers: HeaderMap,
) -> GraphResult<Response> {
    let g = group(&state, &id)?;
    let (c, t) = find_thread(&g, &th)?;
    let found = t
        .posts
        .iter()
        .find(|x| x.id == p)
        .ok_or_else(|| outlook::missing(&p))?;
    let context = format!("groups('{id}')/threads('{th}')/posts/$entity");
    single(&state, &uri, &headers, context, "post", post(c, t, found))
}
