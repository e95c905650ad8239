//! `POST /$batch`: up to 20 requests, run through the same router (so each is
//! authenticated, throttled and authorized on its own), concurrently as their
//! `dependsOn` allow, Outlook requests at most 4 at a time (the rest wait, as
//! Graph queues them); a failed dependency answered 424.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use model::wire::batch::{
    BatchRequest, BatchRequestItem, BatchResponse, BatchResponseItem, MAX_BATCH_REQUESTS,
};
use serde_json::{Value, json};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tower::ServiceExt;

use crate::failure::{GraphFailure, GraphResult, REQUEST, RequestContext};
use crate::state::AppState;

fn bad(message: &str) -> GraphFailure {
    GraphFailure::new(StatusCode::BAD_REQUEST, "BadRequest", message)
}

/// `POST /$batch`.
pub async fn batch(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> GraphResult<Response> {
    let batch: BatchRequest =
        serde_json::from_slice(&body).map_err(|_| bad("Invalid batch payload format."))?;
    if batch.requests.is_empty() {
        return Err(bad("Batch request must contain at least one request."));
    }
    if batch.requests.len() > MAX_BATCH_REQUESTS {
        return Err(bad(&format!(
            "Maximum number of requests allowed in a batch is {MAX_BATCH_REQUESTS}."
        )));
    }
    let mut ids: Vec<String> = Vec::new();
    for r in &batch.requests {
        let id = r.id.to_ascii_lowercase();
        if ids.contains(&id) {
            return Err(bad(&format!(
                "Batch request contains duplicate request Id '{}'.",
                r.id
            )));
        }
        ids.push(id);
    }
    for r in &batch.requests {
        for dep in r.depends_on.iter().flatten() {
            if !ids.contains(&dep.to_ascii_lowercase()) {
                return Err(bad(&format!(
                    "Request with id '{}' depends on request '{dep}', which is not in the batch.",
                    r.id
                )));
            }
        }
        if r.url
            .trim_start_matches('/')
            .to_ascii_lowercase()
            .starts_with("$batch")
        {
            return Err(bad("Nested batch requests are not supported."));
        }
    }
    let Some(router) = state.router() else {
        return Err(GraphFailure::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "serviceNotAvailable",
            "The batch service is starting.",
        ));
    };

    if let Some(cycle) = cycle(&batch.requests) {
        return Err(bad(&format!(
            "The dependsOn references of the batch form a cycle (through request '{cycle}')."
        )));
    }
    let responses = dispatch(&state, router, headers, batch.requests).await;
    Ok(Json(BatchResponse {
        responses,
        next_link: None,
    })
    .into_response())
}

/// The id of a request that is part of a `dependsOn` cycle, if there is one.
fn cycle(requests: &[BatchRequestItem]) -> Option<String> {
    let mut done: Vec<String> = Vec::new();
    let mut pending: Vec<&BatchRequestItem> = requests.iter().collect();
    while !pending.is_empty() {
        let ready = pending.iter().position(|r| {
            r.depends_on
                .iter()
                .flatten()
                .all(|d| done.contains(&d.to_ascii_lowercase()))
        });
        match ready {
            Some(pos) => done.push(pending.remove(pos).id.to_ascii_lowercase()),
            None => return pending.first().map(|r| r.id.clone()),
        }
    }
    None
}

/// How many of a batch's Outlook requests Graph runs at once (Microsoft: 4,
/// "irrespective of the target mailbox"); the others wait their turn.
const OUTLOOK_PARALLEL: usize = 4;

/// Runs the requests concurrently as their dependencies complete, Outlook
/// requests at most [`OUTLOOK_PARALLEL`] at a time, and answers in request order.
async fn dispatch(
    state: &AppState,
    router: axum::Router,
    headers: HeaderMap,
    requests: Vec<BatchRequestItem>,
) -> Vec<BatchResponseItem> {
    let requests = Arc::new(requests);
    let headers = Arc::new(headers);
    let outlook_gate = Arc::new(Semaphore::new(OUTLOOK_PARALLEL));
    let queue_outlook = state.throttle.enabled();
    let ctx = RequestContext::current();
    let n = requests.len();
    let mut results: Vec<Option<BatchResponseItem>> = (0..n).map(|_| None).collect();
    let mut statuses: HashMap<String, u16> = HashMap::new();
    let mut started = vec![false; n];
    let mut running = JoinSet::new();
    let mut index_of = HashMap::new();
    loop {
        // Start everything whose dependencies have answered.
        let mut progress = true;
        while progress {
            progress = false;
            for i in 0..n {
                let item = &requests[i];
                if started[i]
                    || !item
                        .depends_on
                        .iter()
                        .flatten()
                        .all(|d| statuses.contains_key(&d.to_ascii_lowercase()))
                {
                    continue;
                }
                started[i] = true;
                let failed_dep = item.depends_on.iter().flatten().any(|d| {
                    statuses
                        .get(&d.to_ascii_lowercase())
                        .is_none_or(|s| *s >= 400)
                });
                if failed_dep {
                    statuses.insert(item.id.to_ascii_lowercase(), 424);
                    results[i] = Some(failed_dependency(&item.id));
                    progress = true;
                    continue;
                }
                let gate = (queue_outlook
                    && crate::throttle::outlook::mailbox_target(&item.url).is_some())
                .then(|| outlook_gate.clone());
                let (router, headers, requests) =
                    (router.clone(), headers.clone(), requests.clone());
                let task = REQUEST.scope(ctx.clone(), async move {
                    let _turn = match gate {
                        Some(g) => g.acquire_owned().await.ok(),
                        None => None,
                    };
                    run(&router, &headers, &requests[i]).await
                });
                let handle = running.spawn(task);
                index_of.insert(handle.id(), i);
            }
        }
        let Some(joined) = running.join_next_with_id().await else {
            break;
        };
        let (i, response) = match joined {
            Ok((id, response)) => (index_of.get(&id).copied(), response),
            Err(e) => {
                let i = index_of.get(&e.id()).copied();
                let id = i.map(|i| requests[i].id.clone()).unwrap_or_default();
                tracing::error!(error = %e, "a batch request failed to run");
                let error = GraphFailure::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "InternalServerError",
                    "An internal server error occurred. The operation failed.",
                );
                (
                    i,
                    BatchResponseItem {
                        id,
                        status: 500,
                        headers: None,
                        body: Some(json!({"error": error.body().error})),
                    },
                )
            }
        };
        if let Some(i) = i {
            statuses.insert(requests[i].id.to_ascii_lowercase(), response.status);
            results[i] = Some(response);
        }
    }
    results.into_iter().flatten().collect()
}

