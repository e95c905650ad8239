//! Drive writes, as restores use them: `PATCH` (rename, move, `fileSystemInfo`),
//! `DELETE`, `POST …/children` (folders), `PUT …/content` (simple upload, up to
//! 250 MB) and `POST …/createUploadSession`.

use std::pin::Pin;

use axum::Extension;
use axum::body::Body;
use axum::extract::{Path, Query as AxumQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use hyper::body::Body as HttpBody;
use serde_json::Value;
use std::collections::HashMap;

use super::{app_id, entity, find, item_json, locate};
use crate::drive::content::Writer;
use crate::drive::ops::{Conflict, FsInfo, invalid_request};
use crate::drive::render::Form;
use crate::drive::upload::{self, Session, Target};
use crate::drive::{Drive, lock};
use crate::failure::{GraphFailure, GraphResult};
use crate::graph::auth::Principal;
use crate::state::{AppState, SimState};

/// The largest simple upload (`PUT …/content`).
pub const SIMPLE_UPLOAD_LIMIT: u64 = 250 * 1024 * 1024;

const CONFLICT: &str = "@microsoft.graph.conflictBehavior";

async fn json_body(body: Body) -> GraphResult<Value> {
    let bytes = axum::body::to_bytes(body, 1024 * 1024)
        .await
        .map_err(|_| invalid_request("The request body is too large."))?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Default::default()));
    }
    serde_json::from_slice(&bytes)
        .map_err(|e| invalid_request(&format!("Invalid request body: {e}")))
}

fn respond_item(state: &SimState, app: &str, d: &Drive, i: usize, status: StatusCode) -> Response {
    let stats = d.stats();
    let v = item_json(state, app, d, &stats, i, Form::Full);
    let mut r = entity(state, &format!("drives('{}')/items/$entity", d.id), v);
    *r.status_mut() = status;
    r
}

/// `PATCH /drives/{id}/items/{id}`: `name`, `parentReference` (`id` or `path`),
/// `fileSystemInfo`.
pub async fn patch_item(
    State(state): State<AppState>,
    Path((id, item)): Path<(String, String)>,
    p: Option<Extension<Principal>>,
    body: Body,
) -> GraphResult<Response> {
    let v = json_body(body).await?;
    let drive = state.drives.open(&state, &id)?;
    let mut d = lock(&drive);
    let i = find(&d, &item)?;
    let name = v.get("name").and_then(Value::as_str);
    let parent = match v.get("parentReference") {
        Some(r) => {
            if let Some(other) = r.get("driveId").and_then(Value::as_str)
                && other != d.id
            {
                return Err(invalid_request(
                    "Moving items between drives is not supported; copy them.",
                ));
            }
            match (
                r.get("id").and_then(Value::as_str),
                r.get("path").and_then(Value::as_str),
            ) {
                (Some(pid), _) => Some(find(&d, pid)?),
                (None, Some(path)) => {
                    let rel = path.split_once("root:").map(|(_, r)| r).unwrap_or(path);
                    Some(find(&d, &format!("root:{rel}"))?)
                }
                _ => None,
            }
        }
        None => None,
    };
    let fs = FsInfo::from_json(v.get("fileSystemInfo"));
    d.update(i, name, parent, fs, state.now())?;
    Ok(respond_item(&state, &app_id(&p), &d, i, StatusCode::OK))
}

/// `DELETE /drives/{id}/items/{id}`.
pub async fn delete_item(
    State(state): State<AppState>,
    Path((id, item)): Path<(String, String)>,
) -> GraphResult<Response> {
    let drive = state.drives.open(&state, &id)?;
    let mut d = lock(&drive);
    let i = find(&d, &item)?;
    if i == 0 {
        return Err(invalid_request("The root cannot be deleted."));
    }
    d.delete(i);
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn create_child(
    state: &AppState,
    app: &str,
    id: &str,
    parent: &str,
    body: Body,
) -> GraphResult<Response> {
    let v = json_body(body).await?;
    let name = v
        .get("name")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid_request("The name of the new folder is required."))?;
    if v.get("folder").is_none() {
        return Err(invalid_request(
            "Only folders can be created here (give a folder facet); upload files with PUT …/content.",
        ));
    }
    let conflict = Conflict::parse(v.get(CONFLICT).and_then(Value::as_str), Conflict::Fail)?;
    let fs = FsInfo::from_json(v.get("fileSystemInfo"));
    let drive = state.drives.open(state, id)?;
    let mut d = lock(&drive);
    let p = find(&d, parent)?;
    let i = d.create_folder(p, name, conflict, state.now(), fs)?;
    Ok(respond_item(state, app, &d, i, StatusCode::CREATED))
}

/// `POST /drives/{id}/root/children`: a new folder.
pub async fn post_root_child(
    State(state): State<AppState>,
    Path(id): Path<String>,
    p: Option<Extension<Principal>>,
    body: Body,
) -> GraphResult<Response> {
    create_child(&state, &app_id(&p), &id, "root", body).await
}

/// `POST /drives/{id}/items/{id}/children`: a new folder.
pub async fn post_child(
    State(state): State<AppState>,
    Path((id, item)): Path<(String, String)>,
    p: Option<Extension<Principal>>,
    body: Body,
) -> GraphResult<Response> {
    create_child(&state, &app_id(&p), &id, &item, body).await
}

