//! Keys and certificates the simulator makes: the token-signing key, the
//! `certificate` app's credential, and the TLS authority.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rcgen::{CertificateParams, DistinguishedName, DnType, KeyPair, RsaKeySize};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::public_key::PublicKey;

/// A failure to make or read a key or certificate.
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    /// rcgen failed.
    #[error("could not generate a key or certificate: {0}")]
    Generate(#[from] rcgen::Error),
    /// The certificate could not be parsed.
    #[error("the certificate is not a valid X.509 certificate: {0}")]
    Parse(String),
    /// The certificate's key is not RSA.
    #[error("the certificate's key is not an RSA key; Microsoft Entra ID accepts RSA certificates")]
    NotRsa,
}

/// A certificate with its private key.
#[derive(Debug, Clone)]
pub struct GeneratedCertificate {
    /// The certificate, PEM.
    pub cert_pem: String,
    /// The certificate, DER.
    pub cert_der: Vec<u8>,
    /// The private key, PKCS#8 PEM.
    pub key_pem: String,
}

/// Makes a self-signed RSA-2048 certificate for `common_name`.
pub fn rsa_certificate(
    common_name: &str,
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
) -> Result<GeneratedCertificate, CryptoError> {
    let key = KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, RsaKeySize::_2048)?;
    let mut params = CertificateParams::new(Vec::<String>::new())?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, common_name);
    params.distinguished_name = dn;
    params.not_before = not_before;
    params.not_after = not_after;
    let cert = params.self_signed(&key)?;
    Ok(GeneratedCertificate {
        cert_pem: cert.pem(),
        cert_der: cert.der().to_vec(),
        key_pem: key.serialize_pem(),
    })
}

/// What the simulator needs to know of a certificate.
#[derive(Debug, Clone)]
pub struct CertificateInfo {
    /// SHA-1 of the DER.
    pub sha1: [u8; 20],
    /// SHA-256 of the DER.
    pub sha256: [u8; 32],
    /// The RSA public key, PKCS#1 DER.
    pub rsa_public_key_der: Vec<u8>,
    /// The modulus, big-endian.
    pub modulus: Vec<u8>,
    /// The public exponent, big-endian.
    pub exponent: Vec<u8>,
    /// Valid from.
    pub not_before: OffsetDateTime,
    /// Valid until.
    pub not_after: OffsetDateTime,
}

/// Reads an RSA certificate (DER).
pub fn certificate_info(der: &[u8]) -> Result<CertificateInfo, CryptoError> {
    let (_, cert) =
        X509Certificate::from_der(der).map_err(|e| CryptoError::Parse(e.to_string()))?;
    let spki = cert.public_key();
    let Ok(PublicKey::RSA(rsa)) = spki.parsed() else {
        return Err(CryptoError::NotRsa);
    };
    let strip = |b: &[u8]| {
        let first = b
            .iter()
            .position(|x| *x != 0)
            .unwrap_or(b.len().saturating_sub(1));
        b[first..].to_vec()
    };
    Ok(CertificateInfo {
        sha1: Sha1::digest(der).into(),
        sha256: Sha256::digest(der).into(),
        rsa_public_key_der: spki.subject_public_key.data.to_vec(),
        modulus: strip(rsa.modulus),
        exponent: strip(rsa.exponent),
        not_before: cert.validity().not_before.to_datetime(),
        not_after: cert.validity().not_after.to_datetime(),
    })
}

/// Base64url without padding, as JOSE uses.
pub fn b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A certificate authority and a server certificate it signed, for `--tls`.
#[derive(Debug, Clone)]
pub struct TlsMaterial {
    /// The authority's certificate, PEM (clients trust this).
    pub ca_pem: String,
    /// The server certificate, DER.
    pub server_cert_der: Vec<u8>,
    /// The server key, PKCS#8 DER.
    pub server_key_der: Vec<u8>,
}

/// Makes a CA and a server certificate for localhost, 127.0.0.1 and ::1.
pub fn tls_material(now: OffsetDateTime) -> Result<TlsMaterial, CryptoError> {
    let ca_key = KeyPair::generate()?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, "m365vault simulator CA");
    ca_params.distinguished_name = dn;
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::CrlSign,
    ];
    ca_params.not_before = now - time::Duration::days(1);
    ca_params.not_after = now + time::Duration::days(365);
    let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key)?;

    let server_key = KeyPair::generate()?;
    let mut params = CertificateParams::new(vec![
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
        "::1".to_owned(),
    ])?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, "localhost");
    params.distinguished_name = dn;
    params.not_before = now - time::Duration::days(1);
    params.not_after = now + time::Duration::days(365);
    let server = params.signed_by(&server_key, &ca)?;
    Ok(TlsMaterial {
        ca_pem: ca.pem(),
        server_cert_der: server.der().to_vec(),
        server_key_der: server_key.serialize_der(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_certificate_reads_back() {
        let now = OffsetDateTime::now_utc()
            .replace_nanosecond(0)
            .expect("valid");
        let c = rsa_certificate("test", now, now + time::Duration::days(30)).expect("generates");
        let info = certificate_info(&c.cert_der).expect("parses");
        assert_eq!(info.exponent, vec![1, 0, 1]);
        assert_eq!(info.modulus.len(), 256);
        assert_eq!(info.not_after, now + time::Duration::days(30));
        assert!(c.key_pem.contains("BEGIN PRIVATE KEY"));
    }
}
