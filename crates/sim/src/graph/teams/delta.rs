//! Channel-message delta (`…/channels/{id}/messages/delta`) and the export
//! API `…/channels/getAllMessages`.
//!
//! Delta pages through a channel's threads in the order they last changed
//! (a thread changes when its top-level message or any reply does), within
//! the last eight months, as Microsoft documents it. A round covers the
//! changes with `since < seq <= upto` (`upto` fixed when the round starts);
//! `@odata.nextLink` carries a `$skiptoken`, the last page an
//! `@odata.deltaLink` with a `$deltatoken`. Query options (`$top` up to 50,
//! `$filter=lastModifiedDateTime gt …`, `$expand=replies`) are given once and
//! kept in the tokens. Deleted top-level messages come back with
//! `deletedDateTime` set (there is no `@removed`).
//!
//! `getAllMessages` returns every message and reply of every channel,
//! oldest change first, with `$filter` on `lastModifiedDateTime` (`gt`, `lt`,
//! joined by `and`) and `$top`. The Teams export APIs are no longer metered
//! since 25 August 2025
//! (<https://learn.microsoft.com/graph/teams-licenses>): no quota, no 402.
//! `model=A` and `model=B` (kept for apps configured for billing) are
//! accepted and change nothing; any other `model` is a 400.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::messages::{expand_replies, with_replies};
use super::{bad_request, channel_of, on_team, page_size, unknown_enums, with_context};
use crate::failure::GraphResult;
use crate::graph::odata::{Query, versioned};
use crate::state::AppState;
use crate::teams::{Team, delta_horizon, millis, render};

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Token {
    /// Channel id.
    c: String,
    /// Changes after this sequence number…
    s: u64,
    /// …up to this one (a next link), or 0 (a delta link: the next round sets it).
    u: u64,
    /// The last log entry sent: (sequence number, thread).
    a: Option<(u64, usize)>,
    /// `$top`.
    n: usize,
    /// `$filter=lastModifiedDateTime gt` (Unix ms).
    g: Option<i64>,
    /// `$expand=replies`.
    x: bool,
}

fn encode(t: &Token) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(t).unwrap_or_default())
}

fn decode(s: &str) -> Option<Token> {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(s.trim_end_matches('=')).ok()?).ok()
}

/// A `$filter` on `lastModifiedDateTime`: the bounds it sets (exclusive).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Window {
    /// `gt`.
    pub after: Option<OffsetDateTime>,
    /// `lt`.
    pub before: Option<OffsetDateTime>,
}

/// Parses `lastModifiedDateTime gt X [and lastModifiedDateTime lt Y]`;
/// `lt` only when `allow_lt`.
pub fn window(filter: Option<&str>, allow_lt: bool) -> GraphResult<Window> {
    let mut w = Window::default();
    let Some(filter) = filter else {
        return Ok(w);
    };
    let invalid = || bad_request(format!("Invalid filter clause: '{filter}'."));
    let lower = filter.to_ascii_lowercase();
    let mut start = 0;
    let mut clauses = Vec::new();
    while let Some(k) = lower[start..].find(" and ") {
        clauses.push(&filter[start..start + k]);
        start += k + 5;
    }
    clauses.push(&filter[start..]);
    for clause in clauses {
        let parts: Vec<&str> = clause.split_whitespace().collect();
        let [prop, op, value] = parts.as_slice() else {
            return Err(invalid());
        };
        if !prop.eq_ignore_ascii_case("lastModifiedDateTime") {
            return Err(invalid());
        }
        let at =
            OffsetDateTime::parse(value.trim_matches('\''), &Rfc3339).map_err(|_| invalid())?;
        match op.to_ascii_lowercase().as_str() {
            "gt" => w.after = Some(at),
            "lt" if allow_lt => w.before = Some(at),
            _ => return Err(invalid()),
        }
    }
    Ok(w)
}

