//! `/applications`: list, get (also by `appId`), create, update, delete,
//! `addPassword`, `removePassword`, `addKey`.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use model::Guid;
use model::wire::directory::RequiredResourceAccess;
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};

use super::odata::{Listing, Query};
use super::render::{self, ts};
use super::{ByAppId, Principal};
use crate::crypto::{self, b64url};
use crate::failure::{GraphFailure, GraphResult};
use crate::reference::Reference;
use crate::state::{AppState, SimState};
use crate::tenant::{AppReg, SimCertificate, SimSecret, Tenant, new_secret_value};

const TYPE: &str = "Microsoft.DirectoryServices.Application";
const FILTERABLE: &[&str] = &[
    "id",
    "appId",
    "displayName",
    "identifierUris",
    "signInAudience",
    "publisherDomain",
    "createdDateTime",
];

/// Parses a JSON request body, answering as Graph does when it is not JSON.
pub fn json_body(body: &[u8]) -> GraphResult<Value> {
    serde_json::from_slice(body)
        .map_err(|e| GraphFailure::bad_request(format!("Invalid JSON in the request body: {e}")))
}

fn invalid(property: &str) -> GraphFailure {
    GraphFailure::bad_request(format!(
        "Invalid value specified for property '{property}' of resource 'Application'."
    ))
}

fn find(t: &Tenant, id: &str, by_app_id: bool) -> Option<usize> {
    t.apps.iter().position(|a| {
        a.listed
            && if by_app_id {
                a.app_id.to_string().eq_ignore_ascii_case(id)
            } else {
                a.object_id.to_string().eq_ignore_ascii_case(id)
            }
    })
}

fn context(state: &SimState, entity: &str) -> String {
    format!("{}/v1.0/$metadata#{entity}", state.base_url())
}

fn with_context(context: String, v: Value) -> Value {
    let mut out = serde_json::Map::new();
    out.insert("@odata.context".into(), Value::String(context));
    if let Value::Object(m) = v {
        out.extend(m);
    }
    Value::Object(out)
}

/// Delegated callers may change an app they own, or any app as an application administrator.
fn may_change(t: &Tenant, principal: &Principal, app: &AppReg) -> GraphResult<()> {
    if let Principal::User { user_id, .. } = principal {
        let (_, user) = t.user(user_id).ok_or_else(GraphFailure::directory_denied)?;
        if !user.is_admin() && !app.owners.contains(&user.id) {
            return Err(GraphFailure::directory_denied());
        }
    }
    Ok(())
}

/// `GET /applications`.
pub async fn list(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
) -> GraphResult<Response> {
    let query = Query::parse(&uri, &headers);
    // Certificate bytes come back only when `$select` names keyCredentials.
    let with_keys = query
        .select
        .as_ref()
        .is_some_and(|s| s.iter().any(|p| p.eq_ignore_ascii_case("keyCredentials")));
    let t = state.tenant();
    let apps: Vec<&AppReg> = t.apps.iter().filter(|a| a.listed).collect();
    let listing = Listing {
        resource: "Application",
        type_name: TYPE,
        context: "applications",
        filterable: FILTERABLE,
        default: None,
        sortable: &["displayName"],
    };
    listing.respond(&state.base_url(), &uri, &query, &apps, |a| {
        render::application(&t, a, with_keys)
    })
}

/// `GET /applications/{id}` and `/applications(appId='…')`.
pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
    by: Option<Extension<ByAppId>>,
    uri: Uri,
    headers: HeaderMap,
) -> GraphResult<Response> {
    let query = Query::parse(&uri, &headers);
    let with_keys = query
        .select
        .as_ref()
        .is_some_and(|s| s.iter().any(|p| p.eq_ignore_ascii_case("keyCredentials")));
    let t = state.tenant();
    let i = find(&t, &id, by.is_some()).ok_or_else(|| GraphFailure::not_found(&id))?;
    let v = query.project(render::application(&t, &t.apps[i], with_keys), TYPE)?;
    Ok(Json(with_context(context(&state, "applications/$entity"), v)).into_response())
}

