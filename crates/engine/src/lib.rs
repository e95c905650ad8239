//! The backup engine of m365vault: what to back up ([`scope`]), how fast
//! ([`limiter`]), incremental runs on top of the previous one ([`baseline`]) with
//! checkpoints to resume from ([`checkpoint`]), Exchange Online mailboxes, OneDrive
//! and SharePoint, and reading runs back ([`browse`]).

pub mod backup;
pub mod baseline;
pub mod browse;
pub mod checkpoint;
pub mod context;
pub mod directory;
mod drive;
pub mod error;
mod exchange;
pub mod export;
pub mod limiter;
pub mod restore;
pub mod scope;
pub mod teams;

pub use backup::{BackupSummary, Target, backup};
pub use context::{BackupOptions, DataSelection, Progress};
pub use drive::sites::{Site, SiteSpec, resolve_sites};
pub use error::EngineError;
pub use scope::{Mailbox, ScopeSpec, resolve};
pub use teams::{Team, resolve_teams};
