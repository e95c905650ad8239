//! Identifiers: GUIDs and tenant identifiers, validated once at the edge.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Why an identifier was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// Not a GUID in the `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` form.
    #[error(
        "'{value}' is not a GUID: {what} is 36 characters like 00000000-0000-0000-0000-000000000000, shown on the app's Overview page in the Entra admin center"
    )]
    NotAGuid {
        /// What was expected (for the message).
        what: &'static str,
        /// The rejected value.
        value: String,
    },
    /// Neither a GUID nor a domain name.
    #[error(
        "'{0}' is not a tenant id: give the Directory (tenant) ID (a GUID) or one of the tenant's domains, such as contoso.onmicrosoft.com"
    )]
    NotATenant(String),
}

/// A GUID in its canonical lower-case, hyphenated form.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Guid(uuid::Uuid);

impl Guid {
    /// Parses a GUID, naming `what` it is in the error.
    pub fn parse(value: &str, what: &'static str) -> Result<Self, IdError> {
        let trimmed = value.trim();
        // Only the hyphenated 36-character form is accepted: it is what the portal shows.
        if trimmed.len() != 36 {
            return Err(IdError::NotAGuid {
                what,
                value: value.to_owned(),
            });
        }
        uuid::Uuid::parse_str(trimmed)
            .map(Guid)
            .map_err(|_| IdError::NotAGuid {
                what,
                value: value.to_owned(),
            })
    }

    /// Wraps a UUID.
    pub const fn from_uuid(uuid: uuid::Uuid) -> Self {
        Guid(uuid)
    }

    /// Builds a GUID from 16 bytes (used by deterministic generators).
    pub const fn from_bytes(bytes: [u8; 16]) -> Self {
        Guid(uuid::Uuid::from_bytes(bytes))
    }

    /// A new random (version 4) GUID.
    pub fn new_v4() -> Self {
        Guid(uuid::Uuid::new_v4())
    }

    /// The underlying UUID.
    pub const fn as_uuid(&self) -> &uuid::Uuid {
        &self.0
    }
}

impl fmt::Display for Guid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

impl fmt::Debug for Guid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl FromStr for Guid {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Guid::parse(s, "the id")
    }
}

/// A tenant as the identity platform accepts it in `{authority}/{tenant}/...`:
/// the Directory (tenant) ID or a verified domain of the tenant.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TenantId(String);

impl TenantId {
    /// Parses a tenant id (GUID) or domain name.
    pub fn parse(value: &str) -> Result<Self, IdError> {
        let v = value.trim();
        if let Ok(guid) = Guid::parse(v, "the tenant id") {
            return Ok(TenantId(guid.to_string()));
        }
        let is_domain = v.len() <= 253
            && v.contains('.')
            && v.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            });
        if is_domain {
            Ok(TenantId(v.to_ascii_lowercase()))
        } else {
            Err(IdError::NotATenant(value.to_owned()))
        }
    }

    /// The tenant id as sent in URLs.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The tenant's GUID, when it was given as one.
    pub fn guid(&self) -> Option<Guid> {
        Guid::parse(&self.0, "the tenant id").ok()
    }
}

impl fmt::Display for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TenantId({})", self.0)
    }
}

impl TryFrom<String> for TenantId {
    type Error = IdError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        TenantId::parse(&value)
    }
}

impl From<TenantId> for String {
    fn from(value: TenantId) -> Self {
        value.0
    }
}

impl FromStr for TenantId {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TenantId::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guid_is_canonical_lower_case() {
        let g = Guid::parse("6731DE76-14A6-49AE-97BC-6EBA6914391E", "x").expect("valid guid");
        assert_eq!(g.to_string(), "6731de76-14a6-49ae-97bc-6eba6914391e");
    }

    #[test]
    fn guid_rejects_other_forms_with_a_helpful_message() {
        let err = Guid::parse("6731de7614a649ae97bc6eba6914391e", "the client id")
            .expect_err("no hyphens");
        assert!(err.to_string().contains("is not a GUID"), "{err}");
        assert!(Guid::parse("secret-value~abc", "x").is_err());
    }

    #[test]
    fn tenant_accepts_guid_and_domain_only() {
        assert!(TenantId::parse("contoso.onmicrosoft.com").is_ok());
        assert_eq!(
            TenantId::parse("Contoso.OnMicrosoft.com")
                .map(|t| t.to_string())
                .ok(),
            Some("contoso.onmicrosoft.com".to_owned())
        );
        assert!(
            TenantId::parse("6731de76-14a6-49ae-97bc-6eba6914391e")
                .expect("guid")
                .guid()
                .is_some()
        );
        assert!(TenantId::parse("contoso").is_err());
        assert!(TenantId::parse("bad/tenant.com").is_err());
        assert!(TenantId::parse("").is_err());
    }
}
