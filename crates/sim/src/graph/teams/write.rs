//! Writes for restore, through Teams' migration mode ("Import third-party
//! platform messages to Teams using Microsoft Graph"):
//!
//! - `POST /teams/{id}/channels` creates a standard, private or shared
//!   channel; with `@microsoft.graph.channelCreationMode: migration` (which
//!   needs `Teamwork.Migrate.All`) it is created in migration mode and may be
//!   back-dated with `createdDateTime` (not in the future); `createdDateTime`
//!   without migration mode is refused.
//! - `POST …/channels/{id}/startMigration` puts an existing channel in
//!   migration mode (`conversationCreationDateTime`, older than the channel,
//!   replaces its `createdDateTime`); `POST …/completeMigration` ends it (400
//!   when the channel is not in migration mode).
//! - `POST …/messages` and `POST …/messages/{id}/replies`: in a channel in
//!   migration mode, applications (only the one that owns the migration)
//!   import messages with `from` (required) and `createdDateTime` (optional,
//!   later than the channel's creation, not in the future, unique to the
//!   millisecond or 409), inline images as `hostedContents` with
//!   `@microsoft.graph.temporaryId`, and reference attachments. Outside
//!   migration mode applications get 401 ("Message POST is allowed in
//!   application-only context only for import purposes"); delegated callers
//!   (`ChannelMessage.Send`) post as themselves, now, and may not set
//!   `createdDateTime` or `from`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{bad_request, channel_of, failure, no_message, on_team_mut, with_context};
use crate::failure::{GraphFailure, GraphResult};
use crate::graph::auth::Principal;
use crate::state::{AppState, SimState};
use crate::teams::generate::hosted_url;
use crate::teams::ops::{NewChannel, NewMessage};
use crate::teams::{
    Attachment, Author, Hosted, HostedData, Membership, Migration, MigrationMode, Team, image,
    millis, render,
};

const MIGRATE: &str = "Teamwork.Migrate.All";

fn json_body(body: &Bytes) -> GraphResult<Value> {
    if body.is_empty() {
        return Ok(Value::Object(Default::default()));
    }
    serde_json::from_slice(body).map_err(|_| bad_request("Invalid request body: not JSON."))
}

fn principal(p: Option<Extension<Principal>>) -> GraphResult<Principal> {
    p.map(|Extension(p)| p)
        .ok_or_else(|| failure(StatusCode::UNAUTHORIZED, "Unauthorized", "Unauthorized"))
}

fn migrate_denied(p: &Principal) -> GraphFailure {
    super::denied(p, "POST", "/teams/{id}/channels/{id}/completemigration").unwrap_or_else(|| {
        failure(
            StatusCode::FORBIDDEN,
            "Forbidden",
            "Missing role permissions on the request.",
        )
    })
}

fn time_field(v: &Value, name: &str) -> GraphResult<Option<OffsetDateTime>> {
    match v.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => OffsetDateTime::parse(s, &Rfc3339)
            .map(Some)
            .map_err(|_| bad_request(format!("Invalid value for '{name}': '{s}'."))),
        Some(other) => Err(bad_request(format!("Invalid value for '{name}': {other}."))),
    }
}

fn str_field<'a>(v: &'a Value, name: &str) -> Option<&'a str> {
    v.get(name).and_then(Value::as_str)
}

/// Characters Teams refuses in channel names.
const BAD_NAME_CHARS: &[char] = &[
    '~', '#', '%', '&', '*', '{', '}', '+', '/', '\\', ':', '<', '>', '?', '|', '\'', '"',
];

