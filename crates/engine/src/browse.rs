//! Reading runs back: which runs exist, what one holds, and its folder tree.

use std::collections::BTreeMap;

use catalog::{Catalog, RunFilter, RunRecord, RunStatus};
use serde::Serialize;
use store::{ItemRecord, Manifest, ManifestId, Repository, RunOutcome};
use time::OffsetDateTime;

use crate::error::EngineError;

/// A run as `backup list` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct RunEntry {
    /// The run's id.
    pub id: String,
    /// `running`, `complete`, `partial` or `failed`.
    pub status: &'static str,
    /// When it started.
    #[serde(with = "time::serde::rfc3339")]
    pub started_at: OffsetDateTime,
    /// When it finished.
    #[serde(with = "time::serde::rfc3339::option")]
    pub finished_at: Option<OffsetDateTime>,
    /// The connector it read.
    pub connector: Option<String>,
    /// Items listed.
    pub items: u64,
    /// Their bytes.
    pub bytes: u64,
}

/// The word a run status is shown as.
pub fn status_word(status: RunStatus) -> &'static str {
    match status {
        RunStatus::Running => "running",
        RunStatus::Success => "complete",
        RunStatus::Partial => "partial",
        RunStatus::Failed => "failed",
    }
}

fn entry(r: &RunRecord) -> RunEntry {
    let stat = |k: &str| {
        r.stats
            .get(k)
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(0)
    };
    RunEntry {
        id: r.id.clone(),
        status: status_word(r.status),
        started_at: r.started_at,
        finished_at: r.finished_at,
        connector: r.connector.clone(),
        items: stat("items"),
        bytes: stat("bytes"),
    }
}

/// The backup runs of a repository, newest first.
pub async fn list_runs(
    repo: &Repository,
    catalog: &dyn Catalog,
    connector: Option<&str>,
) -> Result<Vec<RunEntry>, EngineError> {
    let runs = catalog
        .list_runs(&RunFilter {
            repository_id: Some(repo.config().id.to_hex()),
            connector: connector.map(str::to_owned),
            ..RunFilter::default()
        })
        .await?;
    Ok(runs
        .iter()
        .filter(|r| r.kind == "backup")
        .map(entry)
        .collect())
}

/// A run that was written, with its manifest.
#[derive(Debug, Clone)]
pub struct OpenedRun {
    /// The run's catalog record.
    pub record: RunEntry,
    /// The manifest's id.
    pub manifest_id: ManifestId,
    /// The manifest.
    pub manifest: Manifest,
}

/// Finds run `spec` that has a manifest: an id, a unique prefix of one, `latest`, or
/// `@TIME` (RFC 3339) for the last run that had finished by then.
pub async fn open_run(
    repo: &Repository,
    catalog: &dyn Catalog,
    spec: &str,
) -> Result<OpenedRun, EngineError> {
    let runs = catalog
        .list_runs(&RunFilter {
            repository_id: Some(repo.config().id.to_hex()),
            ..RunFilter::default()
        })
        .await?;
    let written: Vec<&RunRecord> = runs
        .iter()
        .filter(|r| r.kind == "backup" && r.manifest_id.is_some())
        .collect();
    let at = match spec.strip_prefix('@') {
        Some(t) => Some(
            OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).map_err(
                |_| {
                    EngineError::NotFound(format!(
                        "'{t}' is not a time; give one like 2026-11-20T17:00:00Z"
                    ))
                },
            )?,
        ),
        None => None,
    };
    let chosen = if let Some(at) = at {
        written
            .iter()
            .copied()
            .find(|r| r.finished_at.is_some_and(|f| f <= at))
            .ok_or_else(|| {
                EngineError::NotFound(format!(
                    "no backup run had finished by {}; `m365vault backup list` shows the runs",
                    &spec[1..]
                ))
            })?
    } else if spec.eq_ignore_ascii_case("latest") {
        written.first().copied().ok_or_else(|| {
            EngineError::NotFound("the repository has no finished backup run yet".into())
        })?
    } else {
        let matches: Vec<&RunRecord> = written
            .iter()
            .copied()
            .filter(|r| r.id == spec || r.id.starts_with(spec))
            .collect();
        match matches.as_slice() {
            [one] => *one,
            [] => {
                let hint = if runs.iter().any(|r| r.id.starts_with(spec)) {
                    " (it did not finish; run `m365vault backup run` again to resume it)"
                } else {
                    "; `m365vault backup list` shows the runs"
                };
                return Err(EngineError::NotFound(format!(
                    "no finished backup run '{spec}'{hint}"
                )));
            }
            many => {
                return Err(EngineError::NotFound(format!(
                    "'{spec}' matches {} runs; give more of the id",
                    many.len()
                )));
            }
        }
    };
    let hex = chosen.manifest_id.as_deref().unwrap_or_default();
    let manifest_id: ManifestId = hex.parse().map_err(|_| {
        EngineError::NotFound(format!(
            "run {} names manifest '{hex}', which is not a manifest id; run `m365vault repo rebuild-catalog`",
            chosen.id
        ))
    })?;
    let manifest = repo.read_manifest(manifest_id).await?;
    Ok(OpenedRun {
        record: entry(chosen),
        manifest_id,
        manifest,
    })
}

