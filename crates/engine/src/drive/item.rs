//! One drive, read by delta: a full enumeration the first time (or when the saved
//! token has expired), only the changes afterwards. Files whose content tag is
//! unchanged keep their stored chunks; the others stream in, several at once.

use std::collections::{HashMap, HashSet};

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use graph::GraphError;
use model::wire::Page;
use reqwest::Method;
use serde_json::{Value, json};
use store::{ItemInfo, ItemRecord};

use super::download::{Expected, download};
use super::tree::Tree;
use super::{Failure, ResourceRun};
use crate::checkpoint::version_key;
use crate::context::{RunContext, parse_time, strip_annotations};
use crate::limiter::ResourceUnits;

/// Files read at once per drive.
const FILES_IN_FLIGHT: usize = 8;

/// A drive and where its tree hangs in the resource.
#[derive(Debug, Clone)]
pub(crate) struct DriveTarget {
    /// The drive's id.
    pub id: String,
    /// The path of its root in the resource: empty for a OneDrive, `/<library>` for a site.
    pub prefix: String,
}

/// A file to read: its metadata now, and its previous record if there is one.
struct Work {
    meta: Value,
    prior: Option<ItemRecord>,
    prior_versions: Vec<ItemRecord>,
    content: bool,
    permissions: bool,
}

/// What reading a file gave: its record and versions, `None` if it is gone.
type Read = Result<Option<(ItemRecord, Vec<ItemRecord>)>, Failure>;

