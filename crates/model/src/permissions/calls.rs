//! The Graph calls each data type makes, with the least-privileged application
//! permission sufficient for each (derived from `reference/graph/permissions.json`;
//! calls that file does not list carry the Microsoft Learn page that documents them).
//! Checked by the `matrix_matches_reference` test.

use super::GraphCall;

/// A call listed in Microsoft's permission data.
const fn call(method: &'static str, path: &'static str, permission: &'static str) -> GraphCall {
    GraphCall {
        method,
        path,
        permission,
        note: "",
    }
}

/// A call Microsoft's permission data omits, with the page that documents its permission.
const fn documented(
    method: &'static str,
    path: &'static str,
    permission: &'static str,
    note: &'static str,
) -> GraphCall {
    GraphCall {
        method,
        path,
        permission,
        note,
    }
}

// A data table: one call per line.
#[rustfmt::skip]
pub(super) const MAIL_BACKUP: &[GraphCall] = &[
    call("GET", "/users", "User.Read.All"),
    call("GET", "/users/{id}/mailfolders", "Mail.Read"),
    call("GET", "/users/{id}/mailfolders/{id}/childfolders", "Mail.Read"),
    call("GET", "/users/{id}/mailfolders/delta", "Mail.Read"),
    call("GET", "/users/{id}/mailfolders/{id}/messages/delta", "Mail.Read"),
    call("GET", "/users/{id}/messages/{id}", "Mail.Read"),
    documented("GET", "/users/{id}/messages/{id}/$value", "Mail.Read", "https://learn.microsoft.com/en-us/graph/api/message-get"),
    call("GET", "/users/{id}/messages/{id}/attachments", "Mail.Read"),
    call("GET", "/users/{id}/mailboxsettings", "MailboxSettings.Read"),
];

// A data table: one call per line.
#[rustfmt::skip]
pub(super) const MAIL_RESTORE: &[GraphCall] = &[
    call("GET", "/users/{id}", "User.Read.All"),
    call("GET", "/users/{id}/mailfolders", "Mail.ReadWrite"),
    call("POST", "/users/{id}/mailfolders", "Mail.ReadWrite"),
    call("POST", "/users/{id}/mailfolders/{id}/childfolders", "Mail.ReadWrite"),
    call("POST", "/users/{id}/mailfolders/{id}/messages", "Mail.ReadWrite"),
    call("PATCH", "/users/{id}/messages/{id}", "Mail.ReadWrite"),
    call("POST", "/users/{id}/messages/{id}/attachments", "Mail.ReadWrite"),
    call("POST", "/users/{id}/messages/{id}/attachments/createuploadsession", "Mail.ReadWrite"),
];

// A data table: one call per line.
#[rustfmt::skip]
pub(super) const CALENDAR_BACKUP: &[GraphCall] = &[
    call("GET", "/users", "User.Read.All"),
    call("GET", "/users/{id}/calendars", "Calendars.Read"),
    call("GET", "/users/{id}/calendars/{id}/calendarview/delta", "Calendars.Read"),
    call("GET", "/users/{id}/calendars/{id}/events", "Calendars.Read"),
    call("GET", "/users/{id}/events/{id}", "Calendars.Read"),
    call("GET", "/users/{id}/events/{id}/attachments", "Calendars.Read"),
];

// A data table: one call per line.
#[rustfmt::skip]
pub(super) const CALENDAR_RESTORE: &[GraphCall] = &[
    call("GET", "/users/{id}", "User.Read.All"),
    call("GET", "/users/{id}/calendars", "Calendars.ReadWrite"),
    call("POST", "/users/{id}/calendars", "Calendars.ReadWrite"),
    call("POST", "/users/{id}/calendars/{id}/events", "Calendars.ReadWrite"),
    call("PATCH", "/users/{id}/events/{id}", "Calendars.ReadWrite"),
    call("POST", "/users/{id}/events/{id}/attachments", "Calendars.ReadWrite"),
    call("POST", "/users/{id}/events/{id}/attachments/createuploadsession", "Calendars.ReadWrite"),
];

