//! Sites, lists, columns and list items as Graph v1.0 returns them (shapes
//! follow the CSDL schema: `site`, `list`, `columnDefinition`, `listItem`,
//! `fieldValueSet`).

use serde_json::{Map, Value, json};

use super::{ColumnKind, List, SiteInfo};
use crate::graph::render::ts;
use crate::tenant::Tenant;

/// A site.
pub fn site(t: &Tenant, s: &SiteInfo) -> Value {
    let mut v = json!({
        "createdDateTime": ts(s.created),
        "description": s.description,
        "id": s.id(),
        "lastModifiedDateTime": ts(s.created),
        "name": s.name,
        "webUrl": s.web_url(),
        "displayName": s.display_name,
        "isPersonalSite": s.personal(),
        "siteCollection": {"hostname": s.hostname},
        "sharepointIds": {
            "siteId": s.collection.to_string(),
            "siteUrl": s.web_url(),
            "tenantId": t.id.to_string(),
            "webId": s.web.to_string(),
        },
    });
    if s.path.is_empty() {
        v["root"] = json!({});
        v["siteCollection"]["root"] = json!({});
    }
    v
}

fn system() -> Value {
    json!({"user": {"displayName": "System Account"}})
}

/// A person by user index (SharePoint's lookup ids are index + 7).
pub fn person(t: &Tenant, u: usize) -> Value {
    match t.users.get(u) {
        Some(user) => json!({"user": {
            "email": user.mail.clone().unwrap_or_else(|| user.user_principal_name.clone()),
            "id": user.id.to_string(),
            "displayName": user.display_name,
        }}),
        None => system(),
    }
}

/// A document library as a list (`template: documentLibrary`).
pub fn library(s: &SiteInfo, l: usize) -> Value {
    let lib = &s.libraries[l];
    json!({
        "@odata.etag": format!("\"{},1\"", lib.list),
        "createdDateTime": ts(lib.created),
        "description": "",
        "eTag": format!("\"{},1\"", lib.list),
        "id": lib.list.to_string(),
        "lastModifiedDateTime": ts(lib.created),
        "name": lib.url_name,
        "webUrl": format!("{}/{}", s.web_url(), crate::drive::ids::url_path(&lib.url_name)),
        "displayName": lib.name,
        "createdBy": system(),
        "parentReference": {"siteId": s.id()},
        "list": {"contentTypesEnabled": false, "hidden": false, "template": "documentLibrary"},
    })
}

/// A generic list.
pub fn list(s: &SiteInfo, l: &List) -> Value {
    json!({
        "@odata.etag": format!("\"{},{}\"", l.guid, l.items.len() + 1),
        "createdDateTime": ts(l.created),
        "description": l.description,
        "eTag": format!("\"{},{}\"", l.guid, l.items.len() + 1),
        "id": l.guid.to_string(),
        "lastModifiedDateTime": ts(l.modified),
        "name": l.name,
        "webUrl": format!("{}/Lists/{}", s.web_url(), crate::drive::ids::url_path(&l.name)),
        "displayName": l.display_name,
        "createdBy": system(),
        "parentReference": {"siteId": s.id()},
        "list": {"contentTypesEnabled": false, "hidden": false, "template": l.template},
    })
}

