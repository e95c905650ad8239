//! The simulated Microsoft Graph (`/v1.0`): directory endpoints, applications
//! and service principals, `$batch`. Every call is authenticated, authorized
//! against Microsoft's permission data, and throttled as Microsoft documents.

mod apps;
pub mod auth;
mod batch;
mod calendar;
pub mod chats;
mod contacts;
mod conversations;
mod delta;
mod directory;
pub mod drives;
pub mod filter;
mod groups;
pub mod lists;
mod mail;
mod mail_write;
mod members_write;
pub mod odata;
pub mod outlook;
pub mod outlook_delta;
pub mod render;
mod service_principals;
pub mod sites;
pub mod teams;
mod users;

use axum::Router;
use axum::middleware;
use axum::routing::{get, post};

use crate::state::AppState;

pub use auth::Principal;

/// The route templates the simulator serves under `/v1.0`, for the permission-coverage test.
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/users"),
    ("GET", "/users/delta"),
    ("GET", "/users/{id}"),
    ("GET", "/me"),
    ("GET", "/groups"),
    ("GET", "/groups/delta"),
    ("GET", "/groups/{id}"),
    ("GET", "/groups/{id}/members"),
    ("GET", "/groups/{id}/transitiveMembers"),
    ("GET", "/groups/{id}/owners"),
    ("GET", "/organization"),
    ("GET", "/subscribedSkus"),
    ("GET", "/directory/subscriptions"),
    ("GET", "/directory/subscriptions/{id}"),
    // Usage reports and their settings
    (
        "GET",
        "/reports/getOffice365ActiveUserDetail(period={value})",
    ),
    ("GET", "/reports/getOffice365ActiveUserDetail(date={value})"),
    ("GET", "/reports/getEmailActivityUserDetail(period={value})"),
    ("GET", "/reports/getEmailActivityUserDetail(date={value})"),
    (
        "GET",
        "/reports/getOneDriveUsageAccountDetail(period={value})",
    ),
    (
        "GET",
        "/reports/getOneDriveUsageAccountDetail(date={value})",
    ),
    (
        "GET",
        "/reports/getTeamsUserActivityUserDetail(period={value})",
    ),
    (
        "GET",
        "/reports/getTeamsUserActivityUserDetail(date={value})",
    ),
    ("GET", "/reports/getMailboxUsageDetail(period={value})"),
    ("GET", "/admin/reportSettings"),
    ("PATCH", "/admin/reportSettings"),
    ("GET", "/applications"),
    ("POST", "/applications"),
    ("GET", "/applications/{id}"),
    ("PATCH", "/applications/{id}"),
    ("DELETE", "/applications/{id}"),
    ("POST", "/applications/{id}/addPassword"),
    ("POST", "/applications/{id}/removePassword"),
    ("POST", "/applications/{id}/addKey"),
    ("GET", "/servicePrincipals"),
    ("POST", "/servicePrincipals"),
    ("GET", "/servicePrincipals/{id}"),
    ("GET", "/servicePrincipals/{id}/appRoleAssignments"),
    ("GET", "/servicePrincipals/{id}/appRoleAssignedTo"),
    ("POST", "/servicePrincipals/{id}/appRoleAssignedTo"),
    // Outlook: mail
    ("GET", "/users/{id}/mailFolders"),
    ("POST", "/users/{id}/mailFolders"),
    ("GET", "/users/{id}/mailFolders/delta"),
    ("GET", "/users/{id}/mailFolders/{id}"),
    ("DELETE", "/users/{id}/mailFolders/{id}"),
    ("GET", "/users/{id}/mailFolders/{id}/childFolders"),
    ("POST", "/users/{id}/mailFolders/{id}/childFolders"),
    ("GET", "/users/{id}/mailFolders/{id}/messages"),
    ("POST", "/users/{id}/mailFolders/{id}/messages"),
    ("GET", "/users/{id}/mailFolders/{id}/messages/delta"),
    ("GET", "/users/{id}/mailFolders/{id}/messages/{id}"),
    ("PATCH", "/users/{id}/mailFolders/{id}/messages/{id}"),
    ("DELETE", "/users/{id}/mailFolders/{id}/messages/{id}"),
    ("GET", "/users/{id}/messages"),
    ("POST", "/users/{id}/messages"),
    ("GET", "/users/{id}/messages/{id}"),
    ("PATCH", "/users/{id}/messages/{id}"),
    ("DELETE", "/users/{id}/messages/{id}"),
    ("GET", "/users/{id}/messages/{id}/$value"),
    ("GET", "/users/{id}/messages/{id}/attachments"),
    ("POST", "/users/{id}/messages/{id}/attachments"),
    (
        "POST",
        "/users/{id}/messages/{id}/attachments/createUploadSession",
    ),
    ("GET", "/users/{id}/messages/{id}/attachments/{id}"),
    ("GET", "/users/{id}/messages/{id}/attachments/{id}/$value"),
    ("GET", "/users/{id}/mailboxSettings"),
    // Outlook: calendars
    ("GET", "/users/{id}/calendars"),
    ("POST", "/users/{id}/calendars"),
    ("GET", "/users/{id}/calendars/{id}"),
    ("GET", "/users/{id}/calendars/{id}/events"),
    ("POST", "/users/{id}/calendars/{id}/events"),
    ("GET", "/users/{id}/calendars/{id}/events/{id}"),
    ("DELETE", "/users/{id}/calendars/{id}/events/{id}"),
    ("GET", "/users/{id}/calendars/{id}/calendarView"),
    ("GET", "/users/{id}/calendars/{id}/calendarView/delta"),
    ("GET", "/users/{id}/events"),
    ("POST", "/users/{id}/events"),
    ("GET", "/users/{id}/events/{id}"),
    ("PATCH", "/users/{id}/events/{id}"),
    ("DELETE", "/users/{id}/events/{id}"),
    ("GET", "/users/{id}/events/{id}/instances"),
    ("GET", "/users/{id}/events/{id}/attachments"),
    ("POST", "/users/{id}/events/{id}/attachments"),
    (
        "POST",
        "/users/{id}/events/{id}/attachments/createUploadSession",
    ),
    ("GET", "/users/{id}/events/{id}/attachments/{id}"),
    ("GET", "/users/{id}/calendarView"),
    ("GET", "/users/{id}/calendarView/delta"),
    // Outlook: contacts
    ("GET", "/users/{id}/contactFolders"),
    ("POST", "/users/{id}/contactFolders"),
    ("GET", "/users/{id}/contactFolders/delta"),
    ("GET", "/users/{id}/contactFolders/{id}"),
    ("GET", "/users/{id}/contactFolders/{id}/childFolders"),
    ("POST", "/users/{id}/contactFolders/{id}/childFolders"),
    ("GET", "/users/{id}/contactFolders/{id}/contacts"),
    ("POST", "/users/{id}/contactFolders/{id}/contacts"),
    ("GET", "/users/{id}/contactFolders/{id}/contacts/delta"),
    ("GET", "/users/{id}/contactFolders/{id}/contacts/{id}"),
    ("PATCH", "/users/{id}/contactFolders/{id}/contacts/{id}"),
    ("DELETE", "/users/{id}/contactFolders/{id}/contacts/{id}"),
    ("GET", "/users/{id}/contacts"),
    ("POST", "/users/{id}/contacts"),
    ("GET", "/users/{id}/contacts/delta"),
    ("GET", "/users/{id}/contacts/{id}"),
    ("PATCH", "/users/{id}/contacts/{id}"),
    ("DELETE", "/users/{id}/contacts/{id}"),
    // OneDrive and SharePoint
    ("GET", "/users/{id}/drive"),
    ("GET", "/users/{id}/drives"),
    ("GET", "/users/{id}/drive/root/delta"),
    ("GET", "/groups/{id}/drive"),
    ("GET", "/groups/{id}/drive/root/delta"),
    ("GET", "/groups/{id}/sites/root"),
    ("GET", "/sites"),
    ("GET", "/sites/root"),
    ("GET", "/sites/getAllSites"),
    ("GET", "/sites/{id}"),
    ("GET", "/sites/{id}/sites"),
    ("GET", "/sites/{id}/drive"),
    ("GET", "/sites/{id}/drives"),
    ("GET", "/sites/{id}/drive/root/delta"),
    ("GET", "/sites/{id}/lists"),
    ("POST", "/sites/{id}/lists"),
    ("GET", "/sites/{id}/lists/{id}"),
    ("GET", "/sites/{id}/lists/{id}/columns"),
    ("GET", "/sites/{id}/lists/{id}/items"),
    ("POST", "/sites/{id}/lists/{id}/items"),
    ("GET", "/sites/{id}/lists/{id}/items/{id}"),
    ("PATCH", "/sites/{id}/lists/{id}/items/{id}"),
    ("DELETE", "/sites/{id}/lists/{id}/items/{id}"),
    ("PATCH", "/sites/{id}/lists/{id}/items/{id}/fields"),
    ("GET", "/drives/{id}"),
    ("GET", "/drives/{id}/root"),
    ("GET", "/drives/{id}/root/children"),
    ("POST", "/drives/{id}/root/children"),
    ("GET", "/drives/{id}/root/delta"),
    ("GET", "/drives/{id}/items/{id}"),
    ("PATCH", "/drives/{id}/items/{id}"),
    ("DELETE", "/drives/{id}/items/{id}"),
    ("GET", "/drives/{id}/items/{id}/children"),
    ("POST", "/drives/{id}/items/{id}/children"),
    ("GET", "/drives/{id}/items/{id}/content"),
    ("PUT", "/drives/{id}/items/{id}/content"),
    ("POST", "/drives/{id}/items/{id}/createUploadSession"),
    ("GET", "/drives/{id}/items/{id}/versions"),
    ("GET", "/drives/{id}/items/{id}/versions/{id}"),
    ("GET", "/drives/{id}/items/{id}/versions/{id}/content"),
    ("GET", "/drives/{id}/items/{id}/permissions"),
    // Teams: teams, channels, channel messages
    ("GET", "/teams"),
    ("GET", "/teams/{id}"),
    ("GET", "/groups/{id}/team"),
    ("GET", "/teams/{id}/channels"),
    ("POST", "/teams/{id}/channels"),
    ("GET", "/teams/{id}/allChannels"),
    ("GET", "/teams/{id}/primaryChannel"),
    ("GET", "/teams/{id}/channels/getAllMessages"),
    ("GET", "/teams/{id}/channels/{id}"),
    ("POST", "/teams/{id}/channels/{id}/startMigration"),
    ("POST", "/teams/{id}/channels/{id}/completeMigration"),
    ("GET", "/teams/{id}/channels/{id}/messages"),
    ("POST", "/teams/{id}/channels/{id}/messages"),
    ("GET", "/teams/{id}/channels/{id}/messages/delta"),
    ("GET", "/teams/{id}/channels/{id}/messages/{id}"),
    ("GET", "/teams/{id}/channels/{id}/messages/{id}/replies"),
    ("POST", "/teams/{id}/channels/{id}/messages/{id}/replies"),
    (
        "GET",
        "/teams/{id}/channels/{id}/messages/{id}/replies/{id}",
    ),
    (
        "GET",
        "/teams/{id}/channels/{id}/messages/{id}/hostedContents",
    ),
    (
        "GET",
        "/teams/{id}/channels/{id}/messages/{id}/hostedContents/{id}",
    ),
    (
        "GET",
        "/teams/{id}/channels/{id}/messages/{id}/hostedContents/{id}/$value",
    ),
    (
        "GET",
        "/teams/{id}/channels/{id}/messages/{id}/replies/{id}/hostedContents",
    ),
    (
        "GET",
        "/teams/{id}/channels/{id}/messages/{id}/replies/{id}/hostedContents/{id}",
    ),
    (
        "GET",
        "/teams/{id}/channels/{id}/messages/{id}/replies/{id}/hostedContents/{id}/$value",
    ),
    // Teams chats
    ("GET", "/users/{id}/chats"),
    ("GET", "/users/{id}/chats/getAllMessages"),
    ("GET", "/chats/{id}"),
    ("GET", "/chats/{id}/members"),
    ("GET", "/chats/{id}/messages"),
    ("POST", "/chats/{id}/messages"),
    ("GET", "/chats/{id}/messages/{id}"),
    ("GET", "/chats/{id}/messages/{id}/hostedContents"),
    ("GET", "/chats/{id}/messages/{id}/hostedContents/{id}"),
    (
        "GET",
        "/chats/{id}/messages/{id}/hostedContents/{id}/$value",
    ),
    // Microsoft 365 group conversations
    ("GET", "/groups/{id}/conversations"),
    ("GET", "/groups/{id}/conversations/{id}"),
    ("GET", "/groups/{id}/conversations/{id}/threads"),
    ("GET", "/groups/{id}/threads"),
    ("GET", "/groups/{id}/threads/{id}"),
    ("GET", "/groups/{id}/threads/{id}/posts"),
    ("GET", "/groups/{id}/threads/{id}/posts/{id}"),
    // Group membership writes
    ("POST", "/groups/{id}/members/$ref"),
    ("DELETE", "/groups/{id}/members/{id}/$ref"),
    ("POST", "/groups/{id}/owners/$ref"),
    ("DELETE", "/groups/{id}/owners/{id}/$ref"),
];

