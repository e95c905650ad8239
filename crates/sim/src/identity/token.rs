//! `POST /{tenant}/oauth2/v2.0/token` and `POST /{tenant}/oauth2/v2.0/devicecode`.

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use model::cloud::GRAPH_APP_ID;
use model::wire::{DeviceCodeResponse, TokenResponse};
use serde_json::json;
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};

use super::assertion;
use super::errors::AadError;
use super::flows::{AuthCode, DeviceCode, DeviceCodeState, RefreshGrant, random_code, user_code};
use crate::reference::Reference;
use crate::state::{AppState, SimState};
use crate::tenant::{AppReg, Tenant};

/// Access tokens live this long (what `expires_in` says).
const TOKEN_LIFETIME: i64 = 3599;
/// Refresh tokens expire after this much inactivity.
const REFRESH_LIFETIME: i64 = 90 * 24 * 3600;
/// Device codes expire after this long.
const DEVICE_CODE_LIFETIME: i64 = 900;

pub(super) const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
const OIDC_SCOPES: [&str; 4] = ["openid", "profile", "email", "offline_access"];

/// The delegated permissions Microsoft Graph Command Line Tools gets for `.default`.
const ADMIN_DEFAULT_SCOPES: [&str; 4] = [
    "Application.ReadWrite.All",
    "AppRoleAssignment.ReadWrite.All",
    "Directory.Read.All",
    "User.Read",
];

pub(super) fn parse_form(body: &[u8]) -> HashMap<String, String> {
    url::form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn required<'a>(form: &'a HashMap<String, String>, name: &str) -> Result<&'a str, AadError> {
    form.get(name)
        .map(String::as_str)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| AadError::missing_parameter(name))
}

/// The token endpoint.
pub async fn token(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match issue(&state, &tenant, &headers, &body) {
        Ok(response) => {
            let mut r = Json(response).into_response();
            r.headers_mut().insert(
                "cache-control",
                axum::http::HeaderValue::from_static("no-store, no-cache"),
            );
            r
        }
        Err(e) => e.into_response(),
    }
}

fn issue(
    state: &SimState,
    tenant_param: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<TokenResponse, AadError> {
    {
        let t = state.tenant();
        if !t.matches(tenant_param) {
            return Err(AadError::tenant_not_found(tenant_param, "invalid_request"));
        }
    }
    let form = parse_form(body);
    let grant = required(&form, "grant_type")?;
    match grant {
        "client_credentials" => client_credentials(state, tenant_param, headers, &form),
        DEVICE_CODE_GRANT => device_code_grant(state, tenant_param, headers, &form),
        "authorization_code" => authorization_code_grant(state, tenant_param, headers, &form),
        "refresh_token" => refresh_grant(state, tenant_param, headers, &form),
        other => Err(AadError::unsupported_grant(other)),
    }
}

/// The client of a delegated grant, authenticated.
struct Client<'t> {
    id: String,
    app: &'t AppReg,
    appidacr: &'static str,
}

/// Identifies and authenticates the client of a delegated grant (public clients
/// need no credential).
fn delegated_client<'t>(
    state: &SimState,
    t: &'t Tenant,
    form: &HashMap<String, String>,
    headers: &HeaderMap,
    tenant_param: &str,
) -> Result<Client<'t>, AadError> {
    let (id, auth) = client_auth(form, headers)?;
    let app = t
        .app_by_app_id(&id)
        .ok_or_else(|| AadError::app_not_found(&id, tenant_param))?;
    let appidacr = authenticate(state, t, app, &auth, tenant_param, true)?;
    Ok(Client { id, app, appidacr })
}

/// How the client proved who it is.
enum ClientAuth {
    Secret(String),
    Assertion(String),
    None,
}

