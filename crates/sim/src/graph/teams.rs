//! Microsoft Teams: `/teams`, `/teams/{id}`, `/groups/{id}/team`, channels
//! (`/channels`, `/allChannels`, `/primaryChannel`), and what they share: the
//! team a path names, Teams' error bodies, paging, the `Prefer` header.
//! Messages are in [`messages`], delta and `getAllMessages` in [`delta`],
//! writes (channels, migration mode, posts) in [`write`].

pub mod delta;
pub mod messages;
pub mod write;

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Map, Value, json};

use super::auth::Principal;
use super::drives::blocking;
use super::odata::{Listing, Query, encode_component, versioned};
use crate::failure::{GraphFailure, GraphResult};
use crate::reference::Reference;
use crate::state::{AppState, SimState};
use crate::teams::{Team, lock, render, team_index};

/// The Teams routes (teams, channels, channel messages).
pub fn routes() -> Router<AppState> {
    const T: &str = "/teams/{team}";
    const C: &str = "/teams/{team}/channels/{channel}";
    const M: &str = "/teams/{team}/channels/{channel}/messages/{message}";
    const R: &str = "/teams/{team}/channels/{channel}/messages/{message}/replies/{reply}";
    let t = |p: &str| format!("{T}{p}");
    let c = |p: &str| format!("{C}{p}");
    let m = |p: &str| format!("{M}{p}");
    let r = |p: &str| format!("{R}{p}");
    Router::new()
        .route("/teams", get(list_teams))
        .route(T, get(get_team))
        .route("/groups/{id}/team", get(group_team))
        .route(
            &t("/channels"),
            get(list_channels).post(write::create_channel),
        )
        .route(&t("/allChannels"), get(all_channels))
        .route(&t("/primaryChannel"), get(primary_channel))
        .route(&t("/channels/getAllMessages"), get(delta::all_messages))
        .route(C, get(get_channel))
        .route(&c("/startMigration"), post(write::start_migration))
        .route(&c("/completeMigration"), post(write::complete_migration))
        .route(
            &c("/messages"),
            get(messages::list).post(write::post_message),
        )
        .route(&c("/messages/delta"), get(delta::delta))
        .route(M, get(messages::get_message))
        .route(
            &m("/replies"),
            get(messages::list_replies).post(write::post_reply),
        )
        .route(&m("/hostedContents"), get(messages::list_hosted))
        .route(&m("/hostedContents/{hosted}"), get(messages::get_hosted))
        .route(
            &m("/hostedContents/{hosted}/$value"),
            get(messages::hosted_value),
        )
        .route(R, get(messages::get_reply))
        .route(&r("/hostedContents"), get(messages::list_reply_hosted))
        .route(
            &r("/hostedContents/{hosted}"),
            get(messages::get_reply_hosted),
        )
        .route(
            &r("/hostedContents/{hosted}/$value"),
            get(messages::reply_hosted_value),
        )
}

/// A Teams error: `{"error":{"code","message","innerError"}}`.
pub fn failure(status: StatusCode, code: &str, message: impl Into<String>) -> GraphFailure {
    GraphFailure::new(status, code, message)
}

/// 400 `BadRequest`.
pub fn bad_request(message: impl Into<String>) -> GraphFailure {
    failure(StatusCode::BAD_REQUEST, "BadRequest", message)
}

/// 404 `NotFound` for a team id that names no team.
pub fn no_team(id: &str) -> GraphFailure {
    failure(
        StatusCode::NOT_FOUND,
        "NotFound",
        format!("No team found with Group Id {id}"),
    )
}

/// 404 `NotFound` for a channel.
pub fn no_channel() -> GraphFailure {
    failure(StatusCode::NOT_FOUND, "NotFound", "Channel not found.")
}

/// 404 `NotFound` for a message or reply.
pub fn no_message() -> GraphFailure {
    failure(
        StatusCode::NOT_FOUND,
        "NotFound",
        "The requested message was not found.",
    )
}

