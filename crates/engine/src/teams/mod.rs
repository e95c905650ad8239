//! Microsoft Teams and chats: every channel message, reply and inline image of the
//! teams in scope ([`channels`]), and the chats of the users in scope, each chat once
//! however many of its members are in scope ([`chats`]).
//!
//! Teams' limits are per app: 20 GETs of channel messages a second, 20 of chat
//! messages, 60 of teams, channels and members, and at most 4 requests a second on
//! any one team or channel. [`TeamsPacer`] keeps requests within them, so that the
//! service rarely has to refuse one.

pub(crate) mod channels;
pub(crate) mod chats;
mod conversation;

use std::sync::Arc;
use std::time::Duration;

use graph::GraphClient;
use serde::{Deserialize, Serialize};

use crate::error::EngineError;
use crate::limiter::{Limits, ResourceLimiter, Scheduler, Slot};

pub use chats::ChatRef;
pub(crate) use conversation::Finished;

/// A team to back up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Team {
    /// The team's id (its Microsoft 365 group's id).
    pub id: String,
    /// Its display name.
    pub display_name: String,
}

/// The resource name of a team in the repository.
pub fn team_resource(id: &str) -> String {
    format!("team:{}", id.to_ascii_lowercase())
}

/// The resource name of a chat in the repository.
pub fn chat_resource(id: &str) -> String {
    format!("chat:{id}")
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TeamRow {
    id: String,
    #[serde(default)]
    display_name: Option<String>,
}

/// The teams named in `names` (display name or id, case-insensitive), or every team
/// of the tenant when `names` is empty.
pub async fn resolve_teams(
    graph: &GraphClient,
    names: &[String],
) -> Result<Vec<Team>, EngineError> {
    let rows: Vec<TeamRow> = graph
        .get_all("/teams?$select=id,displayName&$top=100", &[])
        .await
        .map_err(|e| EngineError::Scope(format!("cannot list the tenant's teams: {e}")))?;
    let teams: Vec<Team> = rows
        .into_iter()
        .map(|r| Team {
            display_name: r.display_name.unwrap_or_else(|| r.id.clone()),
            id: r.id,
        })
        .collect();
    if names.is_empty() {
        return Ok(teams);
    }
    let mut out = Vec::new();
    for name in names {
        let found = teams
            .iter()
            .find(|t| t.id.eq_ignore_ascii_case(name) || t.display_name.eq_ignore_ascii_case(name));
        match found {
            Some(t) if !out.contains(t) => out.push(t.clone()),
            Some(_) => {}
            None => {
                return Err(EngineError::Scope(format!(
                    "no team '{name}' in the tenant; `m365vault backup run --data teams` without --teams backs up every team"
                )));
            }
        }
    }
    Ok(out)
}

/// Which of Teams' per-app limits a request counts against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TeamsCall {
    /// GET of channel messages, replies, their delta and hosted contents.
    ChannelMessage,
    /// GET of chat messages and their hosted contents.
    ChatMessage,
    /// GET of teams, channels and members.
    Structure,
    /// Any other GET (a user's chats).
    OtherGet,
}

/// Keeps a run's Teams requests within Microsoft's limits.
#[derive(Debug)]
pub(crate) struct TeamsPacer {
    channel_messages: ResourceLimiter,
    chat_messages: ResourceLimiter,
    structure: ResourceLimiter,
    other_get: ResourceLimiter,
    /// At most 4 requests a second on any one team or channel.
    targets: Scheduler,
}

fn per_second(requests: u32, concurrency: usize) -> Limits {
    Limits {
        concurrency,
        requests,
        window: Duration::from_secs(1),
    }
}

impl Default for TeamsPacer {
    /// A tenth under each of Microsoft's limits (20, 20, 60, 30 and 4 requests a
    /// second), so that requests bunched up on the way still arrive within them, and
    /// starting empty, so that a run right after another does not burst.
    fn default() -> Self {
        TeamsPacer {
            channel_messages: ResourceLimiter::cold(per_second(18, 32)),
            chat_messages: ResourceLimiter::cold(per_second(18, 32)),
            structure: ResourceLimiter::cold(per_second(54, 32)),
            other_get: ResourceLimiter::cold(per_second(27, 32)),
            targets: Scheduler::cold(per_second(3, 4)),
        }
    }
}

impl TeamsPacer {
    /// Waits until a request of `call` on `target` (a team, channel or chat id) may go.
    /// Only teams and channels have a limit of their own; chats and users do not.
    pub(crate) async fn acquire(&self, call: TeamsCall, target: &str) -> (Option<Slot>, Slot) {
        let per_target = match call {
            TeamsCall::ChannelMessage | TeamsCall::Structure => {
                Some(self.targets.resource(target).acquire().await)
            }
            TeamsCall::ChatMessage | TeamsCall::OtherGet => None,
        };
        let per_app = match call {
            TeamsCall::ChannelMessage => self.channel_messages.acquire().await,
            TeamsCall::ChatMessage => self.chat_messages.acquire().await,
            TeamsCall::Structure => self.structure.acquire().await,
            TeamsCall::OtherGet => self.other_get.acquire().await,
        };
        (per_target, per_app)
    }

    /// Time requests waited on our side.
    pub(crate) fn waited(&self) -> Duration {
        self.targets.waited()
            + self.channel_messages.waited()
            + self.chat_messages.waited()
            + self.structure.waited()
            + self.other_get.waited()
    }
}

/// Shared by the Teams and chat tasks of a run.
pub(crate) type SharedPacer = Arc<TeamsPacer>;
