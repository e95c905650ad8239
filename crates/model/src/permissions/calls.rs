//! The Graph calls each data type makes, with the least-privileged application
//! permission sufficient for each (derived from `reference/graph/permissions.json`;
//! calls that file does not list carry the Microsoft Learn page that documents them).
//! Checked by the `matrix_matches_reference` test.

use super::GraphCall;

pub(super) const MAIL_BACKUP: &[GraphCall] = &[
    GraphCall {
        method: "GET",
        path: "/users",
        permission: "User.Read.All",
        note: "",
    },
    GraphCall {
        method: "GET",
        path: "/users/{id}/mailfolders",
        permission: "Mail.Read",
        note: "",
    },
    GraphCall {
        method: "GET",
        path: "/users/{id}/mailfolders/{id}/childfolders",
        permission: "Mail.Read",
        note: "",
    },
    GraphCall {
        method: "GET",
        path: "/users/{id}/mailfolders/delta",
        permission: "Mail.Read",
        note: "",
    },
    GraphCall {
        method: "GET",
        path: "/users/{id}/mailfolders/{id}/messages/delta",
        permission: "Mail.Read",
        note: "",
    },
    GraphCall {
        method: "GET",
        path: "/users/{id}/messages/{id}",
        permission: "Mail.Read",
        note: "",
    },
    GraphCall {
        method: "GET",
        path: "/users/{id}/messages/{id}/$value",
        permission: "Mail.Read",
        note: "https://learn.microsoft.com/en-us/graph/api/message-get",
    },
    GraphCall {
        method: "GET",
        path: "/users/{id}/messages/{id}/attachments",
        permission: "Mail.Read",
        note: "",
    },
    GraphCall {
        method: "GET",
        path: "/users/{id}/mailboxsettings",
        permission: "MailboxSettings.Read",
        note: "",
    },
];

pub(super) const MAIL_RESTORE: &[GraphCall] = &[
    GraphCall {
        method: "GET",
        path: "/users/{id}",
        permission: "User.Read.All",
        note: "",
    },
    GraphCall {
        method: "GET",
        path: "/users/{id}/mailfolders",
        permission: "Mail.ReadWrite",
        note: "",
    },
    GraphCall {
        method: "POST",
        path: "/users/{id}/mailfolders",
        permission: "Mail.ReadWrite",
        note: "",
    },
    GraphCall {
        method: "POST",
        path: "/users/{id}/mailfolders/{id}/childfolders",
        permission: "Mail.ReadWrite",
        note: "",
    },
    GraphCall {
        method: "POST",
        path: "/users/{id}/mailfolders/{id}/messages",
        permission: "Mail.ReadWrite",
        note: "",
    },
    GraphCall {
        method: "PATCH",
        path: "/users/{id}/messages/{id}",
        permission: "Mail.ReadWrite",
        note: "",
    },
    GraphCall {
        method: "POST",
        path: "/users/{id}/messages/{id}/attachments",
        permission: "Mail.ReadWrite",
        note: "",
    },
    GraphCall {
        method: "POST",
        path: "/users/{id}/messages/{id}/attachments/createuploadsession",
        permission: "Mail.ReadWrite",
        note: "",
    },
];

pub(super) const CALENDAR_BACKUP: &[GraphCall] = &[
    GraphCall {
        method: "GET",
        path: "/users",
        permission: "User.Read.All",
        note: "",
    },
    GraphCall {
        method: "GET",
        path: "/users/{id}/calendars",
        permission: "Calendars.Read",
        note: "",
    },
    GraphCall {
        method: "GET",
        path: "/users/{id}/calendars/{id}/calendarview/delta",
        permission: "Calendars.Read",
        note: "",
    },
    GraphCall {
        method: "GET",
        path: "/users/{id}/calendars/{id}/events",
        permission: "Calendars.Read",
        note: "",
    },
    GraphCall {
        method: "GET",
        path: "/users/{id}/events/{id}",
        permission: "Calendars.Read",
        note: "",
    },
    GraphCall {
        method: "GET",
        path: "/users/{id}/events/{id}/attachments",
        permission: "Calendars.Read",
        note: "",
    },
];