/// Calls `f` for every live item record of `manifest` (deletions skipped) that
/// `keep` accepts.
pub async fn each_item(
    repo: &Repository,
    manifest: &Manifest,
    mut f: impl FnMut(ItemRecord),
) -> Result<(), EngineError> {
    let mut items = repo.items(manifest);
    while let Some(r) = items.next().await? {
        if r.deleted.is_none() {
            f(r);
        }
    }
    Ok(())
}

/// One line of `ls`.
#[derive(Debug, Clone, Serialize)]
pub struct LsEntry {
    /// `mailbox`, `folder`, or the item kind (`mail`, `event`, `contact`).
    pub kind: String,
    /// The name (folder name, or the item's subject or display name).
    pub name: String,
    /// The item's id (items only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Bytes (items), or the bytes below (mailboxes and folders).
    pub size: u64,
    /// Items below (mailboxes and folders).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub items: Option<u64>,
    /// When it was received or last changed.
    #[serde(
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub time: Option<OffsetDateTime>,
}

/// Splits `resource/folder/path` into the resource and the folder path (`/…`).
pub fn split_path(path: &str) -> (Option<String>, String) {
    let trimmed = path.trim_matches('/');
    if trimmed.is_empty() {
        return (None, "/".into());
    }
    match trimmed.split_once('/') {
        Some((resource, rest)) => (Some(resource.to_ascii_lowercase()), format!("/{rest}")),
        None => (Some(trimmed.to_ascii_lowercase()), "/".into()),
    }
}

fn item_name(r: &ItemRecord) -> String {
    ["subject", "displayName", "name"]
        .iter()
        .find_map(|k| r.meta.get(*k).and_then(serde_json::Value::as_str))
        .map(str::to_owned)
        .unwrap_or_else(|| "(no subject)".into())
}

fn item_time(r: &ItemRecord) -> Option<OffsetDateTime> {
    crate::context::parse_time(r.meta.get("receivedDateTime")).or(r.modified)
}

/// What a run holds at `path`: its mailboxes (at `/`), or a folder's subfolders and items.
pub async fn ls(
    repo: &Repository,
    manifest: &Manifest,
    path: &str,
) -> Result<Vec<LsEntry>, EngineError> {
    let (resource, folder) = split_path(path);
    let mut children: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    let mut items = Vec::new();
    let mut found = resource.is_none();
    let prefix = if folder == "/" {
        "/".to_owned()
    } else {
        format!("{folder}/")
    };
    each_item(repo, manifest, |r| {
        let Some(res) = &resource else {
            let e = children.entry(r.resource.clone()).or_default();
            e.0 += u64::from(r.kind != "folder");
            e.1 += r.size;
            return;
        };
        if &r.resource != res {
            return;
        }
        if r.path == folder || r.path.starts_with(&prefix) || folder == "/" {
            found = true;
        }
        if r.kind == "folder" {
            if let Some(rest) = r.path.strip_prefix(&prefix)
                && !rest.is_empty()
            {
                let name = rest.split('/').next().unwrap_or_default().to_owned();
                children.entry(name).or_default();
            }
            return;
        }
        if r.path == folder {
            items.push(LsEntry {
                kind: r.kind.clone(),
                name: item_name(&r),
                id: Some(r.id.clone()),
                size: r.size,
                items: None,
                time: item_time(&r),
            });
        } else if let Some(rest) = r.path.strip_prefix(&prefix) {
            let name = rest.split('/').next().unwrap_or_default().to_owned();
            let e = children.entry(name).or_default();
            e.0 += 1;
            e.1 += r.size;
        }
    })
    .await?;
    if !found {
        return Err(EngineError::NotFound(format!(
            "the run holds nothing at '{path}'; `m365vault ls RUN` lists its mailboxes"
        )));
    }
    let kind = if resource.is_none() {
        "mailbox"
    } else {
        "folder"
    };
    let mut out: Vec<LsEntry> = children
        .into_iter()
        .map(|(name, (count, size))| LsEntry {
            kind: kind.into(),
            name,
            id: None,
            size,
            items: Some(count),
            time: None,
        })
        .collect();
    items.sort_by(|a, b| b.time.cmp(&a.time).then(a.name.cmp(&b.name)));
    out.extend(items);
    Ok(out)
}

/// Whether a run ended complete.
pub fn complete(manifest: &Manifest) -> bool {
    manifest.outcome == RunOutcome::Complete
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_split_into_resource_and_folder() {
        assert_eq!(split_path(""), (None, "/".into()));
        assert_eq!(split_path("/"), (None, "/".into()));
        assert_eq!(
            split_path("Adele@Contoso.com"),
            (Some("adele@contoso.com".into()), "/".into())
        );
        assert_eq!(
            split_path("adele@contoso.com/Inbox/Projects/"),
            (Some("adele@contoso.com".into()), "/Inbox/Projects".into())
        );
    }
}
