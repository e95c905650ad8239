//! Contacts: `/users/{id}/contactFolders…`, `/contacts…`, their delta, and the
//! writes restore uses. `/contactFolders` lists the folders inside the default
//! `Contacts` folder (whose well-known name is `contacts`), as Graph does.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use super::mail_write::folder_exists;
use super::odata::Query;
use super::outlook::{
    self, bad_request, body_bytes, entity, entity_status, json_body, list_page, missing, paging,
    refuse_unsupported, select,
};
use super::outlook_delta::{Round, Spec};
use crate::failure::GraphResult;
use crate::mailbox::{Exists, Mailbox, lock, render};
use crate::state::AppState;

fn folder_index(m: &Mailbox, key: Option<&str>) -> GraphResult<usize> {
    match key {
        None => Ok(0),
        Some(k) => m.contact_folder(k).ok_or_else(|| missing(k)),
    }
}

async fn folders_page(
    state: &AppState,
    uri: &Uri,
    headers: &HeaderMap,
    user: &str,
    parent: Option<&str>,
) -> GraphResult<Response> {
    let query = Query::parse(uri, headers);
    refuse_unsupported(&query)?;
    let (top, skip) = paging(&query, 10, 1000)?;
    let (_, mailbox) = outlook::mailbox(state, user).await?;
    let m = lock(&mailbox);
    let parent = folder_index(&m, parent)?;
    let all: Vec<usize> = (0..m.contact_folders.len())
        .filter(|&i| {
            m.contact_folders[i].seqs.live() && m.contact_folders[i].parent == Some(parent)
        })
        .collect();
    list_page(
        state,
        uri,
        &query,
        "contactFolder",
        &all,
        (top, skip),
        |i| render::contact_folder(&m, i),
    )
}

