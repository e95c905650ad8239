//! `POST /_sim/mutate` for chats and group membership:
//!
//! - `kinds: ["chatMessage"]` (optional `users`: only chats those users are
//!   in): `add` writes new messages (now and then in a new chat), `modify`
//!   edits messages, `delete` soft-deletes them;
//! - `kinds: ["member"]` (optional `groups`): `add` adds a user to a group's
//!   direct members, `delete` removes one.
//!
//! Every change is returned as `{"id", "path", "kind", "op", …}`.

use std::collections::HashSet;
use std::sync::Arc;

use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};

use super::catalog::{self, teams_user};
use super::generate::{self, next_id};
use super::{Chat, ChatKind, SharedChat, lock};
use crate::state::SimState;
use crate::tenant::MemberRef;

/// What to change.
#[derive(Debug, Clone, Copy)]
pub struct Plan<'a> {
    /// Chooses the changes.
    pub seed: u64,
    /// How many to add.
    pub add: usize,
    /// How many to modify.
    pub modify: usize,
    /// How many to delete.
    pub delete: usize,
    /// Users whose chats change (`chatMessage`).
    pub users: Option<&'a [String]>,
    /// Groups whose members change (`member`).
    pub groups: Option<&'a [String]>,
}

fn rng_for(seed: u64, salt: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed ^ salt)
}

/// Changes chat messages.
pub fn chat_messages(
    state: &SimState,
    plan: &Plan<'_>,
    now: OffsetDateTime,
) -> Result<Vec<Value>, String> {
    let users: Option<Vec<usize>> = match plan.users {
        None => None,
        Some(keys) => {
            let t = state.tenant();
            let mut out = Vec::new();
            for k in keys {
                match t.user(k) {
                    Some((i, _)) => out.push(i),
                    None => return Err(format!("'{k}' is not a user")),
                }
            }
            Some(out)
        }
    };
    let candidates = |state: &SimState| -> Vec<SharedChat> {
        match &users {
            None => state.chats.all(state),
            Some(list) => {
                let mut seen = HashSet::new();
                list.iter()
                    .flat_map(|&u| state.chats.of_user(state, u))
                    .filter(|c| seen.insert(Arc::as_ptr(c) as usize))
                    .collect()
            }
        }
    };
    let mut rng = rng_for(plan.seed, 0xC4A7_0001);
    let mut changes = Vec::new();
    for _ in 0..plan.add {
        let fresh = rng.random_bool(0.125);
        let chat = match fresh.then(|| new_chat(state, users.as_deref(), &mut rng, now)) {
            Some(Some(c)) => c,
            _ => {
                let all = candidates(state);
                let Some(c) = all.choose(&mut rng) else {
                    continue;
                };
                c.clone()
            }
        };
        let mut c = lock(&chat);
        let at = now;
        let mut m = generate::message(&c, &mut rng, at, at);
        let newest = c.messages().last().map(|m| m.id.clone());
        let (id, at) = next_id(newest.as_deref(), at);
        m.id = id;
        m.created = at;
        m.modified = at;
        m.edited = None;
        m.deleted = None;
        m.reactions.clear();
        let id = m.id.clone();
        c.messages().push(m);
        changes.push(change(&c, &id, "add"));
    }
    for (op, count) in [("modify", plan.modify), ("delete", plan.delete)] {
        for _ in 0..count {
            let all = candidates(state);
            if all.is_empty() {
                break;
            }
            let start = rng.random_range(0..all.len());
            for k in 0..all.len() {
                let mut c = lock(&all[(start + k) % all.len()]);
                let live: Vec<usize> = c
                    .messages()
                    .iter()
                    .enumerate()
                    .filter(|(_, m)| m.live() && m.event.is_none())
                    .map(|(i, _)| i)
                    .collect();
                let Some(&i) = live.choose(&mut rng) else {
                    continue;
                };
                let line = *super::words::LINES
                    .choose(&mut rng)
                    .unwrap_or(&super::words::LINES[0]);
                let m = &mut c.messages()[i];
                let at = now.max(m.modified + Duration::milliseconds(1));
                m.modified = at;
                if op == "modify" {
                    m.text = format!("{} {line}", m.text);
                    m.edited = Some(at);
                } else {
                    m.deleted = Some(at);
                }
                let id = m.id.clone();
                changes.push(change(&c, &id, op));
                break;
            }
        }
    }
    Ok(changes)
}

