//! Microsoft Teams: the teams of Microsoft 365 groups, their channels and
//! channel messages (threads of a top-level message and its replies), with
//! edits, soft deletes, mentions, reactions, reference attachments, inline
//! images (hosted contents), system event messages and migration mode.
//!
//! Every Microsoft 365 group whose index in the tenant is even has a team
//! ([`has_team`]). A team is generated the first time anything reads it, from
//! the tenant's seed and the group's index, so a large tenant costs nothing
//! until read. Every change takes the team's next change sequence number; each
//! channel files its threads under the last change of any of their messages,
//! which is what channel-message delta pages through.

pub mod generate;
pub mod image;
pub mod mutate;
pub mod ops;
pub mod render;
pub mod truth;
mod words;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use model::wire::directory::GroupKind;
use time::OffsetDateTime;

use crate::mailbox::{ChangeLog, Seqs};
use crate::state::SimState;
use crate::tenant::Tenant;

/// A person messages name as author, mentioned user or reactor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Author {
    /// Object id of the user.
    pub id: String,
    /// Display name.
    pub name: String,
}

/// `membershipType` of a channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Membership {
    /// Everyone in the team.
    Standard,
    /// A subset of the team.
    Private,
    /// Shared with people outside the team.
    Shared,
}

impl Membership {
    /// The value Graph writes.
    pub fn as_str(self) -> &'static str {
        match self {
            Membership::Standard => "standard",
            Membership::Private => "private",
            Membership::Shared => "shared",
        }
    }

    /// Parses a `membershipType` (case-insensitive).
    pub fn parse(s: &str) -> Option<Membership> {
        match s.to_ascii_lowercase().as_str() {
            "standard" => Some(Membership::Standard),
            "private" => Some(Membership::Private),
            "shared" => Some(Membership::Shared),
            _ => None,
        }
    }
}

/// `migrationMode` of a channel that entered migration mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MigrationMode {
    /// Messages may be imported (`createdDateTime` and `from` kept).
    InProgress,
    /// `completeMigration` was called.
    Completed,
}

impl MigrationMode {
    /// The value Graph writes.
    pub fn as_str(self) -> &'static str {
        match self {
            MigrationMode::InProgress => "inProgress",
            MigrationMode::Completed => "completed",
        }
    }
}

/// How a channel entered migration mode.
#[derive(Debug, Clone)]
pub struct Migration {
    /// Where the migration stands.
    pub mode: MigrationMode,
    /// The application that owns the migration (only it may import).
    pub app_id: String,
    /// `originalCreatedDateTime`: when the channel was created in Teams.
    pub original_created: OffsetDateTime,
}

/// What a system event message reports (`eventDetail`).
#[derive(Debug, Clone)]
pub enum Event {
    /// `membersAddedEventMessageDetail`.
    MembersAdded {
        /// Who added them.
        initiator: Author,
        /// Who was added.
        members: Vec<Author>,
    },
    /// `channelAddedEventMessageDetail`.
    ChannelAdded {
        /// Who created the channel.
        initiator: Author,
        /// The new channel's id.
        channel_id: String,
        /// The new channel's name.
        channel_name: String,
    },
}

/// A reaction to a message.
#[derive(Debug, Clone)]
pub struct Reaction {
    /// `reactionType` (the emoji).
    pub kind: &'static str,
    /// `displayName` of the reaction, such as `Like`.
    pub name: &'static str,
    /// Who reacted.
    pub user: Author,
    /// When.
    pub at: OffsetDateTime,
}

/// A `reference` attachment: a file in the team's SharePoint site.
#[derive(Debug, Clone)]
pub struct Attachment {
    /// Attachment id (a GUID, also in the body's `<attachment id>`).
    pub id: String,
    /// File name.
    pub name: String,
    /// `contentUrl`.
    pub url: String,
}

/// Where a hosted content's bytes come from.
#[derive(Debug, Clone)]
pub enum HostedData {
    /// A PNG made again from a seed whenever it is read.
    Png {
        /// Pixel seed.
        seed: u64,
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
    },
    /// Bytes imported with a message.
    Stored(Arc<Vec<u8>>),
}

/// An inline image of a message (`chatMessageHostedContent`).
#[derive(Debug, Clone)]
pub struct Hosted {
    /// Id (opaque, base64).
    pub id: String,
    /// MIME type of the bytes.
    pub content_type: String,
    /// The bytes.
    pub data: HostedData,
}

impl Hosted {
    /// The bytes.
    pub fn bytes(&self) -> Arc<Vec<u8>> {
        match &self.data {
            HostedData::Png {
                seed,
                width,
                height,
            } => Arc::new(image::png(*seed, *width, *height)),
            HostedData::Stored(b) => b.clone(),
        }
    }
}

