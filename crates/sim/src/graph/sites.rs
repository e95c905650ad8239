//! Sites: `/sites/root`, `/sites/{id}` (also `{hostname}:/server/relative/path`),
//! `/sites?search=`, `/sites/getAllSites`, `/sites/{id}/sites`,
//! `/groups/{id}/sites/root`.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use serde_json::Value;

use super::drives::{blocking, entity, select, top};
use super::odata::{Collection, Query};
use crate::failure::GraphResult;
use crate::site::{LockState, SiteKind, not_found, render};
use crate::state::{AppState, SimState};

fn one(state: &SimState, index: usize, q: &Query) -> GraphResult<Response> {
    let v = {
        let catalog = state.sites.catalog(state);
        render::site(&state.tenant(), &catalog.sites[index])
    };
    Ok(entity(
        state,
        "sites/$entity",
        select(v, q.select.as_deref()),
    ))
}

fn many(
    state: &SimState,
    uri: &Uri,
    q: &Query,
    indexes: &[usize],
    page: usize,
) -> GraphResult<Response> {
    let offset = q.offset().unwrap_or(0);
    let values: Vec<Value> = {
        let catalog = state.sites.catalog(state);
        let t = state.tenant();
        indexes
            .iter()
            .skip(offset)
            .take(page)
            .map(|&i| select(render::site(&t, &catalog.sites[i]), q.select.as_deref()))
            .collect()
    };
    let c = Collection {
        base: &state.base_url(),
        path: uri.path(),
        context: "sites",
        query: q,
    };
    Ok(c.page(values, offset, indexes.len()))
}

/// `GET /sites/{id}` (`root`, `host,guid,guid`, `host`, `host:/sites/path`).
pub async fn get_site(
    State(state): State<AppState>,
    Path(key): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> GraphResult<Response> {
    let q = Query::parse(&uri, &headers);
    blocking(&state, move |s| one(s, s.sites.resolve(s, &key)?, &q)).await
}

/// `GET /sites/root`.
pub async fn root_site(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
) -> GraphResult<Response> {
    let q = Query::parse(&uri, &headers);
    blocking(&state, move |s| one(s, s.sites.resolve(s, "root")?, &q)).await
}

/// `GET /groups/{id}/sites/root`: the group's team site.
pub async fn group_site(
    State(state): State<AppState>,
    Path(group): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> GraphResult<Response> {
    let q = Query::parse(&uri, &headers);
    blocking(&state, move |s| {
        let g = s
            .tenant()
            .group(&group)
            .map(|(i, _)| i)
            .ok_or_else(|| not_found("The requested group was not found."))?;
        let site = s
            .sites
            .catalog(s)
            .group_site(g)
            .ok_or_else(|| not_found("Requested site could not be found"))?;
        s.sites.check(site)?;
        one(s, site, &q)
    })
    .await
}

/// `GET /sites?search=…`: sites (not OneDrives) whose name, title or URL
/// contains the words (`*` lists them all).
pub async fn search_sites(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
) -> GraphResult<Response> {
    let q = Query::parse(&uri, &headers);
    blocking(&state, move |s| {
        let term = q
            .pairs
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("search") || k.eq_ignore_ascii_case("$search"))
            .map(|(_, v)| v.trim_matches('"').to_lowercase())
            .unwrap_or_else(|| "*".into());
        let found: Vec<usize> = {
            let catalog = s.sites.catalog(s);
            (0..catalog.sites.len())
                .filter(|&i| {
                    let site = &catalog.sites[i];
                    !site.personal()
                        && s.sites.lock_state(i) != LockState::Deleted
                        && (term == "*"
                            || term.is_empty()
                            || term.split_whitespace().all(|w| {
                                site.display_name.to_lowercase().contains(w)
                                    || site.name.to_lowercase().contains(w)
                                    || site.web_url().to_lowercase().contains(w)
                            }))
                })
                .collect()
        };
        many(s, &uri, &q, &found, top(&q)?)
    })
    .await
}

/// `GET /sites/getAllSites`: every site, OneDrives included (`isPersonalSite`),
/// paged (`$top`, default 200); locked sites are listed, deleted ones are not.
pub async fn all_sites(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
) -> GraphResult<Response> {
    let q = Query::parse(&uri, &headers);
    blocking(&state, move |s| {
        let all: Vec<usize> = {
            let n = s.sites.catalog(s).sites.len();
            (0..n)
                .filter(|&i| s.sites.lock_state(i) != LockState::Deleted)
                .collect()
        };
        many(s, &uri, &q, &all, top(&q)?)
    })
    .await
}

/// `GET /sites/{id}/sites`: subsites.
pub async fn subsites(
    State(state): State<AppState>,
    Path(key): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> GraphResult<Response> {
    let q = Query::parse(&uri, &headers);
    blocking(&state, move |s| {
        let parent = s.sites.resolve(s, &key)?;
        let subs: Vec<usize> = {
            let catalog = s.sites.catalog(s);
            (0..catalog.sites.len())
                .filter(|&i| catalog.sites[i].kind == SiteKind::Subsite(parent))
                .filter(|&i| s.sites.lock_state(i) != LockState::Deleted)
                .collect()
        };
        many(s, &uri, &q, &subs, top(&q)?)
    })
    .await
}