fn parse_access(v: &Value) -> GraphResult<Vec<RequiredResourceAccess>> {
    let access: Vec<RequiredResourceAccess> =
        serde_json::from_value(v.clone()).map_err(|_| invalid("requiredResourceAccess"))?;
    let reference = Reference::get();
    for r in &access {
        if !r
            .resource_app_id
            .eq_ignore_ascii_case(model::cloud::GRAPH_APP_ID)
        {
            continue;
        }
        for ra in &r.resource_access {
            let known = match ra.kind.as_str() {
                "Role" => reference.role_by_id(&ra.id).is_some(),
                "Scope" => reference
                    .scopes()
                    .iter()
                    .any(|s| s.id.eq_ignore_ascii_case(&ra.id)),
                _ => false,
            };
            if !known {
                return Err(invalid("requiredResourceAccess"));
            }
        }
    }
    Ok(access)
}

fn parse_certificates(v: &Value, existing: &[SimCertificate]) -> GraphResult<Vec<SimCertificate>> {
    let Value::Array(items) = v else {
        return Err(invalid("keyCredentials"));
    };
    let mut out = Vec::new();
    for item in items {
        let key_id = item
            .get("keyId")
            .and_then(Value::as_str)
            .and_then(|k| Guid::parse(k, "keyId").ok());
        let key = item.get("key").and_then(Value::as_str);
        match (
            key,
            key_id.and_then(|k| existing.iter().find(|c| c.key_id == k)),
        ) {
            (None, Some(kept)) => out.push(kept.clone()),
            (None, None) => return Err(invalid("keyCredentials")),
            (Some(key), _) => {
                if item.get("type").and_then(Value::as_str) != Some("AsymmetricX509Cert")
                    || item.get("usage").and_then(Value::as_str) != Some("Verify")
                {
                    return Err(invalid("keyCredentials"));
                }
                let der = STANDARD
                    .decode(key)
                    .map_err(|_| invalid("keyCredentials"))?;
                let info = crypto::certificate_info(&der).map_err(|_| invalid("keyCredentials"))?;
                let date = |name: &str| {
                    item.get(name).and_then(Value::as_str).and_then(|s| {
                        OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
                            .ok()
                    })
                };
                let start = date("startDateTime").unwrap_or(info.not_before);
                let end = date("endDateTime").unwrap_or(info.not_after);
                if end > info.not_after
                    || start < info.not_before - Duration::minutes(5)
                    || end <= start
                {
                    return Err(invalid("keyCredentials"));
                }
                out.push(SimCertificate {
                    key_id: key_id.unwrap_or_else(Guid::new_v4),
                    display_name: item
                        .get("displayName")
                        .and_then(Value::as_str)
                        .unwrap_or("certificate")
                        .to_owned(),
                    der,
                    sha1: info.sha1,
                    sha256: info.sha256,
                    rsa_public_key_der: info.rsa_public_key_der,
                    start,
                    end,
                });
            }
        }
    }
    Ok(out)
}

fn redirect_uris(v: &Value, key: &str) -> Option<Vec<String>> {
    v.get(key)?.get("redirectUris")?.as_array().map(|a| {
        a.iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect()
    })
}

/// `POST /applications`.
pub async fn create(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    body: Bytes,
) -> GraphResult<Response> {
    let body = json_body(&body)?;
    let Some(display_name) = body
        .get("displayName")
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
    else {
        return Err(GraphFailure::bad_request(
            "Required property 'displayName' is missing or empty.",
        ));
    };
    let now = state.now();
    let access = match body.get("requiredResourceAccess") {
        Some(v) => parse_access(v)?,
        None => Vec::new(),
    };
    let certificates = match body.get("keyCredentials") {
        Some(v) => parse_certificates(v, &[])?,
        None => Vec::new(),
    };
    let owner = match &principal {
        Principal::User { user_id, .. } => Guid::parse(user_id, "user").ok(),
        Principal::App { .. } => None,
    };
    let app = AppReg {
        name: None,
        object_id: Guid::new_v4(),
        app_id: Guid::new_v4(),
        display_name: display_name.to_owned(),
        secrets: Vec::new(),
        certificates,
        required_resource_access: access,
        public_client_redirect_uris: redirect_uris(&body, "publicClient").unwrap_or_default(),
        web_redirect_uris: redirect_uris(&body, "web").unwrap_or_default(),
        is_fallback_public_client: body
            .get("isFallbackPublicClient")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        listed: true,
        created: now,
        owners: owner.into_iter().collect(),
    };
    let mut t = state.tenant_mut();
    let v = render::application(&t, &app, false);
    t.apps.push(app);
    Ok((
        StatusCode::CREATED,
        Json(with_context(context(&state, "applications/$entity"), v)),
    )
        .into_response())
}

