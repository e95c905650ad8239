//! Graph error responses: `{"error":{"code","message","innerError":{...}}}` with
//! the request ids Microsoft's services put in every error.

use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use model::wire::{GraphErrorBody, InnerError};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

tokio::task_local! {
    /// The ids of the request being served (set by the request-context middleware).
    pub static REQUEST: RequestContext;
}

/// Ids that identify a request in logs and error bodies.
#[derive(Debug, Clone)]
pub struct RequestContext {
    /// The simulator's id for the request.
    pub request_id: String,
    /// The client's id, echoed from `client-request-id` (or the request id).
    pub client_request_id: String,
}

impl RequestContext {
    /// A context for a request with these headers.
    pub fn from_headers(headers: &HeaderMap) -> Self {
        let request_id = uuid::Uuid::new_v4().to_string();
        let client_request_id = headers
            .get("client-request-id")
            .and_then(|v| v.to_str().ok())
            .filter(|v| v.len() <= 128)
            .map(str::to_owned)
            .unwrap_or_else(|| request_id.clone());
        RequestContext {
            request_id,
            client_request_id,
        }
    }

    /// The current request's context, or a fresh one outside a request.
    pub fn current() -> RequestContext {
        REQUEST
            .try_with(Clone::clone)
            .unwrap_or_else(|_| RequestContext::from_headers(&HeaderMap::new()))
    }
}

/// A Graph error response.
#[derive(Debug, Clone)]
pub struct GraphFailure {
    /// HTTP status.
    pub status: StatusCode,
    /// Error code.
    pub code: String,
    /// Error message.
    pub message: String,
    /// Extra response headers (Retry-After, WWW-Authenticate, throttle headers).
    pub headers: Vec<(HeaderName, HeaderValue)>,
}

impl GraphFailure {
    /// A failure with `status`, `code` and `message`.
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        GraphFailure {
            status,
            code: code.to_owned(),
            message: message.into(),
            headers: Vec::new(),
        }
    }

    /// Adds a response header.
    pub fn with_header(mut self, name: &'static str, value: impl AsRef<str>) -> Self {
        if let Ok(v) = HeaderValue::from_str(value.as_ref()) {
            self.headers.push((HeaderName::from_static(name), v));
        }
        self
    }

    /// 400 `Request_BadRequest` (directory).
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "Request_BadRequest", message)
    }

    /// 400 `Request_UnsupportedQuery` (directory).
    pub fn unsupported_query(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "Request_UnsupportedQuery", message)
    }

    /// 404 `Request_ResourceNotFound` (directory).
    pub fn not_found(id: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "Request_ResourceNotFound",
            format!(
                "Resource '{id}' does not exist or one of its queried reference-property objects are not present."
            ),
        )
    }

    /// 403 `Authorization_RequestDenied` (directory).
    pub fn directory_denied() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "Authorization_RequestDenied",
            "Insufficient privileges to complete the operation.",
        )
    }

    /// The JSON body.
    pub fn body(&self) -> GraphErrorBody {
        let ctx = RequestContext::current();
        GraphErrorBody::new(
            self.code.clone(),
            self.message.clone(),
            InnerError {
                date: Some(now_seconds()),
                request_id: Some(ctx.request_id),
                client_request_id: Some(ctx.client_request_id),
            },
        )
    }
}

/// The current UTC time in Graph's `innerError.date` form (seconds, no fraction).
pub fn now_seconds() -> String {
    let now = OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap_or_else(|_| OffsetDateTime::now_utc());
    now.format(&Rfc3339).unwrap_or_default()
}

impl IntoResponse for GraphFailure {
    fn into_response(self) -> Response {
        let body = self.body();
        let mut response = (self.status, axum::Json(body)).into_response();
        for (name, value) in self.headers {
            response.headers_mut().insert(name, value);
        }
        response
    }
}

/// The result type of Graph handlers.
pub type GraphResult<T = Response> = Result<T, GraphFailure>;
