//! The ground truth of drives and lists (`GET /_sim/truth/items?kind=file|listItem`),
//! the sites and OneDrives of `GET /_sim/truth/summary`, and the support
//! routes that put a file of any size in a drive (`POST /_sim/files`) and lock
//! a site (`POST /_sim/sites/lock`).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::content::{Blob, Content};
use super::ops::{Conflict, FsInfo};
use super::{lock, render};
use crate::site::{self, LockState};
use crate::state::{AppState, SimState};

fn support_error(status: StatusCode, message: String) -> Response {
    (status, Json(json!({"error": message}))).into_response()
}

/// The drive ids a truth or mutate request names: a user's OneDrive, or every
/// library of a site.
pub fn drives_of(
    state: &SimState,
    user: Option<&str>,
    site: Option<&str>,
) -> Result<Vec<String>, String> {
    let catalog = state.sites.catalog(state);
    let mut out = Vec::new();
    if let Some(u) = user {
        let t = state.tenant();
        let (i, _) = t.user(u).ok_or_else(|| format!("no user '{u}'"))?;
        let s = catalog
            .personal_site(i)
            .ok_or_else(|| format!("'{u}' has no OneDrive"))?;
        out.extend(
            catalog.sites[s]
                .libraries
                .iter()
                .map(|l| l.drive_id.clone()),
        );
    }
    if let Some(key) = site {
        let s = catalog
            .find(key)
            .ok_or_else(|| format!("no site '{key}'"))?;
        out.extend(
            catalog.sites[s]
                .libraries
                .iter()
                .map(|l| l.drive_id.clone()),
        );
    }
    Ok(out)
}

/// Every live file of drive `id`: `{"id", "drive", "path", "sha256", "size",
/// "quickXorHash", "versions": [{"id", "sha256", "size"}]}` (older versions,
/// newest first). Digests are computed outside the drive's lock, once.
pub fn files(state: &SimState, id: &str) -> Result<Vec<Value>, String> {
    let drive = state.drives.get(state, id).map_err(|e| e.message.clone())?;
    type Entry = (String, String, Content, Vec<(u32, Content)>);
    let entries: Vec<Entry> = {
        let d = lock(&drive);
        (0..d.items.len())
            .filter(|&i| d.items[i].seqs.live())
            .filter_map(|i| {
                let f = d.items[i].file.as_ref()?;
                let older = f
                    .versions
                    .iter()
                    .rev()
                    .map(|v| (v.number, v.content.clone()))
                    .collect();
                Some((d.items[i].id.clone(), d.path(i), f.content.clone(), older))
            })
            .collect()
    };
    Ok(entries
        .into_iter()
        .map(|(item, path, content, older)| {
            let dg = content.digests();
            let versions: Vec<Value> = older
                .iter()
                .map(|(n, c)| json!({"id": format!("{n}.0"), "sha256": c.digests().sha256, "size": c.size()}))
                .collect();
            json!({
                "id": item,
                "drive": id,
                "path": path,
                "sha256": dg.sha256,
                "size": content.size(),
                "quickXorHash": dg.quick_xor,
                "versions": versions,
            })
        })
        .collect())
}

/// Every live item of every generic list of site `key`.
pub fn list_items(state: &SimState, key: &str) -> Result<Vec<Value>, String> {
    let index = state
        .sites
        .catalog(state)
        .find(key)
        .ok_or_else(|| format!("no site '{key}'"))?;
    let shared = state.sites.open(state, index);
    let data = site::lock(&shared).clone();
    let t = state.tenant();
    let mut out = Vec::new();
    for list in &data.lists {
        for (k, it) in list.items.iter().enumerate() {
            if it.deleted {
                continue;
            }
            let fields = site::render::fields(&t, list, k);
            let (sha, size) =
                crate::mailbox::truth::digest(&crate::mailbox::truth::canonical(&fields));
            out.push(json!({
                "id": it.id.to_string(),
                "list": list.guid.to_string(),
                "listName": list.display_name,
                "path": format!("/{}/{}", list.display_name, it.id),
                "sha256": sha,
                "size": size,
            }));
        }
    }
    Ok(out)
}

