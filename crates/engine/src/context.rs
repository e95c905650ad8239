//! What every task of a backup run shares.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use catalog::Catalog;
use graph::GraphClient;
use serde::Serialize;
use store::{Repository, RunWriter};
use time::OffsetDateTime;

use crate::baseline::Baseline;
use crate::checkpoint::Checkpointer;
use crate::limiter::Scheduler;

/// Which data of a mailbox to back up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DataSelection {
    /// Mail folders and messages.
    pub mail: bool,
    /// Calendars and events.
    pub calendar: bool,
    /// Contact folders and contacts.
    pub contacts: bool,
}

impl Default for DataSelection {
    fn default() -> Self {
        DataSelection {
            mail: true,
            calendar: true,
            contacts: true,
        }
    }
}

impl std::str::FromStr for DataSelection {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut d = DataSelection {
            mail: false,
            calendar: false,
            contacts: false,
        };
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            match part.to_ascii_lowercase().as_str() {
                "mail" => d.mail = true,
                "calendar" | "calendars" => d.calendar = true,
                "contacts" => d.contacts = true,
                "all" | "exchange" => d = DataSelection::default(),
                other => {
                    return Err(format!(
                        "unknown data type '{other}'; use mail, calendar or contacts (comma-separated)"
                    ));
                }
            }
        }
        if !(d.mail || d.calendar || d.contacts) {
            return Err("no data type given; use mail, calendar or contacts".into());
        }
        Ok(d)
    }
}

/// How a backup runs.
#[derive(Debug, Clone)]
pub struct BackupOptions {
    /// The connector's name (a label of the run, and the key of its cursors).
    pub connector: String,
    /// The tenant's id (a label of the run).
    pub tenant_id: String,
    /// What to back up in each mailbox.
    pub data: DataSelection,
    /// Mailboxes backed up at once.
    pub mailboxes_at_once: usize,
    /// Time between checkpoints.
    pub checkpoint_interval: Duration,
    /// Items per delta page asked for (`Prefer: odata.maxpagesize`).
    pub page_size: u32,
}

impl BackupOptions {
    /// Defaults for `connector` of `tenant_id`.
    pub fn new(connector: impl Into<String>, tenant_id: impl Into<String>) -> Self {
        BackupOptions {
            connector: connector.into(),
            tenant_id: tenant_id.into(),
            data: DataSelection::default(),
            mailboxes_at_once: 16,
            checkpoint_interval: Duration::from_secs(30),
            page_size: 100,
        }
    }
}

/// Live counters of a run, for progress displays.
#[derive(Debug, Default)]
pub struct Progress {
    /// Resources in scope.
    pub resources: AtomicU64,
    /// Resources finished.
    pub resources_done: AtomicU64,
    /// Items listed so far.
    pub items: AtomicU64,
    /// Item bytes read from Microsoft 365 so far.
    pub bytes_read: AtomicU64,
    /// Items read from Microsoft 365 (not reused) so far.
    pub items_read: AtomicU64,
    /// Items that failed.
    pub failed: AtomicU64,
}

impl Progress {
    pub(crate) fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    /// A counter's value.
    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}

/// Everything a resource task needs.
pub(crate) struct RunContext {
    pub graph: GraphClient,
    pub repo: Arc<Repository>,
    pub writer: RunWriter,
    pub catalog: Arc<dyn Catalog>,
    pub run_id: String,
    pub baseline: Baseline,
    pub checkpointer: Checkpointer,
    pub scheduler: Scheduler,
    pub options: BackupOptions,
    pub progress: Arc<Progress>,
}

/// A Graph JSON object without its OData annotations (`@odata.etag`, …).
pub(crate) fn strip_annotations(mut v: serde_json::Value) -> serde_json::Value {
    if let serde_json::Value::Object(map) = &mut v {
        map.retain(|k, _| !k.starts_with('@') && !k.contains("@odata."));
    }
    v
}

/// A Graph date-time, if it is one.
pub(crate) fn parse_time(v: Option<&serde_json::Value>) -> Option<OffsetDateTime> {
    let s = v?.as_str()?;
    OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
}
