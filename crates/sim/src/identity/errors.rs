//! Identity-platform errors with their AADSTS codes, HTTP statuses and body shape.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use model::wire::TokenErrorBody;
use time::OffsetDateTime;
use time::macros::format_description;

/// An error from the token, device-code or authorize endpoints.
#[derive(Debug, Clone)]
pub struct AadError {
    /// HTTP status.
    pub status: StatusCode,
    /// The OAuth `error`.
    pub error: &'static str,
    /// The AADSTS code.
    pub code: u64,
    /// The message after `AADSTSnnn: `.
    pub message: String,
}

impl AadError {
    fn new(status: StatusCode, error: &'static str, code: u64, message: impl Into<String>) -> Self {
        AadError {
            status,
            error,
            code,
            message: message.into(),
        }
    }

    /// 7000215: the secret matches none of the app's secrets.
    pub fn invalid_secret(app_id: &str) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000215,
            format!(
                "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{app_id}'."
            ),
        )
    }

    /// 7000222: the secret matches one that has ended.
    pub fn expired_secret(app_id: &str) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000222,
            format!(
                "The provided client secret keys for app '{app_id}' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds."
            ),
        )
    }

    /// 700016: no such app in the tenant.
    pub fn app_not_found(app_id: &str, tenant: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            700016,
            format!(
                "Application with identifier '{app_id}' was not found in the directory '{tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant."
            ),
        )
    }

    /// 90002: no such tenant. `error` is `invalid_request` on the token endpoint and
    /// `invalid_tenant` on the OpenID configuration.
    pub fn tenant_not_found(tenant: &str, error: &'static str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            error,
            90002,
            format!(
                "Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant."
            ),
        )
    }

    /// 7000229: the app has no service principal in the tenant.
    pub fn missing_service_principal(app_id: &str, tenant: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_client",
            7000229,
            format!(
                "The client application {app_id} is missing service principal in the tenant {tenant}. See instructions here: https://go.microsoft.com/fwlink/?linkid=2225119"
            ),
        )
    }

    /// 7000218: a confidential client sent neither a secret nor an assertion.
    pub fn credential_required() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000218,
            "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
        )
    }

    /// 700027: the assertion's key is unknown, expired, or the signature is wrong.
    pub fn assertion_signature(reason: &str) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            700027,
            format!("Client assertion contains an invalid signature. [Reason - {reason}]"),
        )
    }

    /// 700024: the assertion is outside its nbf/exp window.
    pub fn assertion_time(now: &str, nbf: &str, exp: &str) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            700024,
            format!(
                "Client assertion is not within its valid time range. Current time: {now}, assertion valid from {nbf}, expiry time of assertion {exp}. Review the documentation at https://docs.microsoft.com/azure/active-directory/develop/active-directory-certificate-credentials ."
            ),
        )
    }

    /// 700023: the assertion's audience is not this token endpoint.
    pub fn assertion_audience() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            700023,
            "Client assertion audience claim does not match Realm issuer. Review the documentation at https://docs.microsoft.com/azure/active-directory/develop/active-directory-certificate-credentials .",
        )
    }

    /// 700021: the assertion's iss/sub is not the client id.
    pub fn assertion_issuer() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            700021,
            "Client assertion application identifier doesn't match 'client_id' parameter. Review the documentation at https://docs.microsoft.com/azure/active-directory/develop/active-directory-certificate-credentials .",
        )
    }

    /// 50027: the assertion is not a JWT.
    pub fn malformed_jwt(detail: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            50027,
            format!("JWT token is invalid or malformed. {detail}"),
        )
    }

    /// 900144: a required parameter is missing.
    pub fn missing_parameter(name: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            900144,
            format!("The request body must contain the following parameter: '{name}'."),
        )
    }

    /// 1002012: client credentials without `/.default`.
    pub fn scope_needs_default(scope: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            1002012,
            format!(
                "The provided value for scope {scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI)."
            ),
        )
    }

    /// 70011: an unknown scope.
    pub fn invalid_scope(scope: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            70011,
            format!(
                "The provided value for the input parameter 'scope' is not valid. The scope {scope} is not valid."
            ),
        )
    }

    /// 500011: the resource of a `.default` scope does not exist.
    pub fn resource_not_found(resource: &str, tenant: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_resource",
            500011,
            format!(
                "The resource principal named {resource} was not found in the tenant named {tenant}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant."
            ),
        )
    }

    /// 70003: an unsupported grant type.
    pub fn unsupported_grant(grant: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            70003,
            format!("The app requested an unsupported grant type '{grant}'."),
        )
    }

    /// 700025: a public client presented a credential.
    pub fn public_client_with_credential() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_client",
            700025,
            "Client is public so neither 'client_assertion' nor 'client_secret' should be presented.",
        )
    }

    /// 70016: the user has not finished signing in yet.
    pub fn authorization_pending() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "authorization_pending",
            70016,
            "OAuth 2.0 device flow error. Authorization is pending. Continue polling.",
        )
    }

    /// 70020: the device code expired.
    pub fn device_code_expired() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "expired_token",
            70020,
            "The provided value for the input parameter 'device_code' is not valid. This device code has expired.",
        )
    }

    /// 70018: the device code is unknown.
    pub fn bad_verification_code() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "bad_verification_code",
            70018,
            "The provided value for the input parameter 'device_code' is not valid.",
        )
    }

    /// 70000: the user declined.
    pub fn authorization_declined() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "authorization_declined",
            70000,
            "The user declined the authorization request.",
        )
    }

    /// 9002313: the code is not one the service issued.
    pub fn malformed_grant() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            9002313,
            "Invalid request. Request is malformed or invalid.",
        )
    }

    /// 501481: PKCE verifier mismatch.
    pub fn pkce_mismatch() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            501481,
            "The Code_Verifier does not match the code_challenge supplied in the authorization request.",
        )
    }

    /// 54005: the code was already used.
    pub fn code_redeemed() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            54005,
            "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.",
        )
    }

    /// 70008: the code or refresh token has expired.
    pub fn grant_expired() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            70008,
            "The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.",
        )
    }

    /// 500112 / redirect URI differs from the one used at authorize.
    pub fn redirect_mismatch_at_token() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            500112,
            "The reply address does not match the reply address provided when requesting Authorization code.",
        )
    }

    /// 50011: redirect URI not registered.
    pub fn redirect_not_registered(uri: &str, app_id: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            50011,
            format!(
                "The redirect URI '{uri}' specified in the request does not match the redirect URIs configured for the application '{app_id}'. Make sure the redirect URI sent in the request matches one added to your application in the Azure portal. Navigate to https://aka.ms/redirectUriMismatchError to learn more about how to fix this."
            ),
        )
    }

    /// 500113: the app has no reply address for the response.
    pub fn no_reply_address() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            500113,
            "No reply address is registered for the application.",
        )
    }

    /// 65001: delegated consent is missing.
    pub fn consent_required(app_id: &str, app_name: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            65001,
            format!(
                "The user or administrator has not consented to use the application with ID '{app_id}' named '{app_name}'. Send an interactive authorization request for this user and resource."
            ),
        )
    }

    /// The body the identity platform sends.
    pub fn body(&self) -> TokenErrorBody {
        let now = OffsetDateTime::now_utc();
        let ts = now
            .format(format_description!(
                "[year]-[month]-[day] [hour]:[minute]:[second]Z"
            ))
            .unwrap_or_default();
        let trace = uuid::Uuid::new_v4().to_string();
        let correlation = uuid::Uuid::new_v4().to_string();
        TokenErrorBody {
            error: self.error.to_owned(),
            error_description: format!(
                "AADSTS{}: {}\r\nTrace ID: {trace}\r\nCorrelation ID: {correlation}\r\nTimestamp: {ts}",
                self.code, self.message
            ),
            error_codes: vec![self.code],
            timestamp: Some(ts),
            trace_id: Some(trace),
            correlation_id: Some(correlation),
            error_uri: Some(format!(
                "https://login.microsoftonline.com/error?code={}",
                self.code
            )),
        }
    }
}

impl IntoResponse for AadError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body())).into_response()
    }
}
