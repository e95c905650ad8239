//! Authentication, authorization and throttling of every Graph call.

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use model::permissions;

use crate::failure::GraphFailure;
use crate::graph::odata::Query;
use crate::identity::signing::TokenRejection;
use crate::reference::Reference;
use crate::state::SimState;
use crate::throttle::{self, Decision};

/// Who is calling.
#[derive(Debug, Clone)]
pub enum Principal {
    /// An application with its own identity (client credentials).
    App {
        /// The client id.
        app_id: String,
        /// The service principal's object id.
        sp_id: String,
        /// Application permissions in the token.
        roles: Vec<String>,
    },
    /// A signed-in user through an application (delegated).
    User {
        /// The client id.
        app_id: String,
        /// The user's object id.
        user_id: String,
        /// Delegated permissions in the token.
        scopes: Vec<String>,
    },
}

impl Principal {
    /// The calling application's client id.
    pub fn app_id(&self) -> &str {
        match self {
            Principal::App { app_id, .. } | Principal::User { app_id, .. } => app_id,
        }
    }

    /// The permissions the token carries (roles for apps, scopes for users).
    pub fn held(&self) -> &[String] {
        match self {
            Principal::App { roles, .. } => roles,
            Principal::User { scopes, .. } => scopes,
        }
    }

    /// Whether the principal holds `permission`, directly or through a broader one.
    pub fn holds(&self, permission: &str) -> bool {
        self.held()
            .iter()
            .any(|h| permissions::implies(h, permission))
    }
}

fn unauthorized(state: &SimState, message: &str) -> GraphFailure {
    GraphFailure::new(
        StatusCode::UNAUTHORIZED,
        "InvalidAuthenticationToken",
        message,
    )
    .with_header(
        "www-authenticate",
        format!(
            "Bearer realm=\"\", authorization_uri=\"{}/common/oauth2/authorize\", client_id=\"{}\"",
            state.base_url(),
            model::cloud::GRAPH_APP_ID
        ),
    )
}

/// Validates the bearer token of a request.
pub fn authenticate(
    state: &SimState,
    header: Option<&HeaderValue>,
) -> Result<Principal, GraphFailure> {
    let token = header
        .and_then(|h| h.to_str().ok())
        .and_then(|h| {
            h.split_once(' ')
                .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
                .map(|(_, t)| t.trim())
        })
        .unwrap_or_default();
    if token.is_empty() {
        return Err(unauthorized(state, "Access token is empty."));
    }
    let claims = match state.identity.signing.verify(token) {
        Ok(c) => c,
        Err(TokenRejection::Malformed) if !token.contains('.') => {
            return Err(unauthorized(
                state,
                "IDX14100: JWT is not well formed, there are no dots (.).\nThe token needs to be in JWS or JWE Compact Serialization Format. (JWS): 'EncodedHeader.EncodedPayload.EncodedSignature'. (JWE): 'EncodedProtectedHeader.EncodedEncryptedKey.EncodedInitializationVector.EncodedCiphertext.EncodedAuthenticationTag'.",
            ));
        }
        Err(_) => return Err(unauthorized(state, "Access token validation failure.")),
    };
    if !matches!(
        claims.aud.trim_end_matches('/'),
        "https://graph.microsoft.com" | model::cloud::GRAPH_APP_ID
    ) {
        return Err(unauthorized(
            state,
            "Access token validation failure. Invalid audience.",
        ));
    }
    let t = state.tenant();
    let tid = t.id.to_string();
    if claims.tid.as_deref() != Some(tid.as_str())
        || claims.iss != format!("https://sts.windows.net/{tid}/")
    {
        return Err(unauthorized(
            state,
            "Access token validation failure. Invalid issuer.",
        ));
    }
    let now = state.now().unix_timestamp();
    if claims.exp <= now {
        return Err(unauthorized(
            state,
            "Lifetime validation failed, the token is expired.",
        ));
    }
    if claims.nbf > now + 300 {
        return Err(unauthorized(
            state,
            "Access token has expired or is not yet valid.",
        ));
    }
    let app_id = claims.appid.clone().unwrap_or_default();
    let oid = claims.oid.clone().unwrap_or_default();
    if claims.idtyp.as_deref() == Some("user") || claims.scp.is_some() {
        if t.user(&oid).is_none() {
            return Err(unauthorized(state, "Access token validation failure."));
        }
        Ok(Principal::User {
            app_id,
            user_id: oid,
            scopes: claims.scopes().map(str::to_owned).collect(),
        })
    } else {
        Ok(Principal::App {
            app_id,
            sp_id: oid,
            roles: claims.roles().to_vec(),
        })
    }
}

