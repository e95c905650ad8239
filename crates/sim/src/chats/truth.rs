//! The ground truth of chats and group membership (`GET /_sim/truth/items`):
//!
//! - `kind=chatMessage` with `user=UPN` (every chat the user is in) or
//!   `chat=ID`: every live message, `{"id", "path": "/<chatId>", "sha256",
//!   "size"}` where the digest is of the canonical JSON of the message as
//!   `GET /chats/{id}/messages/{id}` returns it;
//! - `kind=hostedContent` with `user` or `chat`: every inline image of a live
//!   message, `{"id": "<messageId>/<hostedContentId>", "path":
//!   "/<chatId>/<messageId>", "sha256", "size"}` of its bytes;
//! - `kind=member` with `group=ID`: the group's direct members and owners,
//!   `{"id", "path": "/members" | "/owners", "sha256": "", "size": 0}`.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::render::{self, Ctx};
use super::{SharedChat, hosted, lock};
use crate::mailbox::truth::{ItemsQuery, Kind, canonical, digest};
use crate::state::AppState;
use crate::tenant::MemberRef;

/// What one truth request asks about chats.
#[derive(Debug, Clone)]
pub struct ChatScope {
    /// A user principal name or id: every chat the user is in.
    pub user: Option<String>,
    /// One chat's id.
    pub chat: Option<String>,
}

fn support_error(status: StatusCode, message: String) -> Response {
    (status, Json(json!({"error": message}))).into_response()
}

/// The chats a truth request names, or the error to answer.
fn chats_of(state: &AppState, scope: &ChatScope) -> Result<Vec<SharedChat>, (StatusCode, String)> {
    if let Some(id) = &scope.chat {
        return state
            .chats
            .get(state, id)
            .map(|c| vec![c])
            .ok_or_else(|| (StatusCode::NOT_FOUND, format!("no chat '{id}'")));
    }
    let Some(user) = &scope.user else {
        return Err((
            StatusCode::BAD_REQUEST,
            "name a user or a chat: user=UPN or chat=ID".into(),
        ));
    };
    let index = state.tenant().user(user).map(|(i, _)| i);
    match index {
        Some(i) => Ok(state.chats.of_user(state, i)),
        None => Err((StatusCode::NOT_FOUND, format!("no user '{user}'"))),
    }
}

/// Answers the truth requests about chats and group membership; `None` for
/// the others (`hostedContent` of a team belongs to `crate::teams`).
pub async fn dispatch(state: &AppState, q: &ItemsQuery) -> Option<Response> {
    let scope = || ChatScope {
        user: q.user.clone(),
        chat: q.chat.clone(),
    };
    match q.kind {
        Kind::ChatMessage => Some(items(state.clone(), scope(), false).await),
        Kind::HostedContent if q.team.is_none() && (q.chat.is_some() || q.user.is_some()) => {
            Some(items(state.clone(), scope(), true).await)
        }
        Kind::Member => Some(members(state, q.group.as_deref())),
        _ => None,
    }
}

/// `kind=chatMessage` (`hosted` false) or `kind=hostedContent` (`hosted` true).
pub async fn items(state: AppState, scope: ChatScope, hosted_contents: bool) -> Response {
    let result = tokio::task::spawn_blocking(move || {
        let chats = chats_of(&state, &scope)?;
        let base = state.base_url();
        let tenant_id = state.tenant().id.to_string();
        let ctx = Ctx {
            base: &base,
            tenant_id: &tenant_id,
        };
        let mut out = Vec::new();
        for chat in chats {
            let mut c = lock(&chat);
            let messages = c.messages().clone();
            for m in messages.iter().filter(|m| m.live()) {
                if hosted_contents {
                    for h in &m.hosted {
                        let (sha, size) = digest(&hosted::bytes(h));
                        out.push(json!({
                            "id": format!("{}/{}", m.id, h.id),
                            "path": format!("/{}/{}", c.id, m.id),
                            "sha256": sha,
                            "size": size,
                        }));
                    }
                } else {
                    let (sha, size) = digest(&canonical(&render::message(ctx, &c, m)));
                    out.push(json!({"id": m.id, "path": format!("/{}", c.id), "sha256": sha, "size": size}));
                }
            }
        }
        Ok::<_, (StatusCode, String)>(out)
    })
    .await;
    match result {
        Ok(Ok(items)) => Json(Value::Array(items)).into_response(),
        Ok(Err((status, message))) => support_error(status, message),
        Err(e) => support_error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

/// `kind=member&group=ID`: the group's direct members and owners.
pub fn members(state: &AppState, group: Option<&str>) -> Response {
    let Some(key) = group else {
        return support_error(StatusCode::BAD_REQUEST, "name a group: group=ID".into());
    };
    let t = state.tenant();
    let Some((_, g)) = t.group(key) else {
        return support_error(StatusCode::NOT_FOUND, format!("no group '{key}'"));
    };
    let entry = |id: String, path: &str| json!({"id": id, "path": path, "sha256": "", "size": 0});
    let mut out: Vec<Value> = g
        .members
        .iter()
        .filter_map(|m| match *m {
            MemberRef::User(i) => t.users[i]
                .deleted_seq
                .is_none()
                .then(|| t.users[i].id.to_string()),
            MemberRef::Group(i) => t.groups[i]
                .deleted_seq
                .is_none()
                .then(|| t.groups[i].id.to_string()),
        })
        .map(|id| entry(id, "/members"))
        .collect();
    out.extend(
        g.owners
            .iter()
            .filter(|&&i| t.users[i].deleted_seq.is_none())
            .map(|&i| entry(t.users[i].id.to_string(), "/owners")),
    );
    Json(Value::Array(out)).into_response()
}

/// Adds `"chats": n` (every chat of the tenant) to `GET /_sim/truth/summary`.
pub async fn summarize(state: &AppState, body: &mut Value) {
    let count = if state.chats.ready() {
        state.chats.count(state)
    } else {
        let state = state.clone();
        tokio::task::spawn_blocking(move || state.chats.count(&state))
            .await
            .unwrap_or(0)
    };
    body["chats"] = json!(count);
}
