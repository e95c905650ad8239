//! OneDrive and SharePoint: one task per user's OneDrive and per site reads its
//! drives by delta (and a site's lists), within the tenant's resource units.
//!
//! A drive resource's records: `folder` (path: the folder's own path), `file`
//! (path: its folder; content: its bytes), `fileVersion` (an older version of a
//! file, id `FILE:VERSION`), `list` and `listItem` (content: the item's canonical
//! JSON) for sites. A OneDrive's paths start at its root (`/`); a site's at the
//! library's name (`/Documents/…`) or the list's (`/Issues`).

mod download;
mod item;
pub(crate) mod lists;
pub(crate) mod sites;
pub(crate) mod tree;

use std::collections::BTreeMap;

use graph::GraphError;
use store::ItemRecord;
use store::manifest::FailedItem;
use time::OffsetDateTime;

use crate::baseline::Priors;
use crate::checkpoint::{Journal, Resumed};
use crate::context::{Progress, RunContext};
use crate::error::EngineError;
use crate::limiter::ResourceUnits;

pub(crate) use sites::Site;

/// What a drive resource's task produced.
#[derive(Debug, Default)]
pub(crate) struct DriveOutcome {
    /// Records listed.
    pub items: u64,
    /// Their bytes.
    pub bytes: u64,
    /// Delta links to save once the run is recorded: (scope, link).
    pub cursors: Vec<(String, String)>,
    /// Items that could not be read.
    pub failed: Vec<FailedItem>,
    /// The user has no OneDrive.
    pub missing: bool,
}

/// Why a part of a drive resource could not be backed up.
pub(crate) enum Failure {
    /// The run cannot go on (repository or catalog failure).
    Fatal(EngineError),
    /// This part failed; the rest goes on, the run ends partial.
    Resource(GraphError),
}

impl From<EngineError> for Failure {
    fn from(e: EngineError) -> Self {
        Failure::Fatal(e)
    }
}

impl From<store::StoreError> for Failure {
    fn from(e: store::StoreError) -> Self {
        Failure::Fatal(e.into())
    }
}

impl From<GraphError> for Failure {
    fn from(e: GraphError) -> Self {
        Failure::Resource(e)
    }
}

/// The resource name of a user's OneDrive.
pub(crate) fn onedrive_resource(upn: &str) -> String {
    format!("onedrive:{}", upn.to_ascii_lowercase())
}

/// The resource name of a site.
pub(crate) fn site_resource(site_id: &str) -> String {
    format!("site:{}", site_id.to_ascii_lowercase())
}

/// One drive resource (a OneDrive or a site) being backed up.
pub(crate) struct ResourceRun<'a> {
    pub(crate) ctx: &'a RunContext,
    pub(crate) ru: &'a ResourceUnits,
    pub(crate) resource: String,
    /// The previous run's live records of the resource.
    pub(crate) priors: Priors,
    pub(crate) resumed: Resumed,
    journal: Journal,
    /// Records of this run as item-list lines with their sizes, by kind, path and id.
    records: BTreeMap<(String, String, String), (u64, Vec<u8>)>,
    pub(crate) outcome: DriveOutcome,
    pub(crate) now: OffsetDateTime,
}

impl<'a> ResourceRun<'a> {
    /// Starts on `resource`: its previous records and what an interrupted run saved.
    pub(crate) async fn start(
        ctx: &'a RunContext,
        ru: &'a ResourceUnits,
        resource: String,
    ) -> Result<Self, EngineError> {
        let resumed = Resumed::load(ctx.catalog.as_ref(), &ctx.run_id, &resource).await?;
        Ok(ResourceRun {
            ctx,
            ru,
            priors: ctx.baseline.records(&resource).await?,
            journal: Journal::new(resumed.state.clone()),
            resumed,
            resource,
            records: BTreeMap::new(),
            outcome: DriveOutcome::default(),
            now: OffsetDateTime::now_utc(),
        })
    }

    /// Adds a record of this run (noted for the checkpoint when it was just read).
    pub(crate) fn push(&mut self, record: ItemRecord, journal: bool) {
        if journal {
            let tag = self.ctx.checkpointer.tag();
            self.journal.record(tag, &record);
        }
        Progress::add(&self.ctx.progress.items, 1);
        self.records.insert(
            (record.kind.clone(), record.path.clone(), record.id.clone()),
            (record.size, record.to_line()),
        );
    }

    /// Notes a record read in this run for the checkpoint, before it is pushed.
    pub(crate) fn journal(&mut self, record: &ItemRecord) {
        let tag = self.ctx.checkpointer.tag();
        self.journal.record(tag, record);
    }

    /// A record saying that `record`'s item was deleted in Microsoft 365.
    pub(crate) fn deleted(&self, record: &ItemRecord) -> ItemRecord {
        ItemRecord {
            size: 0,
            hash: self.ctx.repo.item_hash(&[]),
            deleted: Some(self.now),
            chunks: Vec::new(),
            ..record.clone()
        }
    }

