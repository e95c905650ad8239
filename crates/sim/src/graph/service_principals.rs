//! `/servicePrincipals`: list, get (also by `appId`), create, and the app role
//! assignments that grant application permissions (admin consent).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use model::Guid;
use serde_json::{Value, json};

use super::apps::json_body;
use super::odata::{Collection, Listing, Query};
use super::render;
use super::{ByAppId, Principal};
use crate::failure::{GraphFailure, GraphResult};
use crate::reference::Reference;
use crate::state::AppState;
use crate::tenant::{Assignment, SimServicePrincipal, SpKind, Tenant, assignment_id};

const TYPE: &str = "Microsoft.DirectoryServices.ServicePrincipal";
const FILTERABLE: &[&str] = &[
    "id",
    "appId",
    "displayName",
    "servicePrincipalNames",
    "accountEnabled",
    "servicePrincipalType",
    "tags",
    "appOwnerOrganizationId",
];

fn find(t: &Tenant, id: &str, by_app_id: bool) -> Option<usize> {
    t.service_principals.iter().position(|s| {
        if by_app_id {
            s.app_id.to_string().eq_ignore_ascii_case(id)
        } else {
            s.id.to_string().eq_ignore_ascii_case(id)
        }
    })
}

/// `GET /servicePrincipals`.
pub async fn list(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
) -> GraphResult<Response> {
    let query = Query::parse(&uri, &headers);
    let t = state.tenant();
    let sps: Vec<&SimServicePrincipal> = t.service_principals.iter().collect();
    let listing = Listing {
        resource: "ServicePrincipal",
        type_name: TYPE,
        context: "servicePrincipals",
        filterable: FILTERABLE,
        default: None,
        sortable: &["displayName"],
    };
    listing.respond(&state.base_url(), &uri, &query, &sps, |sp| {
        render::service_principal(&t, sp)
    })
}

/// `GET /servicePrincipals/{id}` and `/servicePrincipals(appId='…')`.
pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
    by: Option<Extension<ByAppId>>,
    uri: Uri,
    headers: HeaderMap,
) -> GraphResult<Response> {
    let query = Query::parse(&uri, &headers);
    let t = state.tenant();
    let i = find(&t, &id, by.is_some()).ok_or_else(|| GraphFailure::not_found(&id))?;
    let mut v = query.project(
        render::service_principal(&t, &t.service_principals[i]),
        TYPE,
    )?;
    if let Value::Object(m) = &mut v {
        m.insert(
            "@odata.context".into(),
            json!(format!(
                "{}/v1.0/$metadata#servicePrincipals/$entity",
                state.base_url()
            )),
        );
    }
    Ok(Json(v).into_response())
}

