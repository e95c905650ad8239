//! The Microsoft Graph client of m365vault.
//!
//! - [`credential`]: an app registration's credential (client secret or certificate).
//! - [`identity`]: the identity platform: client credentials, device code,
//!   authorization code with PKCE, refresh tokens; errors as plain sentences.
//! - [`token`]: access tokens, their claims, and a caching [`token::TokenSource`].
//! - [`client`]: [`GraphClient`], with retries that honour `Retry-After`, paging and `$batch`.
//!
//! Authority and Graph URLs come from [`model::Cloud`], so national clouds and the
//! simulator are reached the same way as the global service.

pub mod client;
pub mod credential;
pub mod error;
pub mod http;
pub mod identity;
pub mod retry;
pub mod token;

pub use client::{Body, GraphClient, Pacer};
pub use credential::{AppCredential, CertificateCredential, Credential};
pub use error::{ApiError, GraphError, TokenError, TokenErrorKind};
pub use http::HttpOptions;
pub use identity::without_url;
pub use token::{AccessToken, AppTokenSource, TokenSource};