pub(super) const CALENDAR_RESTORE: &[GraphCall] = &[
    GraphCall {
        method: "GET",
        path: "/users/{id}",
        permission: "User.Read.All",
        note: "",
    },
    GraphCall {
        method: "GET",
        path: "/users/{id}/calendars",
        permission: "Calendars.ReadWrite",
        note: "",
    },
    GraphCall {
        method: "POST",
        path: "/users/{id}/calendars",
        permission: "Calendars.ReadWrite",
        note: "",
    },
    GraphCall {
        method: "POST",
        path: "/users/{id}/calendars/{id}/events",
        permission: "Calendars.ReadWrite",
        note: "",
    },
    GraphCall {
        method: "PATCH",
        path: "/users/{id}/events/{id}",
        permission: "Calendars.ReadWrite",
        note: "",
    },
    GraphCall {
        method: "POST",
        path: "/users/{id}/events/{id}/attachments",
        permission: "Calendars.ReadWrite",
        note: "",
    },
    GraphCall {
        method: "POST",
        path: "/users/{id}/events/{id}/attachments/createuploadsession",
        permission: "Calendars.ReadWrite",
        note: "",
    },
];

pub(super) const CONTACTS_BACKUP: &[GraphCall] = &[
    GraphCall {
        method: "GET",
        path: "/users",
        permission: "User.Read.All",
        note: "",
    },
    GraphCall {
        method: "GET",
        path: "/users/{id}/contacts",
        permission: "Contacts.Read",
        note: "",
    },
    GraphCall {
        method: "GET",
        path: "/users/{id}/contactfolders",
        permission: "Contacts.Read",
        note: "",
    },
    GraphCall {
        method: "GET",
        path: "/users/{id}/contactfolders/{id}/childfolders",
        permission: "Contacts.Read",
        note: "",
    },
    GraphCall {
        method: "GET",
        path: "/users/{id}/contactfolders/delta",
        permission: "Contacts.Read",
        note: "",
    },
    GraphCall {
        method: "GET",
        path: "/users/{id}/contactfolders/{id}/contacts/delta",
        permission: "Contacts.Read",
        note: "",
    },
    GraphCall {
        method: "GET",
        path: "/users/{id}/contactfolders/{id}/contacts/{id}",
        permission: "Contacts.Read",
        note: "",
    },
    GraphCall {
        method: "GET",
        path: "/users/{id}/contactfolders/{id}/contacts/{id}/photo",
        permission: "Contacts.Read",
        note: "",
    },
];

pub(super) const CONTACTS_RESTORE: &[GraphCall] = &[
    GraphCall {
        method: "GET",
        path: "/users/{id}",
        permission: "User.Read.All",
        note: "",
    },
    GraphCall {
        method: "GET",
        path: "/users/{id}/contactfolders",
        permission: "Contacts.ReadWrite",
        note: "",
    },
    GraphCall {
        method: "POST",
        path: "/users/{id}/contactfolders",
        permission: "Contacts.ReadWrite",
        note: "",
    },
    GraphCall {
        method: "POST",
        path: "/users/{id}/contactfolders/{id}/childfolders",
        permission: "Contacts.ReadWrite",
        note: "",
    },
    GraphCall {
        method: "POST",
        path: "/users/{id}/contactfolders/{id}/contacts",
        permission: "Contacts.ReadWrite",
        note: "",
    },
    GraphCall {
        method: "PATCH",
        path: "/users/{id}/contactfolders/{id}/contacts/{id}",
        permission: "Contacts.ReadWrite",
        note: "",
    },
    GraphCall {
        method: "PUT",
        path: "/users/{id}/contactfolders/{id}/contacts/{id}/photo",
        permission: "Contacts.ReadWrite",
        note: "",
    },
];

pub(super) const ONEDRIVE_BACKUP: &[GraphCall] = &[
    GraphCall {
        method: "GET",
        path: "/users",
        permission: "User.Read.All",
        note: "",
    },
    GraphCall {
        method: "GET",
        path: "/users/{id}/drive",
        permission: "Files.Read.All",
        note: "",
    },
    GraphCall {
        method: "GET",
        path: "/drives/{id}/root/delta",
        permission: "Files.Read.All",
        note: "",
    },
    GraphCall {
        method: "GET",
        path: "/drives/{id}/items/{id}",
        permission: "Files.Read.All",
        note: "",
    },
    GraphCall {
        method: "GET",
        path: "/drives/{id}/items/{id}/content",
        permission: "Files.Read.All",
        note: "",
    },
    GraphCall {
        method: "GET",
        path: "/drives/{id}/items/{id}/versions",
        permission: "Files.Read.All",
        note: "",
    },
    GraphCall {
        method: "GET",
        path: "/drives/{id}/items/{id}/versions/{id}/content",
        permission: "Files.Read.All",
        note: "",
    },
    GraphCall {
        method: "GET",
        path: "/drives/{id}/items/{id}/permissions",
        permission: "Files.Read.All",
        note: "",
    },
];

