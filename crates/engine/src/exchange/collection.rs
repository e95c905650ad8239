//! Folders of items: mail folders and their messages, contact folders and their
//! contacts, calendars and their events. The folder tree is read in full; each
//! folder's items through its delta query where Graph has one (a full listing
//! otherwise). New and changed messages are read as MIME
//! (`/messages/{id}/$value`), streamed into the repository, with the Graph
//! metadata MIME lacks; contacts and events are stored as canonical JSON.

use std::collections::{HashMap, HashSet};

use graph::GraphError;
use model::wire::Page;
use serde_json::Value;
use store::{ItemInfo, ItemRecord};

use super::fetch::{Fetched, IN_FLIGHT, Pipeline};
use super::{Failure, MailboxRun};
use crate::context::{Progress, parse_time, strip_annotations};
use crate::error::EngineError;

/// Message properties kept as metadata (the MIME holds the rest: recipients, body,
/// attachments; `from` is kept for mbox's separator lines).
const MESSAGE_SELECT: &str = "subject,from,\
receivedDateTime,sentDateTime,createdDateTime,lastModifiedDateTime,changeKey,categories,isRead,\
isDraft,importance,flag,parentFolderId,internetMessageId,conversationId,hasAttachments,\
inferenceClassification,isReadReceiptRequested,isDeliveryReceiptRequested";

/// How an item's content is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Content {
    /// The MIME, from `/messages/{id}/$value`.
    Mime,
    /// The entity itself, as canonical JSON.
    Json,
}

/// One kind of folder and its items.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Collection {
    /// The item kind in the repository: `mail`, `contact`, `event`.
    pub kind: &'static str,
    /// The folder kind in the repository.
    pub folder_kind: &'static str,
    /// The folder list, relative to `/users/{id}/`.
    pub folders: &'static str,
    /// The items of folder `{}`, relative to `/users/{id}/`.
    pub items: &'static str,
    /// `$select` of the item requests, if any.
    pub select: Option<&'static str>,
    /// How content is read.
    pub content: Content,
}

/// Mail folders and messages.
pub(crate) const MAIL: Collection = Collection {
    kind: "mail",
    folder_kind: "folder",
    folders: "mailFolders/delta",
    items: "mailFolders/{}/messages/delta",
    select: Some(MESSAGE_SELECT),
    content: Content::Mime,
};

/// Contact folders and contacts.
pub(crate) const CONTACTS: Collection = Collection {
    kind: "contact",
    folder_kind: "contactFolder",
    folders: "contactFolders/delta",
    items: "contactFolders/{}/contacts/delta",
    select: None,
    content: Content::Json,
};

/// Calendars and their events (series masters and single events; listed in full,
/// since Graph's event delta only covers a window of expanded occurrences).
pub(crate) const CALENDARS: Collection = Collection {
    kind: "event",
    folder_kind: "calendar",
    folders: "calendars",
    items: "calendars/{}/events?$top=100",
    select: None,
    content: Content::Json,
};

/// The canonical JSON of a Graph entity: top-level `@odata.*` annotations removed,
/// object keys sorted at every level, no whitespace.
pub(crate) fn canonical_json(v: &Value) -> Vec<u8> {
    fn sorted(v: &Value) -> Value {
        match v {
            Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                Value::Object(
                    keys.into_iter()
                        .map(|k| (k.clone(), sorted(&map[k])))
                        .collect(),
                )
            }
            Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
            other => other.clone(),
        }
    }
    let stripped = match v {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(k, _)| !k.starts_with("@odata."))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
        other => other.clone(),
    };
    serde_json::to_vec(&sorted(&stripped)).unwrap_or_default()
}

/// The metadata kept beside JSON content (the content has the rest).
fn json_meta(entity: &Value, folder_id: &str) -> Value {
    let mut meta = serde_json::Map::new();
    for key in [
        "id",
        "changeKey",
        "subject",
        "displayName",
        "lastModifiedDateTime",
        "type",
        "start",
        "end",
    ] {
        if let Some(v) = entity.get(key) {
            meta.insert(key.to_owned(), v.clone());
        }
    }
    meta.insert("parentFolderId".into(), Value::String(folder_id.to_owned()));
    Value::Object(meta)
}

/// A folder and its path of display names.
#[derive(Debug, Clone)]
pub(crate) struct Folder {
    pub id: String,
    pub path: String,
    pub json: Value,
}

/// A path segment: a display name with `/` and `%` escaped.
pub(crate) fn segment(name: &str) -> String {
    name.replace('%', "%25").replace('/', "%2F")
}

/// An id as one URL path segment.
pub(crate) fn id_segment(id: &str) -> String {
    url::form_urlencoded::byte_serialize(id.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

fn str_of<'v>(v: &'v Value, key: &str) -> Option<&'v str> {
    v.get(key).and_then(Value::as_str)
}

