//! Checkpoints: an interrupted run resumes without reading again what it stored.
//!
//! Every so often the run's packs and index are flushed to the repository. An item
//! record is durable once a flush that *started after the item was finished* has
//! completed; only then is it saved in the catalog (`checkpoint_items`), together
//! with the folders whose records are all saved and their new delta links. A resumed
//! run takes those records as they are and reads only the rest.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use catalog::{Catalog, CheckpointRecord};
use serde::{Deserialize, Serialize};
use store::{ItemRecord, RunWriter};
use time::OffsetDateTime;

use crate::error::EngineError;

/// Flushes the run's packs at most every `interval`, numbering the flushes.
#[derive(Debug)]
pub struct Checkpointer {
    interval: Duration,
    started: AtomicU64,
    completed: AtomicU64,
    last: Mutex<Instant>,
    flushing: tokio::sync::Mutex<()>,
}

impl Checkpointer {
    /// A checkpointer that flushes at most every `interval`.
    pub fn new(interval: Duration) -> Self {
        Checkpointer {
            interval,
            started: AtomicU64::new(0),
            completed: AtomicU64::new(0),
            last: Mutex::new(Instant::now()),
            flushing: tokio::sync::Mutex::new(()),
        }
    }

    /// The tag of a record finished now: it is durable once `completed() > tag`.
    pub fn tag(&self) -> u64 {
        self.started.load(Ordering::SeqCst)
    }

    /// Flushes completed so far.
    pub fn completed(&self) -> u64 {
        self.completed.load(Ordering::SeqCst)
    }

    fn due(&self) -> bool {
        self.last
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .elapsed()
            >= self.interval
    }

    /// Flushes the run's packs and index if the interval has passed.
    pub async fn maybe_flush(&self, writer: &RunWriter) -> Result<(), EngineError> {
        if !self.due() {
            return Ok(());
        }
        let _guard = self.flushing.lock().await;
        if !self.due() {
            return Ok(()); // another task flushed meanwhile
        }
        self.started.fetch_add(1, Ordering::SeqCst);
        writer.checkpoint().await?;
        self.completed.fetch_add(1, Ordering::SeqCst);
        *self.last.lock().unwrap_or_else(|e| e.into_inner()) = Instant::now();
        Ok(())
    }
}

/// What a resource's checkpoint says (the `state` of its catalog checkpoint).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ResourceState {
    /// Scopes (folders) whose records are all saved, with their new delta link.
    #[serde(default)]
    pub done: BTreeMap<String, String>,
}

/// The records of one resource waiting to be saved in the catalog.
#[derive(Debug, Default)]
pub struct Journal {
    /// Records waiting: their tag, `kind:id`, and the record as an item-list line.
    pending: Vec<(u64, String, Vec<u8>)>,
    scopes: Vec<(u64, String, String)>,
    state: ResourceState,
}

impl Journal {
    /// A journal continuing `state`.
    pub fn new(state: ResourceState) -> Self {
        Journal {
            state,
            ..Journal::default()
        }
    }

    /// The state so far.
    pub fn state(&self) -> &ResourceState {
        &self.state
    }

    /// Notes a record just finished (or reused).
    pub fn record(&mut self, tag: u64, record: &ItemRecord) {
        self.pending.push((
            tag,
            format!("{}:{}", record.kind, record.id),
            record.to_line(),
        ));
    }

    /// Notes that a scope is complete, with its new delta link.
    pub fn scope_done(&mut self, tag: u64, scope: &str, delta_link: &str) {
        self.scopes
            .push((tag, scope.to_owned(), delta_link.to_owned()));
    }

    /// Saves what the completed flushes made durable.
    pub async fn save(
        &mut self,
        catalog: &dyn Catalog,
        job: &str,
        resource: &str,
        checkpointer: &Checkpointer,
    ) -> Result<(), EngineError> {
        let completed = checkpointer.completed();
        let (durable, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut self.pending)
            .into_iter()
            .partition(|(tag, _, _)| *tag < completed);
        self.pending = rest;
        if !durable.is_empty() {
            let items: Vec<(String, serde_json::Value)> = durable
                .into_iter()
                .map(|(_, id, line)| (id, serde_json::from_slice(&line).unwrap_or_default()))
                .collect();
            catalog.put_checkpoint_items(job, resource, &items).await?;
        }
        // A scope is done once its records are saved: every record of a scope is
        // noted before the scope, so its tag bounds theirs.
        let (ready, waiting): (Vec<_>, Vec<_>) = std::mem::take(&mut self.scopes)
            .into_iter()
            .partition(|(tag, _, _)| *tag < completed);
        self.scopes = waiting;
        if !ready.is_empty() {
            for (_, scope, link) in ready {
                self.state.done.insert(scope, link);
            }
            catalog
                .put_checkpoint(
                    job,
                    resource,
                    &CheckpointRecord {
                        state: serde_json::to_value(&self.state).unwrap_or_default(),
                        run_id: Some(job.to_owned()),
                        updated_at: OffsetDateTime::now_utc(),
                    },
                )
                .await?;
        }
        Ok(())
    }
}

/// What an interrupted run had saved for a resource.
#[derive(Debug, Default)]
pub struct Resumed {
    /// Saved records by `kind:id`.
    pub records: std::collections::HashMap<String, ItemRecord>,
    /// Completed scopes.
    pub state: ResourceState,
}

impl Resumed {
    /// Reads a resource's checkpoint.
    pub async fn load(
        catalog: &dyn Catalog,
        job: &str,
        resource: &str,
    ) -> Result<Self, EngineError> {
        let state = match catalog.get_checkpoint(job, resource).await? {
            Some(c) => serde_json::from_value(c.state).unwrap_or_default(),
            None => ResourceState::default(),
        };
        let mut records = std::collections::HashMap::new();
        for value in catalog.checkpoint_items(job, resource).await? {
            // A record this version cannot read is simply read again from Microsoft 365.
            if let Ok(r) = serde_json::from_value::<ItemRecord>(value) {
                records.insert(format!("{}:{}", r.kind, r.id), r);
            }
        }
        Ok(Resumed { records, state })
    }

    /// The saved record of `kind:id` if it is still the version `change_key` names.
    pub fn get(&self, kind: &str, id: &str, change_key: Option<&str>) -> Option<&ItemRecord> {
        let r = self.records.get(&format!("{kind}:{id}"))?;
        same_version(r, change_key).then_some(r)
    }
}

/// Whether `record` is the version of the item that `change_key` names (no change key:
/// cannot tell, so no).
pub fn same_version(record: &ItemRecord, change_key: Option<&str>) -> bool {
    match (change_key, version_key(&record.meta)) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

/// What names an item's version in its metadata: Outlook's `changeKey`, a drive
/// item's content tag (`cTag`: its bytes; renames and moves keep it), or an
/// entity's `eTag`.
pub fn version_key(meta: &serde_json::Value) -> Option<&str> {
    ["changeKey", "cTag", "eTag"]
        .iter()
        .find_map(|k| meta.get(*k).and_then(serde_json::Value::as_str))
}
