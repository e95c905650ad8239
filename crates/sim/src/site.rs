//! SharePoint Online: the site catalog (root site, a team site per Microsoft
//! 365 group, communication sites, subsites, and a personal site behind every
//! OneDrive), each site's document libraries (which are drives) and its
//! lists, columns and list items.
//!
//! The catalog is derived from the tenant on first use and costs no content:
//! a library's files are generated when its drive is first read, a site's
//! lists when the site's lists are first read.

pub mod generate;
pub mod render;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, RwLock, RwLockReadGuard, RwLockWriteGuard};

use axum::http::StatusCode;
use model::Guid;
use serde_json::{Map, Value};
use time::OffsetDateTime;

use crate::failure::GraphFailure;
use crate::state::SimState;

/// What a site is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SiteKind {
    /// The tenant's root site (a communication site).
    Root,
    /// The team site of a Microsoft 365 group (group index).
    Team(usize),
    /// A communication site.
    Communication,
    /// A subsite of another site (its index).
    Subsite(usize),
    /// A user's OneDrive site (user index).
    Personal(usize),
}

impl SiteKind {
    /// The name `/_sim/truth/summary` uses.
    pub fn as_str(self) -> &'static str {
        match self {
            SiteKind::Root => "root",
            SiteKind::Team(_) => "team",
            SiteKind::Communication => "communication",
            SiteKind::Subsite(_) => "subsite",
            SiteKind::Personal(_) => "personal",
        }
    }
}

/// A document library: a list whose items are the files of a drive.
#[derive(Debug, Clone)]
pub struct Library {
    /// The list's GUID.
    pub list: Guid,
    /// Display name ("Documents").
    pub name: String,
    /// URL name ("Shared Documents").
    pub url_name: String,
    /// The drive id.
    pub drive_id: String,
    /// Created.
    pub created: OffsetDateTime,
    /// Created by a client (`POST /sites/{id}/lists`): starts empty.
    pub empty: bool,
}

/// A site of the catalog.
#[derive(Debug, Clone)]
pub struct SiteInfo {
    /// What it is.
    pub kind: SiteKind,
    /// Site collection GUID.
    pub collection: Guid,
    /// Web GUID.
    pub web: Guid,
    /// Host name, such as `contoso.sharepoint.com`.
    pub hostname: String,
    /// Server-relative path: empty for the root site, `/sites/x`, `/personal/y`.
    pub path: String,
    /// Display name.
    pub display_name: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Created.
    pub created: OffsetDateTime,
    /// Document libraries; the first is the default ("Documents").
    pub libraries: Vec<Library>,
}

impl SiteInfo {
    /// `hostname,collectionGuid,webGuid`.
    pub fn id(&self) -> String {
        format!("{},{},{}", self.hostname, self.collection, self.web)
    }

    /// `https://hostname/path`.
    pub fn web_url(&self) -> String {
        format!("https://{}{}", self.hostname, self.path)
    }

    /// Whether this is a OneDrive's site.
    pub fn personal(&self) -> bool {
        matches!(self.kind, SiteKind::Personal(_))
    }
}

/// Every site, with lookups by id, drive, group and owner.
#[derive(Debug, Default)]
pub struct Catalog {
    /// The sites; 0 is the root site.
    pub sites: Vec<SiteInfo>,
    by_id: HashMap<String, usize>,
    by_drive: HashMap<String, (usize, usize)>,
    by_group: HashMap<usize, usize>,
    by_user: HashMap<usize, usize>,
}

impl Catalog {
    /// Adds a site and indexes it.
    pub fn push(&mut self, site: SiteInfo) -> usize {
        let i = self.sites.len();
        self.by_id.insert(site.id().to_ascii_lowercase(), i);
        for (l, lib) in site.libraries.iter().enumerate() {
            self.by_drive.insert(lib.drive_id.clone(), (i, l));
        }
        match site.kind {
            SiteKind::Team(g) => {
                self.by_group.insert(g, i);
            }
            SiteKind::Personal(u) => {
                self.by_user.insert(u, i);
            }
            _ => {}
        }
        self.sites.push(site);
        i
    }

    /// Adds a library to site `i`.
    pub fn add_library(&mut self, i: usize, lib: Library) -> usize {
        let l = self.sites[i].libraries.len();
        self.by_drive.insert(lib.drive_id.clone(), (i, l));
        self.sites[i].libraries.push(lib);
        l
    }

