//! The simulated Microsoft identity platform (Entra ID v2.0 endpoints): token
//! issuance for client credentials (secret or certificate), device code,
//! authorization code with PKCE and refresh tokens; OpenID configuration and
//! JWKS; the device sign-in, authorize and admin-consent pages.

mod assertion;
pub mod errors;
mod flows;
mod pages;
pub mod signing;
mod token;

use std::sync::Mutex;

use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;

pub use flows::Flows;
use signing::SigningKey;

use crate::state::AppState;

/// What the identity platform keeps between requests.
pub struct IdentityState {
    /// The token-signing key.
    pub signing: SigningKey,
    /// Pending device codes, authorization codes and refresh tokens.
    pub flows: Mutex<Flows>,
}

/// The identity platform's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/{tenant}/v2.0/.well-known/openid-configuration",
            get(openid_configuration),
        )
        .route("/{tenant}/discovery/v2.0/keys", get(jwks))
        .route("/{tenant}/discovery/keys", get(jwks))
        .route("/{tenant}/oauth2/v2.0/token", post(token::token))
        .route("/{tenant}/oauth2/v2.0/devicecode", post(token::device_code))
        .route(
            "/{tenant}/oauth2/v2.0/authorize",
            get(pages::authorize_form).post(pages::authorize_submit),
        )
        .route(
            "/{tenant}/v2.0/adminconsent",
            get(pages::consent_form).post(pages::consent_submit),
        )
        .route(
            "/devicelogin",
            get(pages::device_login_form).post(pages::device_login_submit),
        )
}

async fn openid_configuration(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
) -> Response {
    let t = state.tenant();
    if !t.matches(&tenant) && !matches!(tenant.as_str(), "common" | "organizations") {
        return errors::AadError::tenant_not_found(&tenant, "invalid_tenant").into_response();
    }
    let base = state.base_url();
    let tid = t.id;
    axum::Json(json!({
        "token_endpoint": format!("{base}/{tid}/oauth2/v2.0/token"),
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        "jwks_uri": format!("{base}/{tid}/discovery/v2.0/keys"),
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": format!("{base}/{tid}/v2.0"),
        "request_uri_parameter_supported": false,
        "userinfo_endpoint": format!("{}/oidc/userinfo", state.base_url()),
        "authorization_endpoint": format!("{base}/{tid}/oauth2/v2.0/authorize"),
        "device_authorization_endpoint": format!("{base}/{tid}/oauth2/v2.0/devicecode"),
        "http_logout_supported": true,
        "frontchannel_logout_supported": true,
        "end_session_endpoint": format!("{base}/{tid}/oauth2/v2.0/logout"),
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "acr", "nonce", "preferred_username", "name", "tid", "ver", "at_hash", "c_hash", "email"],
        "kerberos_endpoint": format!("{base}/{tid}/kerberos"),
        "tenant_region_scope": "NA",
        "cloud_instance_name": "microsoftonline.com",
        "cloud_graph_host_name": "graph.windows.net",
        "msgraph_host": state.base_url().trim_start_matches("https://").trim_start_matches("http://"),
        "rbac_url": "https://pas.windows.net"
    }))
    .into_response()
}

async fn jwks(State(state): State<AppState>) -> Response {
    axum::Json(state.identity.signing.jwks()).into_response()
}