fn change(c: &Chat, id: &str, op: &str) -> Value {
    json!({"id": id, "path": format!("/{}", c.id), "chat": c.id, "kind": "chatMessage", "op": op})
}

/// A new chat started now by one of `users` (or any Teams user): a one-on-one
/// chat with someone they have none with, or else a group chat.
fn new_chat(
    state: &SimState,
    users: Option<&[usize]>,
    rng: &mut ChaCha8Rng,
    now: OffsetDateTime,
) -> Option<SharedChat> {
    // The tenant is never held while the catalog is locked the other way round.
    let (licensed, from, partner) = {
        let t = state.tenant();
        let licensed: Vec<usize> = (0..t.users.len()).filter(|&i| teams_user(&t, i)).collect();
        let starters: Vec<usize> = match users {
            Some(list) => list
                .iter()
                .copied()
                .filter(|&u| teams_user(&t, u))
                .collect(),
            None => licensed.clone(),
        };
        let from = *starters.choose(rng)?;
        let others: Vec<usize> = licensed.iter().copied().filter(|&u| u != from).collect();
        let partner = *others.choose(rng)?;
        (licensed, from, partner)
    };
    let has_pair = state.chats.of_user(state, from).iter().any(|c| {
        let c = lock(c);
        c.kind == ChatKind::OneOnOne && c.slot_of(partner).is_some()
    });
    let mut members = vec![from, partner];
    let kind = if has_pair {
        let rest: Vec<usize> = licensed
            .iter()
            .copied()
            .filter(|u| !members.contains(u))
            .collect();
        members.push(*rest.choose(rng)?);
        ChatKind::Group
    } else {
        ChatKind::OneOnOne
    };
    Some(state.chats.with(state, |catalog| {
        let number = catalog.len() as u64;
        let mut chat = catalog::chat(&state.tenant(), number, kind, &members, now, now, rng);
        chat.updated = now;
        let mut messages = Vec::new();
        if kind == ChatKind::Group {
            messages.push(generate::system(
                now,
                super::Event::MembersAdded {
                    initiator: 0,
                    members: (1..members.len()).collect(),
                },
            ));
        }
        chat.messages = Some(messages);
        catalog.push(chat)
    }))
}

/// Changes group membership.
pub fn members(state: &SimState, plan: &Plan<'_>) -> Result<Vec<Value>, String> {
    let mut t = state.tenant_mut();
    let groups: Vec<usize> = match plan.groups {
        Some(keys) => {
            let mut out = Vec::new();
            for k in keys {
                match t.group(k) {
                    Some((i, _)) => out.push(i),
                    None => return Err(format!("'{k}' is not a group")),
                }
            }
            out
        }
        None => (0..t.groups.len())
            .filter(|&i| t.groups[i].deleted_seq.is_none())
            .collect(),
    };
    let mut changes = Vec::new();
    if groups.is_empty() {
        return Ok(changes);
    }
    let mut rng = rng_for(plan.seed, 0xC4A7_0002);
    let users: Vec<usize> = (0..t.users.len())
        .filter(|&i| t.users[i].deleted_seq.is_none())
        .collect();
    for (op, count) in [("add", plan.add), ("delete", plan.delete)] {
        for _ in 0..count {
            let start = rng.random_range(0..groups.len());
            for k in 0..groups.len() {
                let g = groups[(start + k) % groups.len()];
                let member = if op == "add" {
                    let outside: Vec<usize> = users
                        .iter()
                        .copied()
                        .filter(|&u| !t.groups[g].members.contains(&MemberRef::User(u)))
                        .collect();
                    let Some(&u) = outside.choose(&mut rng) else {
                        continue;
                    };
                    t.add_member(g, MemberRef::User(u));
                    u
                } else {
                    let inside: Vec<usize> = t.groups[g]
                        .members
                        .iter()
                        .filter_map(|m| match m {
                            MemberRef::User(u) => Some(*u),
                            MemberRef::Group(_) => None,
                        })
                        .collect();
                    let Some(&u) = inside.choose(&mut rng) else {
                        continue;
                    };
                    t.remove_member(g, MemberRef::User(u));
                    u
                };
                changes.push(json!({
                    "id": t.users[member].id.to_string(),
                    "group": t.groups[g].id.to_string(),
                    "path": "/members",
                    "kind": "member",
                    "op": op,
                }));
                break;
            }
        }
    }
    Ok(changes)
}