/// Folder paths from a flat list with parent ids.
pub(crate) fn folder_paths(rows: Vec<Value>) -> Vec<Folder> {
    let by_id: HashMap<String, (String, Option<String>)> = rows
        .iter()
        .filter_map(|r| {
            Some((
                str_of(r, "id")?.to_owned(),
                (
                    str_of(r, "displayName")
                        .or_else(|| str_of(r, "name"))
                        .unwrap_or_default()
                        .to_owned(),
                    str_of(r, "parentFolderId").map(str::to_owned),
                ),
            ))
        })
        .collect();
    let mut out = Vec::new();
    for r in rows {
        let Some(id) = str_of(&r, "id").map(str::to_owned) else {
            continue;
        };
        let mut names = Vec::new();
        let mut at = Some(id.clone());
        let mut guard = 0;
        while let Some(cur) = at.take() {
            let Some((name, parent)) = by_id.get(&cur) else {
                break;
            };
            names.push(segment(name));
            at = parent.clone();
            guard += 1;
            if guard > 64 {
                break; // a cycle; Graph never sends one, but a path must end
            }
        }
        names.reverse();
        out.push(Folder {
            id,
            path: format!("/{}", names.join("/")),
            json: strip_annotations(r),
        });
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

fn is_expired_cursor(e: &GraphError) -> bool {
    matches!(e, GraphError::Api(a) if a.status == 410)
}

impl MailboxRun<'_> {
    fn user_path(&self, rest: &str) -> String {
        format!("/users/{}/{rest}", self.mailbox.id)
    }

    async fn page(&self, url: &str) -> Result<Page<Value>, GraphError> {
        let _slot = self.limiter.acquire().await;
        let prefer = format!("odata.maxpagesize={}", self.ctx.options.page_size);
        self.ctx
            .graph
            .get_page(url, &[("Prefer", prefer.as_str())])
            .await
    }

    async fn folders(&self, c: &Collection) -> Result<Vec<Folder>, GraphError> {
        let mut rows = Vec::new();
        let mut next = Some(self.user_path(c.folders));
        while let Some(url) = next.take() {
            let page = self.page(&url).await?;
            rows.extend(
                page.value
                    .into_iter()
                    .filter(|v| v.get("@removed").is_none()),
            );
            next = page.next_link;
        }
        Ok(folder_paths(rows))
    }

    /// Backs up the folders and items of collection `c`.
    pub(crate) async fn collection(&mut self, c: &Collection) -> Result<(), Failure> {
        let folders = self.folders(c).await?;
        let current: HashSet<&str> = folders.iter().map(|f| f.id.as_str()).collect();
        let hash = self.ctx.repo.item_hash(&[]);
        for f in &folders {
            let record = ItemRecord {
                resource: self.resource().to_owned(),
                kind: c.folder_kind.into(),
                id: f.id.clone(),
                path: f.path.clone(),
                size: 0,
                hash: hash.clone(),
                modified: None,
                deleted: None,
                meta: f.json.clone(),
                chunks: Vec::new(),
            };
            self.push(record, false);
        }
        // Folders gone since the previous run, and the messages they held.
        let gone: Vec<ItemRecord> = self.baseline.take_where(|r| {
            if r.kind == c.folder_kind {
                !current.contains(r.id.as_str())
            } else if r.kind == c.kind {
                r.folder.as_deref().is_none_or(|p| !current.contains(p))
            } else {
                false
            }
        });
        for r in gone {
            let d = self.deleted(&r);
            self.push(d, true);
        }
        for f in &folders {
            match self.folder(c, f).await {
                Ok(()) => {}
                Err(Failure::Resource(e)) => {
                    // This folder failed as a whole; keep its earlier versions, go on.
                    self.keep_folder(c, f);
                    self.fail_item(c.folder_kind, &f.id, &e);
                }
                Err(other) => return Err(other),
            }
        }
        if c.content == Content::Mime {
            self.retry_failed(&folders).await?;
        }
        Ok(())
    }

    /// Lists the earlier versions of a folder that could not be read this time.
    fn keep_folder(&mut self, c: &Collection, f: &Folder) {
        let listed = &self.listed;
        let keep: Vec<ItemRecord> = self.baseline.take_where(|r| {
            r.kind == c.kind
                && r.folder.as_deref() == Some(&f.id)
                && !listed.contains(&(r.kind.clone(), r.id.clone()))
        });
        for r in keep {
            self.push(r, false);
        }
    }

    /// The saved delta link of `folder`, if it continues the baseline run.
    async fn cursor(&self, folder: &str) -> Result<Option<String>, EngineError> {
        self.ctx.cursor(self.resource(), folder).await
    }

    async fn folder(&mut self, c: &Collection, f: &Folder) -> Result<(), Failure> {
        if let Some(link) = self.resumed.state.done.get(&f.id).cloned() {
            self.adopt_done(c, f, &link);
            return Ok(());
        }
        let base = self.user_path(&c.items.replace("{}", &id_segment(&f.id)));
        let start = match c.select {
            Some(select) if base.contains('?') => format!("{base}&$select={select}"),
            Some(select) => format!("{base}?$select={select}"),
            None => base,
        };
        let mut full = false;
        let mut next = match self.cursor(&f.id).await? {
            Some(c) => c,
            None => {
                full = true;
                start.clone()
            }
        };
        let mut seen: HashSet<String> = HashSet::new();
        let mut restarts = 0;
        // Messages are read while the next pages are listed, so that the mailbox's four
        // request slots stay busy.
        let fetcher = self.fetcher();
        let mut pipe = Pipeline::new(&fetcher);
        let mut delta_link = loop {
            let page = pipe.while_running(self.page(&next)).await;
            let page = match page {
                Ok(p) => p,
                Err(e) if is_expired_cursor(&e) && restarts < 5 => {
                    // The saved cursor, or the round's own paging token, expired: read
                    // this folder (and only this one) from the start.
                    tracing::info!(mailbox = %self.mailbox.upn, folder = %f.path, "delta token expired; reading this folder in full");
                    restarts += 1;
                    full = true;
                    seen.clear();
                    next = start.clone();
                    continue;
                }
                Err(e) => return Err(e.into()),
            };
            for entry in page.value {
                let Some(id) = str_of(&entry, "id").map(str::to_owned) else {
                    continue;
                };
                seen.insert(id.clone());
                if entry.get("@removed").is_some() {
                    if let Some(old) = self.baseline.remove(&id) {
                        let d = self.deleted(&old);
                        self.push(d, true);
                    }
                    continue;
                }
                let meta = strip_annotations(entry);
                let key = str_of(&meta, "changeKey").map(str::to_owned);
                if let Some(r) = self.resumed.get(c.kind, &id, key.as_deref()).cloned() {
                    self.push(r, false);
                    continue;
                }
                if let Some(old) = self.baseline.get(&id)
                    && old.is_version(key.as_deref())
                    && self.still_stored(&old.chunks)
                    && let Some(mut r) = self.baseline.remove(&id)
                {
                    r.path = f.path.clone();
                    self.push(r, false);
                    continue;
                }
                match c.content {
                    Content::Mime => pipe.push(meta, f.path.clone()),
                    Content::Json => {
                        let record = self.store_json(c, &meta, &f.id, &f.path).await?;
                        self.push(record, true);
                    }
                }
            }
            pipe.drain_to(IN_FLIGHT).await;
            self.absorb(pipe.take_done())?;
            self.checkpoint().await?;
            if let Some(d) = page.delta_link {
                break Some(d);
            }
            match page.next_link {
                Some(n) => next = n,
                // A plain listing (no delta query): everything was seen.
                None => {
                    full = true;
                    break None;
                }
            }
        };
        pipe.drain_to(0).await;
        self.absorb(pipe.take_done())?;
        drop(pipe);
        // What the round did not mention is unchanged (incremental) or gone (full).
        let rest: Vec<ItemRecord> = self.baseline.take_where(|r| {
            r.kind == c.kind && r.folder.as_deref() == Some(&f.id) && !seen.contains(&r.id)
        });
        for r in rest {
            if full {
                let d = self.deleted(&r);
                self.push(d, true);
            } else if self.still_stored(&r.chunks) {
                let mut r = r;
                r.path = f.path.clone();
                self.push(r, false);
            } else if c.content == Content::Mime {
                self.fetch_all(vec![r.meta.clone()], &f.path).await?;
            } else {
                // Its content is gone from the repository and a delta round does not
                // send unchanged items: forget the cursor so the next run lists it.
                delta_link = None;
            }
        }
        let tag = self.ctx.checkpointer.tag();
        let link = delta_link.unwrap_or_default();
        self.journal.scope_done(tag, &f.id, &link);
        if !link.is_empty() {
            self.outcome.cursors.push((f.id.clone(), link));
        }
        self.checkpoint().await?;
        Ok(())
    }

    /// Stores an entity as canonical JSON.
    async fn store_json(
        &self,
        c: &Collection,
        entity: &Value,
        folder_id: &str,
        path: &str,
    ) -> Result<ItemRecord, Failure> {
        let bytes = canonical_json(entity);
        let info = ItemInfo {
            resource: self.resource().to_owned(),
            kind: c.kind.into(),
            id: str_of(entity, "id").unwrap_or_default().to_owned(),
            path: path.to_owned(),
            modified: parse_time(entity.get("lastModifiedDateTime")),
            meta: json_meta(entity, folder_id),
        };
        let mut item = self.ctx.writer.item(info);
        item.write(&bytes).await?;
        Progress::add(&self.ctx.progress.items_read, 1);
        Progress::add(&self.ctx.progress.bytes_read, bytes.len() as u64);
        Ok(item.finish_unlisted().await?)
    }

    /// A folder an interrupted run completed: its saved records plus the unchanged
    /// records of the baseline.
    fn adopt_done(&mut self, c: &Collection, f: &Folder, link: &str) {
        let mine: Vec<ItemRecord> = self
            .resumed
            .records
            .values()
            .filter(|r| r.kind == c.kind && str_of(&r.meta, "parentFolderId") == Some(&f.id))
            .cloned()
            .collect();
        let ids: HashSet<String> = mine.iter().map(|r| r.id.clone()).collect();
        for r in mine {
            self.push(r, false);
        }
        self.keep_unlisted(c, f, &ids);
        if !link.is_empty() {
            self.outcome.cursors.push((f.id.clone(), link.to_owned()));
        }
    }

    fn keep_unlisted(&mut self, c: &Collection, f: &Folder, ids: &HashSet<String>) {
        let keep: Vec<ItemRecord> = self.baseline.take_where(|r| {
            r.kind == c.kind && r.folder.as_deref() == Some(&f.id) && !ids.contains(&r.id)
        });
        for mut r in keep {
            r.path = f.path.clone();
            self.push(r, false);
        }
    }

    /// Reads messages (their metadata given), then lists them.
    async fn fetch_all(&mut self, metas: Vec<Value>, path: &str) -> Result<(), Failure> {
        let fetcher = self.fetcher();
        let mut pipe = Pipeline::new(&fetcher);
        for meta in metas {
            pipe.push(meta, path.to_owned());
        }
        pipe.drain_to(0).await;
        let done = pipe.take_done();
        self.absorb(done)
    }

    /// Lists what the pipeline read: new records, or the earlier version and a failure.
    fn absorb(&mut self, done: Vec<Fetched>) -> Result<(), Failure> {
        for (meta, result) in done {
            let id = str_of(&meta, "id").unwrap_or_default().to_owned();
            match result {
                Ok(Some(record)) => {
                    self.baseline.remove(&id);
                    self.push(record, true);
                }
                Ok(None) => {} // deleted meanwhile: the next round reports it
                Err(Failure::Resource(e)) => {
                    // Keep the earlier version, if any, and retry next run.
                    if let Some(old) = self.baseline.remove(&id) {
                        self.push(old, false);
                    }
                    self.fail_item("mail", &id, &e);
                }
                Err(other) => return Err(other),
            }
        }
        Ok(())
    }

    /// Reads again the messages the previous run could not read.
    async fn retry_failed(&mut self, folders: &[Folder]) -> Result<(), Failure> {
        let ids: Vec<String> = self
            .ctx
            .baseline
            .failed(self.resource())
            .iter()
            .filter_map(|f| f.id.strip_prefix("mail:").map(str::to_owned))
            .filter(|id| !self.listed.contains(&("mail".to_owned(), id.clone())))
            .collect();
        for id in ids {
            let url = format!(
                "{}?$select={MESSAGE_SELECT}",
                self.user_path(&format!("messages/{}", id_segment(&id)))
            );
            let meta = {
                let _slot = self.limiter.acquire().await;
                match self.ctx.graph.get::<Value>(&url).await {
                    Ok(v) => strip_annotations(v),
                    Err(e) if e.status() == Some(404) => continue,
                    Err(e) => {
                        self.fail_item("mail", &id, &e);
                        continue;
                    }
                }
            };
            let parent = str_of(&meta, "parentFolderId").unwrap_or_default();
            let Some(f) = folders.iter().find(|f| f.id == parent) else {
                continue;
            };
            let path = f.path.clone();
            self.fetch_all(vec![meta], &path).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_follow_parents() {
        let rows = vec![
            json!({"id": "b", "displayName": "Projects", "parentFolderId": "a"}),
            json!({"id": "a", "displayName": "Inbox", "parentFolderId": "root"}),
            json!({"id": "c", "displayName": "a/b", "parentFolderId": "b", "@odata.etag": "x"}),
        ];
        let f = folder_paths(rows);
        let paths: Vec<&str> = f.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(
            paths,
            ["/Inbox", "/Inbox/Projects", "/Inbox/Projects/a%2Fb"]
        );
        assert!(f[2].json.get("@odata.etag").is_none());
    }
}
