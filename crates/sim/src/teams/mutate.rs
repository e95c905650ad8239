//! `POST /_sim/mutate` with `kinds: ["channelMessage"]`: deterministic
//! changes to channel messages, as members would make them. `add` posts new
//! threads and replies, `modify` edits messages, `delete` soft-deletes them
//! (also top-level messages whose replies stay). Changes take the team's
//! next sequence numbers, so delta and the ground truth show them.

use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::generate::{edited, new_message};
use super::{Team, lock, team_groups, team_index};
use crate::state::SimState;

/// What to change.
#[derive(Debug, Clone, Copy)]
pub struct Plan<'a> {
    /// Chooses the changes.
    pub seed: u64,
    /// Messages to add.
    pub add: usize,
    /// Messages to edit.
    pub modify: usize,
    /// Messages to soft-delete.
    pub delete: usize,
    /// Teams (ids) to change; `None` for every team.
    pub teams: Option<&'a [String]>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Add,
    Modify,
    Delete,
}

impl Op {
    fn name(self) -> &'static str {
        match self {
            Op::Add => "add",
            Op::Modify => "modify",
            Op::Delete => "delete",
        }
    }
}

/// Applies `plan` at `now` and returns the changes: `{"id", "path", "team",
/// "channel", "kind": "channelMessage", "op"}` (`path` as the ground truth
/// writes it). An error names a team that does not exist.
pub fn channel_messages(
    state: &SimState,
    plan: &Plan<'_>,
    now: OffsetDateTime,
) -> Result<Vec<Value>, String> {
    let groups: Vec<usize> = {
        let t = state.tenant();
        match plan.teams {
            Some(ids) => ids
                .iter()
                .map(|id| team_index(&t, id).ok_or_else(|| format!("no team '{id}'")))
                .collect::<Result<_, _>>()?,
            None => team_groups(&t),
        }
    };
    if groups.is_empty() {
        return Ok(Vec::new());
    }
    let base = state.base_url();
    let mut rng = ChaCha8Rng::seed_from_u64(plan.seed ^ 0x7ea5_c4a7);
    let mut changes = Vec::new();
    for (op, count) in [
        (Op::Add, plan.add),
        (Op::Modify, plan.modify),
        (Op::Delete, plan.delete),
    ] {
        for _ in 0..count {
            let start = rng.random_range(0..groups.len());
            // The first team (from a seeded start) that has something to change.
            for k in 0..groups.len() {
                let shared = state.teams.open(state, groups[(start + k) % groups.len()]);
                let mut t = lock(&shared);
                if let Some(mut change) = apply(&mut t, op, &base, &mut rng, now) {
                    change["team"] = json!(t.id);
                    change["kind"] = json!("channelMessage");
                    change["op"] = json!(op.name());
                    changes.push(change);
                    break;
                }
            }
        }
    }
    Ok(changes)
}

fn change(t: &Team, c: usize, i: usize) -> Value {
    let ch = &t.channels[c];
    let m = &ch.messages[i];
    let top = m.parent.map_or(&m.id, |p| &ch.messages[p].id);
    json!({"id": m.id, "path": format!("/{}/{}", ch.name, top), "channel": ch.id})
}

fn apply(
    t: &mut Team,
    op: Op,
    base: &str,
    rng: &mut ChaCha8Rng,
    now: OffsetDateTime,
) -> Option<Value> {
    // People cannot post in a channel while messages are imported into it.
    let open: Vec<usize> = (0..t.channels.len())
        .filter(|&c| !t.channels[c].importing())
        .collect();
    let &c = open.choose(rng)?;
    let ch = &t.channels[c];
    // Messages people wrote (system event messages are neither edited nor deleted).
    let written: Vec<usize> = (0..ch.messages.len())
        .filter(|&i| ch.messages[i].live() && ch.messages[i].event.is_none())
        .collect();
    match op {
        Op::Add => {
            let tops: Vec<usize> = written
                .iter()
                .copied()
                .filter(|&i| ch.messages[i].parent.is_none())
                .collect();
            let parent = if rng.random_bool(0.5) {
                tops.choose(rng).copied()
            } else {
                None
            };
            let mut m = new_message(t, base, rng, c, parent.is_some(), now);
            m.parent = parent;
            let i = t.post(c, m);
            Some(change(t, c, i))
        }
        Op::Modify => {
            let &i = written.choose(rng)?;
            let m = &ch.messages[i];
            let content = edited(&m.content, m.html);
            t.edit(c, i, content, now).then(|| change(t, c, i))
        }
        Op::Delete => {
            // Now and then a top-level message with live replies: they stay.
            let with_replies: Vec<usize> = written
                .iter()
                .copied()
                .filter(|&i| {
                    ch.messages[i].parent.is_none()
                        && ch.messages.iter().any(|r| r.parent == Some(i) && r.live())
                })
                .collect();
            let pick = if !with_replies.is_empty() && rng.random_bool(0.3) {
                with_replies.choose(rng)
            } else {
                written.choose(rng)
            };
            let &i = pick?;
            t.delete(c, i, now).then(|| change(t, c, i))
        }
    }
}
