//! Errors of the identity platform and of Graph, classified so that callers
//! (and retry layers) act on kinds, never on message text.

use std::fmt;

/// What went wrong getting a token, in terms an administrator can act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TokenErrorKind {
    /// AADSTS7000215: the secret is not one of the app's secrets.
    InvalidSecret,
    /// AADSTS7000215 with a GUID-shaped secret: the Secret ID was given instead of the value.
    SecretIdGiven,
    /// AADSTS7000222: the secret has expired.
    ExpiredSecret,
    /// AADSTS700016: no such app in the tenant.
    AppNotFound,
    /// AADSTS90002: no such tenant (in this cloud).
    TenantNotFound,
    /// AADSTS7000229: the app has no service principal in the tenant.
    MissingServicePrincipal,
    /// AADSTS700027: the certificate is not registered, expired, or the key does not match.
    CertificateRejected,
    /// AADSTS700024: the signed assertion is outside its time window (clock skew).
    ClockSkew,
    /// AADSTS7000218: the app needs a secret or certificate.
    CredentialRequired,
    /// AADSTS1002012, 70011, 500011: Microsoft Graph is not a resource of this tenant or cloud.
    InvalidScope,
    /// AADSTS65001: a delegated permission was not consented.
    ConsentRequired,
    /// The device code sign-in is still waiting for the user.
    AuthorizationPending,
    /// The user declined the sign-in.
    AuthorizationDeclined,
    /// The device code expired before the user signed in.
    CodeExpired,
    /// An authorization code, refresh token or PKCE verifier was refused.
    InvalidGrant,
    /// The identity platform could not be reached.
    Unreachable,
    /// The identity platform answered something that is not an OAuth response.
    UnexpectedResponse,
    /// Any other AADSTS error.
    Other,
}

/// A failure to get a token.
#[derive(Debug, Clone, thiserror::Error)]
pub struct TokenError {
    /// What kind of failure.
    pub kind: TokenErrorKind,
    /// The AADSTS code, when the identity platform gave one.
    pub aadsts: Option<u64>,
    /// The client id involved.
    pub client_id: String,
    /// The tenant involved.
    pub tenant: String,
    /// The identity platform's own first sentence (or the transport error).
    pub detail: String,
    /// The identity platform's trace and correlation ids, for Microsoft support.
    pub trace_id: Option<String>,
}

impl TokenError {
    /// A plain sentence that says what is wrong and what to do.
    pub fn explanation(&self) -> String {
        let app = &self.client_id;
        let tenant = &self.tenant;
        match self.kind {
            TokenErrorKind::InvalidSecret => format!(
                "the client secret was rejected for app {app}: enter the secret's Value (shown once, when the secret is created), not its Secret ID; if the value is lost, create a new client secret under App registrations > Certificates & secrets"
            ),
            TokenErrorKind::SecretIdGiven => format!(
                "the client secret given for app {app} is a GUID, which is what the portal shows as the Secret ID: enter the secret's Value instead (shown once, when the secret is created); if it is lost, create a new client secret"
            ),
            TokenErrorKind::ExpiredSecret => format!(
                "the client secret of app {app} has expired: create a new client secret under App registrations > Certificates & secrets and give m365vault its value"
            ),
            TokenErrorKind::AppNotFound => format!(
                "no application with client id {app} exists in tenant {tenant}: check the Application (client) ID on the app's Overview page, and that the app is registered in this tenant and not another directory"
            ),
            TokenErrorKind::TenantNotFound => format!(
                "tenant {tenant} was not found: check the Directory (tenant) ID, and the cloud (a US Government or China tenant needs that cloud's authority URL)"
            ),
            TokenErrorKind::MissingServicePrincipal => format!(
                "app {app} has no enterprise application (service principal) in tenant {tenant}: grant admin consent to it, which creates one"
            ),
            TokenErrorKind::CertificateRejected => format!(
                "the certificate was rejected for app {app}: upload this certificate to the app registration under Certificates & secrets, check that it has not expired, and that the private key belongs to it"
            ),
            TokenErrorKind::ClockSkew => {
                "the signed certificate assertion was outside its validity window: check that this machine's clock is right".to_owned()
            }
            TokenErrorKind::CredentialRequired => format!(
                "app {app} requires a client secret or a certificate, and none was given"
            ),
            TokenErrorKind::InvalidScope => format!(
                "Microsoft Graph was refused as a resource in tenant {tenant}: check that the Graph URL belongs to the same cloud as the authority"
            ),
            TokenErrorKind::ConsentRequired => format!(
                "the signed-in user has not consented to what app {app} asks for: sign in as an administrator who can consent for the organization"
            ),
            TokenErrorKind::AuthorizationPending => "the sign-in has not been completed yet".to_owned(),
            TokenErrorKind::AuthorizationDeclined => "the sign-in was declined".to_owned(),
            TokenErrorKind::CodeExpired => "the sign-in code expired before it was used: start again".to_owned(),
            TokenErrorKind::InvalidGrant => "the sign-in could not be completed (the code or refresh token was refused): sign in again".to_owned(),
            TokenErrorKind::Unreachable => format!("the identity platform could not be reached: {}", self.detail),
            TokenErrorKind::UnexpectedResponse => format!("the identity platform gave an unexpected answer: {}", self.detail),
            TokenErrorKind::Other => format!("the identity platform refused the request: {}", self.detail),
        }
    }
}

