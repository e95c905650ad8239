//! Microsoft's published Graph permission data, embedded: the app roles and
//! delegated scopes Microsoft Graph exposes, and which permission grants which call.
//!
//! Source: microsoftgraph/microsoft-graph-devx-content (MIT), copied under
//! `reference/graph/` at the repository root.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::Deserialize;

const PERMISSIONS_JSON: &str = include_str!("../../../reference/graph/permissions.json");
const DESCRIPTIONS_JSON: &str =
    include_str!("../../../reference/graph/permission-descriptions.json");

/// An application permission (app role) of Microsoft Graph.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppRoleInfo {
    /// The app role id.
    pub id: String,
    /// The permission name, such as `Mail.Read`.
    pub value: String,
    /// What the portal shows as its name.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub admin_consent_display_name: String,
    /// What the portal shows as its description.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub admin_consent_description: String,
}

fn null_as_empty<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(Option::<String>::deserialize(d)?.unwrap_or_default())
}

/// A delegated permission (scope) of Microsoft Graph.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScopeInfo {
    /// The scope id.
    pub id: String,
    /// The scope name, such as `Application.ReadWrite.All`.
    pub value: String,
    /// What the portal shows as its name.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub admin_consent_display_name: String,
    /// What the portal shows as its description.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub admin_consent_description: String,
    /// Whether only an administrator can consent.
    #[serde(default)]
    pub is_admin: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Descriptions {
    application_scopes_list: Vec<AppRoleInfo>,
    delegated_scopes_list: Vec<ScopeInfo>,
}