    /// Whether every chunk of a record from an earlier run is still in the repository.
    pub(crate) fn still_stored(&self, chunks: &[store::ChunkId]) -> bool {
        let index = self.ctx.repo.index();
        chunks.iter().all(|c| index.contains(c))
    }

    /// Records an item that could not be read (the next run reads it again).
    pub(crate) fn fail_item(&mut self, id: &str, error: &GraphError) {
        tracing::warn!(resource = %self.resource, id, error = %error, "item could not be read; the next run retries it");
        Progress::add(&self.ctx.progress.failed, 1);
        self.outcome.failed.push(FailedItem {
            resource: self.resource.clone(),
            id: id.to_owned(),
            error: error.to_string(),
        });
    }

    /// Records a part (a site, a drive, a list) that could not be read.
    pub(crate) fn fail_part(&mut self, part: &str, error: &GraphError) {
        tracing::warn!(resource = %self.resource, part, error = %error, "could not back up this part; the next run retries it");
        Progress::add(&self.ctx.progress.failed, 1);
        self.outcome.failed.push(FailedItem {
            resource: self.resource.clone(),
            id: String::new(),
            error: format!("{part}: {error}"),
        });
    }

    /// Keeps the previous records of a part that could not be read (`container`: a
    /// drive or list id; `None`: everything left).
    pub(crate) fn keep(&mut self, container: Option<&str>) {
        let keep = self
            .priors
            .take_where(|p| container.is_none() || p.container.as_deref() == container);
        for r in keep {
            self.push(r, false);
        }
    }

    /// The saved delta link of `scope`, if it continues the baseline run.
    pub(crate) async fn cursor(&self, scope: &str) -> Result<Option<String>, EngineError> {
        self.ctx.cursor(&self.resource, scope).await
    }

    /// Flushes if a checkpoint is due and saves what became durable.
    pub(crate) async fn checkpoint(&mut self) -> Result<(), EngineError> {
        self.ctx.checkpointer.maybe_flush(&self.ctx.writer).await?;
        self.journal
            .save(
                self.ctx.catalog.as_ref(),
                &self.ctx.run_id,
                &self.resource,
                &self.ctx.checkpointer,
            )
            .await
    }

    /// Adds the resource's records to the run, together and in a stable order.
    pub(crate) async fn finish(mut self) -> Result<DriveOutcome, EngineError> {
        self.checkpoint().await?;
        let records = std::mem::take(&mut self.records);
        self.outcome.items = records.len() as u64;
        self.outcome.bytes = records.values().map(|(size, _)| size).sum();
        self.ctx
            .writer
            .add_lines(
                records
                    .values()
                    .map(|(size, line)| (line.as_slice(), *size)),
            )
            .await?;
        Progress::add(&self.ctx.progress.resources_done, 1);
        tracing::info!(
            resource = %self.resource,
            items = self.outcome.items,
            bytes = self.outcome.bytes,
            failed = self.outcome.failed.len(),
            done = Progress::get(&self.ctx.progress.resources_done),
            of = Progress::get(&self.ctx.progress.resources),
            "drive resource backed up"
        );
        Ok(self.outcome)
    }
}

/// Backs up the OneDrive of `user`.
pub(crate) async fn backup_onedrive(
    ctx: &RunContext,
    ru: &ResourceUnits,
    user: &crate::scope::Mailbox,
) -> Result<DriveOutcome, EngineError> {
    let mut run = ResourceRun::start(ctx, ru, onedrive_resource(&user.upn)).await?;
    ru.spend(1).await;
    let drive = ctx
        .graph
        .get::<serde_json::Value>(&format!("/users/{}/drive", user.id))
        .await;
    match drive {
        Ok(d) => {
            let Some(id) = d.get("id").and_then(serde_json::Value::as_str) else {
                run.fail_part(
                    "OneDrive",
                    &GraphError::Decode {
                        path: format!("/users/{}/drive", user.id),
                        message: "the drive has no id".into(),
                    },
                );
                run.keep(None);
                return run.finish().await;
            };
            let target = item::DriveTarget {
                id: id.to_owned(),
                prefix: String::new(),
            };
            match run.drive(&target).await {
                Ok(()) => {}
                Err(Failure::Fatal(e)) => return Err(e),
                Err(Failure::Resource(e)) => {
                    run.fail_part("OneDrive", &e);
                    run.keep(Some(&target.id));
                }
            }
        }
        Err(e) if e.status() == Some(404) => {
            tracing::info!(user = %user.upn, "no OneDrive; skipped");
            run.outcome.missing = true;
            return Ok(run.outcome);
        }
        Err(e) => {
            run.fail_part("OneDrive", &e);
            run.keep(None);
        }
    }
    run.finish().await
}
