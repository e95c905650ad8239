//! `POST /_sim/mutate` for kinds `file` and `listItem`: files added, modified
//! (a new version), moved (keeping their ids; now and then a folder is renamed
//! instead, which changes its descendants' paths without delta reporting them)
//! and deleted; list items added, modified and deleted.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::content::Blob;
use super::generate::{content_seed, file_name, file_size, unique_name};
use super::ops::{Conflict, FsInfo};
use super::{Drive, lock};
use crate::site;
use crate::state::SimState;

/// What to change.
#[derive(Debug, Clone, Copy)]
pub struct Plan<'a> {
    /// Chooses the changes.
    pub seed: u64,
    /// Items to add.
    pub add: usize,
    /// Items to modify.
    pub modify: usize,
    /// Files to move.
    pub moves: usize,
    /// Items to delete.
    pub delete: usize,
    /// Users whose OneDrives change.
    pub users: Option<&'a [String]>,
    /// Sites whose libraries (or lists) change.
    pub sites: Option<&'a [String]>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Add,
    Modify,
    Move,
    Delete,
}

impl Op {
    fn name(self) -> &'static str {
        match self {
            Op::Add => "add",
            Op::Modify => "modify",
            Op::Move => "move",
            Op::Delete => "delete",
        }
    }
}

fn ops(plan: &Plan<'_>) -> [(Op, usize); 4] {
    [
        (Op::Add, plan.add),
        (Op::Modify, plan.modify),
        (Op::Move, plan.moves),
        (Op::Delete, plan.delete),
    ]
}

fn pick(rng: &mut ChaCha8Rng, live: &[usize]) -> Option<usize> {
    (!live.is_empty()).then(|| live[rng.random_range(0..live.len())])
}

/// The drives a plan changes, each with what the answer names it by.
fn targets(state: &SimState, plan: &Plan<'_>) -> Result<Vec<(String, Value)>, String> {
    let catalog = state.sites.catalog(state);
    let t = state.tenant();
    let mut out = Vec::new();
    let everything = plan.users.is_none() && plan.sites.is_none();
    for (i, s) in catalog.sites.iter().enumerate() {
        let wanted = match s.kind {
            site::SiteKind::Personal(u) => {
                let upn = &t.users[u].user_principal_name;
                everything
                    || plan.users.is_some_and(|keys| {
                        keys.iter().any(|k| {
                            k.eq_ignore_ascii_case(upn)
                                || k.eq_ignore_ascii_case(&t.users[u].id.to_string())
                        })
                    })
            }
            _ => {
                everything
                    || plan
                        .sites
                        .is_some_and(|keys| keys.iter().any(|k| catalog.find(k) == Some(i)))
            }
        };
        if !wanted {
            continue;
        }
        let who = match s.kind {
            site::SiteKind::Personal(u) => json!({"user": t.users[u].user_principal_name}),
            _ => json!({"site": s.id()}),
        };
        for lib in &s.libraries {
            out.push((lib.drive_id.clone(), who.clone()));
        }
    }
    if let Some(keys) = plan.users {
        for k in keys {
            let known = t
                .user(k)
                .and_then(|(u, _)| catalog.personal_site(u))
                .is_some();
            if !known {
                return Err(format!("'{k}' is not a user with a OneDrive"));
            }
        }
    }
    Ok(out)
}

/// Changes files; the answer lists each change.
pub fn files(state: &SimState, plan: &Plan<'_>, now: OffsetDateTime) -> Result<Vec<Value>, String> {
    let drives = targets(state, plan)?;
    let mut changes = Vec::new();
    if drives.is_empty() {
        return Ok(changes);
    }
    let mut rng = ChaCha8Rng::seed_from_u64(plan.seed ^ 0xF11E);
    for (op, count) in ops(plan) {
        for _ in 0..count {
            let start = rng.random_range(0..drives.len());
            for k in 0..drives.len() {
                let (id, who) = &drives[(start + k) % drives.len()];
                let Ok(drive) = state.drives.get(state, id) else {
                    continue;
                };
                let mut d = lock(&drive);
                if let Some(mut change) =
                    apply_file(&mut d, op, &mut rng, now, state.config.drive_scale)
                {
                    if let (Value::Object(c), Value::Object(w)) = (&mut change, who) {
                        c.extend(w.clone());
                    }
                    change["drive"] = json!(id);
                    change["kind"] = json!("file");
                    change["op"] = json!(op.name());
                    changes.push(change);
                    break;
                }
            }
        }
    }
    Ok(changes)
}