/// The 403 Teams answers a caller without a permission that grants the call:
/// `Forbidden`, naming the permissions the API takes and those the token has.
/// `None` for routes that are not Teams'.
pub fn denied(principal: &Principal, method: &str, template: &str) -> Option<GraphFailure> {
    let teams = template.starts_with("/teams") || template == "/groups/{id}/team";
    if !teams {
        return None;
    }
    let grants = Reference::get().grants(method, template);
    let (kind, held, takes) = match principal {
        Principal::App { roles, .. } => (
            "role",
            roles.join(", "),
            grants.map(|g| g.application.keys().cloned().collect::<Vec<_>>()),
        ),
        Principal::User { scopes, .. } => (
            "scope",
            scopes.join(", "),
            grants.map(|g| g.delegated.keys().cloned().collect::<Vec<_>>()),
        ),
    };
    let mut takes = takes.unwrap_or_default();
    takes.sort();
    let (noun, more) = if kind == "role" {
        (
            "Roles",
            " Resource specific consent grants on the request ''.",
        )
    } else {
        ("Scopes", "")
    };
    Some(failure(
        StatusCode::FORBIDDEN,
        "Forbidden",
        format!(
            "Missing {kind} permissions on the request. API requires one of '{}'. {noun} on the request '{held}'.{more}",
            takes.join(", ")
        ),
    ))
}

/// Whether the caller sent `Prefer: include-unknown-enum-members`.
pub fn unknown_enums(headers: &HeaderMap) -> bool {
    headers
        .get_all("prefer")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| {
            v.split(',').any(|p| {
                p.trim()
                    .eq_ignore_ascii_case("include-unknown-enum-members")
            })
        })
}

/// `$top` of a Teams listing: 1 to `max`, `default` without it.
pub fn page_size(query: &Query, default: usize, max: usize) -> GraphResult<usize> {
    match &query.top {
        None => Ok(default),
        Some(t) => match t.trim().parse::<usize>() {
            Ok(n) if (1..=max).contains(&n) => Ok(n),
            _ => Err(bad_request(format!(
                "Invalid page size specified: '{t}'. Must be between 1 and {max} inclusive."
            ))),
        },
    }
}

/// A link to `path` with the request's options, `$skiptoken` replaced by `token`.
pub fn next_link(base: &str, path: &str, query: &Query, token: &str) -> String {
    let mut pairs: Vec<String> = query
        .pairs
        .iter()
        .filter(|(k, _)| {
            let k = k.trim_start_matches('$');
            !k.eq_ignore_ascii_case("skiptoken") && !k.eq_ignore_ascii_case("deltatoken")
        })
        .map(|(k, v)| format!("{}={}", encode_component(k), encode_component(v)))
        .collect();
    pairs.push(format!("$skiptoken={}", encode_component(token)));
    format!("{base}{}?{}", versioned(path), pairs.join("&"))
}

/// A JSON answer with `@odata.context` first.
pub fn with_context(context: String, v: Value) -> Response {
    let mut out = Map::new();
    out.insert("@odata.context".into(), Value::String(context));
    if let Value::Object(m) = v {
        out.extend(m);
    }
    Json(Value::Object(out)).into_response()
}

/// The group index of team `id`, or 404.
pub fn team_of(state: &SimState, id: &str) -> GraphResult<usize> {
    team_index(&state.tenant(), id).ok_or_else(|| no_team(id))
}

/// Runs `f` on team `id` (generated on first use) off the async workers.
pub async fn on_team<F>(state: &AppState, id: &str, f: F) -> GraphResult<Response>
where
    F: FnOnce(&SimState, &Team) -> GraphResult<Response> + Send + 'static,
{
    let index = team_of(state, id)?;
    blocking(state, move |state| {
        let shared = state.teams.open(state, index);
        let t = lock(&shared);
        f(state, &t)
    })
    .await
}

/// Runs `f` on team `id` for changing it, off the async workers.
pub async fn on_team_mut<F>(state: &AppState, id: &str, f: F) -> GraphResult<Response>
where
    F: FnOnce(&SimState, &mut Team) -> GraphResult<Response> + Send + 'static,
{
    let index = team_of(state, id)?;
    blocking(state, move |state| {
        let shared = state.teams.open(state, index);
        let mut t = lock(&shared);
        f(state, &mut t)
    })
    .await
}

/// The index of channel `id` of `t`, or 404.
pub fn channel_of(t: &Team, id: &str) -> GraphResult<usize> {
    t.channel(id).ok_or_else(no_channel)
}

const TEAM_FILTERABLE: &[&str] = &["id", "displayName", "description"];

