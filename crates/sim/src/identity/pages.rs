//! The pages a person sees: device sign-in, the authorize sign-in, admin consent.
//!
//! The simulator has no passwords: signing in means naming a user of the tenant.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::http::header::LOCATION;
use axum::response::{Html, IntoResponse, Response};
use model::Guid;

use super::errors::AadError;
use super::flows::DeviceCodeState;
use super::token::{issue_auth_code, parse_form};
use crate::reference::Reference;
use crate::state::AppState;
use crate::tenant::{Assignment, SimServicePrincipal, SpKind};

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn page(title: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{t}</title></head><body><h1>{t}</h1>{body}<p><small>m365vault Microsoft 365 simulator</small></p></body></html>",
        t = escape(title)
    ))
}

fn error_page(status: StatusCode, e: &AadError) -> Response {
    (
        status,
        page(
            "Sign in",
            &format!("<p>AADSTS{}: {}</p>", e.code, escape(&e.message)),
        ),
    )
        .into_response()
}

/// A 302 redirect, as the identity platform sends them.
fn found(url: &str) -> FoundRedirect {
    FoundRedirect(url.to_owned())
}

struct FoundRedirect(String);

impl IntoResponse for FoundRedirect {
    fn into_response(self) -> Response {
        (StatusCode::FOUND, [(LOCATION, self.0)]).into_response()
    }
}

fn hidden(fields: &HashMap<String, String>) -> String {
    fields
        .iter()
        .map(|(k, v)| {
            format!(
                "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
                escape(k),
                escape(v)
            )
        })
        .collect()
}

fn with_query(base: &str, pairs: &[(&str, &str)]) -> String {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    let sep = if base.contains('?') { '&' } else { '?' };
    format!("{base}{sep}{}", s.finish())
}

/// `GET /devicelogin`: enter the code and the account.
pub async fn device_login_form() -> Html<String> {
    page(
        "Enter code",
        "<p>Enter the code displayed on your app or device.</p>\
         <form method=\"post\"><label>Code <input name=\"code\" autofocus></label><br>\
         <label>Account <input name=\"username\" placeholder=\"admin@contoso.onmicrosoft.com\"></label><br>\
         <button name=\"action\" value=\"continue\">Continue</button> <button name=\"action\" value=\"decline\">Cancel</button></form>",
    )
}

/// `POST /devicelogin`: approve (or decline) a device code as a user.
pub async fn device_login_submit(State(state): State<AppState>, body: Bytes) -> Response {
    let form = parse_form(&body);
    let code = form.get("code").cloned().unwrap_or_default();
    let username = form.get("username").cloned().unwrap_or_default();
    let decline = form.get("action").is_some_and(|a| a == "decline");
    // The tenant is read before the flows are locked: locks are always taken tenant first.
    let (user, app_names) = {
        let t = state.tenant();
        let names: Vec<(String, String)> = t
            .apps
            .iter()
            .map(|a| (a.app_id.to_string(), a.display_name.clone()))
            .collect();
        (t.user(&username).map(|(i, _)| i), names)
    };
    let mut flows = state.flows();
    let Some(entry) = flows.by_user_code(&code) else {
        return (
            StatusCode::BAD_REQUEST,
            page(
                "Enter code",
                "<p>That code didn't work. Check the code and try again.</p>",
            ),
        )
            .into_response();
    };
    if entry.state != DeviceCodeState::Pending || state.now() > entry.expires {
        return (StatusCode::BAD_REQUEST, page("Enter code", "<p>That code has expired or was already used. Request a new code from your app.</p>")).into_response();
    }
    if decline {
        entry.state = DeviceCodeState::Declined;
        return page("Sign in canceled", "<p>You have declined to sign in.</p>").into_response();
    }
    let Some(user) = user else {
        return (
            StatusCode::BAD_REQUEST,
            page(
                "Sign in",
                "<p>We couldn't find an account with that username.</p>",
            ),
        )
            .into_response();
    };
    entry.state = DeviceCodeState::Approved(user);
    let app_name = app_names
        .into_iter()
        .find(|(id, _)| id.eq_ignore_ascii_case(&entry.client_id))
        .map(|(_, name)| name)
        .unwrap_or_else(|| "the".to_owned());
    page(&app_name, &format!(
        "<p>You have signed in to the {} application on your device. You may now close this window.</p>",
        escape(&app_name)
    ))
    .into_response()
}

/// `GET /{tenant}/oauth2/v2.0/authorize`: the sign-in page of the authorization code flow.
pub async fn authorize_form(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Err(r) = check_authorize(&state, &tenant, &q) {
        return r;
    }
    let hint = q.get("login_hint").cloned().unwrap_or_default();
    page(
        "Sign in",
        &format!(
            "<form method=\"post\">{}<label>Account <input name=\"username\" value=\"{}\"></label><button>Sign in</button></form>",
            hidden(&q),
            escape(&hint)
        ),
    )
    .into_response()
}

