//! `POST /_sim/mutate`: deterministic changes to mailboxes, as users would make
//! them, so that tests can check that incremental backups see exactly them.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Deserialize;
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::truth::Kind;
use super::{Mailbox, Origin, generate, lock};
use crate::state::AppState;

/// The body of `POST /_sim/mutate`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MutateRequest {
    /// Chooses the changes.
    pub seed: u64,
    /// Items to add, per kind.
    #[serde(default)]
    pub add: usize,
    /// Items to modify, per kind.
    #[serde(default)]
    pub modify: usize,
    /// Messages to move to another folder (they get new ids).
    #[serde(default, rename = "move")]
    pub moves: usize,
    /// Items to delete, per kind.
    #[serde(default)]
    pub delete: usize,
    /// Which kinds (default: all three).
    #[serde(default = "all_kinds")]
    pub kinds: Vec<Kind>,
    /// User principal names (or ids) to change; default every mailbox.
    #[serde(default)]
    pub users: Option<Vec<String>>,
    /// Sites whose libraries (`file`) or lists (`listItem`) change. For those
    /// kinds, without `users` and `sites` every OneDrive and site changes.
    #[serde(default)]
    pub sites: Option<Vec<String>>,
    /// Groups whose members change (`member`); default every group.
    #[serde(default)]
    pub groups: Option<Vec<String>>,
    /// Teams whose channel messages (`channelMessage`) change; default every team.
    #[serde(default)]
    pub teams: Option<Vec<String>>,
}

fn all_kinds() -> Vec<Kind> {
    vec![Kind::Message, Kind::Event, Kind::Contact]
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Add,
    Modify,
    Move,
    Delete,
}

impl Op {
    fn name(self) -> &'static str {
        match self {
            Op::Add => "add",
            Op::Modify => "modify",
            Op::Move => "move",
            Op::Delete => "delete",
        }
    }
}

fn kind_name(k: Kind) -> &'static str {
    match k {
        Kind::Message => "message",
        Kind::Event => "event",
        Kind::Contact => "contact",
        Kind::File => "file",
        Kind::ListItem => "listItem",
        Kind::ChatMessage => "chatMessage",
        Kind::HostedContent => "hostedContent",
        Kind::Member => "member",
        Kind::ChannelMessage => "channelMessage",
    }
}

/// Changes files and list items (`crate::drive::mutate`).
fn drive_changes(
    state: &crate::state::SimState,
    req: &MutateRequest,
    now: OffsetDateTime,
) -> Result<Vec<Value>, String> {
    let plan = crate::drive::mutate::Plan {
        seed: req.seed,
        add: req.add,
        modify: req.modify,
        moves: req.moves,
        delete: req.delete,
        users: req.users.as_deref(),
        sites: req.sites.as_deref(),
    };
    let mut out = Vec::new();
    if req.kinds.contains(&Kind::File) {
        out.extend(crate::drive::mutate::files(state, &plan, now)?);
    }
    if req.kinds.contains(&Kind::ListItem) {
        out.extend(crate::drive::mutate::list_items(state, &plan, now)?);
    }
    let chats = crate::chats::mutate::Plan {
        seed: req.seed,
        add: req.add,
        modify: req.modify,
        delete: req.delete,
        users: req.users.as_deref(),
        groups: req.groups.as_deref(),
    };
    if req.kinds.contains(&Kind::ChatMessage) {
        out.extend(crate::chats::mutate::chat_messages(state, &chats, now)?);
    }
    if req.kinds.contains(&Kind::Member) {
        out.extend(crate::chats::mutate::members(state, &chats)?);
    }
    if req.kinds.contains(&Kind::ChannelMessage) {
        let plan = crate::teams::mutate::Plan {
            seed: req.seed,
            add: req.add,
            modify: req.modify,
            delete: req.delete,
            teams: req.teams.as_deref(),
        };
        out.extend(crate::teams::mutate::channel_messages(state, &plan, now)?);
    }
    Ok(out)
}

