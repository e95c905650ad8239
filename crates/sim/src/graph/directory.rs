//! `/organization`, `/subscribedSkus` and `/directory/subscriptions`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::odata::Query;
use super::render;
use crate::failure::{GraphFailure, GraphResult};
use crate::state::AppState;

/// `GET /organization`.
pub async fn organization(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
) -> GraphResult<Response> {
    let query = Query::parse(&uri, &headers);
    let t = state.tenant();
    let org = query.project(
        render::organization(&t),
        "Microsoft.DirectoryServices.Organization",
    )?;
    Ok(Json(json!({
        "@odata.context": format!("{}/v1.0/$metadata#organization", state.base_url()),
        "value": [org],
    }))
    .into_response())
}

/// `GET /subscribedSkus`.
pub async fn subscribed_skus(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
) -> GraphResult<Response> {
    let query = Query::parse(&uri, &headers);
    let t = state.tenant();
    let skus = t
        .skus
        .iter()
        .map(|s| {
            query.project(
                render::subscribed_sku(&t, s),
                "Microsoft.DirectoryServices.SubscribedSku",
            )
        })
        .collect::<GraphResult<Vec<_>>>()?;
    Ok(Json(json!({
        "@odata.context": format!("{}/v1.0/$metadata#subscribedSkus", state.base_url()),
        "value": skus,
    }))
    .into_response())
}

const SUBSCRIPTION: &str = "Microsoft.DirectoryServices.CompanySubscription";

/// `GET /directory/subscriptions`: every subscription behind every SKU.
pub async fn subscriptions(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
) -> GraphResult<Response> {
    let query = Query::parse(&uri, &headers);
    let t = state.tenant();
    let value = t
        .skus
        .iter()
        .flat_map(|s| render::company_subscriptions(&t, s))
        .map(|c| query.project(c, SUBSCRIPTION))
        .collect::<GraphResult<Vec<_>>>()?;
    Ok(Json(json!({
        "@odata.context": format!("{}/v1.0/$metadata#directory/subscriptions", state.base_url()),
        "value": value,
    }))
    .into_response())
}

/// `GET /directory/subscriptions/{id}`.
pub async fn subscription(
    State(state): State<AppState>,
    Path(id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> GraphResult<Response> {
    let query = Query::parse(&uri, &headers);
    let t = state.tenant();
    let found = t
        .skus
        .iter()
        .flat_map(|s| render::company_subscriptions(&t, s))
        .find(|c| {
            c["id"]
                .as_str()
                .is_some_and(|c| c.eq_ignore_ascii_case(&id))
        })
        .ok_or_else(|| GraphFailure::not_found(&id))?;
    let mut body = json!({
        "@odata.context": format!("{}/v1.0/$metadata#directory/subscriptions/$entity", state.base_url()),
    });
    if let (Some(out), serde_json::Value::Object(fields)) =
        (body.as_object_mut(), query.project(found, SUBSCRIPTION)?)
    {
        out.extend(fields);
    }
    Ok(Json(body).into_response())
}
