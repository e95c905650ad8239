//! The ground truth of a team (`GET /_sim/truth/items?team=ID&kind=channelMessage|hostedContent`)
//! and the teams of `GET /_sim/truth/summary`.
//!
//! `channelMessage`: one entry per live (not soft-deleted) message and reply,
//! `{"id", "path": "/<channel>/<top-level message id>", "sha256", "size"}`,
//! the digest of the canonical JSON (`mailbox::truth::canonical`) of the
//! message as `GET …/messages/{id}` (or `…/replies/{id}`) returns it without
//! `Prefer: include-unknown-enum-members`. `hostedContent`: one entry per
//! inline image of a live message, `{"id": "<message id>/<hosted content id>",
//! "path": "/<channel>/<message id>", "sha256", "size"}` of its bytes.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::{lock, render, team_groups, team_index};
use crate::mailbox::truth::{canonical, digest};
use crate::state::{AppState, SimState};

fn support_error(status: StatusCode, message: String) -> Response {
    (status, Json(json!({"error": message}))).into_response()
}

/// Every live message and reply of the team of group `index`.
pub fn channel_messages(state: &SimState, index: usize) -> Vec<Value> {
    let shared = state.teams.open(state, index);
    let t = lock(&shared);
    let mut out = Vec::new();
    for c in &t.channels {
        for m in c.messages.iter().filter(|m| m.live()) {
            let top = m.parent.map_or(&m.id, |p| &c.messages[p].id);
            let (sha, size) = digest(&canonical(&render::message(&t, c, m, false)));
            out.push(json!({
                "id": m.id,
                "path": format!("/{}/{}", c.name, top),
                "sha256": sha,
                "size": size,
            }));
        }
    }
    out
}

/// Every inline image of a live message of the team of group `index`.
pub fn hosted_contents(state: &SimState, index: usize) -> Vec<Value> {
    let shared = state.teams.open(state, index);
    let images: Vec<(String, String, super::Hosted)> = {
        let t = lock(&shared);
        t.channels
            .iter()
            .flat_map(|c| {
                c.messages
                    .iter()
                    .filter(|m| m.live())
                    .flat_map(move |m| m.hosted.iter().map(move |h| (c, m, h)))
            })
            .map(|(c, m, h)| (c.name.clone(), m.id.clone(), h.clone()))
            .collect()
    };
    images
        .into_iter()
        .map(|(channel, message, h)| {
            let (sha, size) = digest(&h.bytes());
            json!({
                "id": format!("{message}/{}", h.id),
                "path": format!("/{channel}/{message}"),
                "sha256": sha,
                "size": size,
            })
        })
        .collect()
}

/// `GET /_sim/truth/items?team=ID&kind=channelMessage|hostedContent`.
pub async fn items(state: AppState, team: Option<String>, hosted: bool) -> Response {
    let Some(team) = team else {
        return support_error(StatusCode::BAD_REQUEST, "name a team: team=ID".into());
    };
    let Some(index) = team_index(&state.tenant(), &team) else {
        return support_error(StatusCode::NOT_FOUND, format!("no team '{team}'"));
    };
    let result = tokio::task::spawn_blocking(move || {
        if hosted {
            hosted_contents(&state, index)
        } else {
            channel_messages(&state, index)
        }
    })
    .await;
    match result {
        Ok(items) => Json(Value::Array(items)).into_response(),
        Err(e) => support_error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

/// Adds `teams` to the summary: `{"id", "displayName"}` of every team, with
/// `channels` and `messages` (live messages and replies) when `counts`
/// (which generates every team).
pub async fn summarize(state: &AppState, body: &mut Value, counts: bool) {
    let listed: Vec<(usize, String, String)> = {
        let t = state.tenant();
        team_groups(&t)
            .into_iter()
            .map(|i| {
                (
                    i,
                    t.groups[i].id.to_string(),
                    t.groups[i].display_name.clone(),
                )
            })
            .collect()
    };
    let state = state.clone();
    let result = tokio::task::spawn_blocking(move || {
        listed
            .into_iter()
            .map(|(i, id, name)| {
                let mut v = json!({"id": id, "displayName": name});
                if counts {
                    let shared = state.teams.open(&state, i);
                    let t = lock(&shared);
                    v["channels"] = json!(t.channels.len());
                    v["messages"] = json!(
                        t.channels
                            .iter()
                            .map(|c| c.messages.iter().filter(|m| m.live()).count())
                            .sum::<usize>()
                    );
                }
                v
            })
            .collect::<Vec<_>>()
    })
    .await;
    if let Ok(teams) = result {
        body["teams"] = Value::Array(teams);
    }
}
