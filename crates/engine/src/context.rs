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

/// Which data to back up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DataSelection {
    /// Mail folders and messages.
    pub mail: bool,
    /// Calendars and events.
    pub calendar: bool,
    /// Contact folders and contacts.
    pub contacts: bool,
    /// Users' OneDrives.
    pub onedrive: bool,
    /// SharePoint sites (their libraries and lists).
    pub sharepoint: bool,
    /// Teams: their channels, messages, replies and inline images.
    pub teams: bool,
    /// The chats (1:1, group, meeting) of the users in scope.
    pub chats: bool,
    /// The directory: users, groups and distribution lists, their members and owners.
    pub directory: bool,
}

impl Default for DataSelection {
    /// A mailbox's data: mail, calendars and contacts.
    fn default() -> Self {
        DataSelection {
            mail: true,
            calendar: true,
            contacts: true,
            onedrive: false,
            sharepoint: false,
            teams: false,
            chats: false,
            directory: false,
        }
    }
}

impl DataSelection {
    /// Whether any part of a mailbox is wanted.
    pub fn exchange(&self) -> bool {
        self.mail || self.calendar || self.contacts
    }
}

/// The data types `--data` takes, as an error message lists them.
const DATA_TYPES: &str =
    "mail, calendar, contacts, onedrive, sharepoint, teams, chats, groups or directory";

impl std::str::FromStr for DataSelection {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut d = DataSelection {
            mail: false,
            calendar: false,
            contacts: false,
            onedrive: false,
            sharepoint: false,
            teams: false,
            chats: false,
            directory: false,
        };
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            match part.to_ascii_lowercase().as_str() {
                "mail" => d.mail = true,
                "calendar" | "calendars" => d.calendar = true,
                "contacts" => d.contacts = true,
                "exchange" => (d.mail, d.calendar, d.contacts) = (true, true, true),
                "onedrive" | "files" => d.onedrive = true,
                "sharepoint" | "sites" => d.sharepoint = true,
                "teams" | "channels" => d.teams = true,
                "chats" => d.chats = true,
                // Group and distribution-list membership lives in the directory.
                "groups" | "directory" | "members" => d.directory = true,
                "all" => {
                    d = DataSelection {
                        mail: true,
                        calendar: true,
                        contacts: true,
                        onedrive: true,
                        sharepoint: true,
                        teams: true,
                        chats: true,
                        directory: true,
                    }
                }
                other => {
                    return Err(format!(
                        "unknown data type '{other}'; use {DATA_TYPES} (comma-separated), or exchange or all"
                    ));
                }
            }
        }
        if !(d.exchange() || d.onedrive || d.sharepoint || d.teams || d.chats || d.directory) {
            return Err(format!("no data type given; use {DATA_TYPES}"));
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
    /// Older versions of each file to keep besides the current one.
    pub versions: u32,
    /// The SharePoint sites to back up (when `data.sharepoint`).
    pub sites: Vec<crate::drive::Site>,
    /// Resource units per minute to plan with, instead of the tier the tenant's
    /// licence count gives.
    pub resource_units_per_minute: Option<u32>,
    /// The teams to back up (when `data.teams`).
    pub teams: Vec<crate::teams::Team>,
    /// Whose chats to back up (when `data.chats`); the users in scope when `None`.
    pub chat_users: Option<Vec<crate::scope::Mailbox>>,
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
            versions: 0,
            sites: Vec::new(),
            resource_units_per_minute: None,
            teams: Vec::new(),
            chat_users: None,
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
    /// The tenant's SharePoint and OneDrive resource units.
    pub resource_units: Arc<crate::limiter::ResourceUnits>,
    /// Memory that downloads being stored may hold, in KiB (see [`MEMORY_BUDGET_KIB`]).
    pub memory: Arc<tokio::sync::Semaphore>,
    /// Teams' per-app limits, shared by the run's team and chat tasks.
    pub pacer: crate::teams::SharedPacer,
}

impl RunContext {
    /// The saved cursor of `scope` in `resource`, if it continues the run the
    /// resource's baseline records come from (any other would skip changes).
    pub(crate) async fn cursor(
        &self,
        resource: &str,
        scope: &str,
    ) -> Result<Option<String>, crate::error::EngineError> {
        let Some(run) = self.baseline.run_for(resource) else {
            return Ok(None);
        };
        let c = self
            .catalog
            .get_cursor(&self.options.connector, resource, scope)
            .await?;
        Ok(c.filter(|c| c.run_id.as_deref() == Some(run))
            .map(|c| c.cursor))
    }
}

/// What downloads being stored may hold at once across a run: 64 MiB, in KiB. A
/// download reserves what it can hold (its size, three times over up to 12 MiB: the
/// chunk being cut and two sealed chunks waiting for the pack) before its body is
/// read, so memory stays bounded however many large messages arrive at once.
pub(crate) const MEMORY_BUDGET_KIB: u32 = 64 * 1024;

/// The reservation of a download of `len` bytes (unknown: the largest), in KiB.
pub(crate) fn reservation_kib(len: Option<u64>) -> u32 {
    const MAX: u64 = 12 * 1024;
    let kib = len
        .map(|l| l.div_ceil(1024).saturating_mul(3))
        .unwrap_or(MAX);
    kib.clamp(64, MAX) as u32
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reservations_are_bounded() {
        assert_eq!(reservation_kib(Some(10)), 64);
        assert_eq!(reservation_kib(Some(1024 * 1024)), 3 * 1024);
        assert_eq!(reservation_kib(Some(1 << 40)), 12 * 1024);
        assert_eq!(reservation_kib(None), 12 * 1024);
        assert!(reservation_kib(None) <= MEMORY_BUDGET_KIB);
    }

    #[test]
    fn data_selection_parses() {
        let d: DataSelection = "mail, contacts".parse().expect("parses");
        assert!(d.mail && d.contacts && !d.calendar);
        let d: DataSelection = "onedrive,sharepoint".parse().expect("parses");
        assert!(d.onedrive && d.sharepoint && !d.exchange());
        let d: DataSelection = "teams,chats,groups".parse().expect("parses");
        assert!(d.teams && d.chats && d.directory && !d.exchange() && !d.onedrive);
        assert!("team-chats".parse::<DataSelection>().is_err());
        assert!("".parse::<DataSelection>().is_err());
    }
}
