//! Which mailboxes a backup covers: named users, the members of groups and
//! distribution lists (transitively), or every user with a mailbox, less the
//! exclusions.

use std::collections::BTreeMap;

use graph::GraphClient;
use serde::Deserialize;

use crate::error::EngineError;

/// What the administrator asked for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScopeSpec {
    /// Users by principal name, mail address or object id.
    pub users: Vec<String>,
    /// Groups or distribution lists by object id, mail address or display name.
    pub groups: Vec<String>,
    /// Every user with a mailbox.
    pub all: bool,
    /// Users, or groups whose members, to leave out.
    pub exclude: Vec<String>,
}

/// A mailbox to back up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mailbox {
    /// The user's object id.
    pub id: String,
    /// The user principal name, lowercase (the resource name in the repository).
    pub upn: String,
    /// Display name.
    pub display_name: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct UserRow {
    #[serde(rename = "@odata.type", default)]
    odata_type: Option<String>,
    id: String,
    #[serde(default)]
    user_principal_name: Option<String>,
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    mail: Option<String>,
}

impl UserRow {
    fn is_user(&self) -> bool {
        self.odata_type
            .as_deref()
            .is_none_or(|t| t.eq_ignore_ascii_case("#microsoft.graph.user"))
    }

    fn mailbox(self) -> Option<Mailbox> {
        let upn = self.user_principal_name?.to_ascii_lowercase();
        Some(Mailbox {
            display_name: self.display_name.unwrap_or_else(|| upn.clone()),
            id: self.id,
            upn,
        })
    }
}

#[derive(Debug, Deserialize)]
struct GroupRow {
    id: String,
}

const USER_SELECT: &str = "id,userPrincipalName,displayName,mail";

fn quote(value: &str) -> String {
    value.replace('\'', "''")
}

fn is_guid(s: &str) -> bool {
    s.len() == 36 && s.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
}

async fn user(graph: &GraphClient, key: &str) -> Result<Option<Mailbox>, EngineError> {
    let path = format!("/users/{}?$select={USER_SELECT}", url_segment(key));
    match graph.get::<UserRow>(&path).await {
        Ok(row) => Ok(row.mailbox()),
        Err(e) if e.status() == Some(404) => {
            // A mail address that is not the principal name.
            let rows: Vec<UserRow> = graph
                .get_all(
                    &format!(
                        "/users?$filter=mail eq '{}'&$select={USER_SELECT}",
                        quote(key)
                    ),
                    &[],
                )
                .await?;
            Ok(rows.into_iter().next().and_then(UserRow::mailbox))
        }
        Err(e) => Err(e.into()),
    }
}

async fn group_id(graph: &GraphClient, key: &str) -> Result<Option<String>, EngineError> {
    if is_guid(key) {
        return match graph
            .get::<GroupRow>(&format!("/groups/{key}?$select=id"))
            .await
        {
            Ok(g) => Ok(Some(g.id)),
            Err(e) if e.status() == Some(404) => Ok(None),
            Err(e) => Err(e.into()),
        };
    }
    let property = if key.contains('@') {
        "mail"
    } else {
        "displayName"
    };
    let rows: Vec<GroupRow> = graph
        .get_all(
            &format!("/groups?$filter={property} eq '{}'&$select=id", quote(key)),
            &[],
        )
        .await?;
    Ok(rows.into_iter().next().map(|g| g.id))
}

async fn members(graph: &GraphClient, group: &str) -> Result<Vec<Mailbox>, EngineError> {
    let rows: Vec<UserRow> = graph
        .get_all(
            &format!("/groups/{group}/transitiveMembers?$select={USER_SELECT}&$top=999"),
            &[],
        )
        .await?;
    Ok(rows
        .into_iter()
        .filter(UserRow::is_user)
        .filter_map(UserRow::mailbox)
        .collect())
}

fn url_segment(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

/// Resolves `spec` to mailboxes, sorted by principal name.
pub async fn resolve(graph: &GraphClient, spec: &ScopeSpec) -> Result<Vec<Mailbox>, EngineError> {
    if !spec.all && spec.users.is_empty() && spec.groups.is_empty() {
        return Err(EngineError::Scope(
            "nothing to back up: name users with --users, groups with --groups, or use --all"
                .into(),
        ));
    }
    let mut chosen: BTreeMap<String, Mailbox> = BTreeMap::new();
    if spec.all {
        let rows: Vec<UserRow> = graph
            .get_all(&format!("/users?$select={USER_SELECT}&$top=999"), &[])
            .await?;
        for row in rows {
            if row.mail.is_none() {
                continue; // no Exchange mailbox
            }
            if let Some(m) = row.mailbox() {
                chosen.insert(m.upn.clone(), m);
            }
        }
    }
    for key in &spec.users {
        let m = user(graph, key).await?.ok_or_else(|| {
            EngineError::Scope(format!(
                "no user '{key}' in the tenant; give a user principal name, mail address or object id"
            ))
        })?;
        chosen.insert(m.upn.clone(), m);
    }
    for key in &spec.groups {
        let id = group_id(graph, key).await?.ok_or_else(|| {
            EngineError::Scope(format!(
                "no group or distribution list '{key}' in the tenant; give its object id, mail address or display name"
            ))
        })?;
        for m in members(graph, &id).await? {
            chosen.insert(m.upn.clone(), m);
        }
    }
    for key in &spec.exclude {
        let lower = key.to_ascii_lowercase();
        let before = chosen.len();
        chosen.retain(|upn, m| *upn != lower && m.id.to_ascii_lowercase() != lower);
        if chosen.len() != before {
            continue;
        }
        if let Some(id) = group_id(graph, key).await? {
            for m in members(graph, &id).await? {
                chosen.remove(&m.upn);
            }
        } else if let Some(m) = user(graph, key).await? {
            chosen.remove(&m.upn);
        }
    }
    Ok(chosen.into_values().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_and_segments() {
        assert_eq!(quote("O'Brien"), "O''Brien");
        assert_eq!(url_segment("a b@c.com"), "a%20b%40c.com");
        assert!(is_guid("6f1c7c1e-2b3d-4c5e-8f90-123456789abc"));
        assert!(!is_guid("sales@contoso.com"));
    }
}
