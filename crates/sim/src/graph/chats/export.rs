//! The Teams export API for chats: `GET /users/{id}/chats/getAllMessages`,
//! every message of every chat the user is in, with a
//! `lastModifiedDateTime gt … and lastModifiedDateTime lt …` window.
//!
//! The Teams export APIs are no longer metered since 25 August 2025
//! (<https://learn.microsoft.com/graph/teams-licenses>): there is no monthly
//! quota, no licence check and no 402. `model=A` and `model=B` (kept for apps
//! configured for billing) are accepted and change nothing; any other `model`
//! is a 400.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use serde_json::{Map, Value};

use super::query::{self, DateKey, bad_request, decode_position, encode_position};
use super::{Context, not_found, page_body, ready};
use crate::chats::generate::millis;
use crate::chats::{lock, render};
use crate::failure::{GraphFailure, GraphResult};
use crate::graph::odata::{Collection, Query};
use crate::state::AppState;

/// Checks the optional `model` of a request: `A` or `B` (case-insensitive),
/// which no longer change anything.
fn check_model(query: &Query) -> GraphResult<()> {
    let Some((_, value)) = query
        .pairs
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("model"))
    else {
        return Ok(());
    };
    match value.trim() {
        v if v.eq_ignore_ascii_case("A") || v.eq_ignore_ascii_case("B") => Ok(()),
        v => Err(bad_request(format!(
            "Query parameter 'model' does not support value '{v}' for this API. Use billing model 'A' or 'B'."
        ))),
    }
}

/// `GET /users/{id}/chats/getAllMessages`.
pub async fn all_messages(
    State(state): State<AppState>,
    Path(user): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> GraphResult<Response> {
    let query = Query::parse(&uri, &headers);
    let size = query::top(&query)?;
    check_model(&query)?;
    let range = match &query.filter {
        Some(raw) => query::date_filter(raw, DateKey::Modified, &["gt", "lt"])?,
        None => Default::default(),
    };
    let after = match &query.skiptoken {
        Some(t) => {
            let pos = decode_position(t, 3)?;
            let ms: i64 = pos[0]
                .parse()
                .map_err(|_| bad_request("The skip token is not valid."))?;
            Some((
                ms,
                pos[1].clone(),
                pos[2].parse::<i64>().unwrap_or(i64::MAX),
            ))
        }
        None => None,
    };
    let index = {
        let t = state.tenant();
        let index = t.user(&user).map(|(i, _)| i);
        index.ok_or_else(|| not_found(&format!("User '{user}'")))?
    };
    ready(&state).await?;
    let worker = state.clone();
    let rows = tokio::task::spawn_blocking(move || {
        let context = Context::of(&worker);
        let mut rows: Vec<(i64, String, i64, Value)> = Vec::new();
        for shared in worker.chats.of_user(&worker, index) {
            let mut c = lock(&shared);
            let messages = c.messages().clone();
            for m in messages.iter().filter(|m| range.contains(m.modified)) {
                let key = (
                    millis(m.modified),
                    c.id.clone(),
                    m.id.parse::<i64>().unwrap_or(0),
                );
                if let Some(a) = &after
                    && (key.0, key.1.as_str(), key.2) >= (a.0, a.1.as_str(), a.2)
                {
                    continue;
                }
                rows.push((key.0, key.1, key.2, render::message(context.ctx(), &c, m)));
            }
        }
        rows.sort_by(|a, b| (b.0, &b.1, b.2).cmp(&(a.0, &a.1, a.2)));
        rows
    })
    .await
    .map_err(|e| {
        GraphFailure::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalServerError",
            e.to_string(),
        )
    })?;
    let base = state.base_url();
    let next = (rows.len() > size).then(|| {
        let (ms, chat, id, _) = &rows[size - 1];
        Collection {
            base: &base,
            path: uri.path(),
            context: "",
            query: &query,
        }
        .link(
            "$skiptoken",
            &encode_position(&[&ms.to_string(), chat, &id.to_string()]),
        )
    });
    let items: Vec<Value> = rows
        .into_iter()
        .take(size)
        .map(|(_, _, _, v)| {
            let mut out = Map::new();
            out.insert(
                "@odata.type".into(),
                Value::String("#microsoft.graph.chatMessage".into()),
            );
            if let Value::Object(map) = v {
                out.extend(map);
            }
            Value::Object(out)
        })
        .collect();
    Ok(page_body(
        format!("{base}/v1.0/$metadata#Collection(chatMessage)"),
        items,
        next,
    ))
}
