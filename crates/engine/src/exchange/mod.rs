//! Exchange Online: one task per mailbox backs up its mail (and, when asked, its
//! calendars and contacts), within the mailbox's Outlook limits.

pub(crate) mod collection;
mod fetch;

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use graph::GraphError;
use store::ItemRecord;
use store::manifest::FailedItem;
use time::OffsetDateTime;

use crate::baseline::Priors;
use crate::checkpoint::{Journal, Resumed};
use crate::context::{Progress, RunContext};
use crate::error::EngineError;
use crate::limiter::ResourceLimiter;
use crate::scope::Mailbox;

/// What a mailbox's task produced.
#[derive(Debug, Default)]
pub(crate) struct MailboxOutcome {
    /// Records listed.
    pub items: u64,
    /// Their bytes.
    pub bytes: u64,
    /// Delta links to save once the run is recorded: (scope, link).
    pub cursors: Vec<(String, String)>,
    /// Items that could not be read.
    pub failed: Vec<FailedItem>,
    /// The user has no Exchange Online mailbox.
    pub no_mailbox: bool,
}

/// One mailbox being backed up.
pub(crate) struct MailboxRun<'a> {
    ctx: &'a RunContext,
    mailbox: &'a Mailbox,
    limiter: Arc<ResourceLimiter>,
    /// The previous run's live records of this mailbox, by id (taken out as they are
    /// listed again or superseded).
    baseline: Priors,
    resumed: Resumed,
    journal: Journal,
    /// Records of this run as item-list lines with their sizes, by kind, path and id
    /// (sorted output keeps lists stable across runs).
    records: BTreeMap<(String, String, String), (u64, Vec<u8>)>,
    /// `(kind, id)` of every item listed so far.
    listed: HashSet<(String, String)>,
    outcome: MailboxOutcome,
    now: OffsetDateTime,
}

/// Backs up one mailbox.
pub(crate) async fn backup_mailbox(
    ctx: &RunContext,
    mailbox: &Mailbox,
) -> Result<MailboxOutcome, EngineError> {
    let resource = mailbox.upn.as_str();
    let resumed = Resumed::load(ctx.catalog.as_ref(), &ctx.run_id, resource).await?;
    let mut run = MailboxRun {
        ctx,
        mailbox,
        limiter: ctx.scheduler.resource(&mailbox.id),
        baseline: ctx.baseline.records(resource).await?,
        journal: Journal::new(resumed.state.clone()),
        resumed,
        records: BTreeMap::new(),
        listed: HashSet::new(),
        outcome: MailboxOutcome::default(),
        now: OffsetDateTime::now_utc(),
    };
    let data = ctx.options.data;
    let parts = [
        (data.mail, "mail", &collection::MAIL),
        (data.calendar, "calendar", &collection::CALENDARS),
        (data.contacts, "contacts", &collection::CONTACTS),
    ];
    for (wanted, part, c) in parts {
        if !wanted {
            continue;
        }
        match run.collection(c).await {
            Ok(()) => {}
            Err(Failure::Fatal(e)) => return Err(e),
            Err(Failure::NoMailbox) => {
                tracing::info!(mailbox = resource, "no Exchange Online mailbox; skipped");
                run.outcome.no_mailbox = true;
                return Ok(run.outcome);
            }
            Err(Failure::Resource(e)) => {
                run.keep_part(c);
                run.fail_resource(part, &e);
            }
        }
    }
    run.finish().await
}

/// Why a part of a mailbox could not be backed up.
pub(crate) enum Failure {
    /// The run cannot go on (repository or catalog failure).
    Fatal(EngineError),
    /// The user has no mailbox.
    NoMailbox,
    /// This part of the mailbox failed; the rest goes on, the run ends partial.
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
        match &e {
            GraphError::Api(a) if a.status == 404 && a.code == "MailboxNotEnabledForRESTAPI" => {
                Failure::NoMailbox
            }
            _ => Failure::Resource(e),
        }
    }
}

impl MailboxRun<'_> {
    fn resource(&self) -> &str {
        &self.mailbox.upn
    }

    /// Adds a record of this run (and notes it for the checkpoint when it is new).
    fn push(&mut self, record: ItemRecord, journal: bool) {
        if journal {
            let tag = self.ctx.checkpointer.tag();
            self.journal.record(tag, &record);
        }
        Progress::add(&self.ctx.progress.items, 1);
        self.listed.insert((record.kind.clone(), record.id.clone()));
        self.records.insert(
            (record.kind.clone(), record.path.clone(), record.id.clone()),
            (record.size, record.to_line()),
        );
    }

    /// A record saying that `record`'s item was deleted in Microsoft 365.
    fn deleted(&self, record: &ItemRecord) -> ItemRecord {
        ItemRecord {
            size: 0,
            hash: self.ctx.repo.item_hash(&[]),
            deleted: Some(self.now),
            chunks: Vec::new(),
            ..record.clone()
        }
    }

    /// Whether every chunk of a record from an earlier run is still in the repository.
    fn still_stored(&self, chunks: &[store::ChunkId]) -> bool {
        let index = self.ctx.repo.index();
        chunks.iter().all(|c| index.contains(c))
    }

    fn fail_item(&mut self, kind: &str, id: &str, error: &GraphError) {
        tracing::warn!(mailbox = %self.mailbox.upn, kind, id, error = %error, "item could not be read; the next run retries it");
        Progress::add(&self.ctx.progress.failed, 1);
        self.outcome.failed.push(FailedItem {
            resource: self.mailbox.upn.clone(),
            id: format!("{kind}:{id}"),
            error: error.to_string(),
        });
    }

    fn fail_resource(&mut self, part: &str, error: &GraphError) {
        tracing::warn!(mailbox = %self.mailbox.upn, part, error = %error, "could not back up this part of the mailbox; the next run retries it");
        Progress::add(&self.ctx.progress.failed, 1);
        self.outcome.failed.push(FailedItem {
            resource: self.mailbox.upn.clone(),
            id: String::new(),
            error: format!("{part}: {error}"),
        });
    }

    /// Keeps the earlier versions of a part that could not be read at all.
    fn keep_part(&mut self, c: &collection::Collection) {
        let listed = &self.listed;
        let keep: Vec<ItemRecord> = self.baseline.take_where(|r| {
            (r.kind == c.kind || r.kind == c.folder_kind)
                && !listed.contains(&(r.kind.clone(), r.id.clone()))
        });
        for r in keep {
            self.push(r, false);
        }
    }

    /// Flushes if a checkpoint is due and saves what became durable.
    async fn checkpoint(&mut self) -> Result<(), EngineError> {
        self.ctx.checkpointer.maybe_flush(&self.ctx.writer).await?;
        let resource = self.mailbox.upn.clone();
        self.journal
            .save(
                self.ctx.catalog.as_ref(),
                &self.ctx.run_id,
                &resource,
                &self.ctx.checkpointer,
            )
            .await
    }

    /// Adds the mailbox's records to the run, together and in a stable order.
    async fn finish(mut self) -> Result<MailboxOutcome, EngineError> {
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
            mailbox = %self.mailbox.upn,
            items = self.outcome.items,
            bytes = self.outcome.bytes,
            failed = self.outcome.failed.len(),
            done = Progress::get(&self.ctx.progress.resources_done),
            of = Progress::get(&self.ctx.progress.resources),
            "mailbox backed up"
        );
        Ok(self.outcome)
    }
}
