//! Filling the catalog from the repository: one run at a time as runs finish, or
//! everything at once (`m365vault repo rebuild-catalog`). The repository is the
//! truth; this only copies it.

use std::collections::BTreeMap;

use serde::Serialize;
use store::retention::ForgetPlan;
use store::{Manifest, ManifestId, Repository, RunOutcome, StoreError};
use time::OffsetDateTime;

use crate::{Catalog, CatalogError, ItemVersion, RepositoryRecord, RunRecord, RunStatus};

/// Rows are inserted in batches of this many.
const BATCH: usize = 2000;

/// Copying into the catalog failed.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// Reading the repository failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Writing the catalog failed.
    #[error(transparent)]
    Catalog(#[from] CatalogError),
}

/// What a rebuild copied.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RebuildReport {
    /// Runs recorded.
    pub runs: usize,
    /// Item versions recorded.
    pub item_versions: u64,
    /// Deletions recorded.
    pub deletions: u64,
}

/// Records the repository itself.
pub async fn record_repository(
    catalog: &dyn Catalog,
    repo: &Repository,
    location: &str,
) -> Result<(), SyncError> {
    let config = repo.config();
    catalog
        .upsert_repository(&RepositoryRecord {
            id: config.id.to_hex(),
            location: location.to_owned(),
            created_at: config.created,
        })
        .await?;
    Ok(())
}

/// Records one finished run and its item versions; returns (versions, deletions).
pub async fn record_run(
    catalog: &dyn Catalog,
    repo: &Repository,
    id: ManifestId,
    manifest: &Manifest,
) -> Result<(u64, u64), SyncError> {
    let status = match manifest.outcome {
        RunOutcome::Complete => RunStatus::Success,
        RunOutcome::Partial => RunStatus::Partial,
    };
    let run = RunRecord {
        id: manifest.run_id.clone(),
        repository_id: repo.config().id.to_hex(),
        connector: manifest.labels.get("connector").cloned(),
        tenant_id: manifest.labels.get("tenant").cloned(),
        kind: manifest
            .labels
            .get("kind")
            .cloned()
            .unwrap_or_else(|| "backup".to_owned()),
        status,
        started_at: manifest.started,
        finished_at: Some(manifest.finished),
        manifest_id: Some(id.to_hex()),
        stats: serde_json::to_value(&manifest.stats).unwrap_or_default(),
    };
    // A backup records its run as `running` when it starts; a rebuild finds none.
    match catalog.get_run(&run.id).await {
        Ok(_) => {
            catalog
                .finish_run(
                    &run.id,
                    run.status,
                    manifest.finished,
                    run.manifest_id.as_deref(),
                    &run.stats,
                )
                .await?
        }
        Err(CatalogError::NotFound { .. }) => catalog.insert_run(&run).await?,
        Err(e) => return Err(e.into()),
    }
    let mut batch = Vec::with_capacity(BATCH);
    let mut deleted: BTreeMap<(String, i128), Vec<String>> = BTreeMap::new();
    let (mut versions, mut deletions) = (0u64, 0u64);
    let mut items = repo.items(manifest);
    while let Some(record) = items.next().await? {
        if let Some(at) = record.deleted {
            deletions += 1;
            deleted
                .entry((record.resource, at.unix_timestamp_nanos()))
                .or_default()
                .push(record.id);
            continue;
        }
        batch.push(ItemVersion {
            run_id: manifest.run_id.clone(),
            resource: record.resource,
            kind: record.kind,
            item_id: record.id,
            path: record.path,
            size: record.size,
            content_hash: record.hash,
            modified_at: record.modified,
            deleted_at: None,
        });
        if batch.len() >= BATCH {
            versions += catalog.insert_item_versions(&batch).await?;
            batch.clear();
        }
    }
    if !batch.is_empty() {
        versions += catalog.insert_item_versions(&batch).await?;
    }
    let repository_id = repo.config().id.to_hex();
    for ((resource, nanos), ids) in deleted {
        let at = OffsetDateTime::from_unix_timestamp_nanos(nanos).unwrap_or(manifest.finished);
        catalog
            .mark_deleted(&repository_id, &resource, &ids, at)
            .await?;
    }
    Ok((versions, deletions))
}

/// Replaces the catalog's copy of this repository with what the repository holds.
pub async fn rebuild(
    catalog: &dyn Catalog,
    repo: &Repository,
    location: &str,
) -> Result<RebuildReport, SyncError> {
    record_repository(catalog, repo, location).await?;
    // Read every manifest first: a damaged one stops the rebuild before anything is cleared.
    let mut manifests = Vec::new();
    for id in repo.list_manifests().await? {
        manifests.push((id, repo.read_manifest(id).await?));
    }
    manifests.sort_by_key(|(_, m)| m.started);
    catalog.clear_repository(&repo.config().id.to_hex()).await?;
    let mut report = RebuildReport::default();
    for (id, manifest) in &manifests {
        let (versions, deletions) = record_run(catalog, repo, *id, manifest).await?;
        report.runs += 1;
        report.item_versions += versions;
        report.deletions += deletions;
    }
    Ok(report)
}

/// Removes forgotten runs from the catalog (after their manifests were deleted).
pub async fn forget_runs(catalog: &dyn Catalog, plan: &ForgetPlan) -> Result<usize, SyncError> {
    let mut removed = 0;
    for run in &plan.forget {
        removed += usize::from(catalog.delete_run(&run.run_id).await?);
    }
    Ok(removed)
}
