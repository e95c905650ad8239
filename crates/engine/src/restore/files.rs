//! Restore of OneDrive and SharePoint files: to the original drive, another user's
//! OneDrive or another site, under their original paths (or under a folder),
//! with their modification and creation times. Small files go up in one `PUT`,
//! larger ones through an upload session in pieces of 10 MiB read from the
//! repository one chunk at a time, so memory stays bounded.

use std::collections::HashMap;

use graph::{GraphClient, GraphError};
use reqwest::Method;
use serde_json::{Value, json};
use store::{ItemRecord, Manifest, Repository};

use super::{Collisions, RestoreSummary, RestoredItem};
use crate::browse::each_item;
use crate::drive::tree::join;
use crate::error::EngineError;
use crate::exchange::collection::id_segment;
use crate::limiter::ResourceUnits;

/// Files up to this size go up in one request.
const SIMPLE_UPLOAD: u64 = 4 << 20;
/// The size of upload-session pieces: a multiple of 320 KiB, as Graph requires.
const PIECE: usize = 32 * 320 * 1024;

/// Where files are restored to.
#[derive(Debug, Clone)]
pub enum FileTarget {
    /// The OneDrive of this user (principal name or id).
    OneDrive(String),
    /// This site (Graph id): each library by name, or its default library.
    Site(String),
}

/// What to restore, and where.
#[derive(Debug, Clone)]
pub struct FileRestoreRequest {
    /// The resource in the backup (`onedrive:UPN` or `site:ID`).
    pub source: String,
    /// Only files under this path (as the backup records it: `/Reports`, `/Documents/Reports`).
    pub folder: Option<String>,
    /// Only these files (ids).
    pub items: Vec<String>,
    /// Where to.
    pub target: FileTarget,
    /// A folder under which the original paths are re-created (`/Restored`).
    pub to_folder: Option<String>,
    /// What to do with files already there: skip, copy (renamed beside) or replace.
    pub collisions: Collisions,
    /// Only say what would be done.
    pub dry_run: bool,
}

/// A file to put back: its drive-relative folder and its record.
struct Planned {
    /// The library (for sites), empty for a OneDrive.
    library: String,
    /// The folder inside the drive (`/a/b`).
    folder: String,
    record: ItemRecord,
}

/// Restores files of `request.source` from `manifest`.
pub async fn restore_files(
    graph: &GraphClient,
    repo: &Repository,
    manifest: &Manifest,
    request: &FileRestoreRequest,
) -> Result<RestoreSummary, EngineError> {
    let source = request.source.to_ascii_lowercase();
    let is_site = source.starts_with("site:");
    let mut records = Vec::new();
    let mut any = false;
    each_item(repo, manifest, |r| {
        if r.resource == source {
            any = true;
            if r.kind == "file" && r.deleted.is_none() {
                records.push(r);
            }
        }
    })
    .await?;
    if !any {
        return Err(EngineError::NotFound(format!(
            "run {} holds nothing of '{}'; `m365vault ls {}` lists what it holds",
            manifest.run_id, request.source, manifest.run_id
        )));
    }
    let under = request
        .folder
        .as_deref()
        .map(|f| f.trim_end_matches('/').to_owned());
    let mut plan = Vec::new();
    for r in records {
        if !request.items.is_empty() && !request.items.contains(&r.id) {
            continue;
        }
        if let Some(f) = &under
            && !(r.path == *f || r.path.starts_with(&format!("{f}/")) || f.is_empty())
        {
            continue;
        }
        let (library, folder) = if is_site {
            let rest = r.path.trim_start_matches('/');
            match rest.split_once('/') {
                Some((lib, f)) => (lib.to_owned(), format!("/{f}")),
                None => (rest.to_owned(), "/".to_owned()),
            }
        } else {
            (String::new(), r.path.clone())
        };
        plan.push(Planned {
            library,
            folder,
            record: r,
        });
    }
    plan.sort_by(|a, b| (&a.library, &a.folder).cmp(&(&b.library, &b.folder)));
    let mut summary = RestoreSummary {
        dry_run: request.dry_run,
        ..RestoreSummary::default()
    };
    let ru = ResourceUnits::for_licences(0);
    let mut session = Session {
        graph,
        repo,
        ru: &ru,
        drives: HashMap::new(),
        folders: HashMap::new(),
    };
    for p in plan {
        let name = p
            .record
            .meta
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or(&p.record.id)
            .to_owned();
        let folder = match &request.to_folder {
            Some(t) => join(t.trim_end_matches('/'), p.folder.trim_start_matches('/')),
            None => p.folder.clone(),
        };
        let shown = if p.library.is_empty() {
            folder.clone()
        } else {
            format!("/{}{}", p.library, folder)
        };
        let mut item = RestoredItem {
            kind: "file".into(),
            source_id: p.record.id.clone(),
            target_id: None,
            path: join(&shown, &name),
            outcome: "would restore",
            error: None,
        };
        if request.dry_run {
            summary.items.push(item);
            continue;
        }
        let result = async {
            let drive = session.drive(&request.target, &p.library).await?;
            let parent = session.folder(&drive, &folder).await?;
            session
                .upload(&drive, &parent, &name, &p.record, request.collisions)
                .await
        }
        .await;
        match result {
            Ok(Some(id)) => {
                item.outcome = "restored";
                item.target_id = Some(id);
                summary.restored += 1;
            }
            Ok(None) => {
                item.outcome = "skipped";
                summary.skipped += 1;
            }
            Err(e) => {
                item.outcome = "failed";
                item.error = Some(e.to_string());
                summary.failed += 1;
            }
        }
        summary.items.push(item);
    }
    Ok(summary)
}

