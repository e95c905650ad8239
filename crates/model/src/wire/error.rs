//! Microsoft Graph error bodies.

use serde::{Deserialize, Serialize};

/// `{"error": {...}}`, the body of every Graph error response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GraphErrorBody {
    /// The error.
    pub error: GraphError,
}

/// A Graph error: a code such as `Authorization_RequestDenied` and a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GraphError {
    /// The error code, such as `InvalidAuthenticationToken`.
    pub code: String,
    /// A message for developers.
    pub message: String,
    /// Request identifiers for Microsoft support.
    #[serde(
        rename = "innerError",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub inner_error: Option<InnerError>,
}

/// The identifiers Microsoft support asks for.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct InnerError {
    /// When the error happened (ISO 8601, UTC, no fraction).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// The service's id of the request.
    #[serde(
        rename = "request-id",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub request_id: Option<String>,
    /// The client's id of the request, echoed from the `client-request-id` header.
    #[serde(
        rename = "client-request-id",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub client_request_id: Option<String>,
}

impl GraphErrorBody {
    /// Builds an error body.
    pub fn new(code: impl Into<String>, message: impl Into<String>, inner: InnerError) -> Self {
        GraphErrorBody {
            error: GraphError {
                code: code.into(),
                message: message.into(),
                inner_error: Some(inner),
            },
        }
    }
}
