//! What a connector is.

use std::fmt;

use model::{Cloud, DataTypeSet, Guid, TenantId};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// A connector name that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "'{0}' is not a valid connector name: use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit"
)]
pub struct BadName(pub String);

/// Checks a connector name.
pub fn validate_name(name: &str) -> Result<(), BadName> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err(BadName(name.to_owned()))
    }
}

/// What m365vault knows of a connector's credential; the secret itself is in the vault.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum CredentialInfo {
    /// A client secret.
    ClientSecret {
        /// The first three characters, as the Entra admin center shows them.
        hint: String,
        /// When the secret ends, when known (from `setup`, `--client-secret-expires` or Graph).
        #[serde(
            default,
            skip_serializing_if = "Option::is_none",
            with = "time::serde::rfc3339::option"
        )]
        expires_at: Option<OffsetDateTime>,
    },
    /// A certificate.
    Certificate {
        /// SHA-1 thumbprint in upper-case hex, as the Entra admin center shows it.
        thumbprint: String,
        /// The certificate's subject.
        subject: String,
        /// When the certificate ends.
        #[serde(with = "time::serde::rfc3339")]
        expires_at: OffsetDateTime,
        /// The certificate itself, PEM (public).
        certificate_pem: String,
    },
}

impl CredentialInfo {
    /// When the credential ends, when known.
    pub fn expires_at(&self) -> Option<OffsetDateTime> {
        match self {
            CredentialInfo::ClientSecret { expires_at, .. } => *expires_at,
            CredentialInfo::Certificate { expires_at, .. } => Some(*expires_at),
        }
    }

    /// A short description, such as `client secret abc…` or `certificate 3A5F…`.
    pub fn describe(&self) -> String {
        match self {
            CredentialInfo::ClientSecret { hint, .. } => format!("client secret {hint}…"),
            CredentialInfo::Certificate { thumbprint, .. } => format!("certificate {thumbprint}"),
        }
    }
}

/// A connector: one app registration's credential for one tenant, and the data
/// types it is registered for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConnectorSpec {
    /// The connector's name.
    pub name: String,
    /// The tenant as given (Directory (tenant) ID or a domain).
    pub tenant_id: TenantId,
    /// The tenant's GUID, once a sign-in has revealed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_guid: Option<Guid>,
    /// The Application (client) ID.
    pub client_id: Guid,
    /// Where the tenant lives.
    pub cloud: Cloud,
    /// The data types this connector serves.
    pub data_types: DataTypeSet,
    /// The credential (its public facts).
    pub credential: CredentialInfo,
    /// An extra certificate authority to trust, PEM (the simulator's, or a TLS-inspecting proxy's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_pem: Option<String>,
    /// When the connector was added.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// A connector's secret part.
#[derive(Clone)]
pub enum ConnectorSecret {
    /// A client secret's value.
    ClientSecret(SecretString),
    /// A certificate's private key, PEM.
    PrivateKey(SecretString),
}

impl ConnectorSecret {
    /// The vault entry name for connector `name`.
    pub fn entry(&self, name: &str) -> String {
        match self {
            ConnectorSecret::ClientSecret(_) => format!("connector/{name}/client-secret"),
            ConnectorSecret::PrivateKey(_) => format!("connector/{name}/private-key"),
        }
    }
}

impl fmt::Debug for ConnectorSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConnectorSecret::ClientSecret(_) => f.write_str("ClientSecret(<redacted>)"),
            ConnectorSecret::PrivateKey(_) => f.write_str("PrivateKey(<redacted>)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(validate_name("contoso").is_ok());
        assert!(validate_name("contoso-mail_2.x").is_ok());
        assert!(validate_name("").is_err());
        assert!(validate_name("-x").is_err());
        assert!(validate_name("a/b").is_err());
        assert!(validate_name(&"x".repeat(65)).is_err());
    }
}
