//! S3 Object Lock: every object written carries a retention (governance or
//! compliance mode, until a date), and nothing is deleted before that date.
//!
//! opendal cannot send the lock headers, so writes and retention lookups go through
//! this small, SigV4-signed client; everything else stays with opendal.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::BackendError;

/// Object Lock retention modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LockMode {
    /// Users with `s3:BypassGovernanceRetention` may still delete.
    Governance,
    /// Nobody, the root account included, can delete before the date.
    Compliance,
}

impl LockMode {
    fn header(self) -> &'static str {
        match self {
            LockMode::Governance => "GOVERNANCE",
            LockMode::Compliance => "COMPLIANCE",
        }
    }
}

impl std::str::FromStr for LockMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "governance" => Ok(LockMode::Governance),
            "compliance" => Ok(LockMode::Compliance),
            _ => Err(format!(
                "{s:?} is not an Object Lock mode: use governance or compliance"
            )),
        }
    }
}

/// The retention set on every object written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ObjectLock {
    /// The mode.
    pub mode: LockMode,
    /// Days from the write.
    pub days: u32,
}

/// A minimal S3 client for what opendal cannot do: locked PUTs and retention lookups.
pub(crate) struct LockingClient {
    http: reqwest::Client,
    endpoint: url::Url,
    bucket: String,
    prefix: String,
    region: String,
    access_key: String,
    secret: SecretString,
    token: Option<SecretString>,
    lock: ObjectLock,
    location: String,
}

impl fmt::Debug for LockingClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LockingClient")
            .field("location", &self.location)
            .field("lock", &self.lock)
            .finish_non_exhaustive()
    }
}

type HmacSha256 = Hmac<Sha256>;

