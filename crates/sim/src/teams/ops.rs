//! Changes to a team: new channels and messages, edits, soft deletes and
//! migration mode. Every change takes the team's next sequence number and
//! files the message's thread under it, which is what delta pages through.

use std::collections::HashMap;

use time::OffsetDateTime;

use super::{
    Attachment, Author, Channel, Event, Hosted, Membership, Message, Migration, Reaction, Team,
};
use crate::mailbox::{ChangeLog, Seqs};

/// Stands for the new message's id in [`NewMessage::content`].
pub const MESSAGE_ID: &str = "{message-id}";
/// Stands for the top-level message's id in a reply's [`NewMessage::content`].
pub const PARENT_ID: &str = "{parent-id}";

/// What a new message holds.
#[derive(Debug, Clone)]
pub struct NewMessage {
    /// The top-level message a reply belongs to (index in the channel).
    pub parent: Option<usize>,
    /// Author (`None` for system event messages).
    pub from: Option<Author>,
    /// System event.
    pub event: Option<Event>,
    /// When it was written (the id follows from it).
    pub created: OffsetDateTime,
    /// Subject (top-level messages).
    pub subject: Option<String>,
    /// `normal`, `high` or `urgent`.
    pub importance: &'static str,
    /// Whether the body is HTML.
    pub html: bool,
    /// The body; [`MESSAGE_ID`] and [`PARENT_ID`] are replaced once known.
    pub content: String,
    /// Mentioned people.
    pub mentions: Vec<Author>,
    /// Reactions.
    pub reactions: Vec<Reaction>,
    /// Reference attachments.
    pub attachments: Vec<Attachment>,
    /// Inline images.
    pub hosted: Vec<Hosted>,
}

impl NewMessage {
    /// A plain message by `from` at `created`.
    pub fn text(from: Author, created: OffsetDateTime, html: bool, content: String) -> Self {
        NewMessage {
            parent: None,
            from: Some(from),
            event: None,
            created,
            subject: None,
            importance: "normal",
            html,
            content,
            mentions: Vec::new(),
            reactions: Vec::new(),
            attachments: Vec::new(),
            hosted: Vec::new(),
        }
    }
}

/// What a new channel is.
#[derive(Debug, Clone)]
pub struct NewChannel {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Membership type.
    pub membership: Membership,
    /// Created.
    pub created: OffsetDateTime,
    /// `email`.
    pub email: String,
    /// Whether it is General.
    pub general: bool,
    /// Migration mode, when created for migration.
    pub migration: Option<Migration>,
}

impl Channel {
    /// An empty channel.
    pub fn new(c: NewChannel) -> Channel {
        Channel {
            id: c.id,
            name: c.name,
            description: c.description,
            membership: c.membership,
            created: c.created,
            email: c.email,
            general: c.general,
            migration: c.migration,
            messages: Vec::new(),
            log: ChangeLog::default(),
            by_id: HashMap::new(),
        }
    }
}

impl Team {
    /// Adds channel `c` and returns its index.
    pub fn add_channel(&mut self, c: NewChannel) -> usize {
        self.channels.push(Channel::new(c));
        self.channels.len() - 1
    }

    /// Files the thread of message `i` of channel `c` under a new sequence
    /// number, as changed at `at`, and returns that number.
    fn refile(&mut self, c: usize, i: usize, at: OffsetDateTime) -> u64 {
        let seq = self.next_seq();
        let ch = &mut self.channels[c];
        let top = ch.messages[i].parent.unwrap_or(i);
        let old = ch.messages[top].thread_seq;
        ch.log.record(Some(old).filter(|o| *o > 0), seq, top);
        let t = &mut ch.messages[top];
        t.thread_seq = seq;
        t.activity = t.activity.max(at);
        seq
    }

