//! Connectors: a Microsoft 365 tenant's app registration and credential, stored
//! with its secret encrypted, and the check that tells exactly which data types
//! it can back up and restore.
//!
//! - [`spec`]: what a connector is (tenant, client id, cloud, data types, credential facts).
//! - [`vault`]: secrets encrypted at rest (XChaCha20-Poly1305) with a key kept apart.
//! - [`store`]: connectors in the data directory.
//! - [`check`]: sign in, read the granted permissions, confirm with Graph, report.
//! - [`setup`]: register m365vault in a tenant for a signed-in administrator.

pub mod check;
pub mod client;
pub mod setup;
pub mod spec;
pub mod store;
pub mod vault;

pub use check::{CheckOptions, CheckReport, check};
pub use client::graph_client;
pub use spec::{ConnectorSecret, ConnectorSpec, CredentialInfo};
pub use store::{ConnectorStore, StoreError};
pub use vault::{Vault, VaultError};