fn client_auth(
    form: &HashMap<String, String>,
    headers: &HeaderMap,
) -> Result<(String, ClientAuth), AadError> {
    // HTTP Basic: base64(urlencode(client_id) ":" urlencode(secret)) (RFC 6749 2.3.1).
    if let Some(basic) = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Basic ")
                .or_else(|| v.strip_prefix("basic "))
        })
    {
        let decoded = STANDARD
            .decode(basic.trim())
            .map_err(|_| AadError::malformed_grant())?;
        let text = String::from_utf8(decoded).map_err(|_| AadError::malformed_grant())?;
        let (id, secret) = text.split_once(':').ok_or_else(AadError::malformed_grant)?;
        let unescape = |s: &str| {
            url::form_urlencoded::parse(format!("x={s}").as_bytes())
                .next()
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default()
        };
        return Ok((unescape(id), ClientAuth::Secret(unescape(secret))));
    }
    let client_id = required(form, "client_id")?.to_owned();
    if let Some(secret) = form.get("client_secret") {
        return Ok((client_id, ClientAuth::Secret(secret.clone())));
    }
    if let Some(a) = form.get("client_assertion") {
        let kind = form
            .get("client_assertion_type")
            .map(String::as_str)
            .unwrap_or_default();
        if kind != JWT_BEARER {
            return Err(AadError::missing_parameter("client_assertion_type"));
        }
        return Ok((client_id, ClientAuth::Assertion(a.clone())));
    }
    Ok((client_id, ClientAuth::None))
}

/// Authenticates the client; returns `appidacr` ("0" public, "1" secret, "2" certificate).
fn authenticate(
    state: &SimState,
    t: &Tenant,
    app: &AppReg,
    auth: &ClientAuth,
    tenant_param: &str,
    allow_public: bool,
) -> Result<&'static str, AadError> {
    let now = state.now();
    match auth {
        ClientAuth::Secret(value) => {
            if app.is_fallback_public_client && app.secrets.is_empty() {
                return Err(AadError::public_client_with_credential());
            }
            let app_id = app.app_id.to_string();
            match app.secrets.iter().find(|s| &s.value == value) {
                Some(s) if s.end <= now => Err(AadError::expired_secret(&app_id)),
                Some(s) if s.start > now => Err(AadError::invalid_secret(&app_id)),
                Some(_) => Ok("1"),
                None => Err(AadError::invalid_secret(&app_id)),
            }
        }
        ClientAuth::Assertion(jwt) => {
            assertion::verify(state, t, app, jwt, tenant_param)?;
            Ok("2")
        }
        ClientAuth::None if allow_public && app.is_fallback_public_client => Ok("0"),
        ClientAuth::None => Err(AadError::credential_required()),
    }
}

fn is_graph_resource(state: &SimState, resource: &str) -> bool {
    let r = resource.trim_end_matches('/');
    r.eq_ignore_ascii_case("https://graph.microsoft.com")
        || r.eq_ignore_ascii_case(GRAPH_APP_ID)
        || r.eq_ignore_ascii_case(&state.base_url())
}

fn client_credentials(
    state: &SimState,
    tenant_param: &str,
    headers: &HeaderMap,
    form: &HashMap<String, String>,
) -> Result<TokenResponse, AadError> {
    let (client_id, auth) = client_auth(form, headers)?;
    let scope = required(form, "scope")?;
    let t = state.tenant();
    let app = t
        .app_by_app_id(&client_id)
        .ok_or_else(|| AadError::app_not_found(&client_id, tenant_param))?;
    let appidacr = authenticate(state, &t, app, &auth, tenant_param, false)?;
    let scopes: Vec<&str> = scope.split_whitespace().collect();
    let [single] = scopes.as_slice() else {
        return Err(AadError::scope_needs_default(scope));
    };
    let Some(resource) = single.strip_suffix("/.default") else {
        return Err(AadError::scope_needs_default(scope));
    };
    if !is_graph_resource(state, resource) {
        return Err(AadError::resource_not_found(resource, &t.id.to_string()));
    }
    let sp = t
        .sp_by_app_id(&client_id)
        .ok_or_else(|| AadError::missing_service_principal(&client_id, &t.id.to_string()))?;
    let roles = t.granted_roles(sp.id);
    let now = state.now();
    let tid = t.id.to_string();
    let iss = format!("https://sts.windows.net/{tid}/");
    let mut claims = json!({
        "aud": "https://graph.microsoft.com",
        "iss": iss,
        "iat": now.unix_timestamp(),
        "nbf": now.unix_timestamp() - 300,
        "exp": now.unix_timestamp() + TOKEN_LIFETIME + 300,
        "aio": random_code(40),
        "app_displayname": app.display_name,
        "appid": client_id,
        "appidacr": appidacr,
        "idp": iss,
        "idtyp": "app",
        "oid": sp.id.to_string(),
        "rh": format!("0.{}.", random_code(40)),
        "sub": sp.id.to_string(),
        "tenant_region_scope": "NA",
        "tid": tid,
        "uti": random_code(22),
        "ver": "1.0",
        "xms_tcdt": t.created.unix_timestamp(),
    });
    // Without admin consent, Entra ID still issues a token, without a `roles` claim.
    if !roles.is_empty() {
        claims["roles"] = json!(roles);
    }
    Ok(TokenResponse {
        token_type: "Bearer".to_owned(),
        expires_in: TOKEN_LIFETIME as u64,
        ext_expires_in: Some(TOKEN_LIFETIME as u64),
        access_token: state.identity.signing.sign(&claims),
        refresh_token: None,
        scope: None,
        id_token: None,
    })
}