/// `POST /teams/{id}/channels`.
pub async fn create_channel(
    State(state): State<AppState>,
    Path(team): Path<String>,
    p: Option<Extension<Principal>>,
    body: Bytes,
) -> GraphResult<Response> {
    let p = principal(p)?;
    let v = json_body(&body)?;
    let name = str_field(&v, "displayName")
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .ok_or_else(|| bad_request("Channel displayName is required."))?
        .to_owned();
    if name.chars().count() > 50 || name.contains(BAD_NAME_CHARS) {
        return Err(bad_request(format!("Channel name '{name}' is not valid.")));
    }
    let membership = match str_field(&v, "membershipType") {
        None => Membership::Standard,
        Some(m) => Membership::parse(m)
            .ok_or_else(|| bad_request(format!("Invalid membershipType '{m}'.")))?,
    };
    let migration = match str_field(&v, "@microsoft.graph.channelCreationMode") {
        None => false,
        Some(m) if m.eq_ignore_ascii_case("migration") => true,
        Some(m) => return Err(bad_request(format!("Invalid channelCreationMode '{m}'."))),
    };
    let created = time_field(&v, "createdDateTime")?;
    if migration && !(matches!(p, Principal::App { .. }) && p.holds(MIGRATE)) {
        return Err(migrate_denied(&p));
    }
    let now = state.now();
    if created.is_some() && !migration {
        return Err(bad_request(
            "createdDateTime can be set only for a channel created for migration (@microsoft.graph.channelCreationMode: migration).",
        ));
    }
    if created.is_some_and(|c| c > now) {
        return Err(bad_request("createdDateTime cannot be in the future."));
    }
    let description = str_field(&v, "description").map(str::to_owned);
    let app_id = p.app_id().to_owned();
    on_team_mut(&state, &team, move |state, t| {
        if t.channels
            .iter()
            .any(|c| c.name.eq_ignore_ascii_case(&name))
        {
            return Err(failure(
                StatusCode::BAD_REQUEST,
                "NameAlreadyExists",
                "Channel name already existed, please use other name.",
            ));
        }
        let id = format!("19:{}@thread.tacv2", uuid::Uuid::new_v4().simple());
        let email = match membership {
            Membership::Standard => format!("{}.{}@amer.teams.ms", &id[3..11], t.tenant_id),
            _ => String::new(),
        };
        let c = t.add_channel(NewChannel {
            id,
            name,
            description,
            membership,
            created: created.unwrap_or(now),
            email,
            general: false,
            migration: migration.then_some(Migration {
                mode: MigrationMode::InProgress,
                app_id,
                original_created: now,
            }),
        });
        let v = render::channel(t, &t.channels[c]);
        let mut response = with_context(
            format!(
                "{}/v1.0/$metadata#teams('{}')/channels/$entity",
                state.base_url(),
                t.id
            ),
            v,
        );
        *response.status_mut() = StatusCode::CREATED;
        Ok(response)
    })
    .await
}

/// `POST /teams/{id}/channels/{id}/startMigration`.
pub async fn start_migration(
    State(state): State<AppState>,
    Path((team, channel)): Path<(String, String)>,
    p: Option<Extension<Principal>>,
    body: Bytes,
) -> GraphResult<Response> {
    let p = principal(p)?;
    let v = json_body(&body)?;
    let since = time_field(&v, "conversationCreationDateTime")?;
    on_team_mut(&state, &team, move |_, t| {
        let c = channel_of(t, &channel)?;
        let ch = &mut t.channels[c];
        if ch.importing() {
            return Err(bad_request("The channel is already in migration mode."));
        }
        if since.is_some_and(|s| s >= ch.created) {
            return Err(bad_request(
                "conversationCreationDateTime must be older than the channel's createdDateTime.",
            ));
        }
        let original = ch
            .migration
            .as_ref()
            .map_or(ch.created, |m| m.original_created);
        ch.migration = Some(Migration {
            mode: MigrationMode::InProgress,
            app_id: p.app_id().to_owned(),
            original_created: original,
        });
        if let Some(s) = since {
            ch.created = s;
        }
        Ok(StatusCode::NO_CONTENT.into_response())
    })
    .await
}

/// `POST /teams/{id}/channels/{id}/completeMigration`.
pub async fn complete_migration(
    State(state): State<AppState>,
    Path((team, channel)): Path<(String, String)>,
    p: Option<Extension<Principal>>,
) -> GraphResult<Response> {
    let p = principal(p)?;
    on_team_mut(&state, &team, move |_, t| {
        let c = channel_of(t, &channel)?;
        let Some(m) = t.channels[c]
            .migration
            .as_mut()
            .filter(|m| m.mode == MigrationMode::InProgress)
        else {
            return Err(bad_request("The channel is not in migration mode."));
        };
        if !m.app_id.eq_ignore_ascii_case(p.app_id()) {
            return Err(not_owner());
        }
        m.mode = MigrationMode::Completed;
        Ok(StatusCode::NO_CONTENT.into_response())
    })
    .await
}

