//! [`GraphClient`]: authenticated requests to Microsoft Graph with retries,
//! paging through `@odata.nextLink`, and `$batch`.

use std::sync::Arc;

use model::Cloud;
use model::wire::batch::{
    BatchRequest, BatchRequestItem, BatchResponse, BatchResponseItem, MAX_BATCH_REQUESTS,
};
use model::wire::{GraphErrorBody, Page};
use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{ApiError, GraphError};
use crate::identity::without_url;
use crate::retry::{CounterSnapshot, Counters, RetryPolicy};
use crate::token::TokenSource;

/// A request body.
#[derive(Debug, Clone, Copy)]
pub enum Body<'a> {
    /// JSON.
    Json(&'a serde_json::Value),
    /// Bytes of a content type.
    Raw {
        /// The bytes.
        bytes: &'a [u8],
        /// Their `Content-Type`.
        content_type: &'a str,
    },
}

/// A Microsoft Graph client for one tenant and credential.
#[derive(Clone)]
pub struct GraphClient {
    http: reqwest::Client,
    base: String,
    tokens: Arc<dyn TokenSource>,
    retry: RetryPolicy,
    counters: Arc<Counters>,
    pacer: Option<Arc<dyn Pacer>>,
}

/// Paces requests by what the service says about its budget: a budget the caller
/// keeps (SharePoint's resource units, say) waits before requests it governs,
/// and hears of throttled answers and of `RateLimit-Remaining` headers, so that
/// every request of the client backs off together instead of one at a time.
pub trait Pacer: Send + Sync {
    /// Waits until a request to `url` may be sent.
    fn wait<'a>(
        &'a self,
        url: &'a str,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + 'a>>;
    /// A request to `url` was refused (429, 503) with this `Retry-After`.
    fn throttled(&self, url: &str, retry_after: Option<std::time::Duration>);
    /// A response to `url` said how much of the budget is left
    /// (`RateLimit-Remaining`) and when it is whole again (`RateLimit-Reset`).
    fn remaining(&self, url: &str, remaining: u64, reset: std::time::Duration);
}

/// `RateLimit-Remaining` and `RateLimit-Reset` of a response, when both are there.
fn rate_limit(headers: &reqwest::header::HeaderMap) -> Option<(u64, std::time::Duration)> {
    let num = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
    };
    Some((
        num("ratelimit-remaining")?,
        std::time::Duration::from_secs(num("ratelimit-reset")?),
    ))
}

impl std::fmt::Debug for GraphClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GraphClient")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

fn path_of(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(u) => u.path().to_owned(),
        Err(_) => url.split('?').next().unwrap_or_default().to_owned(),
    }
}

/// The error of an unsuccessful response, and its `Retry-After` in seconds.
async fn api_error(
    method: &Method,
    url: &str,
    response: reqwest::Response,
) -> (GraphError, Option<u64>) {
    let status = response.status();
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<f64>().ok())
        .map(|s| s.ceil() as u64);
    let request_id = response
        .headers()
        .get("request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let bytes = response.bytes().await.unwrap_or_default();
    let (code, message) = match serde_json::from_slice::<GraphErrorBody>(&bytes) {
        Ok(b) => (b.error.code, b.error.message),
        Err(_) => (
            status.canonical_reason().unwrap_or("Error").to_owned(),
            String::from_utf8_lossy(&bytes).chars().take(300).collect(),
        ),
    };
    let err = GraphError::from(ApiError {
        method: method.to_string(),
        path: path_of(url),
        status: status.as_u16(),
        code,
        message,
        request_id,
        retry_after,
    });
    (err, retry_after)
}

impl GraphClient {
    /// A client for Graph v1.0 in `cloud`, authenticating with `tokens`.
    pub fn new(http: reqwest::Client, cloud: &Cloud, tokens: Arc<dyn TokenSource>) -> Self {
        GraphClient {
            http,
            base: cloud.graph_v1(),
            tokens,
            retry: RetryPolicy::default(),
            counters: Arc::new(Counters::default()),
            pacer: None,
        }
    }

