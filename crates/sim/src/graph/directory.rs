//! `/organization` and `/subscribedSkus`.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::odata::Query;
use super::render;
use crate::failure::GraphResult;
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