/// `GET /users/{id}/contactFolders`.
pub async fn list_folders(
    State(state): State<AppState>,
    Path(user): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> GraphResult<Response> {
    folders_page(&state, &uri, &headers, &user, None).await
}

/// `GET /users/{id}/contactFolders/{id}/childFolders`.
pub async fn child_folders(
    State(state): State<AppState>,
    Path((user, folder)): Path<(String, String)>,
    uri: Uri,
    headers: HeaderMap,
) -> GraphResult<Response> {
    folders_page(&state, &uri, &headers, &user, Some(&folder)).await
}

/// `GET /users/{id}/contactFolders/{id}`.
pub async fn get_folder(
    State(state): State<AppState>,
    Path((user, folder)): Path<(String, String)>,
    uri: Uri,
    headers: HeaderMap,
) -> GraphResult<Response> {
    let query = Query::parse(&uri, &headers);
    let (_, mailbox) = outlook::mailbox(&state, &user).await?;
    let m = lock(&mailbox);
    let i = folder_index(&m, Some(&folder))?;
    let v = select(
        render::contact_folder(&m, i),
        query.select.as_deref(),
        "contactFolder",
    )?;
    Ok(entity(
        &state.base_url(),
        &format!("users('{user}')/contactFolders/$entity"),
        v,
    ))
}

/// `GET /users/{id}/contactFolders/delta` (every contact folder, the default one included).
pub async fn folders_delta(
    State(state): State<AppState>,
    Path(user): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> GraphResult<Response> {
    let query = Query::parse(&uri, &headers);
    let (index, mailbox) = outlook::mailbox(&state, &user).await?;
    let m = lock(&mailbox);
    let spec = Spec {
        kind: "contactFolders",
        user: index,
        collection: "",
        default_page: 10,
        max_page: 200,
    };
    let round = Round::begin(&state, &spec, &query, &headers, None, m.seq)?;
    let (items, next) = round.collect(&m.contact_folder_log, |i| {
        let f = &m.contact_folders[i];
        if !f.seqs.live() {
            return Ok(if round.initial() {
                vec![]
            } else {
                vec![render::removed("contactFolder", &f.id)]
            });
        }
        Ok(vec![select(
            render::contact_folder(&m, i),
            round.select.as_deref(),
            "contactFolder",
        )?])
    })?;
    let now = state.now().unix_timestamp();
    Ok(round.respond(
        &state.base_url(),
        uri.path(),
        "Collection(contactFolder)",
        items,
        next,
        now,
    ))
}

async fn contacts_page(
    state: &AppState,
    uri: &Uri,
    headers: &HeaderMap,
    user: &str,
    folder: Option<&str>,
) -> GraphResult<Response> {
    let query = Query::parse(uri, headers);
    refuse_unsupported(&query)?;
    let (top, skip) = paging(&query, 10, 1000)?;
    let (_, mailbox) = outlook::mailbox(state, user).await?;
    let m = lock(&mailbox);
    let f = folder_index(&m, folder)?;
    let all: Vec<usize> = (0..m.contacts.len())
        .filter(|&i| m.contacts[i].seqs.live() && m.contacts[i].folder == f)
        .collect();
    list_page(state, uri, &query, "contact", &all, (top, skip), |i| {
        render::contact(&m, i)
    })
}

/// `GET /users/{id}/contacts` (the default folder).
pub async fn list_contacts(
    State(state): State<AppState>,
    Path(user): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> GraphResult<Response> {
    contacts_page(&state, &uri, &headers, &user, None).await
}

/// `GET /users/{id}/contactFolders/{id}/contacts`.
pub async fn folder_contacts(
    State(state): State<AppState>,
    Path((user, folder)): Path<(String, String)>,
    uri: Uri,
    headers: HeaderMap,
) -> GraphResult<Response> {
    contacts_page(&state, &uri, &headers, &user, Some(&folder)).await
}

async fn one_contact(
    state: &AppState,
    uri: &Uri,
    headers: &HeaderMap,
    user: &str,
    id: &str,
) -> GraphResult<Response> {
    let query = Query::parse(uri, headers);
    let (_, mailbox) = outlook::mailbox(state, user).await?;
    let m = lock(&mailbox);
    let i = m.contact(id).ok_or_else(|| missing(id))?;
    let v = select(render::contact(&m, i), query.select.as_deref(), "contact")?;
    Ok(entity(
        &state.base_url(),
        &format!("users('{user}')/contacts/$entity"),
        v,
    ))
}

/// `GET /users/{id}/contacts/{id}`.
pub async fn get_contact(
    State(state): State<AppState>,
    Path((user, id)): Path<(String, String)>,
    uri: Uri,
    headers: HeaderMap,
) -> GraphResult<Response> {
    one_contact(&state, &uri, &headers, &user, &id).await
}

/// `GET /users/{id}/contactFolders/{id}/contacts/{id}`.
pub async fn get_folder_contact(
    State(state): State<AppState>,
    Path((user, _folder, id)): Path<(String, String, String)>,
    uri: Uri,
    headers: HeaderMap,
) -> GraphResult<Response> {
    one_contact(&state, &uri, &headers, &user, &id).await
}

async fn delta(
    state: &AppState,
    uri: &Uri,
    headers: &HeaderMap,
    user: &str,
    folder: Option<&str>,
) -> GraphResult<Response> {
    let query = Query::parse(uri, headers);
    let (index, mailbox) = outlook::mailbox(state, user).await?;
    let m = lock(&mailbox);
    let f = folder_index(&m, folder)?;
    let folder_id = m.contact_folders[f].id.clone();
    let spec = Spec {
        kind: "contacts",
        user: index,
        collection: &folder_id,
        default_page: 10,
        max_page: 200,
    };
    let round = Round::begin(state, &spec, &query, headers, None, m.seq)?;
    let (items, next) = round.collect(&m.contact_folders[f].log, |i| {
        let c = &m.contacts[i];
        if !c.seqs.live() {
            return Ok(if round.initial() {
                vec![]
            } else {
                vec![render::removed("contact", &c.id)]
            });
        }
        Ok(vec![select(
            render::contact(&m, i),
            round.select.as_deref(),
            "contact",
        )?])
    })?;
    let now = state.now().unix_timestamp();
    Ok(round.respond(
        &state.base_url(),
        uri.path(),
        "Collection(contact)",
        items,
        next,
        now,
    ))
}

/// `GET /users/{id}/contactFolders/{id}/contacts/delta`.
pub async fn folder_contacts_delta(
    State(state): State<AppState>,
    Path((user, folder)): Path<(String, String)>,
    uri: Uri,
    headers: HeaderMap,
) -> GraphResult<Response> {
    delta(&state, &uri, &headers, &user, Some(&folder)).await
}

/// `GET /users/{id}/contacts/delta` (the default folder; works on Graph though
/// undocumented).
pub async fn contacts_delta(
    State(state): State<AppState>,
    Path(user): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> GraphResult<Response> {
    delta(&state, &uri, &headers, &user, None).await
}

/// Contact properties a client may set.
const WRITABLE: &[&str] = &[
    "assistantName",
    "birthday",
    "businessAddress",
    "businessHomePage",
    "businessPhones",
    "categories",
    "children",
    "companyName",
    "department",
    "displayName",
    "emailAddresses",
    "fileAs",
    "generation",
    "givenName",
    "homeAddress",
    "homePhones",
    "imAddresses",
    "initials",
    "jobTitle",
    "manager",
    "middleName",
    "mobilePhone",
    "nickName",
    "officeLocation",
    "otherAddress",
    "personalNotes",
    "profession",
    "spouseName",
    "surname",
    "title",
    "yomiCompanyName",
    "yomiGivenName",
    "yomiSurname",
];

fn writable(v: &Value, data: &mut Map<String, Value>) {
    for key in WRITABLE {
        if let Some(val) = v.get(*key) {
            data.insert((*key).to_owned(), val.clone());
        }
    }
}

async fn create_folder(
    state: &AppState,
    user: &str,
    parent: Option<&str>,
    body: Body,
) -> GraphResult<Response> {
    let v = json_body(&body_bytes(body, 1024 * 1024).await?)?;
    let name = v
        .get("displayName")
        .and_then(Value::as_str)
        .map(str::trim)
        .unwrap_or_default()
        .to_owned();
    if name.is_empty() {
        return Err(bad_request(
            "ErrorInvalidRequest",
            "The 'displayName' property is required to create a folder.",
        ));
    }
    let (_, mailbox) = outlook::mailbox(state, user).await?;
    let mut m = lock(&mailbox);
    let parent = match (parent, v.get("parentFolderId").and_then(Value::as_str)) {
        (Some(p), _) | (None, Some(p)) => folder_index(&m, Some(p))?,
        (None, None) => 0,
    };
    let i = m
        .add_contact_folder(Some(parent), &name)
        .map_err(|Exists| folder_exists())?;
    let context = format!("users('{user}')/contactFolders/$entity");
    Ok(entity_status(
        &state.base_url(),
        &context,
        render::contact_folder(&m, i),
        StatusCode::CREATED,
    ))
}

/// `POST /users/{id}/contactFolders`.
pub async fn post_folder(
    State(state): State<AppState>,
    Path(user): Path<String>,
    body: Body,
) -> GraphResult<Response> {
    create_folder(&state, &user, None, body).await
}

/// `POST /users/{id}/contactFolders/{id}/childFolders`.
pub async fn post_child_folder(
    State(state): State<AppState>,
    Path((user, folder)): Path<(String, String)>,
    body: Body,
) -> GraphResult<Response> {
    create_folder(&state, &user, Some(&folder), body).await
}

async fn create_contact(
    state: &AppState,
    user: &str,
    folder: Option<&str>,
    body: Body,
) -> GraphResult<Response> {
    let v = json_body(&body_bytes(body, 4 * 1024 * 1024).await?)?;
    let now = state.now();
    let (_, mailbox) = outlook::mailbox(state, user).await?;
    let mut m = lock(&mailbox);
    let f = folder_index(&m, folder)?;
    let mut data = Map::new();
    writable(&v, &mut data);
    let i = m.add_contact(f, data, now);
    let context = format!("users('{user}')/contacts/$entity");
    Ok(entity_status(
        &state.base_url(),
        &context,
        render::contact(&m, i),
        StatusCode::CREATED,
    ))
}

/// `POST /users/{id}/contacts` (the default folder).
pub async fn post_contact(
    State(state): State<AppState>,
    Path(user): Path<String>,
    body: Body,
) -> GraphResult<Response> {
    create_contact(&state, &user, None, body).await
}

/// `POST /users/{id}/contactFolders/{id}/contacts`.
pub async fn post_folder_contact(
    State(state): State<AppState>,
    Path((user, folder)): Path<(String, String)>,
    body: Body,
) -> GraphResult<Response> {
    create_contact(&state, &user, Some(&folder), body).await
}

async fn update_contact(
    state: &AppState,
    user: &str,
    id: &str,
    body: Body,
) -> GraphResult<Response> {
    let v = json_body(&body_bytes(body, 4 * 1024 * 1024).await?)?;
    let now = state.now();
    let (_, mailbox) = outlook::mailbox(state, user).await?;
    let mut m = lock(&mailbox);
    let i = m.contact(id).ok_or_else(|| missing(id))?;
    let mut data = m.contacts[i].data.clone();
    writable(&v, &mut data);
    m.contacts[i].data = data;
    m.touch_contact(i, now);
    let context = format!("users('{user}')/contacts/$entity");
    Ok(entity_status(
        &state.base_url(),
        &context,
        render::contact(&m, i),
        StatusCode::OK,
    ))
}

/// `PATCH /users/{id}/contacts/{id}`.
pub async fn patch_contact(
    State(state): State<AppState>,
    Path((user, id)): Path<(String, String)>,
    body: Body,
) -> GraphResult<Response> {
    update_contact(&state, &user, &id, body).await
}

/// `PATCH /users/{id}/contactFolders/{id}/contacts/{id}`.
pub async fn patch_folder_contact(
    State(state): State<AppState>,
    Path((user, _folder, id)): Path<(String, String, String)>,
    body: Body,
) -> GraphResult<Response> {
    update_contact(&state, &user, &id, body).await
}

async fn remove_contact(state: &AppState, user: &str, id: &str) -> GraphResult<Response> {
    let (_, mailbox) = outlook::mailbox(state, user).await?;
    let mut m = lock(&mailbox);
    let i = m.contact(id).ok_or_else(|| missing(id))?;
    m.delete_contact(i);
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `DELETE /users/{id}/contacts/{id}`.
pub async fn delete_contact(
    State(state): State<AppState>,
    Path((user, id)): Path<(String, String)>,
) -> GraphResult<Response> {
    remove_contact(&state, &user, &id).await
}

/// `DELETE /users/{id}/contactFolders/{id}/contacts/{id}`.
pub async fn delete_folder_contact(
    State(state): State<AppState>,
    Path((user, _folder, id)): Path<(String, String, String)>,
) -> GraphResult<Response> {
    remove_contact(&state, &user, &id).await
}