pub(super) const ONEDRIVE_RESTORE: &[GraphCall] = &[
    GraphCall {
        method: "GET",
        path: "/users/{id}",
        permission: "User.Read.All",
        note: "",
    },
    GraphCall {
        method: "GET",
        path: "/users/{id}/drive",
        permission: "Sites.ReadWrite.All",
        note: "",
    },
    GraphCall {
        method: "GET",
        path: "/drives/{id}/items/{id}/children",
        permission: "Sites.ReadWrite.All",
        note: "",
    },
    GraphCall {
        method: "POST",
        path: "/drives/{id}/items/{id}/children",
        permission: "Sites.ReadWrite.All",
        note: "",
    },
    GraphCall {
        method: "PUT",
        path: "/drives/{id}/items/{id}:/{id}:/content",
        permission: "Sites.ReadWrite.All",
        note: "",
    },
    GraphCall {
        method: "POST",
        path: "/drives/{id}/items/{id}/createuploadsession",
        permission: "Sites.ReadWrite.All",
        note: "",
    },
    GraphCall {
        method: "PATCH",
        path: "/drives/{id}/items/{id}",
        permission: "Sites.ReadWrite.All",
        note: "",
    },
    GraphCall {
        method: "POST",
        path: "/drives/{id}/items/{id}/invite",
        permission: "Sites.ReadWrite.All",
        note: "",
    },
];

pub(super) const SHAREPOINT_BACKUP: &[GraphCall] = &[
    GraphCall {
        method: "GET",
        path: "/sites",
        permission: "Sites.Read.All",
        note: "",
    },
    GraphCall {
        method: "GET",
        path: "/sites/getAllSites",
        permission: "Sites.Read.All",
        note: "",
    },
    GraphCall {
        method: "GET",
        path: "/sites/{id}",
        permission: "Sites.Read.All",
        note: "",
    },
    GraphCall {
        method: "GET",
        path: "/sites/{id}/sites",
        permission: "Sites.Read.All",
        note: "",
    },
    GraphCall {
        method: "GET",
        path: "/sites/{id}/drives",
        permission: "Sites.Read.All",
        note: "",
    },
    GraphCall {
        method: "GET",
        path: "/drives/{id}/root/delta",
        permission: "Sites.Read.All",
        note: "",
    },
    GraphCall {
        method: "GET",
        path: "/drives/{id}/items/{id}/content",
        permission: "Sites.Read.All",
        note: "",
    },
    GraphCall {
        method: "GET",
        path: "/drives/{id}/items/{id}/versions",
        permission: "Sites.Read.All",
        note: "",
    },
    GraphCall {
        method: "GET",
        path: "/drives/{id}/items/{id}/permissions",
        permission: "Sites.Read.All",
        note: "",
    },
    GraphCall {
        method: "GET",
        path: "/sites/{id}/lists",
        permission: "Sites.Read.All",
        note: "",
    },
    GraphCall {
        method: "GET",
        path: "/sites/{id}/lists/{id}/columns",
        permission: "Sites.Read.All",
        note: "",
    },
    GraphCall {
        method: "GET",
        path: "/sites/{id}/lists/{id}/contenttypes",
        permission: "Sites.Read.All",
        note: "",
    },
    GraphCall {
        method: "GET",
        path: "/sites/{id}/columns",
        permission: "Sites.Read.All",
        note: "",
    },
    GraphCall {
        method: "GET",
        path: "/sites/{id}/lists/{id}/items",
        permission: "Sites.Read.All",
        note: "",
    },
    GraphCall {
        method: "GET",
        path: "/sites/{id}/lists/{id}/items/delta",
        permission: "Sites.Read.All",
        note: "",
    },
];

pub(super) const SHAREPOINT_RESTORE: &[GraphCall] = &[
    GraphCall {
        method: "GET",
        path: "/sites/{id}/lists",
        permission: "Sites.ReadWrite.All",
        note: "",
    },
    GraphCall {
        method: "POST",
        path: "/sites/{id}/lists",
        permission: "Sites.Manage.All",
        note: "",
    },
    GraphCall {
        method: "POST",
        path: "/sites/{id}/lists/{id}/columns",
        permission: "Sites.Manage.All",
        note: "",
    },
    GraphCall {
        method: "POST",
        path: "/sites/{id}/lists/{id}/items",
        permission: "Sites.ReadWrite.All",
        note: "",
    },
    GraphCall {
        method: "PATCH",
        path: "/sites/{id}/lists/{id}/items/{id}/fields",
        permission: "Sites.ReadWrite.All",
        note: "",
    },
    GraphCall {
        method: "POST",
        path: "/drives/{id}/items/{id}/children",
        permission: "Sites.ReadWrite.All",
        note: "",
    },
    GraphCall {
        method: "PUT",
        path: "/drives/{id}/items/{id}:/{id}:/content",
        permission: "Sites.ReadWrite.All",
        note: "",
    },
    GraphCall {
        method: "POST",
        path: "/drives/{id}/items/{id}/createuploadsession",
        permission: "Sites.ReadWrite.All",
        note: "",
    },
    GraphCall {
        method: "PATCH",
        path: "/drives/{id}/items/{id}",
        permission: "Sites.ReadWrite.All",
        note: "",
    },
];

