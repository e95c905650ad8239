//! Drives, drive items, versions and permissions as Graph v1.0 returns them
//! (shapes follow the CSDL schema: `drive`, `driveItem`, `driveItemVersion`,
//! `permission`).

use serde_json::{Map, Value, json};

use super::{Drive, Stats};
use crate::graph::render::ts;

/// How an item is rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// GET item, children: with `parentReference.path`.
    Full,
    /// Delta: `parentReference` without `path`.
    Delta,
}

fn identity(d: &Drive, p: usize) -> Value {
    match d.people.get(p) {
        Some(p) => json!({"user": {"email": p.email, "id": p.id, "displayName": p.name}}),
        None => json!({"user": {"displayName": "System Account"}}),
    }
}

/// The `parentReference` of item `i` (none for the root).
pub fn parent_reference(d: &Drive, i: usize, form: Form) -> Value {
    let mut r = Map::new();
    r.insert("driveType".into(), json!(d.kind.as_str()));
    r.insert("driveId".into(), json!(d.id));
    if let Some(p) = d.items[i].parent {
        r.insert("id".into(), json!(d.items[p].id));
        if form == Form::Full {
            let parent_path = d.path(p);
            let path = if p == 0 {
                format!("/drives/{}/root:", d.id)
            } else {
                format!("/drives/{}/root:{parent_path}", d.id)
            };
            r.insert(
                "name".into(),
                json!(if p == 0 {
                    "root"
                } else {
                    d.items[p].name.as_str()
                }),
            );
            r.insert("path".into(), json!(path));
        }
    }
    r.insert("siteId".into(), json!(d.site_id));
    Value::Object(r)
}

/// The `eTag` of item `i`.
pub fn etag(d: &Drive, i: usize) -> String {
    let it = &d.items[i];
    format!(
        "\"{{{}}},{}\"",
        it.unique.to_string().to_uppercase(),
        it.etag
    )
}

/// Item `i`; `download` is the pre-authenticated URL of a file's content.
pub fn item(d: &Drive, stats: &Stats, i: usize, form: Form, download: Option<String>) -> Value {
    let it = &d.items[i];
    let mut v = Map::new();
    if let Some(url) = download {
        v.insert("@microsoft.graph.downloadUrl".into(), json!(url));
    }
    v.insert("createdDateTime".into(), json!(ts(it.created)));
    v.insert("eTag".into(), json!(etag(d, i)));
    v.insert("id".into(), json!(it.id));
    v.insert("lastModifiedDateTime".into(), json!(ts(it.modified)));
    v.insert(
        "name".into(),
        json!(if i == 0 { "root" } else { it.name.as_str() }),
    );
    let web_url = if i == 0 {
        d.web_url.clone()
    } else {
        format!("{}{}", d.web_url, super::ids::url_path(&d.path(i)))
    };
    v.insert("webUrl".into(), json!(web_url));
    v.insert(
        "cTag".into(),
        json!(format!(
            "\"c:{{{}}},{}\"",
            it.unique.to_string().to_uppercase(),
            it.ctag
        )),
    );
    v.insert("size".into(), json!(stats.size[i]));
    v.insert("createdBy".into(), identity(d, it.created_by));
    v.insert("lastModifiedBy".into(), identity(d, it.modified_by));
    v.insert("parentReference".into(), parent_reference(d, i, form));
    v.insert(
        "fileSystemInfo".into(),
        json!({"createdDateTime": ts(it.fs_created), "lastModifiedDateTime": ts(it.fs_modified)}),
    );
    match &it.file {
        Some(f) => {
            let (mime, _) = super::names::mime(&it.name);
            let mut file = Map::new();
            file.insert("mimeType".into(), json!(mime));
            if let Some(dg) = f.content.hashes_for_render() {
                file.insert("hashes".into(), json!({"quickXorHash": dg.quick_xor}));
            }
            v.insert("file".into(), Value::Object(file));
        }
        None => {
            v.insert("folder".into(), json!({"childCount": stats.child_count[i]}));
        }
    }
    if i == 0 {
        v.insert("root".into(), json!({}));
    }
    if let Some(s) = &it.sharing {
        v.insert(
            "shared".into(),
            json!({"owner": identity(d, 0), "scope": s.scope, "sharedDateTime": ts(s.when), "sharedBy": identity(d, 0)}),
        );
    }
    Value::Object(v)
}