/// Finds app `id` and runs `change` on it, all under one write lock, after checking
/// that `principal` (when given) may change it.
fn with_app<T>(
    state: &SimState,
    id: &str,
    by_app_id: bool,
    principal: Option<&Principal>,
    change: impl FnOnce(&mut Tenant, usize) -> GraphResult<T>,
) -> GraphResult<T> {
    let mut t = state.tenant_mut();
    let i = find(&t, id, by_app_id).ok_or_else(|| GraphFailure::not_found(id))?;
    if let Some(p) = principal {
        may_change(&t, p, &t.apps[i])?;
    }
    change(&mut t, i)
}

/// `PATCH /applications/{id}`.
pub async fn update(
    State(state): State<AppState>,
    Path(id): Path<String>,
    by: Option<Extension<ByAppId>>,
    Extension(principal): Extension<Principal>,
    body: Bytes,
) -> GraphResult<Response> {
    let body = json_body(&body)?;
    let access = body
        .get("requiredResourceAccess")
        .map(parse_access)
        .transpose()?;
    with_app(&state, &id, by.is_some(), Some(&principal), |t, i| {
        let app = &mut t.apps[i];
        if let Some(v) = body.get("keyCredentials") {
            app.certificates = parse_certificates(v, &app.certificates)?;
        }
        if let Some(name) = body.get("displayName").and_then(Value::as_str) {
            app.display_name = name.to_owned();
        }
        if let Some(a) = access {
            app.required_resource_access = a;
        }
        if let Some(u) = redirect_uris(&body, "publicClient") {
            app.public_client_redirect_uris = u;
        }
        if let Some(u) = redirect_uris(&body, "web") {
            app.web_redirect_uris = u;
        }
        if let Some(b) = body.get("isFallbackPublicClient").and_then(Value::as_bool) {
            app.is_fallback_public_client = b;
        }
        Ok(StatusCode::NO_CONTENT.into_response())
    })
}

/// `DELETE /applications/{id}`.
pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
    by: Option<Extension<ByAppId>>,
    Extension(principal): Extension<Principal>,
) -> GraphResult<Response> {
    with_app(&state, &id, by.is_some(), Some(&principal), |t, i| {
        // Deleting a registration deletes its service principal in the home tenant,
        // and with it the permissions granted to it.
        let app = t.apps.remove(i);
        let sps: Vec<Guid> = t
            .service_principals
            .iter()
            .filter(|sp| sp.app_id == app.app_id)
            .map(|sp| sp.id)
            .collect();
        t.service_principals.retain(|sp| sp.app_id != app.app_id);
        t.assignments.retain(|a| !sps.contains(&a.principal_id));
        Ok(StatusCode::NO_CONTENT.into_response())
    })
}

/// `POST /applications/{id}/addPassword`.
pub async fn add_password(
    State(state): State<AppState>,
    Path(id): Path<String>,
    by: Option<Extension<ByAppId>>,
    Extension(principal): Extension<Principal>,
    body: Bytes,
) -> GraphResult<Response> {
    let body = if body.is_empty() {
        json!({})
    } else {
        json_body(&body)?
    };
    let pc = body
        .get("passwordCredential")
        .cloned()
        .unwrap_or_else(|| json!({}));
    let date = |name: &str| {
        pc.get(name).and_then(Value::as_str).and_then(|s| {
            OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
        })
    };
    let now = state.now();
    let start = date("startDateTime").unwrap_or(now);
    let end = date("endDateTime").unwrap_or(start + Duration::days(730));
    if end <= start {
        return Err(GraphFailure::bad_request(
            "Invalid value specified for property 'endDateTime' of resource 'PasswordCredential'.",
        ));
    }
    let secret = SimSecret {
        key_id: Guid::new_v4(),
        value: new_secret_value(),
        display_name: pc
            .get("displayName")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        start,
        end,
    };
    let answer = json!({
        "@odata.context": context(&state, "microsoft.graph.passwordCredential"),
        "customKeyIdentifier": null,
        "displayName": secret.display_name,
        "endDateTime": ts(secret.end),
        "hint": secret.hint(),
        "keyId": secret.key_id.to_string(),
        "secretText": secret.value,
        "startDateTime": ts(secret.start),
    });
    with_app(&state, &id, by.is_some(), Some(&principal), |t, i| {
        t.apps[i].secrets.push(secret);
        Ok(Json(answer).into_response())
    })
}

