//! Injected latency and faults, so that clients meet what Microsoft's services
//! do on a bad day: 5xx answers (some after the write was carried out),
//! dropped connections, slow answers and expired delta tokens.
//!
//! Faults are set at run time through `POST /_sim/faults` (see
//! [`FaultSettings`]) and apply to Graph requests (`/v1.0/…`), never to
//! `/_sim` or the identity platform. Every decision is drawn from the seed and
//! a request counter, so a client that sends the same requests in the same
//! order meets the same faults.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hyper::body::{Body as HttpBody, Frame, SizeHint};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::failure::GraphFailure;
use crate::state::{AppState, SimState};
use crate::throttle::outlook::mailbox_target;

/// How long Graph takes to answer: every Graph request waits between `min_ms`
/// and `max_ms` before its handler answers (log-uniformly distributed, so most
/// waits are short, as with the real service), drawn from the simulator's seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Latency {
    /// Shortest wait, in milliseconds.
    pub min_ms: u64,
    /// Longest wait, in milliseconds.
    pub max_ms: u64,
}

/// The body of `POST /_sim/faults` (and of `GET`): rates are fractions of the
/// requests (0 to 1); `{}` or all rates 0 turns faults off.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FaultSettings {
    /// Seed of the decisions.
    pub seed: u64,
    /// Requests answered 500 or 503 (503 with `Retry-After` half of the time)
    /// without running them…
    pub server_error: f64,
    /// …except that this fraction of the writes (POST, PUT, PATCH, DELETE) among
    /// them is carried out first and then answered 500 or 504, as Microsoft does
    /// when its front end gives up on a back end that went on to finish.
    pub after_write: f64,
    /// Connections dropped without an answer; large downloads (over 64 KiB) are
    /// cut in the middle of the body instead.
    pub reset: f64,
    /// Answers delayed by `slow_ms`.
    pub slow: f64,
    /// The delay of slow answers, in milliseconds.
    pub slow_ms: u64,
    /// Delta requests carrying a state token answered as if the token had expired.
    pub expired_delta: f64,
    /// Only requests whose path and query contain this (case-insensitive).
    pub paths: Option<String>,
    /// `Retry-After` of injected 503s, in seconds.
    pub retry_after_secs: u64,
}

impl Default for FaultSettings {
    fn default() -> Self {
        FaultSettings {
            seed: 0,
            server_error: 0.0,
            after_write: 0.5,
            reset: 0.0,
            slow: 0.0,
            slow_ms: 3_000,
            expired_delta: 0.0,
            paths: None,
            retry_after_secs: 1,
        }
    }
}

impl FaultSettings {
    /// Whether any fault can happen.
    pub fn active(&self) -> bool {
        self.server_error > 0.0 || self.reset > 0.0 || self.slow > 0.0 || self.expired_delta > 0.0
    }

    /// Every problem with the settings.
    pub fn validate(&self) -> Vec<String> {
        let mut problems = Vec::new();
        for (name, rate) in [
            ("server_error", self.server_error),
            ("after_write", self.after_write),
            ("reset", self.reset),
            ("slow", self.slow),
            ("expired_delta", self.expired_delta),
        ] {
            if !(0.0..=1.0).contains(&rate) {
                problems.push(format!("{name} must be between 0 and 1, not {rate}"));
            }
        }
        problems
    }
}

/// What the simulator keeps for latency and faults.
#[derive(Debug, Default)]
pub struct Faults {
    settings: RwLock<FaultSettings>,
    requests: AtomicU64,
    latencies: AtomicU64,
}

/// Which delta service a token belongs to (each answers an expired token its own way).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeltaKind {
    /// Mail folders, messages, calendar view, contacts: 410 `SyncStateNotFound`.
    Outlook,
    /// Users, groups: 410 `syncStateNotFound` with `Location`.
    Directory,
    /// Drives: 410 `resyncRequired` with `Location`.
    Drive,
}