/// The Graph routes (mounted at `/v1.0`).
pub fn routes(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/users", get(users::list))
        .route("/users/delta", get(users::delta))
        .route("/users/{id}", get(users::get))
        .route("/me", get(users::me))
        .route("/groups", get(groups::list))
        .route("/groups/delta", get(groups::delta))
        .route("/groups/{id}", get(groups::get))
        .route("/groups/{id}/members", get(groups::members))
        .route(
            "/groups/{id}/transitiveMembers",
            get(groups::transitive_members),
        )
        .route("/groups/{id}/owners", get(groups::owners))
        .route("/organization", get(directory::organization))
        .route("/subscribedSkus", get(directory::subscribed_skus))
        .route("/directory/subscriptions", get(directory::subscriptions))
        .route(
            "/directory/subscriptions/{id}",
            get(directory::subscription),
        )
        .route("/applications", get(apps::list).post(apps::create))
        .route(
            "/applications/{id}",
            get(apps::get).patch(apps::update).delete(apps::delete),
        )
        .route("/applications/{id}/addPassword", post(apps::add_password))
        .route(
            "/applications/{id}/removePassword",
            post(apps::remove_password),
        )
        .route("/applications/{id}/addKey", post(apps::add_key))
        .route(
            "/servicePrincipals",
            get(service_principals::list).post(service_principals::create),
        )
        .route("/servicePrincipals/{id}", get(service_principals::get))
        .route(
            "/servicePrincipals/{id}/appRoleAssignments",
            get(service_principals::assignments),
        )
        .route(
            "/servicePrincipals/{id}/appRoleAssignedTo",
            get(service_principals::assigned_to).post(service_principals::grant),
        )
        .merge(outlook_routes())
        .merge(drive_routes())
        .merge(teams::routes())
        .merge(chat_routes())
        .merge(crate::reports::graph_routes())
        .route("/$batch", post(batch::batch))
        .route_layer(middleware::from_fn_with_state(state, auth::authorize))
}

