//! The permission matrix: which Microsoft Graph application permissions each
//! data type needs to be backed up and to be restored.
//!
//! Each data type lists the Graph calls m365vault makes for it ([`calls`]), with
//! the least-privileged application permission sufficient for each call, taken
//! from Microsoft's published permission data (`reference/graph/`). A permission
//! is satisfied by itself or by a broader one that implies it (`Mail.ReadWrite`
//! implies `Mail.Read`; see [`implied_by`]).

mod calls;
mod catalog;

use crate::DataType;

pub use catalog::{PERMISSIONS, SETUP_SCOPES};

/// An application permission (app role) of Microsoft Graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Permission {
    /// The name the Entra admin center shows, such as `Mail.Read`.
    pub name: &'static str,
    /// The app role id (what `requiredResourceAccess` and role assignments carry).
    pub id: &'static str,
    /// The description the Entra admin center shows next to the name.
    pub display_name: &'static str,
}

/// A delegated permission (scope) of Microsoft Graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scope {
    /// The scope name, such as `Application.ReadWrite.All`.
    pub name: &'static str,
    /// The scope id.
    pub id: &'static str,
}

/// What m365vault does with a data type.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Operation {
    /// Read it from Microsoft 365 into the repository.
    Backup,
    /// Write it back to Microsoft 365.
    Restore,
}

/// One Graph call and the permission it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GraphCall {
    /// HTTP method.
    pub method: &'static str,
    /// Path template as Microsoft's permission data writes it (`{id}` for keys).
    pub path: &'static str,
    /// The least-privileged sufficient application permission.
    pub permission: &'static str,
    /// Where this is documented when Microsoft's permission data does not list the call.
    pub note: &'static str,
}

/// The Graph calls `data_type` makes for `operation` (empty when the operation is
/// not possible, such as restoring chats).
pub fn calls(data_type: DataType, operation: Operation) -> &'static [GraphCall] {
    use Operation::*;
    match (data_type, operation) {
        (DataType::Mail, Backup) => calls::MAIL_BACKUP,
        (DataType::Mail, Restore) => calls::MAIL_RESTORE,
        (DataType::Calendar, Backup) => calls::CALENDAR_BACKUP,
        (DataType::Calendar, Restore) => calls::CALENDAR_RESTORE,
        (DataType::Contacts, Backup) => calls::CONTACTS_BACKUP,
        (DataType::Contacts, Restore) => calls::CONTACTS_RESTORE,
        (DataType::Onedrive, Backup) => calls::ONEDRIVE_BACKUP,
        (DataType::Onedrive, Restore) => calls::ONEDRIVE_RESTORE,
        (DataType::Sharepoint, Backup) => calls::SHAREPOINT_BACKUP,
        (DataType::Sharepoint, Restore) => calls::SHAREPOINT_RESTORE,
        (DataType::TeamsChannels, Backup) => calls::TEAMS_CHANNELS_BACKUP,
        (DataType::TeamsChannels, Restore) => calls::TEAMS_CHANNELS_RESTORE,
        (DataType::Chats, Backup) => calls::CHATS_BACKUP,
        (DataType::Chats, Restore) => calls::CHATS_RESTORE,
        (DataType::Groups, Backup) => calls::GROUPS_BACKUP,
        (DataType::Groups, Restore) => calls::GROUPS_RESTORE,
        (DataType::Inventory, Backup) => calls::INVENTORY_BACKUP,
        (DataType::Inventory, Restore) => calls::INVENTORY_RESTORE,
    }
}

/// Whether m365vault can do `operation` on `data_type` at all through Graph.
pub fn supported(data_type: DataType, operation: Operation) -> bool {
    !calls(data_type, operation).is_empty()
}

/// Why an operation is not possible, for the data types where it is not.
pub fn unsupported_reason(data_type: DataType, operation: Operation) -> Option<&'static str> {
    match (data_type, operation) {
        (DataType::Chats, Operation::Restore) => Some(
            "Microsoft Graph cannot write chat messages as their original authors; chats are export-only",
        ),
        (DataType::Inventory, Operation::Restore) => Some("the inventory is read-only"),
        _ => None,
    }
}

/// The permission named `name` (case-insensitive).
pub fn permission(name: &str) -> Option<&'static Permission> {
    PERMISSIONS
        .iter()
        .find(|p| p.name.eq_ignore_ascii_case(name))
}

/// The permission with app role id `id`.
pub fn permission_by_id(id: &str) -> Option<&'static Permission> {
    PERMISSIONS.iter().find(|p| p.id.eq_ignore_ascii_case(id))
}

