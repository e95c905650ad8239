//! `/groups`, `/groups/{id}`, members, transitive members, owners, `/groups/delta`.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::delta::Plan;
use super::odata::{Collection, Listing, Query, search_matches};
use super::render;
use crate::failure::{GraphFailure, GraphResult};
use crate::state::AppState;
use crate::tenant::{MemberRef, Tenant};

const TYPE: &str = "Microsoft.DirectoryServices.Group";
const FILTERABLE: &[&str] = &[
    "id",
    "displayName",
    "mail",
    "mailEnabled",
    "mailNickname",
    "securityEnabled",
    "groupTypes",
    "createdDateTime",
    "proxyAddresses",
    "resourceProvisioningOptions",
    "visibility",
    "onPremisesSyncEnabled",
    "isAssignableToRole",
    "expirationDateTime",
    "classification",
    "renewedDateTime",
];

/// `GET /groups`.
pub async fn list(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
) -> GraphResult<Response> {
    let query = Query::parse(&uri, &headers);
    let t = state.tenant();
    let groups: Vec<&crate::tenant::SimGroup> = t
        .groups
        .iter()
        .filter(|g| g.deleted_seq.is_none())
        .collect();
    let listing = Listing {
        resource: "Group",
        type_name: TYPE,
        context: "groups",
        filterable: FILTERABLE,
        default: None,
        sortable: &["displayName"],
    };
    listing.respond(&state.base_url(), &uri, &query, &groups, |g| {
        render::group(&t, g)
    })
}

/// `GET /groups/{id}`.
pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> GraphResult<Response> {
    let query = Query::parse(&uri, &headers);
    let t = state.tenant();
    let (_, g) = t.group(&id).ok_or_else(|| GraphFailure::not_found(&id))?;
    let mut v = query.project(render::group(&t, g), TYPE)?;
    if let Value::Object(m) = &mut v {
        let mut out = serde_json::Map::new();
        out.insert(
            "@odata.context".into(),
            json!(format!(
                "{}/v1.0/$metadata#groups/$entity",
                state.base_url()
            )),
        );
        out.append(m);
        v = Value::Object(out);
    }
    Ok(axum::Json(v).into_response())
}

fn member_collection(
    state: &AppState,
    t: &Tenant,
    uri: &Uri,
    headers: &HeaderMap,
    members: Vec<MemberRef>,
) -> GraphResult<Response> {
    let query = Query::parse(uri, headers);
    // On members, $filter, $search and $orderby need advanced query parameters.
    if (query.filter.is_some() || query.search.is_some() || query.orderby.is_some())
        && !query.advanced()
    {
        return Err(GraphFailure::unsupported_query(
            "The use of query parameters with this API, except for $select, $top and $expand, is supported only with advanced query parameters (ConsistencyLevel: eventual and $count=true). Refer to https://aka.ms/graph-docs/advanced-queries for more information",
        ));
    }
    let size = query.page_size(100, 999)?;
    let filter = query.filter("DirectoryObject", None)?;
    let mut items = Vec::new();
    for m in members {
        let v = render::member(t, m);
        if filter.as_ref().is_some_and(|f| !f.matches(&v))
            || query
                .search
                .as_deref()
                .is_some_and(|s| !search_matches(&v, s))
        {
            continue;
        }
        items.push(query.project(v, "Microsoft.DirectoryServices.DirectoryObject")?);
    }
    Collection {
        base: &state.base_url(),
        path: uri.path(),
        context: "directoryObjects",
        query: &query,
    }
    .respond(items, size)
}

fn live(t: &Tenant, members: Vec<MemberRef>) -> Vec<MemberRef> {
    members
        .into_iter()
        .filter(|m| match m {
            MemberRef::User(i) => t.users[*i].deleted_seq.is_none(),
            MemberRef::Group(i) => t.groups[*i].deleted_seq.is_none(),
        })
        .collect()
}

/// `GET /groups/{id}/members`.
pub async fn members(
    State(state): State<AppState>,
    Path(id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> GraphResult<Response> {
    let t = state.tenant();
    let (_, g) = t.group(&id).ok_or_else(|| GraphFailure::not_found(&id))?;
    let members = live(&t, g.members.clone());
    member_collection(&state, &t, &uri, &headers, members)
}

/// `GET /groups/{id}/transitiveMembers`.
pub async fn transitive_members(
    State(state): State<AppState>,
    Path(id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> GraphResult<Response> {
    let t = state.tenant();
    let (index, _) = t.group(&id).ok_or_else(|| GraphFailure::not_found(&id))?;
    let members = live(&t, t.transitive_members(index));
    member_collection(&state, &t, &uri, &headers, members)
}

/// `GET /groups/{id}/owners`.
pub async fn owners(
    State(state): State<AppState>,
    Path(id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> GraphResult<Response> {
    let t = state.tenant();
    let (_, g) = t.group(&id).ok_or_else(|| GraphFailure::not_found(&id))?;
    let owners = live(&t, g.owners.iter().map(|i| MemberRef::User(*i)).collect());
    member_collection(&state, &t, &uri, &headers, owners)
}

/// `GET /groups/delta` (with `members@delta` when `$select` asks for members).
pub async fn delta(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
) -> GraphResult<Response> {
    let query = Query::parse(&uri, &headers);
    let t = state.tenant();
    let plan = Plan::from_query(&query, t.seq)?;
    let mut items = Vec::new();
    for g in &t.groups {
        let render = || {
            let mut v = plan.project(render::group(&t, g), None, &["members"], TYPE)?;
            if plan.selects("members")
                && let Value::Object(m) = &mut v
            {
                let members = member_delta(&t, g, &plan);
                if !members.is_empty() {
                    m.insert("members@delta".into(), Value::Array(members));
                }
            }
            Ok(v)
        };
        items.extend(plan.entry(&g.id.to_string(), g.changed_seq, g.deleted_seq, render)?);
    }
    Ok(plan.respond(&state.base_url(), uri.path(), "groups", items, 100))
}

/// `members@delta` of a group in a delta round: every member in the first
/// round; afterwards only the members added (and, with `@removed`, removed)
/// since the previous round, as Microsoft reports them.
fn member_delta(t: &Tenant, g: &crate::tenant::SimGroup, plan: &Plan) -> Vec<Value> {
    let reference = |m: MemberRef| match m {
        MemberRef::User(i) => {
            json!({"@odata.type": "#microsoft.graph.user", "id": t.users[i].id.to_string()})
        }
        MemberRef::Group(i) => {
            json!({"@odata.type": "#microsoft.graph.group", "id": t.groups[i].id.to_string()})
        }
    };
    if plan.since == 0 {
        return live(t, g.members.clone())
            .into_iter()
            .map(reference)
            .collect();
    }
    crate::tenant::net_changes(&g.member_log, plan.since, plan.upto)
        .into_iter()
        .map(|c| {
            let mut v = reference(c.member);
            if !c.added
                && let Value::Object(m) = &mut v
            {
                m.insert("@removed".into(), json!({"reason": "deleted"}));
            }
            v
        })
        .collect()
}
