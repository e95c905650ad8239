//! The identity platform's endpoints: client credentials, device code,
//! authorization code with PKCE, refresh tokens.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use model::wire::{DeviceCodeResponse, TokenErrorBody, TokenResponse};
use model::{Cloud, TenantId};
use rand::Rng;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::credential::{AppCredential, Credential};
use crate::error::{TokenError, TokenErrorKind};

const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// Talks to the identity platform of one cloud.
#[derive(Debug, Clone)]
pub struct IdentityClient {
    http: reqwest::Client,
    cloud: Cloud,
}

/// What is needed to finish an authorization code flow.
#[derive(Debug)]
pub struct AuthorizationRequest {
    /// Open this URL in a browser.
    pub url: String,
    /// The PKCE verifier, sent when the code is exchanged.
    pub verifier: SecretString,
    /// The `state` to check on the redirect.
    pub state: String,
}

fn classify(code: Option<u64>, error: &str) -> TokenErrorKind {
    match (code, error) {
        (Some(7000215), _) => TokenErrorKind::InvalidSecret,
        (Some(7000222), _) => TokenErrorKind::ExpiredSecret,
        (Some(700016), _) => TokenErrorKind::AppNotFound,
        (Some(90002), _) => TokenErrorKind::TenantNotFound,
        (Some(7000229), _) => TokenErrorKind::MissingServicePrincipal,
        (Some(700027), _) => TokenErrorKind::CertificateRejected,
        (Some(700024), _) => TokenErrorKind::ClockSkew,
        (Some(7000218), _) => TokenErrorKind::CredentialRequired,
        (Some(1002012 | 70011 | 500011), _) => TokenErrorKind::InvalidScope,
        (Some(65001), _) => TokenErrorKind::ConsentRequired,
        (_, "authorization_pending") => TokenErrorKind::AuthorizationPending,
        (_, "authorization_declined") => TokenErrorKind::AuthorizationDeclined,
        (_, "expired_token") => TokenErrorKind::CodeExpired,
        (_, "invalid_grant" | "bad_verification_code") => TokenErrorKind::InvalidGrant,
        _ => TokenErrorKind::Other,
    }
}

impl IdentityClient {
    /// A client for `cloud` over `http`.
    pub fn new(http: reqwest::Client, cloud: Cloud) -> Self {
        IdentityClient { http, cloud }
    }

    /// The cloud.
    pub fn cloud(&self) -> &Cloud {
        &self.cloud
    }

