//! The key the simulated identity platform signs access tokens with, its JWKS,
//! and token verification for the Graph side.

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use model::wire::AccessTokenClaims;
use serde::Serialize;
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::crypto::{self, CryptoError};

/// Why an access token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenRejection {
    /// Not a JWT at all.
    Malformed,
    /// The signature does not verify with the simulator's key.
    BadSignature,
}

/// An RSA key with its certificate, published in the JWKS.
pub struct SigningKey {
    encoding: EncodingKey,
    decoding: DecodingKey,
    kid: String,
    jwk: Value,
}

impl SigningKey {
    /// A fresh key. Every simulator process has its own, so tokens of one
    /// simulator are forgeries to another.
    pub fn generate(now: OffsetDateTime) -> Result<Self, CryptoError> {
        let generated = crypto::rsa_certificate(
            "accounts.accesscontrol.windows.net",
            now - time::Duration::days(30),
            now + time::Duration::days(365),
        )?;
        let info = crypto::certificate_info(&generated.cert_der)?;
        let kid = crypto::b64url(&info.sha1);
        let encoding = EncodingKey::from_rsa_pem(generated.key_pem.as_bytes())
            .map_err(|e| CryptoError::Parse(e.to_string()))?;
        let decoding = DecodingKey::from_rsa_der(&info.rsa_public_key_der);
        let jwk = json!({
            "kty": "RSA",
            "use": "sig",
            "kid": kid,
            "x5t": kid,
            "n": crypto::b64url(&info.modulus),
            "e": crypto::b64url(&info.exponent),
            "x5c": [base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &generated.cert_der)],
        });
        Ok(SigningKey {
            encoding,
            decoding,
            kid,
            jwk,
        })
    }

    /// Signs `claims` as an RS256 JWT with `kid` and `x5t`, as Entra ID does.
    pub fn sign<T: Serialize>(&self, claims: &T) -> String {
        let mut header = Header::new(Algorithm::RS256);
        header.typ = Some("JWT".to_owned());
        header.kid = Some(self.kid.clone());
        header.x5t = Some(self.kid.clone());
        // Signing with a key we generated cannot fail but for a bug.
        jsonwebtoken::encode(&header, claims, &self.encoding).unwrap_or_default()
    }

    /// Verifies the signature of `token` and returns its claims (times and
    /// audience are checked by the caller, against the simulator's clock).
    pub fn verify(&self, token: &str) -> Result<AccessTokenClaims, TokenRejection> {
        if token.split('.').count() != 3 {
            return Err(TokenRejection::Malformed);
        }
        let mut validation = Validation::new(Algorithm::RS256);
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.validate_aud = false;
        validation.required_spec_claims.clear();
        match jsonwebtoken::decode::<AccessTokenClaims>(token, &self.decoding, &validation) {
            Ok(data) => Ok(data.claims),
            Err(e) => match e.kind() {
                jsonwebtoken::errors::ErrorKind::InvalidSignature
                | jsonwebtoken::errors::ErrorKind::InvalidAlgorithm
                | jsonwebtoken::errors::ErrorKind::InvalidKeyFormat => {
                    Err(TokenRejection::BadSignature)
                }
                _ => Err(TokenRejection::Malformed),
            },
        }
    }

    /// The JWKS document (`/discovery/v2.0/keys`).
    pub fn jwks(&self) -> Value {
        json!({ "keys": [self.jwk.clone()] })
    }
}
