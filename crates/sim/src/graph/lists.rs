//! Lists: `/sites/{id}/lists` (document libraries with `template:
//! documentLibrary`, and generic lists; `POST` creates one), `/lists/{id}`
//! (by id or name), `/columns`, `/items` (`$expand=fields`,
//! `$expand=fields($select=…)`, `POST {"fields": {…}}`), `/items/{id}`
//! (`GET`, `PATCH`, `DELETE`) and `/items/{id}/fields` (`PATCH`).

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::drives::{blocking, entity, select, top};
use super::odata::{Collection, Query};
use crate::drive::ops::invalid_request;
use crate::failure::{GraphFailure, GraphResult};
use crate::site::{self, Column, ColumnKind, Library, List, SiteData, not_found, render};
use crate::state::{AppState, SimState};

/// Which list a key names.
enum Which {
    Library(usize),
    Generic(usize),
}

fn which(state: &SimState, site: usize, data: &SiteData, key: &str) -> GraphResult<Which> {
    if let Some(l) = data.list(key) {
        return Ok(Which::Generic(l));
    }
    let catalog = state.sites.catalog(state);
    catalog.sites[site]
        .libraries
        .iter()
        .position(|l| {
            l.list
                .to_string()
                .eq_ignore_ascii_case(key.trim_matches(['{', '}']))
                || l.name.eq_ignore_ascii_case(key)
                || l.url_name.eq_ignore_ascii_case(key)
        })
        .map(Which::Library)
        .ok_or_else(|| not_found("List not found"))
}

fn list_json(state: &SimState, site: usize, data: &SiteData, w: &Which) -> Value {
    let catalog = state.sites.catalog(state);
    let s = &catalog.sites[site];
    match w {
        Which::Library(l) => render::library(s, *l),
        Which::Generic(l) => render::list(s, &data.lists[*l]),
    }
}

/// `$expand=fields` or `$expand=fields($select=a,b)`: whether to include
/// fields, and which.
fn expand_fields(q: &Query) -> (bool, Option<Vec<String>>) {
    let Some(e) = q.expand.as_deref() else {
        return (false, None);
    };
    let e = e.trim();
    if !e.to_ascii_lowercase().starts_with("fields") {
        return (false, None);
    }
    let select = e.split_once("$select=").map(|(_, rest)| {
        rest.trim_end_matches(')')
            .split(',')
            .map(|s| s.trim().to_owned())
            .collect()
    });
    (true, select)
}

