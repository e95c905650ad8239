//! Generates a drive's folders and files from the tenant's seed and the
//! drive's GUIDs: sizes scaled by `SimConfig.drive_scale`, some files with
//! older versions, some exact duplicates of others, some shared items, and in
//! some drives a folder chain more than ten levels deep.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde_json::json;
use time::{Duration, OffsetDateTime};

use super::content::Blob;
use super::names::{EXTENSIONS, FOLDERS, STEMS};
use super::{Drive, DriveKind, FileData, Item, Person, Sharing, Version};
use crate::mailbox::{ChangeLog, Seqs};
use crate::seed::Seed;
use crate::site::{SiteInfo, SiteKind};
use crate::state::SimState;
use crate::tenant::{MemberRef, Tenant};

/// A person as drives name them.
pub fn person(t: &Tenant, u: usize) -> Person {
    let user = &t.users[u];
    Person {
        name: user.display_name.clone(),
        email: user
            .mail
            .clone()
            .unwrap_or_else(|| user.user_principal_name.clone()),
        id: user.id.to_string(),
    }
}

fn people(t: &Tenant, site: &SiteInfo) -> Vec<Person> {
    let mut users: Vec<usize> = match site.kind {
        SiteKind::Personal(u) => vec![u],
        SiteKind::Team(g) => {
            let mut v = t.groups[g].owners.clone();
            v.extend(t.groups[g].members.iter().filter_map(|m| match m {
                MemberRef::User(u) => Some(*u),
                MemberRef::Group(_) => None,
            }));
            v
        }
        _ => Vec::new(),
    };
    // Colleagues: a few more people of the tenant (grantees, editors).
    users.extend(
        (0..t.users.len())
            .filter(|&u| t.users[u].deleted_seq.is_none())
            .take(8),
    );
    users.dedup();
    let mut seen = Vec::new();
    users.retain(|u| {
        let new = !seen.contains(u);
        seen.push(*u);
        new
    });
    users.into_iter().map(|u| person(t, u)).collect()
}

/// A size in bytes, log-uniform between `lo` and `hi`.
fn log_uniform(rng: &mut ChaCha8Rng, lo: f64, hi: f64) -> u64 {
    let (a, b) = (lo.max(1.0).ln(), hi.max(lo + 1.0).ln());
    rng.random_range(a..b).exp() as u64
}

/// A file size: mostly 1 KB–2 MB, some 5–50 MB, rare 100–500 MB at scale 1;
/// smaller scales shrink them (tests get small files).
pub fn file_size(rng: &mut ChaCha8Rng, scale: f64) -> u64 {
    let f = scale.clamp(0.0, 1.0);
    let r: f64 = rng.random();
    let mb = 1024.0 * 1024.0;
    if r < 0.82 {
        log_uniform(rng, 1024.0, (2.0 * mb * f).max(16.0 * 1024.0))
    } else if r < 0.99 {
        log_uniform(rng, 5.0 * mb * f * f, 50.0 * mb * f * f).max(1)
    } else {
        log_uniform(rng, 100.0 * mb * f * f, 500.0 * mb * f * f).max(1)
    }
}

/// A file name of `stem` (or a drawn one) with a drawn extension.
pub fn file_name(rng: &mut ChaCha8Rng) -> String {
    let stem = STEMS[rng.random_range(0..STEMS.len())];
    let (ext, _, _) = EXTENSIONS[rng.random_range(0..EXTENSIONS.len())];
    format!("{stem}.{ext}")
}

/// `name` made unique among the children of `parent`: `name 1.ext`, `name 2.ext`…
pub fn unique_name(d: &Drive, parent: usize, name: &str) -> String {
    if d.child(parent, name).is_none() {
        return name.to_owned();
    }
    let (stem, ext) = match name.rsplit_once('.') {
        Some((s, e)) if !s.is_empty() => (s, format!(".{e}")),
        _ => (name, String::new()),
    };
    (1..)
        .map(|n| format!("{stem} {n}{ext}"))
        .find(|candidate| d.child(parent, candidate).is_none())
        .unwrap_or_else(|| name.to_owned())
}

/// A new item (ids are set by [`Drive::push`]).
pub fn blank(name: &str, parent: Option<usize>, at: OffsetDateTime, by: usize) -> Item {
    Item {
        id: String::new(),
        unique: model::Guid::from_bytes([0; 16]),
        list_item: 0,
        name: name.to_owned(),
        parent,
        file: None,
        created: at,
        modified: at,
        fs_created: at,
        fs_modified: at,
        created_by: by,
        modified_by: by,
        etag: 1,
        ctag: 1,
        seqs: Seqs::default(),
        sharing: None,
    }
}

/// A content seed unique to (drive, serial).
pub fn content_seed(d: &Drive, n: u64) -> u64 {
    let b = d.list.as_uuid().as_bytes();
    let mut x = [0u8; 8];
    x.copy_from_slice(&b[..8]);
    super::content::mix(u64::from_le_bytes(x), n)
}

