//! Microsoft Graph permissions m365vault names: ids and portal descriptions, from
//! `reference/graph/permission-descriptions.json` (checked by a test).

use super::{Permission, Scope};

/// The application permissions m365vault uses or accepts in their place.
pub const PERMISSIONS: &[Permission] = &[
    Permission {
        name: "User.Read.All",
        id: "df021288-bdef-4463-88db-98f22de89214",
        display_name: "Read all users' full profiles and company properties",
    },
    Permission {
        name: "User.ReadWrite.All",
        id: "741f803b-c850-494e-b5df-cde7c675a1ca",
        display_name: "Read and write all users' full profiles",
    },
    Permission {
        name: "Mail.Read",
        id: "810c84a8-4a9e-49e6-bf7d-12d183f40d01",
        display_name: "Read mail in all mailboxes",
    },
    Permission {
        name: "Mail.ReadBasic.All",
        id: "693c5e45-0940-467d-9b8a-1022fb9d42ef",
        display_name: "Read basic mail in all mailboxes",
    },
    Permission {
        name: "Mail.ReadWrite",
        id: "e2a3a72e-5f79-4c64-b1b1-878b674786c9",
        display_name: "Read and write mail in all mailboxes",
    },
    Permission {
        name: "MailboxSettings.Read",
        id: "40f97065-369a-49f4-947c-6a255697ae91",
        display_name: "Read all user mailbox settings",
    },
    Permission {
        name: "MailboxSettings.ReadWrite",
        id: "6931bccd-447a-43d1-b442-00a195474933",
        display_name: "Read and write all user mailbox settings",
    },
    Permission {
        name: "Calendars.Read",
        id: "798ee544-9d2d-430c-a058-570e29e34338",
        display_name: "Read calendars in all mailboxes",
    },
    Permission {
        name: "Calendars.ReadWrite",
        id: "ef54d2bf-783f-4e0f-bca1-3210c0444d99",
        display_name: "Read and write calendars in all mailboxes",
    },
    Permission {
        name: "Contacts.Read",
        id: "089fe4d0-434a-44c5-8827-41ba8a0b17f5",
        display_name: "Read contacts in all mailboxes",
    },
    Permission {
        name: "Contacts.ReadWrite",
        id: "6918b873-d17a-4dc1-b314-35f528134491",
        display_name: "Read and write contacts in all mailboxes",
    },
    Permission {
        name: "Files.Read.All",
        id: "01d4889c-1287-42c6-ac1f-5d1e02578ef6",
        display_name: "Read files in all site collections",
    },
    Permission {
        name: "Files.ReadWrite.All",
        id: "75359482-378d-4052-8f01-80520e7db3cd",
        display_name: "Read and write files in all site collections",
    },
    Permission {
        name: "Sites.Read.All",
        id: "332a536c-c7ef-4017-ab91-336970924f0d",
        display_name: "Read items in all site collections",
    },
    Permission {
        name: "Sites.ReadWrite.All",
        id: "9492366f-7969-46a4-8d15-ed1a20078fff",
        display_name: "Read and write items in all site collections",
    },
    Permission {
        name: "Sites.Manage.All",
        id: "0c0bf378-bf22-4481-8f81-9e89a9b4960a",
        display_name: "Create, edit, and delete items and lists in all site collections",
    },
    Permission {
        name: "Sites.FullControl.All",
        id: "a82116e5-55eb-4c41-a434-62fe8a61c773",
        display_name: "Have full control of all site collections",
    },
    Permission {
        name: "Team.ReadBasic.All",
        id: "2280dda6-0bfd-44ee-a2f4-cb867cfc4c1e",
        display_name: "Get a list of all teams",
    },
    Permission {
        name: "Channel.ReadBasic.All",
        id: "59a6b24b-4225-4393-8165-ebaec5f55d7a",
        display_name: "Read the names and descriptions  of all channels",
    },
    Permission {
        name: "ChannelMessage.Read.All",
        id: "7b2449af-6ccd-4f4d-9f78-e550c193f0d1",
        display_name: "Read all channel messages",
    },
    Permission {
        name: "Teamwork.Migrate.All",
        id: "dfb0dd15-61de-45b2-be36-d6a69fba3c79",
        display_name: "Create chat and channel messages with anyone's identity and with any timestamp",
    },
    Permission {
        name: "Chat.ReadBasic.All",
        id: "b2e060da-3baf-4687-9611-f4ebc0f0cbde",
        display_name: "Read names and members of all chat threads",
    },
    Permission {
        name: "Chat.Read.All",
        id: "6b7d71aa-70aa-4810-a8d9-5d9fb2830017",
        display_name: "Read all chat messages",
    },
    Permission {
        name: "Chat.ReadWrite.All",
        id: "294ce7c9-31ba-490a-ad7d-97a7d075e4ed",
        display_name: "Read and write all chat messages",
    },
    Permission {
        name: "GroupMember.Read.All",
        id: "98830695-27a2-44f7-8c18-0c3ebc9698f6",
        display_name: "Read all group memberships",
    },
    Permission {
        name: "GroupMember.ReadWrite.All",
        id: "dbaae8cf-10b5-4b86-a4a1-f871c94c6695",
        display_name: "Read and write all group memberships",
    },
    Permission {
        name: "Group.Read.All",
        id: "5b567255-7703-4780-807c-7be8301ae99b",
        display_name: "Read all groups",
    },
    Permission {
        name: "Group.ReadWrite.All",
        id: "62a82d76-70ea-41e2-9197-370581804d09",
        display_name: "Read and write all groups",
    },
    Permission {
        name: "Group-Conversation.Read.All",
        id: "4f0a8235-6f6f-4ec7-9500-34b452a4a0c3",
        display_name: "Read all group conversations",
    },
    Permission {
        name: "Organization.Read.All",
        id: "498476ce-e0fe-48b0-b801-37ba7e2685c6",
        display_name: "Read organization information",
    },
    Permission {
        name: "Organization.ReadWrite.All",
        id: "292d869f-3427-49a8-9dab-8c70152b74e9",
        display_name: "Read and write organization information",
    },
    Permission {
        name: "Reports.Read.All",
        id: "230c1aed-a721-4c5d-9cb4-a90514e508ef",
        display_name: "Read all usage reports",
    },
    Permission {
        name: "Directory.Read.All",
        id: "7ab1d382-f21e-4acd-a863-ba3e13f7da61",
        display_name: "Read directory data",
    },
    Permission {
        name: "Directory.ReadWrite.All",
        id: "19dbc75e-c2e2-444c-a770-ec69d8559fc7",
        display_name: "Read and write directory data",
    },
    Permission {
        name: "Application.Read.All",
        id: "9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30",
        display_name: "Read all applications",
    },
    Permission {
        name: "Application.ReadWrite.All",
        id: "1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9",
        display_name: "Read and write all applications",
    },
];

/// The delegated permissions `m365vault setup` asks the administrator for: create the
/// app registration and grant its application permissions.
pub const SETUP_SCOPES: &[Scope] = &[
    Scope {
        name: "Application.ReadWrite.All",
        id: "bdfbf15f-ee85-4955-8675-146e8e5296b5",
    },
    Scope {
        name: "AppRoleAssignment.ReadWrite.All",
        id: "84bccea3-f856-4a8a-967b-dbe0a3d53a64",
    },
];
