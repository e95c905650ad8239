//! An app registration's credential: a client secret, or a certificate whose
//! private key signs client assertions (PS256 with `x5t#S256`, as Microsoft recommends).

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use model::{Guid, TenantId};
use secrecy::{ExposeSecret, SecretString};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use x509_parser::prelude::{FromDer, X509Certificate};

/// A certificate or key that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialError {
    /// No certificate in the PEM text.
    #[error(
        "no certificate found: the file must hold a PEM certificate (-----BEGIN CERTIFICATE-----); convert a .pfx with `openssl pkcs12 -in cert.pfx -clcerts -nokeys -out cert.pem`"
    )]
    NoCertificate,
    /// The certificate does not parse.
    #[error("the certificate is not a valid X.509 certificate: {0}")]
    BadCertificate(String),
    /// The certificate's key is not RSA.
    #[error("the certificate's key is not RSA: Microsoft Entra ID signs in with RSA certificates")]
    NotRsa,
    /// No private key in the PEM text.
    #[error(
        "no private key found: give the key as PEM (-----BEGIN PRIVATE KEY----- or -----BEGIN RSA PRIVATE KEY-----); convert a .pfx with `openssl pkcs12 -in cert.pfx -nocerts -nodes -out key.pem`"
    )]
    NoKey,
    /// The key is password-protected.
    #[error(
        "the private key is encrypted: export it without a password, for example `openssl pkcs8 -in key.pem -out key-plain.pem` (then keep that file safe; m365vault stores it encrypted)"
    )]
    EncryptedKey,
    /// The key does not parse.
    #[error("the private key is not a valid RSA key: {0}")]
    BadKey(String),
    /// The key belongs to another certificate.
    #[error(
        "the private key does not belong to the certificate: give the key file that was created with this certificate"
    )]
    KeyMismatch,
}

/// A PEM block: its label and its bytes.
pub fn pem_blocks(text: &str) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut label: Option<String> = None;
    let mut body = String::new();
    for line in text.lines() {
        let line = line.trim();
        if let Some(l) = line
            .strip_prefix("-----BEGIN ")
            .and_then(|l| l.strip_suffix("-----"))
        {
            label = Some(l.to_owned());
            body.clear();
        } else if line.starts_with("-----END ") {
            if let Some(l) = label.take()
                && let Ok(bytes) = STANDARD.decode(body.as_bytes())
            {
                out.push((l, bytes));
            }
            body.clear();
        } else if label.is_some() && !line.contains(':') {
            body.push_str(line);
        }
    }
    out
}

/// A certificate credential: the certificate (public) and its private key (secret).
#[derive(Clone)]
pub struct CertificateCredential {
    key: EncodingKey,
    cert_der: Vec<u8>,
    sha1: [u8; 20],
    sha256: [u8; 32],
    subject: String,
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
}

