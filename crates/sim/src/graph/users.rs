//! `/users`, `/users/{id}`, `/users/delta`, `/me`.

use axum::Extension;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::Principal;
use super::delta::Plan;
use super::odata::{Collection, Query};
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

/// Applies `$search="prop:value"` (AND of clauses) as the directory does: a
/// case-insensitive match of the start of any word.
pub fn search_matches(entity: &Value, search: &str) -> bool {
    let clauses = search.split(" AND ").map(|c| c.trim().trim_matches('"'));
    clauses.into_iter().all(|clause| {
        let Some((prop, value)) = clause.split_once(':') else {
            return false;
        };
        let have = entity
            .get(prop)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_lowercase();
        let want = value.to_lowercase();
        have.starts_with(&want)
            || have
                .split([' ', '.', '@', '-', '_'])
                .any(|w| w.starts_with(&want))
    })
}

/// Sorts by `$orderby` (one property, optional `desc`).
pub fn order(items: &mut [Value], orderby: Option<&str>) {
    let Some(orderby) = orderby else { return };
    let mut parts = orderby.split_whitespace();
    let prop = parts.next().unwrap_or_default().to_owned();
    let desc = parts.next().is_some_and(|d| d.eq_ignore_ascii_case("desc"));
    items.sort_by(|a, b| {
        let key = |v: &Value| {
            v.get(&prop)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_lowercase()
        };
        let o = key(a).cmp(&key(b));
        if desc { o.reverse() } else { o }
    });
}

/// `GET /users`.
pub async fn list(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
) -> GraphResult<Response> {
    let query = Query::parse(&uri, &headers);
    query.check_advanced()?;
    let size = query.page_size(100, 999)?;
    let filter = query.filter("User", Some(FILTERABLE))?;
    let base = state.base_url();
    let t = state.tenant();
    let mut items = Vec::new();
    for u in t.users.iter().filter(|u| u.deleted_seq.is_none()) {
        let full = render::user(&t, u);
        if filter.as_ref().is_some_and(|f| !f.matches(&full)) {
            continue;
        }
        if query
            .search
            .as_deref()
            .is_some_and(|s| !search_matches(&full, s))
        {
            continue;
        }
        items.push(full);
    }
    order(&mut items, query.orderby.as_deref());
    let items = items
        .into_iter()
        .map(|full| match &query.select {
            Some(_) => query.project(full, TYPE),
            None => Ok(render::only(full, USER_DEFAULT)),
        })
        .collect::<GraphResult<Vec<_>>>()?;
    Collection {
        base: &base,
        path: uri.path(),
        context: "users",
        query: &query,
    }
    .respond(items, size)
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
        match u.deleted_seq {
            Some(d) if plan.covers(d) && plan.since > 0 => {
                items.push(render::removed(&u.id.to_string(), "changed"))
            }
            Some(_) => {}
            None if plan.covers(u.changed_seq) => {
                let full = render::user(&t, u);
                let mut v = match &plan.select {
                    Some(sel) => {
                        let mut keys: Vec<&str> = sel.iter().map(String::as_str).collect();
                        keys.push("id");
                        render::only(full, &keys)
                    }
                    None => render::only(full, USER_DEFAULT),
                };
                if let Value::Object(m) = &mut v
                    && let Some(sel) = &plan.select
                    && let Some(unknown) = sel.iter().find(|s| !m.contains_key(s.as_str()))
                {
                    return Err(GraphFailure::bad_request(format!(
                        "Could not find a property named '{unknown}' on type '{TYPE}'."
                    )));
                }
                items.push(v);
            }
            None => {}
        }
    }
    Ok(plan.respond(&state.base_url(), uri.path(), "users", items, 100))
}