/// A message as delta and `getAllMessages` write it: with `@odata.type`.
fn typed(v: Value) -> Value {
    let mut out = Map::new();
    out.insert("@odata.type".into(), json!("#microsoft.graph.chatMessage"));
    if let Value::Object(m) = v {
        out.extend(m);
    }
    Value::Object(out)
}

fn collection_context(base: &str) -> String {
    format!("{base}/v1.0/$metadata#Collection(chatMessage)")
}

/// `GET /teams/{id}/channels/{id}/messages/delta`.
pub async fn delta(
    State(state): State<AppState>,
    Path((team, channel)): Path<(String, String)>,
    uri: Uri,
    headers: HeaderMap,
) -> GraphResult<Response> {
    let query = Query::parse(&uri, &headers);
    let unknown = unknown_enums(&headers);
    let start = match (&query.skiptoken, &query.deltatoken) {
        (Some(t), _) | (None, Some(t)) => {
            Some(decode(t).ok_or_else(|| bad_request("Invalid delta token."))?)
        }
        (None, None) => None,
    };
    let first = match &start {
        Some(_) => None,
        None => Some((
            page_size(&query, 20, 50)?,
            window(query.filter.as_deref(), false)?,
            expand_replies(&query)?,
        )),
    };
    let link_path = versioned(uri.path());
    on_team(&state, &team, move |state, t| {
        let c = channel_of(t, &channel)?;
        let ch = &t.channels[c];
        let token = match (start, first) {
            (Some(mut tok), _) => {
                if !tok.c.eq_ignore_ascii_case(&ch.id) {
                    return Err(bad_request("Invalid delta token."));
                }
                if tok.u == 0 {
                    // A delta link starts the next round.
                    tok.u = t.seq;
                    tok.a = None;
                }
                tok
            }
            (None, Some((n, w, x))) => Token {
                c: ch.id.clone(),
                s: 0,
                u: t.seq,
                a: None,
                n,
                g: w.after.map(millis),
                x,
            },
            (None, None) => return Err(bad_request("Invalid delta token.")),
        };
        let horizon = delta_horizon(state.now());
        let base = state.base_url();
        let mut value = Vec::new();
        let mut cursor = token.a;
        let mut more = false;
        for entry in ch.log.after(token.a, token.s, token.u) {
            if value.len() == token.n {
                more = true;
                break;
            }
            cursor = Some(entry);
            let m = &ch.messages[entry.1];
            let recent = m.activity >= horizon && token.g.is_none_or(|g| millis(m.activity) > g);
            if !recent {
                continue;
            }
            let v = if token.x {
                with_replies(&base, t, ch, entry.1, unknown)
            } else {
                render::message(t, ch, m, unknown)
            };
            value.push(typed(v));
        }
        let mut body = Map::new();
        body.insert("@odata.context".into(), json!(collection_context(&base)));
        if more {
            let next = Token { a: cursor, ..token };
            body.insert(
                "@odata.nextLink".into(),
                json!(format!("{base}{link_path}?$skiptoken={}", encode(&next))),
            );
        } else {
            let next = Token {
                s: token.u,
                u: 0,
                a: None,
                ..token
            };
            body.insert(
                "@odata.deltaLink".into(),
                json!(format!("{base}{link_path}?$deltatoken={}", encode(&next))),
            );
        }
        body.insert("value".into(), Value::Array(value));
        Ok(axum::Json(Value::Object(body)).into_response())
    })
    .await
}

/// Checks the optional `model` of a `getAllMessages` request: `A` or `B`
/// (case-insensitive), which no longer change anything.
fn check_model(query: &Query) -> GraphResult<()> {
    let value = query
        .pairs
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("model"))
        .map(|(_, v)| v.as_str());
    match value {
        None => Ok(()),
        Some(v) if v.eq_ignore_ascii_case("A") || v.eq_ignore_ascii_case("B") => Ok(()),
        Some(v) => Err(bad_request(format!(
            "query parameter 'model' does not support value '{v}' for this API. Use 'A' or 'B'."
        ))),
    }
}