/// Outlook's routes: mail, calendars, contacts, mailbox settings.
fn outlook_routes() -> Router<AppState> {
    const U: &str = "/users/{id}";
    let r = |path: &str| format!("{U}{path}");
    Router::new()
        .route(
            &r("/mailFolders"),
            get(mail::list_folders).post(mail_write::post_folder),
        )
        .route(&r("/mailFolders/delta"), get(mail::folders_delta))
        .route(
            &r("/mailFolders/{folder}"),
            get(mail::get_folder).delete(mail_write::delete_folder),
        )
        .route(
            &r("/mailFolders/{folder}/childFolders"),
            get(mail::child_folders).post(mail_write::post_child_folder),
        )
        .route(
            &r("/mailFolders/{folder}/messages"),
            get(mail::folder_messages).post(mail_write::post_folder_message),
        )
        .route(
            &r("/mailFolders/{folder}/messages/delta"),
            get(mail::messages_delta),
        )
        .route(
            &r("/mailFolders/{folder}/messages/{message}"),
            get(mail::get_folder_message)
                .patch(mail_write::patch_folder_message)
                .delete(mail_write::delete_folder_message),
        )
        .route(
            &r("/messages"),
            get(mail::list_messages).post(mail_write::post_message),
        )
        .route(
            &r("/messages/{message}"),
            get(mail::get_message)
                .patch(mail_write::patch_message)
                .delete(mail_write::delete_message),
        )
        .route(&r("/messages/{message}/$value"), get(mail::message_value))
        .route(
            &r("/messages/{message}/attachments"),
            get(mail::list_attachments).post(mail_write::post_attachment),
        )
        .route(
            &r("/messages/{message}/attachments/createUploadSession"),
            post(mail_write::message_upload_session),
        )
        .route(
            &r("/messages/{message}/attachments/{attachment}"),
            get(mail::get_attachment),
        )
        .route(
            &r("/messages/{message}/attachments/{attachment}/$value"),
            get(mail::attachment_value),
        )
        .route(&r("/mailboxSettings"), get(mail::mailbox_settings))
        .route(
            &r("/calendars"),
            get(calendar::list_calendars).post(calendar::post_calendar),
        )
        .route(&r("/calendars/{calendar}"), get(calendar::get_calendar))
        .route(
            &r("/calendars/{calendar}/events"),
            get(calendar::calendar_events).post(calendar::post_calendar_event),
        )
        .route(
            &r("/calendars/{calendar}/events/{event}"),
            get(calendar::get_calendar_event).delete(calendar::delete_calendar_event),
        )
        .route(
            &r("/calendars/{calendar}/calendarView"),
            get(calendar::calendar_view_of),
        )
        .route(
            &r("/calendars/{calendar}/calendarView/delta"),
            get(calendar::calendar_view_delta_of),
        )
        .route(
            &r("/events"),
            get(calendar::list_events).post(calendar::post_event),
        )
        .route(
            &r("/events/{event}"),
            get(calendar::get_event)
                .patch(calendar::patch_event)
                .delete(calendar::delete_event),
        )
        .route(
            &r("/events/{event}/instances"),
            get(calendar::event_instances),
        )
        .route(
            &r("/events/{event}/attachments"),
            get(calendar::list_event_attachments).post(calendar::post_event_attachment),
        )
        .route(
            &r("/events/{event}/attachments/createUploadSession"),
            post(calendar::event_upload_session),
        )
        .route(
            &r("/events/{event}/attachments/{attachment}"),
            get(calendar::get_event_attachment),
        )
        .route(&r("/calendarView"), get(calendar::calendar_view))
        .route(
            &r("/calendarView/delta"),
            get(calendar::calendar_view_delta),
        )
        .route(
            &r("/contactFolders"),
            get(contacts::list_folders).post(contacts::post_folder),
        )
        .route(&r("/contactFolders/delta"), get(contacts::folders_delta))
        .route(&r("/contactFolders/{folder}"), get(contacts::get_folder))
        .route(
            &r("/contactFolders/{folder}/childFolders"),
            get(contacts::child_folders).post(contacts::post_child_folder),
        )
        .route(
            &r("/contactFolders/{folder}/contacts"),
            get(contacts::folder_contacts).post(contacts::post_folder_contact),
        )
        .route(
            &r("/contactFolders/{folder}/contacts/delta"),
            get(contacts::folder_contacts_delta),
        )
        .route(
            &r("/contactFolders/{folder}/contacts/{contact}"),
            get(contacts::get_folder_contact)
                .patch(contacts::patch_folder_contact)
                .delete(contacts::delete_folder_contact),
        )
        .route(
            &r("/contacts"),
            get(contacts::list_contacts).post(contacts::post_contact),
        )
        .route(&r("/contacts/delta"), get(contacts::contacts_delta))
        .route(
            &r("/contacts/{contact}"),
            get(contacts::get_contact)
                .patch(contacts::patch_contact)
                .delete(contacts::delete_contact),
        )
}