// The error is the page to show; it is returned at once, never carried far.
#[allow(clippy::result_large_err)]
fn check_authorize(
    state: &AppState,
    tenant: &str,
    q: &HashMap<String, String>,
) -> Result<(), Response> {
    let t = state.tenant();
    if !t.matches(tenant) && !matches!(tenant, "organizations" | "common") {
        return Err(error_page(
            StatusCode::BAD_REQUEST,
            &AadError::tenant_not_found(tenant, "invalid_request"),
        ));
    }
    let client_id = q.get("client_id").cloned().unwrap_or_default();
    let Some(app) = t.app_by_app_id(&client_id) else {
        return Err(error_page(
            StatusCode::BAD_REQUEST,
            &AadError::app_not_found(&client_id, tenant),
        ));
    };
    let redirect = q.get("redirect_uri").cloned().unwrap_or_default();
    if !app.redirect_uri_allowed(&redirect) {
        return Err(error_page(
            StatusCode::BAD_REQUEST,
            &AadError::redirect_not_registered(&redirect, &client_id),
        ));
    }
    if q.get("response_type").map(String::as_str) != Some("code") {
        return Err(error_page(
            StatusCode::BAD_REQUEST,
            &AadError::missing_parameter("response_type"),
        ));
    }
    Ok(())
}

/// `POST /{tenant}/oauth2/v2.0/authorize`: the user signs in; redirect with a code.
pub async fn authorize_submit(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    body: Bytes,
) -> Response {
    let form = parse_form(&body);
    if let Err(r) = check_authorize(&state, &tenant, &form) {
        return r;
    }
    let redirect = form.get("redirect_uri").cloned().unwrap_or_default();
    let state_param = form.get("state").cloned().unwrap_or_default();
    let username = form.get("username").cloned().unwrap_or_default();
    let Some(user) = state.tenant().user(&username).map(|(i, _)| i) else {
        return (
            StatusCode::BAD_REQUEST,
            page(
                "Sign in",
                "<p>We couldn't find an account with that username.</p>",
            ),
        )
            .into_response();
    };
    let challenge = form.get("code_challenge").map(|c| {
        (
            c.clone(),
            form.get("code_challenge_method")
                .cloned()
                .unwrap_or_else(|| "plain".to_owned()),
        )
    });
    let client_id = form.get("client_id").cloned().unwrap_or_default();
    let scope = form.get("scope").cloned().unwrap_or_default();
    let result = {
        let t = state.tenant();
        match t.app_by_app_id(&client_id) {
            Some(app) => issue_auth_code(&state, app, &redirect, &scope, user, challenge),
            None => Err(AadError::app_not_found(&client_id, &tenant)),
        }
    };
    match result {
        Ok(code) => found(&with_query(
            &redirect,
            &[("code", &code), ("state", &state_param)],
        ))
        .into_response(),
        Err(e) => found(&with_query(
            &redirect,
            &[
                ("error", e.error),
                (
                    "error_description",
                    &format!("AADSTS{}: {}", e.code, e.message),
                ),
                ("state", &state_param),
            ],
        ))
        .into_response(),
    }
}

/// `GET /{tenant}/v2.0/adminconsent`: the permissions an app asks for, to accept or decline.
pub async fn consent_form(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let t = state.tenant();
    if !t.matches(&tenant) {
        return error_page(
            StatusCode::BAD_REQUEST,
            &AadError::tenant_not_found(&tenant, "invalid_request"),
        );
    }
    let client_id = q.get("client_id").cloned().unwrap_or_default();
    let Some(app) = t.app_by_app_id(&client_id) else {
        return error_page(
            StatusCode::BAD_REQUEST,
            &AadError::app_not_found(&client_id, &tenant),
        );
    };
    if let Err(e) = consent_redirect(app, q.get("redirect_uri").map(String::as_str)) {
        return error_page(StatusCode::BAD_REQUEST, &e);
    }
    let reference = Reference::get();
    let items: String = app
        .required_resource_access
        .iter()
        .flat_map(|r| r.resource_access.iter())
        .filter(|ra| ra.kind == "Role")
        .filter_map(|ra| reference.role_by_id(&ra.id))
        .map(|r| {
            format!(
                "<li>{} <small>({})</small></li>",
                escape(&r.admin_consent_display_name),
                escape(&r.value)
            )
        })
        .collect();
    page(
        "Permissions requested",
        &format!(
            "<p><b>{}</b> asks for these permissions in {}:</p><ul>{items}</ul>\
             <form method=\"post\">{}<label>Administrator <input name=\"username\"></label> \
             <button name=\"action\" value=\"accept\">Accept</button> <button name=\"action\" value=\"cancel\">Cancel</button></form>",
            escape(&app.display_name),
            escape(&t.display_name),
            hidden(&q)
        ),
    )
    .into_response()
}