    /// A site by id (`host,guid,guid`, also `host,guid` and the bare collection
    /// GUID for a root web), by host name (its root site), or by
    /// `host:/server/relative/path`.
    pub fn find(&self, key: &str) -> Option<usize> {
        let key = key.trim();
        if key.eq_ignore_ascii_case("root") {
            return (!self.sites.is_empty()).then_some(0);
        }
        if let Some(&i) = self.by_id.get(&key.to_ascii_lowercase()) {
            return Some(i);
        }
        if let Some((host, path)) = key.split_once(':') {
            let path = path.trim_end_matches(':').trim_end_matches('/');
            return self.sites.iter().position(|s| {
                s.hostname.eq_ignore_ascii_case(host) && s.path.eq_ignore_ascii_case(path)
            });
        }
        let parts: Vec<&str> = key.split(',').collect();
        match parts.as_slice() {
            [host] => self
                .sites
                .iter()
                .position(|s| s.hostname.eq_ignore_ascii_case(host) && s.path.is_empty()),
            [host, collection] => self.sites.iter().position(|s| {
                s.hostname.eq_ignore_ascii_case(host)
                    && s.collection.to_string().eq_ignore_ascii_case(collection)
                    && s.collection == s.web
            }),
            _ => None,
        }
    }

    /// The site and library of a drive.
    pub fn drive(&self, drive_id: &str) -> Option<(usize, usize)> {
        self.by_drive.get(drive_id).copied()
    }

    /// The team site of group `g`.
    pub fn group_site(&self, g: usize) -> Option<usize> {
        self.by_group.get(&g).copied()
    }

    /// The OneDrive site of user `u`.
    pub fn personal_site(&self, u: usize) -> Option<usize> {
        self.by_user.get(&u).copied()
    }
}

/// A site's lock, as `POST /_sim/sites/lock` sets it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LockState {
    /// Open.
    #[default]
    Unlock,
    /// Every call answers 403 `accessDenied`.
    NoAccess,
    /// Every call answers 404 `itemNotFound`.
    Deleted,
}

impl LockState {
    /// The name the lock endpoint takes.
    pub fn as_str(self) -> &'static str {
        match self {
            LockState::Unlock => "unlock",
            LockState::NoAccess => "noAccess",
            LockState::Deleted => "deleted",
        }
    }
}

/// The kind of a list column.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnKind {
    /// Text (`multi`: several lines).
    Text {
        /// Several lines.
        multi: bool,
    },
    /// A number.
    Number,
    /// A date and time.
    DateTime,
    /// One of some choices.
    Choice(Vec<String>),
    /// Yes or no.
    Boolean,
    /// A person (stored as `{name}LookupId`).
    Person,
}

/// A list column.
#[derive(Debug, Clone)]
pub struct Column {
    /// Id.
    pub id: Guid,
    /// Internal name.
    pub name: String,
    /// Display name.
    pub display_name: String,
    /// Kind.
    pub kind: ColumnKind,
    /// Required.
    pub required: bool,
}

/// A list item.
#[derive(Debug, Clone)]
pub struct ListItem {
    /// Numeric id (as a string in Graph).
    pub id: u64,
    /// Unique id (in the eTag).
    pub guid: Guid,
    /// The values of the list's own columns (`Title` included).
    pub values: Map<String, Value>,
    /// Created.
    pub created: OffsetDateTime,
    /// Last modified.
    pub modified: OffsetDateTime,
    /// Author (user index).
    pub author: usize,
    /// Last editor (user index).
    pub editor: usize,
    /// Major version.
    pub version: u32,
    /// Deleted.
    pub deleted: bool,
}

/// A generic list (document libraries come from the catalog).
#[derive(Debug, Clone)]
pub struct List {
    /// GUID (the list id).
    pub guid: Guid,
    /// URL name.
    pub name: String,
    /// Display name.
    pub display_name: String,
    /// Description.
    pub description: String,
    /// Template, such as `genericList`.
    pub template: String,
    /// Created.
    pub created: OffsetDateTime,
    /// Last modified.
    pub modified: OffsetDateTime,
    /// Columns.
    pub columns: Vec<Column>,
    /// Items, deleted ones included.
    pub items: Vec<ListItem>,
    /// The last item id handed out.
    pub last_id: u64,
}

