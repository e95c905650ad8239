//! The directory: users, groups and distribution lists, and who were their members
//! and owners, so that "who was in this list on that day" has an answer, and a
//! group's membership can be put back as it was ([`restore_membership`]).
//!
//! Every run reads the directory whole (a few requests per group) and stores, in
//! resource `directory`: a `user` and a `group` record per object (canonical JSON),
//! and a `membership` record per group, `{"group", "members", "owners"}` with
//! members and owners sorted by id. Unchanged content is deduplicated, so a run
//! costs little space.

use std::collections::BTreeMap;

use futures::StreamExt;
use graph::{GraphClient, GraphError};
use serde::Serialize;
use serde_json::{Value, json};
use store::manifest::FailedItem;
use store::{ItemInfo, ItemRecord, Repository};
use time::OffsetDateTime;

use crate::context::{Progress, RunContext, strip_annotations};
use crate::error::EngineError;
use crate::exchange::collection::{canonical_json, id_segment, segment};

/// The resource name of the directory in the repository.
pub const DIRECTORY: &str = "directory";

const USER_SELECT: &str =
    "id,displayName,userPrincipalName,mail,accountEnabled,userType,jobTitle,department";
const GROUP_SELECT: &str = "id,displayName,mail,mailEnabled,securityEnabled,groupTypes,\
resourceProvisioningOptions,visibility,description";

/// A group's (members, owners).
type Roster = (Vec<Value>, Vec<Value>);

/// What the directory's task produced.
#[derive(Debug, Default)]
pub(crate) struct DirectoryOutcome {
    pub items: u64,
    pub failed: Vec<FailedItem>,
}

/// A member or owner as a membership record keeps it.
fn member(v: &Value) -> Value {
    let mut out = json!({});
    for key in [
        "@odata.type",
        "id",
        "displayName",
        "userPrincipalName",
        "mail",
    ] {
        if let Some(x) = v.get(key).filter(|x| !x.is_null()) {
            out[key] = x.clone();
        }
    }
    out
}