/// OneDrive and SharePoint: drives, items, delta, sites, lists.
fn drive_routes() -> Router<AppState> {
    const D: &str = "/drives/{drive}";
    const I: &str = "/drives/{drive}/items/{item}";
    const S: &str = "/sites/{site}";
    let d = |p: &str| format!("{D}{p}");
    let i = |p: &str| format!("{I}{p}");
    let s = |p: &str| format!("{S}{p}");
    Router::new()
        .route("/users/{id}/drive", get(drives::user_drive))
        .route("/users/{id}/drives", get(drives::user_drives))
        .route(
            "/users/{id}/drive/root/delta",
            get(drives::delta::user_delta),
        )
        .route("/groups/{id}/drive", get(drives::group_drive))
        .route(
            "/groups/{id}/drive/root/delta",
            get(drives::delta::group_delta),
        )
        .route("/groups/{id}/sites/root", get(sites::group_site))
        .route("/sites", get(sites::search_sites))
        .route("/sites/root", get(sites::root_site))
        .route("/sites/getAllSites", get(sites::all_sites))
        .route(S, get(sites::get_site))
        .route(&s("/sites"), get(sites::subsites))
        .route(&s("/drive"), get(drives::site_drive))
        .route(&s("/drives"), get(drives::site_drives))
        .route(&s("/drive/root/delta"), get(drives::delta::site_delta))
        .route(&s("/lists"), get(lists::lists).post(lists::create_list))
        .route(&s("/lists/{list}"), get(lists::get_list))
        .route(&s("/lists/{list}/columns"), get(lists::columns))
        .route(
            &s("/lists/{list}/items"),
            get(lists::items).post(lists::create_item),
        )
        .route(
            &s("/lists/{list}/items/{item}"),
            get(lists::get_item)
                .patch(lists::patch_item)
                .delete(lists::delete_item),
        )
        .route(
            &s("/lists/{list}/items/{item}/fields"),
            axum::routing::patch(lists::patch_fields),
        )
        .route(D, get(drives::get_drive))
        .route(&d("/root"), get(drives::get_root))
        .route(
            &d("/root/children"),
            get(drives::root_children).post(drives::write::post_root_child),
        )
        .route(&d("/root/delta"), get(drives::delta::drive_delta))
        .route(
            I,
            get(drives::get_item)
                .patch(drives::write::patch_item)
                .delete(drives::write::delete_item),
        )
        .route(
            &i("/children"),
            get(drives::children).post(drives::write::post_child),
        )
        .route(
            &i("/content"),
            get(drives::content).put(drives::write::put_content),
        )
        .route(
            &i("/createUploadSession"),
            post(drives::write::create_upload_session),
        )
        .route(&i("/versions"), get(drives::versions))
        .route(&i("/versions/{version}"), get(drives::version))
        .route(
            &i("/versions/{version}/content"),
            get(drives::version_content),
        )
        .route(&i("/permissions"), get(drives::permissions))
}

