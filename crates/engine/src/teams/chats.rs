//! Chats: 1:1, group and meeting chats of the users in scope, each backed up once
//! however many of its members are in scope.
//!
//! A chat has no delta in Graph v1.0; its messages are listed newest change first
//! with `$filter=lastModifiedDateTime gt …` from the previous run's cursor (a time a
//! few minutes before that run began listing), so a later run reads only what
//! changed. Messages it does not return are listed as the previous run had them.

use std::collections::BTreeMap;

use graph::GraphError;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;

use super::conversation::{Conversation, Finished, Place, graph_time, seg};
use super::{TeamsCall, TeamsPacer, chat_resource};
use crate::context::{RunContext, strip_annotations};
use crate::error::EngineError;
use crate::scope::Mailbox;

/// The scope of a chat's cursor.
const SCOPE: &str = "messages";

/// A chat to back up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatRef {
    /// The chat's id.
    pub id: String,
    /// The chat as Graph lists it (with its members).
    pub json: Value,
}

/// The chats of `users`, each once, by id; users whose chats cannot be listed are
/// returned with the error.
pub(crate) async fn discover(
    graph: &graph::GraphClient,
    pacer: &TeamsPacer,
    users: &[Mailbox],
) -> (Vec<ChatRef>, Vec<(String, GraphError)>) {
    let mut chats: BTreeMap<String, Value> = BTreeMap::new();
    let mut failed = Vec::new();
    for u in users {
        let mut next = Some(format!(
            "/users/{}/chats?$expand=members&$top=50",
            seg(&u.id)
        ));
        while let Some(url) = next.take() {
            let page = {
                let _slots = pacer.acquire(TeamsCall::OtherGet, &u.id).await;
                graph.get_page::<Value>(&url, &[]).await
            };
            match page {
                Ok(p) => {
                    for chat in p.value {
                        if let Some(id) = chat.get("id").and_then(Value::as_str) {
                            chats
                                .entry(id.to_owned())
                                .or_insert_with(|| strip_annotations(chat.clone()));
                        }
                    }
                    next = p.next_link;
                }
                Err(e) => {
                    tracing::warn!(user = %u.upn, error = %e, "cannot list the user's chats");
                    failed.push((u.upn.clone(), e));
                }
            }
        }
    }
    let chats = chats
        .into_iter()
        .map(|(id, json)| ChatRef { id, json })
        .collect();
    (chats, failed)
}

/// Backs up one chat.
pub(crate) async fn backup_chat(
    ctx: &RunContext,
    pacer: &TeamsPacer,
    chat: &ChatRef,
) -> Result<Finished, EngineError> {
    let mut conv = Conversation::open(ctx, pacer, chat_resource(&chat.id)).await?;
    let path = format!("/{}", chat.id);
    let mut meta = chat.json.clone();
    meta["container"] = Value::String(chat.id.clone());
    conv.push_entity("chat", &chat.id, &path, meta);
    if let Some(cursor) = conv.resumed.state.done.get(SCOPE).cloned() {
        conv.adopt(&chat.id, SCOPE, &cursor);
    } else {
        match messages(&mut conv, chat, &path).await {
            Ok(cursor) => {
                conv.scope_done(SCOPE, &cursor);
                conv.checkpoint().await?;
            }
            Err(Ok(e)) => conv.fail(&format!("chat:{}", chat.id), &e),
            Err(Err(e)) => return Err(e),
        }
    }
    conv.keep_the_rest(|_| true);
    conv.finish().await
}

/// Reads the chat's new and changed messages; returns the next run's cursor.
async fn messages(
    conv: &mut Conversation<'_>,
    chat: &ChatRef,
    path: &str,
) -> Result<String, Result<GraphError, EngineError>> {
    let since = OffsetDateTime::now_utc() - time::Duration::minutes(5);
    let base = format!("/chats/{}/messages", seg(&chat.id));
    let first = match conv.cursor(SCOPE).await.map_err(Err)? {
        Some(after) => format!(
            "{base}?$top=50&$orderby=lastModifiedDateTime desc&$filter=lastModifiedDateTime gt {after}"
        ),
        None => format!("{base}?$top=50"),
    };
    let mut next = Some(first);
    while let Some(url) = next.take() {
        let page = conv
            .page(&url, TeamsCall::ChatMessage, &chat.id)
            .await
            .map_err(Ok)?;
        for msg in page.value {
            let Some(id) = msg.get("id").and_then(Value::as_str).map(str::to_owned) else {
                continue;
            };
            let place = Place {
                kind: "chatMessage",
                container: &chat.id,
                thread: &id,
                path,
                graph_base: &base,
                call: TeamsCall::ChatMessage,
            };
            conv.message(msg, &place).await.map_err(Err)?;
        }
        conv.checkpoint().await.map_err(Err)?;
        next = page.next_link;
    }
    Ok(graph_time(since))
}
