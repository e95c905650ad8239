//! The simulated Microsoft Graph (`/v1.0`): directory endpoints, applications
//! and service principals, `$batch`. Every call is authenticated, authorized
//! against Microsoft's permission data, and throttled as Microsoft documents.

mod apps;
pub mod auth;
mod batch;
mod delta;
mod directory;
pub mod filter;
mod groups;
pub mod odata;
mod render;
mod service_principals;
mod users;

use axum::Router;
use axum::middleware;
use axum::routing::{get, post};

use crate::state::AppState;

pub use auth::Principal;

/// The route templates the simulator serves under `/v1.0`, for the permission-coverage test.
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/users"),
    ("GET", "/users/delta"),
    ("GET", "/users/{id}"),
    ("GET", "/me"),
    ("GET", "/groups"),
    ("GET", "/groups/delta"),
    ("GET", "/groups/{id}"),
    ("GET", "/groups/{id}/members"),
    ("GET", "/groups/{id}/transitiveMembers"),
    ("GET", "/groups/{id}/owners"),
    ("GET", "/organization"),
    ("GET", "/subscribedSkus"),
    ("GET", "/applications"),
    ("POST", "/applications"),
    ("GET", "/applications/{id}"),
    ("PATCH", "/applications/{id}"),
    ("DELETE", "/applications/{id}"),
    ("POST", "/applications/{id}/addPassword"),
    ("POST", "/applications/{id}/removePassword"),
    ("POST", "/applications/{id}/addKey"),
    ("GET", "/servicePrincipals"),
    ("POST", "/servicePrincipals"),
    ("GET", "/servicePrincipals/{id}"),
    ("GET", "/servicePrincipals/{id}/appRoleAssignments"),
    ("GET", "/servicePrincipals/{id}/appRoleAssignedTo"),
    ("POST", "/servicePrincipals/{id}/appRoleAssignedTo"),
];

/// The Graph routes (mounted at `/v1.0`).
pub fn routes(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/users", get(users::list))
        .route("/users/delta", get(users::delta))
        .route("/users/{id}", get(users::get))
        .route("/me", get(users::me))
        .route("/groups", get(groups::list))
        .route("/groups/delta", get(groups::delta))
        .route("/groups/{id}", get(groups::get))
        .route("/groups/{id}/members", get(groups::members))
        .route(
            "/groups/{id}/transitiveMembers",
            get(groups::transitive_members),
        )
        .route("/groups/{id}/owners", get(groups::owners))
        .route("/organization", get(directory::organization))
        .route("/subscribedSkus", get(directory::subscribed_skus))
        .route("/applications", get(apps::list).post(apps::create))
        .route(
            "/applications/{id}",
            get(apps::get).patch(apps::update).delete(apps::delete),
        )
        .route("/applications/{id}/addPassword", post(apps::add_password))
        .route(
            "/applications/{id}/removePassword",
            post(apps::remove_password),
        )
        .route("/applications/{id}/addKey", post(apps::add_key))
        .route(
            "/servicePrincipals",
            get(service_principals::list).post(service_principals::create),
        )
        .route("/servicePrincipals/{id}", get(service_principals::get))
        .route(
            "/servicePrincipals/{id}/appRoleAssignments",
            get(service_principals::assignments),
        )
        .route(
            "/servicePrincipals/{id}/appRoleAssignedTo",
            get(service_principals::assigned_to).post(service_principals::grant),
        )
        .route("/$batch", post(batch::batch))
        .route_layer(middleware::from_fn_with_state(state, auth::authorize))
}

/// Marks a request whose key segment was an alternate key, `(appId='…')`.
#[derive(Debug, Clone, Copy)]
pub struct ByAppId;

/// Graph path segments are case-insensitive; routes use these spellings.
const CANONICAL_SEGMENTS: &[&str] = &[
    "users",
    "delta",
    "me",
    "groups",
    "members",
    "transitiveMembers",
    "owners",
    "organization",
    "subscribedSkus",
    "applications",
    "addPassword",
    "removePassword",
    "addKey",
    "servicePrincipals",
    "appRoleAssignments",
    "appRoleAssignedTo",
    "$batch",
    "v1.0",
];

/// Rewrites a request path so the router can match it: canonical casing of
/// known segments, and `entity(appId='X')` as `entity/X` plus [`ByAppId`].
pub fn normalize_path(path: &str) -> (String, bool) {
    let mut by_app_id = false;
    let mut out = String::with_capacity(path.len());
    for segment in path.split('/').skip(1) {
        out.push('/');
        let decoded = segment
            .replace("%27", "'")
            .replace("%28", "(")
            .replace("%29", ")");
        if let Some((entity, rest)) = decoded.split_once('(')
            && let Some(key) = rest.strip_suffix(')')
            && let Some((name, value)) = key.split_once('=')
            && name.eq_ignore_ascii_case("appId")
        {
            let canonical = CANONICAL_SEGMENTS
                .iter()
                .find(|c| c.eq_ignore_ascii_case(entity))
                .copied()
                .unwrap_or(entity);
            out.push_str(canonical);
            out.push('/');
            out.push_str(value.trim_matches('\''));
            by_app_id = true;
            continue;
        }
        match CANONICAL_SEGMENTS
            .iter()
            .find(|c| c.eq_ignore_ascii_case(segment))
        {
            Some(c) => out.push_str(c),
            None => out.push_str(segment),
        }
    }
    (out, by_app_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_case_and_alternate_keys() {
        assert_eq!(
            normalize_path("/V1.0/Users/ABC/memberOf"),
            ("/v1.0/users/ABC/memberOf".to_owned(), false)
        );
        assert_eq!(
            normalize_path("/v1.0/applications(appId='1234')/addpassword"),
            ("/v1.0/applications/1234/addPassword".to_owned(), true)
        );
        assert_eq!(
            normalize_path(
                "/v1.0/servicePrincipals(appId=%2700000003-0000-0000-c000-000000000000%27)"
            ),
            (
                "/v1.0/servicePrincipals/00000003-0000-0000-c000-000000000000".to_owned(),
                true
            )
        );
    }
}