pub(super) const TEAMS_CHANNELS_BACKUP: &[GraphCall] = &[
    GraphCall {
        method: "GET",
        path: "/teams",
        permission: "Team.ReadBasic.All",
        note: "",
    },
    GraphCall {
        method: "GET",
        path: "/teams/{id}",
        permission: "Team.ReadBasic.All",
        note: "",
    },
    GraphCall {
        method: "GET",
        path: "/teams/{id}/channels",
        permission: "Channel.ReadBasic.All",
        note: "",
    },
    GraphCall {
        method: "GET",
        path: "/teams/{id}/channels/{id}",
        permission: "Channel.ReadBasic.All",
        note: "",
    },
    GraphCall {
        method: "GET",
        path: "/teams/{id}/channels/{id}/messages",
        permission: "ChannelMessage.Read.All",
        note: "",
    },
    GraphCall {
        method: "GET",
        path: "/teams/{id}/channels/{id}/messages/{id}",
        permission: "ChannelMessage.Read.All",
        note: "",
    },
    GraphCall {
        method: "GET",
        path: "/teams/{id}/channels/{id}/messages/{id}/replies",
        permission: "ChannelMessage.Read.All",
        note: "",
    },
    GraphCall {
        method: "GET",
        path: "/teams/{id}/channels/{id}/messages/delta",
        permission: "ChannelMessage.Read.All",
        note: "",
    },
    GraphCall {
        method: "GET",
        path: "/teams/{id}/channels/{id}/messages/{id}/hostedcontents",
        permission: "ChannelMessage.Read.All",
        note: "",
    },
    GraphCall {
        method: "GET",
        path: "/teams/{id}/channels/{id}/messages/{id}/hostedcontents/{id}/$value",
        permission: "ChannelMessage.Read.All",
        note: "https://learn.microsoft.com/en-us/graph/api/chatmessagehostedcontent-get",
    },
    GraphCall {
        method: "GET",
        path: "/teams/{id}/channels/getallmessages",
        permission: "ChannelMessage.Read.All",
        note: "",
    },
];

pub(super) const TEAMS_CHANNELS_RESTORE: &[GraphCall] = &[
    GraphCall {
        method: "GET",
        path: "/teams/{id}/channels",
        permission: "Channel.ReadBasic.All",
        note: "",
    },
    GraphCall {
        method: "POST",
        path: "/teams/{id}/channels",
        permission: "Teamwork.Migrate.All",
        note: "",
    },
    GraphCall {
        method: "POST",
        path: "/teams/{id}/channels/{id}/startmigration",
        permission: "Teamwork.Migrate.All",
        note: "",
    },
    GraphCall {
        method: "POST",
        path: "/teams/{id}/channels/{id}/messages",
        permission: "Teamwork.Migrate.All",
        note: "",
    },
    GraphCall {
        method: "POST",
        path: "/teams/{id}/channels/{id}/messages/{id}/replies",
        permission: "Teamwork.Migrate.All",
        note: "",
    },
    GraphCall {
        method: "POST",
        path: "/teams/{id}/channels/{id}/completemigration",
        permission: "Teamwork.Migrate.All",
        note: "",
    },
];

pub(super) const CHATS_BACKUP: &[GraphCall] = &[
    GraphCall {
        method: "GET",
        path: "/users",
        permission: "User.Read.All",
        note: "",
    },
    GraphCall {
        method: "GET",
        path: "/users/{id}/chats",
        permission: "Chat.ReadBasic.All",
        note: "",
    },
    GraphCall {
        method: "GET",
        path: "/chats/{id}",
        permission: "Chat.ReadBasic.All",
        note: "",
    },
    GraphCall {
        method: "GET",
        path: "/chats/{id}/members",
        permission: "Chat.ReadBasic.All",
        note: "",
    },
    GraphCall {
        method: "GET",
        path: "/chats/{id}/messages",
        permission: "Chat.Read.All",
        note: "",
    },
    GraphCall {
        method: "GET",
        path: "/users/{id}/chats/getallmessages",
        permission: "Chat.Read.All",
        note: "",
    },
    GraphCall {
        method: "GET",
        path: "/chats/{id}/messages/{id}/hostedcontents",
        permission: "Chat.Read.All",
        note: "",
    },
    GraphCall {
        method: "GET",
        path: "/chats/{id}/messages/{id}/hostedcontents/{id}/$value",
        permission: "Chat.Read.All",
        note: "https://learn.microsoft.com/en-us/graph/api/chatmessagehostedcontent-get",
    },
];

