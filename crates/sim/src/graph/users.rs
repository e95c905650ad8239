//! `/users`, `/users/{id}`, `/users/delta`, `/me`.

use axum::Extension;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::Principal;
use super::delta::Plan;
use super::odata::{Listing, Query};
use super::render::{self, USER_DEFAULT};
use crate::failure::{GraphFailure, GraphResult};
use crate::state::AppState;

const TYPE: &str = "Microsoft.DirectoryServices.User";
/// Properties `$filter` accepts on users without advanced queries.
const FILTERABLE: &[&str] = &[
    "id",
    "displayName",
    "userPrincipalName",
    "mail",
    "accountEnabled",
    "userType",
    "givenName",
    "surname",
    "jobTitle",
    "department",
    "city",
    "country",
    "usageLocation",
    "assignedLicenses",
    "mailNickname",
    "createdDateTime",
    "employeeId",
    "proxyAddresses",
    "otherMails",
    "onPremisesSyncEnabled",
    "companyName",
    "preferredLanguage",
    "imAddresses",
    "assignedPlans",
];

/// `GET /users`.
pub async fn list(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
) -> GraphResult<Response> {
    let query = Query::parse(&uri, &headers);
    let t = state.tenant();
    let users: Vec<&crate::tenant::SimUser> =
        t.users.iter().filter(|u| u.deleted_seq.is_none()).collect();
    let listing = Listing {
        resource: "User",
        type_name: TYPE,
        context: "users",
        filterable: FILTERABLE,
        default: Some(USER_DEFAULT),
        sortable: &["displayName", "userPrincipalName"],
    };
    listing.respond(&state.base_url(), &uri, &query, &users, |u| {
        render::user(&t, u)
    })
}

/// `GET /users/{id}` (object id or user principal name).
pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> GraphResult<Response> {
    let query = Query::parse(&uri, &headers);
    let t = state.tenant();
    let (_, u) = t.user(&id).ok_or_else(|| GraphFailure::not_found(&id))?;
    single(&state.base_url(), &query, render::user(&t, u))
}

fn single(base: &str, query: &Query, full: Value) -> GraphResult<Response> {
    let mut v = match &query.select {
        Some(_) => query.project(full, TYPE)?,
        None => render::only(full, USER_DEFAULT),
    };
    if let Value::Object(map) = &mut v {
        let select = query
            .select
            .as_ref()
            .map(|s| format!("({})", s.join(",")))
            .unwrap_or_default();
        let mut out = serde_json::Map::new();
        out.insert(
            "@odata.context".into(),
            Value::String(format!("{base}/v1.0/$metadata#users{select}/$entity")),
        );
        out.append(map);
        return Ok(axum::Json(Value::Object(out)).into_response());
    }
    Ok(axum::Json(v).into_response())
}

/// `GET /me` (delegated only).
pub async fn me(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    uri: Uri,
    headers: HeaderMap,
) -> GraphResult<Response> {
    let Principal::User { user_id, .. } = principal else {
        return Err(GraphFailure::new(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "/me request is only valid with delegated authentication flow.",
        ));
    };
    let query = Query::parse(&uri, &headers);
    let t = state.tenant();
    let (_, u) = t
        .user(&user_id)
        .ok_or_else(|| GraphFailure::not_found(&user_id))?;
    single(&state.base_url(), &query, render::user(&t, u))
}

/// `GET /users/delta`.
pub async fn delta(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
) -> GraphResult<Response> {
    let query = Query::parse(&uri, &headers);
    let t = state.tenant();
    let plan = Plan::from_query(&query, t.seq)?;
    let mut items = Vec::new();
    for u in &t.users {
        let render = || plan.project(render::user(&t, u), Some(USER_DEFAULT), &[], TYPE);
        items.extend(plan.entry(&u.id.to_string(), u.changed_seq, u.deleted_seq, render)?);
    }
    Ok(plan.respond(&state.base_url(), uri.path(), "users", items, 100))
}
