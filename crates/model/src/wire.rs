//! Microsoft Graph and identity-platform wire types.
//!
//! Entity types keep the properties m365vault reads as typed fields and every
//! other property in `extra`, so that nothing the service sends is lost when an
//! entity is stored and written back.

pub mod batch;
pub mod directory;
pub mod error;
pub mod identity;
pub mod odata;

pub use batch::{BatchRequest, BatchRequestItem, BatchResponse, BatchResponseItem};
pub use error::{GraphError, GraphErrorBody, InnerError};
pub use identity::{AccessTokenClaims, DeviceCodeResponse, TokenErrorBody, TokenResponse};
pub use odata::Page;

/// Properties the typed fields do not cover, kept verbatim.
pub type Extra = serde_json::Map<String, serde_json::Value>;