/// Parses delegated scopes (`https://graph.microsoft.com/X`, `X`, `.default`, OIDC scopes).
fn delegated_scopes(state: &SimState, app: &AppReg, raw: &str) -> Result<Vec<String>, AadError> {
    let reference = Reference::get();
    let mut out: Vec<String> = Vec::new();
    for s in raw.split_whitespace() {
        if OIDC_SCOPES.iter().any(|o| o.eq_ignore_ascii_case(s)) {
            out.push(s.to_ascii_lowercase());
            continue;
        }
        let name = match s.rsplit_once('/') {
            Some((resource, name)) if is_graph_resource(state, resource) => name,
            Some(_) => return Err(AadError::invalid_scope(s)),
            None => s,
        };
        if name == ".default" {
            if app.is_fallback_public_client {
                out.extend(ADMIN_DEFAULT_SCOPES.iter().map(|s| (*s).to_owned()));
            } else {
                for rra in &app.required_resource_access {
                    for ra in rra.resource_access.iter().filter(|r| r.kind == "Scope") {
                        if let Some(sc) = reference
                            .scopes()
                            .iter()
                            .find(|sc| sc.id.eq_ignore_ascii_case(&ra.id))
                        {
                            out.push(sc.value.clone());
                        }
                    }
                }
            }
            continue;
        }
        match reference.scope_by_value(name) {
            Some(scope) => out.push(scope.value.clone()),
            None => return Err(AadError::invalid_scope(s)),
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

fn delegated_tokens(
    state: &SimState,
    t: &Tenant,
    app: &AppReg,
    user_index: usize,
    scopes: &[String],
    appidacr: &str,
) -> Result<TokenResponse, AadError> {
    let reference = Reference::get();
    let user = &t.users[user_index];
    let graph_scopes: Vec<&str> = scopes
        .iter()
        .map(String::as_str)
        .filter(|s| !OIDC_SCOPES.contains(s))
        .collect();
    // Admin-only scopes need an administrator (who consents for the organization at sign-in).
    let needs_admin = graph_scopes
        .iter()
        .any(|s| reference.scope_by_value(s).is_some_and(|sc| sc.is_admin));
    if needs_admin && !user.is_admin() {
        return Err(AadError::consent_required(
            &app.app_id.to_string(),
            &app.display_name,
        ));
    }
    let now = state.now();
    let tid = t.id.to_string();
    let iss = format!("https://sts.windows.net/{tid}/");
    let claims = json!({
        "aud": "https://graph.microsoft.com",
        "iss": iss,
        "iat": now.unix_timestamp(),
        "nbf": now.unix_timestamp() - 300,
        "exp": now.unix_timestamp() + TOKEN_LIFETIME + 300,
        "acr": "1",
        "amr": ["pwd"],
        "app_displayname": app.display_name,
        "appid": app.app_id.to_string(),
        "appidacr": appidacr,
        "family_name": user.surname,
        "given_name": user.given_name,
        "idtyp": "user",
        "ipaddr": "127.0.0.1",
        "name": user.display_name,
        "oid": user.id.to_string(),
        "platf": "14",
        "scp": graph_scopes.join(" "),
        "sub": random_code(43),
        "tenant_region_scope": "NA",
        "tid": tid,
        "unique_name": user.user_principal_name,
        "upn": user.user_principal_name,
        "uti": random_code(22),
        "ver": "1.0",
        "wids": if user.is_admin() { json!(["62e90394-69f5-4237-9190-012177145e10"]) } else { json!([]) },
        "xms_tcdt": t.created.unix_timestamp(),
    });
    let offline = scopes.iter().any(|s| s == "offline_access");
    let refresh_token = offline.then(|| {
        let token = format!("0.A{}", random_code(120));
        state.flows().refresh_tokens.insert(
            token.clone(),
            RefreshGrant {
                client_id: app.app_id.to_string(),
                scopes: scopes.to_vec(),
                user: user_index,
                expires: now + Duration::seconds(REFRESH_LIFETIME),
            },
        );
        token
    });
    let id_token = scopes.iter().any(|s| s == "openid").then(|| {
        state.identity.signing.sign(&json!({
            "aud": app.app_id.to_string(),
            "iss": format!("{}/{tid}/v2.0", state.base_url()),
            "iat": now.unix_timestamp(),
            "nbf": now.unix_timestamp(),
            "exp": now.unix_timestamp() + TOKEN_LIFETIME,
            "name": user.display_name,
            "oid": user.id.to_string(),
            "preferred_username": user.user_principal_name,
            "sub": random_code(43),
            "tid": tid,
            "ver": "2.0",
        }))
    });
    let mut granted: Vec<String> = graph_scopes
        .iter()
        .map(|s| format!("https://graph.microsoft.com/{s}"))
        .collect();
    granted.extend(
        scopes
            .iter()
            .filter(|s| OIDC_SCOPES.contains(&s.as_str()))
            .cloned(),
    );
    Ok(TokenResponse {
        token_type: "Bearer".to_owned(),
        expires_in: TOKEN_LIFETIME as u64,
        ext_expires_in: Some(TOKEN_LIFETIME as u64),
        access_token: state.identity.signing.sign(&claims),
        refresh_token,
        scope: Some(granted.join(" ")),
        id_token,
    })
}

fn device_code_grant(
    state: &SimState,
    tenant_param: &str,
    headers: &HeaderMap,
    form: &HashMap<String, String>,
) -> Result<TokenResponse, AadError> {
    let t = state.tenant();
    let Client {
        id: client_id,
        app,
        appidacr,
    } = delegated_client(state, &t, form, headers, tenant_param)?;
    let code = required(form, "device_code")?;
    let now = state.now();
    let (user, scopes) = {
        let mut flows = state.flows();
        let Some(entry) = flows.device_codes.get_mut(code) else {
            return Err(AadError::bad_verification_code());
        };
        if !entry.client_id.eq_ignore_ascii_case(&client_id) {
            return Err(AadError::bad_verification_code());
        }
        if now > entry.expires {
            return Err(AadError::device_code_expired());
        }
        match entry.state {
            DeviceCodeState::Pending => return Err(AadError::authorization_pending()),
            DeviceCodeState::Declined => return Err(AadError::authorization_declined()),
            DeviceCodeState::Redeemed => return Err(AadError::bad_verification_code()),
            DeviceCodeState::Approved(user) => {
                entry.state = DeviceCodeState::Redeemed;
                (user, entry.scopes.clone())
            }
        }
    };
    delegated_tokens(state, &t, app, user, &scopes, appidacr)
}

fn authorization_code_grant(
    state: &SimState,
    tenant_param: &str,
    headers: &HeaderMap,
    form: &HashMap<String, String>,
) -> Result<TokenResponse, AadError> {
    let t = state.tenant();
    let Client {
        id: client_id,
        app,
        appidacr,
    } = delegated_client(state, &t, form, headers, tenant_param)?;
    let code = required(form, "code")?;
    let redirect_uri = required(form, "redirect_uri")?;
    let now = state.now();
    let (user, scopes) = {
        let mut flows = state.flows();
        let Some(entry) = flows.auth_codes.get_mut(code) else {
            return Err(AadError::malformed_grant());
        };
        if !entry.client_id.eq_ignore_ascii_case(&client_id) {
            return Err(AadError::malformed_grant());
        }
        if entry.redeemed {
            return Err(AadError::code_redeemed());
        }
        if now > entry.expires {
            return Err(AadError::grant_expired());
        }
        if entry.redirect_uri != redirect_uri {
            return Err(AadError::redirect_mismatch_at_token());
        }
        if let Some((challenge, method)) = &entry.challenge {
            let verifier = form
                .get("code_verifier")
                .ok_or_else(AadError::pkce_mismatch)?;
            let computed = if method.eq_ignore_ascii_case("S256") {
                URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
            } else {
                verifier.clone()
            };
            if &computed != challenge {
                return Err(AadError::pkce_mismatch());
            }
        }
        entry.redeemed = true;
        (entry.user, entry.scopes.clone())
    };
    delegated_tokens(state, &t, app, user, &scopes, appidacr)
}

fn refresh_grant(
    state: &SimState,
    tenant_param: &str,
    headers: &HeaderMap,
    form: &HashMap<String, String>,
) -> Result<TokenResponse, AadError> {
    let t = state.tenant();
    let Client {
        id: client_id,
        app,
        appidacr,
    } = delegated_client(state, &t, form, headers, tenant_param)?;
    let token = required(form, "refresh_token")?;
    let now = state.now();
    // The token is checked before it is spent: a refused request leaves it usable.
    let grant = {
        let mut flows = state.flows();
        let Some(grant) = flows.refresh_tokens.get(token).cloned() else {
            return Err(AadError::malformed_grant());
        };
        if now > grant.expires {
            flows.refresh_tokens.remove(token);
            return Err(AadError::grant_expired());
        }
        if !grant.client_id.eq_ignore_ascii_case(&client_id) {
            return Err(AadError::malformed_grant());
        }
        grant
    };
    // A narrower scope may be asked for; never a wider one.
    let scopes = match form.get("scope") {
        Some(raw) => {
            let asked = delegated_scopes(state, app, raw)?;
            if asked
                .iter()
                .any(|s| !grant.scopes.contains(s) && s != "offline_access")
            {
                return Err(AadError::consent_required(&client_id, &app.display_name));
            }
            let mut s = asked;
            if grant.scopes.iter().any(|x| x == "offline_access")
                && !s.iter().any(|x| x == "offline_access")
            {
                s.push("offline_access".to_owned());
            }
            s
        }
        None => grant.scopes.clone(),
    };
    // Refresh tokens are single-use: this one is replaced by the new one.
    state.flows().refresh_tokens.remove(token);
    delegated_tokens(state, &t, app, grant.user, &scopes, appidacr)
}

/// The device authorization endpoint.
pub async fn device_code(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    body: Bytes,
) -> Response {
    match start_device_code(&state, &tenant, &body) {
        Ok(r) => Json(r).into_response(),
        Err(e) => e.into_response(),
    }
}

fn start_device_code(
    state: &SimState,
    tenant_param: &str,
    body: &[u8],
) -> Result<DeviceCodeResponse, AadError> {
    let form = parse_form(body);
    let t = state.tenant();
    if !t.matches(tenant_param) {
        return Err(AadError::tenant_not_found(tenant_param, "invalid_request"));
    }
    let client_id = required(&form, "client_id")?;
    let scope = required(&form, "scope")?;
    let app = t
        .app_by_app_id(client_id)
        .ok_or_else(|| AadError::app_not_found(client_id, tenant_param))?;
    if !app.is_fallback_public_client {
        return Err(AadError::credential_required());
    }
    let scopes = delegated_scopes(state, app, scope)?;
    let device_code = format!("DAQABAAEAAAD{}", random_code(100));
    let code = user_code();
    let uri = format!("{}/devicelogin", state.base_url());
    state.flows().device_codes.insert(
        device_code.clone(),
        DeviceCode {
            user_code: code.clone(),
            client_id: client_id.to_owned(),
            scopes,
            expires: state.now() + Duration::seconds(DEVICE_CODE_LIFETIME),
            state: DeviceCodeState::Pending,
        },
    );
    Ok(DeviceCodeResponse {
        device_code,
        message: format!(
            "To sign in, use a web browser to open the page {uri} and enter the code {code} to authenticate."
        ),
        user_code: code,
        verification_uri: uri,
        expires_in: DEVICE_CODE_LIFETIME as u64,
        interval: state.config.device_code_interval_secs,
    })
}

/// Issues an authorization code (used by the authorize page).
pub(super) fn issue_auth_code(
    state: &SimState,
    app: &AppReg,
    redirect_uri: &str,
    scope: &str,
    user: usize,
    challenge: Option<(String, String)>,
) -> Result<String, AadError> {
    let scopes = delegated_scopes(state, app, scope)?;
    let code = format!("1.A{}", random_code(150));
    state.flows().auth_codes.insert(
        code.clone(),
        AuthCode {
            client_id: app.app_id.to_string(),
            redirect_uri: redirect_uri.to_owned(),
            scopes,
            user,
            challenge,
            expires: state.now() + Duration::minutes(10),
            redeemed: false,
        },
    );
    Ok(code)
}

/// `now` as the identity platform prints it in messages.
pub(super) fn iso(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
