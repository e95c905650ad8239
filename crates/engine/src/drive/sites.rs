//! SharePoint sites: which ones a run covers (`--sites URL,…`, `--all-sites`) and
//! backing one up: its document libraries (drives) and its lists. A site that
//! refuses access (403) or no longer exists (404) is recorded and skipped; the run
//! goes on and ends partial.

use std::collections::HashSet;

use graph::GraphClient;
use serde::Serialize;
use serde_json::Value;

use super::item::DriveTarget;
use super::{DriveOutcome, Failure, ResourceRun, site_resource};
use crate::context::{RunContext, strip_annotations};
use crate::error::EngineError;
use crate::limiter::ResourceUnits;

/// A SharePoint site in scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Site {
    /// Graph's id: `hostname,siteCollectionId,webId`.
    pub id: String,
    /// Its URL.
    pub web_url: String,
    /// Its title.
    pub display_name: String,
}

impl Site {
    fn from_json(v: &Value) -> Option<Site> {
        let s = |k: &str| {
            v.get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        let id = s("id");
        (!id.is_empty()).then(|| Site {
            id,
            web_url: s("webUrl"),
            display_name: s("displayName"),
        })
    }
}

/// Which sites a run covers.
#[derive(Debug, Clone, Default)]
pub struct SiteSpec {
    /// Site URLs (`https://contoso.sharepoint.com/sites/Sales`) or Graph site ids.
    pub urls: Vec<String>,
    /// Every site of the tenant (and their subsites).
    pub all: bool,
}

impl SiteSpec {
    /// Whether any site is asked for.
    pub fn is_empty(&self) -> bool {
        self.urls.is_empty() && !self.all
    }
}

/// The Graph path that addresses the site at `url` (or the id itself).
fn site_path(url: &str) -> Result<String, EngineError> {
    let url = url.trim();
    if url.contains(',') && !url.contains("://") {
        return Ok(format!("/sites/{url}"));
    }
    let parsed = url::Url::parse(url).map_err(|_| {
        EngineError::Scope(format!(
            "'{url}' is neither a site URL (https://contoso.sharepoint.com/sites/Sales) nor a site id"
        ))
    })?;
    let host = parsed.host_str().unwrap_or_default();
    let path = parsed.path().trim_end_matches('/');
    Ok(if path.is_empty() {
        format!("/sites/{host}")
    } else {
        format!("/sites/{host}:{path}")
    })
}

/// The sites `spec` names, without duplicates.
pub async fn resolve_sites(graph: &GraphClient, spec: &SiteSpec) -> Result<Vec<Site>, EngineError> {
    let mut out: Vec<Site> = Vec::new();
    let mut seen = HashSet::new();
    let mut add = |s: Site, out: &mut Vec<Site>| {
        if seen.insert(s.id.to_ascii_lowercase()) {
            out.push(s);
        }
    };
    for url in &spec.urls {
        let path = site_path(url)?;
        let site: Value = graph.get(&path).await.map_err(|e| match e.status() {
            Some(404) => EngineError::NotFound(format!(
                "there is no SharePoint site at '{url}'; check the URL (`m365vault backup run --all-sites` covers every site)"
            )),
            _ => EngineError::Graph(e),
        })?;
        if let Some(s) = Site::from_json(&site) {
            add(s, &mut out);
        }
    }
    if spec.all {
        let sites = match graph
            .get_all::<Value>("/sites/getAllSites?$top=200", &[])
            .await
        {
            Ok(v) => v,
            // Older clouds lack getAllSites; search lists every site the app can see.
            Err(e) if matches!(e.status(), Some(400 | 404)) => {
                graph.get_all::<Value>("/sites?search=*", &[]).await?
            }
            Err(e) => return Err(EngineError::Graph(e)),
        };
        // OneDrives are personal sites: they are backed up as OneDrives (--data onedrive).
        let mut queue: Vec<Site> = sites
            .iter()
            .filter(|s| s.get("isPersonalSite").and_then(Value::as_bool) != Some(true))
            .filter_map(Site::from_json)
            .collect();
        while let Some(site) = queue.pop() {
            let subsites = graph
                .get_all::<Value>(&format!("/sites/{}/sites", site.id), &[])
                .await
                .unwrap_or_default();
            queue.extend(subsites.iter().filter_map(Site::from_json));
            add(site, &mut out);
        }
    }
    out.sort_by(|a, b| a.web_url.cmp(&b.web_url));
    Ok(out)
}

/// Backs up a site: its libraries and lists.
pub(crate) async fn backup_site(
    ctx: &RunContext,
    ru: &ResourceUnits,
    site: &Site,
) -> Result<DriveOutcome, EngineError> {
    let mut run = ResourceRun::start(ctx, ru, site_resource(&site.id)).await?;
    match site_parts(&mut run, site).await {
        Ok(()) => {}
        Err(Failure::Fatal(e)) => return Err(e),
        Err(Failure::Resource(e)) => {
            let what = match e.status() {
                Some(403) => "site refuses access",
                Some(404) => "site not found",
                _ => "site",
            };
            run.fail_part(&format!("{what} {}", site.web_url), &e);
            run.keep(None);
        }
    }
    run.finish().await
}

async fn site_parts(run: &mut ResourceRun<'_>, site: &Site) -> Result<(), Failure> {
    let ctx = run.ctx;
    run.ru.spend(1).await;
    let info: Value = ctx.graph.get(&format!("/sites/{}", site.id)).await?;
    let record = run.meta_only("site", &site.id, "/", strip_annotations(info));
    run.priors.take_where(|p| p.kind == "site");
    run.push(record, false);
    run.ru.spend(2).await;
    let drives: Vec<Value> = ctx
        .graph
        .get_all(&format!("/sites/{}/drives", site.id), &[])
        .await?;
    for d in drives {
        let (Some(id), Some(name)) = (
            d.get("id").and_then(Value::as_str),
            d.get("name").and_then(Value::as_str),
        ) else {
            continue;
        };
        let target = DriveTarget {
            id: id.to_owned(),
            prefix: format!("/{name}"),
        };
        match run.drive(&target).await {
            Ok(()) => {}
            Err(Failure::Fatal(e)) => return Err(Failure::Fatal(e)),
            Err(Failure::Resource(e)) => {
                run.fail_part(&format!("library {name}"), &e);
                run.keep(Some(id));
            }
        }
    }
    run.ru.spend(2).await;
    let lists: Vec<Value> = ctx
        .graph
        .get_all(&format!("/sites/{}/lists", site.id), &[])
        .await?;
    for list in lists {
        let template = list.pointer("/list/template").and_then(Value::as_str);
        let hidden = list
            .pointer("/list/hidden")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        if template == Some("documentLibrary") || hidden {
            continue;
        }
        let id = list
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let name = list
            .get("displayName")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        match run.list(&site.id, list).await {
            Ok(()) => {}
            Err(Failure::Fatal(e)) => return Err(Failure::Fatal(e)),
            Err(Failure::Resource(e)) => {
                run.fail_part(&format!("list {name}"), &e);
                run.keep(Some(&id));
            }
        }
    }
    Ok(())
}

impl ResourceRun<'_> {
    /// A record without content at `path`.
    pub(crate) fn meta_only(
        &self,
        kind: &str,
        id: &str,
        path: &str,
        meta: Value,
    ) -> store::ItemRecord {
        store::ItemRecord {
            resource: self.resource.clone(),
            kind: kind.to_owned(),
            id: id.to_owned(),
            path: path.to_owned(),
            size: 0,
            hash: self.ctx.repo.item_hash(&[]),
            modified: crate::context::parse_time(meta.get("lastModifiedDateTime")),
            deleted: None,
            meta,
            chunks: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn site_urls_become_graph_paths() {
        assert_eq!(
            site_path("https://contoso.sharepoint.com/sites/Sales/").expect("url"),
            "/sites/contoso.sharepoint.com:/sites/Sales"
        );
        assert_eq!(
            site_path("https://contoso.sharepoint.com").expect("root"),
            "/sites/contoso.sharepoint.com"
        );
        assert_eq!(
            site_path("contoso.sharepoint.com,1a,2b").expect("id"),
            "/sites/contoso.sharepoint.com,1a,2b"
        );
        assert!(site_path("not a url").is_err());
    }
}
