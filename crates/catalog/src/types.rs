//! The records the catalog stores and the filters that select them.
//!
//! Times are kept with millisecond precision: a time read back is the time written,
//! truncated to the millisecond. Sizes are `u64` in the API and must fit in an `i64`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;

/// A backup repository the catalog knows about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepositoryRecord {
    /// Repository id (hex, produced by the store crate).
    pub id: String,
    /// Where the repository lives (a path or a URL). Never contains secrets: a URL with a
    /// password is refused.
    pub location: String,
    /// When the repository was first registered in the catalog.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// A connector as the catalog lists it (the secret stays in the connector store).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConnectorRecord {
    /// Unique connector name.
    pub name: String,
    /// Microsoft Entra tenant id.
    pub tenant_id: String,
    /// The connector's non-secret description (JSON).
    pub spec: Value,
    /// When the connector was last written.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// How a run ended, or that it is still going.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    /// Started and not finished (or interrupted before it could finish).
    Running,
    /// Every item was processed.
    Success,
    /// Finished, but some items failed; the next run retries them.
    Partial,
    /// The run did not complete.
    Failed,
}

impl RunStatus {
    /// The lowercase name stored in the catalog.
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Success => "success",
            RunStatus::Partial => "partial",
            RunStatus::Failed => "failed",
        }
    }
}

impl fmt::Display for RunStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A run status name that is not one of `running`, `success`, `partial`, `failed`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown run status {0:?}; expected running, success, partial or failed")]
pub struct UnknownRunStatus(pub String);

impl FromStr for RunStatus {
    type Err = UnknownRunStatus;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "running" => Ok(RunStatus::Running),
            "success" => Ok(RunStatus::Success),
            "partial" => Ok(RunStatus::Partial),
            "failed" => Ok(RunStatus::Failed),
            other => Err(UnknownRunStatus(other.to_owned())),
        }
    }
}

/// One backup (or other) run against a repository.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// Run id (hex, produced by the store crate).
    pub id: String,
    /// The repository the run wrote to; must be registered first.
    pub repository_id: String,
    /// The connector the run used, if any.
    pub connector: Option<String>,
    /// The tenant the run read, if any.
    pub tenant_id: Option<String>,
    /// What the run did: `backup`, `restore`, `export`, ...
    pub kind: String,
    /// Current status.
    pub status: RunStatus,
    /// When the run started.
    #[serde(with = "time::serde::rfc3339")]
    pub started_at: OffsetDateTime,
    /// When the run finished, if it has.
    #[serde(with = "time::serde::rfc3339::option")]
    pub finished_at: Option<OffsetDateTime>,
    /// The manifest the run wrote to the repository, once written.
    pub manifest_id: Option<String>,
    /// Counters and other run statistics (JSON object).
    pub stats: Value,
}

/// Which runs [`Catalog::list_runs`](crate::Catalog::list_runs) returns; `None` matches all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunFilter {
    /// Only runs of this repository.
    pub repository_id: Option<String>,
    /// Only runs of this connector.
    pub connector: Option<String>,
    /// Only runs with this status.
    pub status: Option<RunStatus>,
    /// At most this many runs (newest first).
    pub limit: Option<u32>,
}

/// One version of one Microsoft 365 item, as written by a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemVersion {
    /// The run that wrote this version; must be in the catalog.
    pub run_id: String,
    /// The resource holding the item: a mailbox, a drive, a site, a team, ...
    pub resource: String,
    /// Item kind: `mail`, `event`, `contact`, `file`, ...
    pub kind: String,
    /// Stable id of the item in Microsoft 365.
    pub item_id: String,
    /// Human-readable location of the item inside the resource (folder path, file path).
    pub path: String,
    /// Size in bytes (at most `i64::MAX`).
    pub size: u64,
    /// Hex hash of the content as stored in the repository.
    pub content_hash: String,
    /// When the item was last modified in Microsoft 365.
    #[serde(with = "time::serde::rfc3339::option")]
    pub modified_at: Option<OffsetDateTime>,
    /// When the item was seen deleted in Microsoft 365.
    #[serde(with = "time::serde::rfc3339::option")]
    pub deleted_at: Option<OffsetDateTime>,
}

/// An item version as read back, with the id the catalog gave it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemVersionRecord {
    /// Catalog-assigned id, increasing in insertion order and never reused; use it for
    /// keyset paging ([`ItemFilter::after_version_id`]).
    pub version_id: i64,
    /// The version itself.
    #[serde(flatten)]
    pub item: ItemVersion,
}

/// Which item versions [`Catalog::list_item_versions`](crate::Catalog::list_item_versions)
/// returns, in increasing `version_id` order; `None` matches all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ItemFilter {
    /// Only versions written by runs of this repository.
    pub repository_id: Option<String>,
    /// Only versions written by this run.
    pub run_id: Option<String>,
    /// Only versions in this resource.
    pub resource: Option<String>,
    /// Only versions of this kind.
    pub kind: Option<String>,
    /// Only versions of this item.
    pub item_id: Option<String>,
    /// Only versions whose path starts with this (case-sensitive).
    pub path_prefix: Option<String>,
    /// Also return versions marked deleted.
    pub include_deleted: bool,
    /// At most this many versions.
    pub limit: Option<u32>,
    /// Only versions with a `version_id` greater than this (keyset paging: pass the last
    /// `version_id` of the previous page).
    pub after_version_id: Option<i64>,
}

/// A saved Graph delta cursor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CursorRecord {
    /// The delta link or token.
    pub cursor: String,
    /// The run that saved it, if any.
    pub run_id: Option<String>,
    /// When it was saved.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// A cursor with its key, as [`Catalog::list_cursors`](crate::Catalog::list_cursors) returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CursorEntry {
    /// Connector name.
    pub connector: String,
    /// Resource (mailbox, drive, ...).
    pub resource: String,
    /// Scope inside the resource (a folder id, `calendar`, ...).
    pub scope: String,
    /// The cursor.
    pub record: CursorRecord,
}

/// Where a job got to in one resource, so that an interrupted run resumes there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckpointRecord {
    /// Job-defined state (JSON).
    pub state: Value,
    /// The run that wrote it, if any.
    pub run_id: Option<String>,
    /// When it was written.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// A legal hold: data that retention and `forget` must keep.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LegalHold {
    /// The repository holding the data; must be registered first.
    pub repository_id: String,
    /// The resource on hold.
    pub resource: String,
    /// One item on hold, or `None` for the whole resource.
    pub item_id: Option<String>,
    /// Why (case number, requester).
    pub reason: String,
    /// When the hold was placed.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}
