//! Microsoft Teams chats: `GET /users/{id}/chats`, `/chats/{id}`, its
//! members, messages and hosted contents, the export API
//! `/users/{id}/chats/getAllMessages` ([`export`]), and `POST
//! /chats/{id}/messages`, which Graph refuses to applications outside
//! migration.

pub mod export;
pub mod query;

use axum::Extension;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::auth::Principal;
use super::odata::{Collection, Query};
use crate::chats::render::{self, Ctx};
use crate::chats::{Chat, SharedChat, hosted, lock};
use crate::failure::{GraphFailure, GraphResult};
use crate::reference::Reference;
use crate::state::AppState;
use crate::throttle::teams::{TeamsRequest, TeamsTarget};
use query::{DateKey, bad_request, decode_position, encode_position};

/// Whether a route template (as `auth::template` writes it) is a chat route.
pub fn is_chat(template: &str) -> bool {
    template.starts_with("/chats") || {
        let mut parts = template.split('/').skip(1);
        parts.next() == Some("users") && parts.next().is_some() && parts.next() == Some("chats")
    }
}

/// The Teams limit a chat request is held to (`path` with or without
/// `/v1.0`): GET chat message 20 rps, `getAllMessages` 200, members 60, other
/// GET 30, other calls 30 per app; chats are not teams or channels, so the
/// per-team-or-channel limit does not apply.
pub fn throttle_target<'a>(method: &str, path: &'a str) -> Option<TeamsTarget<'a>> {
    let path = path.split('?').next().unwrap_or_default();
    let path = path.strip_prefix("/v1.0").unwrap_or(path);
    let s: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let is = |k: usize, name: &str| s.get(k).is_some_and(|x| x.eq_ignore_ascii_case(name));
    let get = method.eq_ignore_ascii_case("GET");
    let kind = if is(0, "chats") {
        if !get {
            TeamsRequest::Other
        } else if is(2, "messages") {
            TeamsRequest::GetChatMessage
        } else if is(2, "members") {
            TeamsRequest::GetTeamChannelMembers
        } else {
            TeamsRequest::OtherGet
        }
    } else if is(0, "users") && is(2, "chats") {
        match (get, is(3, "getAllMessages")) {
            (true, true) => TeamsRequest::GetAllMessages,
            (true, false) => TeamsRequest::OtherGet,
            (false, _) => TeamsRequest::Other,
        }
    } else {
        return None;
    };
    Some(TeamsTarget {
        kind,
        resource: None,
    })
}

/// The 403 Teams answers a caller without the permission a call needs.
pub fn denied(principal: &Principal, method: &str, template: &str) -> GraphFailure {
    let (required, kind) = match principal {
        Principal::App { .. } => (
            Reference::get()
                .grants(method, template)
                .map(|g| g.application.keys().cloned().collect::<Vec<_>>()),
            "role",
        ),
        Principal::User { .. } => (
            Reference::get()
                .grants(method, template)
                .map(|g| g.delegated.keys().cloned().collect::<Vec<_>>()),
            "scope",
        ),
    };
    let mut required = required.unwrap_or_default();
    required.sort();
    let held = principal.held().join(", ");
    let noun = if kind == "role" { "Roles" } else { "Scopes" };
    GraphFailure::new(
        StatusCode::FORBIDDEN,
        "Forbidden",
        format!(
            "Missing {kind} permissions on the request. API requires one of '{}'. {noun} on the request '{held}'. Resource specific consent grants on the request ''.",
            required.join(", ")
        ),
    )
}

/// 404 for a chat, message or hosted content that does not exist.
pub fn not_found(what: &str) -> GraphFailure {
    GraphFailure::new(
        StatusCode::NOT_FOUND,
        "NotFound",
        format!("{what} was not found."),
    )
}

/// The rendering context of this simulator.
pub struct Context {
    base: String,
    tenant_id: String,
}

impl Context {
    /// The context of `state`.
    pub fn of(state: &AppState) -> Context {
        Context {
            base: state.base_url(),
            tenant_id: state.tenant().id.to_string(),
        }
    }

    /// As the renderers take it.
    pub fn ctx(&self) -> Ctx<'_> {
        Ctx {
            base: &self.base,
            tenant_id: &self.tenant_id,
        }
    }
}

/// Builds the chat catalog off the async workers the first time it is needed.
pub async fn ready(state: &AppState) -> GraphResult<()> {
    if state.chats.ready() {
        return Ok(());
    }
    let state = state.clone();
    tokio::task::spawn_blocking(move || state.chats.count(&state))
        .await
        .map(|_| ())
        .map_err(|e| {
            GraphFailure::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalServerError",
                e.to_string(),
            )
        })
}