impl List {
    /// A live item by id.
    pub fn item(&self, id: &str) -> Option<usize> {
        let n: u64 = id.trim().parse().ok()?;
        self.items.iter().position(|i| i.id == n && !i.deleted)
    }
}

/// A site's generic lists.
#[derive(Debug, Clone, Default)]
pub struct SiteData {
    /// Lists.
    pub lists: Vec<List>,
    /// The last serial handed out (list and column GUIDs).
    pub serial: u64,
}

impl SiteData {
    /// A list by id (GUID) or by name or display name (case-insensitive).
    pub fn list(&self, key: &str) -> Option<usize> {
        self.lists.iter().position(|l| {
            l.guid
                .to_string()
                .eq_ignore_ascii_case(key.trim_matches(['{', '}']))
                || l.name.eq_ignore_ascii_case(key)
                || l.display_name.eq_ignore_ascii_case(key)
        })
    }
}

/// A shared site's lists.
pub type SharedSite = Arc<Mutex<SiteData>>;

/// The sites of the tenant.
#[derive(Default)]
pub struct Sites {
    catalog: OnceLock<RwLock<Catalog>>,
    locks: Mutex<HashMap<usize, LockState>>,
    data: Mutex<HashMap<usize, SharedSite>>,
}

/// Locks a site's lists (a handler that panicked leaves usable ones).
pub fn lock(site: &SharedSite) -> MutexGuard<'_, SiteData> {
    site.lock().unwrap_or_else(|e| e.into_inner())
}

/// 404 `itemNotFound`, as SharePoint answers for what does not exist.
pub fn not_found(message: &str) -> GraphFailure {
    GraphFailure::new(StatusCode::NOT_FOUND, "itemNotFound", message)
}

/// 403 `accessDenied`, as SharePoint answers for a locked site.
pub fn access_denied() -> GraphFailure {
    GraphFailure::new(StatusCode::FORBIDDEN, "accessDenied", "Access denied")
}

impl Sites {
    /// The catalog, built from the tenant on first use.
    pub fn catalog(&self, state: &SimState) -> RwLockReadGuard<'_, Catalog> {
        self.cell(state).read().unwrap_or_else(|e| e.into_inner())
    }

    /// The catalog, for changing (new libraries).
    pub fn catalog_mut(&self, state: &SimState) -> RwLockWriteGuard<'_, Catalog> {
        self.cell(state).write().unwrap_or_else(|e| e.into_inner())
    }

    fn cell(&self, state: &SimState) -> &RwLock<Catalog> {
        self.catalog.get_or_init(|| {
            RwLock::new(generate::catalog(&state.tenant(), state.config.drive_scale))
        })
    }

    /// The lock of site `i`.
    pub fn lock_state(&self, i: usize) -> LockState {
        self.locks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&i)
            .copied()
            .unwrap_or_default()
    }

    /// Sets the lock of site `i`.
    pub fn set_lock(&self, i: usize, lock: LockState) {
        let mut locks = self.locks.lock().unwrap_or_else(|e| e.into_inner());
        if lock == LockState::Unlock {
            locks.remove(&i);
        } else {
            locks.insert(i, lock);
        }
    }

    /// 403 or 404 when site `i` is locked.
    pub fn check(&self, i: usize) -> Result<(), GraphFailure> {
        match self.lock_state(i) {
            LockState::Unlock => Ok(()),
            LockState::NoAccess => Err(access_denied()),
            LockState::Deleted => Err(not_found("The requested site was not found.")),
        }
    }

    /// Site `key` (see [`Catalog::find`]) if it exists and is not locked.
    pub fn resolve(&self, state: &SimState, key: &str) -> Result<usize, GraphFailure> {
        let i = self
            .catalog(state)
            .find(key)
            .ok_or_else(|| not_found("Requested site could not be found"))?;
        self.check(i)?;
        Ok(i)
    }

    /// The lists of site `i`, generated on first use.
    pub fn open(&self, state: &SimState, i: usize) -> SharedSite {
        if let Some(s) = self.data.lock().unwrap_or_else(|e| e.into_inner()).get(&i) {
            return s.clone();
        }
        let data = {
            let catalog = self.catalog(state);
            let tenant = state.tenant();
            generate::lists(&tenant, &catalog.sites[i], i, state.config.drive_scale)
        };
        self.data
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(i)
            .or_insert_with(|| Arc::new(Mutex::new(data)))
            .clone()
    }
}