fn failed_dependency(id: &str) -> BatchResponseItem {
    BatchResponseItem {
        id: id.to_owned(),
        status: 424,
        headers: Some(BTreeMap::from([(
            "Content-Type".to_owned(),
            "application/json".to_owned(),
        )])),
        body: Some(
            json!({"error": GraphFailure::new(StatusCode::FAILED_DEPENDENCY, "FailedDependency", "Dependent request failed.").body().error}),
        ),
    }
}

async fn run(
    router: &axum::Router,
    outer: &HeaderMap,
    item: &BatchRequestItem,
) -> BatchResponseItem {
    let url = format!("/v1.0/{}", item.url.trim_start_matches('/'));
    let method = match item.method.to_ascii_uppercase().as_str() {
        "GET" => Method::GET,
        "POST" => Method::POST,
        "PATCH" => Method::PATCH,
        "PUT" => Method::PUT,
        "DELETE" => Method::DELETE,
        other => {
            let error = bad(&format!(
                "Invalid HTTP method '{other}' in batch request '{}'.",
                item.id
            ));
            return BatchResponseItem {
                id: item.id.clone(),
                status: 400,
                headers: None,
                body: Some(json!({"error": error.body().error})),
            };
        }
    };
    let mut builder = Request::builder().method(method).uri(&url);
    if let Some(auth) = outer.get("authorization") {
        builder = builder.header("authorization", auth.clone());
    }
    builder = builder.header(
        "client-request-id",
        RequestContext::current().client_request_id,
    );
    let mut content_type = String::from("application/json");
    for (k, v) in item.headers.iter().flatten() {
        if k.eq_ignore_ascii_case("content-type") {
            content_type = v.clone();
        }
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(k.as_bytes()),
            HeaderValue::from_str(v),
        ) {
            builder = builder.header(name, value);
        }
    }
    let body = match &item.body {
        None => Body::empty(),
        Some(Value::String(s)) if !content_type.contains("json") => {
            Body::from(STANDARD.decode(s).unwrap_or_default())
        }
        Some(v) => Body::from(serde_json::to_vec(v).unwrap_or_default()),
    };
    let request = match builder.body(body) {
        Ok(mut r) => {
            r.extensions_mut().insert(crate::faults::BatchItem);
            crate::server::normalize(r)
        }
        Err(_) => {
            return BatchResponseItem {
                id: item.id.clone(),
                status: 400,
                headers: None,
                body: Some(json!({"error": bad("Invalid request in batch.").body().error})),
            };
        }
    };
    let response = match router.clone().oneshot(request).await {
        Ok(r) => r,
        Err(never) => match never {},
    };
    let status = response.status().as_u16();
    let mut headers = BTreeMap::new();
    for name in [
        "content-type",
        "retry-after",
        "location",
        "x-ms-resource-unit",
        "x-ms-throttle-scope",
        "x-ms-throttle-information",
    ] {
        if let Some(v) = response.headers().get(name).and_then(|v| v.to_str().ok()) {
            headers.insert(canonical(name), v.to_owned());
        }
    }
    let is_json = headers
        .get("Content-Type")
        .is_some_and(|c| c.contains("json"));
    let bytes = axum::body::to_bytes(response.into_body(), 64 * 1024 * 1024)
        .await
        .unwrap_or_default();
    let body = if bytes.is_empty() {
        None
    } else if is_json {
        serde_json::from_slice(&bytes).ok()
    } else {
        Some(Value::String(STANDARD.encode(&bytes)))
    };
    BatchResponseItem {
        id: item.id.clone(),
        status,
        headers: Some(headers),
        body,
    }
}

fn canonical(name: &str) -> String {
    match name {
        "content-type" => "Content-Type".to_owned(),
        "retry-after" => "Retry-After".to_owned(),
        "location" => "Location".to_owned(),
        other => other.to_owned(),
    }
}
