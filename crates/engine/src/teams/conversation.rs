//! What a team's channels and a chat have in common: messages stored as canonical
//! JSON, their inline images as bytes, the previous run's records reused when a
//! message has not changed, and soft-deleted messages kept with the content they had.
//!
//! Records (see `docs/teams.md`):
//! - a message or reply: kind `channelMessage` or `chatMessage`, id
//!   `<channel or chat id>/<message id>`, meta with `messageId`, `threadId`,
//!   `parentFolderId` (`<channel or chat id>/<thread id>`), times and `eTag` (its
//!   version: `lastModifiedDateTime` and Graph's `etag`);
//! - an inline image: kind `hostedContent`, id `<message record id>/<hosted content
//!   id>`, `parentFolderId` the message's record id.

use std::collections::{BTreeMap, HashSet};

use graph::GraphError;
use model::wire::Page;
use serde_json::{Value, json};
use store::manifest::FailedItem;
use store::{ItemInfo, ItemRecord};
use time::OffsetDateTime;

use super::{TeamsCall, TeamsPacer};
use crate::baseline::Priors;
use crate::checkpoint::{Journal, Resumed};
use crate::context::{Progress, RunContext, parse_time, strip_annotations};
use crate::error::EngineError;
use crate::exchange::collection::canonical_json;

/// Where a message lives.
pub(crate) struct Place<'p> {
    /// `channelMessage` or `chatMessage`.
    pub kind: &'static str,
    /// The channel's or chat's id.
    pub container: &'p str,
    /// The top-level message's id (the message's own for a top-level message).
    pub thread: &'p str,
    /// The record path: `/<channel name>/<thread id>` or `/<chat id>`.
    pub path: &'p str,
    /// The message's Graph path, without the message id (`/teams/T/channels/C/messages`
    /// or `…/messages/{thread}/replies`).
    pub graph_base: &'p str,
    /// Which limit its requests count against.
    pub call: TeamsCall,
}

/// One team's or chat's records being gathered.
pub(crate) struct Conversation<'a> {
    pub ctx: &'a RunContext,
    pub pacer: &'a TeamsPacer,
    pub resource: String,
    pub baseline: Priors,
    pub resumed: Resumed,
    pub journal: Journal,
    records: BTreeMap<(String, String, String), (u64, Vec<u8>)>,
    listed: HashSet<(String, String)>,
    /// Cursors to save once the run is recorded: (scope, cursor).
    pub cursors: Vec<(String, String)>,
    /// What could not be read.
    pub failed: Vec<FailedItem>,
}

/// A message's version: Graph changes `lastModifiedDateTime` (and `etag`) with
/// every edit, reaction and deletion.
fn version(msg: &Value) -> String {
    let s = |k: &str| msg.get(k).and_then(Value::as_str).unwrap_or_default();
    format!("{}|{}", s("lastModifiedDateTime"), s("etag"))
}

fn str_of<'v>(v: &'v Value, key: &str) -> Option<&'v str> {
    v.get(key).and_then(Value::as_str)
}

/// The ids of the hosted contents (inline images) a message's HTML body refers to.
pub(crate) fn hosted_ids(msg: &Value) -> Vec<String> {
    let Some(body) = msg.pointer("/body/content").and_then(Value::as_str) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut rest = body;
    while let Some(at) = rest.find("/hostedContents/") {
        rest = &rest[at + "/hostedContents/".len()..];
        let end = rest
            .find(|c: char| c == '/' || c == '"' || c == '\'' || c.is_whitespace())
            .unwrap_or(rest.len());
        let id = &rest[..end];
        if id.is_empty() {
            continue;
        }
        let decoded = percent_decode(id);
        if !out.contains(&decoded) {
            out.push(decoded);
        }
    }
    out
}

fn percent_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={}", s.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| s.to_owned())
}

/// An id as one URL path segment.
pub(crate) fn seg(id: &str) -> String {
    crate::exchange::collection::id_segment(id)
}

impl<'a> Conversation<'a> {
    pub(crate) async fn open(
        ctx: &'a RunContext,
        pacer: &'a TeamsPacer,
        resource: String,
    ) -> Result<Self, EngineError> {
        let resumed = Resumed::load(ctx.catalog.as_ref(), &ctx.run_id, &resource).await?;
        Ok(Conversation {
            ctx,
            pacer,
            baseline: ctx.baseline.records(&resource).await?,
            journal: Journal::new(resumed.state.clone()),
            resumed,
            resource,
            records: BTreeMap::new(),
            listed: HashSet::new(),
            cursors: Vec::new(),
            failed: Vec::new(),
        })
    }

