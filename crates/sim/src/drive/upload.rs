//! Upload sessions (`createUploadSession`), as OneDrive and SharePoint document
//! them. The `uploadUrl` is pre-authenticated
//! (`{base}/_api/v2.0/drives/{drive}/items/{item}/uploadSession?guid='…'&tempauth=…`,
//! where SharePoint has `https://{tenant}.sharepoint.com/_api/v2.0/…`) and takes:
//!
//! - `PUT` with `Content-Range: bytes a-b/total`: pieces in order, each a
//!   multiple of 320 KiB (327,680 bytes) except the last, and under 60 MiB
//!   (400 `invalidRequest` otherwise); a piece that overlaps what was received
//!   or leaves a gap answers 416 `invalidRange`. Intermediate pieces answer 202
//!   `{"expirationDateTime", "nextExpectedRanges": ["n-"]}`; the last one 201
//!   (a new file) or 200 (a new version of an existing one) with the driveItem.
//! - `GET`: the session's status; `DELETE`: cancels it (204).
//!
//! Bytes are kept in memory up to 8 MiB and in a temporary file above that.

use std::collections::HashMap;

use axum::Router;
use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};
use serde_json::json;
use time::{Duration, OffsetDateTime};

use super::content::Writer;
use super::download::{charge, sign, unauthorized, verify};
use super::ops::{Conflict, FsInfo, invalid_request};
use super::{lock, render};
use crate::failure::{GraphFailure, GraphResult};
use crate::graph::render::ts;
use crate::state::{AppState, SimState};

/// Pieces must be a multiple of this (320 KiB), except the last.
pub const FRAGMENT: u64 = 327_680;
/// Pieces must be smaller than this (60 MiB).
pub const MAX_FRAGMENT: u64 = 60 * 1024 * 1024;
/// How long a session lasts without activity.
pub const LIFETIME: Duration = Duration::days(1);

/// What a session writes.
#[derive(Debug, Clone)]
pub enum Target {
    /// A file named `name` under folder `parent` (an item id).
    New {
        /// Parent folder id.
        parent: String,
        /// File name.
        name: String,
    },
    /// A new version of file `item`.
    Existing(String),
}

/// An upload in progress.
#[derive(Debug)]
pub struct Session {
    /// Drive id.
    pub drive: String,
    /// What it writes.
    pub target: Target,
    /// What to do when the name is taken.
    pub conflict: Conflict,
    /// `fileSystemInfo` given at creation.
    pub fs: FsInfo,
    /// The app that created it.
    pub app: String,
    /// The total size (fixed by the first piece).
    pub total: Option<u64>,
    /// The bytes so far.
    pub data: Writer,
    /// When it expires.
    pub expires: OffsetDateTime,
}

#[derive(Debug, Serialize, Deserialize)]
struct UploadGrant {
    appid: String,
    sid: String,
}

/// The path of upload URLs.
pub const PATH: &str = "/_api/v2.0/drives/{drive}/items/{item}/uploadSession";

/// Starts a session; answers the `uploadSession` (200, as Graph does).
pub fn create(state: &SimState, session: Session, item_for_url: &str) -> Response {
    let sid = uuid::Uuid::new_v4().to_string();
    let token = sign(
        &state.drives.key,
        &UploadGrant {
            appid: session.app.clone(),
            sid: sid.clone(),
        },
    );
    let url = format!(
        "{}/_api/v2.0/drives/{}/items/{item_for_url}/uploadSession?guid='{sid}'&overwrite={}&rename={}&dc=0&tempauth={token}",
        state.base_url(),
        session.drive,
        if session.conflict == Conflict::Replace {
            "True"
        } else {
            "False"
        },
        if session.conflict == Conflict::Rename {
            "True"
        } else {
            "False"
        },
    );
    let expires = session.expires;
    state
        .drives
        .uploads
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(sid, session);
    axum::Json(json!({
        "@odata.context": format!("{}/v1.0/$metadata#microsoft.graph.uploadSession", state.base_url()),
        "uploadUrl": url,
        "expirationDateTime": ts(expires),
        "nextExpectedRanges": ["0-"],
    }))
    .into_response()
}

/// The upload routes (mounted at the root, outside `/v1.0`).
pub fn routes() -> Router<AppState> {
    Router::new().route(PATH, get(status).put(piece).delete(cancel))
}

fn gone() -> GraphFailure {
    GraphFailure::new(
        StatusCode::NOT_FOUND,
        "itemNotFound",
        "The upload session was not found or has expired.",
    )
}

/// The session id a URL's token names (and the app), or why the token is refused.
fn session_of(
    state: &SimState,
    q: &HashMap<String, String>,
) -> Result<(String, String), &'static str> {
    let token = q.get("tempauth").ok_or("Unsupported security token.")?;
    let grant: UploadGrant = verify(&state.drives.key, token)
        .ok_or("Invalid JWT token. The token signature is not valid.")?;
    let guid = q
        .get("guid")
        .map(|g| g.trim_matches('\''))
        .unwrap_or_default();
    if guid != grant.sid {
        return Err("Invalid JWT token. The token does not match the session.");
    }
    Ok((grant.sid, grant.appid))
}

