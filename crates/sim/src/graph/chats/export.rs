//! The Teams export API for chats: `GET /users/{id}/chats/getAllMessages`,
//! every message of every chat the user is in, with a
//! `lastModifiedDateTime gt … and lastModifiedDateTime lt …` window.
//!
//! Licensing and payment follow Microsoft's "Payment models and licensing
//! requirements for Microsoft Teams APIs": `model=A` needs the named user to
//! hold a licence with Communications DLP (Microsoft 365 E5 here), else 402;
//! `model=B` has no licence requirement; without `model` the call runs in
//! evaluation mode, 500 messages per app per tenant per calendar month (a page
//! that returns nothing counts as one), after which it answers 402.

use axum::Extension;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use serde_json::{Map, Value};

use super::query::{self, DateKey, bad_request, decode_position, encode_position};
use super::{Context, not_found, page_body, ready};
use crate::chats::generate::millis;
use crate::chats::{lock, render};
use crate::failure::{GraphFailure, GraphResult};
use crate::graph::auth::Principal;
use crate::graph::odata::{Collection, Query};
use crate::state::AppState;
use crate::tenant::Tenant;

/// Messages an app may read per tenant per month in evaluation mode.
pub const EVALUATION_QUOTA: u64 = 500;

/// The payment model of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Model {
    A,
    B,
    Evaluation,
}

fn payment_required(message: String) -> GraphFailure {
    GraphFailure::new(StatusCode::PAYMENT_REQUIRED, "PaymentRequired", message)
}

fn model(query: &Query) -> GraphResult<Model> {
    let Some((_, value)) = query
        .pairs
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("model"))
    else {
        return Ok(Model::Evaluation);
    };
    match value.trim() {
        v if v.eq_ignore_ascii_case("A") => Ok(Model::A),
        v if v.eq_ignore_ascii_case("B") => Ok(Model::B),
        v => Err(bad_request(format!(
            "Query parameter 'model' does not support value '{v}' for this API. Use billing model 'A' or 'B'."
        ))),
    }
}

/// Whether user `index` holds a licence that includes Communications DLP.
fn dlp_licensed(t: &Tenant, index: usize) -> bool {
    t.users[index].licenses.iter().any(|l| {
        t.skus
            .iter()
            .any(|s| s.sku_id == *l && s.part_number.contains("E5"))
    })
}

/// Charges `count` messages (at least one) to the app's evaluation quota.
fn charge_evaluation(state: &AppState, app: &str, count: usize) -> GraphResult<()> {
    let now = state.now();
    let month = (now.year(), u8::from(now.month()));
    let mut quota = state
        .chats
        .evaluation
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    let entry = quota.entry(app.to_owned()).or_insert((month.0, month.1, 0));
    if (entry.0, entry.1) != month {
        *entry = (month.0, month.1, 0);
    }
    if entry.2 >= EVALUATION_QUOTA {
        return Err(payment_required(
            "Evaluation capacity for the month has exceeded. To continue beyond the evaluation limits complete billing onboarding, see https://aka.ms/teams-api-payment-requirements for details.".into(),
        ));
    }
    entry.2 += count.max(1) as u64;
    Ok(())
}

/// `GET /users/{id}/chats/getAllMessages`.
pub async fn all_messages(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(user): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> GraphResult<Response> {
    let query = Query::parse(&uri, &headers);
    let size = query::top(&query)?;
    let model = model(&query)?;
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
    let (index, licensed) = {
        let t = state.tenant();
        let index = t.user(&user).map(|(i, _)| i);
        let index = index.ok_or_else(|| not_found(&format!("User '{user}'")))?;
        (index, dlp_licensed(&t, index))
    };
    if model == Model::A && !licensed {
        return Err(payment_required(format!(
            "User '{user}' needs a valid license to access this API with model=A: a licence with Microsoft Communications DLP, such as Microsoft 365 E5. See https://aka.ms/teams-api-payment-requirements for details."
        )));
    }
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
    let count = rows.len().min(size);
    if model == Model::Evaluation {
        charge_evaluation(&state, principal.app_id(), count)?;
    }
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