/// Teams chats, Microsoft 365 group conversations, group membership writes.
fn chat_routes() -> Router<AppState> {
    use axum::routing::delete;
    const C: &str = "/chats/{chat}";
    const M: &str = "/chats/{chat}/messages/{message}";
    const G: &str = "/groups/{id}";
    let c = |p: &str| format!("{C}{p}");
    let m = |p: &str| format!("{M}{p}");
    let g = |p: &str| format!("{G}{p}");
    Router::new()
        .route("/users/{id}/chats", get(chats::list))
        .route(
            "/users/{id}/chats/getAllMessages",
            get(chats::export::all_messages),
        )
        .route(C, get(chats::get))
        .route(&c("/members"), get(chats::members))
        .route(
            &c("/messages"),
            get(chats::messages).post(chats::post_message),
        )
        .route(M, get(chats::message))
        .route(&m("/hostedContents"), get(chats::hosted_contents))
        .route(&m("/hostedContents/{hosted}"), get(chats::hosted_content))
        .route(
            &m("/hostedContents/{hosted}/$value"),
            get(chats::hosted_value),
        )
        .route(&g("/conversations"), get(conversations::list_conversations))
        .route(
            &g("/conversations/{conversation}"),
            get(conversations::get_conversation),
        )
        .route(
            &g("/conversations/{conversation}/threads"),
            get(conversations::conversation_threads),
        )
        .route(&g("/threads"), get(conversations::list_threads))
        .route(&g("/threads/{thread}"), get(conversations::get_thread))
        .route(
            &g("/threads/{thread}/posts"),
            get(conversations::list_posts),
        )
        .route(
            &g("/threads/{thread}/posts/{post}"),
            get(conversations::get_post),
        )
        .route(&g("/members/$ref"), post(members_write::add_member))
        .route(
            &g("/members/{member}/$ref"),
            delete(members_write::remove_member),
        )
        .route(&g("/owners/$ref"), post(members_write::add_owner))
        .route(
            &g("/owners/{owner}/$ref"),
            delete(members_write::remove_owner),
        )
}