/// The route template of a request, as Microsoft's permission data writes paths:
/// `/users/{id}/memberof`.
pub fn template(matched: &str) -> String {
    let path = matched.strip_prefix("/v1.0").unwrap_or(matched);
    path.split('/')
        .map(|seg| {
            if seg.starts_with('{') {
                "{id}".to_owned()
            } else {
                seg.to_ascii_lowercase()
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Whether a permission name only reads (`Directory.Read.All`, `User.Read`).
fn read_only(permission: &str) -> bool {
    let parts: Vec<&str> = permission.split('.').collect();
    parts.iter().any(|p| p.starts_with("Read")) && !parts.iter().any(|p| p.contains("Write"))
}

/// Whether the principal may make the call `method template`: it holds a permission
/// that grants the call (and one of that permission's `AlsoRequires` partners, if
/// any). A read-only permission never grants a write, whatever the data lists.
pub fn permitted(principal: &Principal, method: &str, template: &str) -> bool {
    let Some(grants) = Reference::get().grants(method, template) else {
        tracing::error!(
            method,
            template,
            "no permission data for this route; denying"
        );
        return false;
    };
    let table = match principal {
        Principal::App { .. } => &grants.application,
        Principal::User { .. } => &grants.delegated,
    };
    let write = method != "GET";
    table.iter().any(|(granting, partners)| {
        !(write && read_only(granting))
            && principal.holds(granting)
            && (partners.is_empty() || partners.iter().any(|p| principal.holds(p)))
    })
}

/// The middleware: authenticate, throttle, authorize, then call the handler.
pub async fn authorize(
    State(state): State<crate::state::AppState>,
    matched: Option<MatchedPath>,
    mut req: Request,
    next: Next,
) -> Response {
    let principal = match authenticate(&state, req.headers().get("authorization")) {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    let Some(matched) = matched else {
        return GraphFailure::new(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "Resource not found for the segment.",
        )
        .into_response();
    };
    let mut template = template(matched.as_str());
    let method = req.method().clone();
    // Report functions are one route; their permissions are per function and parameter.
    if template == "/reports/{id}" {
        match crate::reports::permission_template(req.uri().path()) {
            Some(Ok(t)) => template = t,
            Some(Err(e)) => return e.into_response(),
            None => {}
        }
    }
    let report = template.starts_with("/reports/");
    if template == "/$batch" {
        req.extensions_mut().insert(principal);
        return next.run(req).await;
    }
    // Outlook routes are held to Outlook's limits per app and mailbox (and the
    // global one), SharePoint and OneDrive routes to SharePoint's resource
    // units, not to the directory's.
    let path = req.uri().path().to_owned();
    let mut mailbox_permit = None;
    let mut directory_charge = None;
    let mut sharepoint_admission = None;
    if let Some(target) = throttle::outlook::mailbox_target(&path) {
        match throttle::outlook::admit(&state, &principal, target, req) {
            Ok((admitted, permit)) => {
                req = admitted;
                mailbox_permit = Some(permit);
            }
            Err(refused) => return refused.into_response(),
        }
    } else if let Some(target) = throttle::teams::target(method.as_str(), &path) {
        if let Err(refused) = throttle::teams::admit(&state, &principal, target) {
            return refused.into_response();
        }
    } else if throttle::sharepoint::target(&path).is_some() {
        let query = req.uri().query().unwrap_or_default();
        match throttle::sharepoint::admit(&state, &principal, method.as_str(), &path, query) {
            Ok(admission) => sharepoint_admission = Some(admission),
            Err(refused) => return refused.into_response(),
        }
    } else if let Some(target) = super::chats::throttle_target(method.as_str(), &path) {
        // Chats are held to Teams' limits.
        if let Err(refused) = throttle::teams::admit(&state, &principal, target) {
            return refused.into_response();
        }
    } else if report {
        // Held to the reports' limits once the call is known to be valid
        // (`throttle::reports`, from the handler).
    } else {
        directory_charge = Some(
            match charge_directory(&state, &principal, &req, &template) {
                Ok(charge) => charge,
                Err(refused) => return refused.into_response(),
            },
        );
    }
    if template == "/me" && matches!(principal, Principal::App { .. }) {
        return GraphFailure::new(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "/me request is only valid with delegated authentication flow.",
        )
        .into_response();
    }
    if !permitted(&principal, method.as_str(), &template) {
        if report {
            return crate::reports::denied().into_response();
        }
        // Outlook answers ErrorAccessDenied, the directory Authorization_RequestDenied.
        if super::chats::is_chat(&template) {
            return super::chats::denied(&principal, method.as_str(), &template).into_response();
        }
        if let Some(refused) = super::teams::denied(&principal, method.as_str(), &template) {
            return refused.into_response();
        }
        return super::outlook::denied(&template).into_response();
    }
    req.extensions_mut().insert(principal);
    crate::faults::latency(&state).await;
    let mut response = next.run(req).await;
    if let Some((cost, used)) = directory_charge {
        let headers = response.headers_mut();
        if let Ok(v) = HeaderValue::from_str(&cost.to_string()) {
            headers.insert("x-ms-resource-unit", v);
        }
        if used > 0.8
            && let Ok(v) = HeaderValue::from_str(&format!("{used:.1}"))
        {
            headers.insert("x-ms-throttle-limit-percentage", v);
        }
    }
    if let Some(rate_limit) = sharepoint_admission.and_then(|a| a.rate_limit) {
        rate_limit.apply(response.headers_mut());
    }
    match mailbox_permit {
        // The mailbox's slot is held until the body has been sent (downloads stream).
        Some(permit) => throttle::outlook::hold_until_sent(response, permit),
        None => response,
    }
}

/// Charges a directory request's resource units (and the global limit): its
/// cost and the fraction of the budget in use, or the 429 to answer.
fn charge_directory(
    state: &SimState,
    principal: &Principal,
    req: &Request,
    template: &str,
) -> Result<(u32, f64), GraphFailure> {
    let method = req.method();
    let query = Query::parse(req.uri(), req.headers());
    let small_top = query
        .top
        .as_deref()
        .and_then(|t| t.parse::<u32>().ok())
        .is_some_and(|t| t < 20);
    let cost = throttle::directory_cost(
        method.as_str(),
        template,
        query.select.is_some(),
        query.expand.is_some(),
        small_top,
    );
    let write = method != Method::GET;
    let tenant_id = state.tenant().id.to_string();
    match state
        .throttle
        .directory(state.now(), principal.app_id(), &tenant_id, cost, write)
    {
        Decision::Allowed { used } => Ok((cost, used)),
        Decision::Throttled {
            retry_after,
            scope,
            information,
        } => Err(GraphFailure::new(
            StatusCode::TOO_MANY_REQUESTS,
            "TooManyRequests",
            "Please retry again later.",
        )
        .with_header("retry-after", retry_after.to_string())
        .with_header("x-ms-throttle-scope", scope)
        .with_header("x-ms-throttle-information", information)
        .with_header("x-ms-resource-unit", cost.to_string())),
    }
}