/// `GET /_sim/truth/items?user=UPN&kind=file`, `?site=ID&kind=file|listItem`.
pub async fn items(
    state: AppState,
    user: Option<String>,
    site: Option<String>,
    list_items_kind: bool,
) -> Response {
    let result = tokio::task::spawn_blocking(move || {
        if list_items_kind {
            let key = site.ok_or_else(|| "kind=listItem needs site=ID".to_owned())?;
            return list_items(&state, &key);
        }
        if user.is_none() && site.is_none() {
            return Err("kind=file needs user=UPN or site=ID".to_owned());
        }
        let mut out = Vec::new();
        for id in drives_of(&state, user.as_deref(), site.as_deref())? {
            out.extend(files(&state, &id)?);
        }
        Ok(out)
    })
    .await;
    match result {
        Ok(Ok(items)) => Json(Value::Array(items)).into_response(),
        Ok(Err(e)) => support_error(StatusCode::NOT_FOUND, e),
        Err(e) => support_error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

/// Live file count and bytes of drive `id` (generating it).
fn counts(state: &SimState, id: &str) -> (usize, u64) {
    let Ok(drive) = state.drives.get(state, id) else {
        return (0, 0);
    };
    let d = lock(&drive);
    d.items
        .iter()
        .filter(|i| i.seqs.live())
        .filter_map(|i| i.file.as_ref())
        .fold((0, 0), |(n, b), f| (n + 1, b + f.content.size()))
}

/// Adds `sites` and `oneDrives` to the summary (with file counts and bytes
/// when `with_drives`, which generates every drive).
pub async fn summarize(state: &AppState, body: &mut Value, with_drives: bool) {
    let state = state.clone();
    let result = tokio::task::spawn_blocking(move || {
        let (sites, personal): (Vec<_>, Vec<_>) = {
            let catalog = state.sites.catalog(&state);
            let all: Vec<_> = catalog
                .sites
                .iter()
                .enumerate()
                .map(|(i, s)| (i, s.clone()))
                .collect();
            all.into_iter().partition(|(_, s)| !s.personal())
        };
        let lists = |i: usize| site::lock(&state.sites.open(&state, i)).lists.len();
        let site_values: Vec<Value> = sites
            .iter()
            .map(|(i, s)| {
                let drives: Vec<String> = s.libraries.iter().map(|l| l.drive_id.clone()).collect();
                let mut v = json!({
                    "id": s.id(),
                    "webUrl": s.web_url(),
                    "displayName": s.display_name,
                    "kind": s.kind.as_str(),
                    "drives": drives,
                    "lists": lists(*i),
                    "lockState": state.sites.lock_state(*i).as_str(),
                });
                if with_drives {
                    let (files, bytes) = drives
                        .iter()
                        .map(|d| counts(&state, d))
                        .fold((0, 0), |(a, b), (c, d)| (a + c, b + d));
                    v["files"] = json!(files);
                    v["bytes"] = json!(bytes);
                }
                v
            })
            .collect();
        let t_users: Vec<String> = state
            .tenant()
            .users
            .iter()
            .map(|u| u.user_principal_name.clone())
            .collect();
        let one_drives: Vec<Value> = personal
            .iter()
            .filter_map(|(_, s)| {
                let site::SiteKind::Personal(u) = s.kind else {
                    return None;
                };
                let drive = s.libraries.first()?.drive_id.clone();
                let mut v = json!({"userPrincipalName": t_users.get(u), "driveId": drive});
                if with_drives {
                    let (files, bytes) = counts(&state, &drive);
                    v["files"] = json!(files);
                    v["bytes"] = json!(bytes);
                }
                Some(v)
            })
            .collect();
        (site_values, one_drives)
    })
    .await;
    if let Ok((sites, one_drives)) = result {
        body["sites"] = Value::Array(sites);
        body["oneDrives"] = Value::Array(one_drives);
    }
}

/// The body of `POST /_sim/files`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PutFile {
    /// A user whose OneDrive receives the file…
    #[serde(default)]
    pub user: Option<String>,
    /// …or a site, whose default library receives it…
    #[serde(default)]
    pub site: Option<String>,
    /// …or a drive id.
    #[serde(default)]
    pub drive: Option<String>,
    /// Path from the drive's root: `/Videos/big.mp4` (missing folders are created).
    pub path: String,
    /// Size in bytes (any size: the bytes are generated as they are read).
    pub size: u64,
    /// Content seed (equal seeds and sizes give equal bytes).
    #[serde(default)]
    pub seed: u64,
}

/// `POST /_sim/files`: puts a generated file of any size in a drive (a new
/// version if the path exists) and answers its driveItem.
pub async fn put_file(State(state): State<AppState>, Json(req): Json<PutFile>) -> Response {
    let drive_id = match (
        &req.drive,
        drives_of(&state, req.user.as_deref(), req.site.as_deref()),
    ) {
        (Some(d), _) => d.clone(),
        (None, Ok(ids)) if !ids.is_empty() => ids[0].clone(),
        (None, Ok(_)) => {
            return support_error(
                StatusCode::BAD_REQUEST,
                "name a user, a site or a drive".into(),
            );
        }
        (None, Err(e)) => return support_error(StatusCode::NOT_FOUND, e),
    };
    let drive = match state.drives.get(&state, &drive_id) {
        Ok(d) => d,
        Err(e) => return support_error(StatusCode::NOT_FOUND, e.message),
    };
    let parts: Vec<&str> = req.path.split('/').filter(|p| !p.is_empty()).collect();
    let Some((name, folders)) = parts.split_last() else {
        return support_error(StatusCode::BAD_REQUEST, "the path names no file".into());
    };
    let now = state.now();
    let (_, text) = super::names::mime(name);
    let content = Blob::generated(super::content::mix(req.seed, 0x5EED), req.size, text);
    let mut d = lock(&drive);
    let written = d
        .ensure_folders(0, folders, now)
        .and_then(|p| d.write_file(p, name, content, Conflict::Replace, now, FsInfo::default()));
    match written {
        Ok((i, created)) => {
            let stats = d.stats();
            let v = render::item(&d, &stats, i, render::Form::Full, None);
            let status = if created {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            };
            (status, Json(v)).into_response()
        }
        Err(e) => support_error(e.status, e.message),
    }
}

/// The body of `POST /_sim/sites/lock`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LockRequest {
    /// Site id (or `host:/path`).
    pub site: String,
    /// `noAccess`, `unlock` or `deleted`.
    pub lock_state: String,
}

/// `POST /_sim/sites/lock`.
pub async fn lock_site(State(state): State<AppState>, Json(req): Json<LockRequest>) -> Response {
    let lock = match req.lock_state.to_ascii_lowercase().as_str() {
        "noaccess" => LockState::NoAccess,
        "unlock" => LockState::Unlock,
        "deleted" => LockState::Deleted,
        other => {
            return support_error(
                StatusCode::BAD_REQUEST,
                format!("lockState '{other}' is not noAccess, unlock or deleted"),
            );
        }
    };
    let Some(i) = state.sites.catalog(&state).find(&req.site) else {
        return support_error(StatusCode::NOT_FOUND, format!("no site '{}'", req.site));
    };
    state.sites.set_lock(i, lock);
    Json(json!({"site": req.site, "lockState": lock.as_str()})).into_response()
}