/// `GET /teams`: id, display name and description of every team.
pub async fn list_teams(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
) -> GraphResult<Response> {
    let query = Query::parse(&uri, &headers);
    let t = state.tenant();
    let groups: Vec<&crate::tenant::SimGroup> = crate::teams::team_groups(&t)
        .into_iter()
        .map(|i| &t.groups[i])
        .collect();
    Listing {
        resource: "team",
        type_name: "microsoft.graph.team",
        context: "teams",
        filterable: TEAM_FILTERABLE,
        default: None,
        sortable: &[],
    }
    .respond(&state.base_url(), &uri, &query, &groups, |g| {
        render::team_listed(g)
    })
}

fn team_entity(state: &SimState, t: &Team, query: &Query) -> GraphResult<Response> {
    let v = query.project(render::team(t), "microsoft.graph.team")?;
    Ok(with_context(
        format!("{}/v1.0/$metadata#teams/$entity", state.base_url()),
        v,
    ))
}

/// `GET /teams/{id}`.
pub async fn get_team(
    State(state): State<AppState>,
    Path(id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> GraphResult<Response> {
    let query = Query::parse(&uri, &headers);
    on_team(&state, &id, move |state, t| team_entity(state, t, &query)).await
}

/// `GET /groups/{id}/team`: 404 for a group without a team.
pub async fn group_team(
    State(state): State<AppState>,
    Path(id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> GraphResult<Response> {
    if state.tenant().group(&id).is_none() {
        return Err(GraphFailure::not_found(&id));
    }
    get_team(State(state), Path(id), uri, headers).await
}

fn channel_list(
    state: &AppState,
    id: String,
    uri: &Uri,
    headers: &HeaderMap,
    set: &'static str,
) -> impl Future<Output = GraphResult<Response>> + Send + 'static {
    let query = Query::parse(uri, headers);
    let state = state.clone();
    async move {
        let filter = query.filter("channel", None)?;
        let base = state.base_url();
        on_team(&state, &id.clone(), move |_, t| {
            let mut value = Vec::new();
            for c in &t.channels {
                let v = render::channel(t, c);
                if filter.as_ref().is_none_or(|f| f.matches(&v)) {
                    value.push(query.project(v, "microsoft.graph.channel")?);
                }
            }
            Ok(with_context(
                format!("{base}/v1.0/$metadata#teams('{}')/{set}", t.id),
                json!({"@odata.count": value.len(), "value": value}),
            ))
        })
        .await
    }
}

/// `GET /teams/{id}/channels` (`$filter` and `$select` apply).
pub async fn list_channels(
    State(state): State<AppState>,
    Path(id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> GraphResult<Response> {
    channel_list(&state, id, &uri, &headers, "channels").await
}

/// `GET /teams/{id}/allChannels`: the team's channels and those shared with
/// it (none are shared in from other teams here).
pub async fn all_channels(
    State(state): State<AppState>,
    Path(id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> GraphResult<Response> {
    channel_list(&state, id, &uri, &headers, "allChannels").await
}

fn channel_entity(state: &SimState, t: &Team, c: usize, query: &Query) -> GraphResult<Response> {
    let v = query.project(
        render::channel(t, &t.channels[c]),
        "microsoft.graph.channel",
    )?;
    Ok(with_context(
        format!(
            "{}/v1.0/$metadata#teams('{}')/channels/$entity",
            state.base_url(),
            t.id
        ),
        v,
    ))
}

/// `GET /teams/{id}/channels/{id}`.
pub async fn get_channel(
    State(state): State<AppState>,
    Path((id, channel)): Path<(String, String)>,
    uri: Uri,
    headers: HeaderMap,
) -> GraphResult<Response> {
    let query = Query::parse(&uri, &headers);
    on_team(&state, &id, move |state, t| {
        let c = channel_of(t, &channel)?;
        channel_entity(state, t, c, &query)
    })
    .await
}

/// `GET /teams/{id}/primaryChannel`: General.
pub async fn primary_channel(
    State(state): State<AppState>,
    Path(id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> GraphResult<Response> {
    let query = Query::parse(&uri, &headers);
    on_team(&state, &id, move |state, t| {
        let c = t.channels.iter().position(|c| c.general).unwrap_or(0);
        channel_entity(state, t, c, &query)
    })
    .await
}