/// Marks a request whose key segment was an alternate key, `(appId='…')`.
#[derive(Debug, Clone, Copy)]
pub struct ByAppId;

/// Graph path segments are case-insensitive; routes use these spellings.
const CANONICAL_SEGMENTS: &[&str] = &[
    "users",
    "delta",
    "me",
    "groups",
    "members",
    "transitiveMembers",
    "owners",
    "organization",
    "subscribedSkus",
    "directory",
    "subscriptions",
    "reports",
    "admin",
    "reportSettings",
    "applications",
    "addPassword",
    "removePassword",
    "addKey",
    "servicePrincipals",
    "appRoleAssignments",
    "appRoleAssignedTo",
    "$batch",
    "v1.0",
    "mailFolders",
    "childFolders",
    "messages",
    "attachments",
    "createUploadSession",
    "$value",
    "mailboxSettings",
    "calendars",
    "events",
    "instances",
    "calendarView",
    "contactFolders",
    "contacts",
    "drive",
    "drives",
    "root",
    "items",
    "children",
    "content",
    "versions",
    "permissions",
    "sites",
    "getAllSites",
    "lists",
    "columns",
    "fields",
    "chats",
    "getAllMessages",
    "hostedContents",
    "conversations",
    "threads",
    "posts",
    "$ref",
    "teams",
    "team",
    "channels",
    "allChannels",
    "primaryChannel",
    "startMigration",
    "completeMigration",
    "replies",
];

