//! Outlook delta queries (messages, mail folders, events in a calendar view,
//! contacts, contact folders).
//!
//! A round covers the changes with `since < seq <= upto`, `upto` fixed when the
//! round starts. Entries come in the order of the collection's change log,
//! (sequence number, record number); the `$skiptoken` carries the position of
//! the next entry, so an item changed while a client pages is neither skipped
//! nor repeated: its new sequence number is beyond `upto`, and the next round
//! reports it. Tokens name their mailbox, collection and kind; an unknown,
//! foreign or expired one answers 410 `SyncStateNotFound`.

use axum::Json;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::odata::{Query, versioned};
use super::outlook::{applied, preference};
use crate::failure::{GraphFailure, GraphResult};
use crate::mailbox::ChangeLog;
use crate::state::SimState;

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Token {
    /// Kind of collection (`messages`, `mailFolders`, …).
    k: String,
    /// Owner index.
    u: usize,
    /// Collection id (empty for folder trees).
    c: String,
    /// Changes after this sequence number…
    s: u64,
    /// …up to this one (0 in a delta token: the next round sets it).
    t: u64,
    /// Position of the next entry: (sequence number, record, entries of that record already sent).
    a: Option<(u64, usize, usize)>,
    /// `$select` of the first request.
    sel: Option<Vec<String>>,
    /// Calendar view window (start, end).
    w: Option<(String, String)>,
    /// When the round (or delta link) was issued, Unix seconds.
    i: i64,
}

fn encode(t: &Token) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(t).unwrap_or_default())
}

fn decode(s: &str) -> Option<Token> {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(s.trim_end_matches('=')).ok()?).ok()
}

/// 410 `SyncStateNotFound`, as Exchange answers for sync state it no longer has.
pub fn sync_state_not_found(generation: u64, highest: u64) -> GraphFailure {
    GraphFailure::new(
        StatusCode::GONE,
        "SyncStateNotFound",
        format!(
            "The sync state generation is not found; generation={generation};[highest={highest}][{highest}]."
        ),
    )
}

/// Where a page stopped: (sequence number, record, entries of that record already sent).
pub type Position = (u64, usize, usize);

/// What a delta request asks for.
#[derive(Debug, Clone)]
pub struct Round {
    kind: String,
    user: usize,
    collection: String,
    /// Changes after this…
    pub since: u64,
    /// …up to this.
    pub upto: u64,
    after: Option<(u64, usize, usize)>,
    /// `$select`.
    pub select: Option<Vec<String>>,
    /// Calendar view window, as the first request gave it.
    pub window: Option<(String, String)>,
    issued: i64,
    page_size: usize,
    applied: Vec<String>,
}

/// How one collection's delta pages.
pub struct Spec<'a> {
    /// Kind of collection, such as `messages`.
    pub kind: &'a str,
    /// Owner index.
    pub user: usize,
    /// Collection id (empty for folder trees).
    pub collection: &'a str,
    /// Default page size.
    pub default_page: usize,
    /// Largest `odata.maxpagesize` honoured.
    pub max_page: usize,
}

