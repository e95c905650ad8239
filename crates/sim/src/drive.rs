//! OneDrive and SharePoint document libraries: drives of folders and files,
//! file versions, sharing, the change log delta pages through, upload sessions
//! and pre-authenticated download URLs.
//!
//! A drive is generated the first time anything reads it, from the tenant's
//! seed and the drive's GUIDs, so a large tenant costs nothing until read.
//! File bytes are never stored for generated files: they are made again from a
//! content seed whenever they are read ([`content`]). Every change takes the
//! drive's next change sequence number, which is what delta pages through.

pub mod content;
pub mod download;
pub mod generate;
pub mod ids;
pub mod mutate;
pub mod names;
pub mod ops;
pub mod render;
pub mod truth;
pub mod upload;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::http::StatusCode;
use model::Guid;
use time::OffsetDateTime;

use crate::failure::GraphFailure;
use crate::mailbox::{ChangeLog, Seqs};
use crate::state::SimState;
use content::Content;

/// A person items name as creator, modifier or grantee.
#[derive(Debug, Clone)]
pub struct Person {
    /// Display name.
    pub name: String,
    /// Mail address.
    pub email: String,
    /// Object id.
    pub id: String,
}

/// An older version of a file.
#[derive(Debug, Clone)]
pub struct Version {
    /// Major version number (`{n}.0`).
    pub number: u32,
    /// Its bytes.
    pub content: Content,
    /// When it was saved.
    pub modified: OffsetDateTime,
    /// By whom (index into [`Drive::people`]).
    pub modified_by: usize,
}

/// What makes an item a file.
#[derive(Debug, Clone)]
pub struct FileData {
    /// The current bytes.
    pub content: Content,
    /// The current version number.
    pub number: u32,
    /// Older versions, oldest first.
    pub versions: Vec<Version>,
}

/// How an item is shared.
#[derive(Debug, Clone)]
pub struct Sharing {
    /// `users`, `organization` or `anonymous`.
    pub scope: &'static str,
    /// A person given direct access (index into [`Drive::people`]).
    pub grantee: Option<usize>,
    /// A sharing link: `view` or `edit`.
    pub link: Option<&'static str>,
    /// When it was shared.
    pub when: OffsetDateTime,
}

/// A folder or a file (the root is item 0).
#[derive(Debug, Clone)]
pub struct Item {
    /// Id (kept when the item moves or is renamed).
    pub id: String,
    /// The item's unique GUID (in `eTag`, `cTag`, `sharepointIds`).
    pub unique: Guid,
    /// Its list item id in the library.
    pub list_item: u64,
    /// Name.
    pub name: String,
    /// Parent (`None` for the root).
    pub parent: Option<usize>,
    /// File data; `None` for folders.
    pub file: Option<FileData>,
    /// Created in the drive.
    pub created: OffsetDateTime,
    /// Last modified in the drive.
    pub modified: OffsetDateTime,
    /// `fileSystemInfo.createdDateTime` (the client's).
    pub fs_created: OffsetDateTime,
    /// `fileSystemInfo.lastModifiedDateTime` (the client's).
    pub fs_modified: OffsetDateTime,
    /// Creator (index into [`Drive::people`]).
    pub created_by: usize,
    /// Last modifier.
    pub modified_by: usize,
    /// Bumped on every change (`eTag`).
    pub etag: u32,
    /// Bumped when the content changes (`cTag`).
    pub ctag: u32,
    /// Change sequence numbers.
    pub seqs: Seqs,
    /// Sharing, when shared.
    pub sharing: Option<Sharing>,
}

/// `business` (a OneDrive) or `documentLibrary`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DriveKind {
    /// A user's OneDrive.
    Business,
    /// A SharePoint document library.
    DocumentLibrary,
}

impl DriveKind {
    /// `driveType`.
    pub fn as_str(self) -> &'static str {
        match self {
            DriveKind::Business => "business",
            DriveKind::DocumentLibrary => "documentLibrary",
        }
    }
}

/// One drive.
#[derive(Debug, Clone)]
pub struct Drive {
    /// Id (`b!…`).
    pub id: String,
    /// The site it belongs to (index in the catalog).
    pub site: usize,
    /// `siteId` of its site (`host,guid,guid`).
    pub site_id: String,
    /// Which library of the site.
    pub library: usize,
    /// Its list GUID.
    pub list: Guid,
    /// OneDrive or library.
    pub kind: DriveKind,
    /// Name ("OneDrive", "Documents").
    pub name: String,
    /// The library's URL (`https://host/personal/x/Documents`).
    pub web_url: String,
    /// The owner (`owner` identity set).
    pub owner: serde_json::Value,
    /// Created.
    pub created: OffsetDateTime,
    /// People who create and change items; 0 is the owner.
    pub people: Vec<Person>,
    /// The last change sequence number handed out.
    pub seq: u64,
    /// The last id serial handed out.
    pub serial: u64,
    /// Items, deleted ones included; 0 is the root.
    pub items: Vec<Item>,
    /// Changes of the items, by (sequence number, item).
    pub log: ChangeLog,
    by_id: HashMap<String, usize>,
}

impl Drive {
    /// The next change sequence number.
    pub fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    /// Files `item` in the change log at a new sequence number.
    pub fn record(&mut self, i: usize) {
        let seq = self.next_seq();
        let old = self.items[i].seqs.last();
        self.items[i].seqs.changed = seq;
        self.log.record(Some(old).filter(|o| *o > 0), seq, i);
    }