    /// Posts message `m` in channel `c`: its id is its creation time in
    /// Unix milliseconds, moved on by a millisecond while taken. Returns its index.
    pub fn post(&mut self, c: usize, m: NewMessage) -> usize {
        let ch = &mut self.channels[c];
        let (id, created) = ch.free_id(m.created);
        let parent_id = m
            .parent
            .and_then(|p| ch.messages.get(p))
            .map(|p| p.id.clone())
            .unwrap_or_default();
        let content = m
            .content
            .replace(MESSAGE_ID, &id)
            .replace(PARENT_ID, &parent_id);
        let i = ch.messages.len();
        ch.by_id.insert(id.clone(), i);
        ch.messages.push(Message {
            id,
            parent: m.parent,
            event: m.event,
            from: m.from,
            created,
            modified: created,
            edited: None,
            deleted: None,
            subject: m.subject,
            importance: m.importance,
            html: m.html,
            content,
            mentions: m.mentions,
            reactions: m.reactions,
            attachments: m.attachments,
            hosted: m.hosted,
            seqs: Seqs::default(),
            thread_seq: 0,
            activity: created,
        });
        let seq = self.refile(c, i, created);
        self.channels[c].messages[i].seqs.changed = seq;
        i
    }

    /// Edits message `i` of channel `c` at `at`: a new body, `lastEditedDateTime`,
    /// `lastModifiedDateTime` and `etag`. False for a deleted message.
    pub fn edit(&mut self, c: usize, i: usize, content: String, at: OffsetDateTime) -> bool {
        let m = &mut self.channels[c].messages[i];
        if !m.live() {
            return false;
        }
        let at = at.max(m.modified);
        m.content = content;
        m.edited = Some(at);
        m.modified = at;
        let seq = self.refile(c, i, at);
        self.channels[c].messages[i].seqs.changed = seq;
        true
    }

    /// Soft-deletes message `i` of channel `c` at `at` (its replies stay).
    /// False when it is deleted already.
    pub fn delete(&mut self, c: usize, i: usize, at: OffsetDateTime) -> bool {
        let m = &mut self.channels[c].messages[i];
        if !m.live() {
            return false;
        }
        let at = at.max(m.modified);
        m.deleted = Some(at);
        m.modified = at;
        let seq = self.refile(c, i, at);
        self.channels[c].messages[i].seqs.deleted = Some(seq);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn team() -> Team {
        let mut t = Team {
            group: 0,
            id: "t".into(),
            name: "T".into(),
            description: String::new(),
            visibility: "public",
            created: datetime!(2026-01-01 0:00 UTC),
            tenant_id: "tid".into(),
            site_url: String::new(),
            people: Vec::new(),
            channels: Vec::new(),
            seq: 0,
        };
        t.add_channel(NewChannel {
            id: "19:a@thread.tacv2".into(),
            name: "General".into(),
            description: None,
            membership: Membership::Standard,
            created: t.created,
            email: String::new(),
            general: true,
            migration: None,
        });
        t
    }

    fn who() -> Author {
        Author {
            id: "u".into(),
            name: "U".into(),
        }
    }

    #[test]
    fn ids_are_creation_times_and_threads_refile_on_change() {
        let mut t = team();
        let at = datetime!(2026-02-01 10:00:00.5 UTC);
        let a = t.post(
            0,
            NewMessage::text(who(), at, true, format!("x {MESSAGE_ID}")),
        );
        let b = t.post(0, NewMessage::text(who(), at, true, "y".into()));
        let ch = &t.channels[0];
        assert_eq!(ch.messages[a].id, "1769940000500");
        assert_eq!(ch.messages[a].content, "x 1769940000500");
        assert_eq!(
            ch.messages[b].id, "1769940000501",
            "the next free millisecond"
        );
        let mut reply = NewMessage::text(who(), at, true, format!("{PARENT_ID}/{MESSAGE_ID}"));
        reply.parent = Some(a);
        let r = t.post(0, reply);
        assert_eq!(
            t.channels[0].messages[r].content,
            "1769940000500/1769940000502"
        );
        // The reply filed its thread again; the thread of `b` stays where it was.
        let filed: Vec<(u64, usize)> = t.channels[0].log.after(None, 0, u64::MAX).collect();
        assert_eq!(filed, vec![(2, b), (3, a)]);
        let later = at + time::Duration::hours(1);
        assert!(t.edit(0, b, "z".into(), later));
        assert!(t.delete(0, a, later));
        assert!(!t.delete(0, a, later), "deleted once");
        assert!(
            !t.edit(0, a, "w".into(), later),
            "a deleted message is not edited"
        );
        let m = &t.channels[0].messages[a];
        assert_eq!(m.deleted, Some(later));
        assert_eq!(m.seqs.deleted, Some(5));
        assert_eq!(t.channels[0].messages[b].edited, Some(later));
    }
}
