//! Pre-authenticated download URLs, as SharePoint hands them out in
//! `@microsoft.graph.downloadUrl` and in the `Location` of `…/content`:
//! `{base}/_layouts/15/download.aspx?UniqueId=…&tempauth=…&ApiVersion=2.0`.
//!
//! `tempauth` is a token shaped like SharePoint's (`header.payload.signature`,
//! base64url): the payload names the app (`appid`), the drive, the item, the
//! version (none for the current one) and the expiry (`exp`); the signature is
//! a keyed SHA-256 with a key made at start-up. The URL needs no
//! `Authorization` header, honours `Range`, streams, and after
//! `SimConfig.download_url_ttl_secs` answers 401.

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;

use super::lock;
use crate::failure::GraphFailure;
use crate::state::{AppState, SimState};

/// The path of download URLs.
pub const PATH: &str = "/_layouts/15/download.aspx";

/// What a `tempauth` token grants.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Grant {
    /// The app the URL was issued to (`appid`, as SharePoint's tokens carry it).
    pub appid: String,
    /// Drive id.
    pub drv: String,
    /// Item id.
    pub itm: String,
    /// Version number; `None` for the current content.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ver: Option<u32>,
    /// Not before (Unix seconds).
    pub nbf: i64,
    /// Expiry (Unix seconds).
    pub exp: i64,
}

/// A keyed SHA-256 of `data`.
pub fn mac(key: &[u8; 32], data: &[u8]) -> Vec<u8> {
    let mut h = Sha256::new();
    h.update(key);
    h.update(data);
    h.update(key);
    h.finalize().to_vec()
}

/// Signs `payload` as `header.payload.signature`.
pub fn sign<T: Serialize>(key: &[u8; 32], payload: &T) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"typ":"JWT","alg":"none"}"#);
    let body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(payload).unwrap_or_default());
    let signed = format!("{header}.{body}");
    let sig = URL_SAFE_NO_PAD.encode(mac(key, signed.as_bytes()));
    format!("{signed}.{sig}")
}

/// Checks a token's signature and reads its payload.
pub fn verify<T: for<'de> Deserialize<'de>>(key: &[u8; 32], token: &str) -> Option<T> {
    let (signed, sig) = token.rsplit_once('.')?;
    let expected = URL_SAFE_NO_PAD.encode(mac(key, signed.as_bytes()));
    if expected != sig {
        return None;
    }
    let (_, body) = signed.split_once('.')?;
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(body).ok()?).ok()
}

/// A download URL for `item` of `drive` (a version, or the current content)
/// issued to `app_id`.
pub fn url(
    state: &SimState,
    app_id: &str,
    drive: &str,
    item: &str,
    unique: &str,
    ver: Option<u32>,
) -> String {
    let now = state.now().unix_timestamp();
    let grant = Grant {
        appid: app_id.to_owned(),
        drv: drive.to_owned(),
        itm: item.to_owned(),
        ver,
        nbf: now,
        exp: now + state.config.download_url_ttl_secs as i64,
    };
    format!(
        "{}{PATH}?UniqueId={unique}&Translate=false&tempauth={}&ApiVersion=2.0",
        state.base_url(),
        sign(&state.drives.key, &grant)
    )
}

/// The app a download or upload URL was issued to (for throttling), if the URL is one.
pub fn app_of(state: &SimState, token: &str) -> Option<String> {
    verify::<Grant>(&state.drives.key, token).map(|g| g.appid)
}

/// Charges SharePoint resource units to the app that holds a pre-authenticated
/// URL (such URLs carry no bearer token, so the Graph middleware never sees them).
pub fn charge(state: &SimState, app_id: &str, ru: u32) -> Result<(), GraphFailure> {
    crate::throttle::sharepoint::charge_anonymous(state, app_id, ru)
}

/// SharePoint's answer to a `tempauth` that has expired or is not valid.
pub fn unauthorized(description: &str) -> Response {
    let mut r = (
        StatusCode::UNAUTHORIZED,
        axum::Json(serde_json::json!({"error_description": description})),
    )
        .into_response();
    r.headers_mut().insert(
        "x-ms-diagnostics",
        HeaderValue::from_static(
            "3000006;reason=\"Token is expired or not valid.\";category=\"invalid_client\"",
        ),
    );
    r
}

/// The download route (mounted at the root, outside `/v1.0`).
pub fn routes() -> Router<AppState> {
    Router::new().route(PATH, get(download))
}

