//! The simulator's entities against Microsoft's CSDL schema of Graph v1.0:
//! every property it returns must exist on the entity type (or a base type),
//! with a value of the declared type.

use std::collections::HashMap;

use serde_json::{Value, json};

use crate::common::{all_pages, app_token, default_sim, get, send};
use crate::setup_writes::delegated_token;

#[derive(Debug, Default)]
struct TypeDef {
    base: Option<String>,
    props: HashMap<String, String>,
}

pub(crate) struct Schema {
    types: HashMap<String, TypeDef>,
    enums: Vec<String>,
}

fn short(t: &str) -> String {
    t.trim_start_matches("graph.")
        .trim_start_matches("microsoft.graph.")
        .to_owned()
}

impl Schema {
    pub(crate) fn load() -> Schema {
        let path = format!(
            "{}/../../reference/graph/graph-v1.0.csdl",
            env!("CARGO_MANIFEST_DIR")
        );
        let text = std::fs::read_to_string(&path).expect("CSDL schema");
        let doc = roxmltree::Document::parse(&text).expect("CSDL parses");
        let mut types = HashMap::new();
        let mut enums = Vec::new();
        let schema = doc
            .descendants()
            .find(|n| {
                n.has_tag_name("Schema") && n.attribute("Namespace") == Some("microsoft.graph")
            })
            .expect("microsoft.graph schema");
        for node in schema.children().filter(|n| n.is_element()) {
            let Some(name) = node.attribute("Name") else {
                continue;
            };
            match node.tag_name().name() {
                "EntityType" | "ComplexType" => {
                    let mut def = TypeDef {
                        base: node.attribute("BaseType").map(short),
                        ..TypeDef::default()
                    };
                    for p in node.children().filter(|c| {
                        c.has_tag_name("Property") || c.has_tag_name("NavigationProperty")
                    }) {
                        if let (Some(n), Some(t)) = (p.attribute("Name"), p.attribute("Type")) {
                            def.props.insert(n.to_owned(), t.to_owned());
                        }
                    }
                    types.insert(name.to_owned(), def);
                }
                "EnumType" => enums.push(name.to_owned()),
                _ => {}
            }
        }
        Schema { types, enums }
    }

    fn property(&self, type_name: &str, prop: &str) -> Option<&String> {
        let mut t = Some(type_name.to_owned());
        while let Some(name) = t {
            let def = self.types.get(&name)?;
            if let Some(p) = def.props.get(prop) {
                return Some(p);
            }
            t = def.base.clone();
        }
        None
    }

    fn derives_from(&self, t: &str, base: &str) -> bool {
        let mut cur = Some(t.to_owned());
        while let Some(name) = cur {
            if name == base {
                return true;
            }
            cur = self.types.get(&name).and_then(|d| d.base.clone());
        }
        false
    }

    /// Checks `value` against `type_name`, collecting errors.
    fn check(&self, type_name: &str, value: &Value, path: &str, errors: &mut Vec<String>) {
        if value.is_null() {
            return;
        }
        if let Some(inner) = type_name
            .strip_prefix("Collection(")
            .and_then(|t| t.strip_suffix(')'))
        {
            match value.as_array() {
                Some(items) => {
                    for (i, item) in items.iter().enumerate() {
                        self.check(inner, item, &format!("{path}[{i}]"), errors);
                    }
                }
                None => errors.push(format!(
                    "{path}: expected a collection of {inner}, got {value}"
                )),
            }
            return;
        }
        let ok = match type_name {
            "Edm.String" | "Edm.Binary" => value.is_string(),
            "Edm.Boolean" => value.is_boolean(),
            "Edm.Int32" | "Edm.Int64" | "Edm.Int16" | "Edm.Byte" => {
                value.is_i64() || value.is_u64()
            }
            "Edm.Double" | "Edm.Single" | "Edm.Decimal" => value.is_number(),
            "Edm.Guid" => value
                .as_str()
                .is_some_and(|s| uuid::Uuid::parse_str(s).is_ok()),
            "Edm.Date" => value.as_str().is_some_and(|s| {
                s.len() == 10 && s.as_bytes()[4] == b'-' && s.as_bytes()[7] == b'-'
            }),
            "Edm.TimeOfDay" => value.as_str().is_some_and(|s| {
                s.len() >= 8 && s.as_bytes()[2] == b':' && s.as_bytes()[5] == b':'
            }),
            "Edm.DateTimeOffset" => value.as_str().is_some_and(|s| {
                time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
                    .is_ok()
            }),
            other => {
                let name = short(other);
                if self.enums.contains(&name) {
                    value.is_string()
                } else if self.types.contains_key(&name) {
                    let Some(obj) = value.as_object() else {
                        errors.push(format!("{path}: expected an object of {name}, got {value}"));
                        return;
                    };
                    let actual = obj
                        .get("@odata.type")
                        .and_then(Value::as_str)
                        .map(|t| short(t.trim_start_matches('#')))
                        .unwrap_or_else(|| name.clone());
                    if !self.derives_from(&actual, &name) {
                        errors.push(format!("{path}: {actual} is not a {name}"));
                        return;
                    }
                    for (k, v) in obj {
                        if k.contains('@') {
                            continue;
                        }
                        match self.property(&actual, k) {
                            Some(t) => self.check(&t.clone(), v, &format!("{path}.{k}"), errors),
                            None => errors.push(format!("{path}: {actual} has no property '{k}'")),
                        }
                    }
                    true
                } else {
                    errors.push(format!("{path}: unknown type {other}"));
                    true
                }
            }
        };
        if !ok {
            errors.push(format!("{path}: {value} is not a {type_name}"));
        }
    }
}

