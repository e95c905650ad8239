//! OneDrive and document libraries: `/users/{id}/drive(s)`, `/groups/{id}/drive`,
//! `/sites/{id}/drive(s)`, `/drives/{id}`, items and their children, content
//! (302 to a pre-authenticated URL), versions and permissions. Writes are in
//! [`write`], delta in [`delta`], path addressing in [`address`].

pub mod address;
pub mod delta;
pub mod write;

use axum::Extension;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::auth::Principal;
use super::odata::{Collection, Query};
use crate::drive::render::{self, Form};
use crate::drive::{self, Drive, SharedDrive, Stats, download, item_not_found, lock};
use crate::failure::{GraphFailure, GraphResult};
use crate::state::{AppState, SimState};

/// The calling app's client id (empty outside an authenticated request).
pub fn app_id(p: &Option<Extension<Principal>>) -> String {
    p.as_ref()
        .map(|Extension(p)| p.app_id().to_owned())
        .unwrap_or_default()
}

/// Runs drive work (which may hash file content) off the async workers.
pub async fn blocking<F>(state: &AppState, f: F) -> GraphResult<Response>
where
    F: FnOnce(&AppState) -> GraphResult<Response> + Send + 'static,
{
    let state = state.clone();
    tokio::task::spawn_blocking(move || f(&state))
        .await
        .map_err(|e| {
            GraphFailure::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "generalException",
                e.to_string(),
            )
        })?
}

/// The OneDrive of user `key`: 404 for an unknown user or one without a OneDrive.
pub fn user_drive_id(state: &SimState, key: &str) -> GraphResult<String> {
    let index = state
        .tenant()
        .user(key)
        .map(|(i, _)| i)
        .ok_or_else(item_not_found)?;
    let catalog = state.sites.catalog(state);
    let site = catalog.personal_site(index).ok_or_else(|| {
        GraphFailure::new(
            StatusCode::NOT_FOUND,
            "ResourceNotFound",
            "User's mysite not found.",
        )
    })?;
    state.sites.check(site)?;
    Ok(catalog.sites[site].libraries[0].drive_id.clone())
}

/// The default library of group `key`'s team site.
pub fn group_drive_id(state: &SimState, key: &str) -> GraphResult<String> {
    let g = state
        .tenant()
        .group(key)
        .map(|(i, _)| i)
        .ok_or_else(item_not_found)?;
    let catalog = state.sites.catalog(state);
    let site = catalog.group_site(g).ok_or_else(item_not_found)?;
    state.sites.check(site)?;
    Ok(catalog.sites[site].libraries[0].drive_id.clone())
}

/// The drive ids of site `key` (default library first).
pub fn site_drive_ids(state: &SimState, key: &str) -> GraphResult<Vec<String>> {
    let site = state.sites.resolve(state, key)?;
    Ok(state.sites.catalog(state).sites[site]
        .libraries
        .iter()
        .map(|l| l.drive_id.clone())
        .collect())
}

/// Item `key` of `d`: an id, `root`, or either followed by `:/relative/path`.
pub fn find(d: &Drive, key: &str) -> GraphResult<usize> {
    match locate(d, key)? {
        (i, rest) if rest.is_empty() => Ok(i),
        _ => Err(item_not_found()),
    }
}

/// The deepest existing item on `key`'s path, and the names below it that do not exist.
pub fn locate(d: &Drive, key: &str) -> GraphResult<(usize, Vec<String>)> {
    let (base, rel) = address::split_key(key);
    let mut cur = d.item(base).ok_or_else(item_not_found)?;
    let mut missing = Vec::new();
    for name in rel {
        if missing.is_empty()
            && let Some(c) = d.child(cur, name)
        {
            cur = c;
            continue;
        }
        missing.push(name.to_owned());
    }
    Ok((cur, missing))
}

/// The download URL of file `i` (or of its version `ver`).
pub fn download_url(state: &SimState, app: &str, d: &Drive, i: usize, ver: Option<u32>) -> String {
    let it = &d.items[i];
    download::url(state, app, &d.id, &it.id, &it.unique.to_string(), ver)
}