fn apply_file(
    d: &mut Drive,
    op: Op,
    rng: &mut ChaCha8Rng,
    now: OffsetDateTime,
    scale: f64,
) -> Option<Value> {
    let live = |d: &Drive, files: bool| -> Vec<usize> {
        (1..d.items.len())
            .filter(|&i| d.items[i].seqs.live() && d.items[i].file.is_some() == files)
            .collect()
    };
    let mut folders = live(d, false);
    folders.push(0);
    match op {
        Op::Add => {
            let parent = pick(rng, &folders)?;
            let name = unique_name(d, parent, &file_name(rng));
            let (_, text) = super::names::mime(&name);
            let seed = content_seed(d, d.serial + 9_000_000 + rng.random_range(0..1_000_000));
            let content = Blob::generated(seed, file_size(rng, scale), text);
            let (i, _) = d
                .write_file(
                    parent,
                    &name,
                    content,
                    Conflict::Rename,
                    now,
                    FsInfo::default(),
                )
                .ok()?;
            Some(json!({"id": d.items[i].id, "path": d.path(i)}))
        }
        Op::Modify => {
            let i = pick(rng, &live(d, true))?;
            let (_, text) = super::names::mime(&d.items[i].name);
            let seed = content_seed(d, d.serial + 20_000_000 + rng.random_range(0..1_000_000));
            let content = Blob::generated(seed, file_size(rng, scale), text);
            d.replace_content(i, content, now, FsInfo::default());
            Some(json!({"id": d.items[i].id, "path": d.path(i)}))
        }
        Op::Move => {
            let renamable: Vec<usize> = folders.iter().copied().filter(|&f| f != 0).collect();
            if !renamable.is_empty() && rng.random_bool(0.25) {
                // Rename a folder: its descendants' paths change, delta reports only it.
                let f = pick(rng, &renamable)?;
                let previous = d.path(f);
                let parent = d.items[f].parent.unwrap_or(0);
                let name = unique_name(d, parent, &format!("{} (renamed)", d.items[f].name));
                d.update(f, Some(&name), None, FsInfo::default(), now)
                    .ok()?;
                return Some(
                    json!({"id": d.items[f].id, "path": d.path(f), "previousPath": previous, "folder": true}),
                );
            }
            let i = pick(rng, &live(d, true))?;
            let from = d.items[i].parent.unwrap_or(0);
            let targets: Vec<usize> = folders.iter().copied().filter(|&f| f != from).collect();
            let to = pick(rng, &targets)?;
            let previous = d.path(i);
            let name = unique_name(d, to, &d.items[i].name.clone());
            d.update(i, Some(&name), Some(to), FsInfo::default(), now)
                .ok()?;
            Some(json!({"id": d.items[i].id, "path": d.path(i), "previousPath": previous}))
        }
        Op::Delete => {
            let i = pick(rng, &live(d, true))?;
            let path = d.path(i);
            d.delete(i);
            Some(json!({"id": d.items[i].id, "path": path}))
        }
    }
}

/// Changes list items (moves do not apply to them).
pub fn list_items(
    state: &SimState,
    plan: &Plan<'_>,
    now: OffsetDateTime,
) -> Result<Vec<Value>, String> {
    let sites: Vec<(usize, String)> = {
        let catalog = state.sites.catalog(state);
        match plan.sites {
            Some(keys) => keys
                .iter()
                .map(|k| {
                    catalog
                        .find(k)
                        .map(|i| (i, catalog.sites[i].id()))
                        .ok_or_else(|| format!("no site '{k}'"))
                })
                .collect::<Result<_, _>>()?,
            None if plan.users.is_some() => Vec::new(),
            None => catalog
                .sites
                .iter()
                .enumerate()
                .filter(|(_, s)| !s.personal())
                .map(|(i, s)| (i, s.id()))
                .collect(),
        }
    };
    let mut changes = Vec::new();
    if sites.is_empty() {
        return Ok(changes);
    }
    let people = state.tenant().users.len();
    let mut rng = ChaCha8Rng::seed_from_u64(plan.seed ^ 0x1157);
    for (op, count) in ops(plan) {
        if op == Op::Move {
            continue;
        }
        for _ in 0..count {
            let start = rng.random_range(0..sites.len());
            for k in 0..sites.len() {
                let (index, id) = &sites[(start + k) % sites.len()];
                let shared = state.sites.open(state, *index);
                let mut data = site::lock(&shared);
                if let Some(mut change) = apply_item(&mut data, op, &mut rng, now, people) {
                    change["site"] = json!(id);
                    change["kind"] = json!("listItem");
                    change["op"] = json!(op.name());
                    changes.push(change);
                    break;
                }
            }
        }
    }
    Ok(changes)
}

fn apply_item(
    data: &mut site::SiteData,
    op: Op,
    rng: &mut ChaCha8Rng,
    now: OffsetDateTime,
    people: usize,
) -> Option<Value> {
    let lists: Vec<usize> = (0..data.lists.len()).collect();
    let l = pick(rng, &lists)?;
    let list = &mut data.lists[l];
    let k = match op {
        Op::Add => {
            list.last_id += 1;
            let it = site::generate::item(list, list.last_id, rng, people, now);
            list.items.push(it);
            list.items.len() - 1
        }
        _ => {
            let live: Vec<usize> = (0..list.items.len())
                .filter(|&k| !list.items[k].deleted)
                .collect();
            let k = pick(rng, &live)?;
            if op == Op::Modify {
                let columns = list.columns.clone();
                let it = &mut list.items[k];
                match columns.get(rng.random_range(0..columns.len().max(1))) {
                    Some(c)
                        if !matches!(c.kind, site::ColumnKind::Person) && rng.random_bool(0.5) =>
                    {
                        let v = site::generate::value(rng, &c.kind, people, now);
                        it.values.insert(c.name.clone(), v);
                    }
                    _ => {
                        let title = it
                            .values
                            .get("Title")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_owned();
                        it.values
                            .insert("Title".into(), json!(format!("{title} (updated)")));
                    }
                }
                it.version += 1;
                it.modified = now;
            } else {
                list.items[k].deleted = true;
            }
            k
        }
    };
    list.modified = now;
    let it = &list.items[k];
    Some(json!({
        "id": it.id.to_string(),
        "list": list.guid.to_string(),
        "listName": list.display_name,
        "path": format!("/{}/{}", list.display_name, it.id),
    }))
}
