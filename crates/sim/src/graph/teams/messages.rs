//! Channel messages: `…/messages` (top-level messages, newest first, `$top`
//! up to 50, `$expand=replies` with up to 1,000 replies each), `…/messages/{id}`,
//! `…/replies`, `…/replies/{id}`, and hosted contents (`…/hostedContents`,
//! `…/hostedContents/{id}`, `…/hostedContents/{id}/$value`) of messages and
//! replies. Soft-deleted messages are listed, emptied, with `deletedDateTime`.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, Uri, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use super::{
    bad_request, channel_of, next_link, no_message, on_team, page_size, unknown_enums, with_context,
};
use crate::failure::GraphResult;
use crate::graph::odata::Query;
use crate::state::AppState;
use crate::teams::{Channel, Team, millis, render};

/// Replies `$expand=replies` includes per message before `replies@odata.nextLink`.
pub const EXPANDED_REPLIES: usize = 1000;

/// A position in a newest-first listing: the creation time (Unix ms) and
/// index of the last item sent.
pub fn encode_position(ms: i64, index: usize) -> String {
    URL_SAFE_NO_PAD.encode(format!("{ms}:{index}"))
}

/// The position a `$skiptoken` names, or 400.
pub fn decode_position(token: &str) -> GraphResult<(i64, usize)> {
    URL_SAFE_NO_PAD
        .decode(token.trim_end_matches('='))
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| {
            let (ms, i) = s.split_once(':')?;
            Some((ms.parse().ok()?, i.parse().ok()?))
        })
        .ok_or_else(|| bad_request("Invalid skip token."))
}

/// The items of `ordered` (newest first) after the `$skiptoken` position, one
/// page of `size`, and the token of the next page if more remain.
fn page(
    c: &Channel,
    ordered: &[usize],
    query: &Query,
    size: usize,
) -> GraphResult<(Vec<usize>, Option<String>)> {
    let after = query
        .skiptoken
        .as_deref()
        .map(decode_position)
        .transpose()?;
    let key = |i: usize| (millis(c.messages[i].created), i);
    let rest: Vec<usize> = ordered
        .iter()
        .copied()
        .filter(|&i| after.is_none_or(|a| key(i) < a))
        .collect();
    let next = (rest.len() > size).then(|| {
        let (ms, i) = key(rest[size - 1]);
        encode_position(ms, i)
    });
    Ok((rest.into_iter().take(size).collect(), next))
}

/// Channel `c`'s replies to `top`, newest first.
fn replies_newest_first(c: &Channel, top: usize) -> Vec<usize> {
    let mut r = c.replies(top);
    r.reverse();
    r
}

/// A top-level message with `replies` (up to [`EXPANDED_REPLIES`], newest first).
pub fn with_replies(base: &str, t: &Team, c: &Channel, top: usize, unknown: bool) -> Value {
    let mut v = render::message(t, c, &c.messages[top], unknown);
    let all = replies_newest_first(c, top);
    let shown: Vec<Value> = all
        .iter()
        .take(EXPANDED_REPLIES)
        .map(|&r| render::message(t, c, &c.messages[r], unknown))
        .collect();
    if let Value::Object(m) = &mut v {
        m.insert("replies@odata.count".into(), json!(shown.len()));
        if all.len() > EXPANDED_REPLIES {
            let last = all[EXPANDED_REPLIES - 1];
            m.insert(
                "replies@odata.nextLink".into(),
                json!(format!(
                    "{base}/v1.0/teams/{}/channels/{}/messages/{}/replies?$skiptoken={}",
                    t.id,
                    c.id,
                    c.messages[top].id,
                    encode_position(millis(c.messages[last].created), last)
                )),
            );
        }
        m.insert("replies".into(), Value::Array(shown));
    }
    v
}

/// Whether `$expand` asks for replies (and nothing else, which is all it takes).
pub fn expand_replies(query: &Query) -> GraphResult<bool> {
    match query.expand.as_deref().map(str::trim) {
        None => Ok(false),
        Some(e) if e.eq_ignore_ascii_case("replies") => Ok(true),
        Some(e) => Err(bad_request(format!(
            "Could not find a property named '{e}' on type 'microsoft.graph.chatMessage'."
        ))),
    }
}