// A data table: one call per line.
#[rustfmt::skip]
pub(super) const CONTACTS_BACKUP: &[GraphCall] = &[
    call("GET", "/users", "User.Read.All"),
    call("GET", "/users/{id}/contacts", "Contacts.Read"),
    call("GET", "/users/{id}/contactfolders", "Contacts.Read"),
    call("GET", "/users/{id}/contactfolders/{id}/childfolders", "Contacts.Read"),
    call("GET", "/users/{id}/contactfolders/delta", "Contacts.Read"),
    call("GET", "/users/{id}/contactfolders/{id}/contacts/delta", "Contacts.Read"),
    call("GET", "/users/{id}/contactfolders/{id}/contacts/{id}", "Contacts.Read"),
    call("GET", "/users/{id}/contactfolders/{id}/contacts/{id}/photo", "Contacts.Read"),
];

// A data table: one call per line.
#[rustfmt::skip]
pub(super) const CONTACTS_RESTORE: &[GraphCall] = &[
    call("GET", "/users/{id}", "User.Read.All"),
    call("GET", "/users/{id}/contactfolders", "Contacts.ReadWrite"),
    call("POST", "/users/{id}/contactfolders", "Contacts.ReadWrite"),
    call("POST", "/users/{id}/contactfolders/{id}/childfolders", "Contacts.ReadWrite"),
    call("POST", "/users/{id}/contactfolders/{id}/contacts", "Contacts.ReadWrite"),
    call("PATCH", "/users/{id}/contactfolders/{id}/contacts/{id}", "Contacts.ReadWrite"),
    call("PUT", "/users/{id}/contactfolders/{id}/contacts/{id}/photo", "Contacts.ReadWrite"),
];

// A data table: one call per line.
#[rustfmt::skip]
pub(super) const ONEDRIVE_BACKUP: &[GraphCall] = &[
    call("GET", "/users", "User.Read.All"),
    call("GET", "/users/{id}/drive", "Files.Read.All"),
    call("GET", "/drives/{id}/root/delta", "Files.Read.All"),
    call("GET", "/drives/{id}/items/{id}", "Files.Read.All"),
    call("GET", "/drives/{id}/items/{id}/content", "Files.Read.All"),
    call("GET", "/drives/{id}/items/{id}/versions", "Files.Read.All"),
    call("GET", "/drives/{id}/items/{id}/versions/{id}/content", "Files.Read.All"),
    call("GET", "/drives/{id}/items/{id}/permissions", "Files.Read.All"),
];

// A data table: one call per line.
#[rustfmt::skip]
pub(super) const ONEDRIVE_RESTORE: &[GraphCall] = &[
    call("GET", "/users/{id}", "User.Read.All"),
    call("GET", "/users/{id}/drive", "Sites.ReadWrite.All"),
    call("GET", "/drives/{id}/items/{id}/children", "Sites.ReadWrite.All"),
    call("POST", "/drives/{id}/items/{id}/children", "Sites.ReadWrite.All"),
    call("PUT", "/drives/{id}/items/{id}:/{id}:/content", "Sites.ReadWrite.All"),
    call("POST", "/drives/{id}/items/{id}/createuploadsession", "Sites.ReadWrite.All"),
    call("PATCH", "/drives/{id}/items/{id}", "Sites.ReadWrite.All"),
    call("POST", "/drives/{id}/items/{id}/invite", "Sites.ReadWrite.All"),
];