impl fmt::Display for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.explanation())?;
        if let Some(code) = self.aadsts {
            write!(f, " (AADSTS{code}")?;
            if let Some(trace) = &self.trace_id {
                write!(f, ", trace id {trace}")?;
            }
            f.write_str(")")?;
        }
        Ok(())
    }
}

/// Graph's answer to a failed call.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{method} {path} failed with {status} {code}: {message}{}", request_id.as_ref().map(|r| format!(" (request id {r})")).unwrap_or_default())]
pub struct ApiError {
    /// HTTP method.
    pub method: String,
    /// Path of the URL (no query: it may hold ids of content).
    pub path: String,
    /// HTTP status.
    pub status: u16,
    /// Graph error code, such as `Authorization_RequestDenied`.
    pub code: String,
    /// Graph error message.
    pub message: String,
    /// `request-id`, for Microsoft support.
    pub request_id: Option<String>,
    /// Seconds to wait, from `Retry-After`.
    pub retry_after: Option<u64>,
}

/// A failed Graph call.
#[derive(Debug, thiserror::Error)]
pub enum GraphError {
    /// No token could be had.
    #[error(transparent)]
    Token(Box<TokenError>),
    /// Graph answered with an error status.
    #[error(transparent)]
    Api(Box<ApiError>),
    /// Graph could not be reached.
    #[error("cannot reach Microsoft Graph at {url}: {message}")]
    Transport {
        /// The URL without query.
        url: String,
        /// What failed.
        message: String,
        /// Whether the failure was a timeout or connection error worth retrying.
        retryable: bool,
    },
    /// Graph answered with something that could not be read.
    #[error("unexpected answer from Microsoft Graph for {path}: {message}")]
    Decode {
        /// Path of the URL.
        path: String,
        /// What was wrong.
        message: String,
    },
    /// A request could not even be built (a bad URL).
    #[error("invalid request: {0}")]
    Request(String),
}

impl From<TokenError> for GraphError {
    fn from(e: TokenError) -> Self {
        GraphError::Token(Box::new(e))
    }
}

impl From<ApiError> for GraphError {
    fn from(e: ApiError) -> Self {
        GraphError::Api(Box::new(e))
    }
}

impl GraphError {
    /// The details of an API error.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            GraphError::Api(a) => Some(a),
            _ => None,
        }
    }

    /// The HTTP status, for API errors.
    pub fn status(&self) -> Option<u16> {
        self.api().map(|a| a.status)
    }

    /// The Graph error code, for API errors.
    pub fn code(&self) -> Option<&str> {
        self.api().map(|a| a.code.as_str())
    }

    /// Whether trying again later may succeed (throttling, service trouble, network).
    pub fn is_retryable(&self) -> bool {
        match self {
            GraphError::Api(a) => matches!(a.status, 429 | 500 | 502 | 503 | 504),
            GraphError::Transport { retryable, .. } => *retryable,
            GraphError::Token(t) => t.kind == TokenErrorKind::Unreachable,
            GraphError::Decode { .. } | GraphError::Request(_) => false,
        }
    }

    /// Whether the error means a permission is missing (403).
    pub fn is_forbidden(&self) -> bool {
        self.status() == Some(403)
    }
}
