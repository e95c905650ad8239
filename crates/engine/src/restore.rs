//! Restore: items of a run back into a mailbox — the original one or another,
//! into the original folders or under another folder — through Graph writes.
//!
//! Mail goes back as its MIME (`POST …/messages`, `text/plain`, base64), then one
//! `PATCH` sets what MIME cannot carry: read state, flag, categories, importance,
//! and the extended properties that make it a received message rather than a
//! draft (`PR_MESSAGE_FLAGS`) with its original received time
//! (`PR_MESSAGE_DELIVERY_TIME`). Events and contacts go back as JSON, without the
//! properties Graph sets itself; events lose their attendees so that a restore
//! never sends meeting requests (the backup and exports keep them).

pub mod channels;
pub mod files;

use std::collections::{BTreeMap, HashMap};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use graph::{Body, GraphClient, GraphError};
use reqwest::Method;
use serde::Serialize;
use serde_json::{Value, json};
use store::{ItemRecord, Manifest, Repository};

use crate::browse::each_item;
use crate::context::DataSelection;
use crate::error::EngineError;
use crate::exchange::collection::{folder_paths, id_segment};
use crate::scope::Mailbox;

/// What to do when the item is already in the target folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Collisions {
    /// Leave the existing item; do not restore.
    Skip,
    /// Restore beside it.
    Copy,
    /// Delete the existing item, then restore.
    Replace,
}

impl std::str::FromStr for Collisions {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "skip" => Ok(Collisions::Skip),
            "copy" => Ok(Collisions::Copy),
            "replace" => Ok(Collisions::Replace),
            other => Err(format!(
                "unknown collision rule '{other}'; use skip, copy or replace"
            )),
        }
    }
}

/// What to restore, and where.
#[derive(Debug, Clone)]
pub struct RestoreRequest {
    /// The mailbox in the backup (user principal name).
    pub source: String,
    /// Only items under this folder path (`/Inbox/Projects`).
    pub folder: Option<String>,
    /// Only these items (ids).
    pub items: Vec<String>,
    /// The mailbox to restore into.
    pub target: Mailbox,
    /// A folder under which the original folder paths are re-created (`/Restored`).
    pub to_folder: Option<String>,
    /// What to do with items already there.
    pub collisions: Collisions,
    /// Only say what would be done.
    pub dry_run: bool,
    /// Which kinds of items.
    pub data: DataSelection,
}

/// One item restored (or that would be).
#[derive(Debug, Clone, Serialize)]
pub struct RestoredItem {
    /// `mail`, `event`, `contact`.
    pub kind: String,
    /// Its id in the backup.
    pub source_id: String,
    /// Its new id (absent in a dry run or when skipped).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_id: Option<String>,
    /// The folder it went to.
    pub path: String,
    /// `restored`, `skipped` (already there), `would restore` (dry run) or `failed`.
    pub outcome: &'static str,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// What a restore did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RestoreSummary {
    /// Items restored.
    pub restored: u64,
    /// Items skipped because they were already there.
    pub skipped: u64,
    /// Items that failed.
    pub failed: u64,
    /// Whether nothing was written.
    pub dry_run: bool,
    /// Every item.
    pub items: Vec<RestoredItem>,
}

/// Where items of one kind go in the target mailbox.
struct Place {
    /// Folder list, relative to `/users/{id}/`.
    list: &'static str,
    /// Create a top-level folder.
    create_top: &'static str,
    /// Create a child of folder `{}`.
    create_child: &'static str,
    /// The name property of a new folder.
    name_key: &'static str,
    /// Items of folder `{}`.
    items: &'static str,
}

const MAIL: Place = Place {
    list: "mailFolders/delta",
    create_top: "mailFolders",
    create_child: "mailFolders/{}/childFolders",
    name_key: "displayName",
    items: "mailFolders/{}/messages",
};
const EVENTS: Place = Place {
    list: "calendars",
    create_top: "calendars",
    create_child: "calendars",
    name_key: "name",
    items: "calendars/{}/events",
};
const CONTACTS: Place = Place {
    list: "contactFolders/delta",
    create_top: "contactFolders",
    create_child: "contactFolders/{}/childFolders",
    name_key: "displayName",
    items: "contactFolders/{}/contacts",
};

/// The target mailbox's folders of one kind, by path, created as needed.
struct Folders<'a> {
    graph: &'a GraphClient,
    user: String,
    place: &'static Place,
    by_path: HashMap<String, String>,
    dry_run: bool,
}

fn unescape(segment: &str) -> String {
    segment.replace("%2F", "/").replace("%25", "%")
}