// A data table: one call per line.
#[rustfmt::skip]
pub(super) const SHAREPOINT_BACKUP: &[GraphCall] = &[
    call("GET", "/sites", "Sites.Read.All"),
    call("GET", "/sites/getAllSites", "Sites.Read.All"),
    call("GET", "/sites/{id}", "Sites.Read.All"),
    call("GET", "/sites/{id}/sites", "Sites.Read.All"),
    call("GET", "/sites/{id}/drives", "Sites.Read.All"),
    call("GET", "/drives/{id}/root/delta", "Sites.Read.All"),
    call("GET", "/drives/{id}/items/{id}/content", "Sites.Read.All"),
    call("GET", "/drives/{id}/items/{id}/versions", "Sites.Read.All"),
    call("GET", "/drives/{id}/items/{id}/permissions", "Sites.Read.All"),
    call("GET", "/sites/{id}/lists", "Sites.Read.All"),
    call("GET", "/sites/{id}/lists/{id}/columns", "Sites.Read.All"),
    call("GET", "/sites/{id}/lists/{id}/contenttypes", "Sites.Read.All"),
    call("GET", "/sites/{id}/columns", "Sites.Read.All"),
    call("GET", "/sites/{id}/lists/{id}/items", "Sites.Read.All"),
    call("GET", "/sites/{id}/lists/{id}/items/delta", "Sites.Read.All"),
];

// A data table: one call per line.
#[rustfmt::skip]
pub(super) const SHAREPOINT_RESTORE: &[GraphCall] = &[
    call("GET", "/sites/{id}/lists", "Sites.ReadWrite.All"),
    call("POST", "/sites/{id}/lists", "Sites.Manage.All"),
    call("POST", "/sites/{id}/lists/{id}/columns", "Sites.Manage.All"),
    call("POST", "/sites/{id}/lists/{id}/items", "Sites.ReadWrite.All"),
    call("PATCH", "/sites/{id}/lists/{id}/items/{id}/fields", "Sites.ReadWrite.All"),
    call("POST", "/drives/{id}/items/{id}/children", "Sites.ReadWrite.All"),
    call("PUT", "/drives/{id}/items/{id}:/{id}:/content", "Sites.ReadWrite.All"),
    call("POST", "/drives/{id}/items/{id}/createuploadsession", "Sites.ReadWrite.All"),
    call("PATCH", "/drives/{id}/items/{id}", "Sites.ReadWrite.All"),
];

// A data table: one call per line.
#[rustfmt::skip]
pub(super) const TEAMS_CHANNELS_BACKUP: &[GraphCall] = &[
    call("GET", "/teams", "Team.ReadBasic.All"),
    call("GET", "/teams/{id}", "Team.ReadBasic.All"),
    call("GET", "/teams/{id}/channels", "Channel.ReadBasic.All"),
    call("GET", "/teams/{id}/channels/{id}", "Channel.ReadBasic.All"),
    call("GET", "/teams/{id}/channels/{id}/messages", "ChannelMessage.Read.All"),
    call("GET", "/teams/{id}/channels/{id}/messages/{id}", "ChannelMessage.Read.All"),
    call("GET", "/teams/{id}/channels/{id}/messages/{id}/replies", "ChannelMessage.Read.All"),
    call("GET", "/teams/{id}/channels/{id}/messages/delta", "ChannelMessage.Read.All"),
    call("GET", "/teams/{id}/channels/{id}/messages/{id}/hostedcontents", "ChannelMessage.Read.All"),
    documented("GET", "/teams/{id}/channels/{id}/messages/{id}/hostedcontents/{id}/$value", "ChannelMessage.Read.All", "https://learn.microsoft.com/en-us/graph/api/chatmessagehostedcontent-get"),
    call("GET", "/teams/{id}/channels/getallmessages", "ChannelMessage.Read.All"),
];

// A data table: one call per line.
#[rustfmt::skip]
pub(super) const TEAMS_CHANNELS_RESTORE: &[GraphCall] = &[
    call("GET", "/teams/{id}/channels", "Channel.ReadBasic.All"),
    call("POST", "/teams/{id}/channels", "Teamwork.Migrate.All"),
    call("POST", "/teams/{id}/channels/{id}/startmigration", "Teamwork.Migrate.All"),
    call("POST", "/teams/{id}/channels/{id}/messages", "Teamwork.Migrate.All"),
    call("POST", "/teams/{id}/channels/{id}/messages/{id}/replies", "Teamwork.Migrate.All"),
    call("POST", "/teams/{id}/channels/{id}/completemigration", "Teamwork.Migrate.All"),
];