fn not_owner() -> GraphFailure {
    failure(
        StatusCode::FORBIDDEN,
        "Forbidden",
        "Only the application that started the migration can import messages into this channel or complete its migration.",
    )
}

/// What a POST of a message asks for, read before the team is locked.
struct Posted {
    principal: Principal,
    body: Value,
}

/// `POST /teams/{id}/channels/{id}/messages`.
pub async fn post_message(
    State(state): State<AppState>,
    Path((team, channel)): Path<(String, String)>,
    p: Option<Extension<Principal>>,
    body: Bytes,
) -> GraphResult<Response> {
    let posted = Posted {
        principal: principal(p)?,
        body: json_body(&body)?,
    };
    on_team_mut(&state, &team, move |state, t| {
        let c = channel_of(t, &channel)?;
        post(state, t, c, None, posted)
    })
    .await
}

/// `POST /teams/{id}/channels/{id}/messages/{id}/replies`.
pub async fn post_reply(
    State(state): State<AppState>,
    Path((team, channel, message)): Path<(String, String, String)>,
    p: Option<Extension<Principal>>,
    body: Bytes,
) -> GraphResult<Response> {
    let posted = Posted {
        principal: principal(p)?,
        body: json_body(&body)?,
    };
    on_team_mut(&state, &team, move |state, t| {
        let c = channel_of(t, &channel)?;
        let top = t.channels[c].top(&message).ok_or_else(no_message)?;
        post(state, t, c, Some(top), posted)
    })
    .await
}

/// The author and time of a post: the imported ones in migration mode (for
/// the application that owns it), the caller and now for delegated callers.
fn author_and_time(
    state: &SimState,
    t: &Team,
    c: usize,
    posted: &Posted,
) -> GraphResult<(Author, OffsetDateTime)> {
    let ch = &t.channels[c];
    let now = state.now();
    let v = &posted.body;
    let created = time_field(v, "createdDateTime")?;
    let from = v.get("from").filter(|f| !f.is_null());
    match &posted.principal {
        Principal::App { app_id, .. } => {
            let Some(m) = ch.migration.as_ref().filter(|_| ch.importing()) else {
                return Err(failure(
                    StatusCode::UNAUTHORIZED,
                    "Unauthorized",
                    "Message POST is allowed in application-only context only for import purposes. Refer to https://docs.microsoft.com/microsoftteams/platform/graph-api/import-messages/import-external-messages-to-teams for more details.",
                ));
            };
            if !m.app_id.eq_ignore_ascii_case(app_id) {
                return Err(not_owner());
            }
            let user = from
                .and_then(|f| f.get("user"))
                .ok_or_else(|| bad_request("Imported messages need an author: set from.user."))?;
            let id = str_field(user, "id").unwrap_or_default();
            let tenant = state.tenant();
            let (_, u) = tenant.user(id).ok_or_else(|| {
                bad_request(format!("from.user.id '{id}' is not a user of this tenant."))
            })?;
            let author = Author {
                id: u.id.to_string(),
                name: str_field(user, "displayName")
                    .map(str::to_owned)
                    .unwrap_or_else(|| u.display_name.clone()),
            };
            let at = created.unwrap_or(now);
            if at > now {
                return Err(bad_request("createdDateTime cannot be in the future."));
            }
            if at <= ch.created {
                return Err(bad_request(
                    "createdDateTime must be later than the channel's createdDateTime.",
                ));
            }
            if ch.message(&millis(at).to_string()).is_some() {
                return Err(failure(
                    StatusCode::CONFLICT,
                    "Conflict",
                    "A message with the same createdDateTime exists in this channel; createdDateTime must be unique to the millisecond.",
                ));
            }
            Ok((author, at))
        }
        Principal::User { user_id, .. } => {
            if ch.importing() {
                return Err(failure(
                    StatusCode::FORBIDDEN,
                    "Forbidden",
                    "The channel is in migration mode: only the importing application can post.",
                ));
            }
            if created.is_some() || from.is_some() {
                return Err(bad_request(
                    "createdDateTime and from can be set only when importing messages into a channel in migration mode.",
                ));
            }
            let tenant = state.tenant();
            let (_, u) = tenant
                .user(user_id)
                .ok_or_else(|| failure(StatusCode::UNAUTHORIZED, "Unauthorized", "Unauthorized"))?;
            Ok((
                Author {
                    id: u.id.to_string(),
                    name: u.display_name.clone(),
                },
                now,
            ))
        }
    }
}