/// The answer to a delta request whose token has expired. `restart` is the URL
/// to start again from (without the token), sent as `Location` where the
/// service sends one.
pub fn delta_expired_response(kind: DeltaKind, restart: Option<&str>) -> Response {
    let failure = match kind {
        DeltaKind::Outlook => GraphFailure::new(
            StatusCode::GONE,
            "SyncStateNotFound",
            "The sync state could not be found. The delta token is expired; synchronize again without it.",
        ),
        DeltaKind::Directory => GraphFailure::new(
            StatusCode::GONE,
            "syncStateNotFound",
            "The sync state generation is not found. The delta token is expired and data must be synchronized again.",
        ),
        DeltaKind::Drive => GraphFailure::new(
            StatusCode::GONE,
            "resyncRequired",
            "Resync required. Replace any local items with the server's version (including deletes) if you're sure that the service was up to date with your local changes when you last sync'd. Upload any local changes that the server doesn't know about.",
        ),
    };
    let failure = match (kind, restart) {
        (DeltaKind::Directory | DeltaKind::Drive, Some(url)) => {
            failure.with_header("location", url)
        }
        _ => failure,
    };
    failure.into_response()
}

/// Marks a request that `$batch` dispatches for one of its items: such
/// requests never lose their connection (there is none of their own).
#[derive(Debug, Clone, Copy)]
pub struct BatchItem;

/// The error that makes the server drop a connection without answering; set
/// as a response extension, the server turns it into a connection error.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("connection dropped by fault injection")]
pub struct ResetConnection;

impl From<Infallible> for ResetConnection {
    fn from(never: Infallible) -> Self {
        match never {}
    }
}

/// Turns responses marked [`ResetConnection`] into a service error, which makes
/// hyper close the connection without an answer.
pub fn reset_to_error(result: Result<Response, Infallible>) -> Result<Response, ResetConnection> {
    match result {
        Ok(r) if r.extensions().get::<ResetConnection>().is_some() => Err(ResetConnection),
        Ok(r) => Ok(r),
        Err(never) => match never {},
    }
}

/// The fault decided for one request.
#[derive(Debug, Clone, PartialEq)]
enum Fault {
    ExpiredDelta(DeltaKind),
    ServerError {
        status: u16,
        retry_after: Option<u64>,
    },
    ServerErrorAfter {
        status: u16,
    },
    Reset,
    Slow(u64),
}

impl Fault {
    fn name(&self) -> &'static str {
        match self {
            Fault::ExpiredDelta(_) => "expired_delta",
            Fault::ServerError { .. } => "server_error",
            Fault::ServerErrorAfter { .. } => "server_error_after",
            Fault::Reset => "reset",
            Fault::Slow(_) => "slow",
        }
    }
}