/// Reads a body into memory (up to 8 MiB) or a temporary file, refusing more than `limit`.
async fn read_body(mut body: Body, limit: u64) -> GraphResult<Writer> {
    let mut w = Writer::default();
    while let Some(frame) = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await {
        let frame = frame
            .map_err(|e| invalid_request(&format!("The request body could not be read: {e}")))?;
        if let Ok(data) = frame.into_data() {
            if w.len() + data.len() as u64 > limit {
                return Err(GraphFailure::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "invalidRequest",
                    "The request is larger than a simple upload takes (250 MB): use an upload session.",
                ));
            }
            w.write(&data).map_err(|e| {
                GraphFailure::new(
                    StatusCode::INSUFFICIENT_STORAGE,
                    "insufficientStorage",
                    e.to_string(),
                )
            })?;
        }
    }
    Ok(w)
}

/// Where a write lands: an existing file, or a new name under a folder
/// (missing folders on the way are created).
fn target(
    d: &mut Drive,
    key: &str,
    now: time::OffsetDateTime,
) -> GraphResult<(usize, Option<String>)> {
    let (found, missing) = locate(d, key)?;
    let by_path = !super::address::split_key(key).1.is_empty();
    match missing.split_last() {
        // A file named by its path is written by name, so that conflict
        // behaviours apply; one named by id gets a new version.
        None if by_path && d.items[found].file.is_some() => {
            let parent = d.items[found].parent.unwrap_or(0);
            Ok((parent, Some(d.items[found].name.clone())))
        }
        None => Ok((found, None)),
        Some((name, folders)) => {
            let folders: Vec<&str> = folders.iter().map(String::as_str).collect();
            let parent = d.ensure_folders(found, &folders, now)?;
            Ok((parent, Some(name.clone())))
        }
    }
}

/// `PUT /drives/{id}/items/{id}/content` and `…/items/{parent}:/{name}:/content`.
pub async fn put_content(
    State(state): State<AppState>,
    Path((id, item)): Path<(String, String)>,
    AxumQuery(q): AxumQuery<HashMap<String, String>>,
    p: Option<Extension<Principal>>,
    body: Body,
) -> GraphResult<Response> {
    let conflict = Conflict::parse(q.get(CONFLICT).map(String::as_str), Conflict::Replace)?;
    let drive = state.drives.open(&state, &id)?;
    {
        // Check the address before reading the body.
        let d = lock(&drive);
        locate(&d, &item)?;
    }
    let content = read_body(body, SIMPLE_UPLOAD_LIMIT).await?.finish();
    let now = state.now();
    let mut d = lock(&drive);
    let (at, name) = target(&mut d, &item, now)?;
    let (i, created) = match name {
        Some(name) => d.write_file(at, &name, content, conflict, now, FsInfo::default())?,
        None if d.items[at].file.is_some() => {
            if conflict == Conflict::Fail {
                return Err(crate::drive::ops::name_exists(&d.items[at].name));
            }
            d.replace_content(at, content, now, FsInfo::default());
            (at, false)
        }
        None => {
            return Err(invalid_request(
                "The target is a folder: name the file to upload.",
            ));
        }
    };
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(respond_item(&state, &app_id(&p), &d, i, status))
}

/// `POST /drives/{id}/items/{id}/createUploadSession` (a new version of a
/// file) and `…/items/{parent}:/{name}:/createUploadSession` (a new file).
pub async fn create_upload_session(
    State(state): State<AppState>,
    Path((id, item)): Path<(String, String)>,
    p: Option<Extension<Principal>>,
    body: Body,
) -> GraphResult<Response> {
    let v = json_body(body).await?;
    let props = v.get("item").cloned().unwrap_or(Value::Null);
    let conflict = Conflict::parse(
        props.get(CONFLICT).and_then(Value::as_str),
        Conflict::Replace,
    )?;
    let fs = FsInfo::from_json(props.get("fileSystemInfo"));
    let now = state.now();
    let drive = state.drives.open(&state, &id)?;
    let mut d = lock(&drive);
    let (at, name) = target(&mut d, &item, now)?;
    let (target, url_item) = match (name, d.items[at].file.is_some()) {
        (Some(name), _) => {
            if conflict == Conflict::Fail && d.child(at, &name).is_some() {
                return Err(crate::drive::ops::name_exists(&name));
            }
            (
                Target::New {
                    parent: d.items[at].id.clone(),
                    name,
                },
                d.items[at].id.clone(),
            )
        }
        (None, true) => {
            if conflict == Conflict::Fail {
                return Err(crate::drive::ops::name_exists(&d.items[at].name));
            }
            (
                Target::Existing(d.items[at].id.clone()),
                d.items[at].id.clone(),
            )
        }
        (None, false) => match props.get("name").and_then(Value::as_str) {
            Some(name) => (
                Target::New {
                    parent: d.items[at].id.clone(),
                    name: name.to_owned(),
                },
                d.items[at].id.clone(),
            ),
            None => {
                return Err(invalid_request(
                    "Name the file to upload: …/items/{parent-id}:/{filename}:/createUploadSession.",
                ));
            }
        },
    };
    if let Target::New { name, .. } = &target
        && let Some(why) = crate::drive::names::invalid(name)
    {
        return Err(invalid_request(&format!("Invalid name '{name}': {why}.")));
    }
    let session = Session {
        drive: d.id.clone(),
        target,
        conflict,
        fs,
        app: app_id(&p),
        total: None,
        data: Writer::default(),
        expires: now + upload::LIFETIME,
    };
    drop(d);
    Ok(upload::create(&state, session, &url_item))
}