/// Rewrites a request path so the router can match it: canonical casing of
/// known segments, and `entity(appId='X')` as `entity/X` plus [`ByAppId`].
pub fn normalize_path(path: &str) -> (String, bool) {
    // Items and sites addressed by path keep their names as sent, in one segment.
    let folded = drives::address::fold(path);
    let path = folded.as_deref().unwrap_or(path);
    let mut by_app_id = false;
    let mut out = String::with_capacity(path.len());
    for segment in path.split('/').skip(1) {
        out.push('/');
        let decoded = segment
            .replace("%27", "'")
            .replace("%28", "(")
            .replace("%29", ")");
        if let Some((entity, rest)) = decoded.split_once('(')
            && let Some(key) = rest.strip_suffix(')')
            && let Some((name, value)) = key.split_once('=')
            && name.eq_ignore_ascii_case("appId")
        {
            let canonical = CANONICAL_SEGMENTS
                .iter()
                .find(|c| c.eq_ignore_ascii_case(entity))
                .copied()
                .unwrap_or(entity);
            out.push_str(canonical);
            out.push('/');
            out.push_str(value.trim_matches('\''));
            by_app_id = true;
            continue;
        }
        match CANONICAL_SEGMENTS
            .iter()
            .find(|c| c.eq_ignore_ascii_case(segment))
        {
            Some(c) => out.push_str(c),
            None => out.push_str(segment),
        }
    }
    (out, by_app_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_case_and_alternate_keys() {
        assert_eq!(
            normalize_path("/V1.0/Users/ABC/memberOf"),
            ("/v1.0/users/ABC/memberOf".to_owned(), false)
        );
        assert_eq!(
            normalize_path("/v1.0/applications(appId='1234')/addpassword"),
            ("/v1.0/applications/1234/addPassword".to_owned(), true)
        );
        assert_eq!(
            normalize_path(
                "/v1.0/servicePrincipals(appId=%2700000003-0000-0000-c000-000000000000%27)"
            ),
            (
                "/v1.0/servicePrincipals/00000003-0000-0000-c000-000000000000".to_owned(),
                true
            )
        );
    }
}