pub(crate) fn check_all(
    schema: &Schema,
    type_name: &str,
    values: &[Value],
    what: &str,
    errors: &mut Vec<String>,
) {
    assert!(!values.is_empty(), "{what}: nothing to check");
    for (i, v) in values.iter().enumerate() {
        schema.check(type_name, v, &format!("{what}[{i}]"), errors);
    }
}

#[tokio::test]
async fn simulator_entities_match_the_csdl_schema() {
    let schema = Schema::load();
    let sim = default_sim().await;
    let token = app_token(&sim, "full").await;
    let mut errors = Vec::new();
    let values = |body: &Value| body["value"].as_array().cloned().unwrap_or_default();

    let every_user_property = "businessPhones,displayName,givenName,jobTitle,mail,mobilePhone,officeLocation,preferredLanguage,surname,userPrincipalName,id,accountEnabled,assignedLicenses,assignedPlans,city,companyName,country,createdDateTime,deletedDateTime,department,employeeId,imAddresses,mailNickname,onPremisesSyncEnabled,otherMails,proxyAddresses,usageLocation,userType";
    let (_, users) = get(
        &sim,
        &token,
        &format!("/users?$select={every_user_property}"),
    )
    .await;
    check_all(&schema, "user", &values(&users), "users", &mut errors);
    let (_, users) = get(&sim, &token, "/users").await;
    check_all(
        &schema,
        "user",
        &values(&users),
        "users(default)",
        &mut errors,
    );
    let (_, groups) = get(&sim, &token, "/groups").await;
    let groups = values(&groups);
    check_all(&schema, "group", &groups, "groups", &mut errors);
    for g in groups.iter().take(6) {
        let id = g["id"].as_str().expect("id");
        let (_, members) = get(&sim, &token, &format!("/groups/{id}/transitiveMembers")).await;
        check_all(
            &schema,
            "directoryObject",
            &values(&members),
            "members",
            &mut errors,
        );
    }
    let (_, org) = get(&sim, &token, "/organization").await;
    check_all(
        &schema,
        "organization",
        &values(&org),
        "organization",
        &mut errors,
    );
    let (_, skus) = get(&sim, &token, "/subscribedSkus").await;
    check_all(
        &schema,
        "subscribedSku",
        &values(&skus),
        "subscribedSkus",
        &mut errors,
    );
    let (_, delta) = get(&sim, &token, "/users/delta").await;
    check_all(&schema, "user", &values(&delta), "users/delta", &mut errors);

    let admin = delegated_token(
        &sim,
        &sim.credentials.admin_user.clone(),
        "Application.ReadWrite.All AppRoleAssignment.ReadWrite.All",
    )
    .await;
    let (_, apps) = get(&sim, &admin, "/applications").await;
    check_all(
        &schema,
        "application",
        &values(&apps),
        "applications",
        &mut errors,
    );
    let (_, sps) = get(&sim, &admin, "/servicePrincipals").await;
    check_all(
        &schema,
        "servicePrincipal",
        &values(&sps),
        "servicePrincipals",
        &mut errors,
    );
    let (_, graph) = get(
        &sim,
        &admin,
        "/servicePrincipals(appId='00000003-0000-0000-c000-000000000000')",
    )
    .await;
    let graph_id = graph["id"].as_str().expect("graph sp").to_owned();
    let (_, assigned) = get(
        &sim,
        &admin,
        &format!("/servicePrincipals/{graph_id}/appRoleAssignedTo"),
    )
    .await;
    check_all(
        &schema,
        "appRoleAssignment",
        &values(&assigned),
        "appRoleAssignedTo",
        &mut errors,
    );
    let app_id = sim.credentials.app("full").expect("full").client_id.clone();
    let (status, secret) = send(
        &sim,
        reqwest::Method::POST,
        &admin,
        &format!("/applications(appId='{app_id}')/addPassword"),
        Some(json!({"passwordCredential": {"displayName": "x"}})),
        &[],
    )
    .await;
    assert_eq!(status, 200);
    check_all(
        &schema,
        "passwordCredential",
        &[secret],
        "addPassword",
        &mut errors,
    );

    assert!(
        errors.is_empty(),
        "{} schema mismatches:\n{}",
        errors.len(),
        errors.join("\n")
    );
}