/// Position in the oldest-change-first order of `getAllMessages`.
type Position = (i64, usize, usize);

fn encode_position(p: Position) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}:{}:{}", p.0, p.1, p.2))
}

fn decode_position(s: &str) -> Option<Position> {
    let text = String::from_utf8(URL_SAFE_NO_PAD.decode(s.trim_end_matches('=')).ok()?).ok()?;
    let mut it = text.split(':');
    let p = (
        it.next()?.parse().ok()?,
        it.next()?.parse().ok()?,
        it.next()?.parse().ok()?,
    );
    it.next().is_none().then_some(p)
}

/// Every message of `t` in the window, oldest change first.
fn all(t: &Team, w: Window) -> Vec<Position> {
    let mut out: Vec<Position> = t
        .channels
        .iter()
        .enumerate()
        .flat_map(|(c, ch)| {
            ch.messages
                .iter()
                .enumerate()
                .filter(move |(_, m)| {
                    w.after.is_none_or(|a| m.modified > a)
                        && w.before.is_none_or(|b| m.modified < b)
                })
                .map(move |(i, m)| (millis(m.modified), c, i))
        })
        .collect();
    out.sort();
    out
}

/// `GET /teams/{id}/channels/getAllMessages`.
pub async fn all_messages(
    State(state): State<AppState>,
    Path(team): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> GraphResult<Response> {
    let query = Query::parse(&uri, &headers);
    let unknown = unknown_enums(&headers);
    check_model(&query)?;
    let size = page_size(&query, 20, 50)?;
    let w = window(query.filter.as_deref(), true)?;
    let after = match &query.skiptoken {
        Some(t) => Some(decode_position(t).ok_or_else(|| bad_request("Invalid skip token."))?),
        None => None,
    };
    on_team(&state, &team, move |state, t| {
        let positions: Vec<Position> = all(t, w)
            .into_iter()
            .filter(|p| after.is_none_or(|a| *p > a))
            .collect();
        let page: Vec<Position> = positions.iter().take(size).copied().collect();
        let base = state.base_url();
        let value: Vec<Value> = page
            .iter()
            .map(|&(_, c, i)| {
                let ch = &t.channels[c];
                typed(render::message(t, ch, &ch.messages[i], unknown))
            })
            .collect();
        let mut body = json!({"@odata.count": value.len()});
        if positions.len() > size
            && let Some(last) = page.last()
        {
            body["@odata.nextLink"] = json!(super::next_link(
                &base,
                uri.path(),
                &query,
                &encode_position(*last)
            ));
        }
        body["value"] = Value::Array(value);
        Ok(with_context(collection_context(&base), body))
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn filters_take_greater_and_less_than_on_last_modified() {
        let w = window(
            Some("lastModifiedDateTime gt 2019-11-01T00:00:00Z and lastModifiedDateTime lt 2021-11-01T00:00:00Z"),
            true,
        )
        .expect("valid");
        assert_eq!(w.after, Some(datetime!(2019-11-01 0:00 UTC)));
        assert_eq!(w.before, Some(datetime!(2021-11-01 0:00 UTC)));
        assert!(window(Some("lastModifiedDateTime lt 2021-11-01T00:00:00Z"), false).is_err());
        assert!(window(Some("createdDateTime gt 2021-11-01T00:00:00Z"), true).is_err());
        assert!(window(Some("lastModifiedDateTime gt yesterday"), true).is_err());
        assert_eq!(window(None, true).ok(), Some(Window::default()));
    }

    #[test]
    fn positions_round_trip() {
        let p = (1_700_000_000_123, 2, 17);
        assert_eq!(decode_position(&encode_position(p)), Some(p));
        assert_eq!(decode_position("nonsense"), None);
    }
}
