//! Drive delta (`/drives/{id}/root/delta`, also under `/users/{id}/drive`,
//! `/sites/{id}/drive` and `/groups/{id}/drive`).
//!
//! Parameter `token`: absent (every live item, the root included, parents
//! before children), `latest` (no items, a delta link from now), or a token
//! from a previous link. A round covers the changes with `since < seq <= upto`
//! (`upto` fixed when the round starts), in the order of the drive's change
//! log; the next link carries the position of the next entry, so an item
//! changed while a client pages is neither lost nor repeated (it comes in the
//! next round). An item whose parent changed later in the same round is
//! preceded by that parent. A renamed or moved folder is reported, its
//! unchanged children are not. Deleted items carry `deleted`; a first round
//! reports none. Tokens older than `SimConfig.delta_token_expiry_days`, or
//! naming another drive, answer 410 `resyncRequired` with a `Location` that
//! starts over.

use axum::Extension;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::{app_id, blocking, group_drive_id, item_json, select, site_drive_ids, user_drive_id};
use crate::drive::render::{self, Form};
use crate::drive::{Drive, item_not_found, lock};
use crate::failure::GraphResult;
use crate::faults::{DeltaKind, delta_expired_response};
use crate::graph::auth::Principal;
use crate::graph::odata::{Query, encode_component, versioned};
use crate::graph::outlook::{applied, preference};
use crate::state::{AppState, SimState};

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Token {
    /// Drive id.
    d: String,
    /// Changes after this sequence number…
    s: u64,
    /// …up to this one (a next link), or 0 (a delta link: the next round sets it).
    t: u64,
    /// Position of the next entry: (sequence number, item, entries of it already sent).
    a: Option<(u64, usize, usize)>,
    /// `$select` of the first request.
    sel: Option<Vec<String>>,
    /// When the round (or delta link) was issued, Unix seconds.
    i: i64,
}

fn encode(t: &Token) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(t).unwrap_or_default())
}

fn decode(s: &str) -> Option<Token> {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(s.trim_end_matches('=')).ok()?).ok()
}

type Pos = (u64, usize);

/// Which items a round reports, and where each item's earliest reported
/// descendant stands (an ancestor reported later in the log comes with it).
struct Plan {
    since: u64,
    upto: u64,
    initial: bool,
    min_desc: Vec<Option<Pos>>,
}

impl Plan {
    fn new(d: &Drive, since: u64, upto: u64) -> Plan {
        let mut plan = Plan {
            since,
            upto,
            initial: since == 0,
            min_desc: vec![None; d.items.len()],
        };
        for i in 0..d.items.len() {
            if !plan.live_in(d, i) {
                continue;
            }
            let pos = (d.items[i].seqs.last(), i);
            let mut cur = d.items[i].parent;
            while let Some(a) = cur {
                let m = &mut plan.min_desc[a];
                if m.is_none_or(|m| pos < m) {
                    *m = Some(pos);
                }
                cur = d.items[a].parent;
            }
        }
        plan
    }

    fn in_round(&self, d: &Drive, i: usize) -> bool {
        let last = d.items[i].seqs.last();
        last > self.since && last <= self.upto
    }

    fn live_in(&self, d: &Drive, i: usize) -> bool {
        d.items[i].seqs.live() && self.in_round(d, i)
    }

    fn expand(
        &self,
        state: &SimState,
        app: &str,
        d: &Drive,
        stats: &crate::drive::Stats,
        i: usize,
    ) -> Vec<Value> {
        if !d.items[i].seqs.live() {
            return if self.initial {
                Vec::new()
            } else {
                vec![render::deleted(d, i)]
            };
        }
        let pos = (d.items[i].seqs.last(), i);
        if self.min_desc[i].is_some_and(|m| m < pos) {
            // Already reported ahead of an earlier descendant.
            return Vec::new();
        }
        let mut chain = vec![i];
        let mut cur = d.items[i].parent;
        while let Some(a) = cur {
            if self.live_in(d, a)
                && (d.items[a].seqs.last(), a) > pos
                && self.min_desc[a] == Some(pos)
            {
                chain.push(a);
            }
            cur = d.items[a].parent;
        }
        chain
            .into_iter()
            .rev()
            .map(|k| item_json(state, app, d, stats, k, Form::Delta))
            .collect()
    }
}

fn page_size(query: &Query, headers: &HeaderMap) -> (usize, Vec<String>) {
    if let Some(n) = query
        .top
        .as_deref()
        .and_then(|t| t.trim().parse::<usize>().ok())
        .filter(|n| *n >= 1)
    {
        return (n.min(1000), Vec::new());
    }
    match preference(headers, "odata.maxpagesize")
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|n| *n >= 1)
    {
        Some(n) => {
            let n = n.min(1000);
            (n, vec![format!("odata.maxpagesize={n}")])
        }
        None => (200, Vec::new()),
    }
}