fn next_ranges(s: &Session) -> Vec<String> {
    vec![format!("{}-", s.data.len())]
}

async fn status(
    State(state): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let (sid, _) = match session_of(&state, &q) {
        Ok(x) => x,
        Err(why) => return unauthorized(why),
    };
    let uploads = state
        .drives
        .uploads
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    match uploads.get(&sid) {
        Some(s) if s.expires > state.now() => axum::Json(json!({
            "expirationDateTime": ts(s.expires),
            "nextExpectedRanges": next_ranges(s),
        }))
        .into_response(),
        _ => gone().into_response(),
    }
}

async fn cancel(
    State(state): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let (sid, _) = match session_of(&state, &q) {
        Ok(x) => x,
        Err(why) => return unauthorized(why),
    };
    let mut uploads = state
        .drives
        .uploads
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    match uploads.remove(&sid) {
        Some(_) => StatusCode::NO_CONTENT.into_response(),
        None => gone().into_response(),
    }
}

fn content_range(headers: &HeaderMap) -> Option<(u64, u64, u64)> {
    let v = headers.get("content-range")?.to_str().ok()?;
    let (range, total) = v.trim().strip_prefix("bytes ")?.split_once('/')?;
    let (a, b) = range.split_once('-')?;
    Some((
        a.trim().parse().ok()?,
        b.trim().parse().ok()?,
        total.trim().parse().ok()?,
    ))
}

async fn piece(
    State(state): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let (sid, app) = match session_of(&state, &q) {
        Ok(x) => x,
        Err(why) => return unauthorized(why),
    };
    match put_piece(&state, &sid, &app, &headers, body).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

async fn put_piece(
    state: &AppState,
    sid: &str,
    app: &str,
    headers: &HeaderMap,
    body: Body,
) -> GraphResult<Response> {
    charge(state, app, 2)?;
    let bytes = axum::body::to_bytes(body, MAX_FRAGMENT as usize + 1)
        .await
        .map_err(|_| {
            invalid_request("The request body is larger than the maximum fragment size of 60 MiB.")
        })?;
    let now = state.now();
    let finished = {
        let mut uploads = state
            .drives
            .uploads
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let s = uploads.get_mut(sid).ok_or_else(gone)?;
        if s.expires <= now {
            uploads.remove(sid);
            return Err(gone());
        }
        let (a, b, total) = content_range(headers).ok_or_else(|| {
            invalid_request(
                "The Content-Range header is missing or malformed: bytes {start}-{end}/{total}.",
            )
        })?;
        let len = bytes.len() as u64;
        if b < a || b - a + 1 != len {
            return Err(invalid_request(
                "The Content-Range header length does not match the provided number of bytes.",
            ));
        }
        if len >= MAX_FRAGMENT {
            return Err(invalid_request(
                "The fragment is too large: each request must carry less than 60 MiB (62,914,560 bytes).",
            ));
        }
        if s.total.is_some_and(|t| t != total) || b >= total {
            return Err(invalid_request(
                "The Content-Range total does not match the size of the upload session.",
            ));
        }
        let received = s.data.len();
        if a != received {
            let message = if a < received {
                "The uploaded fragment overlaps with data that has already been received."
            } else {
                "The uploaded fragment does not start at the next expected byte."
            };
            return Err(GraphFailure::new(
                StatusCode::RANGE_NOT_SATISFIABLE,
                "invalidRange",
                message,
            ));
        }
        let last = b + 1 == total;
        if !last && !len.is_multiple_of(FRAGMENT) {
            return Err(invalid_request(
                "The fragment size must be a multiple of 320 KiB (327,680 bytes), except for the last fragment.",
            ));
        }
        s.total = Some(total);
        s.data.write(&bytes).map_err(|e| {
            GraphFailure::new(
                StatusCode::INSUFFICIENT_STORAGE,
                "insufficientStorage",
                e.to_string(),
            )
        })?;
        s.expires = now + LIFETIME;
        if !last {
            return Ok((
                StatusCode::ACCEPTED,
                axum::Json(json!({
                    "expirationDateTime": ts(s.expires),
                    "nextExpectedRanges": next_ranges(s),
                })),
            )
                .into_response());
        }
        uploads.remove(sid).ok_or_else(gone)?
    };
    commit(state, finished, now)
}

/// Files a finished upload in its drive.
fn commit(state: &AppState, s: Session, now: OffsetDateTime) -> GraphResult<Response> {
    let drive = state.drives.open(state, &s.drive)?;
    let content = s.data.finish();
    let mut d = lock(&drive);
    let (i, created) = match &s.target {
        Target::Existing(id) => {
            let i = d.item(id).ok_or_else(super::item_not_found)?;
            d.replace_content(i, content, now, s.fs);
            (i, false)
        }
        Target::New { parent, name } => {
            let p = d.item(parent).ok_or_else(super::item_not_found)?;
            d.write_file(p, name, content, s.conflict, now, s.fs)?
        }
    };
    let stats = d.stats();
    let v = render::item(&d, &stats, i, render::Form::Full, None);
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, axum::Json(v)).into_response())
}