    /// One page of a Teams collection.
    pub(crate) async fn page(
        &self,
        url: &str,
        call: TeamsCall,
        target: &str,
    ) -> Result<Page<Value>, GraphError> {
        let _slots = self.pacer.acquire(call, target).await;
        self.ctx.graph.get_page(url, &[]).await
    }

    /// Every entity of a collection.
    pub(crate) async fn all(
        &self,
        url: &str,
        call: TeamsCall,
        target: &str,
    ) -> Result<Vec<Value>, GraphError> {
        let mut out = Vec::new();
        let mut next = Some(url.to_owned());
        while let Some(u) = next.take() {
            let page = self.page(&u, call, target).await?;
            out.extend(page.value);
            next = page.next_link;
        }
        Ok(out)
    }

    /// Adds a record of this run (noted for the checkpoint when `journal`).
    pub(crate) fn push(&mut self, record: ItemRecord, journal: bool) {
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

    /// Whether `kind:id` was listed in this run already.
    pub(crate) fn is_listed(&self, kind: &str, id: &str) -> bool {
        self.listed.contains(&(kind.to_owned(), id.to_owned()))
    }

    fn still_stored(&self, chunks: &[store::ChunkId]) -> bool {
        let index = self.ctx.repo.index();
        chunks.iter().all(|c| index.contains(c))
    }

    pub(crate) fn fail(&mut self, id: &str, error: &GraphError) {
        tracing::warn!(resource = %self.resource, id, error = %error, "could not be read; the next run retries it");
        Progress::add(&self.ctx.progress.failed, 1);
        self.failed.push(FailedItem {
            resource: self.resource.clone(),
            id: id.to_owned(),
            error: error.to_string(),
        });
    }

    /// A record without content (a channel, a chat, a team).
    pub(crate) fn push_entity(&mut self, kind: &str, id: &str, path: &str, meta: Value) {
        let record = ItemRecord {
            resource: self.resource.clone(),
            kind: kind.into(),
            id: id.to_owned(),
            path: path.to_owned(),
            size: 0,
            hash: self.ctx.repo.item_hash(&[]),
            modified: None,
            deleted: None,
            meta,
            chunks: Vec::new(),
        };
        self.baseline.remove(id);
        self.push(record, false);
    }

    /// Stores one message (top-level or reply) and its inline images, unless the
    /// previous run (or the interrupted one) has this version already.
    pub(crate) async fn message(
        &mut self,
        msg: Value,
        place: &Place<'_>,
    ) -> Result<(), EngineError> {
        let msg = strip_annotations(msg);
        let Some(id) = str_of(&msg, "id").map(str::to_owned) else {
            return Ok(());
        };
        let rid = format!("{}/{id}", place.container);
        let v = version(&msg);
        let deleted = msg.get("deletedDateTime").is_some_and(|d| !d.is_null());
        let images = hosted_ids(&msg);
        if let Some(r) = self.resumed.get(place.kind, &rid, Some(&v)).cloned() {
            self.push(r, false);
            return self.images(&rid, &images, place, &id, false).await;
        }
        if let Some(old) = self.baseline.get(&rid)
            && old.is_version(Some(&v))
            && self.still_stored(&old.chunks)
            && let Some(r) = self.baseline.remove(&rid)
        {
            self.push(r, false);
            return self.images(&rid, &images, place, &id, false).await;
        }
        let mut meta = json!({
            "messageId": id,
            "container": place.container,
            "threadId": place.thread,
            "parentFolderId": format!("{}/{}", place.container, place.thread),
            "eTag": v,
        });
        for key in [
            "replyToId",
            "createdDateTime",
            "lastModifiedDateTime",
            "lastEditedDateTime",
            "deletedDateTime",
            "messageType",
        ] {
            if let Some(x) = msg.get(key).filter(|x| !x.is_null()) {
                meta[key] = x.clone();
            }
        }
        if deleted {
            // Graph empties a deleted message; keep what it said before, when an earlier
            // run has it, and say when it was deleted.
            let earlier = self.baseline.remove(&rid).filter(|r| {
                r.meta.get("deletedDateTime").is_none() && self.still_stored(&r.chunks)
            });
            if let Some(old) = earlier {
                let record = ItemRecord {
                    meta,
                    modified: parse_time(msg.get("lastModifiedDateTime")),
                    ..old
                };
                self.push(record, true);
                // Its images as they were.
                let prefix = format!("{rid}/");
                let kept = self
                    .baseline
                    .take_where(|p| p.kind == "hostedContent" && p.id.starts_with(&prefix));
                for r in kept {
                    self.push(r, false);
                }
                return Ok(());
            }
        }
        let bytes = canonical_json(&without_replies(msg));
        let info = ItemInfo {
            resource: self.resource.clone(),
            kind: place.kind.into(),
            id: rid.clone(),
            path: place.path.to_owned(),
            modified: parse_time(meta.get("lastModifiedDateTime")),
            meta,
        };
        let mut item = self.ctx.writer.item(info);
        item.write(&bytes).await?;
        let record = item.finish_unlisted().await?;
        Progress::add(&self.ctx.progress.items_read, 1);
        Progress::add(&self.ctx.progress.bytes_read, bytes.len() as u64);
        self.push(record, true);
        self.images(&rid, &images, place, &id, true).await
    }

    /// Lists a message's inline images: reused from this or the previous run when
    /// `reuse`, or read when the message changed (or they are not stored).
    async fn images(
        &mut self,
        rid: &str,
        ids: &[String],
        place: &Place<'_>,
        message_id: &str,
        changed: bool,
    ) -> Result<(), EngineError> {
        for hid in ids {
            let hrid = format!("{rid}/{hid}");
            if self.is_listed("hostedContent", &hrid) {
                continue;
            }
            if let Some(r) = self.resumed.get("hostedContent", &hrid, Some(rid)).cloned() {
                self.push(r, false);
                continue;
            }
            if !changed
                && let Some(old) = self.baseline.get(&hrid)
                && self.still_stored(&old.chunks)
                && let Some(r) = self.baseline.remove(&hrid)
            {
                self.push(r, false);
                continue;
            }
            let url = format!(
                "{}/{}/hostedContents/{}/$value",
                place.graph_base,
                seg(message_id),
                seg(hid)
            );
            let call = place.call;
            let fetched = {
                let _slots = self.pacer.acquire(call, place.container).await;
                match self
                    .ctx
                    .graph
                    .send(reqwest::Method::GET, &url, None, &[])
                    .await
                {
                    Ok(r) => {
                        let kind = r
                            .headers()
                            .get(reqwest::header::CONTENT_TYPE)
                            .and_then(|v| v.to_str().ok())
                            .map(str::to_owned);
                        r.bytes()
                            .await
                            .map(|b| (kind, b))
                            .map_err(|e| GraphError::Transport {
                                url: url.clone(),
                                message: e.to_string(),
                                retryable: true,
                            })
                    }
                    Err(e) => Err(e),
                }
            };
            let (content_type, bytes) = match fetched {
                Ok(x) => x,
                Err(e) if e.status() == Some(404) => continue,
                Err(e) => {
                    // The earlier copy, if any, stays; the next run reads it again.
                    if let Some(r) = self.baseline.remove(&hrid) {
                        self.push(r, false);
                    }
                    self.fail(&format!("hostedContent:{hrid}"), &e);
                    continue;
                }
            };
            let info = ItemInfo {
                resource: self.resource.clone(),
                kind: "hostedContent".into(),
                id: hrid.clone(),
                path: format!("{}/{message_id}", place.path.trim_end_matches('/')),
                modified: None,
                meta: json!({
                    "messageId": message_id,
                    "hostedContentId": hid,
                    "parentFolderId": rid,
                    "contentType": content_type,
                    "eTag": rid,
                }),
            };
            let mut item = self.ctx.writer.item(info);
            item.write(&bytes).await?;
            let record = item.finish_unlisted().await?;
            Progress::add(&self.ctx.progress.items_read, 1);
            Progress::add(&self.ctx.progress.bytes_read, bytes.len() as u64);
            self.baseline.remove(&hrid);
            self.push(record, true);
        }
        Ok(())
    }

    /// Lists, as they were, the previous run's records this run did not list (threads
    /// that did not change, messages Graph no longer returns), so nothing is lost.
    pub(crate) fn keep_the_rest(&mut self, keep: impl Fn(&crate::baseline::Prior) -> bool) {
        let listed = &self.listed;
        let index = self.ctx.repo.index();
        let rest = self.baseline.take_where(|p| {
            keep(p)
                && !listed.contains(&(p.kind.clone(), p.id.clone()))
                && p.chunks.iter().all(|c| index.contains(c))
        });
        for r in rest {
            self.push(r, false);
        }
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

    /// Notes that `scope` (a channel, a chat) is complete, with its cursor.
    pub(crate) fn scope_done(&mut self, scope: &str, cursor: &str) {
        let tag = self.ctx.checkpointer.tag();
        self.journal.scope_done(tag, scope, cursor);
        if !cursor.is_empty() {
            self.cursors.push((scope.to_owned(), cursor.to_owned()));
        }
    }

    /// A scope an interrupted run completed (the messages of `container`): its saved
    /// records are listed again.
    pub(crate) fn adopt(&mut self, container: &str, scope: &str, cursor: &str) {
        let mine: Vec<ItemRecord> = self
            .resumed
            .records
            .values()
            .filter(|r| str_of(&r.meta, "container") == Some(container))
            .cloned()
            .collect();
        for r in mine {
            self.baseline.remove(&r.id);
            self.push(r, false);
        }
        if !cursor.is_empty() {
            self.cursors.push((scope.to_owned(), cursor.to_owned()));
        }
    }

    /// The saved cursor of `scope`, if it continues the baseline run.
    pub(crate) async fn cursor(&self, scope: &str) -> Result<Option<String>, EngineError> {
        self.ctx.cursor(&self.resource, scope).await
    }

    /// Adds the records to the run, together and in a stable order: (items, bytes).
    pub(crate) async fn finish(mut self) -> Result<Finished, EngineError> {
        self.checkpoint().await?;
        let records = std::mem::take(&mut self.records);
        let items = records.len() as u64;
        let bytes = records.values().map(|(size, _)| size).sum();
        self.ctx
            .writer
            .add_lines(
                records
                    .values()
                    .map(|(size, line)| (line.as_slice(), *size)),
            )
            .await?;
        Progress::add(&self.ctx.progress.resources_done, 1);
        Ok(Finished {
            items,
            bytes,
            cursors: self.cursors,
            failed: self.failed,
        })
    }
}

/// What a team's or chat's task produced.
#[derive(Debug, Default)]
pub(crate) struct Finished {
    pub items: u64,
    pub bytes: u64,
    pub cursors: Vec<(String, String)>,
    pub failed: Vec<FailedItem>,
}

/// A message without the replies `$expand=replies` put in it.
fn without_replies(mut msg: Value) -> Value {
    if let Value::Object(map) = &mut msg {
        map.retain(|k, _| k != "replies" && !k.starts_with("replies@"));
    }
    msg
}

/// A time as Graph's `$filter` takes it (UTC, whole seconds).
pub(crate) fn graph_time(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosted_ids_come_from_image_sources() {
        let msg = json!({"body": {"contentType": "html", "content":
            "<p>a<img src=\"https://graph.microsoft.com/v1.0/teams/t/channels/c/messages/1/hostedContents/aWQ9eA%3D%3D/$value\"> \
             <img src='https://x/chats/c/messages/2/hostedContents/b2/$value'> \
             <img src=\"https://x/hostedContents/aWQ9eA%3D%3D/$value\"></p>"}});
        assert_eq!(hosted_ids(&msg), ["aWQ9eA==", "b2"]);
        assert!(hosted_ids(&json!({"body": {"content": "no images"}})).is_empty());
        assert!(hosted_ids(&json!({})).is_empty());
    }

    #[test]
    fn versions_change_with_edits() {
        let a = json!({"lastModifiedDateTime": "2026-01-01T00:00:00Z", "etag": "1"});
        let b = json!({"lastModifiedDateTime": "2026-01-01T00:00:01Z", "etag": "2"});
        assert_ne!(version(&a), version(&b));
        let r = without_replies(json!({"id": "1", "replies": [], "replies@odata.context": "x"}));
        assert_eq!(r, json!({"id": "1"}));
    }
}