// A data table: one call per line.
#[rustfmt::skip]
pub(super) const CHATS_BACKUP: &[GraphCall] = &[
    call("GET", "/users", "User.Read.All"),
    call("GET", "/users/{id}/chats", "Chat.ReadBasic.All"),
    call("GET", "/chats/{id}", "Chat.ReadBasic.All"),
    call("GET", "/chats/{id}/members", "Chat.ReadBasic.All"),
    call("GET", "/chats/{id}/messages", "Chat.Read.All"),
    call("GET", "/users/{id}/chats/getallmessages", "Chat.Read.All"),
    call("GET", "/chats/{id}/messages/{id}/hostedcontents", "Chat.Read.All"),
    documented("GET", "/chats/{id}/messages/{id}/hostedcontents/{id}/$value", "Chat.Read.All", "https://learn.microsoft.com/en-us/graph/api/chatmessagehostedcontent-get"),
];

// A data table: one call per line.
#[rustfmt::skip]
pub(super) const CHATS_RESTORE: &[GraphCall] = &[];

// A data table: one call per line.
#[rustfmt::skip]
pub(super) const GROUPS_BACKUP: &[GraphCall] = &[
    call("GET", "/groups", "GroupMember.Read.All"),
    call("GET", "/groups/delta", "GroupMember.Read.All"),
    call("GET", "/groups/{id}/members", "GroupMember.Read.All"),
    call("GET", "/groups/{id}/transitivemembers", "GroupMember.Read.All"),
    call("GET", "/groups/{id}/owners", "GroupMember.Read.All"),
    call("GET", "/groups/{id}/conversations", "Group-Conversation.Read.All"),
    call("GET", "/groups/{id}/threads", "Group-Conversation.Read.All"),
    call("GET", "/groups/{id}/threads/{id}/posts", "Group-Conversation.Read.All"),
    call("GET", "/groups/{id}/threads/{id}/posts/{id}", "Group-Conversation.Read.All"),
];

// A data table: one call per line.
#[rustfmt::skip]
pub(super) const GROUPS_RESTORE: &[GraphCall] = &[
    call("GET", "/groups/{id}/members", "Group.ReadWrite.All"),
    call("GET", "/groups/{id}/owners", "Group.ReadWrite.All"),
    documented("POST", "/groups/{id}/members/$ref", "Group.ReadWrite.All", "https://learn.microsoft.com/en-us/graph/api/group-post-members"),
    call("DELETE", "/groups/{id}/members/{id}/$ref", "Group.ReadWrite.All"),
    call("POST", "/groups/{id}/owners/$ref", "Group.ReadWrite.All"),
    call("DELETE", "/groups/{id}/owners/{id}/$ref", "Group.ReadWrite.All"),
];

// A data table: one call per line.
#[rustfmt::skip]
pub(super) const INVENTORY_BACKUP: &[GraphCall] = &[
    call("GET", "/subscribedSkus", "Organization.Read.All"),
    call("GET", "/organization", "Organization.Read.All"),
    call("GET", "/users", "User.Read.All"),
    call("GET", "/users/delta", "User.Read.All"),
    call("GET", "/reports/getoffice365activeuserdetail(period={value})", "Reports.Read.All"),
    call("GET", "/reports/getmailboxusagedetail(period={value})", "Reports.Read.All"),
    call("GET", "/reports/getonedriveusageaccountdetail(period={value})", "Reports.Read.All"),
    call("GET", "/reports/getsharepointsiteusagedetail(period={value})", "Reports.Read.All"),
    call("GET", "/reports/getteamsuseractivityuserdetail(period={value})", "Reports.Read.All"),
];

// A data table: one call per line.
#[rustfmt::skip]
pub(super) const INVENTORY_RESTORE: &[GraphCall] = &[];