fn sorted_members(rows: Vec<Value>) -> Vec<Value> {
    let mut m: Vec<Value> = rows.iter().map(member).collect();
    m.sort_by(|a, b| {
        let id = |v: &Value| {
            v.get("id")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        id(a).cmp(&id(b))
    });
    m
}

async fn store(
    ctx: &RunContext,
    kind: &str,
    id: &str,
    path: String,
    meta: Value,
    content: &Value,
) -> Result<ItemRecord, EngineError> {
    let bytes = canonical_json(content);
    let mut item = ctx.writer.item(ItemInfo {
        resource: DIRECTORY.into(),
        kind: kind.into(),
        id: id.to_owned(),
        path,
        modified: None,
        meta,
    });
    item.write(&bytes).await?;
    Progress::add(&ctx.progress.items_read, 1);
    Ok(item.finish_unlisted().await?)
}

/// Backs up the directory.
pub(crate) async fn backup_directory(ctx: &RunContext) -> Result<DirectoryOutcome, EngineError> {
    let graph = &ctx.graph;
    let mut out = DirectoryOutcome::default();
    let mut records: BTreeMap<(String, String), ItemRecord> = BTreeMap::new();
    let fail = |out: &mut DirectoryOutcome, id: &str, e: &GraphError| {
        tracing::warn!(id, error = %e, "directory: could not be read; the next run retries it");
        Progress::add(&ctx.progress.failed, 1);
        out.failed.push(FailedItem {
            resource: DIRECTORY.into(),
            id: id.to_owned(),
            error: e.to_string(),
        });
    };
    match graph
        .get_all::<Value>(&format!("/users?$select={USER_SELECT}&$top=999"), &[])
        .await
    {
        Ok(users) => {
            for u in users {
                let u = strip_annotations(u);
                let Some(id) = u.get("id").and_then(Value::as_str).map(str::to_owned) else {
                    continue;
                };
                let name = u
                    .get("userPrincipalName")
                    .and_then(Value::as_str)
                    .unwrap_or(&id)
                    .to_ascii_lowercase();
                let meta = json!({"displayName": u.get("displayName"), "userPrincipalName": name});
                let r = store(
                    ctx,
                    "user",
                    &id,
                    format!("/users/{}", segment(&name)),
                    meta,
                    &u,
                )
                .await?;
                records.insert(("user".into(), id), r);
            }
        }
        Err(e) => fail(&mut out, "users", &e),
    }
    let groups = match graph
        .get_all::<Value>(&format!("/groups?$select={GROUP_SELECT}&$top=999"), &[])
        .await
    {
        Ok(g) => g,
        Err(e) => {
            fail(&mut out, "groups", &e);
            Vec::new()
        }
    };
    let read: Vec<(Value, Result<Roster, GraphError>)> =
        futures::stream::iter(groups.into_iter().map(strip_annotations))
            .map(|g| async move {
                let id = g.get("id").and_then(Value::as_str).unwrap_or_default();
                let r = members_and_owners(graph, id).await;
                (g, r)
            })
            .buffer_unordered(4)
            .collect()
            .await;
    for (g, members) in read {
        let Some(id) = g.get("id").and_then(Value::as_str).map(str::to_owned) else {
            continue;
        };
        let name = g
            .get("displayName")
            .and_then(Value::as_str)
            .unwrap_or(&id)
            .to_owned();
        let path = format!("/groups/{}", segment(&name));
        let meta = json!({"displayName": name, "mail": g.get("mail")});
        let r = store(ctx, "group", &id, path.clone(), meta, &g).await?;
        records.insert(("group".into(), id.clone()), r);
        match members {
            Ok((members, owners)) => {
                let content = json!({
                    "group": {"id": id, "displayName": name},
                    "members": members,
                    "owners": owners,
                });
                let meta = json!({
                    "groupId": id,
                    "displayName": name,
                    "members": members.len(),
                    "owners": owners.len(),
                });
                let r = store(ctx, "membership", &id, path, meta, &content).await?;
                records.insert(("membership".into(), id), r);
            }
            Err(e) => fail(&mut out, &format!("membership:{id}"), &e),
        }
    }
    out.items = records.len() as u64;
    let lines: Vec<(Vec<u8>, u64)> = records.values().map(|r| (r.to_line(), r.size)).collect();
    ctx.writer
        .add_lines(lines.iter().map(|(l, s)| (l.as_slice(), *s)))
        .await?;
    Progress::add(&ctx.progress.resources_done, 1);
    tracing::info!(
        records = out.items,
        failed = out.failed.len(),
        "directory backed up"
    );
    Ok(out)
}

async fn members_and_owners(graph: &GraphClient, group: &str) -> Result<Roster, GraphError> {
    let g = id_segment(group);
    let members = graph
        .get_all::<Value>(&format!("/groups/{g}/members?$top=999"), &[])
        .await?;
    let owners = graph
        .get_all::<Value>(&format!("/groups/{g}/owners?$top=999"), &[])
        .await?;
    Ok((sorted_members(members), sorted_members(owners)))
}

/// A group's members and owners as a backup saw them.
#[derive(Debug, Clone, Serialize)]
pub struct Membership {
    /// The group's id.
    pub id: String,
    /// Its display name.
    pub display_name: String,
    /// Its mail address, if it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mail: Option<String>,
    /// Direct members: `{"id", "displayName", "userPrincipalName"|"mail", "@odata.type"}`.
    pub members: Vec<Value>,
    /// Owners, likewise.
    pub owners: Vec<Value>,
}

/// The directory as of a run.
#[derive(Debug, Clone, Serialize)]
pub struct DirectorySnapshot {
    /// The run it comes from.
    pub run_id: String,
    /// When that run began.
    #[serde(with = "time::serde::rfc3339")]
    pub taken_at: OffsetDateTime,
    /// Users.
    pub users: u64,
    /// Groups, with their members and owners, by display name.
    pub groups: Vec<Membership>,
}

/// Whether `group` (id, mail or display name, case-insensitive) names `m`.
fn names(m: &Membership, group: &str) -> bool {
    m.id.eq_ignore_ascii_case(group)
        || m.display_name.eq_ignore_ascii_case(group)
        || m.mail
            .as_deref()
            .is_some_and(|x| x.eq_ignore_ascii_case(group))
}

/// The directory as the last run that backed it up and had finished by `at` saw it
/// (only `group`, when given).
pub async fn snapshot_at(
    repo: &Repository,
    catalog: &dyn catalog::Catalog,
    at: OffsetDateTime,
    group: Option<&str>,
) -> Result<DirectorySnapshot, EngineError> {
    let runs = catalog
        .list_runs(&catalog::RunFilter {
            repository_id: Some(repo.config().id.to_hex()),
            ..catalog::RunFilter::default()
        })
        .await?;
    let mut candidates: Vec<_> = runs
        .into_iter()
        .filter(|r| r.manifest_id.is_some() && r.finished_at.is_some_and(|f| f <= at))
        .collect();
    candidates.sort_by_key(|r| std::cmp::Reverse(r.finished_at));
    for run in candidates {
        let Some(hex) = run.manifest_id.as_deref() else {
            continue;
        };
        let Ok(id) = hex.parse::<store::ManifestId>() else {
            continue;
        };
        let manifest = repo.read_manifest(id).await?;
        let mut memberships = Vec::new();
        let mut groups: BTreeMap<String, Value> = BTreeMap::new();
        let mut users = 0u64;
        let mut items = repo.items(&manifest);
        while let Some(r) = items.next().await? {
            if r.resource != DIRECTORY || r.deleted.is_some() {
                continue;
            }
            match r.kind.as_str() {
                "membership" => memberships.push(r),
                "group" => {
                    groups.insert(r.id.clone(), r.meta.clone());
                }
                "user" => users += 1,
                _ => {}
            }
        }
        if memberships.is_empty() && users == 0 {
            continue; // this run did not back up the directory
        }
        let mut out = Vec::new();
        for r in memberships {
            let mut bytes = Vec::new();
            repo.restore_item(&r, &mut bytes).await?;
            let content: Value = serde_json::from_slice(&bytes).unwrap_or_default();
            let list = |k: &str| {
                content
                    .get(k)
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default()
            };
            let meta = groups.get(&r.id);
            let m = Membership {
                display_name: r
                    .meta
                    .get("displayName")
                    .and_then(Value::as_str)
                    .unwrap_or(&r.id)
                    .to_owned(),
                mail: meta
                    .and_then(|g| g.get("mail"))
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                members: list("members"),
                owners: list("owners"),
                id: r.id,
            };
            if group.is_none_or(|g| names(&m, g)) {
                out.push(m);
            }
        }
        if let Some(g) = group
            && out.is_empty()
        {
            return Err(EngineError::NotFound(format!(
                "no group '{g}' in the directory backed up by run {} ({}); `m365vault directory show --at TIME` lists the groups",
                run.id, run.started_at
            )));
        }
        out.sort_by(|a, b| {
            a.display_name
                .to_lowercase()
                .cmp(&b.display_name.to_lowercase())
        });
        return Ok(DirectorySnapshot {
            run_id: run.id,
            taken_at: run.started_at,
            users,
            groups: out,
        });
    }
    Err(EngineError::NotFound(format!(
        "no backup of the directory had finished by {at}; back it up with `m365vault backup run --data directory`"
    )))
}

/// What a membership restore changed (or, dry, would change).
#[derive(Debug, Clone, Default, Serialize)]
pub struct MembershipChanges {
    /// The group.
    pub group: String,
    /// The run whose membership was restored.
    pub run_id: String,
    /// Members added, by id.
    pub members_added: Vec<String>,
    /// Members removed, by id.
    pub members_removed: Vec<String>,
    /// Owners added, by id.
    pub owners_added: Vec<String>,
    /// Owners removed, by id.
    pub owners_removed: Vec<String>,
    /// What Graph refused: (id, error).
    pub failed: Vec<(String, String)>,
    /// Nothing was changed (a dry run).
    pub dry_run: bool,
}

fn ids(list: &[Value]) -> Vec<String> {
    list.iter()
        .filter_map(|v| v.get("id").and_then(Value::as_str).map(str::to_owned))
        .collect()
}

/// Puts the members and owners of `group` back as they were in the last backup at
/// or before `at`: adds who is missing, removes who was not there then.
pub async fn restore_membership(
    graph: &GraphClient,
    repo: &Repository,
    catalog: &dyn catalog::Catalog,
    group: &str,
    at: OffsetDateTime,
    dry_run: bool,
) -> Result<MembershipChanges, EngineError> {
    let snap = snapshot_at(repo, catalog, at, Some(group)).await?;
    let Some(then) = snap.groups.into_iter().next() else {
        return Err(EngineError::NotFound(format!(
            "no group '{group}' in the backup"
        )));
    };
    let (members_now, owners_now) = members_and_owners(graph, &then.id).await?;
    let mut changes = MembershipChanges {
        group: then.display_name.clone(),
        run_id: snap.run_id,
        dry_run,
        ..MembershipChanges::default()
    };
    let g = id_segment(&then.id);
    for (relation, was, now) in [
        ("owners", ids(&then.owners), ids(&owners_now)),
        ("members", ids(&then.members), ids(&members_now)),
    ] {
        let add: Vec<String> = was.iter().filter(|id| !now.contains(id)).cloned().collect();
        let remove: Vec<String> = now.iter().filter(|id| !was.contains(id)).cloned().collect();
        for id in &add {
            if dry_run {
                continue;
            }
            let body = json!({
                "@odata.id": format!("{}directoryObjects/{}", graph.url(""), id_segment(id))
            });
            let r = graph
                .send(
                    reqwest::Method::POST,
                    &format!("/groups/{g}/{relation}/$ref"),
                    Some(&body),
                    &[],
                )
                .await;
            if let Err(e) = r {
                changes.failed.push((id.clone(), e.to_string()));
            }
        }
        for id in &remove {
            if dry_run {
                continue;
            }
            let r = graph
                .delete(&format!("/groups/{g}/{relation}/{}/$ref", id_segment(id)))
                .await;
            if let Err(e) = r {
                changes.failed.push((id.clone(), e.to_string()));
            }
        }
        let failed: Vec<&String> = changes.failed.iter().map(|(id, _)| id).collect();
        let done = |v: Vec<String>| -> Vec<String> {
            v.into_iter().filter(|id| !failed.contains(&id)).collect()
        };
        if relation == "owners" {
            changes.owners_added = done(add);
            changes.owners_removed = done(remove);
        } else {
            changes.members_added = done(add);
            changes.members_removed = done(remove);
        }
    }
    Ok(changes)
}
