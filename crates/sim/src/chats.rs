//! Microsoft Teams chats (one-on-one, group and meeting chats between the
//! tenant's Teams users), their messages and hosted contents, and the
//! conversations of Microsoft 365 groups.
//!
//! Which chats exist, and who is in them, is decided for the whole tenant the
//! first time anything asks ([`catalog`]): a few chats started by each Teams
//! user, each stored once and shared by its members. A chat's messages are
//! generated the first time they are read ([`generate`]), from the tenant's
//! seed and the chat's number, so the same seed always gives the same chats.
//! Hosted contents (inline images) keep only a seed: their bytes are written
//! again whenever they are read ([`hosted`]).

pub mod catalog;
pub mod conversations;
pub mod generate;
pub mod hosted;
pub mod mutate;
pub mod render;
pub mod truth;
mod words;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use time::OffsetDateTime;

use crate::state::SimState;

/// A member of a chat, as the chat knows them.
#[derive(Debug, Clone)]
pub struct Person {
    /// Index in the tenant's users.
    pub index: usize,
    /// Object id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Mail address (or user principal name).
    pub email: String,
    /// The URL of their OneDrive (`https://x-my.sharepoint.com/personal/…`).
    pub drive_url: String,
}

/// `chatType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChatKind {
    /// Two people.
    OneOnOne,
    /// Three or more people, optionally with a topic.
    Group,
    /// The chat of an online meeting.
    Meeting,
}

impl ChatKind {
    /// The `chatType` value.
    pub fn as_str(self) -> &'static str {
        match self {
            ChatKind::OneOnOne => "oneOnOne",
            ChatKind::Group => "group",
            ChatKind::Meeting => "meeting",
        }
    }
}

/// The online meeting of a meeting chat (`onlineMeetingInfo`).
#[derive(Debug, Clone)]
pub struct Meeting {
    /// The calendar event's id in the organizer's mailbox.
    pub calendar_event_id: String,
    /// The join URL.
    pub join_url: String,
    /// The organizer (member slot).
    pub organizer: usize,
}

/// A system event (`eventDetail` of a `systemEventMessage`).
#[derive(Debug, Clone)]
pub enum Event {
    /// `membersAddedEventMessageDetail`.
    MembersAdded {
        /// Who added them (member slot).
        initiator: usize,
        /// Who was added (member slots).
        members: Vec<usize>,
    },
    /// `chatRenamedEventMessageDetail`.
    Renamed {
        /// Who renamed the chat (member slot).
        initiator: usize,
        /// The new name.
        name: String,
    },
}

/// A reaction to a message.
#[derive(Debug, Clone)]
pub struct Reaction {
    /// Who reacted (member slot).
    pub user: usize,
    /// `like`, `heart`, `laugh`…
    pub kind: &'static str,
    /// When.
    pub at: OffsetDateTime,
}

/// A file shared from the sender's OneDrive (a `reference` attachment).
#[derive(Debug, Clone)]
pub struct FileRef {
    /// Attachment id (a GUID).
    pub id: String,
    /// File name.
    pub name: String,
    /// The file's URL in the sender's OneDrive.
    pub url: String,
}

/// An inline image of a message.
#[derive(Debug, Clone)]
pub struct Hosted {
    /// The hosted content's id.
    pub id: String,
    /// Seed of its pixels.
    pub seed: u64,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

/// A chat message.
#[derive(Debug, Clone)]
pub struct Message {
    /// Id: the creation time in Unix milliseconds, as Teams writes it.
    pub id: String,
    /// Created.
    pub created: OffsetDateTime,
    /// Last changed (edit, reaction, deletion).
    pub modified: OffsetDateTime,
    /// Last edited.
    pub edited: Option<OffsetDateTime>,
    /// Soft-deleted.
    pub deleted: Option<OffsetDateTime>,
    /// Sender (member slot); `None` for system messages.
    pub from: Option<usize>,
    /// The text (plain; HTML is made when rendering).
    pub text: String,
    /// The system event of a system message.
    pub event: Option<Event>,
    /// People mentioned at the start of the message (member slots).
    pub mentions: Vec<usize>,
    /// Reactions.
    pub reactions: Vec<Reaction>,
    /// A shared file.
    pub file: Option<FileRef>,
    /// Inline images.
    pub hosted: Vec<Hosted>,
    /// `normal`, `high` or `urgent`.
    pub importance: &'static str,
}

impl Message {
    /// Whether the message is live (not soft-deleted).
    pub fn live(&self) -> bool {
        self.deleted.is_none()
    }
}

/// A chat.
#[derive(Debug, Clone)]
pub struct Chat {
    /// Id (`19:…@thread.v2`, `19:…@unq.gbl.spaces`).
    pub id: String,
    /// Its number in the catalog (seeds its messages, with `seed`).
    pub number: u64,
    /// The tenant's seed.
    pub seed: u64,
    /// `chatType`.
    pub kind: ChatKind,
    /// Topic (group and meeting chats).
    pub topic: Option<String>,
    /// Created.
    pub created: OffsetDateTime,
    /// Renamed or membership changed last.
    pub updated: OffsetDateTime,
    /// Members; slot 0 started the chat.
    pub members: Vec<Person>,
    /// The meeting of a meeting chat.
    pub meeting: Option<Meeting>,
    /// When the generated conversation ends (messages are before it).
    pub until: OffsetDateTime,
    messages: Option<Vec<Message>>,
}

impl Chat {
    /// The messages, oldest first (generated on first use).
    pub fn messages(&mut self) -> &mut Vec<Message> {
        if self.messages.is_none() {
            self.messages = Some(generate::messages(self));
        }
        self.messages.get_or_insert_with(Vec::new)
    }