pub(super) const CHATS_RESTORE: &[GraphCall] = &[];

pub(super) const GROUPS_BACKUP: &[GraphCall] = &[
    GraphCall {
        method: "GET",
        path: "/groups",
        permission: "GroupMember.Read.All",
        note: "",
    },
    GraphCall {
        method: "GET",
        path: "/groups/delta",
        permission: "GroupMember.Read.All",
        note: "",
    },
    GraphCall {
        method: "GET",
        path: "/groups/{id}/members",
        permission: "GroupMember.Read.All",
        note: "",
    },
    GraphCall {
        method: "GET",
        path: "/groups/{id}/transitivemembers",
        permission: "GroupMember.Read.All",
        note: "",
    },
    GraphCall {
        method: "GET",
        path: "/groups/{id}/owners",
        permission: "GroupMember.Read.All",
        note: "",
    },
    GraphCall {
        method: "GET",
        path: "/groups/{id}/conversations",
        permission: "Group-Conversation.Read.All",
        note: "",
    },
    GraphCall {
        method: "GET",
        path: "/groups/{id}/threads",
        permission: "Group-Conversation.Read.All",
        note: "",
    },
    GraphCall {
        method: "GET",
        path: "/groups/{id}/threads/{id}/posts",
        permission: "Group-Conversation.Read.All",
        note: "",
    },
    GraphCall {
        method: "GET",
        path: "/groups/{id}/threads/{id}/posts/{id}",
        permission: "Group-Conversation.Read.All",
        note: "",
    },
];

pub(super) const GROUPS_RESTORE: &[GraphCall] = &[
    GraphCall {
        method: "GET",
        path: "/groups/{id}/members",
        permission: "Group.ReadWrite.All",
        note: "",
    },
    GraphCall {
        method: "GET",
        path: "/groups/{id}/owners",
        permission: "Group.ReadWrite.All",
        note: "",
    },
    GraphCall {
        method: "POST",
        path: "/groups/{id}/members/$ref",
        permission: "Group.ReadWrite.All",
        note: "https://learn.microsoft.com/en-us/graph/api/group-post-members",
    },
    GraphCall {
        method: "DELETE",
        path: "/groups/{id}/members/{id}/$ref",
        permission: "Group.ReadWrite.All",
        note: "",
    },
    GraphCall {
        method: "POST",
        path: "/groups/{id}/owners/$ref",
        permission: "Group.ReadWrite.All",
        note: "",
    },
    GraphCall {
        method: "DELETE",
        path: "/groups/{id}/owners/{id}/$ref",
        permission: "Group.ReadWrite.All",
        note: "",
    },
];

pub(super) const INVENTORY_BACKUP: &[GraphCall] = &[
    GraphCall {
        method: "GET",
        path: "/subscribedSkus",
        permission: "Organization.Read.All",
        note: "",
    },
    GraphCall {
        method: "GET",
        path: "/organization",
        permission: "Organization.Read.All",
        note: "",
    },
    GraphCall {
        method: "GET",
        path: "/users",
        permission: "User.Read.All",
        note: "",
    },
    GraphCall {
        method: "GET",
        path: "/users/delta",
        permission: "User.Read.All",
        note: "",
    },
    GraphCall {
        method: "GET",
        path: "/reports/getoffice365activeuserdetail(period={value})",
        permission: "Reports.Read.All",
        note: "",
    },
    GraphCall {
        method: "GET",
        path: "/reports/getmailboxusagedetail(period={value})",
        permission: "Reports.Read.All",
        note: "",
    },
    GraphCall {
        method: "GET",
        path: "/reports/getonedriveusageaccountdetail(period={value})",
        permission: "Reports.Read.All",
        note: "",
    },
    GraphCall {
        method: "GET",
        path: "/reports/getsharepointsiteusagedetail(period={value})",
        permission: "Reports.Read.All",
        note: "",
    },
    GraphCall {
        method: "GET",
        path: "/reports/getteamsuseractivityuserdetail(period={value})",
        permission: "Reports.Read.All",
        note: "",
    },
];

pub(super) const INVENTORY_RESTORE: &[GraphCall] = &[];