/// `POST /applications/{id}/removePassword`.
pub async fn remove_password(
    State(state): State<AppState>,
    Path(id): Path<String>,
    by: Option<Extension<ByAppId>>,
    Extension(principal): Extension<Principal>,
    body: Bytes,
) -> GraphResult<Response> {
    let body = json_body(&body)?;
    let key_id = body
        .get("keyId")
        .and_then(Value::as_str)
        .and_then(|k| Guid::parse(k, "keyId").ok())
        .ok_or_else(|| invalid("keyId"))?;
    with_app(&state, &id, by.is_some(), Some(&principal), |t, i| {
        let secrets = &mut t.apps[i].secrets;
        let before = secrets.len();
        secrets.retain(|s| s.key_id != key_id);
        if secrets.len() == before {
            return Err(GraphFailure::not_found(&key_id.to_string()));
        }
        Ok(StatusCode::NO_CONTENT.into_response())
    })
}

/// `POST /applications/{id}/addKey`: adds a certificate, with a proof of possession of a
/// current one (an application needs no other permission to roll its own keys).
pub async fn add_key(
    State(state): State<AppState>,
    Path(id): Path<String>,
    by: Option<Extension<ByAppId>>,
    body: Bytes,
) -> GraphResult<Response> {
    let body = json_body(&body)?;
    let now = state.now();
    let proof = body
        .get("proof")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid("proof"))?
        .to_owned();
    let kc = body
        .get("keyCredential")
        .cloned()
        .ok_or_else(|| invalid("keyCredential"))?;
    let context = context(&state, "microsoft.graph.keyCredential");
    with_app(&state, &id, by.is_some(), None, |t, i| {
        let app = &mut t.apps[i];
        let current: Vec<SimCertificate> = app
            .certificates
            .iter()
            .filter(|c| c.start <= now && c.end > now)
            .cloned()
            .collect();
        if current.is_empty() {
            return Err(GraphFailure::bad_request(
                "The application has no valid certificate to prove possession with. Add the first certificate with PATCH /applications/{id} (keyCredentials).",
            ));
        }
        verify_proof(&proof, &current, &app.object_id.to_string(), now)?;
        let mut certs = parse_certificates(&Value::Array(vec![kc]), &[])?;
        let Some(cert) = certs.pop() else {
            return Err(invalid("keyCredential"));
        };
        let answer = json!({
            "@odata.context": context,
            "customKeyIdentifier": STANDARD.encode(cert.sha1),
            "displayName": cert.display_name,
            "endDateTime": ts(cert.end),
            "key": null,
            "keyId": cert.key_id.to_string(),
            "startDateTime": ts(cert.start),
            "type": "AsymmetricX509Cert",
            "usage": "Verify",
        });
        app.certificates.push(cert);
        Ok(Json(answer).into_response())
    })
}

fn verify_proof(
    proof: &str,
    certs: &[SimCertificate],
    object_id: &str,
    now: OffsetDateTime,
) -> GraphResult<()> {
    let bad = || {
        GraphFailure::bad_request(
            "The proof of possession is not valid: sign a JWT with aud 00000002-0000-0000-c000-000000000000, iss = the application's object id, nbf and exp (at most 10 minutes apart) with a current certificate's key.",
        )
    };
    let header = jsonwebtoken::decode_header(proof).map_err(|_| bad())?;
    let thumb = header
        .x5t
        .clone()
        .or(header.kid.clone())
        .unwrap_or_default();
    let cert = certs
        .iter()
        .find(|c| {
            b64url(&c.sha1) == thumb.trim_end_matches('=')
                || hex(&c.sha1).eq_ignore_ascii_case(&thumb)
        })
        .ok_or_else(bad)?;
    let mut validation = Validation::new(Algorithm::RS256);
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.set_audience(&["00000002-0000-0000-c000-000000000000"]);
    validation.required_spec_claims.clear();
    let claims = jsonwebtoken::decode::<Value>(
        proof,
        &DecodingKey::from_rsa_der(&cert.rsa_public_key_der),
        &validation,
    )
    .map_err(|_| bad())?
    .claims;
    let iss_ok = claims
        .get("iss")
        .and_then(Value::as_str)
        .is_some_and(|i| i.eq_ignore_ascii_case(object_id));
    let nbf = claims.get("nbf").and_then(Value::as_i64).ok_or_else(bad)?;
    let exp = claims.get("exp").and_then(Value::as_i64).ok_or_else(bad)?;
    let now = now.unix_timestamp();
    if !iss_ok || exp - nbf > 600 || now < nbf - 300 || now > exp + 300 {
        return Err(bad());
    }
    Ok(())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}