/// `POST /{tenant}/v2.0/adminconsent`: grant (or decline) the app's application permissions.
pub async fn consent_submit(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    body: Bytes,
) -> Response {
    let form = parse_form(&body);
    let client_id = form.get("client_id").cloned().unwrap_or_default();
    let state_param = form.get("state").cloned().unwrap_or_default();
    let accept = form.get("action").is_some_and(|a| a == "accept");
    let username = form.get("username").cloned().unwrap_or_default();
    // The reply address is checked before anything is granted, and only a registered one is used.
    let redirect = {
        let t = state.tenant();
        match t.app_by_app_id(&client_id) {
            Some(app) => consent_redirect(app, form.get("redirect_uri").map(String::as_str)),
            None => Err(AadError::app_not_found(&client_id, &tenant)),
        }
    };
    let redirect = match redirect {
        Ok(r) => r,
        Err(e) => return error_page(StatusCode::BAD_REQUEST, &e),
    };
    let outcome = grant_consent(&state, &tenant, &client_id, &username, accept);
    let tid = state.tenant().id.to_string();
    let query: Vec<(&str, String)> = match outcome {
        Ok(()) => vec![
            ("admin_consent", "True".to_owned()),
            ("tenant", tid),
            ("scope", "https://graph.microsoft.com/.default".to_owned()),
            ("state", state_param),
        ],
        Err(e) => vec![
            ("admin_consent", "True".to_owned()),
            ("error", e.error.to_owned()),
            (
                "error_description",
                format!("AADSTS{}: {}", e.code, e.message),
            ),
            ("state", state_param),
        ],
    };
    let pairs: Vec<(&str, &str)> = query.iter().map(|(k, v)| (*k, v.as_str())).collect();
    found(&with_query(&redirect, &pairs)).into_response()
}

/// The reply address of an admin consent: the one asked for if the app registered it,
/// else the app's first registered one (AADSTS500113 when it has none).
fn consent_redirect(app: &crate::tenant::AppReg, asked: Option<&str>) -> Result<String, AadError> {
    match asked {
        Some(r) if app.redirect_uri_allowed(r) => Ok(r.to_owned()),
        Some(r) => Err(AadError::redirect_not_registered(
            r,
            &app.app_id.to_string(),
        )),
        None => app
            .web_redirect_uris
            .iter()
            .chain(&app.public_client_redirect_uris)
            .next()
            .cloned()
            .ok_or_else(AadError::no_reply_address),
    }
}

fn grant_consent(
    state: &AppState,
    tenant: &str,
    client_id: &str,
    username: &str,
    accept: bool,
) -> Result<(), AadError> {
    let denied = |code: u64, message: &str| AadError {
        status: StatusCode::FORBIDDEN,
        error: "access_denied",
        code,
        message: message.to_owned(),
    };
    if !accept {
        return Err(denied(65004, "User declined to consent to access the app."));
    }
    let now = state.now();
    let mut t = state.tenant_mut();
    if !t.matches(tenant) {
        return Err(AadError::tenant_not_found(tenant, "invalid_request"));
    }
    let Some((_, user)) = t.user(username) else {
        return Err(denied(
            50034,
            "The user account does not exist in this directory.",
        ));
    };
    if !user
        .directory_roles
        .iter()
        .any(|r| matches!(*r, "Global Administrator" | "Privileged Role Administrator"))
    {
        return Err(denied(90094, "The grant requires admin permission."));
    }
    let Some(app) = t.app_by_app_id(client_id).cloned() else {
        return Err(AadError::app_not_found(client_id, tenant));
    };
    let sp_id = match t.sp_by_app_id(client_id) {
        Some(sp) => sp.id,
        None => {
            // Consent creates the enterprise application when it does not exist yet.
            let sp = SimServicePrincipal {
                id: Guid::new_v4(),
                app_id: app.app_id,
                display_name: app.display_name.clone(),
                kind: SpKind::Application,
                created: now,
            };
            let id = sp.id;
            t.service_principals.push(sp);
            id
        }
    };
    let Some(graph) = t.graph_sp().map(|g| g.id) else {
        return Ok(());
    };
    let roles: Vec<Guid> = app
        .required_resource_access
        .iter()
        .flat_map(|r| r.resource_access.iter())
        .filter(|ra| ra.kind == "Role")
        .filter_map(|ra| Guid::parse(&ra.id, "role").ok())
        .collect();
    for role in roles {
        let exists = t
            .assignments
            .iter()
            .any(|a| a.principal_id == sp_id && a.resource_id == graph && a.app_role_id == role);
        if !exists {
            t.assignments.push(Assignment {
                id: crate::tenant::assignment_id(sp_id, Guid::new_v4()),
                principal_id: sp_id,
                resource_id: graph,
                app_role_id: role,
                created: now,
            });
        }
    }
    Ok(())
}