/// SplitMix64: a well-mixed 64-bit value for (seed, n).
fn mix(seed: u64, n: u64) -> u64 {
    let mut z = seed
        .wrapping_add(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(n.wrapping_mul(0xBF58_476D_1CE4_E5B9));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A number in [0, 1) for draw `k` of request `n`.
fn unit(seed: u64, n: u64, k: u64) -> f64 {
    (mix(seed, n.wrapping_mul(16).wrapping_add(k)) >> 11) as f64 / (1u64 << 53) as f64
}

/// The delta kind and whether the request carries a saved state token.
fn delta_request(path: &str, query: Option<&str>) -> Option<DeltaKind> {
    let is_delta = path.split('/').any(|s| {
        s.eq_ignore_ascii_case("delta") || s.eq_ignore_ascii_case("microsoft.graph.delta")
    }) || path.to_ascii_lowercase().contains("/delta(");
    if !is_delta {
        return None;
    }
    let has_token =
        url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()).any(|(k, v)| {
            let k = k.trim_start_matches('$').to_ascii_lowercase();
            matches!(k.as_str(), "deltatoken" | "skiptoken" | "token")
                && !v.eq_ignore_ascii_case("latest")
        });
    if !has_token {
        return None;
    }
    let lower = path.to_ascii_lowercase();
    Some(if lower.contains("/drive/") || lower.contains("/drives/") {
        DeltaKind::Drive
    } else if mailbox_target(path).is_some() {
        DeltaKind::Outlook
    } else {
        DeltaKind::Directory
    })
}

/// The URL that restarts a delta round: the request's, without its state token.
fn restart_url(base: &str, path: &str, query: Option<&str>) -> String {
    let kept: Vec<(String, String)> =
        url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .filter(|(k, _)| {
                !matches!(
                    k.trim_start_matches('$').to_ascii_lowercase().as_str(),
                    "deltatoken" | "skiptoken" | "token"
                )
            })
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
    if kept.is_empty() {
        format!("{base}{path}")
    } else {
        let q = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(kept)
            .finish();
        format!("{base}{path}?{q}")
    }
}

impl Faults {
    /// The current settings.
    pub fn settings(&self) -> FaultSettings {
        self.settings
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Replaces the settings (and restarts the sequence of decisions).
    pub fn set(&self, settings: FaultSettings) {
        *self.settings.write().unwrap_or_else(|e| e.into_inner()) = settings;
        self.requests.store(0, Ordering::SeqCst);
    }

    /// How long the next request waits under `latency`, in milliseconds.
    pub fn latency_ms(&self, seed: u64, latency: Latency) -> u64 {
        let (lo, hi) = (
            latency.min_ms.min(latency.max_ms),
            latency.max_ms.max(latency.min_ms),
        );
        if lo == hi {
            return lo;
        }
        let n = self.latencies.fetch_add(1, Ordering::Relaxed);
        let u = unit(seed ^ 0x6C61_7465_6E63_7921, n, 0);
        let (a, b) = (((lo + 1) as f64).ln(), ((hi + 1) as f64).ln());
        let ms = (a + u * (b - a)).exp() - 1.0;
        (ms.round() as u64).clamp(lo, hi)
    }

    fn decide(&self, req: &Request) -> Option<Fault> {
        let s = self.settings.read().unwrap_or_else(|e| e.into_inner());
        if !s.active() {
            return None;
        }
        let uri = req.uri();
        if let Some(filter) = &s.paths {
            let pq = uri
                .path_and_query()
                .map(|p| p.as_str())
                .unwrap_or_default()
                .to_ascii_lowercase();
            if !pq.contains(&filter.to_ascii_lowercase()) {
                return None;
            }
        }
        let n = self.requests.fetch_add(1, Ordering::SeqCst);
        let draw = |k| unit(s.seed, n, k);
        if draw(0) < s.expired_delta
            && let Some(kind) = delta_request(uri.path(), uri.query())
        {
            return Some(Fault::ExpiredDelta(kind));
        }
        if draw(1) < s.server_error {
            let write = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
            let coin = draw(3) < 0.5;
            if write && draw(2) < s.after_write {
                return Some(Fault::ServerErrorAfter {
                    status: if coin { 500 } else { 504 },
                });
            }
            return Some(if coin {
                Fault::ServerError {
                    status: 500,
                    retry_after: None,
                }
            } else {
                Fault::ServerError {
                    status: 503,
                    retry_after: (draw(4) < 0.5).then_some(s.retry_after_secs),
                }
            });
        }
        if draw(5) < s.reset && req.extensions().get::<BatchItem>().is_none() {
            return Some(Fault::Reset);
        }
        if draw(6) < s.slow {
            return Some(Fault::Slow(s.slow_ms));
        }
        None
    }
}

fn server_error(status: u16, retry_after: Option<u64>) -> Response {
    let failure = match status {
        503 => GraphFailure::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "ServiceUnavailable",
            "The service is temporarily unavailable. Please retry later.",
        ),
        504 => GraphFailure::new(
            StatusCode::GATEWAY_TIMEOUT,
            "GatewayTimeout",
            "The request timed out.",
        ),
        _ => GraphFailure::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalServerError",
            "An internal server error occurred. The operation failed.",
        ),
    };
    match retry_after {
        Some(s) => failure.with_header("retry-after", s.to_string()),
        None => failure,
    }
    .into_response()
}