/// A `Range: bytes=a-b` / `bytes=a-` / `bytes=-n` header against `size`:
/// `Ok(None)` without one, `Err(())` when it cannot be satisfied.
#[allow(clippy::result_unit_err)]
pub fn range(headers: &HeaderMap, size: u64) -> Result<Option<(u64, u64)>, ()> {
    let Some(v) = headers.get("range").and_then(|v| v.to_str().ok()) else {
        return Ok(None);
    };
    let Some(spec) = v.trim().strip_prefix("bytes=") else {
        return Ok(None);
    };
    // Several ranges: serve the first (a client asking for several gets one, which HTTP allows).
    let spec = spec.split(',').next().unwrap_or_default().trim();
    let Some((a, b)) = spec.split_once('-') else {
        return Err(());
    };
    let (a, b) = (a.trim(), b.trim());
    let (start, end) = if a.is_empty() {
        let n: u64 = b.parse().map_err(|_| ())?;
        if n == 0 {
            return Err(());
        }
        (size.saturating_sub(n), size.saturating_sub(1))
    } else {
        let start: u64 = a.parse().map_err(|_| ())?;
        let end = if b.is_empty() {
            size.saturating_sub(1)
        } else {
            b.parse::<u64>()
                .map_err(|_| ())?
                .min(size.saturating_sub(1))
        };
        (start, end)
    };
    if start >= size || start > end {
        return Err(());
    }
    Ok(Some((start, end)))
}

async fn download(
    State(state): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let Some(token) = q.get("tempauth") else {
        return unauthorized("Unsupported security token.");
    };
    let Some(grant) = verify::<Grant>(&state.drives.key, token) else {
        return unauthorized("Invalid JWT token. The token signature is not valid.");
    };
    if state.now().unix_timestamp() >= grant.exp {
        return unauthorized("Invalid JWT token. The token is expired.");
    }
    if let Err(e) = charge(&state, &grant.appid, 1) {
        return e.into_response();
    }
    let drive = match state.drives.open(&state, &grant.drv) {
        Ok(d) => d,
        Err(e) => return e.into_response(),
    };
    let (blob, name) = {
        let d = lock(&drive);
        let Some(i) = d.item(&grant.itm) else {
            return super::item_not_found().into_response();
        };
        let Some(f) = &d.items[i].file else {
            return super::item_not_found().into_response();
        };
        let blob = match grant.ver {
            None => f.content.clone(),
            Some(n) if n == f.number => f.content.clone(),
            Some(n) => match f.versions.iter().find(|v| v.number == n) {
                Some(v) => v.content.clone(),
                None => return super::item_not_found().into_response(),
            },
        };
        (blob, d.items[i].name.clone())
    };
    let size = blob.size();
    let (mime, _) = super::names::mime(&name);
    let (status, start, end) = match range(&headers, size) {
        Ok(None) => (StatusCode::OK, 0, size),
        Ok(Some((a, b))) => (StatusCode::PARTIAL_CONTENT, a, b + 1),
        Err(()) => {
            let mut r = StatusCode::RANGE_NOT_SATISFIABLE.into_response();
            if let Ok(v) = HeaderValue::from_str(&format!("bytes */{size}")) {
                r.headers_mut().insert("content-range", v);
            }
            return r;
        }
    };
    let mut r = Response::new(blob.body(start, end));
    *r.status_mut() = status;
    let h = r.headers_mut();
    h.insert("accept-ranges", HeaderValue::from_static("bytes"));
    if let Ok(v) = HeaderValue::from_str(mime) {
        h.insert("content-type", v);
    }
    if let Ok(v) = HeaderValue::from_str(&(end - start).to_string()) {
        h.insert("content-length", v);
    }
    if status == StatusCode::PARTIAL_CONTENT
        && let Ok(v) = HeaderValue::from_str(&format!("bytes {start}-{}/{size}", end - 1))
    {
        h.insert("content-range", v);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        let mut h = HeaderMap::new();
        assert_eq!(range(&h, 100), Ok(None));
        h.insert("range", HeaderValue::from_static("bytes=10-19"));
        assert_eq!(range(&h, 100), Ok(Some((10, 19))));
        h.insert("range", HeaderValue::from_static("bytes=90-"));
        assert_eq!(range(&h, 100), Ok(Some((90, 99))));
        h.insert("range", HeaderValue::from_static("bytes=-5"));
        assert_eq!(range(&h, 100), Ok(Some((95, 99))));
        h.insert("range", HeaderValue::from_static("bytes=95-500"));
        assert_eq!(range(&h, 100), Ok(Some((95, 99))));
        h.insert("range", HeaderValue::from_static("bytes=100-"));
        assert_eq!(range(&h, 100), Err(()));
    }

    #[test]
    fn tokens_are_signed() {
        let key = [3u8; 32];
        let g = Grant {
            appid: "a".into(),
            drv: "d".into(),
            itm: "i".into(),
            ver: None,
            nbf: 0,
            exp: 10,
        };
        let t = sign(&key, &g);
        assert_eq!(verify::<Grant>(&key, &t).map(|g| g.itm), Some("i".into()));
        assert!(verify::<Grant>(&[4u8; 32], &t).is_none());
        let forged = t.replacen('.', ".x", 1);
        assert!(verify::<Grant>(&key, &forged).is_none());
    }
}