    async fn post(
        &self,
        url: &str,
        form: &[(&str, &str)],
        client_id: &str,
        tenant: &str,
    ) -> Result<TokenResponse, TokenError> {
        let fail = |kind, detail: String| TokenError {
            kind,
            aadsts: None,
            client_id: client_id.to_owned(),
            tenant: tenant.to_owned(),
            detail,
            trace_id: None,
        };
        let response = self.http.post(url).form(form).send().await.map_err(|e| {
            fail(
                TokenErrorKind::Unreachable,
                format!("{url}: {}", without_url(&e)),
            )
        })?;
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| fail(TokenErrorKind::Unreachable, without_url(&e)))?;
        if status.is_success() {
            return serde_json::from_slice(&bytes).map_err(|e| {
                fail(
                    TokenErrorKind::UnexpectedResponse,
                    format!("{url} answered {status} with an unreadable token: {e}"),
                )
            });
        }
        match serde_json::from_slice::<TokenErrorBody>(&bytes) {
            Ok(body) => {
                let code = body.code();
                Err(TokenError {
                    kind: classify(code, &body.error),
                    aadsts: code,
                    client_id: client_id.to_owned(),
                    tenant: tenant.to_owned(),
                    detail: body.summary().to_owned(),
                    trace_id: body.trace_id.clone(),
                })
            }
            Err(_) => Err(fail(
                TokenErrorKind::UnexpectedResponse,
                format!(
                    "{url} answered {status}, which is not an identity platform response; check the authority URL"
                ),
            )),
        }
    }

    /// Gets an app-only token for Microsoft Graph (client credentials).
    pub async fn client_credentials(
        &self,
        app: &AppCredential,
        now: OffsetDateTime,
    ) -> Result<TokenResponse, TokenError> {
        let tenant = app.tenant.as_str();
        let url = self.cloud.token_endpoint(tenant);
        let client_id = app.client_id.to_string();
        let scope = self.cloud.graph_default_scope();
        let result = match &app.credential {
            Credential::Secret(secret) => {
                let form = [
                    ("grant_type", "client_credentials"),
                    ("client_id", client_id.as_str()),
                    ("client_secret", secret.expose_secret()),
                    ("scope", scope.as_str()),
                ];
                self.post(&url, &form, &client_id, tenant).await
            }
            Credential::Certificate(cert) => {
                let assertion = cert.assertion(&client_id, &url, now);
                let form = [
                    ("grant_type", "client_credentials"),
                    ("client_id", client_id.as_str()),
                    ("client_assertion_type", JWT_BEARER),
                    ("client_assertion", assertion.as_str()),
                    ("scope", scope.as_str()),
                ];
                self.post(&url, &form, &client_id, tenant).await
            }
        };
        result.map_err(|mut e| {
            if e.kind == TokenErrorKind::InvalidSecret && app.credential.looks_like_secret_id() {
                e.kind = TokenErrorKind::SecretIdGiven;
            }
            e
        })
    }

    /// Starts a device code sign-in for a public client.
    pub async fn start_device_code(
        &self,
        tenant: &TenantId,
        client_id: &str,
        scopes: &[String],
    ) -> Result<DeviceCodeResponse, TokenError> {
        let url = self.cloud.device_code_endpoint(tenant.as_str());
        let scope = scopes.join(" ");
        let response = self
            .http
            .post(&url)
            .form(&[("client_id", client_id), ("scope", scope.as_str())])
            .send()
            .await
            .map_err(|e| TokenError {
                kind: TokenErrorKind::Unreachable,
                aadsts: None,
                client_id: client_id.to_owned(),
                tenant: tenant.to_string(),
                detail: format!("{url}: {}", without_url(&e)),
                trace_id: None,
            })?;
        let status = response.status();
        let bytes = response.bytes().await.unwrap_or_default();
        if status.is_success()
            && let Ok(dc) = serde_json::from_slice::<DeviceCodeResponse>(&bytes)
        {
            return Ok(dc);
        }
        let body: Option<TokenErrorBody> = serde_json::from_slice(&bytes).ok();
        let code = body.as_ref().and_then(TokenErrorBody::code);
        Err(TokenError {
            kind: body
                .as_ref()
                .map(|b| classify(code, &b.error))
                .unwrap_or(TokenErrorKind::UnexpectedResponse),
            aadsts: code,
            client_id: client_id.to_owned(),
            tenant: tenant.to_string(),
            detail: body
                .map(|b| b.summary().to_owned())
                .unwrap_or_else(|| format!("{url} answered {status}")),
            trace_id: None,
        })
    }

    /// Polls once for the device code's tokens.
    pub async fn poll_device_code(
        &self,
        tenant: &TenantId,
        client_id: &str,
        device_code: &str,
    ) -> Result<TokenResponse, TokenError> {
        let url = self.cloud.token_endpoint(tenant.as_str());
        let form = [
            ("grant_type", DEVICE_CODE_GRANT),
            ("client_id", client_id),
            ("device_code", device_code),
        ];
        self.post(&url, &form, client_id, tenant.as_str()).await
    }

    /// Polls until the user has signed in, declined, or the code expired.
    pub async fn wait_for_device_code(
        &self,
        tenant: &TenantId,
        client_id: &str,
        dc: &DeviceCodeResponse,
    ) -> Result<TokenResponse, TokenError> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(dc.expires_in);
        let interval = Duration::from_secs(dc.interval.max(1));
        loop {
            tokio::time::sleep(interval).await;
            match self
                .poll_device_code(tenant, client_id, &dc.device_code)
                .await
            {
                Err(e)
                    if e.kind == TokenErrorKind::AuthorizationPending
                        && tokio::time::Instant::now() < deadline =>
                {
                    continue;
                }
                other => return other,
            }
        }
    }

    /// Builds the authorize URL of an authorization code flow with PKCE (S256).
    pub fn authorization_request(
        &self,
        tenant: &TenantId,
        client_id: &str,
        redirect_uri: &str,
        scopes: &[String],
        login_hint: Option<&str>,
    ) -> AuthorizationRequest {
        let mut bytes = [0u8; 32];
        rand::rng().fill(&mut bytes);
        let verifier = URL_SAFE_NO_PAD.encode(bytes);
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
        let mut state_bytes = [0u8; 16];
        rand::rng().fill(&mut state_bytes);
        let state = URL_SAFE_NO_PAD.encode(state_bytes);
        let mut url = url::Url::parse(&self.cloud.authorize_endpoint(tenant.as_str()))
            .unwrap_or_else(|_| {
                // The authority URL was validated when the cloud was built.
                url::Url::parse("https://login.microsoftonline.com/common/oauth2/v2.0/authorize")
                    .expect("static URL")
            });
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("client_id", client_id)
                .append_pair("response_type", "code")
                .append_pair("redirect_uri", redirect_uri)
                .append_pair("response_mode", "query")
                .append_pair("scope", &scopes.join(" "))
                .append_pair("state", &state)
                .append_pair("code_challenge", &challenge)
                .append_pair("code_challenge_method", "S256");
            if let Some(hint) = login_hint {
                q.append_pair("login_hint", hint);
            }
        }
        AuthorizationRequest {
            url: url.to_string(),
            verifier: SecretString::from(verifier),
            state,
        }
    }

    /// Exchanges an authorization code for tokens.
    pub async fn exchange_code(
        &self,
        tenant: &TenantId,
        client_id: &str,
        code: &str,
        redirect_uri: &str,
        verifier: &SecretString,
    ) -> Result<TokenResponse, TokenError> {
        let url = self.cloud.token_endpoint(tenant.as_str());
        let form = [
            ("grant_type", "authorization_code"),
            ("client_id", client_id),
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("code_verifier", verifier.expose_secret()),
        ];
        self.post(&url, &form, client_id, tenant.as_str()).await
    }

    /// Redeems a refresh token (public client).
    pub async fn refresh(
        &self,
        tenant: &TenantId,
        client_id: &str,
        refresh_token: &SecretString,
        scopes: &[String],
    ) -> Result<TokenResponse, TokenError> {
        let url = self.cloud.token_endpoint(tenant.as_str());
        let scope = scopes.join(" ");
        let mut form = vec![
            ("grant_type", "refresh_token"),
            ("client_id", client_id),
            ("refresh_token", refresh_token.expose_secret()),
        ];
        if !scope.is_empty() {
            form.push(("scope", scope.as_str()));
        }
        self.post(&url, &form, client_id, tenant.as_str()).await
    }
}

/// A reqwest error's message without its URL's query (which may carry ids).
pub fn without_url(e: &reqwest::Error) -> String {
    let mut msg = e.to_string();
    if let Some(url) = e.url() {
        msg = msg.replace(
            url.as_str(),
            &format!(
                "{}://{}{}",
                url.scheme(),
                url.host_str().unwrap_or_default(),
                url.path()
            ),
        );
    }
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        source = s.source();
    }
    msg
}
