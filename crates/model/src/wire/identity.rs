//! Identity platform (Microsoft Entra ID, v2.0 endpoints) wire types.

use serde::{Deserialize, Serialize};

/// A successful token response. Its `Debug` output hides the tokens.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenResponse {
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// Seconds the token stays usable when the service is degraded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ext_expires_in: Option<u64>,
    /// The access token (a JWT for Microsoft Graph).
    pub access_token: String,
    /// Delegated flows with `offline_access` only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// Delegated flows: the granted scopes, space-separated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// Delegated flows with `openid`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
}

/// An error from the token or device-code endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenErrorBody {
    /// The OAuth error, such as `invalid_client`.
    pub error: String,
    /// `AADSTSnnnnn: message\r\nTrace ID: …\r\nCorrelation ID: …\r\nTimestamp: …`.
    #[serde(default)]
    pub error_description: String,
    /// The AADSTS codes.
    #[serde(default)]
    pub error_codes: Vec<u64>,
    /// When it happened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
    /// The service's trace id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace_id: Option<String>,
    /// The correlation id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<String>,
    /// A link to the error's documentation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_uri: Option<String>,
}

impl TokenErrorBody {
    /// The first AADSTS code, if any.
    pub fn code(&self) -> Option<u64> {
        self.error_codes.first().copied().or_else(|| {
            // Some responses carry the code only in the description.
            let rest = self.error_description.strip_prefix("AADSTS")?;
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            digits.parse().ok()
        })
    }

    /// The first line of the description without the `AADSTSnnn: ` prefix.
    pub fn summary(&self) -> &str {
        let first = self
            .error_description
            .split(['\r', '\n'])
            .next()
            .unwrap_or_default();
        match first.split_once(": ") {
            Some((code, rest)) if code.starts_with("AADSTS") => rest,
            _ => first,
        }
    }
}

/// The device authorization response. Its `Debug` output hides the device code.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceCodeResponse {
    /// The code the client polls with.
    pub device_code: String,
    /// The code the user types at `verification_uri`.
    pub user_code: String,
    /// Where the user signs in.
    pub verification_uri: String,
    /// Seconds the codes stay valid.
    pub expires_in: u64,
    /// Seconds to wait between polls.
    pub interval: u64,
    /// A sentence telling the user what to do.
    pub message: String,
}

impl std::fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenResponse")
            .field("token_type", &self.token_type)
            .field("expires_in", &self.expires_in)
            .field("access_token", &"<redacted>")
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "<redacted>"),
            )
            .field("scope", &self.scope)
            .field("id_token", &self.id_token.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

impl std::fmt::Debug for DeviceCodeResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceCodeResponse")
            .field("user_code", &self.user_code)
            .field("verification_uri", &self.verification_uri)
            .field("expires_in", &self.expires_in)
            .field("interval", &self.interval)
            .finish_non_exhaustive()
    }
}

/// The claims of a Microsoft Graph access token that m365vault reads.
///
/// Clients must treat access tokens as opaque except to learn what was granted;
/// m365vault reads `roles` (app-only) and `scp` (delegated) for the permission check.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AccessTokenClaims {
    /// Audience: `https://graph.microsoft.com` or Graph's app id.
    #[serde(default)]
    pub aud: String,
    /// Issuer: `https://sts.windows.net/{tid}/`.
    #[serde(default)]
    pub iss: String,
    /// Issued at (seconds since the epoch).
    #[serde(default)]
    pub iat: i64,
    /// Not before.
    #[serde(default)]
    pub nbf: i64,
    /// Expires.
    #[serde(default)]
    pub exp: i64,
    /// The client's app id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub appid: Option<String>,
    /// How the client authenticated: "0" public, "1" secret, "2" certificate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub appidacr: Option<String>,
    /// `app` for app-only tokens, `user` for delegated ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idtyp: Option<String>,
    /// Object id of the principal (service principal for app-only tokens).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oid: Option<String>,
    /// Subject.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    /// Tenant id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tid: Option<String>,
    /// Token version, "1.0" for Graph.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ver: Option<String>,
    /// Application permissions granted (app-only tokens); absent when none were consented.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<String>>,
    /// Delegated scopes, space-separated (delegated tokens).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scp: Option<String>,
    /// The signed-in user (delegated tokens).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upn: Option<String>,
    /// The signed-in user's name (delegated tokens).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl AccessTokenClaims {
    /// The granted application permissions (empty when none).
    pub fn roles(&self) -> &[String] {
        self.roles.as_deref().unwrap_or_default()
    }

    /// The granted delegated scopes.
    pub fn scopes(&self) -> impl Iterator<Item = &str> {
        self.scp.as_deref().unwrap_or_default().split_whitespace()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_hides_tokens() {
        let t = TokenResponse {
            token_type: "Bearer".into(),
            expires_in: 1,
            ext_expires_in: None,
            access_token: "SECRET-ACCESS".into(),
            refresh_token: Some("SECRET-REFRESH".into()),
            scope: None,
            id_token: Some("SECRET-ID".into()),
        };
        let shown = format!("{t:?}");
        assert!(!shown.contains("SECRET"), "{shown}");
    }

    #[test]
    fn token_error_code_and_summary() {
        let body: TokenErrorBody = serde_json::from_str(
            r#"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided. Ensure...\r\nTrace ID: x\r\nCorrelation ID: y","error_codes":[7000215]}"#,
        )
        .expect("parses");
        assert_eq!(body.code(), Some(7000215));
        assert_eq!(body.summary(), "Invalid client secret provided. Ensure...");
        let no_codes = TokenErrorBody {
            error_codes: vec![],
            ..body
        };
        assert_eq!(no_codes.code(), Some(7000215));
    }
}