/// Item `i` with its download URL when it is a file.
pub fn item_json(
    state: &SimState,
    app: &str,
    d: &Drive,
    stats: &Stats,
    i: usize,
    form: Form,
) -> Value {
    let url = d.items[i]
        .file
        .is_some()
        .then(|| download_url(state, app, d, i, None));
    render::item(d, stats, i, form, url)
}

/// Keeps the `$select`ed properties (plus `id` and annotations); unknown names are ignored.
pub fn select(v: Value, select: Option<&[String]>) -> Value {
    let (Some(select), Value::Object(map)) = (select, &v) else {
        return v;
    };
    Value::Object(
        map.iter()
            .filter(|(k, _)| {
                k.starts_with('@') || *k == "id" || select.iter().any(|s| s.eq_ignore_ascii_case(k))
            })
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    )
}

/// An entity with its `@odata.context`.
pub fn entity(state: &SimState, context: &str, v: Value) -> Response {
    super::outlook::entity(&state.base_url(), context, v)
}

/// `$top` of a drive listing (1–1000, default 200).
pub fn top(query: &Query) -> GraphResult<usize> {
    match &query.top {
        None => Ok(200),
        Some(t) => match t.trim().parse::<usize>() {
            Ok(n) if (1..=1000).contains(&n) => Ok(n),
            _ => Err(GraphFailure::new(
                StatusCode::BAD_REQUEST,
                "invalidRequest",
                format!("Invalid value '{t}' for query parameter $top."),
            )),
        },
    }
}

fn drive_response(state: &SimState, id: &str, select_: Option<&[String]>) -> GraphResult<Response> {
    let drive = state.drives.open(state, id)?;
    let d = lock(&drive);
    let v = select(render::drive(&d, &d.stats()), select_);
    Ok(entity(state, "drives/$entity", v))
}

fn drives_response(
    state: &SimState,
    uri: &Uri,
    query: &Query,
    ids: &[String],
) -> GraphResult<Response> {
    let mut values = Vec::new();
    for id in ids {
        let drive = state.drives.open(state, id)?;
        let d = lock(&drive);
        values.push(select(
            render::drive(&d, &d.stats()),
            query.select.as_deref(),
        ));
    }
    let c = Collection {
        base: &state.base_url(),
        path: uri.path(),
        context: "drives",
        query,
    };
    Ok(c.page(values.clone(), 0, values.len()))
}