fn post(
    state: &SimState,
    t: &mut Team,
    c: usize,
    parent: Option<usize>,
    posted: Posted,
) -> GraphResult<Response> {
    let (author, created) = author_and_time(state, t, c, &posted)?;
    let v = &posted.body;
    let body = v
        .get("body")
        .filter(|b| b.is_object())
        .ok_or_else(|| bad_request("Message body is required."))?;
    let html = match str_field(body, "contentType") {
        None => false,
        Some(k) if k.eq_ignore_ascii_case("text") => false,
        Some(k) if k.eq_ignore_ascii_case("html") => true,
        Some(k) => return Err(bad_request(format!("Invalid body contentType '{k}'."))),
    };
    let mut content = str_field(body, "content").unwrap_or_default().to_owned();
    let base = state.base_url();
    let mut hosted = Vec::new();
    for h in v
        .get("hostedContents")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let temp = str_field(h, "@microsoft.graph.temporaryId")
            .ok_or_else(|| bad_request("hostedContents need @microsoft.graph.temporaryId."))?;
        let bytes = STANDARD
            .decode(str_field(h, "contentBytes").unwrap_or_default())
            .map_err(|_| bad_request("hostedContents contentBytes is not base64."))?;
        let id = image::hosted_id(rand::random());
        let url = hosted_url(&base, t, c, parent.is_some(), &id);
        content = content.replace(&format!("../hostedContents/{temp}/$value"), &url);
        hosted.push(Hosted {
            id,
            content_type: str_field(h, "contentType")
                .unwrap_or("image/png")
                .to_owned(),
            data: HostedData::Stored(Arc::new(bytes)),
        });
    }
    let attachments = v
        .get("attachments")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|a| str_field(a, "contentType") == Some("reference"))
        .map(|a| Attachment {
            id: str_field(a, "id").unwrap_or_default().to_owned(),
            name: str_field(a, "name").unwrap_or_default().to_owned(),
            url: str_field(a, "contentUrl").unwrap_or_default().to_owned(),
        })
        .collect();
    let mentions = v
        .get("mentions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|m| {
            let user = m.get("mentioned")?.get("user")?;
            Some(Author {
                id: str_field(user, "id")?.to_owned(),
                name: str_field(user, "displayName")
                    .or_else(|| str_field(m, "mentionText"))
                    .unwrap_or_default()
                    .to_owned(),
            })
        })
        .collect();
    let importance = match str_field(v, "importance") {
        None => "normal",
        Some(i) if i.eq_ignore_ascii_case("normal") => "normal",
        Some(i) if i.eq_ignore_ascii_case("high") => "high",
        Some(i) if i.eq_ignore_ascii_case("urgent") => "urgent",
        Some(i) => return Err(bad_request(format!("Invalid importance '{i}'."))),
    };
    let mut m = NewMessage::text(author, created, html, content);
    m.parent = parent;
    m.subject = parent
        .is_none()
        .then(|| str_field(v, "subject").map(str::to_owned))
        .flatten();
    m.importance = importance;
    m.hosted = hosted;
    m.attachments = attachments;
    m.mentions = mentions;
    let i = t.post(c, m);
    let ch = &t.channels[c];
    let rest = match parent {
        None => "/messages/$entity".to_owned(),
        Some(p) => format!("/messages('{}')/replies/$entity", ch.messages[p].id),
    };
    let mut response = with_context(
        render::context(&base, &t.id, &ch.id, &rest),
        render::message(t, ch, &ch.messages[i], false),
    );
    *response.status_mut() = StatusCode::CREATED;
    Ok(response)
}
