//! Certificate credentials: validating a `client_assertion` JWT as Entra ID does.
//!
//! The header names the certificate by thumbprint (`x5t#S256` with PS256, or the
//! older `x5t` with RS256); the claims must be `aud` = this token endpoint,
//! `iss` = `sub` = the client id, and `nbf`/`exp` around now.

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;

use super::errors::AadError;
use super::token::iso;
use crate::crypto::b64url;
use crate::state::SimState;
use crate::tenant::{AppReg, Tenant};

/// Clock skew Entra ID tolerates on assertion times.
const SKEW_SECONDS: i64 = 300;

#[derive(Deserialize)]
struct AssertionClaims {
    #[serde(default)]
    aud: Option<String>,
    #[serde(default)]
    iss: Option<String>,
    #[serde(default)]
    sub: Option<String>,
    #[serde(default)]
    nbf: Option<i64>,
    #[serde(default)]
    exp: Option<i64>,
}

/// Checks `jwt` against `app`'s certificates.
pub fn verify(
    state: &SimState,
    t: &Tenant,
    app: &AppReg,
    jwt: &str,
    tenant_param: &str,
) -> Result<(), AadError> {
    let parts: Vec<&str> = jwt.split('.').collect();
    if parts.len() != 3 {
        return Err(AadError::malformed_jwt(
            "The client assertion is not a JWT.",
        ));
    }
    let header =
        jsonwebtoken::decode_header(jwt).map_err(|e| AadError::malformed_jwt(&e.to_string()))?;
    let now = state.now();

    // Each algorithm names its certificate its own way: PS256 by `x5t#S256`, the
    // older RS256 by `x5t` (SHA-1).
    let cert = match (header.alg, &header.x5t_s256, &header.x5t) {
        (Algorithm::PS256, Some(s256), _) => app
            .certificates
            .iter()
            .find(|c| b64url(&c.sha256) == s256.trim_end_matches('=')),
        (Algorithm::RS256, _, Some(sha1)) => app
            .certificates
            .iter()
            .find(|c| b64url(&c.sha1) == sha1.trim_end_matches('=')),
        (Algorithm::PS256, None, _) => {
            return Err(AadError::malformed_jwt(
                "A PS256 client assertion must name its certificate with x5t#S256.",
            ));
        }
        (Algorithm::RS256, _, None) => {
            return Err(AadError::malformed_jwt(
                "An RS256 client assertion must name its certificate with x5t.",
            ));
        }
        _ => {
            return Err(AadError::malformed_jwt(
                "The client assertion must be signed with RS256 or PS256.",
            ));
        }
    };
    let thumbprint = header
        .x5t_s256
        .clone()
        .or(header.x5t.clone())
        .unwrap_or_default();
    let Some(cert) = cert else {
        return Err(AadError::assertion_signature(&format!(
            "The key was not found., Thumbprint of key used by client: '{thumbprint}'"
        )));
    };
    if cert.end <= now || cert.start > now {
        return Err(AadError::assertion_signature(&format!(
            "The key used is expired., Thumbprint of key used by client: '{thumbprint}'"
        )));
    }
    let mut validation = Validation::new(header.alg);
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    let key = DecodingKey::from_rsa_der(&cert.rsa_public_key_der);
    let claims = match jsonwebtoken::decode::<AssertionClaims>(jwt, &key, &validation) {
        Ok(data) => data.claims,
        Err(e) if matches!(e.kind(), jsonwebtoken::errors::ErrorKind::InvalidSignature) => {
            return Err(AadError::assertion_signature(&format!(
                "The signature could not be verified with the key., Thumbprint of key used by client: '{thumbprint}'"
            )));
        }
        Err(e) => return Err(AadError::malformed_jwt(&e.to_string())),
    };

    let client_id = app.app_id.to_string();
    if claims.iss.as_deref() != Some(client_id.as_str())
        || claims.sub.as_deref() != Some(client_id.as_str())
    {
        return Err(AadError::assertion_issuer());
    }
    let aud = claims.aud.unwrap_or_default();
    if !audience_ok(state, t, tenant_param, &aud) {
        return Err(AadError::assertion_audience());
    }
    let (Some(nbf), Some(exp)) = (claims.nbf, claims.exp) else {
        return Err(AadError::malformed_jwt(
            "The client assertion must carry nbf and exp.",
        ));
    };
    let ts = now.unix_timestamp();
    if ts + SKEW_SECONDS < nbf || ts - SKEW_SECONDS > exp {
        let fmt = |s: i64| {
            time::OffsetDateTime::from_unix_timestamp(s)
                .map(iso)
                .unwrap_or_default()
        };
        return Err(AadError::assertion_time(&iso(now), &fmt(nbf), &fmt(exp)));
    }
    Ok(())
}

fn audience_ok(state: &SimState, t: &Tenant, tenant_param: &str, aud: &str) -> bool {
    let aud = aud.trim_end_matches('/');
    let base = state.base_url();
    let hosts = [base.as_str(), "https://login.microsoftonline.com"];
    let tenants = [t.id.to_string(), t.domain.clone(), tenant_param.to_owned()];
    hosts.iter().any(|h| {
        tenants.iter().any(|tn| {
            aud.eq_ignore_ascii_case(&format!("{h}/{tn}/oauth2/v2.0/token"))
                || aud.eq_ignore_ascii_case(&format!("{h}/{tn}/oauth2/token"))
        })
    })
}