/// `GET /teams/{id}/channels/{id}/messages`.
pub async fn list(
    State(state): State<AppState>,
    Path((team, channel)): Path<(String, String)>,
    uri: Uri,
    headers: HeaderMap,
) -> GraphResult<Response> {
    let query = Query::parse(&uri, &headers);
    let unknown = unknown_enums(&headers);
    let size = page_size(&query, 20, 50)?;
    let expand = expand_replies(&query)?;
    on_team(&state, &team, move |state, t| {
        let c = &t.channels[channel_of(t, &channel)?];
        let base = state.base_url();
        let (items, next) = page(c, &c.tops_newest_first(), &query, size)?;
        let value: Vec<Value> = items
            .into_iter()
            .map(|i| {
                if expand {
                    with_replies(&base, t, c, i, unknown)
                } else {
                    render::message(t, c, &c.messages[i], unknown)
                }
            })
            .collect();
        let mut body = json!({"@odata.count": value.len()});
        if let Some(token) = next {
            body["@odata.nextLink"] = json!(next_link(&base, uri.path(), &query, &token));
        }
        body["value"] = Value::Array(value);
        Ok(with_context(
            render::context(&base, &t.id, &c.id, "/messages"),
            body,
        ))
    })
    .await
}

/// `GET /teams/{id}/channels/{id}/messages/{id}` (a top-level message).
pub async fn get_message(
    State(state): State<AppState>,
    Path((team, channel, message)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> GraphResult<Response> {
    let unknown = unknown_enums(&headers);
    on_team(&state, &team, move |state, t| {
        let c = &t.channels[channel_of(t, &channel)?];
        let i = c.top(&message).ok_or_else(no_message)?;
        Ok(with_context(
            render::context(&state.base_url(), &t.id, &c.id, "/messages/$entity"),
            render::message(t, c, &c.messages[i], unknown),
        ))
    })
    .await
}

/// `GET …/messages/{id}/replies`: newest first, `$top` up to 50.
pub async fn list_replies(
    State(state): State<AppState>,
    Path((team, channel, message)): Path<(String, String, String)>,
    uri: Uri,
    headers: HeaderMap,
) -> GraphResult<Response> {
    let query = Query::parse(&uri, &headers);
    let unknown = unknown_enums(&headers);
    let size = page_size(&query, 20, 50)?;
    on_team(&state, &team, move |state, t| {
        let c = &t.channels[channel_of(t, &channel)?];
        let top = c.top(&message).ok_or_else(no_message)?;
        let base = state.base_url();
        let (items, next) = page(c, &replies_newest_first(c, top), &query, size)?;
        let value: Vec<Value> = items
            .into_iter()
            .map(|i| render::message(t, c, &c.messages[i], unknown))
            .collect();
        let mut body = json!({"@odata.count": value.len()});
        if let Some(token) = next {
            body["@odata.nextLink"] = json!(next_link(&base, uri.path(), &query, &token));
        }
        body["value"] = Value::Array(value);
        let rest = format!("/messages('{}')/replies", c.messages[top].id);
        Ok(with_context(
            render::context(&base, &t.id, &c.id, &rest),
            body,
        ))
    })
    .await
}

/// `GET …/messages/{id}/replies/{id}`.
pub async fn get_reply(
    State(state): State<AppState>,
    Path((team, channel, message, reply)): Path<(String, String, String, String)>,
    headers: HeaderMap,
) -> GraphResult<Response> {
    let unknown = unknown_enums(&headers);
    on_team(&state, &team, move |state, t| {
        let c = &t.channels[channel_of(t, &channel)?];
        let top = c.top(&message).ok_or_else(no_message)?;
        let i = c.reply(top, &reply).ok_or_else(no_message)?;
        let rest = format!("/messages('{}')/replies/$entity", c.messages[top].id);
        Ok(with_context(
            render::context(&state.base_url(), &t.id, &c.id, &rest),
            render::message(t, c, &c.messages[i], unknown),
        ))
    })
    .await
}

/// Which message a hosted-content request names.
#[derive(Debug, Clone)]
struct Target {
    team: String,
    channel: String,
    message: String,
    reply: Option<String>,
}

impl Target {
    /// The message's index in its channel (replies under their top-level message).
    fn find(&self, c: &Channel) -> GraphResult<usize> {
        let top = c.top(&self.message).ok_or_else(no_message)?;
        match &self.reply {
            None => Ok(top),
            Some(r) => c.reply(top, r).ok_or_else(no_message),
        }
    }

    fn context_rest(&self) -> String {
        match &self.reply {
            None => format!("/messages('{}')/hostedContents", self.message),
            Some(r) => format!(
                "/messages('{}')/replies('{r}')/hostedContents",
                self.message
            ),
        }
    }
}

enum HostedAnswer {
    List,
    One(String),
    Bytes(String),
}

async fn hosted(state: AppState, target: Target, answer: HostedAnswer) -> GraphResult<Response> {
    let team = target.team.clone();
    on_team(&state, &team, move |state, t| {
        let c = &t.channels[channel_of(t, &target.channel)?];
        let m = &c.messages[target.find(c)?];
        // A deleted message keeps no images.
        let images: &[crate::teams::Hosted] = if m.live() { &m.hosted } else { &[] };
        let context = render::context(&state.base_url(), &t.id, &c.id, &target.context_rest());
        match answer {
            HostedAnswer::List => {
                let value: Vec<Value> = images.iter().map(render::hosted).collect();
                Ok(with_context(
                    context,
                    json!({"@odata.count": value.len(), "value": value}),
                ))
            }
            HostedAnswer::One(id) => {
                let h = images.iter().find(|h| h.id == id).ok_or_else(no_message)?;
                Ok(with_context(
                    format!("{context}/$entity"),
                    render::hosted(h),
                ))
            }
            HostedAnswer::Bytes(id) => {
                let h = images.iter().find(|h| h.id == id).ok_or_else(no_message)?;
                let bytes = h.bytes();
                let mut response = Body::from(bytes.as_ref().clone()).into_response();
                if let Ok(v) = HeaderValue::from_str(&h.content_type) {
                    response.headers_mut().insert(header::CONTENT_TYPE, v);
                }
                Ok(response)
            }
        }
    })
    .await
}

/// `GET …/messages/{id}/hostedContents`.
pub async fn list_hosted(
    State(state): State<AppState>,
    Path((team, channel, message)): Path<(String, String, String)>,
) -> GraphResult<Response> {
    let target = Target {
        team,
        channel,
        message,
        reply: None,
    };
    hosted(state, target, HostedAnswer::List).await
}

/// `GET …/messages/{id}/hostedContents/{id}`.
pub async fn get_hosted(
    State(state): State<AppState>,
    Path((team, channel, message, id)): Path<(String, String, String, String)>,
) -> GraphResult<Response> {
    let target = Target {
        team,
        channel,
        message,
        reply: None,
    };
    hosted(state, target, HostedAnswer::One(id)).await
}

/// `GET …/messages/{id}/hostedContents/{id}/$value`: the bytes.
pub async fn hosted_value(
    State(state): State<AppState>,
    Path((team, channel, message, id)): Path<(String, String, String, String)>,
) -> GraphResult<Response> {
    let target = Target {
        team,
        channel,
        message,
        reply: None,
    };
    hosted(state, target, HostedAnswer::Bytes(id)).await
}

type ReplyPath = (String, String, String, String);

/// `GET …/messages/{id}/replies/{id}/hostedContents`.
pub async fn list_reply_hosted(
    State(state): State<AppState>,
    Path((team, channel, message, reply)): Path<ReplyPath>,
) -> GraphResult<Response> {
    let target = Target {
        team,
        channel,
        message,
        reply: Some(reply),
    };
    hosted(state, target, HostedAnswer::List).await
}

/// `GET …/messages/{id}/replies/{id}/hostedContents/{id}`.
pub async fn get_reply_hosted(
    State(state): State<AppState>,
    Path((team, channel, message, reply, id)): Path<(String, String, String, String, String)>,
) -> GraphResult<Response> {
    let target = Target {
        team,
        channel,
        message,
        reply: Some(reply),
    };
    hosted(state, target, HostedAnswer::One(id)).await
}

/// `GET …/messages/{id}/replies/{id}/hostedContents/{id}/$value`.
pub async fn reply_hosted_value(
    State(state): State<AppState>,
    Path((team, channel, message, reply, id)): Path<(String, String, String, String, String)>,
) -> GraphResult<Response> {
    let target = Target {
        team,
        channel,
        message,
        reply: Some(reply),
    };
    hosted(state, target, HostedAnswer::Bytes(id)).await
}