/// A channel message: a top-level message (`parent` is `None`) or a reply.
#[derive(Debug, Clone)]
pub struct Message {
    /// Id (the creation time in Unix milliseconds, unique in the channel).
    pub id: String,
    /// The top-level message a reply belongs to (index in the channel).
    pub parent: Option<usize>,
    /// Set for system event messages.
    pub event: Option<Event>,
    /// The author (`None` for system event messages).
    pub from: Option<Author>,
    /// `createdDateTime`.
    pub created: OffsetDateTime,
    /// `lastModifiedDateTime` (edits, reactions, deletion).
    pub modified: OffsetDateTime,
    /// `lastEditedDateTime`.
    pub edited: Option<OffsetDateTime>,
    /// `deletedDateTime` (soft delete: the message stays, emptied).
    pub deleted: Option<OffsetDateTime>,
    /// `subject` (top-level messages only).
    pub subject: Option<String>,
    /// `normal`, `high` or `urgent`.
    pub importance: &'static str,
    /// Whether the body is HTML (otherwise text).
    pub html: bool,
    /// The body as Graph returns it (inline image URLs included).
    pub content: String,
    /// People mentioned, in `<at id="n">` order.
    pub mentions: Vec<Author>,
    /// Reactions.
    pub reactions: Vec<Reaction>,
    /// Reference attachments.
    pub attachments: Vec<Attachment>,
    /// Inline images.
    pub hosted: Vec<Hosted>,
    /// Change sequence numbers of the message itself.
    pub seqs: Seqs,
    /// Top-level messages: the sequence number the thread is filed under in
    /// the channel's log (the last change of any of its messages).
    pub thread_seq: u64,
    /// Top-level messages: when any message of the thread last changed.
    pub activity: OffsetDateTime,
}

impl Message {
    /// Whether the message is not soft-deleted.
    pub fn live(&self) -> bool {
        self.deleted.is_none()
    }

    /// `etag`: the last modification in Unix milliseconds.
    pub fn etag(&self) -> String {
        millis(self.modified).to_string()
    }
}

/// A channel of a team.
#[derive(Debug, Clone)]
pub struct Channel {
    /// Id (`19:…@thread.tacv2`).
    pub id: String,
    /// `displayName`.
    pub name: String,
    /// `description`.
    pub description: Option<String>,
    /// `membershipType`.
    pub membership: Membership,
    /// `createdDateTime`.
    pub created: OffsetDateTime,
    /// `email` (empty for private and shared channels).
    pub email: String,
    /// Whether this is the General (primary) channel.
    pub general: bool,
    /// Set once the channel entered migration mode.
    pub migration: Option<Migration>,
    /// Messages and replies, in creation order of the simulator.
    pub messages: Vec<Message>,
    /// Threads (top-level message indexes) by the sequence number they are filed under.
    pub log: ChangeLog,
    by_id: HashMap<String, usize>,
}

impl Channel {
    /// A message (or reply) by id, deleted ones included.
    pub fn message(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).copied()
    }

    /// A top-level message by id.
    pub fn top(&self, id: &str) -> Option<usize> {
        self.message(id)
            .filter(|&i| self.messages[i].parent.is_none())
    }

    /// A reply of top-level message `parent` by id.
    pub fn reply(&self, parent: usize, id: &str) -> Option<usize> {
        self.message(id)
            .filter(|&i| self.messages[i].parent == Some(parent))
    }

    /// Replies of `parent`, oldest first.
    pub fn replies(&self, parent: usize) -> Vec<usize> {
        let mut out: Vec<usize> = (0..self.messages.len())
            .filter(|&i| self.messages[i].parent == Some(parent))
            .collect();
        out.sort_by_key(|&i| (self.messages[i].created, i));
        out
    }

    /// Top-level messages, newest first.
    pub fn tops_newest_first(&self) -> Vec<usize> {
        let mut out: Vec<usize> = (0..self.messages.len())
            .filter(|&i| self.messages[i].parent.is_none())
            .collect();
        out.sort_by(|&a, &b| (self.messages[b].created, b).cmp(&(self.messages[a].created, a)));
        out
    }

    /// A free message id at `at` (its Unix milliseconds, moved on while taken)
    /// and the time it stands for.
    pub fn free_id(&self, at: OffsetDateTime) -> (String, OffsetDateTime) {
        let mut ms = millis(at);
        while self.by_id.contains_key(&ms.to_string()) {
            ms += 1;
        }
        (ms.to_string(), from_millis(ms).unwrap_or(at))
    }

    /// Whether the channel takes imported messages now.
    pub fn importing(&self) -> bool {
        self.migration
            .as_ref()
            .is_some_and(|m| m.mode == MigrationMode::InProgress)
    }
}