/// Broader permission → narrower permissions it implies (direct edges).
///
/// These follow the meaning Microsoft gives each permission (a `ReadWrite`
/// permission reads what its `Read` counterpart reads; `Sites.*` reach every
/// OneDrive, which is a site collection; `Directory.Read.All` reads users,
/// memberships and the organization). Microsoft's machine-readable data omits
/// some of these paths, so they are stated here once and used by both the
/// permission check and the simulator.
pub const IMPLIES: &[(&str, &[&str])] = &[
    ("Mail.ReadWrite", &["Mail.Read"]),
    ("Mail.Read", &["Mail.ReadBasic.All"]),
    ("MailboxSettings.ReadWrite", &["MailboxSettings.Read"]),
    ("Calendars.ReadWrite", &["Calendars.Read"]),
    ("Contacts.ReadWrite", &["Contacts.Read"]),
    ("Files.ReadWrite.All", &["Files.Read.All"]),
    ("Sites.Read.All", &["Files.Read.All"]),
    (
        "Sites.ReadWrite.All",
        &["Sites.Read.All", "Files.ReadWrite.All"],
    ),
    ("Sites.Manage.All", &["Sites.ReadWrite.All"]),
    ("Sites.FullControl.All", &["Sites.Manage.All"]),
    ("Chat.ReadWrite.All", &["Chat.Read.All"]),
    ("Chat.Read.All", &["Chat.ReadBasic.All"]),
    (
        "Group.ReadWrite.All",
        &["Group.Read.All", "GroupMember.ReadWrite.All"],
    ),
    (
        "Group.Read.All",
        &["GroupMember.Read.All", "Group-Conversation.Read.All"],
    ),
    ("GroupMember.ReadWrite.All", &["GroupMember.Read.All"]),
    ("Directory.ReadWrite.All", &["Directory.Read.All"]),
    (
        "Directory.Read.All",
        &[
            "User.Read.All",
            "GroupMember.Read.All",
            "Organization.Read.All",
        ],
    ),
    ("User.ReadWrite.All", &["User.Read.All"]),
    ("Organization.ReadWrite.All", &["Organization.Read.All"]),
    ("Application.ReadWrite.All", &["Application.Read.All"]),
];

/// Whether holding `broader` gives everything `narrower` gives (reflexive, transitive).
pub fn implies(broader: &str, narrower: &str) -> bool {
    if broader.eq_ignore_ascii_case(narrower) {
        return true;
    }
    let mut stack = vec![broader];
    let mut seen: Vec<&str> = Vec::new();
    while let Some(p) = stack.pop() {
        for (from, tos) in IMPLIES {
            if from.eq_ignore_ascii_case(p) {
                for to in *tos {
                    if to.eq_ignore_ascii_case(narrower) {
                        return true;
                    }
                    if !seen.contains(to) {
                        seen.push(to);
                        stack.push(to);
                    }
                }
            }
        }
    }
    false
}

/// The permissions that imply `name` (broader ones), not including itself.
pub fn implied_by(name: &str) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for (from, _) in IMPLIES {
        if !from.eq_ignore_ascii_case(name) && implies(from, name) && !out.contains(from) {
            out.push(from);
        }
    }
    out
}

/// Whether the `granted` permissions satisfy `name`.
pub fn satisfied<S: AsRef<str>>(name: &str, granted: &[S]) -> bool {
    granted.iter().any(|g| implies(g.as_ref(), name))
}

/// Drops every permission that another one in the list implies.
fn minimal(mut names: Vec<&'static str>) -> Vec<&'static str> {
    names.sort_unstable();
    names.dedup();
    let all = names.clone();
    names.retain(|n| !all.iter().any(|other| other != n && implies(other, n)));
    names
}

fn to_permissions(names: Vec<&'static str>) -> Vec<&'static Permission> {
    // Every name in the call tables is in the catalog (checked by a test).
    names.into_iter().filter_map(permission).collect()
}

/// The smallest set of permissions that lets `operation` work for `data_type`.
pub fn required(data_type: DataType, operation: Operation) -> Vec<&'static Permission> {
    to_permissions(minimal(
        calls(data_type, operation)
            .iter()
            .map(|c| c.permission)
            .collect(),
    ))
}

/// The smallest set of permissions that lets every operation on every data type
/// in `data_types` work.
pub fn required_for<I: IntoIterator<Item = DataType>>(
    data_types: I,
    operations: &[Operation],
) -> Vec<&'static Permission> {
    let mut names = Vec::new();
    for d in data_types {
        for op in operations {
            names.extend(calls(d, *op).iter().map(|c| c.permission));
        }
    }
    to_permissions(minimal(names))
}

/// Every application permission m365vault can use (backup and restore of every data type).
pub fn all_application_permissions() -> Vec<&'static Permission> {
    required_for(DataType::ALL, &[Operation::Backup, Operation::Restore])
}

/// Whether an operation can run, and what is missing when it cannot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access {
    /// Permissions that are needed and not granted.
    pub missing: Vec<&'static Permission>,
}

impl Access {
    /// Whether nothing is missing.
    pub fn ok(&self) -> bool {
        self.missing.is_empty()
    }
}

/// What a set of granted permissions allows for one data type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataTypeAccess {
    /// The data type.
    pub data_type: DataType,
    /// Backup.
    pub backup: Access,
    /// Restore; `None` when restore is not possible for this data type.
    pub restore: Option<Access>,
}

/// Evaluates `granted` application permissions (the token's `roles`) for `data_type`.
pub fn evaluate<S: AsRef<str>>(data_type: DataType, granted: &[S]) -> DataTypeAccess {
    let access = |op| Access {
        missing: required(data_type, op)
            .into_iter()
            .filter(|p| !satisfied(p.name, granted))
            .collect(),
    };
    DataTypeAccess {
        data_type,
        backup: access(Operation::Backup),
        restore: supported(data_type, Operation::Restore).then(|| access(Operation::Restore)),
    }
}

#[cfg(test)]
mod tests;