/// Generates drive `library` of site `site`.
pub fn drive(state: &SimState, site_index: usize, library: usize) -> Drive {
    let (site, lib) = {
        let catalog = state.sites.catalog(state);
        let site = catalog.sites[site_index].clone();
        let lib = site.libraries[library].clone();
        (site, lib)
    };
    let t = state.tenant();
    let scale = state.config.drive_scale;
    let s = Seed(t.seed);
    let mut rng = s.rng(&format!("drive:{}", lib.list), 0);
    let personal = site.personal();
    let people = people(&t, &site);
    let owner = match site.kind {
        SiteKind::Personal(u) => {
            let p = person(&t, u);
            json!({"user": {"displayName": p.name, "email": p.email, "id": p.id}})
        }
        SiteKind::Team(g) => json!({"group": {
            "displayName": t.groups[g].display_name,
            "email": format!("{}@{}", t.groups[g].mail_nickname, t.domain),
            "id": t.groups[g].id.to_string(),
        }}),
        _ => json!({"user": {"displayName": "System Account"}}),
    };
    drop(t);
    let anchor = state.now();
    let start = lib.created.min(anchor - Duration::days(2));
    let mut d = Drive {
        id: lib.drive_id.clone(),
        site: site_index,
        site_id: site.id(),
        library,
        list: lib.list,
        kind: if personal {
            DriveKind::Business
        } else {
            DriveKind::DocumentLibrary
        },
        name: if personal {
            "OneDrive".into()
        } else {
            lib.name.clone()
        },
        web_url: format!("{}/{}", site.web_url(), super::ids::url_path(&lib.url_name)),
        owner,
        created: start,
        people,
        seq: 0,
        serial: 0,
        items: Vec::new(),
        log: ChangeLog::default(),
        by_id: Default::default(),
    };
    let mut root = blank("root", None, start, 0);
    root.fs_created = start;
    d.push(root);
    if lib.empty {
        return d;
    }
    let span = (anchor - start).whole_minutes().max(60);
    let when = |rng: &mut ChaCha8Rng| start + Duration::minutes(rng.random_range(0..span));
    let base = if personal {
        log_uniform(&mut rng, 50.0, 2000.0) as f64
    } else {
        log_uniform(&mut rng, 20.0, 800.0) as f64
    };
    let files = ((base * scale).round() as usize).max(3);
    let folders = (files / 8).max(1);
    let mut dirs = vec![0usize];
    for _ in 0..folders {
        let parent = dirs[rng.random_range(0..dirs.len())];
        let name = unique_name(&d, parent, FOLDERS[rng.random_range(0..FOLDERS.len())]);
        let at = when(&mut rng);
        let by = rng.random_range(0..d.people.len().max(1));
        let i = d.push(blank(&name, Some(parent), at, by));
        dirs.push(i);
    }
    // Some drives have a chain of folders more than ten levels deep.
    if rng.random_bool(0.4) {
        let mut parent = 0;
        for level in 0..rng.random_range(10..13) {
            let name = format!("Level {level} {}", FOLDERS[level % FOLDERS.len()]);
            let name = unique_name(&d, parent, &name);
            parent = d.push(blank(&name, Some(parent), when(&mut rng), 0));
        }
        dirs.push(parent);
    }
    let mut made: Vec<usize> = Vec::new();
    for k in 0..files {
        // The first file goes to the deepest folder made last, so deep paths hold files.
        let parent = if k == 0 {
            *dirs.last().unwrap_or(&0)
        } else {
            dirs[rng.random_range(0..dirs.len())]
        };
        let name = unique_name(&d, parent, &file_name(&mut rng));
        let (_, text) = super::names::mime(&name);
        let created = when(&mut rng);
        let modified = created
            + Duration::minutes(rng.random_range(0..(anchor - created).whole_minutes().max(1)));
        let by = rng.random_range(0..d.people.len().max(1));
        let duplicate = !made.is_empty() && rng.random_bool(0.04);
        let content = if duplicate {
            let of = made[rng.random_range(0..made.len())];
            d.items[of].file.as_ref().map(|f| f.content.clone())
        } else {
            None
        };
        // A duplicate shares its original's bytes (and digests).
        let content = content.unwrap_or_else(|| {
            let size = file_size(&mut rng, scale);
            let seed = content_seed(&d, d.serial + 1_000_000 + k as u64);
            Blob::generated(seed, size, text)
        });
        let mut versions = Vec::new();
        if rng.random_bool(0.15) {
            let count = rng.random_range(1..=5u32);
            for v in 0..count {
                let size = (content.size() as f64 * rng.random_range(0.8..1.2)) as u64;
                let seed = content_seed(&d, (k as u64 + 1) * 1000 + u64::from(v) + 7_000_000);
                versions.push(Version {
                    number: v + 1,
                    content: Blob::generated(seed, size.max(1), text),
                    modified: created
                        + (modified - created) * f64::from(v + 1) / f64::from(count + 1),
                    modified_by: rng.random_range(0..d.people.len().max(1)),
                });
            }
        }
        let number = versions.len() as u32 + 1;
        let mut item = blank(&name, Some(parent), created, by);
        item.modified = modified;
        item.fs_modified = modified;
        item.modified_by = rng.random_range(0..d.people.len().max(1));
        item.etag = number;
        item.ctag = number;
        item.file = Some(FileData {
            content,
            number,
            versions,
        });
        let i = d.push(item);
        made.push(i);
    }
    // Sharing: some folders and files.
    let candidates: Vec<usize> = (1..d.items.len()).collect();
    let shares = (candidates.len() / 12).max(1);
    for _ in 0..shares {
        let i = candidates[rng.random_range(0..candidates.len())];
        let scope = ["users", "organization", "anonymous"][rng.random_range(0..3)];
        let grantee = (d.people.len() > 1).then(|| rng.random_range(1..d.people.len()));
        d.items[i].sharing = Some(Sharing {
            scope,
            grantee,
            link: (scope != "users").then(|| if rng.random_bool(0.5) { "view" } else { "edit" }),
            when: d.items[i].modified,
        });
    }
    d
}