/// A team (the team of a Microsoft 365 group).
#[derive(Debug, Clone)]
pub struct Team {
    /// The group's index in the tenant.
    pub group: usize,
    /// Id (the group's id).
    pub id: String,
    /// `displayName`.
    pub name: String,
    /// `description`.
    pub description: String,
    /// `visibility` (`public` or `private`).
    pub visibility: &'static str,
    /// `createdDateTime`.
    pub created: OffsetDateTime,
    /// The tenant's id.
    pub tenant_id: String,
    /// The team site's URL (where attachments live).
    pub site_url: String,
    /// Members who write messages.
    pub people: Vec<Author>,
    /// Channels; 0 is General.
    pub channels: Vec<Channel>,
    /// The last change sequence number handed out.
    pub seq: u64,
}

impl Team {
    /// The next change sequence number.
    pub fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    /// A channel by id (case-insensitive, as Teams compares thread ids).
    pub fn channel(&self, id: &str) -> Option<usize> {
        self.channels
            .iter()
            .position(|c| c.id.eq_ignore_ascii_case(id))
    }
}

/// A shared team.
pub type SharedTeam = Arc<Mutex<Team>>;

/// Locks a team (a handler that panicked leaves a usable one).
pub fn lock(team: &SharedTeam) -> MutexGuard<'_, Team> {
    team.lock().unwrap_or_else(|e| e.into_inner())
}

/// Whether group `index` has a team: Microsoft 365 groups at even indexes.
pub fn has_team(t: &Tenant, index: usize) -> bool {
    t.groups
        .get(index)
        .is_some_and(|g| g.kind == GroupKind::Microsoft365 && index.is_multiple_of(2))
}

/// The group indexes of every live team, in tenant order.
pub fn team_groups(t: &Tenant) -> Vec<usize> {
    (0..t.groups.len())
        .filter(|&i| has_team(t, i) && t.groups[i].deleted_seq.is_none())
        .collect()
}

/// The group index of the live team `id`.
pub fn team_index(t: &Tenant, id: &str) -> Option<usize> {
    t.group(id).map(|(i, _)| i).filter(|&i| has_team(t, i))
}

/// Every team generated so far.
#[derive(Default)]
pub struct Teams {
    teams: Mutex<HashMap<usize, SharedTeam>>,
}

impl Teams {
    /// The team of group `index`, generated on first use (call it off the
    /// async workers: generation takes milliseconds).
    pub fn open(&self, state: &SimState, index: usize) -> SharedTeam {
        if let Some(t) = self.lock_map().get(&index) {
            return t.clone();
        }
        // Generated outside the registry lock; if two requests race, the first stored wins.
        let team = generate::team(state, index);
        self.lock_map()
            .entry(index)
            .or_insert_with(|| Arc::new(Mutex::new(team)))
            .clone()
    }

    /// Whether the team of group `index` has been generated.
    pub fn is_open(&self, index: usize) -> bool {
        self.lock_map().contains_key(&index)
    }

    fn lock_map(&self) -> MutexGuard<'_, HashMap<usize, SharedTeam>> {
        self.teams.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Unix milliseconds of `t`.
pub fn millis(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

/// The time of Unix milliseconds `ms`.
pub fn from_millis(ms: i64) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).ok()
}

/// Graph's form of a chat message time: `2021-03-28T21:11:12.395Z`.
pub fn ts_ms(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

/// Eight calendar months before `now`: how far back channel-message delta reaches.
pub fn delta_horizon(now: OffsetDateTime) -> OffsetDateTime {
    let total = now.year() * 12 + i32::from(u8::from(now.month())) - 1 - 8;
    let (year, month) = (total.div_euclid(12), total.rem_euclid(12) + 1);
    let month = u8::try_from(month)
        .ok()
        .and_then(|m| time::Month::try_from(m).ok())
        .unwrap_or(time::Month::January);
    let day = now.day().min(time::util::days_in_month(month, year));
    time::Date::from_calendar_date(year, month, day)
        .map(|d| now.replace_date(d))
        .unwrap_or(now - time::Duration::days(243))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn times_have_milliseconds_and_round_trip() {
        let t = datetime!(2021-03-28 21:11:12.395 UTC);
        assert_eq!(ts_ms(t), "2021-03-28T21:11:12.395Z");
        assert_eq!(from_millis(millis(t)), Some(t));
    }

    #[test]
    fn the_delta_horizon_is_eight_calendar_months() {
        assert_eq!(
            delta_horizon(datetime!(2026-10-31 12:00 UTC)),
            datetime!(2026-02-28 12:00 UTC)
        );
        assert_eq!(
            delta_horizon(datetime!(2026-03-15 00:00 UTC)),
            datetime!(2025-07-15 00:00 UTC)
        );
    }
}