fn hmac(key: &[u8], data: &str) -> Vec<u8> {
    // HMAC accepts keys of any length.
    let mut mac = HmacSha256::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    mac.update(data.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// Percent-encodes a path segment as SigV4 wants (unreserved characters kept).
fn encode(segment: &str) -> String {
    segment
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl LockingClient {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        endpoint: &str,
        bucket: &str,
        prefix: &str,
        region: &str,
        access_key: &str,
        secret: SecretString,
        token: Option<SecretString>,
        lock: ObjectLock,
        location: String,
    ) -> Result<Self, String> {
        let endpoint = url::Url::parse(endpoint)
            .map_err(|e| format!("the S3 endpoint {endpoint:?} is not a URL: {e}"))?;
        if !matches!(endpoint.path(), "" | "/") {
            return Err(format!(
                "the S3 endpoint {endpoint} has a path; with Object Lock give only scheme, host and port"
            ));
        }
        let http = reqwest::Client::builder()
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self {
            http,
            endpoint,
            bucket: bucket.to_owned(),
            prefix: prefix.trim_matches('/').to_owned(),
            region: region.to_owned(),
            access_key: access_key.to_owned(),
            secret,
            token,
            lock,
            location,
        })
    }

    fn key(&self, path: &str) -> String {
        if self.prefix.is_empty() {
            path.to_owned()
        } else {
            format!("{}/{path}", self.prefix)
        }
    }

    /// Signs and sends one request (path-style addressing).
    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Bytes,
        extra: &[(&str, String)],
    ) -> Result<reqwest::Response, BackendError> {
        let key = self.key(path);
        let canonical_uri = format!(
            "/{}/{}",
            encode(&self.bucket),
            key.split('/').map(encode).collect::<Vec<_>>().join("/")
        );
        let mut url = self.endpoint.clone();
        url.set_path(&canonical_uri);
        let host = match url.port() {
            Some(port) => format!("{}:{port}", url.host_str().unwrap_or_default()),
            None => url.host_str().unwrap_or_default().to_owned(),
        };
        let now = OffsetDateTime::now_utc();
        let amz_date = format!(
            "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
            now.year(),
            u8::from(now.month()),
            now.day(),
            now.hour(),
            now.minute(),
            now.second()
        );
        let date = &amz_date[..8];
        let payload_hash = hex::encode(Sha256::digest(&body));
        let mut headers: Vec<(String, String)> = vec![
            ("host".into(), host),
            ("x-amz-content-sha256".into(), payload_hash.clone()),
            ("x-amz-date".into(), amz_date.clone()),
        ];
        if let Some(token) = &self.token {
            headers.push((
                "x-amz-security-token".into(),
                token.expose_secret().to_owned(),
            ));
        }
        headers.extend(
            extra
                .iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v.trim().to_owned())),
        );
        headers.sort();
        let signed: Vec<&str> = headers.iter().map(|(k, _)| k.as_str()).collect();
        let signed = signed.join(";");
        let canonical_headers: String = headers.iter().map(|(k, v)| format!("{k}:{v}\n")).collect();
        let canonical = format!(
            "{}\n{canonical_uri}\n\n{canonical_headers}\n{signed}\n{payload_hash}",
            method.as_str()
        );
        let scope = format!("{date}/{}/s3/aws4_request", self.region);
        let to_sign = format!(
            "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
            hex::encode(Sha256::digest(canonical.as_bytes()))
        );
        let mut key = hmac(
            format!("AWS4{}", self.secret.expose_secret()).as_bytes(),
            date,
        );
        for part in [self.region.as_str(), "s3", "aws4_request"] {
            key = hmac(&key, part);
        }
        let signature = hex::encode(hmac(&key, &to_sign));
        let auth = format!(
            "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={signed}, Signature={signature}",
            self.access_key
        );
        let mut request = self
            .http
            .request(method, url)
            .header("authorization", auth)
            .body(body);
        for (k, v) in headers.iter().filter(|(k, _)| k != "host") {
            request = request.header(k.as_str(), v.as_str());
        }
        request.send().await.map_err(|e| BackendError::Transient {
            location: self.location.clone(),
            detail: format!("{path}: {e}"),
        })
    }

    fn status_error(&self, path: &str, status: reqwest::StatusCode, body: &str) -> BackendError {
        let location = self.location.clone();
        let detail = format!(
            "{path}: HTTP {status}: {}",
            body.chars().take(300).collect::<String>()
        );
        match status.as_u16() {
            401 | 403 => BackendError::Denied { location, detail },
            429 | 500..=599 => BackendError::Transient { location, detail },
            _ => BackendError::Permanent { location, detail },
        }
    }

    /// Writes an object with the configured retention.
    pub(crate) async fn put(&self, path: &str, data: Bytes) -> Result<(), BackendError> {
        let until = OffsetDateTime::now_utc() + time::Duration::days(i64::from(self.lock.days));
        let until = until
            .replace_nanosecond(0)
            .unwrap_or(until)
            .format(&Rfc3339)
            .unwrap_or_default();
        let checksum = STANDARD.encode(Sha256::digest(&data));
        let extra = [
            ("x-amz-object-lock-mode", self.lock.mode.header().to_owned()),
            ("x-amz-object-lock-retain-until-date", until),
            ("x-amz-checksum-sha256", checksum),
        ];
        let response = self.send(reqwest::Method::PUT, path, data, &extra).await?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let body = response.text().await.unwrap_or_default();
        Err(self.status_error(path, status, &body))
    }

    /// The date until which an object is locked, if any.
    pub(crate) async fn retained_until(
        &self,
        path: &str,
    ) -> Result<Option<OffsetDateTime>, BackendError> {
        let response = self
            .send(reqwest::Method::HEAD, path, Bytes::new(), &[])
            .await?;
        let status = response.status();
        if status.as_u16() == 404 {
            return Ok(None);
        }
        if !status.is_success() {
            return Err(self.status_error(path, status, ""));
        }
        Ok(response
            .headers()
            .get("x-amz-object-lock-retain-until-date")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| OffsetDateTime::parse(v, &Rfc3339).ok()))
    }
}
