//! Access tokens, what they grant, and sources that hand out fresh ones.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use model::wire::{AccessTokenClaims, TokenResponse};
use secrecy::{ExposeSecret, SecretString};
use time::{Duration, OffsetDateTime};
use tokio::sync::Mutex;

use crate::credential::AppCredential;
use crate::error::TokenError;
use crate::identity::IdentityClient;

/// Tokens are renewed this long before they expire.
const RENEW_BEFORE: Duration = Duration::minutes(5);

/// An access token and what it says about itself.
pub struct AccessToken {
    secret: SecretString,
    /// When it stops working.
    pub expires_at: OffsetDateTime,
    /// Its claims (roles or scopes), read without verification: only to learn what was granted.
    pub claims: AccessTokenClaims,
}

impl AccessToken {
    /// Reads a token response received at `now`.
    pub fn from_response(response: &TokenResponse, now: OffsetDateTime) -> Self {
        AccessToken {
            secret: SecretString::from(response.access_token.clone()),
            expires_at: now + Duration::seconds(i64::try_from(response.expires_in).unwrap_or(3600)),
            claims: decode_claims(&response.access_token).unwrap_or_default(),
        }
    }

    /// The bearer value to send.
    pub fn bearer(&self) -> &str {
        self.secret.expose_secret()
    }

    /// Whether it should be renewed at `now`.
    pub fn needs_renewal(&self, now: OffsetDateTime) -> bool {
        now + RENEW_BEFORE >= self.expires_at
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("expires_at", &self.expires_at)
            .field("roles", &self.claims.roles)
            .finish_non_exhaustive()
    }
}

/// Reads the claims of a JWT without checking its signature.
pub fn decode_claims(jwt: &str) -> Option<AccessTokenClaims> {
    let payload = jwt.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// A boxed future, for object-safe async traits.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Something that hands out valid access tokens.
pub trait TokenSource: Send + Sync {
    /// A token valid for a while yet.
    fn token(&self) -> BoxFuture<'_, Result<Arc<AccessToken>, TokenError>>;
    /// Forgets the cached token (Graph refused it).
    fn invalidate(&self) -> BoxFuture<'_, ()>;
}

/// App-only tokens from client credentials, cached until shortly before they expire.
pub struct AppTokenSource {
    identity: IdentityClient,
    credential: AppCredential,
    cached: Mutex<Option<Arc<AccessToken>>>,
}

impl AppTokenSource {
    /// A source for `credential`.
    pub fn new(identity: IdentityClient, credential: AppCredential) -> Self {
        AppTokenSource {
            identity,
            credential,
            cached: Mutex::new(None),
        }
    }

    /// The credential.
    pub fn credential(&self) -> &AppCredential {
        &self.credential
    }
}

impl TokenSource for AppTokenSource {
    fn token(&self) -> BoxFuture<'_, Result<Arc<AccessToken>, TokenError>> {
        Box::pin(async move {
            // Holding the lock while fetching makes concurrent callers wait for one request.
            let mut cached = self.cached.lock().await;
            let now = OffsetDateTime::now_utc();
            if let Some(t) = cached.as_ref()
                && !t.needs_renewal(now)
            {
                return Ok(t.clone());
            }
            let response = self
                .identity
                .client_credentials(&self.credential, now)
                .await?;
            let token = Arc::new(AccessToken::from_response(&response, now));
            tracing::debug!(client_id = %self.credential.client_id, expires_at = %token.expires_at, "acquired an app-only token");
            *cached = Some(token.clone());
            Ok(token)
        })
    }

    fn invalidate(&self) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            *self.cached.lock().await = None;
        })
    }
}

/// A token obtained once (a delegated sign-in); it is not renewed.
pub struct StaticTokenSource(Arc<AccessToken>);

impl StaticTokenSource {
    /// Wraps a token.
    pub fn new(token: AccessToken) -> Self {
        StaticTokenSource(Arc::new(token))
    }
}

impl TokenSource for StaticTokenSource {
    fn token(&self) -> BoxFuture<'_, Result<Arc<AccessToken>, TokenError>> {
        let t = self.0.clone();
        Box::pin(async move { Ok(t) })
    }

    fn invalidate(&self) -> BoxFuture<'_, ()> {
        Box::pin(async {})
    }
}