/// `GET /users/{id}/drive`.
pub async fn user_drive(
    State(state): State<AppState>,
    Path(user): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> GraphResult<Response> {
    let q = Query::parse(&uri, &headers);
    blocking(&state, move |s| {
        drive_response(s, &user_drive_id(s, &user)?, q.select.as_deref())
    })
    .await
}

/// `GET /users/{id}/drives`.
pub async fn user_drives(
    State(state): State<AppState>,
    Path(user): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> GraphResult<Response> {
    let q = Query::parse(&uri, &headers);
    blocking(&state, move |s| {
        drives_response(s, &uri, &q, &[user_drive_id(s, &user)?])
    })
    .await
}

/// `GET /groups/{id}/drive`.
pub async fn group_drive(
    State(state): State<AppState>,
    Path(group): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> GraphResult<Response> {
    let q = Query::parse(&uri, &headers);
    blocking(&state, move |s| {
        drive_response(s, &group_drive_id(s, &group)?, q.select.as_deref())
    })
    .await
}

/// `GET /sites/{id}/drive`.
pub async fn site_drive(
    State(state): State<AppState>,
    Path(site): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> GraphResult<Response> {
    let q = Query::parse(&uri, &headers);
    blocking(&state, move |s| {
        let ids = site_drive_ids(s, &site)?;
        drive_response(
            s,
            ids.first().ok_or_else(item_not_found)?,
            q.select.as_deref(),
        )
    })
    .await
}

/// `GET /sites/{id}/drives`.
pub async fn site_drives(
    State(state): State<AppState>,
    Path(site): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> GraphResult<Response> {
    let q = Query::parse(&uri, &headers);
    blocking(&state, move |s| {
        drives_response(s, &uri, &q, &site_drive_ids(s, &site)?)
    })
    .await
}

/// `GET /drives/{id}`.
pub async fn get_drive(
    State(state): State<AppState>,
    Path(id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> GraphResult<Response> {
    let q = Query::parse(&uri, &headers);
    blocking(&state, move |s| drive_response(s, &id, q.select.as_deref())).await
}

fn item_response(
    state: &SimState,
    app: &str,
    drive: &SharedDrive,
    key: &str,
    q: &Query,
) -> GraphResult<Response> {
    let d = lock(drive);
    let i = find(&d, key)?;
    let stats = d.stats();
    let mut v = select(
        item_json(state, app, &d, &stats, i, Form::Full),
        q.select.as_deref(),
    );
    if q.expand
        .as_deref()
        .is_some_and(|e| e.eq_ignore_ascii_case("children"))
        && let Value::Object(map) = &mut v
    {
        let children: Vec<Value> = d
            .children(i)
            .map(|c| item_json(state, app, &d, &stats, c, Form::Full))
            .collect();
        map.insert("children".into(), Value::Array(children));
    }
    Ok(entity(
        state,
        &format!("drives('{}')/items/$entity", d.id),
        v,
    ))
}

/// `GET /drives/{id}/root`.
pub async fn get_root(
    State(state): State<AppState>,
    Path(id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    p: Option<Extension<Principal>>,
) -> GraphResult<Response> {
    let q = Query::parse(&uri, &headers);
    let app = app_id(&p);
    blocking(&state, move |s| {
        item_response(s, &app, &s.drives.open(s, &id)?, "root", &q)
    })
    .await
}

/// `GET /drives/{id}/items/{id}` (also `root:/path` and `{id}:/path` forms).
pub async fn get_item(
    State(state): State<AppState>,
    Path((id, item)): Path<(String, String)>,
    uri: Uri,
    headers: HeaderMap,
    p: Option<Extension<Principal>>,
) -> GraphResult<Response> {
    let q = Query::parse(&uri, &headers);
    let app = app_id(&p);
    blocking(&state, move |s| {
        item_response(s, &app, &s.drives.open(s, &id)?, &item, &q)
    })
    .await
}

fn children_response(
    state: &SimState,
    app: &str,
    uri: &Uri,
    q: &Query,
    id: &str,
    key: &str,
) -> GraphResult<Response> {
    let drive = state.drives.open(state, id)?;
    let d = lock(&drive);
    let i = find(&d, key)?;
    if d.items[i].file.is_some() {
        return Ok(Collection {
            base: &state.base_url(),
            path: uri.path(),
            context: "Collection(driveItem)",
            query: q,
        }
        .page(Vec::new(), 0, 0));
    }
    let size = top(q)?;
    let offset = q.offset().unwrap_or(0);
    let all: Vec<usize> = d.children(i).collect();
    let stats = d.stats();
    let page: Vec<Value> = all
        .iter()
        .skip(offset)
        .take(size)
        .map(|&c| {
            select(
                item_json(state, app, &d, &stats, c, Form::Full),
                q.select.as_deref(),
            )
        })
        .collect();
    let c = Collection {
        base: &state.base_url(),
        path: uri.path(),
        context: &format!("drives('{}')/items('{}')/children", d.id, d.items[i].id),
        query: q,
    };
    Ok(c.page(page, offset, all.len()))
}

/// `GET /drives/{id}/root/children`.
pub async fn root_children(
    State(state): State<AppState>,
    Path(id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    p: Option<Extension<Principal>>,
) -> GraphResult<Response> {
    let q = Query::parse(&uri, &headers);
    let app = app_id(&p);
    blocking(&state, move |s| {
        children_response(s, &app, &uri, &q, &id, "root")
    })
    .await
}

/// `GET /drives/{id}/items/{id}/children`.
pub async fn children(
    State(state): State<AppState>,
    Path((id, item)): Path<(String, String)>,
    uri: Uri,
    headers: HeaderMap,
    p: Option<Extension<Principal>>,
) -> GraphResult<Response> {
    let q = Query::parse(&uri, &headers);
    let app = app_id(&p);
    blocking(&state, move |s| {
        children_response(s, &app, &uri, &q, &id, &item)
    })
    .await
}

fn redirect(url: &str) -> Response {
    let mut r = StatusCode::FOUND.into_response();
    if let Ok(v) = HeaderValue::from_str(url) {
        r.headers_mut().insert("location", v);
    }
    r
}

/// `GET /drives/{id}/items/{id}/content`: 302 to the pre-authenticated URL.
pub async fn content(
    State(state): State<AppState>,
    Path((id, item)): Path<(String, String)>,
    p: Option<Extension<Principal>>,
) -> GraphResult<Response> {
    let app = app_id(&p);
    let drive = state.drives.open(&state, &id)?;
    let d = lock(&drive);
    let i = find(&d, &item)?;
    if d.items[i].file.is_none() {
        return Err(item_not_found());
    }
    Ok(redirect(&download_url(&state, &app, &d, i, None)))
}

fn version_number(d: &Drive, i: usize, v: &str) -> GraphResult<u32> {
    let f = d.items[i].file.as_ref().ok_or_else(item_not_found)?;
    let n: u32 = v
        .trim()
        .trim_end_matches(".0")
        .parse()
        .map_err(|_| item_not_found())?;
    if n == f.number || f.versions.iter().any(|x| x.number == n) {
        Ok(n)
    } else {
        Err(item_not_found())
    }
}

/// `GET /drives/{id}/items/{id}/versions` (current first).
pub async fn versions(
    State(state): State<AppState>,
    Path((id, item)): Path<(String, String)>,
) -> GraphResult<Response> {
    let drive = state.drives.open(&state, &id)?;
    let d = lock(&drive);
    let i = find(&d, &item)?;
    let all = render::versions(&d, i);
    let mut body = Map::new();
    body.insert(
        "@odata.context".into(),
        json!(format!(
            "{}/v1.0/$metadata#drives('{}')/items('{}')/versions",
            state.base_url(),
            d.id,
            d.items[i].id
        )),
    );
    body.insert("value".into(), Value::Array(all));
    Ok(axum::Json(Value::Object(body)).into_response())
}

/// `GET /drives/{id}/items/{id}/versions/{id}`.
pub async fn version(
    State(state): State<AppState>,
    Path((id, item, v)): Path<(String, String, String)>,
) -> GraphResult<Response> {
    let drive = state.drives.open(&state, &id)?;
    let d = lock(&drive);
    let i = find(&d, &item)?;
    let n = version_number(&d, i, &v)?;
    let found = render::versions(&d, i)
        .into_iter()
        .find(|x| x["id"] == json!(format!("{n}.0")))
        .ok_or_else(item_not_found)?;
    Ok(entity(
        &state,
        &format!(
            "drives('{}')/items('{}')/versions/$entity",
            d.id, d.items[i].id
        ),
        found,
    ))
}

/// `GET /drives/{id}/items/{id}/versions/{id}/content`: 302 to the version's bytes.
pub async fn version_content(
    State(state): State<AppState>,
    Path((id, item, v)): Path<(String, String, String)>,
    p: Option<Extension<Principal>>,
) -> GraphResult<Response> {
    let app = app_id(&p);
    let drive = state.drives.open(&state, &id)?;
    let d = lock(&drive);
    let i = find(&d, &item)?;
    let n = version_number(&d, i, &v)?;
    Ok(redirect(&download_url(&state, &app, &d, i, Some(n))))
}

/// `GET /drives/{id}/items/{id}/permissions`.
pub async fn permissions(
    State(state): State<AppState>,
    Path((id, item)): Path<(String, String)>,
) -> GraphResult<Response> {
    let drive = state.drives.open(&state, &id)?;
    let d = lock(&drive);
    let i = find(&d, &item)?;
    let mut body = Map::new();
    body.insert(
        "@odata.context".into(),
        json!(format!(
            "{}/v1.0/$metadata#drives('{}')/items('{}')/permissions",
            state.base_url(),
            d.id,
            d.items[i].id
        )),
    );
    body.insert("value".into(), Value::Array(render::permissions(&d, i)));
    Ok(axum::Json(Value::Object(body)).into_response())
}

/// Whether drive `id` exists (for handlers of other modules).
pub fn exists(state: &SimState, id: &str) -> bool {
    state.sites.catalog(state).drive(id).is_some()
}

/// The drive module's item lookup, re-exported for the write handlers.
pub use drive::ops::{Conflict, FsInfo};