#[derive(Deserialize)]
struct PermissionsFile {
    permissions: HashMap<String, PermissionEntry>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PermissionEntry {
    #[serde(default)]
    path_sets: Vec<PathSet>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PathSet {
    scheme_keys: Vec<String>,
    methods: Vec<String>,
    paths: HashMap<String, String>,
}

/// Which permissions grant one call: each with the permissions it must be held
/// together with (`AlsoRequires` in Microsoft's data; empty when it suffices alone).
#[derive(Debug, Clone, Default)]
pub struct Grants {
    /// Application permissions (app roles) that grant it.
    pub application: HashMap<String, Vec<String>>,
    /// Delegated permissions (work or school accounts) that grant it.
    pub delegated: HashMap<String, Vec<String>>,
}

fn also_requires(flags: &str) -> Vec<String> {
    flags
        .split(';')
        .find_map(|part| part.strip_prefix("AlsoRequires="))
        .map(|list| list.split(',').map(str::to_owned).collect())
        .unwrap_or_default()
}

/// Calls Microsoft's permission data omits, with the permissions their API
/// pages document (the same for application and delegated callers). MIME
/// (`$value`) and attachment content need `Mail.Read`: `Mail.ReadBasic.All`
/// excludes bodies and attachments.
const SUPPLEMENT: &[(&str, &str, &[&str])] = &[
    // message-get (MIME content)
    (
        "GET",
        "/users/{id}/messages/{id}/$value",
        &["Mail.Read", "Mail.ReadWrite"],
    ),
    // attachment-get
    (
        "GET",
        "/users/{id}/messages/{id}/attachments/{id}",
        &["Mail.Read", "Mail.ReadWrite"],
    ),
    (
        "GET",
        "/users/{id}/messages/{id}/attachments/{id}/$value",
        &["Mail.Read", "Mail.ReadWrite"],
    ),
    (
        "GET",
        "/users/{id}/events/{id}/attachments/{id}",
        &["Calendars.Read", "Calendars.ReadWrite"],
    ),
    // calendar-get
    (
        "GET",
        "/users/{id}/calendars/{id}",
        &[
            "Calendars.ReadBasic",
            "Calendars.Read",
            "Calendars.ReadWrite",
        ],
    ),
    // driveitem-get, driveitem-list-children, driveitem-post-children on a
    // drive's root (the data lists them under /users, /groups and /sites only)
    (
        "GET",
        "/drives/{id}/root",
        &[
            "Files.Read.All",
            "Files.ReadWrite.All",
            "Sites.Read.All",
            "Sites.ReadWrite.All",
        ],
    ),
    (
        "GET",
        "/drives/{id}/root/children",
        &[
            "Files.Read.All",
            "Files.ReadWrite.All",
            "Sites.Read.All",
            "Sites.ReadWrite.All",
        ],
    ),
    (
        "POST",
        "/drives/{id}/root/children",
        &["Files.ReadWrite.All", "Sites.ReadWrite.All"],
    ),
    // chatmessagehostedcontent-get (the bytes, `$value`) of channel messages and replies
    (
        "GET",
        "/teams/{id}/channels/{id}/messages/{id}/hostedcontents/{id}/$value",
        &[
            "ChannelMessage.Read.All",
            "ChannelMessage.Read.Group",
            "Group.Read.All",
            "Group.ReadWrite.All",
        ],
    ),
    (
        "GET",
        "/teams/{id}/channels/{id}/messages/{id}/replies/{id}/hostedcontents/{id}/$value",
        &[
            "ChannelMessage.Read.All",
            "ChannelMessage.Read.Group",
            "Group.Read.All",
            "Group.ReadWrite.All",
        ],
    ),
    // contact-delta on the default folder (answered by Graph, not documented)
    (
        "GET",
        "/users/{id}/contacts/delta",
        &["Contacts.Read", "Contacts.ReadWrite"],
    ),
    // directory-list-subscriptions, companysubscription-get (not in the data)
    (
        "GET",
        "/directory/subscriptions",
        &[
            "Organization.Read.All",
            "Directory.Read.All",
            "Organization.ReadWrite.All",
        ],
    ),
    (
        "GET",
        "/directory/subscriptions/{id}",
        &[
            "Organization.Read.All",
            "Directory.Read.All",
            "Organization.ReadWrite.All",
        ],
    ),
    // group-post-members, group-delete-members (the data lists them without `/$ref`)
    (
        "POST",
        "/groups/{id}/members/$ref",
        &[
            "GroupMember.ReadWrite.All",
            "Group.ReadWrite.All",
            "Directory.ReadWrite.All",
        ],
    ),
    (
        "DELETE",
        "/groups/{id}/members/{id}/$ref",
        &[
            "GroupMember.ReadWrite.All",
            "Group.ReadWrite.All",
            "Directory.ReadWrite.All",
        ],
    ),
    // group-post-owners, group-delete-owners
    (
        "POST",
        "/groups/{id}/owners/$ref",
        &["Group.ReadWrite.All", "Directory.ReadWrite.All"],
    ),
    (
        "DELETE",
        "/groups/{id}/owners/{id}/$ref",
        &["Group.ReadWrite.All", "Directory.ReadWrite.All"],
    ),
];

/// Application permissions Microsoft's API pages document for a call on top of
/// those its permission data lists (added to what the data says).
const EXTEND: &[(&str, &str, &[&str])] = &[
    // chatmessagehostedcontent-get: the data lists only the resource-specific permission
    (
        "GET",
        "/chats/{id}/messages/{id}/hostedcontents/{id}/$value",
        &["Chat.Read.All", "Chat.ReadWrite.All"],
    ),
];

/// Microsoft Graph's permissions, indexed.
pub struct Reference {
    roles: Vec<AppRoleInfo>,
    scopes: Vec<ScopeInfo>,
    grants: HashMap<(String, String), Grants>,
}

impl Reference {
    /// The embedded reference, parsed once.
    pub fn get() -> &'static Reference {
        static REFERENCE: OnceLock<Reference> = OnceLock::new();
        REFERENCE.get_or_init(Reference::load)
    }

    fn load() -> Reference {
        // The embedded files are part of the build; a parse failure is a build defect.
        let descriptions: Descriptions = serde_json::from_str(DESCRIPTIONS_JSON)
            .expect("embedded permission-descriptions.json parses");
        let file: PermissionsFile =
            serde_json::from_str(PERMISSIONS_JSON).expect("embedded permissions.json parses");
        let mut grants: HashMap<(String, String), Grants> = HashMap::new();
        for (name, entry) in file.permissions {
            for set in entry.path_sets {
                let app = set.scheme_keys.iter().any(|s| s == "Application");
                let delegated = set.scheme_keys.iter().any(|s| s == "DelegatedWork");
                for (path, flags) in &set.paths {
                    for method in &set.methods {
                        let g = grants
                            .entry((method.to_ascii_uppercase(), path.to_ascii_lowercase()))
                            .or_default();
                        if app {
                            g.application.insert(name.clone(), also_requires(flags));
                        }
                        if delegated {
                            g.delegated.insert(name.clone(), also_requires(flags));
                        }
                    }
                }
            }
        }
        for (method, path, permissions) in SUPPLEMENT {
            grants
                .entry(((*method).to_owned(), (*path).to_owned()))
                .or_insert_with(|| Grants {
                    application: permissions
                        .iter()
                        .map(|p| ((*p).to_owned(), Vec::new()))
                        .collect(),
                    delegated: permissions
                        .iter()
                        .map(|p| ((*p).to_owned(), Vec::new()))
                        .collect(),
                });
        }
        for (method, path, permissions) in EXTEND {
            let g = grants
                .entry(((*method).to_owned(), (*path).to_owned()))
                .or_default();
            for p in *permissions {
                g.application.entry((*p).to_owned()).or_default();
            }
        }
        Reference {
            roles: descriptions.application_scopes_list,
            scopes: descriptions.delegated_scopes_list,
            grants,
        }
    }

    /// The grants of `method` on a path template such as `/users/{id}/memberof`.
    pub fn grants(&self, method: &str, template: &str) -> Option<&Grants> {
        self.grants
            .get(&(method.to_ascii_uppercase(), template.to_ascii_lowercase()))
    }

    /// Every application permission.
    pub fn roles(&self) -> &[AppRoleInfo] {
        &self.roles
    }

    /// Every delegated permission.
    pub fn scopes(&self) -> &[ScopeInfo] {
        &self.scopes
    }

    /// The app role named `value`.
    pub fn role_by_value(&self, value: &str) -> Option<&AppRoleInfo> {
        self.roles.iter().find(|r| r.value == value)
    }

    /// The app role with id `id`.
    pub fn role_by_id(&self, id: &str) -> Option<&AppRoleInfo> {
        self.roles.iter().find(|r| r.id.eq_ignore_ascii_case(id))
    }

    /// The delegated scope named `value` (case-insensitive, as the identity platform treats them).
    pub fn scope_by_value(&self, value: &str) -> Option<&ScopeInfo> {
        self.scopes
            .iter()
            .find(|s| s.value.eq_ignore_ascii_case(value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knows_roles_and_grants() {
        let r = Reference::get();
        assert_eq!(
            r.role_by_value("Mail.Read").map(|r| r.id.as_str()),
            Some("810c84a8-4a9e-49e6-bf7d-12d183f40d01")
        );
        let g = r.grants("GET", "/users").expect("users is described");
        assert!(g.application.contains_key("User.Read.All"));
        assert!(!g.application.contains_key("Mail.Read"));
        let grant = r
            .grants("POST", "/serviceprincipals/{id}/approleassignedto")
            .expect("described");
        assert_eq!(
            grant
                .application
                .get("AppRoleAssignment.ReadWrite.All")
                .map(Vec::len),
            Some(2),
            "needs a partner"
        );
        assert!(r.grants("GET", "/no/such/path").is_none());
    }
}