impl Round {
    /// Reads the round from the request; `current` is the mailbox's last
    /// sequence number.
    pub fn begin(
        state: &SimState,
        spec: &Spec<'_>,
        query: &Query,
        headers: &HeaderMap,
        window: Option<(String, String)>,
        current: u64,
    ) -> GraphResult<Round> {
        let now = state.now().unix_timestamp();
        let max_age = i64::from(state.config.delta_token_expiry_days) * 86_400;
        let (page_size, applied) = match preference(headers, "odata.maxpagesize")
            .and_then(|v| v.parse::<usize>().ok())
            .filter(|n| *n >= 1)
        {
            Some(n) => {
                let n = n.min(spec.max_page);
                (n, vec![format!("odata.maxpagesize={n}")])
            }
            None => (spec.default_page, Vec::new()),
        };
        let token = query
            .skiptoken
            .as_deref()
            .map(|t| (t, true))
            .or(query.deltatoken.as_deref().map(|t| (t, false)));
        let Some((raw, skip)) = token else {
            return Ok(Round {
                kind: spec.kind.to_owned(),
                user: spec.user,
                collection: spec.collection.to_owned(),
                since: 0,
                upto: current,
                after: None,
                select: query.select.clone(),
                window,
                issued: now,
                page_size,
                applied,
            });
        };
        let Some(t) = decode(raw) else {
            return Err(sync_state_not_found(0, current));
        };
        if t.k != spec.kind
            || t.u != spec.user
            || t.c != spec.collection
            || t.s > current
            || t.t > current
            || now - t.i > max_age
        {
            return Err(sync_state_not_found(t.s, current));
        }
        Ok(Round {
            kind: t.k,
            user: t.u,
            collection: t.c,
            since: t.s,
            upto: if skip { t.t } else { current },
            after: if skip { t.a } else { None },
            select: t.sel,
            window: t.w,
            issued: if skip { t.i } else { now },
            page_size,
            applied,
        })
    }

    /// Whether this is the first round (no removals reported in it).
    pub fn initial(&self) -> bool {
        self.since == 0
    }

    /// Walks `log` from the round's position, expanding each record into its
    /// entries with `expand`, until a page is full. Returns the page and the
    /// position of the first entry left over (none when the round is done).
    pub fn collect(
        &self,
        log: &ChangeLog,
        mut expand: impl FnMut(usize) -> GraphResult<Vec<Value>>,
    ) -> GraphResult<(Vec<Value>, Option<Position>)> {
        let mut out = Vec::new();
        let mut walk = |seq: u64,
                        rec: usize,
                        skip: usize,
                        out: &mut Vec<Value>|
         -> GraphResult<Option<(u64, usize, usize)>> {
            for (k, entry) in expand(rec)?.into_iter().enumerate().skip(skip) {
                if out.len() == self.page_size {
                    return Ok(Some((seq, rec, k)));
                }
                out.push(entry);
            }
            Ok(None)
        };
        let mut cursor = None;
        if let Some((seq, rec, skip)) = self.after {
            // The record the previous page stopped in, if it has not changed since.
            if log.contains(seq, rec)
                && let Some(next) = walk(seq, rec, skip, &mut out)?
            {
                return Ok((out, Some(next)));
            }
            cursor = Some((seq, rec));
        }
        for (seq, rec) in log.after(cursor, self.since, self.upto) {
            if let Some(next) = walk(seq, rec, 0, &mut out)? {
                return Ok((out, Some(next)));
            }
        }
        Ok((out, None))
    }

    /// The response: the page, then `@odata.nextLink` (more in this round) or
    /// `@odata.deltaLink` (the round is done).
    pub fn respond(
        &self,
        base: &str,
        path: &str,
        context: &str,
        items: Vec<Value>,
        next: Option<Position>,
        now: i64,
    ) -> Response {
        let mut body = Map::new();
        body.insert(
            "@odata.context".into(),
            Value::String(format!("{base}/v1.0/$metadata#{context}")),
        );
        let mut token = Token {
            k: self.kind.clone(),
            u: self.user,
            c: self.collection.clone(),
            s: self.since,
            t: self.upto,
            a: next,
            sel: self.select.clone(),
            w: self.window.clone(),
            i: self.issued,
        };
        let link = match next {
            Some(_) => ("@odata.nextLink", "$skiptoken"),
            None => {
                token = Token {
                    s: self.upto,
                    t: 0,
                    a: None,
                    i: now,
                    ..token
                };
                ("@odata.deltaLink", "$deltatoken")
            }
        };
        body.insert(
            link.0.into(),
            Value::String(format!(
                "{base}{}?{}={}",
                versioned(path),
                link.1,
                encode(&token)
            )),
        );
        body.insert("value".into(), Value::Array(items));
        applied(Json(Value::Object(body)).into_response(), &self.applied)
    }
}