/// The columns of a list: `Title` and the list's own.
pub fn columns(l: &List) -> Vec<Value> {
    let mut out = vec![json!({
        "columnGroup": "Custom Columns",
        "description": "",
        "displayName": "Title",
        "enforceUniqueValues": false,
        "hidden": false,
        "id": "fa564e0f-0c70-4ab9-b863-0177e6ddd247",
        "indexed": false,
        "name": "Title",
        "readOnly": false,
        "required": true,
        "text": {"allowMultipleLines": false, "appendChangesToExistingText": false, "linesForEditing": 0, "maxLength": 255},
    })];
    for c in &l.columns {
        let mut v = json!({
            "columnGroup": "Custom Columns",
            "description": "",
            "displayName": c.display_name,
            "enforceUniqueValues": false,
            "hidden": false,
            "id": c.id.to_string(),
            "indexed": false,
            "name": c.name,
            "readOnly": false,
            "required": c.required,
        });
        let (key, facet) = match &c.kind {
            ColumnKind::Text { multi } => (
                "text",
                json!({"allowMultipleLines": multi, "appendChangesToExistingText": false, "linesForEditing": if *multi { 6 } else { 0 }, "maxLength": if *multi { 63999 } else { 255 }}),
            ),
            ColumnKind::Number => (
                "number",
                json!({"decimalPlaces": "automatic", "displayAs": "number"}),
            ),
            ColumnKind::DateTime => (
                "dateTime",
                json!({"displayAs": "default", "format": "dateOnly"}),
            ),
            ColumnKind::Choice(choices) => (
                "choice",
                json!({"allowTextEntry": false, "choices": choices, "displayAs": "dropDownMenu"}),
            ),
            ColumnKind::Boolean => ("boolean", json!({})),
            ColumnKind::Person => (
                "personOrGroup",
                json!({"allowMultipleSelection": false, "chooseFromType": "peopleOnly", "displayAs": "nameWithPresence"}),
            ),
        };
        v[key] = facet;
        out.push(v);
    }
    out
}

/// The `fields` of item `k`, as `$expand=fields` returns them.
pub fn fields(t: &Tenant, l: &List, k: usize) -> Value {
    let it = &l.items[k];
    let mut f = Map::new();
    f.insert(
        "@odata.etag".into(),
        json!(format!("\"{},{}\"", it.guid, it.version)),
    );
    for (key, value) in &it.values {
        f.insert(key.clone(), value.clone());
    }
    let title = it.values.get("Title").cloned().unwrap_or(Value::Null);
    f.insert("id".into(), json!(it.id.to_string()));
    f.insert("ContentType".into(), json!("Item"));
    f.insert("Modified".into(), json!(ts(it.modified)));
    f.insert("Created".into(), json!(ts(it.created)));
    f.insert("AuthorLookupId".into(), json!((7 + it.author).to_string()));
    f.insert("EditorLookupId".into(), json!((7 + it.editor).to_string()));
    f.insert(
        "_UIVersionString".into(),
        json!(format!("{}.0", it.version)),
    );
    f.insert("Attachments".into(), json!(false));
    f.insert("Edit".into(), json!(""));
    f.insert("LinkTitleNoMenu".into(), title.clone());
    f.insert("LinkTitle".into(), title);
    f.insert("ItemChildCount".into(), json!("0"));
    f.insert("FolderChildCount".into(), json!("0"));
    let _ = t;
    Value::Object(f)
}

/// Keeps the `select`ed fields (and `@odata.etag`).
pub fn select_fields(fields: Value, select: Option<&[String]>) -> Value {
    let (Some(select), Value::Object(map)) = (select, &fields) else {
        return fields;
    };
    Value::Object(
        map.iter()
            .filter(|(k, _)| k.starts_with('@') || select.iter().any(|s| s.eq_ignore_ascii_case(k)))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    )
}

/// Item `k` of a list; `fields` are included when given.
pub fn item(t: &Tenant, s: &SiteInfo, l: &List, k: usize, fields: Option<Value>) -> Value {
    let it = &l.items[k];
    let mut v = json!({
        "@odata.etag": format!("\"{},{}\"", it.guid, it.version),
        "createdDateTime": ts(it.created),
        "eTag": format!("\"{},{}\"", it.guid, it.version),
        "id": it.id.to_string(),
        "lastModifiedDateTime": ts(it.modified),
        "webUrl": format!("{}/Lists/{}/{}_.000", s.web_url(), crate::drive::ids::url_path(&l.name), it.id),
        "createdBy": person(t, it.author),
        "lastModifiedBy": person(t, it.editor),
        "parentReference": {"id": l.guid.to_string(), "siteId": s.id()},
        "contentType": {"id": "0x0100", "name": "Item"},
    });
    if let Some(f) = fields {
        v["fields@odata.context"] = json!(format!(
            "$metadata#sites('{}')/lists('{}')/items('{}')/fields/$entity",
            s.id(),
            l.guid,
            it.id
        ));
        v["fields"] = f;
    }
    v
}