/// A response the server turns into a dropped connection. Its status (444,
/// nginx's "closed without response") is what `/_sim/stats` counts it under.
fn reset_response() -> Response {
    let mut r = Response::new(Body::empty());
    *r.status_mut() = StatusCode::from_u16(444).unwrap_or(StatusCode::BAD_GATEWAY);
    r.extensions_mut().insert(ResetConnection);
    r
}

/// Bodies larger than this are cut in the middle rather than never started.
const CUT_ABOVE: u64 = 64 * 1024;

/// A body that ends in an error after `remaining` bytes (and a pause, so that
/// the bytes sent so far leave the server before the connection drops).
struct Cut {
    inner: Body,
    remaining: u64,
    pause: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl HttpBody for Cut {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        if self.remaining == 0 {
            let pause = self
                .pause
                .get_or_insert_with(|| Box::pin(tokio::time::sleep(Duration::from_millis(50))));
            return match pause.as_mut().poll(cx) {
                Poll::Ready(()) => Poll::Ready(Some(Err(axum::Error::new(ResetConnection)))),
                Poll::Pending => Poll::Pending,
            };
        }
        match Pin::new(&mut self.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => match frame.into_data() {
                Ok(mut data) => {
                    let keep = (data.len() as u64).min(self.remaining);
                    data.truncate(keep as usize);
                    self.remaining -= keep;
                    Poll::Ready(Some(Ok(Frame::data(data))))
                }
                Err(frame) => Poll::Ready(Some(Ok(frame))),
            },
            other => other,
        }
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// Drops `response`'s connection: mid-body when it is large, before the
/// status line otherwise.
fn cut_or_reset(response: Response) -> Response {
    let hint = response.body().size_hint();
    let remaining = match hint.exact() {
        Some(n) if n > CUT_ABOVE => n / 2,
        Some(_) => return reset_response(),
        None => CUT_ABOVE,
    };
    let (parts, body) = response.into_parts();
    Response::from_parts(
        parts,
        Body::new(Cut {
            inner: body,
            remaining,
            pause: None,
        }),
    )
}

/// Waits the configured latency (nothing without one).
pub async fn latency(state: &SimState) {
    if let Some(l) = state.config.latency {
        let ms = state.faults.latency_ms(state.config.seed, l);
        if ms > 0 {
            tokio::time::sleep(Duration::from_millis(ms)).await;
        }
    }
}

/// The fault-injection middleware (around everything, applying to `/v1.0`).
pub async fn layer(State(state): State<AppState>, req: Request, next: Next) -> Response {
    // Graph, and the pre-authenticated download URLs it hands out.
    if !req.uri().path().starts_with("/v1.0/") && req.uri().path() != crate::drive::download::PATH {
        return next.run(req).await;
    }
    let Some(fault) = state.faults.decide(&req) else {
        return next.run(req).await;
    };
    state.stats.fault(fault.name());
    tracing::debug!(fault = fault.name(), path = %req.uri().path(), "injecting a fault");
    match fault {
        Fault::ExpiredDelta(kind) => {
            let restart = restart_url(&state.base_url(), req.uri().path(), req.uri().query());
            delta_expired_response(kind, Some(&restart))
        }
        Fault::ServerError {
            status,
            retry_after,
        } => server_error(status, retry_after),
        Fault::ServerErrorAfter { status } => {
            let done = next.run(req).await;
            tracing::debug!(
                status = done.status().as_u16(),
                "write carried out before the injected error"
            );
            drop(done);
            server_error(status, None)
        }
        Fault::Reset if req.method() == Method::GET => cut_or_reset(next.run(req).await),
        Fault::Reset => reset_response(),
        Fault::Slow(ms) => {
            let response = next.run(req).await;
            tokio::time::sleep(Duration::from_millis(ms)).await;
            response
        }
    }
}

/// `GET /_sim/faults`: the current settings.
pub async fn get_settings(State(state): State<AppState>) -> Json<FaultSettings> {
    Json(state.faults.settings())
}

/// `POST /_sim/faults`: replaces the settings.
pub async fn set_settings(State(state): State<AppState>, body: Bytes) -> Response {
    let settings: FaultSettings = if body.iter().all(u8::is_ascii_whitespace) {
        FaultSettings::default()
    } else {
        match serde_json::from_slice(&body) {
            Ok(s) => s,
            Err(e) => {
                return (
                    StatusCode::BAD_REQUEST,
                    Json(json!({"error": format!("invalid fault settings: {e}")})),
                )
                    .into_response();
            }
        }
    };
    let problems = settings.validate();
    if !problems.is_empty() {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": problems.join("; ")})),
        )
            .into_response();
    }
    state.faults.set(settings.clone());
    Json(settings).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_are_reproducible_and_spread() {
        let a: Vec<f64> = (0..1000).map(|n| unit(7, n, 1)).collect();
        let b: Vec<f64> = (0..1000).map(|n| unit(7, n, 1)).collect();
        assert_eq!(a, b);
        assert!(a.iter().all(|x| (0.0..1.0).contains(x)));
        let below = a.iter().filter(|x| **x < 0.1).count();
        assert!((60..140).contains(&below), "{below}");
        assert_ne!(unit(8, 0, 1), unit(7, 0, 1));
    }

    #[test]
    fn delta_requests_are_recognised_by_kind() {
        assert_eq!(
            delta_request("/v1.0/users/delta", Some("$deltatoken=abc")),
            Some(DeltaKind::Directory)
        );
        assert_eq!(
            delta_request("/v1.0/users/delta", Some("$deltatoken=latest")),
            None
        );
        assert_eq!(delta_request("/v1.0/users/delta", None), None);
        assert_eq!(
            delta_request(
                "/v1.0/users/u/mailFolders/inbox/messages/delta",
                Some("%24skiptoken=x")
            ),
            Some(DeltaKind::Outlook)
        );
        assert_eq!(
            delta_request("/v1.0/drives/d/root/delta", Some("token=x")),
            Some(DeltaKind::Drive)
        );
        assert_eq!(delta_request("/v1.0/users", Some("$skiptoken=x")), None);
        assert_eq!(
            restart_url(
                "http://h",
                "/v1.0/users/delta",
                Some("$select=id&$deltatoken=abc")
            ),
            "http://h/v1.0/users/delta?%24select=id"
        );
    }

    #[test]
    fn latency_stays_between_its_bounds() {
        let f = Faults::default();
        let l = Latency {
            min_ms: 20,
            max_ms: 400,
        };
        let all: Vec<u64> = (0..500).map(|_| f.latency_ms(3, l)).collect();
        assert!(all.iter().all(|ms| (20..=400).contains(ms)));
        assert!(all.iter().any(|ms| *ms < 60) && all.iter().any(|ms| *ms > 200));
        let g = Faults::default();
        let again: Vec<u64> = (0..500).map(|_| g.latency_ms(3, l)).collect();
        assert_eq!(all, again);
        assert_eq!(
            f.latency_ms(
                3,
                Latency {
                    min_ms: 5,
                    max_ms: 5
                }
            ),
            5
        );
    }

    #[test]
    fn settings_are_checked() {
        let s: FaultSettings = serde_json::from_str("{}").expect("empty");
        assert!(!s.active());
        assert!(serde_json::from_str::<FaultSettings>(r#"{"bogus": 1}"#).is_err());
        let bad = FaultSettings {
            reset: 1.5,
            ..FaultSettings::default()
        };
        assert_eq!(bad.validate().len(), 1);
    }
}