#[tokio::test]
async fn mailbox_entities_match_the_csdl_schema() {
    let schema = Schema::load();
    let sim = crate::mailbox::mail_sim(53).await;
    let token = app_token(&sim, "full").await;
    let users = crate::mailbox::mailbox_users(&sim).await;
    let mut errors = Vec::new();
    let values = |body: &Value| body["value"].as_array().cloned().unwrap_or_default();
    for upn in users["user"]
        .iter()
        .take(3)
        .chain(users["room"].iter().take(1))
    {
        let u = |p: &str| format!("/users/{upn}{p}");
        let folders = all_pages(&sim, &token, &u("/mailFolders?includeHiddenFolders=true")).await;
        check_all(&schema, "mailFolder", &folders, "mailFolders", &mut errors);
        let (_, delta) = get(&sim, &token, &u("/mailFolders/delta")).await;
        check_all(
            &schema,
            "mailFolder",
            &values(&delta),
            "mailFolders/delta",
            &mut errors,
        );
        let (_, messages) = get(&sim, &token, &u("/messages?$top=200")).await;
        let messages = values(&messages);
        if !messages.is_empty() {
            check_all(&schema, "message", &messages, "messages", &mut errors);
        }
        for m in messages
            .iter()
            .filter(|m| m["hasAttachments"] == true)
            .take(5)
        {
            let id = m["id"].as_str().expect("id");
            let (_, list) = get(&sim, &token, &u(&format!("/messages/{id}/attachments"))).await;
            check_all(
                &schema,
                "attachment",
                &values(&list),
                "attachments",
                &mut errors,
            );
        }
        let (_, delta) = get(&sim, &token, &u("/mailFolders/inbox/messages/delta")).await;
        let delta = values(&delta);
        if !delta.is_empty() {
            check_all(&schema, "message", &delta, "messages/delta", &mut errors);
        }
        let (_, calendars) = get(&sim, &token, &u("/calendars")).await;
        check_all(
            &schema,
            "calendar",
            &values(&calendars),
            "calendars",
            &mut errors,
        );
        let (_, events) = get(&sim, &token, &u("/events?$top=100")).await;
        let events = values(&events);
        if !events.is_empty() {
            check_all(&schema, "event", &events, "events", &mut errors);
        }
        let view = all_pages(
            &sim,
            &token,
            &u("/calendarView?startDateTime=2000-01-01T00:00:00Z&endDateTime=2100-01-01T00:00:00Z&$top=100"),
        )
        .await;
        if !view.is_empty() {
            check_all(&schema, "event", &view, "calendarView", &mut errors);
        }
        let (_, folders) = get(&sim, &token, &u("/contactFolders/delta")).await;
        check_all(
            &schema,
            "contactFolder",
            &values(&folders),
            "contactFolders",
            &mut errors,
        );
        let (_, contacts) = get(&sim, &token, &u("/contacts?$top=100")).await;
        let contacts = values(&contacts);
        if !contacts.is_empty() {
            check_all(&schema, "contact", &contacts, "contacts", &mut errors);
        }
        let (_, mut settings) = get(&sim, &token, &u("/mailboxSettings")).await;
        if let Some(map) = settings.as_object_mut() {
            map.remove("@odata.context");
        }
        check_all(
            &schema,
            "mailboxSettings",
            &[settings],
            "mailboxSettings",
            &mut errors,
        );
    }
    let upn = &users["user"][0];
    let (status, msg) = send(
        &sim,
        reqwest::Method::POST,
        &token,
        &format!("/users/{upn}/messages"),
        Some(json!({"subject": "x"})),
        &[],
    )
    .await;
    assert_eq!(status, 201);
    let id = msg["id"].as_str().expect("id");
    let (status, session) = send(
        &sim,
        reqwest::Method::POST,
        &token,
        &format!("/users/{upn}/messages/{id}/attachments/createUploadSession"),
        Some(json!({"AttachmentItem": {"attachmentType": "file", "name": "a.bin", "size": 4_000_000}})),
        &[],
    )
    .await;
    assert_eq!(status, 201);
    check_all(
        &schema,
        "uploadSession",
        &[session],
        "uploadSession",
        &mut errors,
    );
    assert!(
        errors.is_empty(),
        "{} schema mismatches:\n{}",
        errors.len(),
        errors.join("\n")
    );
}
