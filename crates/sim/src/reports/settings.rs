//! The tenant's report settings (`adminReportSettings`): whether reports
//! conceal user, group and site names (`displayConcealedNames`, `true` by
//! default since 1 September 2021, when Microsoft started to pseudonymize
//! user-level information by default).
//!
//! `GET /admin/reportSettings` needs `ReportSettings.Read.All` and `PATCH`
//! `ReportSettings.ReadWrite.All` (which no standard app holds; tests set the
//! value with `POST /_sim/reportSettings` or `SimConfig.display_concealed_names`).

use axum::extract::{Extension, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::{Json, body::Bytes};
use serde_json::{Value, json};

use crate::failure::{GraphFailure, GraphResult};
use crate::graph::Principal;
use crate::graph::odata::Query;
use crate::state::AppState;

/// `GET /admin/reportSettings`.
pub async fn get_settings(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    uri: Uri,
    headers: HeaderMap,
) -> GraphResult<Response> {
    super::check_role(&state, &principal)?;
    let query = Query::parse(&uri, &headers);
    let settings = query.project(
        json!({"displayConcealedNames": state.reports.concealed()}),
        "microsoft.graph.adminReportSettings",
    )?;
    let mut body = json!({
        "@odata.context": format!("{}/v1.0/$metadata#admin/reportSettings/$entity", state.base_url()),
    });
    if let (Some(out), Value::Object(fields)) = (body.as_object_mut(), settings) {
        out.extend(fields);
    }
    Ok(Json(body).into_response())
}

/// `PATCH /admin/reportSettings` with `{"displayConcealedNames": bool}`: 204.
pub async fn patch_settings(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    body: Bytes,
) -> GraphResult<Response> {
    super::check_role(&state, &principal)?;
    let value: Value = serde_json::from_slice(&body).map_err(|_| {
        GraphFailure::new(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.",
        )
    })?;
    let Some(map) = value.as_object() else {
        return Err(GraphFailure::new(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "The request body must be an adminReportSettings object.",
        ));
    };
    if let Some(unknown) = map
        .keys()
        .find(|k| !k.starts_with('@') && *k != "displayConcealedNames")
    {
        return Err(GraphFailure::new(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            format!(
                "The property '{unknown}' does not exist on type 'microsoft.graph.adminReportSettings'. Make sure to only use property names that are defined by the type or mark the type as open type."
            ),
        ));
    }
    match map.get("displayConcealedNames") {
        Some(Value::Bool(b)) => state.reports.set_concealed(*b),
        None => {}
        Some(_) => {
            return Err(GraphFailure::new(
                StatusCode::BAD_REQUEST,
                "BadRequest",
                "Cannot convert the literal to the expected type 'Edm.Boolean'.",
            ));
        }
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET`/`POST /_sim/reportSettings`: reads or sets `displayConcealedNames`
/// without a Graph permission (`{"displayConcealedNames": bool}`).
pub async fn sim_settings(State(state): State<AppState>, body: Bytes) -> Response {
    if !body.is_empty() {
        match serde_json::from_slice::<Value>(&body)
            .ok()
            .and_then(|v| v.get("displayConcealedNames").and_then(Value::as_bool))
        {
            Some(b) => state.reports.set_concealed(b),
            None => {
                return (
                    StatusCode::BAD_REQUEST,
                    Json(json!({"error": "expected {\"displayConcealedNames\": true|false}"})),
                )
                    .into_response();
            }
        }
    }
    Json(json!({"displayConcealedNames": state.reports.concealed()})).into_response()
}
