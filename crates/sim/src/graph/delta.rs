//! Directory delta queries: opaque `$skiptoken` / `$deltatoken` that carry the
//! position in the change sequence, `$deltaToken=latest`, `@removed` entries.

use axum::Json;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::odata::Query;
use crate::failure::{GraphFailure, GraphResult};

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Token {
    /// Changes after this sequence number.
    s: u64,
    /// Up to and including this one (fixed for one round of pages).
    u: u64,
    /// Items of this round already returned.
    o: usize,
    /// `$select` of the first request.
    sel: Option<Vec<String>>,
}

fn encode(t: &Token) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(t).unwrap_or_default())
}

fn decode(s: &str) -> Option<Token> {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(s.trim_end_matches('=')).ok()?).ok()
}

/// Which changes one delta request covers.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Changes after this sequence number…
    pub since: u64,
    /// …up to this one.
    pub upto: u64,
    /// Items already returned in this round.
    pub offset: usize,
    /// Properties to return (`None`: the default set).
    pub select: Option<Vec<String>>,
    /// `$deltaToken=latest`: no items, just a link for later.
    pub latest: bool,
}

impl Plan {
    /// Reads the delta position from the request.
    pub fn from_query(query: &Query, current: u64) -> GraphResult<Plan> {
        let bad = || GraphFailure::bad_request("Badly formed token.");
        if let Some(skip) = &query.skiptoken {
            let t = decode(skip).ok_or_else(bad)?;
            return Ok(Plan {
                since: t.s,
                upto: t.u,
                offset: t.o,
                select: t.sel,
                latest: false,
            });
        }
        match query.deltatoken.as_deref() {
            Some(l) if l.eq_ignore_ascii_case("latest") => Ok(Plan {
                since: current,
                upto: current,
                offset: 0,
                select: query.select.clone(),
                latest: true,
            }),
            Some(token) => {
                let t = decode(token).ok_or_else(bad)?;
                Ok(Plan {
                    since: t.s,
                    upto: current,
                    offset: 0,
                    select: t.sel,
                    latest: false,
                })
            }
            None => Ok(Plan {
                since: 0,
                upto: current,
                offset: 0,
                select: query.select.clone(),
                latest: false,
            }),
        }
    }

    /// Whether a change at `seq` belongs to this round.
    pub fn covers(&self, seq: u64) -> bool {
        seq > self.since && seq <= self.upto
    }

    /// One object's entry in this round, if it has one: `@removed` when it was
    /// deleted during the round, its properties (from `render`) when it changed.
    pub fn entry(
        &self,
        id: &str,
        changed_seq: u64,
        deleted_seq: Option<u64>,
        render: impl FnOnce() -> GraphResult<Value>,
    ) -> GraphResult<Option<Value>> {
        match deleted_seq {
            Some(d) if self.covers(d) && self.since > 0 => {
                Ok(Some(super::render::removed(id, "changed")))
            }
            Some(_) => Ok(None),
            None if self.covers(changed_seq) => render().map(Some),
            None => Ok(None),
        }
    }

    /// Whether `$select` asks for `property` (no `$select` asks for everything).
    pub fn selects(&self, property: &str) -> bool {
        self.select
            .as_ref()
            .is_none_or(|s| s.iter().any(|x| x == property))
    }

    /// The `$select`ed properties of `full` and its `id`, or `default` (all of `full`
    /// when `None`). `related` names relationships the caller adds itself (`members`).
    pub fn project(
        &self,
        full: Value,
        default: Option<&[&str]>,
        related: &[&str],
        type_name: &str,
    ) -> GraphResult<Value> {
        let Some(select) = &self.select else {
            return Ok(match default {
                Some(keys) => super::render::only(full, keys),
                None => full,
            });
        };
        let mut keys: Vec<&str> = select
            .iter()
            .map(String::as_str)
            .filter(|s| !related.contains(s))
            .collect();
        keys.push("id");
        let v = super::render::only(full, &keys);
        if let Some(unknown) = keys.iter().find(|k| v.get(**k).is_none()) {
            return Err(GraphFailure::bad_request(format!(
                "Could not find a property named '{unknown}' on type '{type_name}'."
            )));
        }
        Ok(v)
    }

    /// Answers with one page of `items` (the whole round, in order).
    pub fn respond(
        &self,
        base: &str,
        path: &str,
        context: &str,
        items: Vec<Value>,
        page_size: usize,
    ) -> Response {
        let total = items.len();
        let end = if self.latest {
            total
        } else {
            self.offset.saturating_add(page_size).min(total)
        };
        let page: Vec<Value> = if self.latest {
            Vec::new()
        } else {
            items
                .into_iter()
                .skip(self.offset)
                .take(end - self.offset.min(end))
                .collect()
        };
        let mut body = Map::new();
        body.insert(
            "@odata.context".into(),
            Value::String(format!("{base}/v1.0/$metadata#{context}")),
        );
        if end < total {
            let t = Token {
                s: self.since,
                u: self.upto,
                o: end,
                sel: self.select.clone(),
            };
            body.insert(
                "@odata.nextLink".into(),
                Value::String(format!(
                    "{base}{}?$skiptoken={}",
                    super::odata::versioned(path),
                    encode(&t)
                )),
            );
        } else {
            let t = Token {
                s: self.upto,
                u: 0,
                o: 0,
                sel: self.select.clone(),
            };
            body.insert(
                "@odata.deltaLink".into(),
                Value::String(format!(
                    "{base}{}?$deltatoken={}",
                    super::odata::versioned(path),
                    encode(&t)
                )),
            );
        }
        body.insert("value".into(), Value::Array(page));
        Json(Value::Object(body)).into_response()
    }
}