    /// Paces requests with `pacer` (see [`Pacer`]).
    pub fn with_pacer(mut self, pacer: Arc<dyn Pacer>) -> Self {
        self.pacer = Some(pacer);
        self
    }

    async fn pace(&self, url: &str) {
        if let Some(p) = &self.pacer {
            p.wait(url).await;
        }
    }

    /// Tells the pacer what a response said about the budget.
    fn observe(&self, url: &str, response: &reqwest::Response) {
        let Some(p) = &self.pacer else { return };
        let status = response.status().as_u16();
        if matches!(status, 429 | 503) {
            let after = response
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<f64>().ok())
                .map(|s| std::time::Duration::from_secs_f64(s.max(0.0)));
            p.throttled(url, after);
        } else if let Some((remaining, reset)) = rate_limit(response.headers()) {
            p.remaining(url, remaining, reset);
        }
    }

    /// Replaces the retry policy.
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// What the client has done so far.
    pub fn counters(&self) -> CounterSnapshot {
        self.counters.snapshot()
    }

    /// The token source.
    pub fn tokens(&self) -> &Arc<dyn TokenSource> {
        &self.tokens
    }

    /// `path` (such as `/users`) as a full URL; whole URLs (next links) are kept.
    pub fn url(&self, path: &str) -> String {
        if path.starts_with("http://") || path.starts_with("https://") {
            path.to_owned()
        } else {
            format!("{}/{}", self.base, path.trim_start_matches('/'))
        }
    }

    /// Sends a request with a bearer token and returns the successful response.
    ///
    /// Throttled requests (429, 503) are retried after `Retry-After`; other transient
    /// failures (5xx, timeouts) only for methods that are safe to repeat (not POST).
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&serde_json::Value>,
        headers: &[(&str, &str)],
    ) -> Result<reqwest::Response, GraphError> {
        self.send_body(method, path, body.map(Body::Json), headers)
            .await
    }

    /// Like [`GraphClient::send`], with a body of any content type (such as base64 MIME
    /// as `text/plain`).
    pub async fn send_body(
        &self,
        method: Method,
        path: &str,
        body: Option<Body<'_>>,
        headers: &[(&str, &str)],
    ) -> Result<reqwest::Response, GraphError> {
        let url = self.url(path);
        let idempotent = method != Method::POST;
        let mut attempt = 0u32;
        let mut refreshed = false;
        loop {
            attempt += 1;
            let token = self.tokens.token().await?;
            let mut req = self
                .http
                .request(method.clone(), &url)
                .bearer_auth(token.bearer());
            for (k, v) in headers {
                req = req.header(*k, *v);
            }
            match &body {
                Some(Body::Json(b)) => req = req.json(b),
                Some(Body::Raw {
                    bytes,
                    content_type,
                }) => {
                    req = req
                        .header(reqwest::header::CONTENT_TYPE, *content_type)
                        .body(bytes.to_vec());
                }
                None => {}
            }
            self.pace(&url).await;
            self.counters.request();
            let result = req.send().await;
            let response = match result {
                Ok(r) => {
                    self.observe(&url, &r);
                    r
                }
                Err(e) => {
                    // A request that may have reached Graph is sent again only when repeating it
                    // is harmless; a connection that was never made can always be retried.
                    let retryable =
                        e.is_connect() || (idempotent && (e.is_timeout() || e.is_request()));
                    let err = GraphError::Transport {
                        url: path_of(&url),
                        message: without_url(&e),
                        retryable,
                    };
                    if retryable && let Some(wait) = self.retry.delay(attempt, None) {
                        tracing::warn!(url = %path_of(&url), attempt, ?wait, error = %err, "retrying after a network error");
                        tokio::time::sleep(wait).await;
                        self.counters.retry(wait);
                        continue;
                    }
                    return Err(err);
                }
            };
            let status = response.status();
            tracing::trace!(method = %method, path = %path_of(&url), status = status.as_u16(), attempt, "graph response");
            if status.is_success() || status.is_redirection() {
                return Ok(response);
            }
            let (err, retry_after) = api_error(&method, &url, response).await;
            if status == StatusCode::UNAUTHORIZED && !refreshed {
                // The token may have been revoked or expired early: get a new one, once.
                refreshed = true;
                self.tokens.invalidate().await;
                continue;
            }
            if matches!(status.as_u16(), 429 | 503) {
                self.counters.throttled();
            }
            // Throttled requests were not carried out; other failures of a POST may have been.
            let throttled = matches!(status.as_u16(), 429 | 503);
            if err.is_retryable()
                && (idempotent || throttled)
                && let Some(wait) = self.retry.delay(attempt, retry_after)
            {
                tracing::info!(path = %path_of(&url), status = status.as_u16(), ?wait, attempt, "throttled or failed; retrying");
                tokio::time::sleep(wait).await;
                self.counters.retry(wait);
                continue;
            }
            return Err(err);
        }
    }

    /// GETs a pre-authenticated URL (a drive item's download URL): no Authorization
    /// header goes with it. Throttling (429, 503) and transient failures are retried
    /// like Graph requests; any other error status is returned, so that the caller
    /// can ask Graph for a new URL when this one has expired (401, 403, 410).
    pub async fn fetch_url(
        &self,
        url: &str,
        headers: &[(&str, &str)],
        timeout: std::time::Duration,
    ) -> Result<reqwest::Response, GraphError> {
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let mut req = self.http.get(url).timeout(timeout);
            for (k, v) in headers {
                req = req.header(*k, *v);
            }
            self.pace(url).await;
            self.counters.request();
            let response = match req.send().await {
                Ok(r) => {
                    self.observe(url, &r);
                    r
                }
                Err(e) => {
                    let err = GraphError::Transport {
                        url: path_of(url),
                        message: without_url(&e),
                        retryable: true,
                    };
                    if let Some(wait) = self.retry.delay(attempt, None) {
                        tracing::warn!(url = %path_of(url), attempt, ?wait, error = %err, "retrying a download after a network error");
                        tokio::time::sleep(wait).await;
                        self.counters.retry(wait);
                        continue;
                    }
                    return Err(err);
                }
            };
            let status = response.status();
            if status.is_success() {
                return Ok(response);
            }
            let (err, retry_after) = api_error(&Method::GET, url, response).await;
            let throttled = matches!(status.as_u16(), 429 | 503);
            if throttled {
                self.counters.throttled();
            }
            if err.is_retryable()
                && let Some(wait) = self.retry.delay(attempt, retry_after)
            {
                tracing::info!(url = %path_of(url), status = status.as_u16(), ?wait, attempt, "download throttled or failed; retrying");
                tokio::time::sleep(wait).await;
                self.counters.retry(wait);
                continue;
            }
            return Err(err);
        }
    }

    /// PUTs `bytes` to a pre-authenticated URL (an upload session's `uploadUrl`) with
    /// `headers` (such as `Content-Range`); no Authorization header goes with it.
    /// Throttling and transient failures are retried (a chunk PUT may be repeated);
    /// other error statuses are returned.
    pub async fn put_url(
        &self,
        url: &str,
        headers: &[(&str, &str)],
        bytes: bytes::Bytes,
    ) -> Result<reqwest::Response, GraphError> {
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let mut req = self.http.put(url).body(bytes.clone());
            for (k, v) in headers {
                req = req.header(*k, *v);
            }
            self.pace(url).await;
            self.counters.request();
            let response = match req.send().await {
                Ok(r) => {
                    self.observe(url, &r);
                    r
                }
                Err(e) => {
                    let err = GraphError::Transport {
                        url: path_of(url),
                        message: without_url(&e),
                        retryable: true,
                    };
                    if let Some(wait) = self.retry.delay(attempt, None) {
                        tokio::time::sleep(wait).await;
                        self.counters.retry(wait);
                        continue;
                    }
                    return Err(err);
                }
            };
            let status = response.status();
            if status.is_success() {
                return Ok(response);
            }
            let (err, retry_after) = api_error(&Method::PUT, url, response).await;
            if matches!(status.as_u16(), 429 | 503) {
                self.counters.throttled();
            }
            if err.is_retryable()
                && let Some(wait) = self.retry.delay(attempt, retry_after)
            {
                tokio::time::sleep(wait).await;
                self.counters.retry(wait);
                continue;
            }
            return Err(err);
        }
    }

    async fn json<T: DeserializeOwned>(
        &self,
        response: reqwest::Response,
        path: &str,
    ) -> Result<T, GraphError> {
        let bytes = response.bytes().await.map_err(|e| GraphError::Transport {
            url: path_of(path),
            message: without_url(&e),
            retryable: true,
        })?;
        serde_json::from_slice(&bytes).map_err(|e| GraphError::Decode {
            path: path_of(path),
            message: e.to_string(),
        })
    }

    /// GETs JSON; a connection that drops while the body is read is retried like a
    /// failed request (a GET is safe to repeat).
    async fn get_json<T: DeserializeOwned>(
        &self,
        path: &str,
        headers: &[(&str, &str)],
    ) -> Result<T, GraphError> {
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let r = self.send(Method::GET, path, None, headers).await?;
            match self.json(r, path).await {
                Err(
                    e @ GraphError::Transport {
                        retryable: true, ..
                    },
                ) => match self.retry.delay(attempt, None) {
                    Some(wait) => {
                        tracing::warn!(path = %path_of(path), attempt, ?wait, error = %e, "the answer broke off; asking again");
                        tokio::time::sleep(wait).await;
                        self.counters.retry(wait);
                    }
                    None => return Err(e),
                },
                other => return other,
            }
        }
    }

    /// GETs a JSON entity.
    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, GraphError> {
        self.get_json(path, &[]).await
    }

    /// GETs one page of a collection.
    pub async fn get_page<T: DeserializeOwned>(
        &self,
        path: &str,
        headers: &[(&str, &str)],
    ) -> Result<Page<T>, GraphError> {
        self.get_json(path, headers).await
    }

    /// GETs every item of a collection, following `@odata.nextLink`
    /// (headers such as `ConsistencyLevel` are sent again with every page).
    pub async fn get_all<T: DeserializeOwned>(
        &self,
        path: &str,
        headers: &[(&str, &str)],
    ) -> Result<Vec<T>, GraphError> {
        let mut out = Vec::new();
        let mut next = Some(path.to_owned());
        while let Some(p) = next.take() {
            let page: Page<T> = self.get_page(&p, headers).await?;
            out.extend(page.value);
            next = page.next_link;
        }
        Ok(out)
    }

    /// POSTs a JSON body and reads the JSON answer.
    pub async fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, GraphError> {
        let value = serde_json::to_value(body).map_err(|e| GraphError::Request(e.to_string()))?;
        let r = self.send(Method::POST, path, Some(&value), &[]).await?;
        self.json(r, path).await
    }

    /// PATCHes a JSON body.
    pub async fn patch<B: Serialize>(&self, path: &str, body: &B) -> Result<(), GraphError> {
        let value = serde_json::to_value(body).map_err(|e| GraphError::Request(e.to_string()))?;
        self.send(Method::PATCH, path, Some(&value), &[])
            .await
            .map(|_| ())
    }

    /// DELETEs a resource.
    pub async fn delete(&self, path: &str) -> Result<(), GraphError> {
        self.send(Method::DELETE, path, None, &[]).await.map(|_| ())
    }

    /// Sends requests in `$batch`es of at most 20; answers come back in request order
    /// (an answer missing from Graph's response is an error, never silently skipped).
    pub async fn batch(
        &self,
        requests: Vec<BatchRequestItem>,
    ) -> Result<Vec<BatchResponseItem>, GraphError> {
        let mut out = Vec::with_capacity(requests.len());
        for chunk in requests.chunks(MAX_BATCH_REQUESTS) {
            let body = BatchRequest {
                requests: chunk.to_vec(),
            };
            let response: BatchResponse = self.post("/$batch", &body).await?;
            let mut responses = response.responses;
            for r in chunk {
                let pos = responses.iter().position(|x| x.id == r.id).ok_or_else(|| {
                    GraphError::Decode {
                        path: "/$batch".to_owned(),
                        message: format!("the answer has no response for request '{}'", r.id),
                    }
                })?;
                out.push(responses.swap_remove(pos));
            }
        }
        Ok(out)
    }
}