impl<'a> Folders<'a> {
    async fn load(
        graph: &'a GraphClient,
        user: &str,
        place: &'static Place,
        dry_run: bool,
    ) -> Result<Folders<'a>, GraphError> {
        let rows: Vec<Value> = graph
            .get_all(&format!("/users/{user}/{}", place.list), &[])
            .await?;
        let by_path = folder_paths(
            rows.into_iter()
                .filter(|r| r.get("@removed").is_none())
                .collect(),
        )
        .into_iter()
        .map(|f| (f.path, f.id))
        .collect();
        Ok(Folders {
            graph,
            user: user.to_owned(),
            place,
            by_path,
            dry_run,
        })
    }

    /// The id of folder `path`, creating it and its parents if needed.
    async fn ensure(&mut self, path: &str) -> Result<String, GraphError> {
        if let Some(id) = self.by_path.get(path) {
            return Ok(id.clone());
        }
        let mut at = String::new();
        let mut parent: Option<String> = None;
        for seg in path.split('/').filter(|s| !s.is_empty()) {
            at.push('/');
            at.push_str(seg);
            if let Some(id) = self.by_path.get(&at) {
                parent = Some(id.clone());
                continue;
            }
            let id = if self.dry_run {
                format!("(new folder {at})")
            } else {
                let url = match &parent {
                    Some(p) if self.place.create_child.contains("{}") => format!(
                        "/users/{}/{}",
                        self.user,
                        self.place.create_child.replace("{}", &id_segment(p))
                    ),
                    _ => format!("/users/{}/{}", self.user, self.place.create_top),
                };
                let created: Value = self
                    .graph
                    .post(&url, &json!({ self.place.name_key: unescape(seg) }))
                    .await?;
                created
                    .get("id")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned()
            };
            self.by_path.insert(at.clone(), id.clone());
            parent = Some(id);
        }
        Ok(parent.unwrap_or_default())
    }
}

/// Properties Graph sets itself, removed before an entity is created again.
const READ_ONLY: &[&str] = &[
    "id",
    "changeKey",
    "createdDateTime",
    "lastModifiedDateTime",
    "parentFolderId",
    "calendarId",
    "iCalUId",
    "uid",
    "webLink",
    "seriesMasterId",
    "type",
    "originalStart",
    "originalStartTimeZone",
    "originalEndTimeZone",
    "onlineMeeting",
    "organizer",
    "isOrganizer",
    "responseStatus",
    "hasAttachments",
    "attendees",
    "occurrenceId",
    "cancelledOccurrences",
    "exceptionOccurrences",
    "instances",
    "attachments",
    "photo",
];

fn creatable(mut v: Value) -> Value {
    if let Value::Object(map) = &mut v {
        map.retain(|k, _| {
            !k.starts_with('@') && !k.contains("@odata") && !READ_ONLY.contains(&k.as_str())
        });
    }
    v
}