fn respond(
    state: &SimState,
    app: &str,
    id: &str,
    uri: &Uri,
    headers: &HeaderMap,
) -> GraphResult<Response> {
    let query = Query::parse(uri, headers);
    let token = query
        .pairs
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("token"))
        .map(|(_, v)| v.clone());
    let base = state.base_url();
    let path = versioned(uri.path());
    let restart = format!("{base}{path}");
    let drive = state.drives.open(state, id)?;
    let d = lock(&drive);
    let now = state.now().unix_timestamp();
    let (page, applied_prefs) = page_size(&query, headers);
    let link = |t: &Token| {
        let mut pairs: Vec<String> = query
            .pairs
            .iter()
            .filter(|(k, _)| !k.eq_ignore_ascii_case("token") && !k.eq_ignore_ascii_case("$select"))
            .map(|(k, v)| format!("{}={}", encode_component(k), encode_component(v)))
            .collect();
        pairs.push(format!("token={}", encode(t)));
        format!("{base}{path}?{}", pairs.join("&"))
    };
    let (since, upto, after, sel, issued) = match token.as_deref() {
        None => (0, d.seq, None, query.select.clone(), now),
        Some(t) if t.eq_ignore_ascii_case("latest") => {
            let t = Token {
                d: d.id.clone(),
                s: d.seq,
                t: 0,
                a: None,
                sel: query.select.clone(),
                i: now,
            };
            let body = json!({
                "@odata.context": format!("{base}/v1.0/$metadata#Collection(driveItem)"),
                "@odata.deltaLink": link(&t),
                "value": [],
            });
            return Ok(applied(axum::Json(body).into_response(), &applied_prefs));
        }
        Some(raw) => {
            let max_age = i64::from(state.config.delta_token_expiry_days) * 86_400;
            match decode(raw) {
                Some(t) if t.d == d.id && t.s <= d.seq && t.t <= d.seq && now - t.i <= max_age => {
                    if t.t > 0 {
                        (t.s, t.t, t.a, t.sel, t.i)
                    } else {
                        (t.s, d.seq, None, t.sel, now)
                    }
                }
                _ => return Ok(delta_expired_response(DeltaKind::Drive, Some(&restart))),
            }
        }
    };
    let plan = Plan::new(&d, since, upto);
    let stats = d.stats();
    let mut out: Vec<Value> = Vec::new();
    let mut next = None;
    let walk =
        |seq: u64, rec: usize, skip: usize, out: &mut Vec<Value>| -> Option<(u64, usize, usize)> {
            for (k, entry) in plan
                .expand(state, app, &d, &stats, rec)
                .into_iter()
                .enumerate()
                .skip(skip)
            {
                if out.len() == page {
                    return Some((seq, rec, k));
                }
                let entry = match sel.as_deref() {
                    Some(s) => {
                        let deleted = entry.get("deleted").cloned();
                        let mut v = select(entry, Some(s));
                        if let (Some(del), Value::Object(m)) = (deleted, &mut v) {
                            m.insert("deleted".into(), del);
                        }
                        v
                    }
                    None => entry,
                };
                out.push(entry);
            }
            None
        };
    let mut cursor = None;
    if let Some((seq, rec, skip)) = after {
        if d.log.contains(seq, rec) {
            next = walk(seq, rec, skip, &mut out);
        }
        cursor = Some((seq, rec));
    }
    if next.is_none() {
        for (seq, rec) in d.log.after(cursor, since, upto) {
            if let Some(n) = walk(seq, rec, 0, &mut out) {
                next = Some(n);
                break;
            }
        }
    }
    let mut body = Map::new();
    body.insert(
        "@odata.context".into(),
        json!(format!("{base}/v1.0/$metadata#Collection(driveItem)")),
    );
    match next {
        Some(a) => {
            let t = Token {
                d: d.id.clone(),
                s: since,
                t: upto,
                a: Some(a),
                sel,
                i: issued,
            };
            body.insert("@odata.nextLink".into(), json!(link(&t)));
        }
        None => {
            let t = Token {
                d: d.id.clone(),
                s: upto,
                t: 0,
                a: None,
                sel,
                i: now,
            };
            body.insert("@odata.deltaLink".into(), json!(link(&t)));
        }
    }
    body.insert("value".into(), Value::Array(out));
    Ok(applied(
        axum::Json(Value::Object(body)).into_response(),
        &applied_prefs,
    ))
}

/// `GET /drives/{id}/root/delta`.
pub async fn drive_delta(
    State(state): State<AppState>,
    Path(id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    p: Option<Extension<Principal>>,
) -> GraphResult<Response> {
    let app = app_id(&p);
    blocking(&state, move |s| respond(s, &app, &id, &uri, &headers)).await
}

/// `GET /users/{id}/drive/root/delta`.
pub async fn user_delta(
    State(state): State<AppState>,
    Path(user): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    p: Option<Extension<Principal>>,
) -> GraphResult<Response> {
    let app = app_id(&p);
    blocking(&state, move |s| {
        respond(s, &app, &user_drive_id(s, &user)?, &uri, &headers)
    })
    .await
}

/// `GET /sites/{id}/drive/root/delta`.
pub async fn site_delta(
    State(state): State<AppState>,
    Path(site): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    p: Option<Extension<Principal>>,
) -> GraphResult<Response> {
    let app = app_id(&p);
    blocking(&state, move |s| {
        let ids = site_drive_ids(s, &site)?;
        respond(
            s,
            &app,
            ids.first().ok_or_else(item_not_found)?,
            &uri,
            &headers,
        )
    })
    .await
}

/// `GET /groups/{id}/drive/root/delta`.
pub async fn group_delta(
    State(state): State<AppState>,
    Path(group): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    p: Option<Extension<Principal>>,
) -> GraphResult<Response> {
    let app = app_id(&p);
    blocking(&state, move |s| {
        respond(s, &app, &group_drive_id(s, &group)?, &uri, &headers)
    })
    .await
}