    /// Adds an item (recording it as a change) and returns its index.
    pub fn push(&mut self, mut item: Item) -> usize {
        self.serial += 1;
        item.id = ids::item_id(self.list, self.serial);
        item.unique = ids::guid(self.list, "item", self.serial);
        item.list_item = self.serial;
        let i = self.items.len();
        self.by_id.insert(item.id.clone(), i);
        item.seqs = Seqs::default();
        self.items.push(item);
        self.record(i);
        i
    }

    /// A live item by id (`root` names the root).
    pub fn item(&self, id: &str) -> Option<usize> {
        if id.eq_ignore_ascii_case("root") {
            return Some(0);
        }
        self.by_id
            .get(id)
            .copied()
            .filter(|&i| self.items[i].seqs.live())
    }

    /// Live children of `parent`.
    pub fn children(&self, parent: usize) -> impl Iterator<Item = usize> + '_ {
        self.items
            .iter()
            .enumerate()
            .filter(move |(_, it)| it.parent == Some(parent) && it.seqs.live())
            .map(|(i, _)| i)
    }

    /// The live child of `parent` named `name` (case-insensitive, as OneDrive compares).
    pub fn child(&self, parent: usize, name: &str) -> Option<usize> {
        self.children(parent)
            .find(|&c| self.items[c].name.to_lowercase() == name.to_lowercase())
    }

    /// The path of item `i` from the root: `/Folder/sub/name.ext` (`/` for the root).
    pub fn path(&self, i: usize) -> String {
        let mut names = Vec::new();
        let mut cur = Some(i);
        while let Some(c) = cur {
            if self.items[c].parent.is_none() {
                break;
            }
            names.push(self.items[c].name.as_str());
            cur = self.items[c].parent;
        }
        names.reverse();
        format!("/{}", names.join("/"))
    }

    /// Whether `i` is `ancestor` or below it.
    pub fn within(&self, i: usize, ancestor: usize) -> bool {
        let mut cur = Some(i);
        while let Some(c) = cur {
            if c == ancestor {
                return true;
            }
            cur = self.items[c].parent;
        }
        false
    }

    /// Child counts and total sizes of every item (folders sum their contents).
    pub fn stats(&self) -> Stats {
        let n = self.items.len();
        let mut stats = Stats {
            child_count: vec![0; n],
            size: vec![0; n],
        };
        for (i, it) in self.items.iter().enumerate() {
            if !it.seqs.live() {
                continue;
            }
            if let Some(p) = it.parent {
                stats.child_count[p] += 1;
            }
            if let Some(f) = &it.file {
                let size = f.content.size();
                let mut cur = Some(i);
                while let Some(c) = cur {
                    stats.size[c] += size;
                    cur = self.items[c].parent;
                }
            }
        }
        stats
    }
}

/// Child counts and sizes, computed once per response.
#[derive(Debug, Clone, Default)]
pub struct Stats {
    /// Live children per item.
    pub child_count: Vec<u32>,
    /// Bytes per item (files: their size; folders: their contents').
    pub size: Vec<u64>,
}

/// A shared drive.
pub type SharedDrive = Arc<Mutex<Drive>>;

/// Locks a drive (a handler that panicked leaves a usable one).
pub fn lock(drive: &SharedDrive) -> MutexGuard<'_, Drive> {
    drive.lock().unwrap_or_else(|e| e.into_inner())
}

/// Every drive generated so far, the upload sessions, and the key that signs
/// pre-authenticated URLs.
pub struct Drives {
    drives: Mutex<HashMap<String, SharedDrive>>,
    /// Upload sessions in progress.
    pub uploads: Mutex<HashMap<String, upload::Session>>,
    /// Signs download and upload URLs (fresh at every start).
    pub key: [u8; 32],
}

impl Default for Drives {
    fn default() -> Self {
        Drives {
            drives: Mutex::new(HashMap::new()),
            uploads: Mutex::new(HashMap::new()),
            key: rand::random(),
        }
    }
}

/// 404 `itemNotFound` for a drive item.
pub fn item_not_found() -> GraphFailure {
    GraphFailure::new(
        StatusCode::NOT_FOUND,
        "itemNotFound",
        "The resource could not be found.",
    )
}

impl Drives {
    /// The drive `id`, generated on first use; errors when no such drive
    /// exists or its site is locked.
    pub fn open(&self, state: &SimState, id: &str) -> Result<SharedDrive, GraphFailure> {
        let site = state
            .sites
            .catalog(state)
            .drive(id)
            .ok_or_else(item_not_found)?
            .0;
        state.sites.check(site)?;
        self.get(state, id)
    }

    /// The drive `id`, generated on first use, whatever its site's lock (the
    /// ground truth and mutations see locked sites too).
    pub fn get(&self, state: &SimState, id: &str) -> Result<SharedDrive, GraphFailure> {
        let (site, library) = state
            .sites
            .catalog(state)
            .drive(id)
            .ok_or_else(item_not_found)?;
        if let Some(d) = self.lock_map().get(id) {
            return Ok(d.clone());
        }
        // Generation runs outside the registry lock; if two requests race, the
        // first drive stored wins.
        let drive = generate::drive(state, site, library);
        Ok(self
            .lock_map()
            .entry(id.to_owned())
            .or_insert_with(|| Arc::new(Mutex::new(drive)))
            .clone())
    }

    /// Whether drive `id` has been generated.
    pub fn is_open(&self, id: &str) -> bool {
        self.lock_map().contains_key(id)
    }

    fn lock_map(&self) -> MutexGuard<'_, HashMap<String, SharedDrive>> {
        self.drives.lock().unwrap_or_else(|e| e.into_inner())
    }
}