/// `POST /servicePrincipals` with `{"appId"}`.
pub async fn create(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    body: Bytes,
) -> GraphResult<Response> {
    let body = json_body(&body)?;
    let app_id = body
        .get("appId")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    if let Principal::User { user_id, .. } = &principal {
        let t = state.tenant();
        let admin = t.user(user_id).is_some_and(|(_, u)| u.is_admin());
        let owner = t
            .app_by_app_id(&app_id)
            .is_some_and(|a| a.owners.iter().any(|o| o.to_string() == *user_id));
        if !admin && !owner {
            return Err(GraphFailure::directory_denied());
        }
    }
    let now = state.now();
    let mut t = state.tenant_mut();
    let Some(app) = t.app_by_app_id(&app_id).cloned() else {
        return Err(GraphFailure::bad_request(format!(
            "The appId '{app_id}' of the service principal does not reference a valid application object."
        )));
    };
    if t.sp_by_app_id(&app_id).is_some() {
        return Err(GraphFailure::new(
            StatusCode::CONFLICT,
            "Request_MultipleObjectsWithSameKeyValue",
            format!(
                "The service principal cannot be created, updated, or restored because the service principal name {app_id} is already in use."
            ),
        ));
    }
    let sp = SimServicePrincipal {
        id: Guid::new_v4(),
        app_id: app.app_id,
        display_name: app.display_name.clone(),
        kind: SpKind::Application,
        created: now,
    };
    let mut v = render::service_principal(&t, &sp);
    t.service_principals.push(sp);
    if let Value::Object(m) = &mut v {
        m.insert(
            "@odata.context".into(),
            json!(format!(
                "{}/v1.0/$metadata#servicePrincipals/$entity",
                state.base_url()
            )),
        );
    }
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

fn assignment_list(
    state: &AppState,
    uri: &Uri,
    headers: &HeaderMap,
    id: &str,
    by: bool,
    of_principal: bool,
) -> GraphResult<Response> {
    let query = Query::parse(uri, headers);
    let size = query.page_size(100, 999)?;
    let t = state.tenant();
    let i = find(&t, id, by).ok_or_else(|| GraphFailure::not_found(id))?;
    let sp_id = t.service_principals[i].id;
    let items = t
        .assignments
        .iter()
        .filter(|a| {
            if of_principal {
                a.principal_id == sp_id
            } else {
                a.resource_id == sp_id
            }
        })
        .map(|a| {
            query.project(
                render::assignment(&t, a),
                "Microsoft.DirectoryServices.AppRoleAssignment",
            )
        })
        .collect::<GraphResult<Vec<_>>>()?;
    Collection {
        base: &state.base_url(),
        path: uri.path(),
        context: "appRoleAssignments",
        query: &query,
    }
    .respond(items, size)
}

/// `GET /servicePrincipals/{id}/appRoleAssignments`: what this principal was granted.
pub async fn assignments(
    State(state): State<AppState>,
    Path(id): Path<String>,
    by: Option<Extension<ByAppId>>,
    uri: Uri,
    headers: HeaderMap,
) -> GraphResult<Response> {
    assignment_list(&state, &uri, &headers, &id, by.is_some(), true)
}

/// `GET /servicePrincipals/{id}/appRoleAssignedTo`: who was granted this resource's roles.
pub async fn assigned_to(
    State(state): State<AppState>,
    Path(id): Path<String>,
    by: Option<Extension<ByAppId>>,
    uri: Uri,
    headers: HeaderMap,
) -> GraphResult<Response> {
    assignment_list(&state, &uri, &headers, &id, by.is_some(), false)
}

/// `POST /servicePrincipals/{id}/appRoleAssignedTo`: grant an application permission.
pub async fn grant(
    State(state): State<AppState>,
    Path(id): Path<String>,
    by: Option<Extension<ByAppId>>,
    Extension(principal): Extension<Principal>,
    body: Bytes,
) -> GraphResult<Response> {
    let body = json_body(&body)?;
    let field = |name: &str| {
        body.get(name)
            .and_then(Value::as_str)
            .and_then(|v| Guid::parse(v, "id").ok())
    };
    let invalid = |p: &str| {
        GraphFailure::bad_request(format!(
            "Invalid value specified for property '{p}' of resource 'AppRoleAssignment'."
        ))
    };
    let principal_id = field("principalId").ok_or_else(|| invalid("principalId"))?;
    let resource_id = field("resourceId").ok_or_else(|| invalid("resourceId"))?;
    let app_role_id = field("appRoleId").ok_or_else(|| invalid("appRoleId"))?;
    if let Principal::User { user_id, .. } = &principal {
        // Granting Microsoft Graph app roles needs Privileged Role Administrator (or Global Administrator).
        let t = state.tenant();
        let allowed = t.user(user_id).is_some_and(|(_, u)| {
            u.directory_roles
                .iter()
                .any(|r| matches!(*r, "Global Administrator" | "Privileged Role Administrator"))
        });
        if !allowed {
            return Err(GraphFailure::directory_denied());
        }
    }
    let now = state.now();
    let mut t = state.tenant_mut();
    let i = find(&t, &id, by.is_some()).ok_or_else(|| GraphFailure::not_found(&id))?;
    let resource = t.service_principals[i].clone();
    if resource.id != resource_id {
        return Err(invalid("resourceId"));
    }
    if !t.service_principals.iter().any(|s| s.id == principal_id) {
        return Err(GraphFailure::not_found(&principal_id.to_string()));
    }
    let role_exists = resource.kind == SpKind::MicrosoftGraph
        && Reference::get()
            .role_by_id(&app_role_id.to_string())
            .is_some();
    if !role_exists {
        return Err(GraphFailure::bad_request(format!(
            "Permission being assigned was not found on application '{}'.",
            resource.app_id
        )));
    }
    if t.assignments.iter().any(|a| {
        a.principal_id == principal_id
            && a.resource_id == resource_id
            && a.app_role_id == app_role_id
    }) {
        return Err(GraphFailure::bad_request(
            "Permission being assigned already exists on the object.",
        ));
    }
    let a = Assignment {
        id: assignment_id(principal_id, Guid::new_v4()),
        principal_id,
        resource_id,
        app_role_id,
        created: now,
    };
    let mut v = render::assignment(&t, &a);
    t.assignments.push(a);
    if let Value::Object(m) = &mut v {
        m.insert(
            "@odata.context".into(),
            json!(format!(
                "{}/v1.0/$metadata#servicePrincipals('{}')/appRoleAssignedTo/$entity",
                state.base_url(),
                resource.id
            )),
        );
    }
    Ok((StatusCode::CREATED, Json(v)).into_response())
}
