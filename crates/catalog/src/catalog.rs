//! The [`Catalog`] trait: every operation the rest of m365vault may ask of the catalog.

use std::fmt;

use serde_json::Value;
use time::OffsetDateTime;

use crate::error::CatalogError;
use crate::types::{
    CheckpointRecord, ConnectorRecord, CursorEntry, CursorRecord, ItemFilter, ItemVersion,
    ItemVersionRecord, LegalHold, RepositoryRecord, RunFilter, RunRecord, RunStatus,
};

/// Which database a catalog is stored in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// An SQLite file (the embedded default).
    Sqlite,
    /// A PostgreSQL database (several servers sharing one catalog).
    Postgres,
}

/// The catalog: a queryable cache of what the repository holds, plus operational state.
///
/// Lookups by id of records that must exist (`get_repository`, `get_run`, `finish_run`)
/// fail with [`CatalogError::NotFound`]; lookups of state that may legitimately be absent
/// (connectors, cursors, checkpoints) return `Option`. Deletions return whether something
/// was deleted; deleting what is missing is not an error.
#[async_trait::async_trait]
pub trait Catalog: Send + Sync + fmt::Debug {
    /// The database this catalog is stored in.
    fn backend(&self) -> Backend;

    /// Closes the connections; later calls fail.
    async fn close(&self);

    /// Registers a repository, or updates its location if it is already registered
    /// (its `created_at` is kept). Refuses a location that holds a password.
    async fn upsert_repository(&self, repository: &RepositoryRecord) -> Result<(), CatalogError>;
    /// The repository with this id.
    async fn get_repository(&self, id: &str) -> Result<RepositoryRecord, CatalogError>;
    /// All repositories, by id.
    async fn list_repositories(&self) -> Result<Vec<RepositoryRecord>, CatalogError>;

    /// Creates or replaces a connector.
    async fn put_connector(&self, connector: &ConnectorRecord) -> Result<(), CatalogError>;
    /// The connector with this name, if any.
    async fn get_connector(&self, name: &str) -> Result<Option<ConnectorRecord>, CatalogError>;
    /// All connectors, by name.
    async fn list_connectors(&self) -> Result<Vec<ConnectorRecord>, CatalogError>;
    /// Deletes a connector; `false` if there was none.
    async fn delete_connector(&self, name: &str) -> Result<bool, CatalogError>;

    /// Records a new run. Its repository must be registered and its id new.
    async fn insert_run(&self, run: &RunRecord) -> Result<(), CatalogError>;
    /// Records how a run ended.
    async fn finish_run(
        &self,
        id: &str,
        status: RunStatus,
        finished_at: OffsetDateTime,
        manifest_id: Option<&str>,
        stats: &Value,
    ) -> Result<(), CatalogError>;
    /// The run with this id.
    async fn get_run(&self, id: &str) -> Result<RunRecord, CatalogError>;
    /// Runs matching `filter`, newest first.
    async fn list_runs(&self, filter: &RunFilter) -> Result<Vec<RunRecord>, CatalogError>;
    /// Deletes a run and its item versions; `false` if there was none.
    async fn delete_run(&self, id: &str) -> Result<bool, CatalogError>;

    /// Inserts item versions in one transaction; returns how many were inserted.
    /// Every `run_id` must be in the catalog.
    async fn insert_item_versions(&self, versions: &[ItemVersion]) -> Result<u64, CatalogError>;
    /// Item versions matching `filter`, in increasing `version_id` order.
    async fn list_item_versions(
        &self,
        filter: &ItemFilter,
    ) -> Result<Vec<ItemVersionRecord>, CatalogError>;
    /// The newest version of each item of a resource, by `item_id`, deleted or not.
    /// Newest means written by the latest-started run (then the highest `version_id`).
    async fn latest_versions(
        &self,
        repository_id: &str,
        resource: &str,
    ) -> Result<Vec<ItemVersionRecord>, CatalogError>;
    /// Marks the newest version of each of `item_ids` deleted at `deleted_at`, where it is
    /// not marked yet; older versions are untouched. Returns how many versions changed.
    async fn mark_deleted(
        &self,
        repository_id: &str,
        resource: &str,
        item_ids: &[String],
        deleted_at: OffsetDateTime,
    ) -> Result<u64, CatalogError>;
    /// How many item versions the repository's runs wrote.
    async fn count_item_versions(&self, repository_id: &str) -> Result<u64, CatalogError>;

    /// The delta cursor saved for `(connector, resource, scope)`, if any.
    async fn get_cursor(
        &self,
        connector: &str,
        resource: &str,
        scope: &str,
    ) -> Result<Option<CursorRecord>, CatalogError>;
    /// Saves (creates or replaces) a delta cursor.
    async fn put_cursor(
        &self,
        connector: &str,
        resource: &str,
        scope: &str,
        cursor: &CursorRecord,
    ) -> Result<(), CatalogError>;
    /// Forgets a delta cursor (the next run enumerates that scope in full); `false` if
    /// there was none.
    async fn delete_cursor(
        &self,
        connector: &str,
        resource: &str,
        scope: &str,
    ) -> Result<bool, CatalogError>;
    /// All cursors of a connector, by resource and scope.
    async fn list_cursors(&self, connector: &str) -> Result<Vec<CursorEntry>, CatalogError>;

    /// The checkpoint of `job` in `resource`, if any.
    async fn get_checkpoint(
        &self,
        job: &str,
        resource: &str,
    ) -> Result<Option<CheckpointRecord>, CatalogError>;
    /// Saves (creates or replaces) a checkpoint.
    async fn put_checkpoint(
        &self,
        job: &str,
        resource: &str,
        checkpoint: &CheckpointRecord,
    ) -> Result<(), CatalogError>;
    /// Deletes a checkpoint; `false` if there was none.
    async fn delete_checkpoint(&self, job: &str, resource: &str) -> Result<bool, CatalogError>;
    /// Saves item records that `job` has durably stored in `resource`, keyed by item id
    /// (a later record of the same item replaces the earlier one), in one transaction.
    async fn put_checkpoint_items(
        &self,
        job: &str,
        resource: &str,
        items: &[(String, Value)],
    ) -> Result<(), CatalogError>;
    /// The item records saved by [`Catalog::put_checkpoint_items`], by item id.
    async fn checkpoint_items(&self, job: &str, resource: &str)
    -> Result<Vec<Value>, CatalogError>;
    /// Deletes every checkpoint and checkpoint item of `job` (when it has finished).
    async fn delete_job_checkpoints(&self, job: &str) -> Result<(), CatalogError>;

    /// Places a legal hold; `false` if the same hold (repository, resource, item) was
    /// already placed, in which case the stored one is kept unchanged.
    async fn add_legal_hold(&self, hold: &LegalHold) -> Result<bool, CatalogError>;
    /// Lifts a legal hold; `false` if there was none. `item_id: None` lifts the hold on the
    /// whole resource, not holds on its single items.
    async fn remove_legal_hold(
        &self,
        repository_id: &str,
        resource: &str,
        item_id: Option<&str>,
    ) -> Result<bool, CatalogError>;
    /// The legal holds of a repository, by resource then item (whole-resource holds first).
    async fn list_legal_holds(&self, repository_id: &str) -> Result<Vec<LegalHold>, CatalogError>;

    /// Deletes the repository's runs and item versions in one transaction (the repository
    /// record, connectors, cursors, checkpoints and legal holds stay), so that
    /// `repo rebuild-catalog` can insert them again from the repository.
    async fn clear_repository(&self, repository_id: &str) -> Result<(), CatalogError>;
}