/// `POST /_sim/mutate`.
pub async fn handler(State(state): State<AppState>, Json(req): Json<MutateRequest>) -> Response {
    if req.kinds.iter().any(|k| !k.in_mailbox()) {
        let now = state.now();
        let mailbox_kinds: Vec<Kind> = req
            .kinds
            .iter()
            .copied()
            .filter(|k| k.in_mailbox())
            .collect();
        let state2 = state.clone();
        let req2 = req.clone();
        let drive = tokio::task::spawn_blocking(move || drive_changes(&state2, &req2, now)).await;
        let mut changes = match drive {
            Ok(Ok(c)) => c,
            Ok(Err(e)) => {
                return (StatusCode::BAD_REQUEST, Json(json!({"error": e}))).into_response();
            }
            Err(e) => {
                return (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    Json(json!({"error": e.to_string()})),
                )
                    .into_response();
            }
        };
        if !mailbox_kinds.is_empty() {
            let inner = Box::pin(handler(
                State(state),
                Json(MutateRequest {
                    kinds: mailbox_kinds,
                    ..req
                }),
            ))
            .await;
            let (parts, body) = inner.into_parts();
            if !parts.status.is_success() {
                return Response::from_parts(parts, body);
            }
            let bytes = axum::body::to_bytes(body, usize::MAX)
                .await
                .unwrap_or_default();
            let v: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
            let mut mailbox = v["changes"].as_array().cloned().unwrap_or_default();
            mailbox.extend(changes);
            changes = mailbox;
        }
        return Json(json!({"count": changes.len(), "changes": changes})).into_response();
    }
    let users: Vec<(usize, String)> = {
        let t = state.tenant();
        match &req.users {
            Some(keys) => {
                let mut out = Vec::new();
                for k in keys {
                    match t.user(k) {
                        Some((i, u)) if t.has_mailbox(i) => {
                            out.push((i, u.user_principal_name.clone()))
                        }
                        _ => {
                            return (
                                StatusCode::BAD_REQUEST,
                                Json(
                                    json!({"error": format!("'{k}' is not a user with a mailbox")}),
                                ),
                            )
                                .into_response();
                        }
                    }
                }
                out
            }
            None => (0..t.users.len())
                .filter(|&i| t.users[i].deleted_seq.is_none() && t.has_mailbox(i))
                .map(|i| (i, t.users[i].user_principal_name.clone()))
                .collect(),
        }
    };
    if users.is_empty() {
        return Json(json!({"changes": [], "count": 0})).into_response();
    }
    let now = state.now();
    let state2 = state.clone();
    let result = tokio::task::spawn_blocking(move || run(&state2, &req, &users, now)).await;
    match result {
        Ok(changes) => Json(json!({"count": changes.len(), "changes": changes})).into_response(),
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({"error": e.to_string()})),
        )
            .into_response(),
    }
}

fn run(
    state: &crate::state::SimState,
    req: &MutateRequest,
    users: &[(usize, String)],
    now: OffsetDateTime,
) -> Vec<Value> {
    let mut rng = ChaCha8Rng::seed_from_u64(req.seed);
    let mut changes = Vec::new();
    for &kind in &req.kinds {
        for (op, count) in [
            (Op::Add, req.add),
            (Op::Modify, req.modify),
            (Op::Move, req.moves),
            (Op::Delete, req.delete),
        ] {
            if (op == Op::Move && kind != Kind::Message) || !kind.in_mailbox() {
                continue;
            }
            for _ in 0..count {
                let start = rng.random_range(0..users.len());
                // The first user (from a seeded start) that has something to change.
                for k in 0..users.len() {
                    let (index, upn) = &users[(start + k) % users.len()];
                    let Some(mailbox) = state.mailboxes.open(state, *index) else {
                        continue;
                    };
                    let mut m = lock(&mailbox);
                    if let Some(mut change) = apply(&mut m, kind, op, &mut rng, now) {
                        change["user"] = json!(upn);
                        change["kind"] = json!(kind_name(kind));
                        change["op"] = json!(op.name());
                        changes.push(change);
                        break;
                    }
                }
            }
        }
    }
    changes
}

fn pick(rng: &mut ChaCha8Rng, live: Vec<usize>) -> Option<usize> {
    (!live.is_empty()).then(|| live[rng.random_range(0..live.len())])
}

fn apply(
    m: &mut Mailbox,
    kind: Kind,
    op: Op,
    rng: &mut ChaCha8Rng,
    now: OffsetDateTime,
) -> Option<Value> {
    match kind {
        Kind::Message => message(m, op, rng, now),
        Kind::Event => event(m, op, rng, now),
        Kind::Contact => contact(m, op, rng, now),
        Kind::File | Kind::ListItem => None,
        Kind::ChatMessage | Kind::HostedContent | Kind::Member => None,
        Kind::ChannelMessage => None,
    }
}