    /// Whether the messages have been generated.
    pub fn generated(&self) -> bool {
        self.messages.is_some()
    }

    /// The member slot of user `index`.
    pub fn slot_of(&self, index: usize) -> Option<usize> {
        self.members.iter().position(|p| p.index == index)
    }

    /// The message with id `id`.
    pub fn message(&mut self, id: &str) -> Option<usize> {
        self.messages().iter().position(|m| m.id == id)
    }
}

/// A shared chat.
pub type SharedChat = Arc<Mutex<Chat>>;

/// Locks a chat (a handler that panicked leaves a usable one).
pub fn lock(chat: &SharedChat) -> MutexGuard<'_, Chat> {
    chat.lock().unwrap_or_else(|e| e.into_inner())
}

/// Every chat of the tenant, with lookups by id and by member.
#[derive(Debug, Default)]
pub struct Catalog {
    chats: Vec<SharedChat>,
    by_id: HashMap<String, usize>,
    by_user: HashMap<usize, Vec<usize>>,
}

impl Catalog {
    /// Adds a chat.
    pub fn push(&mut self, chat: Chat) -> SharedChat {
        let i = self.chats.len();
        self.by_id.insert(chat.id.to_ascii_lowercase(), i);
        for p in &chat.members {
            self.by_user.entry(p.index).or_default().push(i);
        }
        let shared = Arc::new(Mutex::new(chat));
        self.chats.push(shared.clone());
        shared
    }

    /// How many chats there are.
    pub fn len(&self) -> usize {
        self.chats.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.chats.is_empty()
    }
}

/// The chats and the group conversations.
#[derive(Default)]
pub struct Chats {
    catalog: Mutex<Option<Catalog>>,
    /// Microsoft 365 group conversations, generated per group on first use.
    pub conversations: conversations::Conversations,
}

impl Chats {
    /// Whether the catalog has been built (building it walks every user).
    pub fn ready(&self) -> bool {
        self.lock_catalog().is_some()
    }

    /// Runs `f` on the catalog, building it first if needed.
    pub fn with<T>(&self, state: &SimState, f: impl FnOnce(&mut Catalog) -> T) -> T {
        if !self.ready() {
            // Built outside the lock; if two requests race, the first one stored wins.
            let built = catalog::build(state);
            let mut guard = self.lock_catalog();
            if guard.is_none() {
                *guard = Some(built);
            }
        }
        let mut guard = self.lock_catalog();
        f(guard.get_or_insert_with(Catalog::default))
    }

    /// The chats user `index` is a member of.
    pub fn of_user(&self, state: &SimState, index: usize) -> Vec<SharedChat> {
        self.with(state, |c| {
            c.by_user
                .get(&index)
                .map(|list| list.iter().map(|&i| c.chats[i].clone()).collect())
                .unwrap_or_default()
        })
    }

    /// The chat with id `id` (case-insensitive).
    pub fn get(&self, state: &SimState, id: &str) -> Option<SharedChat> {
        self.with(state, |c| {
            c.by_id
                .get(&id.to_ascii_lowercase())
                .map(|&i| c.chats[i].clone())
        })
    }

    /// Every chat.
    pub fn all(&self, state: &SimState) -> Vec<SharedChat> {
        self.with(state, |c| c.chats.clone())
    }

    /// How many chats there are.
    pub fn count(&self, state: &SimState) -> usize {
        self.with(state, |c| c.len())
    }

    fn lock_catalog(&self) -> MutexGuard<'_, Option<Catalog>> {
        self.catalog.lock().unwrap_or_else(|e| e.into_inner())
    }
}