/// A deleted item, as delta reports it.
pub fn deleted(d: &Drive, i: usize) -> Value {
    let it = &d.items[i];
    let mut v = json!({
        "id": it.id,
        "deleted": {"state": "deleted"},
        "parentReference": parent_reference(d, i, Form::Delta),
    });
    if it.file.is_some() {
        v["file"] = json!({});
    } else {
        v["folder"] = json!({});
    }
    v
}

/// The drive itself.
pub fn drive(d: &Drive, stats: &Stats) -> Value {
    let used = stats.size.first().copied().unwrap_or(0);
    let total: u64 = 1024 * 1024 * 1024 * 1024;
    json!({
        "createdDateTime": ts(d.created),
        "description": "",
        "id": d.id,
        "lastModifiedDateTime": ts(d.items.iter().map(|i| i.modified).max().unwrap_or(d.created)),
        "name": d.name,
        "webUrl": d.web_url,
        "driveType": d.kind.as_str(),
        "createdBy": {"user": {"displayName": "System Account"}},
        "lastModifiedBy": identity(d, 0),
        "owner": d.owner,
        "quota": {"deleted": 0, "remaining": total - used.min(total), "state": "normal", "total": total, "used": used},
    })
}

/// The versions of file `i`, current first (ids `n.0`).
pub fn versions(d: &Drive, i: usize) -> Vec<Value> {
    let it = &d.items[i];
    let Some(f) = &it.file else {
        return Vec::new();
    };
    let mut out = vec![json!({
        "id": format!("{}.0", f.number),
        "lastModifiedDateTime": ts(it.modified),
        "size": f.content.size(),
        "lastModifiedBy": identity(d, it.modified_by),
    })];
    for v in f.versions.iter().rev() {
        out.push(json!({
            "id": format!("{}.0", v.number),
            "lastModifiedDateTime": ts(v.modified),
            "size": v.content.size(),
            "lastModifiedBy": identity(d, v.modified_by),
        }));
    }
    out
}

fn permission_id(d: &Drive, i: usize, kind: &str) -> String {
    use base64::Engine;
    let raw = format!("{kind}|{}|{}", d.items[i].unique, d.list);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw.as_bytes())
}

fn user_identity(d: &Drive, p: usize) -> Value {
    let id = identity(d, p);
    json!({"user": id["user"].clone(), "siteUser": {
        "displayName": id["user"]["displayName"],
        "email": id["user"]["email"],
        "id": format!("{}", 7 + p),
        "loginName": format!("i:0#.f|membership|{}", id["user"]["email"].as_str().unwrap_or_default()),
    }})
}

/// The permissions of item `i`: the owner's, then those granted on it or on
/// an ancestor (with `inheritedFrom`).
pub fn permissions(d: &Drive, i: usize) -> Vec<Value> {
    let mut out = vec![json!({
        "id": permission_id(d, 0, "owner"),
        "roles": ["owner"],
        "grantedToV2": user_identity(d, 0),
        "grantedTo": identity(d, 0),
        "shareId": permission_id(d, 0, "owner"),
    })];
    let mut cur = Some(i);
    while let Some(c) = cur {
        if let Some(s) = &d.items[c].sharing {
            let inherited = (c != i).then(|| {
                json!({"driveId": d.id, "driveType": d.kind.as_str(), "id": d.items[c].id, "path": format!("/drives/{}/root:{}", d.id, d.path(c))})
            });
            let mut grants = Vec::new();
            if let Some(g) = s.grantee {
                grants.push(json!({
                    "id": permission_id(d, c, "user"),
                    "roles": ["write"],
                    "grantedToV2": user_identity(d, g),
                    "grantedTo": identity(d, g),
                }));
            }
            if let Some(kind) = s.link {
                let token = permission_id(d, c, "link");
                grants.push(json!({
                    "id": token,
                    "roles": [if kind == "edit" { "write" } else { "read" }],
                    "hasPassword": false,
                    "shareId": format!("u!{token}"),
                    "link": {
                        "type": kind,
                        "scope": s.scope,
                        "preventsDownload": false,
                        "webUrl": format!("{}/:f:/g/{token}", d.web_url),
                    },
                    "grantedToIdentitiesV2": [],
                }));
            }
            for mut g in grants {
                if let Some(from) = &inherited {
                    g["inheritedFrom"] = from.clone();
                }
                out.push(g);
            }
        }
        cur = d.items[c].parent;
    }
    out
}