async fn chat(state: &AppState, id: &str) -> GraphResult<SharedChat> {
    ready(state).await?;
    state
        .chats
        .get(state, id)
        .ok_or_else(|| not_found(&format!("Chat '{id}'")))
}

/// A chat id as `@odata.context` writes it.
fn encoded(id: &str) -> String {
    id.replace(':', "%3A").replace('@', "%40")
}

fn with_context(base: &str, context: &str, v: Value) -> Value {
    let mut out = Map::new();
    out.insert(
        "@odata.context".into(),
        Value::String(format!("{base}/v1.0/$metadata#{context}")),
    );
    if let Value::Object(map) = v {
        out.extend(map);
    }
    Value::Object(out)
}

fn page_body(context: String, items: Vec<Value>, next: Option<String>) -> Response {
    let mut body = Map::new();
    body.insert("@odata.context".into(), Value::String(context));
    if let Some(next) = next {
        body.insert("@odata.nextLink".into(), Value::String(next));
    }
    body.insert("value".into(), Value::Array(items));
    axum::Json(Value::Object(body)).into_response()
}

/// `GET /users/{id}/chats`: the chats the user is in, newest first, with
/// `$expand=members|lastMessagePreview`, `$filter` and `$top`.
pub async fn list(
    State(state): State<AppState>,
    Path(user): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> GraphResult<Response> {
    let query = Query::parse(&uri, &headers);
    let size = query::top(&query)?;
    let index = state.tenant().user(&user).map(|(i, _)| i);
    let index = index.ok_or_else(|| not_found(&format!("User '{user}'")))?;
    let expand: Vec<String> = query
        .expand
        .as_deref()
        .map(|e| e.split(',').map(|s| s.trim().to_owned()).collect())
        .unwrap_or_default();
    for e in &expand {
        if !["members", "lastMessagePreview"]
            .iter()
            .any(|k| k.eq_ignore_ascii_case(e))
        {
            return Err(bad_request(format!(
                "Expanding '{e}' is not supported: use members or lastMessagePreview."
            )));
        }
    }
    let by_preview = match query.orderby.as_deref().map(str::trim) {
        None => false,
        Some(o) if o.eq_ignore_ascii_case("lastMessagePreview/createdDateTime desc") => true,
        Some(o) => {
            return Err(bad_request(format!(
                "Ordering by '{o}' is not supported: only lastMessagePreview/createdDateTime desc is."
            )));
        }
    };
    let filter = match &query.filter {
        Some(raw) => Some(
            super::filter::Filter::parse(raw)
                .map_err(|e| bad_request(format!("Invalid filter clause: {}", e.0)))?,
        ),
        None => None,
    };
    ready(&state).await?;
    let context = Context::of(&state);
    let ctx = context.ctx();
    let chats = state.chats.of_user(&state, index);
    let mut rows: Vec<(i64, String, Value)> = Vec::new();
    for shared in chats {
        let mut c = lock(&shared);
        let last = if by_preview
            || expand
                .iter()
                .any(|e| e.eq_ignore_ascii_case("lastMessagePreview"))
        {
            c.messages().last().cloned()
        } else {
            None
        };
        let mut v = render::chat(ctx, &c);
        if filter.as_ref().is_some_and(|f| !f.matches(&v)) {
            continue;
        }
        let key = match (&last, by_preview) {
            (Some(m), true) => crate::chats::generate::millis(m.created),
            _ => crate::chats::generate::millis(c.created),
        };
        if let Value::Object(map) = &mut v {
            if expand
                .iter()
                .any(|e| e.eq_ignore_ascii_case("lastMessagePreview"))
            {
                map.insert(
                    "lastMessagePreview".into(),
                    last.as_ref()
                        .map(|m| render::preview(ctx, &c, m))
                        .unwrap_or(Value::Null),
                );
            }
            if expand.iter().any(|e| e.eq_ignore_ascii_case("members")) {
                // Microsoft returns at most 25 members of each chat here.
                let members: Vec<Value> = c
                    .members
                    .iter()
                    .take(25)
                    .map(|p| render::member(ctx, &c, p))
                    .collect();
                map.insert("members".into(), Value::Array(members));
            }
        }
        rows.push((key, c.id.clone(), v));
    }
    rows.sort_by(|a, b| (b.0, &b.1).cmp(&(a.0, &a.1)));
    if let Some(token) = &query.skiptoken {
        let pos = decode_position(token, 2)?;
        let ms: i64 = pos[0]
            .parse()
            .map_err(|_| bad_request("The skip token is not valid."))?;
        rows.retain(|(k, id, _)| (*k, id.as_str()) < (ms, pos[1].as_str()));
    }
    let next = (rows.len() > size).then(|| {
        let (k, id, _) = &rows[size - 1];
        Collection {
            base: ctx.base,
            path: uri.path(),
            context: "chats",
            query: &query,
        }
        .link("$skiptoken", &encode_position(&[&k.to_string(), id]))
    });
    let items: Vec<Value> = rows.into_iter().take(size).map(|(_, _, v)| v).collect();
    Ok(page_body(
        format!("{}/v1.0/$metadata#chats", ctx.base),
        items,
        next,
    ))
}

/// `GET /chats/{id}`.
pub async fn get(State(state): State<AppState>, Path(id): Path<String>) -> GraphResult<Response> {
    let shared = chat(&state, &id).await?;
    let context = Context::of(&state);
    let c = lock(&shared);
    let v = render::chat(context.ctx(), &c);
    Ok(axum::Json(with_context(&context.base, "chats/$entity", v)).into_response())
}

/// `GET /chats/{id}/members`.
pub async fn members(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> GraphResult<Response> {
    let shared = chat(&state, &id).await?;
    let context = Context::of(&state);
    let c = lock(&shared);
    let items: Vec<Value> = c
        .members
        .iter()
        .map(|p| render::member(context.ctx(), &c, p))
        .collect();
    let mut body = Map::new();
    body.insert(
        "@odata.context".into(),
        json!(format!(
            "{}/v1.0/$metadata#chats('{}')/members",
            context.base,
            encoded(&c.id)
        )),
    );
    body.insert("@odata.count".into(), json!(items.len()));
    body.insert("value".into(), Value::Array(items));
    Ok(axum::Json(Value::Object(body)).into_response())
}

fn sort_key(m: &crate::chats::Message, key: DateKey) -> i64 {
    crate::chats::generate::millis(match key {
        DateKey::Modified => m.modified,
        DateKey::Created => m.created,
    })
}

/// `GET /chats/{id}/messages`: newest first (by `lastModifiedDateTime`, or by
/// `createdDateTime` when ordered so), deleted messages included.
pub async fn messages(
    State(state): State<AppState>,
    Path(id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> GraphResult<Response> {
    let query = Query::parse(&uri, &headers);
    let size = query::top(&query)?;
    let (key, range) = query::message_order(&query)?;
    let after = match &query.skiptoken {
        Some(t) => {
            let pos = decode_position(t, 2)?;
            let ms: i64 = pos[0]
                .parse()
                .map_err(|_| bad_request("The skip token is not valid."))?;
            Some((ms, pos[1].parse::<i64>().unwrap_or(i64::MAX)))
        }
        None => None,
    };
    let shared = chat(&state, &id).await?;
    let context = Context::of(&state);
    let mut c = lock(&shared);
    let mut rows: Vec<(i64, i64, usize)> = c
        .messages()
        .iter()
        .enumerate()
        .filter(|(_, m)| {
            range.contains(match key {
                DateKey::Modified => m.modified,
                DateKey::Created => m.created,
            })
        })
        .map(|(i, m)| (sort_key(m, key), m.id.parse::<i64>().unwrap_or(0), i))
        .filter(|(k, n, _)| after.is_none_or(|a| (*k, *n) < a))
        .collect();
    rows.sort_by_key(|r| std::cmp::Reverse((r.0, r.1)));
    let next = (rows.len() > size).then(|| {
        let (k, n, _) = rows[size - 1];
        Collection {
            base: &context.base,
            path: uri.path(),
            context: "",
            query: &query,
        }
        .link(
            "$skiptoken",
            &encode_position(&[&k.to_string(), &n.to_string()]),
        )
    });
    let all = c.messages().clone();
    let items: Vec<Value> = rows
        .iter()
        .take(size)
        .map(|&(_, _, i)| render::message(context.ctx(), &c, &all[i]))
        .collect();
    Ok(page_body(
        format!(
            "{}/v1.0/$metadata#chats('{}')/messages",
            context.base,
            encoded(&c.id)
        ),
        items,
        next,
    ))
}

fn message_of(c: &mut Chat, id: &str) -> GraphResult<usize> {
    let chat_id = c.id.clone();
    c.message(id)
        .ok_or_else(|| not_found(&format!("Message '{id}' of chat '{chat_id}'")))
}

/// `GET /chats/{id}/messages/{id}`.
pub async fn message(
    State(state): State<AppState>,
    Path((id, message)): Path<(String, String)>,
) -> GraphResult<Response> {
    let shared = chat(&state, &id).await?;
    let context = Context::of(&state);
    let mut c = lock(&shared);
    let i = message_of(&mut c, &message)?;
    let m = c.messages()[i].clone();
    let v = render::message(context.ctx(), &c, &m);
    let ctx = format!("chats('{}')/messages/$entity", encoded(&c.id));
    Ok(axum::Json(with_context(&context.base, &ctx, v)).into_response())
}

/// `GET /chats/{id}/messages/{id}/hostedContents`.
pub async fn hosted_contents(
    State(state): State<AppState>,
    Path((id, message)): Path<(String, String)>,
) -> GraphResult<Response> {
    let shared = chat(&state, &id).await?;
    let base = state.base_url();
    let mut c = lock(&shared);
    let i = message_of(&mut c, &message)?;
    let m = &c.messages()[i];
    let items: Vec<Value> = if m.live() {
        m.hosted.iter().map(render::hosted).collect()
    } else {
        Vec::new()
    };
    let context = format!(
        "{base}/v1.0/$metadata#chats('{}')/messages('{message}')/hostedContents",
        encoded(&c.id)
    );
    Ok(page_body(context, items, None))
}

fn hosted_of(c: &mut Chat, message: &str, hosted_id: &str) -> GraphResult<crate::chats::Hosted> {
    let i = message_of(c, message)?;
    let m = &c.messages()[i];
    m.hosted
        .iter()
        .find(|h| h.id == hosted_id)
        .filter(|_| m.live())
        .cloned()
        .ok_or_else(|| not_found(&format!("Hosted content '{hosted_id}'")))
}

/// `GET /chats/{id}/messages/{id}/hostedContents/{id}`.
pub async fn hosted_content(
    State(state): State<AppState>,
    Path((id, message, hosted_id)): Path<(String, String, String)>,
) -> GraphResult<Response> {
    let shared = chat(&state, &id).await?;
    let base = state.base_url();
    let mut c = lock(&shared);
    let h = hosted_of(&mut c, &message, &hosted_id)?;
    let ctx = format!(
        "chats('{}')/messages('{message}')/hostedContents/$entity",
        encoded(&c.id)
    );
    Ok(axum::Json(with_context(&base, &ctx, render::hosted(&h))).into_response())
}

/// `GET /chats/{id}/messages/{id}/hostedContents/{id}/$value`: the image.
pub async fn hosted_value(
    State(state): State<AppState>,
    Path((id, message, hosted_id)): Path<(String, String, String)>,
) -> GraphResult<Response> {
    let shared = chat(&state, &id).await?;
    let h = {
        let mut c = lock(&shared);
        hosted_of(&mut c, &message, &hosted_id)?
    };
    let bytes = hosted::bytes(&h);
    Ok((
        [(header::CONTENT_TYPE, hosted::CONTENT_TYPE)],
        Body::from(bytes),
    )
        .into_response())
}

/// `POST /chats/{id}/messages`: an application may post only to import
/// messages (a chat created in migration mode, which the simulator does not
/// offer); everything else is refused as Graph refuses it.
pub async fn post_message(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> GraphResult<Response> {
    chat(&state, &id).await?;
    match principal {
        Principal::App { .. } => Err(GraphFailure::new(
            StatusCode::UNAUTHORIZED,
            "Unauthorized",
            "Message POST is allowed in application-only context only for import purposes. Refer to https://docs.microsoft.com/microsoftteams/platform/graph-api/import-messages/import-external-messages-to-teams for more details.",
        )),
        Principal::User { .. } => Err(GraphFailure::new(
            StatusCode::NOT_IMPLEMENTED,
            "NotImplemented",
            "The simulator does not send chat messages on behalf of users.",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chat_routes_and_their_limits() {
        assert!(is_chat("/chats/{id}/messages"));
        assert!(is_chat("/users/{id}/chats/getallmessages"));
        assert!(!is_chat("/users/{id}/messages"));
        let k = |m: &str, p: &str| throttle_target(m, p).map(|t| (t.kind, t.resource.is_none()));
        assert_eq!(
            k("GET", "/v1.0/chats/19:a@thread.v2/messages"),
            Some((TeamsRequest::GetChatMessage, true))
        );
        assert_eq!(
            k("GET", "/chats/c/messages/1/hostedContents/h/$value"),
            Some((TeamsRequest::GetChatMessage, true))
        );
        assert_eq!(
            k("GET", "/chats/c/members"),
            Some((TeamsRequest::GetTeamChannelMembers, true))
        );
        assert_eq!(k("GET", "/chats/c"), Some((TeamsRequest::OtherGet, true)));
        assert_eq!(
            k("POST", "/chats/c/messages"),
            Some((TeamsRequest::Other, true))
        );
        assert_eq!(
            k("GET", "/users/u/chats/getAllMessages"),
            Some((TeamsRequest::GetAllMessages, true))
        );
        assert_eq!(
            k("GET", "/users/u/chats"),
            Some((TeamsRequest::OtherGet, true))
        );
        assert_eq!(k("GET", "/users/u/messages"), None);
        assert_eq!(k("GET", "/teams/t"), None);
    }
}