fn id_of(v: &Value) -> String {
    v.get("id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

fn parent_of(meta: &Value) -> Option<&str> {
    meta.get("parentReference")
        .and_then(|p| p.get("id"))
        .and_then(Value::as_str)
}

/// Whether a delta link carries a saved token (1 resource unit) rather than none or
/// `latest` (2).
fn has_token(link: &str) -> bool {
    link.split(['?', '&'])
        .any(|p| p.strip_prefix("token=").is_some_and(|t| t != "latest"))
}

/// A file record's id in the run's failure list, so the next run can read it by id.
fn failure_id(drive: &str, item: &str) -> String {
    format!("file:{drive}/{item}")
}

/// The live state of a drive while its delta is read.
#[derive(Default)]
struct State {
    /// Live items by id (folders, files, metadata-only items).
    live: HashMap<String, ItemRecord>,
    /// Earlier records not seen yet in a full enumeration (left over: deleted).
    pool: HashMap<String, ItemRecord>,
    /// Items seen deleted.
    gone: Vec<ItemRecord>,
    /// Earlier versions by file id, until their file is read.
    prior_versions: HashMap<String, Vec<ItemRecord>>,
    /// Versions kept by file id, for files read in this run.
    versions: HashMap<String, Vec<ItemRecord>>,
    /// Ids handled in this run.
    seen: HashSet<String>,
}

impl ResourceRun<'_> {
    /// Backs up one drive. On a failure, what was known of the drive is kept.
    pub(crate) async fn drive(&mut self, target: &DriveTarget) -> Result<(), Failure> {
        let drive_id = target.id.as_str();
        let mut state = State::default();
        let mut priors = HashMap::new();
        for r in self
            .priors
            .take_where(|p| p.container.as_deref() == Some(drive_id))
        {
            if r.kind == "fileVersion" {
                let file = r
                    .meta
                    .get("fileId")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned();
                state.prior_versions.entry(file).or_default().push(r);
            } else {
                priors.insert(r.id.clone(), r);
            }
        }
        let scope = format!("drive:{drive_id}");
        let cursor = self.cursor(&scope).await?;
        if cursor.is_some() {
            state.live = priors;
        } else {
            state.pool = priors;
        }
        let base = format!("/drives/{drive_id}/root/delta");
        let mut link = cursor.unwrap_or_else(|| base.clone());
        let mut restarts = 0;
        let ctx = self.ctx;
        let ru = self.ru;
        let versions = ctx.options.versions;
        let resource = self.resource.clone();
        let mut inflight = FuturesUnordered::new();
        let delta_link = loop {
            let cost = if has_token(&link) { 1 } else { 2 };
            let fetch = async {
                ru.spend(cost).await;
                let r = ctx
                    .graph
                    .send(
                        Method::GET,
                        &link,
                        None,
                        &[("Prefer", "hierarchicalsharing")],
                    )
                    .await?;
                r.json::<Page<Value>>()
                    .await
                    .map_err(|e| GraphError::Decode {
                        path: format!("/drives/{drive_id}/root/delta"),
                        message: e.to_string(),
                    })
            };
            // Files keep downloading while the next page is read.
            let mut done = Vec::new();
            let page = {
                tokio::pin!(fetch);
                loop {
                    tokio::select! {
                        biased;
                        out = &mut fetch => break out,
                        Some(d) = inflight.next(), if !inflight.is_empty() => done.push(d),
                    }
                }
            };
            for (id, read) in done {
                self.settle(drive_id, &mut state, id, read)?;
            }
            let page = match page {
                Ok(p) => p,
                Err(e) if e.status() == Some(410) && restarts < 5 => {
                    // The token expired: enumerate the whole drive again; what is not
                    // listed then was deleted.
                    restarts += 1;
                    tracing::info!(resource = %self.resource, drive = drive_id, "delta token expired; reading the whole drive again");
                    let live = std::mem::take(&mut state.live);
                    state.pool.extend(live);
                    link = base.clone();
                    continue;
                }
                Err(e) => {
                    while let Some((id, read)) = inflight.next().await {
                        self.settle(drive_id, &mut state, id, read)?;
                    }
                    self.finalize(target, state, false);
                    return Err(Failure::Resource(e));
                }
            };
            for item in page.value {
                if let Some(work) = self.apply(&mut state, item) {
                    while inflight.len() >= FILES_IN_FLIGHT {
                        if let Some((id, read)) = inflight.next().await {
                            self.settle(drive_id, &mut state, id, read)?;
                            self.checkpoint().await?;
                        }
                    }
                    let resource = resource.clone();
                    inflight.push(async move {
                        let id = id_of(&work.meta);
                        let read = read_file(ctx, ru, &resource, drive_id, work, versions).await;
                        (id, read)
                    });
                }
            }
            self.checkpoint().await?;
            match (page.next_link, page.delta_link) {
                (Some(next), _) => link = next,
                (None, Some(delta)) => break Some(delta),
                (None, None) => break None,
            }
        };
        while let Some((id, read)) = inflight.next().await {
            self.settle(drive_id, &mut state, id, read)?;
            self.checkpoint().await?;
        }
        self.retry_failed(drive_id, &mut state).await?;
        self.finalize(target, state, true);
        self.checkpoint().await?;
        if let Some(link) = delta_link {
            self.outcome.cursors.push((scope, link));
        }
        Ok(())
    }

    /// Reads again, by id, the files of this drive the previous run could not read.
    async fn retry_failed(&mut self, drive_id: &str, state: &mut State) -> Result<(), Failure> {
        let prefix = format!("file:{drive_id}/");
        let ids: Vec<String> = self
            .ctx
            .baseline
            .failed(&self.resource)
            .iter()
            .filter_map(|f| f.id.strip_prefix(&prefix).map(str::to_owned))
            .filter(|id| !state.seen.contains(id))
            .collect();
        for id in ids {
            self.ru.spend(1).await;
            let url = format!("/drives/{drive_id}/items/{id}");
            match self.ctx.graph.get::<Value>(&url).await {
                Ok(item) => {
                    if let Some(work) = self.apply(state, item) {
                        let read = read_file(
                            self.ctx,
                            self.ru,
                            &self.resource,
                            drive_id,
                            work,
                            self.ctx.options.versions,
                        )
                        .await;
                        self.settle(drive_id, state, id, read)?;
                    }
                }
                Err(e) if e.status() == Some(404) => {}
                Err(e) => self.fail_item(&failure_id(drive_id, &id), &e),
            }
        }
        Ok(())
    }

    /// A record of an item without content.
    fn meta_record(&self, kind: &str, id: &str, meta: Value) -> ItemRecord {
        let size = if kind == "folder" {
            0
        } else {
            meta.get("size").and_then(Value::as_u64).unwrap_or(0)
        };
        ItemRecord {
            resource: self.resource.clone(),
            kind: kind.to_owned(),
            id: id.to_owned(),
            path: String::new(),
            size,
            hash: self.ctx.repo.item_hash(&[]),
            modified: parse_time(meta.get("lastModifiedDateTime")),
            deleted: None,
            meta,
            chunks: Vec::new(),
        }
    }

    /// Takes one delta entry into the state; a file that must be read is returned.
    fn apply(&mut self, state: &mut State, item: Value) -> Option<Work> {
        let id = id_of(&item);
        if id.is_empty() {
            return None;
        }
        state.seen.insert(id.clone());
        if item.get("deleted").is_some() || item.get("@removed").is_some() {
            if let Some(r) = state.live.remove(&id) {
                state.gone.push(r);
            }
            return None;
        }
        let meta = strip_annotations(item);
        if meta.get("folder").is_some()
            || meta.get("root").is_some()
            || meta.get("package").is_some()
        {
            state.pool.remove(&id);
            let record = self.meta_record("folder", &id, meta);
            state.live.insert(id, record);
            return None;
        }
        if meta.get("file").is_none() {
            // Neither file nor folder (a shortcut, a remote item): its metadata is kept.
            state.pool.remove(&id);
            let record = self.meta_record("driveItem", &id, meta);
            state.live.insert(id, record);
            return None;
        }
        let prior = state.live.remove(&id).or_else(|| state.pool.remove(&id));
        let ctag = meta.get("cTag").and_then(Value::as_str);
        let same = prior.as_ref().filter(|p| {
            p.kind == "file" && version_key(&p.meta) == ctag && self.still_stored(&p.chunks)
        });
        let base = same.cloned().or_else(|| {
            self.resumed
                .get("file", &id, ctag)
                .filter(|r| self.still_stored(&r.chunks))
                .cloned()
        });
        let shared = meta.get("shared").is_some();
        let etag_changed = prior.as_ref().is_none_or(|p| {
            p.meta.get("eTag").and_then(Value::as_str) != meta.get("eTag").and_then(Value::as_str)
        });
        let prior_versions = state.prior_versions.get(&id).cloned().unwrap_or_default();
        match base {
            Some(base) if !(shared && etag_changed) => {
                // Same bytes: the new metadata with the stored chunks (and permissions).
                let mut meta = meta;
                if shared && let Some(p) = base.meta.get("permissions") {
                    meta["permissions"] = p.clone();
                }
                let record = ItemRecord {
                    modified: parse_time(meta.get("lastModifiedDateTime")),
                    meta,
                    ..base
                };
                state.live.insert(id.clone(), record);
                state.prior_versions.remove(&id);
                state.versions.insert(id, prior_versions);
                None
            }
            base => {
                let content = base.is_none();
                if let Some(p) = prior.or(base) {
                    // Kept until the read settles (so a failed read loses nothing).
                    state.pool.insert(id.clone(), p);
                }
                let prior = state.pool.get(&id).cloned();
                Some(Work {
                    meta,
                    prior,
                    prior_versions,
                    content,
                    permissions: shared,
                })
            }
        }
    }

    /// Takes a finished read into the state.
    fn settle(
        &mut self,
        drive_id: &str,
        state: &mut State,
        id: String,
        read: Read,
    ) -> Result<(), Failure> {
        match read {
            Ok(Some((record, versions))) => {
                state.pool.remove(&id);
                state.prior_versions.remove(&id);
                self.journal(&record);
                for v in &versions {
                    self.journal(v);
                }
                state.live.insert(id.clone(), record);
                state.versions.insert(id, versions);
            }
            Ok(None) => {
                if let Some(p) = state.pool.remove(&id) {
                    state.gone.push(p);
                }
            }
            Err(Failure::Fatal(e)) => return Err(Failure::Fatal(e)),
            Err(Failure::Resource(e)) => {
                self.fail_item(&failure_id(drive_id, &id), &e);
                // The earlier version stays, and so do its versions.
                if let Some(p) = state.pool.remove(&id) {
                    state.live.insert(id, p);
                }
            }
        }
        Ok(())
    }

    /// Gives every live item its path and adds the drive's records; `complete`: the
    /// enumeration finished, so earlier items not seen were deleted.
    fn finalize(&mut self, target: &DriveTarget, mut state: State, complete: bool) {
        let mut tree = Tree::new(&target.prefix);
        for r in state.live.values().filter(|r| r.kind == "folder") {
            if r.meta.get("root").is_some() {
                tree.set_root(&r.id);
            } else {
                let name = r.meta.get("name").and_then(Value::as_str).unwrap_or("");
                tree.folder(&r.id, parent_of(&r.meta), name);
            }
        }
        let paths = tree.paths();
        let mut records = Vec::new();
        for (id, mut r) in std::mem::take(&mut state.live) {
            let path = if r.kind == "folder" {
                paths.get(&id)
            } else {
                parent_of(&r.meta).and_then(|p| paths.get(p))
            };
            let Some(path) = path else {
                // Under a folder that is gone: deleted with it.
                state.gone.push(r);
                continue;
            };
            r.path = path.clone();
            if r.kind == "file" {
                let versions = state
                    .versions
                    .remove(&id)
                    .or_else(|| state.prior_versions.remove(&id))
                    .unwrap_or_default();
                for mut v in versions {
                    v.path = r.path.clone();
                    records.push(v);
                }
            }
            records.push(r);
        }
        for r in records {
            self.push(r, false);
        }
        let mut gone: Vec<ItemRecord> = std::mem::take(&mut state.gone);
        gone.extend(state.prior_versions.into_values().flatten());
        gone.extend(state.versions.into_values().flatten());
        if complete {
            gone.extend(state.pool.into_values());
        } else {
            // Not known to be deleted: kept as they were.
            for r in state.pool.into_values() {
                self.push(r, false);
            }
        }
        for r in gone {
            let d = self.deleted(&r);
            self.push(d, false);
        }
    }
}

/// Reads a file's permissions, content and versions as `work` asks.
async fn read_file(
    ctx: &RunContext,
    ru: &ResourceUnits,
    resource: &str,
    drive_id: &str,
    work: Work,
    versions: u32,
) -> Read {
    let Work {
        mut meta,
        prior,
        prior_versions,
        content,
        permissions,
    } = work;
    let id = id_of(&meta);
    let item_path = format!("/drives/{drive_id}/items/{id}");
    if permissions {
        ru.spend(5).await;
        match ctx
            .graph
            .get::<Page<Value>>(&format!("{item_path}/permissions"))
            .await
        {
            Ok(p) => {
                let list: Vec<Value> = p.value.into_iter().map(strip_annotations).collect();
                meta["permissions"] = Value::Array(list);
            }
            Err(e) if e.status() == Some(404) => return Ok(None),
            Err(e) => return Err(Failure::Resource(e)),
        }
    }
    let record = match (content, prior) {
        (false, Some(base)) => ItemRecord {
            modified: parse_time(meta.get("lastModifiedDateTime")),
            meta,
            ..base
        },
        _ => {
            let info = ItemInfo {
                resource: resource.to_owned(),
                kind: "file".into(),
                id: id.clone(),
                path: String::new(),
                modified: parse_time(meta.get("lastModifiedDateTime")),
                meta: meta.clone(),
            };
            let expected = Expected {
                size: meta.get("size").and_then(Value::as_u64),
                quickxor: meta
                    .pointer("/file/hashes/quickXorHash")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
            };
            match download(ctx, ru, &format!("{item_path}/content"), &info, &expected).await? {
                Some(r) => r,
                None => return Ok(None),
            }
        }
    };
    let kept = if versions == 0 {
        Vec::new()
    } else if !content {
        prior_versions
    } else {
        read_versions(
            ctx,
            ru,
            resource,
            drive_id,
            &record,
            prior_versions,
            versions,
        )
        .await?
    };
    Ok(Some((record, kept)))
}

/// Keeps up to `wanted` versions older than the current one: those already stored
/// are reused, the others read.
async fn read_versions(
    ctx: &RunContext,
    ru: &ResourceUnits,
    resource: &str,
    drive_id: &str,
    file: &ItemRecord,
    prior: Vec<ItemRecord>,
    wanted: u32,
) -> Result<Vec<ItemRecord>, Failure> {
    let item_path = format!("/drives/{drive_id}/items/{}", file.id);
    ru.spend(2).await;
    let list = match ctx
        .graph
        .get::<Page<Value>>(&format!("{item_path}/versions"))
        .await
    {
        Ok(p) => p.value,
        Err(e) if e.status() == Some(404) => Vec::new(),
        Err(e) => return Err(Failure::Resource(e)),
    };
    let mut prior: HashMap<String, ItemRecord> =
        prior.into_iter().map(|r| (r.id.clone(), r)).collect();
    let mut out = Vec::new();
    // The first version listed is the current one.
    for v in list.into_iter().skip(1).take(wanted as usize) {
        let vid = id_of(&v);
        let record_id = format!("{}:{vid}", file.id);
        if let Some(r) = prior.remove(&record_id) {
            out.push(r);
            continue;
        }
        let meta = json!({
            "fileId": file.id,
            "name": file.meta.get("name"),
            "parentReference": file.meta.get("parentReference"),
            "version": strip_annotations(v.clone()),
            "size": v.get("size"),
            "lastModifiedDateTime": v.get("lastModifiedDateTime"),
        });
        let info = ItemInfo {
            resource: resource.to_owned(),
            kind: "fileVersion".into(),
            id: record_id,
            path: String::new(),
            modified: parse_time(v.get("lastModifiedDateTime")),
            meta,
        };
        let expected = Expected {
            size: v.get("size").and_then(Value::as_u64),
            quickxor: None,
        };
        let path = format!(
            "{item_path}/versions/{}/content",
            crate::exchange::collection::id_segment(&vid)
        );
        if let Some(r) = download(ctx, ru, &path, &info, &expected).await? {
            out.push(r);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delta_links_with_a_token_cost_less() {
        assert!(has_token("https://g/v1.0/drives/b!x/root/delta?token=abc"));
        assert!(has_token("/drives/x/root/delta?$top=5&token=abc"));
        assert!(!has_token("/drives/x/root/delta"));
        assert!(!has_token("/drives/x/root/delta?token=latest"));
    }
}