fn message(m: &mut Mailbox, op: Op, rng: &mut ChaCha8Rng, now: OffsetDateTime) -> Option<Value> {
    if op == Op::Add {
        let n = m.next_item;
        m.next_item += 1;
        let i = generate::message(m, n);
        let msg = &mut m.messages[i];
        // New mail arrives now, unread.
        if let Origin::Generated { at, .. } = &mut msg.origin {
            *at = now;
        }
        msg.received = now;
        msg.created = now;
        msg.modified = now;
        msg.is_read = msg.is_draft;
        let (id, folder) = (msg.id.clone(), msg.folder);
        return Some(json!({"id": id, "path": m.folder_path(folder)}));
    }
    let live: Vec<usize> = (0..m.messages.len())
        .filter(|&i| m.messages[i].seqs.live())
        .collect();
    let i = pick(rng, live)?;
    let id = m.messages[i].id.clone();
    match op {
        Op::Modify => {
            let msg = &mut m.messages[i];
            match rng.random_range(0..4) {
                0 => msg.is_read = !msg.is_read,
                1 => {
                    msg.flag = match msg.flag.as_str() {
                        "notFlagged" => "flagged",
                        "flagged" => "complete",
                        _ => "notFlagged",
                    }
                    .into()
                }
                2 => {
                    if msg.categories.iter().any(|c| c == "Follow up") {
                        msg.categories.retain(|c| c != "Follow up");
                    } else {
                        msg.categories.push("Follow up".into());
                    }
                }
                _ => {
                    msg.importance = if msg.importance == "high" {
                        "normal"
                    } else {
                        "high"
                    }
                    .into();
                }
            }
            m.touch_message(i, now);
            Some(json!({"id": id, "path": m.folder_path(m.messages[i].folder)}))
        }
        Op::Move => {
            let from = m.messages[i].folder;
            let targets: Vec<usize> = (1..m.folders.len())
                .filter(|&f| f != from && m.folders[f].seqs.live())
                .collect();
            let to = pick(rng, targets)?;
            let j = m.move_message(i, to, now);
            Some(json!({
                "id": m.messages[j].id,
                "previousId": id,
                "previousPath": m.folder_path(from),
                "path": m.folder_path(to),
            }))
        }
        _ => {
            let path = m.folder_path(m.messages[i].folder);
            m.delete_message(i);
            Some(json!({"id": id, "path": path}))
        }
    }
}

fn event(m: &mut Mailbox, op: Op, rng: &mut ChaCha8Rng, now: OffsetDateTime) -> Option<Value> {
    if op == Op::Add {
        let n = m.next_item;
        m.next_item += 1;
        let i = generate::event(m, n);
        m.events[i].created = now;
        m.events[i].modified = now;
        let path = format!("/{}", m.calendars[m.events[i].calendar].name);
        return Some(json!({"id": m.events[i].id, "path": path}));
    }
    let live: Vec<usize> = (0..m.events.len())
        .filter(|&i| m.events[i].seqs.live())
        .collect();
    let i = pick(rng, live)?;
    let id = m.events[i].id.clone();
    let path = format!("/{}", m.calendars[m.events[i].calendar].name);
    if op == Op::Modify {
        let data = &mut m.events[i].data;
        match rng.random_range(0..3) {
            0 => {
                let s = data
                    .get("subject")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned();
                data.insert("subject".into(), json!(format!("{s} (updated)")));
            }
            1 => {
                let loc = ["Room 101", "Board room", "Online"][rng.random_range(0..3)];
                data.insert(
                    "location".into(),
                    json!({"displayName": loc, "locationType": "default", "uniqueIdType": "unknown", "address": {}, "coordinates": {}}),
                );
            }
            _ => {
                data.insert("importance".into(), json!("high"));
                data.insert("categories".into(), json!(["Important"]));
            }
        }
        m.touch_event(i, now);
    } else {
        m.delete_event(i);
    }
    Some(json!({"id": id, "path": path}))
}

fn contact(m: &mut Mailbox, op: Op, rng: &mut ChaCha8Rng, now: OffsetDateTime) -> Option<Value> {
    if op == Op::Add {
        let n = m.next_item;
        m.next_item += 1;
        let i = generate::contact(m, n);
        m.contacts[i].created = now;
        m.contacts[i].modified = now;
        return Some(
            json!({"id": m.contacts[i].id, "path": m.contact_folder_path(m.contacts[i].folder)}),
        );
    }
    let live: Vec<usize> = (0..m.contacts.len())
        .filter(|&i| m.contacts[i].seqs.live())
        .collect();
    let i = pick(rng, live)?;
    let id = m.contacts[i].id.clone();
    let path = m.contact_folder_path(m.contacts[i].folder);
    if op == Op::Modify {
        let data = &mut m.contacts[i].data;
        match rng.random_range(0..3) {
            0 => {
                data.insert("jobTitle".into(), json!("Director"));
            }
            1 => {
                data.insert(
                    "mobilePhone".into(),
                    json!(format!("+1 425 555 {:04}", rng.random_range(0..10_000))),
                );
            }
            _ => {
                data.insert(
                    "personalNotes".into(),
                    json!("Updated after our last call."),
                );
            }
        }
        m.touch_contact(i, now);
    } else {
        m.delete_contact(i);
    }
    Some(json!({"id": id, "path": path}))
}