impl CertificateCredential {
    /// Reads a PEM certificate and its PEM private key, and checks that they belong together.
    pub fn from_pem(cert_pem: &str, key_pem: &SecretString) -> Result<Self, CredentialError> {
        let cert_der = pem_blocks(cert_pem)
            .into_iter()
            .find(|(l, _)| l == "CERTIFICATE")
            .map(|(_, b)| b)
            .ok_or(CredentialError::NoCertificate)?;
        let (_, cert) = X509Certificate::from_der(&cert_der)
            .map_err(|e| CredentialError::BadCertificate(e.to_string()))?;
        let Ok(x509_parser::public_key::PublicKey::RSA(_)) = cert.public_key().parsed() else {
            return Err(CredentialError::NotRsa);
        };
        let public_der = cert.public_key().subject_public_key.data.to_vec();
        let subject = cert.subject().to_string();
        let not_before = cert.validity().not_before.to_datetime();
        let not_after = cert.validity().not_after.to_datetime();

        let blocks = pem_blocks(key_pem.expose_secret());
        if blocks.iter().any(|(l, _)| l == "ENCRYPTED PRIVATE KEY") {
            return Err(CredentialError::EncryptedKey);
        }
        let (label, der) = blocks
            .into_iter()
            .find(|(l, _)| l == "PRIVATE KEY" || l == "RSA PRIVATE KEY")
            .ok_or(CredentialError::NoKey)?;
        let key = match label.as_str() {
            "RSA PRIVATE KEY" => EncodingKey::from_rsa_der(&der),
            _ => {
                // PKCS#8: let jsonwebtoken read the PEM form.
                let pem = format!(
                    "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
                    STANDARD.encode(&der)
                );
                EncodingKey::from_rsa_pem(pem.as_bytes())
                    .map_err(|e| CredentialError::BadKey(e.to_string()))?
            }
        };
        // Sign and verify once, so a wrong key is found now rather than at sign-in.
        let probe = jsonwebtoken::encode(
            &Header::new(Algorithm::PS256),
            &serde_json::json!({"probe": 1}),
            &key,
        )
        .map_err(|e| CredentialError::BadKey(e.to_string()))?;
        let mut validation = Validation::new(Algorithm::PS256);
        validation.required_spec_claims.clear();
        validation.validate_exp = false;
        jsonwebtoken::decode::<serde_json::Value>(
            &probe,
            &DecodingKey::from_rsa_der(&public_der),
            &validation,
        )
        .map_err(|_| CredentialError::KeyMismatch)?;
        Ok(CertificateCredential {
            key,
            sha1: Sha1::digest(&cert_der).into(),
            sha256: Sha256::digest(&cert_der).into(),
            cert_der,
            subject,
            not_before,
            not_after,
        })
    }

    /// The client assertion for a token request to `audience` (the token endpoint URL).
    pub fn assertion(&self, client_id: &str, audience: &str, now: OffsetDateTime) -> String {
        let mut header = Header::new(Algorithm::PS256);
        header.x5t_s256 = Some(URL_SAFE_NO_PAD.encode(self.sha256));
        let iat = now.unix_timestamp();
        let claims = serde_json::json!({
            "aud": audience,
            "iss": client_id,
            "sub": client_id,
            "jti": uuid::Uuid::new_v4().to_string(),
            "nbf": iat,
            "iat": iat,
            "exp": iat + 600,
        });
        // The key was proven to sign in `from_pem`.
        jsonwebtoken::encode(&header, &claims, &self.key).unwrap_or_default()
    }

    /// The SHA-1 thumbprint in upper-case hex, as the Entra admin center shows it.
    pub fn thumbprint(&self) -> String {
        self.sha1.iter().map(|b| format!("{b:02X}")).collect()
    }

    /// The certificate's subject.
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// Valid from.
    pub fn not_before(&self) -> OffsetDateTime {
        self.not_before
    }

    /// Valid until.
    pub fn not_after(&self) -> OffsetDateTime {
        self.not_after
    }

    /// The certificate, DER (public).
    pub fn cert_der(&self) -> &[u8] {
        &self.cert_der
    }
}

impl fmt::Debug for CertificateCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CertificateCredential")
            .field("thumbprint", &self.thumbprint())
            .field("subject", &self.subject)
            .field("not_after", &self.not_after)
            .finish_non_exhaustive()
    }
}

/// How an app proves who it is.
#[derive(Clone)]
pub enum Credential {
    /// A client secret's value.
    Secret(SecretString),
    /// A certificate and its private key.
    Certificate(Box<CertificateCredential>),
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credential::Secret(_) => f.write_str("Secret(<redacted>)"),
            Credential::Certificate(c) => c.fmt(f),
        }
    }
}

impl Credential {
    /// Whether the secret is shaped like a GUID (a Secret ID given by mistake).
    pub fn looks_like_secret_id(&self) -> bool {
        match self {
            Credential::Secret(s) => Guid::parse(s.expose_secret(), "secret").is_ok(),
            Credential::Certificate(_) => false,
        }
    }
}

/// Everything needed to sign in as an app (the cloud is the identity client's).
#[derive(Debug, Clone)]
pub struct AppCredential {
    /// The tenant.
    pub tenant: TenantId,
    /// The Application (client) ID.
    pub client_id: Guid,
    /// The secret or certificate.
    pub credential: Credential,
}
