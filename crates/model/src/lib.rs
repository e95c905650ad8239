//! Wire types, identifiers and the permission matrix of m365vault.
//!
//! This crate does no I/O. It is shared by the Graph client (`graph`) and the
//! Microsoft 365 simulator (`sim`), so that the two cannot drift apart silently.

pub mod cloud;
pub mod data_type;
pub mod id;
pub mod permissions;
pub mod quickxor;
pub mod wire;

pub use cloud::Cloud;
pub use data_type::{DataType, DataTypeSet};
pub use id::{Guid, TenantId};