/// A key that tells whether an item is already in a folder.
fn identity(kind: &str, v: &Value) -> Option<String> {
    let s = |k: &str| {
        v.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    match kind {
        "mail" => v
            .get("internetMessageId")
            .and_then(Value::as_str)
            .map(str::to_owned),
        "event" => Some(format!(
            "{}|{}",
            s("subject"),
            v.pointer("/start/dateTime")
                .and_then(Value::as_str)
                .unwrap_or_default()
        )),
        "contact" => Some(format!(
            "{}|{}",
            s("displayName"),
            v.pointer("/emailAddresses/0/address")
                .and_then(Value::as_str)
                .unwrap_or_default()
        )),
        _ => None,
    }
}

/// Restores items of `manifest` as `request` says.
pub async fn restore(
    graph: &GraphClient,
    repo: &Repository,
    manifest: &Manifest,
    request: &RestoreRequest,
) -> Result<RestoreSummary, EngineError> {
    let source = request.source.to_ascii_lowercase();
    let wanted = |kind: &str| match kind {
        "mail" => request.data.mail,
        "event" => request.data.calendar,
        "contact" => request.data.contacts,
        _ => false,
    };
    let prefix = request.folder.as_deref().map(|f| {
        let f = f.trim_end_matches('/');
        if f.starts_with('/') {
            f.to_owned()
        } else {
            format!("/{f}")
        }
    });
    let mut chosen: Vec<ItemRecord> = Vec::new();
    let mut any = false;
    each_item(repo, manifest, |r| {
        if r.resource != source {
            return;
        }
        any = true;
        if !wanted(&r.kind) {
            return;
        }
        if let Some(p) = &prefix
            && !(r.path == *p || r.path.starts_with(&format!("{p}/")))
        {
            return;
        }
        if !request.items.is_empty() && !request.items.contains(&r.id) {
            return;
        }
        chosen.push(r);
    })
    .await?;
    if !any {
        return Err(EngineError::NotFound(format!(
            "run {} holds no mailbox '{source}'; `m365vault ls {}` lists its mailboxes",
            manifest.run_id, manifest.run_id
        )));
    }
    if let Some(missing) = request
        .items
        .iter()
        .find(|id| !chosen.iter().any(|r| &r.id == *id))
    {
        return Err(EngineError::NotFound(format!(
            "item '{missing}' is not in {source} in run {} (or not under the folder given); `m365vault ls` shows item ids",
            manifest.run_id
        )));
    }
    let mut summary = RestoreSummary {
        dry_run: request.dry_run,
        ..RestoreSummary::default()
    };
    let user = id_segment(&request.target.id);
    for (kind, place) in [("mail", &MAIL), ("event", &EVENTS), ("contact", &CONTACTS)] {
        let mut records: Vec<&ItemRecord> = chosen.iter().filter(|r| r.kind == kind).collect();
        if records.is_empty() {
            continue;
        }
        records.sort_by(|a, b| a.path.cmp(&b.path));
        let mut folders = Folders::load(graph, &user, place, request.dry_run).await?;
        let mut existing: BTreeMap<String, HashMap<String, Vec<String>>> = BTreeMap::new();
        for r in records {
            let mut path = match &request.to_folder {
                // Contact folders live under the default one (Graph creates them there):
                // `/Contacts/Friends` goes to `/Contacts/Restored/Friends`.
                Some(t) if kind == "contact" => {
                    let rest = r.path.trim_start_matches('/');
                    let (default, below) = rest.split_once('/').unwrap_or((rest, ""));
                    let below = if below.is_empty() {
                        String::new()
                    } else {
                        format!("/{below}")
                    };
                    format!("/{default}/{}{below}", t.trim_matches('/'))
                }
                Some(t) => format!("/{}{}", t.trim_matches('/'), r.path),
                None => r.path.clone(),
            };
            if !place.create_child.contains("{}") {
                // Calendars do not nest: one calendar named after the whole path.
                let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
                path = format!("/{}", segments.join(" - "));
            }
            let outcome = restore_one(
                graph,
                repo,
                &user,
                place,
                &mut folders,
                &mut existing,
                r,
                &path,
                request,
            )
            .await;
            let (outcome, target_id, error) = match outcome {
                Ok(Done::Restored(id)) => {
                    summary.restored += 1;
                    ("restored", id, None)
                }
                Ok(Done::WouldRestore) => ("would restore", None, None),
                Ok(Done::Skipped) => {
                    summary.skipped += 1;
                    ("skipped", None, None)
                }
                Err(Step::Graph(e)) => {
                    summary.failed += 1;
                    ("failed", None, Some(e.to_string()))
                }
                Err(Step::Engine(e)) => return Err(e),
            };
            summary.items.push(RestoredItem {
                kind: kind.to_owned(),
                source_id: r.id.clone(),
                target_id,
                path,
                outcome,
                error,
            });
        }
    }
    Ok(summary)
}

enum Done {
    Restored(Option<String>),
    WouldRestore,
    Skipped,
}

enum Step {
    Graph(GraphError),
    Engine(EngineError),
}

impl From<GraphError> for Step {
    fn from(e: GraphError) -> Self {
        Step::Graph(e)
    }
}

impl From<store::StoreError> for Step {
    fn from(e: store::StoreError) -> Self {
        Step::Engine(e.into())
    }
}

#[allow(clippy::too_many_arguments)]
async fn restore_one(
    graph: &GraphClient,
    repo: &Repository,
    user: &str,
    place: &Place,
    folders: &mut Folders<'_>,
    existing: &mut BTreeMap<String, HashMap<String, Vec<String>>>,
    r: &ItemRecord,
    path: &str,
    request: &RestoreRequest,
) -> Result<Done, Step> {
    let mut content = Vec::with_capacity(r.size as usize);
    repo.restore_item(r, &mut content).await?;
    let entity: Value = if r.kind == "mail" {
        r.meta.clone()
    } else {
        serde_json::from_slice(&content).map_err(|e| {
            Step::Engine(EngineError::NotFound(format!(
                "item {} of {} is not JSON in the backup: {e}",
                r.id, r.resource
            )))
        })?
    };
    let folder = folders.ensure(path).await?;
    let items_url = format!(
        "/users/{user}/{}",
        place.items.replace("{}", &id_segment(&folder))
    );
    // What is already in the folder (read once per folder).
    if request.collisions != Collisions::Copy && !request.dry_run && !existing.contains_key(&folder)
    {
        let select = match r.kind.as_str() {
            "mail" => "$select=internetMessageId",
            "event" => "$select=subject,start",
            _ => "$select=displayName,emailAddresses",
        };
        let rows: Vec<Value> = graph
            .get_all(&format!("{items_url}?{select}&$top=100"), &[])
            .await?;
        let mut map: HashMap<String, Vec<String>> = HashMap::new();
        for row in rows {
            if let (Some(key), Some(id)) = (
                identity(&r.kind, &row),
                row.get("id").and_then(Value::as_str),
            ) {
                map.entry(key).or_default().push(id.to_owned());
            }
        }
        existing.insert(folder.clone(), map);
    }
    let key = identity(&r.kind, &entity);
    let already: Vec<String> = key
        .as_ref()
        .and_then(|k| existing.get(&folder).and_then(|m| m.get(k)).cloned())
        .unwrap_or_default();
    if !already.is_empty() && request.collisions == Collisions::Skip {
        return Ok(Done::Skipped);
    }
    if request.dry_run {
        return Ok(Done::WouldRestore);
    }
    if request.collisions == Collisions::Replace {
        for id in &already {
            let single = match r.kind.as_str() {
                "mail" => format!("/users/{user}/messages/{}", id_segment(id)),
                "event" => format!("/users/{user}/events/{}", id_segment(id)),
                _ => format!("/users/{user}/contacts/{}", id_segment(id)),
            };
            graph.delete(&single).await?;
        }
    }
    let created: Value = if r.kind == "mail" {
        let encoded = STANDARD.encode(&content);
        let response = graph
            .send_body(
                Method::POST,
                &items_url,
                Some(Body::Raw {
                    bytes: encoded.as_bytes(),
                    content_type: "text/plain",
                }),
                &[],
            )
            .await?;
        let bytes = response.bytes().await.map_err(|e| GraphError::Transport {
            url: items_url.clone(),
            message: e.to_string(),
            retryable: false,
        })?;
        serde_json::from_slice(&bytes).map_err(|e| GraphError::Decode {
            path: items_url.clone(),
            message: e.to_string(),
        })?
    } else {
        graph.post(&items_url, &creatable(entity.clone())).await?
    };
    let new_id = created.get("id").and_then(Value::as_str).map(str::to_owned);
    if r.kind == "mail"
        && let Some(id) = &new_id
    {
        graph
            .patch(
                &format!("/users/{user}/messages/{}", id_segment(id)),
                &mail_patch(&entity),
            )
            .await?;
    }
    if let (Some(k), Some(id)) = (key, &new_id) {
        existing
            .entry(folder)
            .or_default()
            .insert(k, vec![id.clone()]);
    }
    Ok(Done::Restored(new_id))
}

/// What a restored message needs besides its MIME: received, not a draft, and its
/// read state, flag, categories and importance.
fn mail_patch(meta: &Value) -> Value {
    let read = meta.get("isRead").and_then(Value::as_bool).unwrap_or(false);
    let mut props = vec![json!({"id": "Integer 0x0E07", "value": if read { "1" } else { "0" }})];
    if let Some(received) = meta.get("receivedDateTime").and_then(Value::as_str) {
        props.push(json!({"id": "SystemTime 0x0E06", "value": received}));
    }
    if let Some(sent) = meta.get("sentDateTime").and_then(Value::as_str) {
        props.push(json!({"id": "SystemTime 0x0039", "value": sent}));
    }
    let mut patch = json!({
        "isRead": read,
        "singleValueExtendedProperties": props,
    });
    for key in [
        "flag",
        "categories",
        "importance",
        "inferenceClassification",
    ] {
        if let Some(v) = meta.get(key) {
            patch[key] = v.clone();
        }
    }
    patch
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_restored_message_is_received_and_not_a_draft() {
        let p = mail_patch(
            &json!({"isRead": true, "receivedDateTime": "2026-01-02T03:04:05Z", "flag": {"flagStatus": "flagged"}}),
        );
        assert_eq!(p["singleValueExtendedProperties"][0]["value"], "1");
        assert_eq!(
            p["singleValueExtendedProperties"][1]["id"],
            "SystemTime 0x0E06"
        );
        assert_eq!(p["flag"]["flagStatus"], "flagged");
        assert!(
            creatable(json!({"id": "x", "subject": "s", "@odata.etag": "e"}))
                .get("id")
                .is_none()
        );
    }
}