/// What a restore has looked up so far.
struct Session<'a> {
    graph: &'a GraphClient,
    repo: &'a Repository,
    ru: &'a ResourceUnits,
    /// Drive ids by library name ("" for a OneDrive).
    drives: HashMap<String, String>,
    /// Folder ids by (drive, path).
    folders: HashMap<(String, String), String>,
}

impl Session<'_> {
    async fn get(&self, path: &str, ru: u32) -> Result<Value, GraphError> {
        self.ru.spend(ru).await;
        self.graph.get::<Value>(path).await
    }

    /// The drive files of `library` go to.
    async fn drive(&mut self, target: &FileTarget, library: &str) -> Result<String, EngineError> {
        if let Some(d) = self.drives.get(library) {
            return Ok(d.clone());
        }
        let id = match target {
            FileTarget::OneDrive(user) => {
                let d = self
                    .get(&format!("/users/{}/drive", id_segment(user)), 1)
                    .await
                    .map_err(|e| match e.status() {
                        Some(404) => EngineError::NotFound(format!(
                            "'{user}' has no OneDrive to restore into (it is created when the user first signs in to OneDrive, or by an administrator)"
                        )),
                        _ => EngineError::Graph(e),
                    })?;
                str_of(&d, "id")
            }
            FileTarget::Site(site) => {
                self.ru.spend(2).await;
                let drives: Vec<Value> = self
                    .graph
                    .get_all(&format!("/sites/{site}/drives"), &[])
                    .await?;
                let by_name = drives
                    .iter()
                    .find(|d| d.get("name").and_then(Value::as_str) == Some(library));
                match by_name {
                    Some(d) => str_of(d, "id"),
                    None => {
                        tracing::warn!(
                            site,
                            library,
                            "the target site has no library of this name; restoring into its default library"
                        );
                        let d = self.get(&format!("/sites/{site}/drive"), 1).await?;
                        str_of(&d, "id")
                    }
                }
            }
        };
        if id.is_empty() {
            return Err(EngineError::NotFound("the target drive has no id".into()));
        }
        self.drives.insert(library.to_owned(), id.clone());
        Ok(id)
    }

    /// The id of folder `path` in `drive`, created (with its parents) if missing.
    async fn folder(&mut self, drive: &str, path: &str) -> Result<String, EngineError> {
        let path = match path.trim_end_matches('/') {
            "" => "/",
            p => p,
        };
        let key = (drive.to_owned(), path.to_owned());
        if let Some(id) = self.folders.get(&key) {
            return Ok(id.clone());
        }
        let id = if path == "/" {
            str_of(&self.get(&format!("/drives/{drive}/root"), 1).await?, "id")
        } else {
            let (parent_path, name) = path.rsplit_once('/').unwrap_or(("", path));
            let parent = Box::pin(self.folder(drive, parent_path)).await?;
            self.ru.spend(2).await;
            let body = json!({
                "name": name,
                "folder": {},
                "@microsoft.graph.conflictBehavior": "fail",
            });
            match self
                .graph
                .post::<_, Value>(&format!("/drives/{drive}/items/{parent}/children"), &body)
                .await
            {
                Ok(created) => str_of(&created, "id"),
                Err(e) if e.status() == Some(409) => {
                    let existing = self
                        .get(
                            &format!("/drives/{drive}/items/{parent}:/{}:", encode_path(name)),
                            1,
                        )
                        .await?;
                    str_of(&existing, "id")
                }
                Err(e) => return Err(e.into()),
            }
        };
        self.folders.insert(key, id.clone());
        Ok(id)
    }

    /// Uploads `record` as `name` into folder `parent`; `None` when skipped.
    async fn upload(
        &self,
        drive: &str,
        parent: &str,
        name: &str,
        record: &ItemRecord,
        collisions: Collisions,
    ) -> Result<Option<String>, EngineError> {
        let conflict = match collisions {
            Collisions::Skip => "fail",
            Collisions::Copy => "rename",
            Collisions::Replace => "replace",
        };
        let times = record.meta.get("fileSystemInfo").map(|f| {
            json!({
                "createdDateTime": f.get("createdDateTime"),
                "lastModifiedDateTime": f.get("lastModifiedDateTime"),
            })
        });
        let target = format!("/drives/{drive}/items/{parent}:/{}:", encode_path(name));
        if record.size <= SIMPLE_UPLOAD {
            let mut bytes = Vec::with_capacity(record.size as usize);
            self.repo.restore_item(record, &mut bytes).await?;
            self.ru.spend(2).await;
            let put = self
                .graph
                .send_body(
                    Method::PUT,
                    &format!("{target}/content?@microsoft.graph.conflictBehavior={conflict}"),
                    Some(graph::Body::Raw {
                        bytes: &bytes,
                        content_type: "application/octet-stream",
                    }),
                    &[],
                )
                .await;
            let created: Value = match put {
                Ok(r) => r.json().await.map_err(|e| {
                    EngineError::Graph(GraphError::Decode {
                        path: target.clone(),
                        message: e.to_string(),
                    })
                })?,
                Err(e) if e.status() == Some(409) => return Ok(None),
                Err(e) => return Err(e.into()),
            };
            let id = str_of(&created, "id");
            if let Some(times) = times {
                // Keep the original times, which a simple upload cannot carry.
                self.ru.spend(2).await;
                self.graph
                    .patch(
                        &format!("/drives/{drive}/items/{id}"),
                        &json!({"fileSystemInfo": times}),
                    )
                    .await?;
            }
            return Ok(Some(id));
        }
        let mut item = json!({"@microsoft.graph.conflictBehavior": conflict, "name": name});
        if let Some(times) = times {
            item["fileSystemInfo"] = times;
        }
        self.ru.spend(2).await;
        let session: Value = match self
            .graph
            .post(
                &format!("{target}/createUploadSession"),
                &json!({"item": item}),
            )
            .await
        {
            Ok(s) => s,
            Err(e) if e.status() == Some(409) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let url = str_of(&session, "uploadUrl");
        self.send_pieces(&url, record).await.map(Some)
    }

    /// Sends `record`'s bytes to upload session `url`; the new item's id.
    async fn send_pieces(&self, url: &str, record: &ItemRecord) -> Result<String, EngineError> {
        let total = record.size;
        let mut buffer: Vec<u8> = Vec::with_capacity(PIECE * 2);
        let mut sent = 0u64;
        let mut last = Value::Null;
        let mut chunks = record.chunks.iter();
        loop {
            let mut done = false;
            while buffer.len() < PIECE {
                match chunks.next() {
                    Some(id) => buffer.extend_from_slice(&self.repo.read_chunk(*id).await?),
                    None => {
                        done = true;
                        break;
                    }
                }
            }
            if buffer.is_empty() {
                break;
            }
            let n = if done { buffer.len() } else { PIECE };
            let piece: Vec<u8> = buffer.drain(..n).collect();
            let range = format!("bytes {}-{}/{total}", sent, sent + piece.len() as u64 - 1);
            self.ru.spend(2).await;
            let response = self
                .graph
                .put_url(
                    url,
                    &[("Content-Range", range.as_str())],
                    piece.clone().into(),
                )
                .await?;
            sent += piece.len() as u64;
            if response.status().as_u16() != 202 {
                last = response.json().await.unwrap_or(Value::Null);
            }
            if done && buffer.is_empty() {
                break;
            }
        }
        let id = str_of(&last, "id");
        if id.is_empty() {
            return Err(EngineError::Graph(GraphError::Decode {
                path: "upload session".into(),
                message: format!("the upload of {sent} bytes ended without the new item"),
            }));
        }
        Ok(id)
    }
}

fn str_of(v: &Value, key: &str) -> String {
    v.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// A name or relative path for Graph's path addressing: each segment escaped.
fn encode_path(path: &str) -> String {
    path.split('/')
        .map(id_segment)
        .collect::<Vec<_>>()
        .join("/")
}
