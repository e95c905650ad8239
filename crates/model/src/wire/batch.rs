//! JSON batching (`POST /$batch`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// At most this many requests go in one batch.
pub const MAX_BATCH_REQUESTS: usize = 20;

/// The body of `POST /$batch`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchRequest {
    /// The requests, each with an id unique in the batch.
    pub requests: Vec<BatchRequestItem>,
}

/// One request in a batch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchRequestItem {
    /// Unique in the batch; responses are matched by it.
    pub id: String,
    /// HTTP method.
    pub method: String,
    /// Relative URL, such as `/users?$top=5` (without the version segment).
    pub url: String,
    /// Request headers; `Content-Type` is required with a body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headers: Option<BTreeMap<String, String>>,
    /// JSON body (or a base64 string for other content types).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<serde_json::Value>,
    /// Ids of requests that must succeed before this one runs.
    #[serde(rename = "dependsOn", default, skip_serializing_if = "Option::is_none")]
    pub depends_on: Option<Vec<String>>,
}

/// The body of a `$batch` response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchResponse {
    /// The responses, in any order.
    pub responses: Vec<BatchResponseItem>,
    /// A link to more responses (not used by Graph v1.0 today).
    #[serde(
        rename = "@odata.nextLink",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub next_link: Option<String>,
}

/// One response in a batch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchResponseItem {
    /// The id of the request it answers.
    pub id: String,
    /// HTTP status of that request.
    pub status: u16,
    /// Response headers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headers: Option<BTreeMap<String, String>>,
    /// Response body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<serde_json::Value>,
}