/// `GET /sites/{id}/lists`.
pub async fn lists(
    State(state): State<AppState>,
    Path(key): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> GraphResult<Response> {
    let q = Query::parse(&uri, &headers);
    blocking(&state, move |s| {
        let site = s.sites.resolve(s, &key)?;
        let data = site::lock(&s.sites.open(s, site)).clone();
        let libraries = s.sites.catalog(s).sites[site].libraries.len();
        let mut values: Vec<Value> = (0..libraries)
            .map(|l| list_json(s, site, &data, &Which::Library(l)))
            .collect();
        values.extend((0..data.lists.len()).map(|l| list_json(s, site, &data, &Which::Generic(l))));
        let values: Vec<Value> = values
            .into_iter()
            .map(|v| select(v, q.select.as_deref()))
            .collect();
        let c = Collection {
            base: &s.base_url(),
            path: uri.path(),
            context: "lists",
            query: &q,
        };
        Ok(c.page(values.clone(), 0, values.len()))
    })
    .await
}

/// `GET /sites/{id}/lists/{id}`.
pub async fn get_list(
    State(state): State<AppState>,
    Path((key, list)): Path<(String, String)>,
    uri: Uri,
    headers: HeaderMap,
) -> GraphResult<Response> {
    let q = Query::parse(&uri, &headers);
    blocking(&state, move |s| {
        let site = s.sites.resolve(s, &key)?;
        let data = site::lock(&s.sites.open(s, site)).clone();
        let w = which(s, site, &data, &list)?;
        Ok(entity(
            s,
            "lists/$entity",
            select(list_json(s, site, &data, &w), q.select.as_deref()),
        ))
    })
    .await
}

fn column_kind(c: &Value) -> ColumnKind {
    if let Some(t) = c.get("text") {
        ColumnKind::Text {
            multi: t
                .get("allowMultipleLines")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        }
    } else if c.get("number").is_some() || c.get("currency").is_some() {
        ColumnKind::Number
    } else if c.get("dateTime").is_some() {
        ColumnKind::DateTime
    } else if let Some(ch) = c.get("choice") {
        ColumnKind::Choice(
            ch.get("choices")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
        )
    } else if c.get("boolean").is_some() {
        ColumnKind::Boolean
    } else if c.get("personOrGroup").is_some() {
        ColumnKind::Person
    } else {
        ColumnKind::Text { multi: false }
    }
}

/// `POST /sites/{id}/lists`: `{"displayName", "columns": [...], "list": {"template"}}`.
pub async fn create_list(
    State(state): State<AppState>,
    Path(key): Path<String>,
    body: Body,
) -> GraphResult<Response> {
    let bytes = axum::body::to_bytes(body, 1024 * 1024)
        .await
        .map_err(|_| invalid_request("The request body is too large."))?;
    let v: Value = serde_json::from_slice(&bytes)
        .map_err(|e| invalid_request(&format!("Invalid request body: {e}")))?;
    blocking(&state, move |s| {
        let site = s.sites.resolve(s, &key)?;
        let display = v
            .get("displayName")
            .and_then(Value::as_str)
            .ok_or_else(|| invalid_request("displayName is required."))?
            .to_owned();
        let template = v.pointer("/list/template").and_then(Value::as_str).unwrap_or("genericList").to_owned();
        let shared = s.sites.open(s, site);
        let mut data = site::lock(&shared);
        let taken = data.list(&display).is_some()
            || s.sites.catalog(s).sites[site].libraries.iter().any(|l| l.name.eq_ignore_ascii_case(&display));
        if taken {
            return Err(GraphFailure::new(
                StatusCode::CONFLICT,
                "nameAlreadyExists",
                format!("A list, survey, discussion board, or document library with the specified title already exists in this Web site. Title: {display}"),
            ));
        }
        data.serial += 1;
        let info = s.sites.catalog(s).sites[site].clone();
        let guid = site::generate::new_list_guid(&s.tenant(), &info, 1000 + data.serial);
        let now = s.now();
        if template.eq_ignore_ascii_case("documentLibrary") {
            let url_name: String = display.chars().filter(|c| !c.is_whitespace()).collect();
            let lib = Library {
                list: guid,
                name: display.clone(),
                url_name,
                drive_id: crate::drive::ids::drive_id(info.collection, info.web, guid),
                created: now,
                empty: true,
            };
            let l = s.sites.catalog_mut(s).add_library(site, lib);
            let info = s.sites.catalog(s).sites[site].clone();
            let mut r = entity(s, "lists/$entity", render::library(&info, l));
            *r.status_mut() = StatusCode::CREATED;
            return Ok(r);
        }
        let columns = v
            .get("columns")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
            .iter()
            .enumerate()
            .filter_map(|(n, c)| {
                let name = c.get("name").and_then(Value::as_str)?.to_owned();
                (!name.eq_ignore_ascii_case("Title")).then(|| Column {
                    id: crate::drive::ids::guid(guid, "column", n as u64),
                    display_name: c.get("displayName").and_then(Value::as_str).unwrap_or(&name).to_owned(),
                    name,
                    kind: column_kind(c),
                    required: c.get("required").and_then(Value::as_bool).unwrap_or(false),
                })
            })
            .collect();
        let list = List {
            guid,
            name: display.clone(),
            display_name: display,
            description: v.get("description").and_then(Value::as_str).unwrap_or_default().to_owned(),
            template,
            created: now,
            modified: now,
            columns,
            items: Vec::new(),
            last_id: 0,
        };
        data.lists.push(list);
        let mut r = entity(s, "lists/$entity", render::list(&info, &data.lists[data.lists.len() - 1]));
        *r.status_mut() = StatusCode::CREATED;
        Ok(r)
    })
    .await
}

/// `GET /sites/{id}/lists/{id}/columns`.
pub async fn columns(
    State(state): State<AppState>,
    Path((key, list)): Path<(String, String)>,
    uri: Uri,
    headers: HeaderMap,
) -> GraphResult<Response> {
    let q = Query::parse(&uri, &headers);
    blocking(&state, move |s| {
        let site = s.sites.resolve(s, &key)?;
        let data = site::lock(&s.sites.open(s, site)).clone();
        let values = match which(s, site, &data, &list)? {
            Which::Generic(l) => render::columns(&data.lists[l]),
            Which::Library(_) => render::columns(&List {
                guid: model::Guid::from_bytes([0; 16]),
                name: String::new(),
                display_name: String::new(),
                description: String::new(),
                template: String::new(),
                created: s.now(),
                modified: s.now(),
                columns: Vec::new(),
                items: Vec::new(),
                last_id: 0,
            }),
        };
        let c = Collection {
            base: &s.base_url(),
            path: uri.path(),
            context: "columnDefinitions",
            query: &q,
        };
        Ok(c.page(values.clone(), 0, values.len()))
    })
    .await
}

/// The items of a document library: its files and folders as list items.
fn library_items(
    s: &SimState,
    site: usize,
    l: usize,
    with_fields: bool,
    sel: Option<&[String]>,
) -> GraphResult<Vec<Value>> {
    let (drive_id, site_id) = {
        let catalog = s.sites.catalog(s);
        (
            catalog.sites[site].libraries[l].drive_id.clone(),
            catalog.sites[site].id(),
        )
    };
    let drive = s.drives.open(s, &drive_id)?;
    let d = crate::drive::lock(&drive);
    Ok((1..d.items.len())
        .filter(|&i| d.items[i].seqs.live())
        .map(|i| {
            let it = &d.items[i];
            let etag = crate::drive::render::etag(&d, i);
            let mut v = json!({
                "@odata.etag": etag,
                "createdDateTime": crate::graph::render::ts(it.created),
                "eTag": etag,
                "id": it.list_item.to_string(),
                "lastModifiedDateTime": crate::graph::render::ts(it.modified),
                "webUrl": format!("{}{}", d.web_url, crate::drive::ids::url_path(&d.path(i))),
                "parentReference": {"siteId": site_id},
                "contentType": {"id": if it.file.is_some() { "0x0101" } else { "0x0120" }, "name": if it.file.is_some() { "Document" } else { "Folder" }},
            });
            if with_fields {
                let fields = json!({
                    "@odata.etag": etag,
                    "FileLeafRef": it.name,
                    "id": it.list_item.to_string(),
                    "ContentType": if it.file.is_some() { "Document" } else { "Folder" },
                    "Created": crate::graph::render::ts(it.created),
                    "Modified": crate::graph::render::ts(it.modified),
                    "_UIVersionString": format!("{}.0", it.file.as_ref().map(|f| f.number).unwrap_or(1)),
                    "FileSizeDisplay": it.file.as_ref().map(|f| f.content.size().to_string()),
                });
                v["fields"] = render::select_fields(fields, sel);
            }
            v
        })
        .collect())
}

/// `GET /sites/{id}/lists/{id}/items`.
pub async fn items(
    State(state): State<AppState>,
    Path((key, list)): Path<(String, String)>,
    uri: Uri,
    headers: HeaderMap,
) -> GraphResult<Response> {
    let q = Query::parse(&uri, &headers);
    blocking(&state, move |s| {
        let site = s.sites.resolve(s, &key)?;
        let data = site::lock(&s.sites.open(s, site)).clone();
        let (with_fields, sel) = expand_fields(&q);
        let all: Vec<Value> = match which(s, site, &data, &list)? {
            Which::Library(l) => library_items(s, site, l, with_fields, sel.as_deref())?,
            Which::Generic(l) => {
                let info = s.sites.catalog(s).sites[site].clone();
                let t = s.tenant();
                let list = &data.lists[l];
                (0..list.items.len())
                    .filter(|&k| !list.items[k].deleted)
                    .map(|k| {
                        let f = with_fields.then(|| {
                            render::select_fields(render::fields(&t, list, k), sel.as_deref())
                        });
                        render::item(&t, &info, list, k, f)
                    })
                    .collect()
            }
        };
        let size = top(&q)?;
        let offset = q.offset().unwrap_or(0);
        let page: Vec<Value> = all
            .iter()
            .skip(offset)
            .take(size)
            .map(|v| select(v.clone(), q.select.as_deref()))
            .collect();
        let c = Collection {
            base: &s.base_url(),
            path: uri.path(),
            context: "listItems",
            query: &q,
        };
        Ok(c.page(page, offset, all.len()))
    })
    .await
}

/// Checks client-given fields against the list's columns: unknown names are
/// refused (as SharePoint does); read-only system fields and annotations are dropped.
fn writable_fields(list: &List, given: &Map<String, Value>) -> GraphResult<Map<String, Value>> {
    const READ_ONLY: &[&str] = &[
        "id",
        "ContentType",
        "Modified",
        "Created",
        "AuthorLookupId",
        "EditorLookupId",
        "_UIVersionString",
        "Attachments",
        "Edit",
        "LinkTitleNoMenu",
        "LinkTitle",
        "ItemChildCount",
        "FolderChildCount",
    ];
    let mut out = Map::new();
    for (k, v) in given {
        if k.starts_with('@') || READ_ONLY.iter().any(|r| r.eq_ignore_ascii_case(k)) {
            continue;
        }
        let known = k == "Title"
            || list.columns.iter().any(|c| match c.kind {
                ColumnKind::Person => *k == format!("{}LookupId", c.name),
                _ => *k == c.name,
            });
        if !known {
            return Err(invalid_request(&format!("Field '{k}' is not recognized")));
        }
        out.insert(k.clone(), v.clone());
    }
    Ok(out)
}

fn generic(s: &SimState, site: usize, data: &SiteData, list: &str) -> GraphResult<usize> {
    match which(s, site, data, list)? {
        Which::Generic(l) => Ok(l),
        Which::Library(_) => Err(invalid_request(
            "Document library items are files: use the drive's APIs.",
        )),
    }
}

/// The creator (a user index) of items written by app-only callers: the first user.
const APP_AUTHOR: usize = 0;

/// `POST /sites/{id}/lists/{id}/items`: `{"fields": {…}}` → 201.
pub async fn create_item(
    State(state): State<AppState>,
    Path((key, list)): Path<(String, String)>,
    body: Body,
) -> GraphResult<Response> {
    let bytes = axum::body::to_bytes(body, 4 * 1024 * 1024)
        .await
        .map_err(|_| invalid_request("The request body is too large."))?;
    let v: Value = serde_json::from_slice(&bytes)
        .map_err(|e| invalid_request(&format!("Invalid request body: {e}")))?;
    blocking(&state, move |s| {
        let site = s.sites.resolve(s, &key)?;
        let shared = s.sites.open(s, site);
        let mut data = site::lock(&shared);
        let l = generic(s, site, &data, &list)?;
        let given = v
            .get("fields")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let values = writable_fields(&data.lists[l], &given)?;
        let now = s.now();
        let lst = &mut data.lists[l];
        lst.last_id += 1;
        let id = lst.last_id;
        lst.items.push(site::ListItem {
            id,
            guid: crate::drive::ids::guid(lst.guid, "list-item", id),
            values,
            created: now,
            modified: now,
            author: APP_AUTHOR,
            editor: APP_AUTHOR,
            version: 1,
            deleted: false,
        });
        lst.modified = now;
        let info = s.sites.catalog(s).sites[site].clone();
        let t = s.tenant();
        let k = lst.items.len() - 1;
        let v = render::item(&t, &info, lst, k, Some(render::fields(&t, lst, k)));
        let mut r = entity(s, "listItems/$entity", v);
        *r.status_mut() = StatusCode::CREATED;
        Ok(r)
    })
    .await
}

/// `GET /sites/{id}/lists/{id}/items/{id}`.
pub async fn get_item(
    State(state): State<AppState>,
    Path((key, list, item)): Path<(String, String, String)>,
    uri: Uri,
    headers: HeaderMap,
) -> GraphResult<Response> {
    let q = Query::parse(&uri, &headers);
    blocking(&state, move |s| {
        let site = s.sites.resolve(s, &key)?;
        let data = site::lock(&s.sites.open(s, site)).clone();
        let l = generic(s, site, &data, &list)?;
        let lst = &data.lists[l];
        let k = lst.item(&item).ok_or_else(|| not_found("Item not found"))?;
        let info = s.sites.catalog(s).sites[site].clone();
        let t = s.tenant();
        let (with_fields, sel) = expand_fields(&q);
        let f =
            with_fields.then(|| render::select_fields(render::fields(&t, lst, k), sel.as_deref()));
        Ok(entity(
            s,
            "listItems/$entity",
            select(render::item(&t, &info, lst, k, f), q.select.as_deref()),
        ))
    })
    .await
}

fn patch(
    s: &SimState,
    key: &str,
    list: &str,
    item: &str,
    given: Map<String, Value>,
    only_fields: bool,
) -> GraphResult<Response> {
    let site = s.sites.resolve(s, key)?;
    let shared = s.sites.open(s, site);
    let mut data = site::lock(&shared);
    let l = generic(s, site, &data, list)?;
    let k = data.lists[l]
        .item(item)
        .ok_or_else(|| not_found("Item not found"))?;
    let values = writable_fields(&data.lists[l], &given)?;
    let now = s.now();
    let lst = &mut data.lists[l];
    let it = &mut lst.items[k];
    it.values.extend(values);
    it.version += 1;
    it.modified = now;
    it.editor = APP_AUTHOR;
    lst.modified = now;
    let t = s.tenant();
    let fields = render::fields(&t, lst, k);
    if only_fields {
        return Ok(entity(s, "fieldValueSet/$entity", fields));
    }
    let info = s.sites.catalog(s).sites[site].clone();
    Ok(entity(
        s,
        "listItems/$entity",
        render::item(&t, &info, lst, k, Some(fields)),
    ))
}

/// `PATCH /sites/{id}/lists/{id}/items/{id}`: `{"fields": {…}}`.
pub async fn patch_item(
    State(state): State<AppState>,
    Path((key, list, item)): Path<(String, String, String)>,
    body: Body,
) -> GraphResult<Response> {
    let bytes = axum::body::to_bytes(body, 4 * 1024 * 1024)
        .await
        .map_err(|_| invalid_request("The request body is too large."))?;
    let v: Value = serde_json::from_slice(&bytes)
        .map_err(|e| invalid_request(&format!("Invalid request body: {e}")))?;
    let given = v
        .get("fields")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    blocking(&state, move |s| patch(s, &key, &list, &item, given, false)).await
}

/// `PATCH /sites/{id}/lists/{id}/items/{id}/fields`: the fields to set → the fieldValueSet.
pub async fn patch_fields(
    State(state): State<AppState>,
    Path((key, list, item)): Path<(String, String, String)>,
    body: Body,
) -> GraphResult<Response> {
    let bytes = axum::body::to_bytes(body, 4 * 1024 * 1024)
        .await
        .map_err(|_| invalid_request("The request body is too large."))?;
    let v: Value = serde_json::from_slice(&bytes)
        .map_err(|e| invalid_request(&format!("Invalid request body: {e}")))?;
    let given = v.as_object().cloned().unwrap_or_default();
    blocking(&state, move |s| patch(s, &key, &list, &item, given, true)).await
}

/// `DELETE /sites/{id}/lists/{id}/items/{id}`.
pub async fn delete_item(
    State(state): State<AppState>,
    Path((key, list, item)): Path<(String, String, String)>,
) -> GraphResult<Response> {
    blocking(&state, move |s| {
        let site = s.sites.resolve(s, &key)?;
        let shared = s.sites.open(s, site);
        let mut data = site::lock(&shared);
        let l = generic(s, site, &data, &list)?;
        let k = data.lists[l]
            .item(&item)
            .ok_or_else(|| not_found("Item not found"))?;
        data.lists[l].items[k].deleted = true;
        Ok(StatusCode::NO_CONTENT.into_response())
    })
    .await
}
