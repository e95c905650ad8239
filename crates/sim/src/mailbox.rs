//! Exchange Online mailboxes: mail folders and messages, calendars and events,
//! contact folders and contacts, mailbox settings.
//!
//! A mailbox is generated the first time anything reads it, from the tenant's
//! seed and the owner's index, so a large tenant costs nothing until read.
//! Generated messages keep only their metadata and a seed: their MIME is
//! written again whenever it is asked for. Every change takes the mailbox's next
//! change sequence number; each folder, calendar and contact folder keeps its
//! changes ordered by (sequence number, record number), which is what delta
//! queries page through.

pub mod content;
pub mod generate;
pub mod ids;
pub mod mime;
pub mod mutate;
mod ops;
pub mod recurrence;
pub mod render;
pub mod truth;
pub mod upload;
mod words;

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use model::Guid;
use serde_json::{Map, Value};
use time::{Date, OffsetDateTime};

use crate::state::SimState;
use crate::tenant::MailboxPurpose;
use content::{Attachment, Content, Context, Person, Role};

pub use ops::Exists;

/// Changes of one collection, ordered by (change sequence number, record number).
#[derive(Debug, Default, Clone)]
pub struct ChangeLog(BTreeSet<(u64, usize)>);

impl ChangeLog {
    /// Records that record `index` changed at `new` (it was last at `old`).
    pub fn record(&mut self, old: Option<u64>, new: u64, index: usize) {
        if let Some(o) = old {
            self.0.remove(&(o, index));
        }
        self.0.insert((new, index));
    }

    /// Whether record `index` is filed at `seq`.
    pub fn contains(&self, seq: u64, index: usize) -> bool {
        self.0.contains(&(seq, index))
    }

    /// Entries after `cursor` (exclusive; from the start when `None`) with a
    /// sequence number of at most `upto`.
    pub fn after(
        &self,
        cursor: Option<(u64, usize)>,
        since: u64,
        upto: u64,
    ) -> impl Iterator<Item = (u64, usize)> + '_ {
        use std::ops::Bound::{Excluded, Included, Unbounded};
        let lower = match cursor {
            Some(c) => Excluded(c),
            None => Included((since.saturating_add(1), 0)),
        };
        self.0
            .range((lower, Unbounded))
            .copied()
            .take_while(move |(s, _)| *s <= upto)
            .filter(move |(s, _)| *s > since)
    }
}

/// When a record last changed and whether it is gone.
#[derive(Debug, Clone, Copy, Default)]
pub struct Seqs {
    /// Last change.
    pub changed: u64,
    /// Deletion (the record stays, for delta).
    pub deleted: Option<u64>,
}

impl Seqs {
    /// The sequence number the change log files the record under.
    pub fn last(&self) -> u64 {
        self.deleted.unwrap_or(self.changed)
    }

    /// Whether the record is live.
    pub fn live(&self) -> bool {
        self.deleted.is_none()
    }
}

/// A mail folder.
#[derive(Debug, Clone)]
pub struct MailFolder {
    /// Id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Parent folder (`None` for the root, `msgfolderroot`).
    pub parent: Option<usize>,
    /// Well-known name, such as `inbox`.
    pub well_known: Option<&'static str>,
    /// Hidden (listed only with `includeHiddenFolders=true`).
    pub hidden: bool,
    /// Change sequence numbers.
    pub seqs: Seqs,
    /// Changes of the messages in it.
    pub log: ChangeLog,
}

/// Where a message's content comes from.
#[derive(Debug, Clone)]
pub enum Origin {
    /// Generated from message number `n`; its MIME is written on demand.
    Generated {
        /// Item number (the content seed).
        n: u64,
        /// Received, sent or draft.
        role: Role,
        /// The time the content is dated from.
        at: OffsetDateTime,
    },
    /// Created from MIME: the bytes as given.
    Mime(Arc<Vec<u8>>),
    /// Created from JSON.
    Json(Arc<Content>),
}

/// A message.
#[derive(Debug, Clone)]
pub struct Message {
    /// Id (changes when the message moves).
    pub id: String,
    /// Folder.
    pub folder: usize,
    /// Content.
    pub origin: Origin,
    /// Received (or, for drafts, created).
    pub received: OffsetDateTime,
    /// Sent, when known apart from the content's `Date:`.
    pub sent: Option<OffsetDateTime>,
    /// Created in this mailbox.
    pub created: OffsetDateTime,
    /// Last modified.
    pub modified: OffsetDateTime,
    /// Read.
    pub is_read: bool,
    /// Draft.
    pub is_draft: bool,
    /// `low`, `normal`, `high`.
    pub importance: String,
    /// `notFlagged`, `flagged`, `complete`.
    pub flag: String,
    /// Categories.
    pub categories: Vec<String>,
    /// `focused` or `other`.
    pub inference: String,
    /// Bumped on every change (feeds `changeKey`).
    pub version: u32,
    /// Change sequence numbers.
    pub seqs: Seqs,
    /// Attachments added after creation, with their ids.
    pub added_attachments: Vec<(String, Attachment)>,
    /// Single-value extended properties set by clients (`id`, `value`).
    pub properties: Vec<(String, String)>,
    /// SHA-256 (hex) and length of the MIME, once computed.
    pub digest: Option<(String, usize)>,
}

/// A calendar.
#[derive(Debug, Clone)]
pub struct Calendar {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Colour.
    pub color: &'static str,
    /// The default calendar.
    pub is_default: bool,
    /// Bumped on every change.
    pub version: u32,
    /// Change sequence numbers.
    pub seqs: Seqs,
    /// Changes of its events.
    pub log: ChangeLog,
}

/// A change to one occurrence of a series.
#[derive(Debug, Clone, PartialEq)]
pub struct Exception {
    /// The occurrence's original date.
    pub date: Date,
    /// Cancelled (the occurrence is gone).
    pub cancelled: bool,
    /// New subject.
    pub subject: Option<String>,
    /// Moved by this many minutes.
    pub shift_minutes: i64,
}

/// An event (a single event or a series master).
#[derive(Debug, Clone)]
pub struct Event {
    /// Id.
    pub id: String,
    /// Calendar.
    pub calendar: usize,
    /// The event's own properties as Graph names them (subject, body, start,
    /// end, isAllDay, location, attendees, organizer, recurrence, …).
    pub data: Map<String, Value>,
    /// Changed and cancelled occurrences of a series.
    pub exceptions: Vec<Exception>,
    /// iCalendar UID.
    pub ical_uid: String,
    /// Created.
    pub created: OffsetDateTime,
    /// Last modified.
    pub modified: OffsetDateTime,
    /// Bumped on every change.
    pub version: u32,
    /// Change sequence numbers.
    pub seqs: Seqs,
    /// Attachments, with their ids.
    pub attachments: Vec<(String, Attachment)>,
}

/// A contact folder (index 0 of a mailbox is the default `Contacts`).
#[derive(Debug, Clone)]
pub struct ContactFolder {
    /// Id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Parent folder (`None` for the default `Contacts` folder).
    pub parent: Option<usize>,
    /// Change sequence numbers.
    pub seqs: Seqs,
    /// Changes of its contacts.
    pub log: ChangeLog,
}

/// A contact.
#[derive(Debug, Clone)]
pub struct Contact {
    /// Id.
    pub id: String,
    /// Folder.
    pub folder: usize,
    /// The contact's own properties as Graph names them.
    pub data: Map<String, Value>,
    /// Created.
    pub created: OffsetDateTime,
    /// Last modified.
    pub modified: OffsetDateTime,
    /// Bumped on every change.
    pub version: u32,
    /// Change sequence numbers.
    pub seqs: Seqs,
}

/// What an id names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Obj {
    /// A mail folder.
    Folder(usize),
    /// A message.
    Message(usize),
    /// A calendar.
    Calendar(usize),
    /// An event.
    Event(usize),
    /// A contact folder.
    ContactFolder(usize),
    /// A contact.
    Contact(usize),
}

/// One user's mailbox.
#[derive(Debug, Clone)]
pub struct Mailbox {
    /// What generation drew on (owner, colleagues, seed).
    pub ctx: Context,
    /// The mailbox GUID (ids embed it).
    pub guid: Guid,
    /// The owner's object id.
    pub user_id: Guid,
    /// What the mailbox is for.
    pub purpose: MailboxPurpose,
    /// The owner's preferred language.
    pub language: String,
    /// The day generated content is dated up to.
    pub anchor: OffsetDateTime,
    /// The last change sequence number handed out.
    pub seq: u64,
    /// The last id serial handed out.
    pub serial: u64,
    /// The next generated item number (mutations add generated items).
    pub next_item: u64,
    /// Mail folders; 0 is the root (`msgfolderroot`).
    pub folders: Vec<MailFolder>,
    /// Messages, including deleted and moved-away ones.
    pub messages: Vec<Message>,
    /// Calendars; 0 is the default.
    pub calendars: Vec<Calendar>,
    /// Events.
    pub events: Vec<Event>,
    /// Contact folders; 0 is the default `Contacts`.
    pub contact_folders: Vec<ContactFolder>,
    /// Id of the root above `Contacts` (its `parentFolderId`).
    pub contacts_root_id: String,
    /// Contacts.
    pub contacts: Vec<Contact>,
    /// `mailboxSettings`.
    pub settings: Value,
    /// Changes of the mail folder tree.
    pub folder_log: ChangeLog,
    /// Changes of the contact folders.
    pub contact_folder_log: ChangeLog,
    /// Changes of the calendars.
    pub calendar_log: ChangeLog,
    by_id: HashMap<String, Obj>,
}

impl Mailbox {
    /// The next change sequence number.
    pub fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    /// A new id.
    pub fn new_id(&mut self, kind: ids::IdKind) -> String {
        self.serial += 1;
        ids::make(self.guid, kind, "item", self.serial)
    }

    /// Files `id` under `obj`.
    pub fn index(&mut self, id: String, obj: Obj) {
        self.by_id.insert(id, obj);
    }

    /// What `id` names, deleted records included.
    pub fn lookup(&self, id: &str) -> Option<Obj> {
        self.by_id.get(id).copied()
    }

    /// The owner.
    pub fn owner(&self) -> &Person {
        &self.ctx.owner
    }

    /// A live mail folder by id or well-known name.
    pub fn folder(&self, key: &str) -> Option<usize> {
        if let Some(i) = self
            .folders
            .iter()
            .position(|f| f.well_known.is_some_and(|w| w.eq_ignore_ascii_case(key)))
        {
            return Some(i);
        }
        match self.lookup(key) {
            Some(Obj::Folder(i)) if self.folders[i].seqs.live() => Some(i),
            _ => None,
        }
    }

    /// A live message by id.
    pub fn message(&self, id: &str) -> Option<usize> {
        match self.lookup(id) {
            Some(Obj::Message(i)) if self.messages[i].seqs.live() => Some(i),
            _ => None,
        }
    }

    /// A live calendar by id.
    pub fn calendar(&self, id: &str) -> Option<usize> {
        match self.lookup(id) {
            Some(Obj::Calendar(i)) if self.calendars[i].seqs.live() => Some(i),
            _ => None,
        }
    }

    /// A live event (series master or single) by id.
    pub fn event(&self, id: &str) -> Option<usize> {
        match self.lookup(id) {
            Some(Obj::Event(i)) if self.events[i].seqs.live() => Some(i),
            _ => None,
        }
    }

    /// A live contact folder by id (`contacts` names the default one).
    pub fn contact_folder(&self, key: &str) -> Option<usize> {
        if key.eq_ignore_ascii_case("contacts") {
            return Some(0);
        }
        match self.lookup(key) {
            Some(Obj::ContactFolder(i)) if self.contact_folders[i].seqs.live() => Some(i),
            _ => None,
        }
    }

    /// A live contact by id.
    pub fn contact(&self, id: &str) -> Option<usize> {
        match self.lookup(id) {
            Some(Obj::Contact(i)) if self.contacts[i].seqs.live() => Some(i),
            _ => None,
        }
    }

    /// The folder path of mail folder `i` from below the root: `/Inbox/Projects`.
    pub fn folder_path(&self, i: usize) -> String {
        let mut names = Vec::new();
        let mut cur = Some(i);
        while let Some(c) = cur {
            let f = &self.folders[c];
            if f.parent.is_none() {
                break;
            }
            names.push(f.name.as_str());
            cur = f.parent;
        }
        names.reverse();
        format!("/{}", names.join("/"))
    }

    /// The path of contact folder `i`: `/Contacts/Suppliers`.
    pub fn contact_folder_path(&self, i: usize) -> String {
        let mut names = Vec::new();
        let mut cur = Some(i);
        while let Some(c) = cur {
            names.push(self.contact_folders[c].name.as_str());
            cur = self.contact_folders[c].parent;
        }
        names.reverse();
        format!("/{}", names.join("/"))
    }

    /// Live child folders of mail folder `parent`.
    pub fn child_folders(&self, parent: usize) -> impl Iterator<Item = usize> + '_ {
        self.folders
            .iter()
            .enumerate()
            .filter(move |(_, f)| f.parent == Some(parent) && f.seqs.live())
            .map(|(i, _)| i)
    }

    /// Live messages of folder `folder`.
    pub fn folder_messages(&self, folder: usize) -> impl Iterator<Item = usize> + '_ {
        self.messages
            .iter()
            .enumerate()
            .filter(move |(_, m)| m.folder == folder && m.seqs.live())
            .map(|(i, _)| i)
    }

    /// Message `i`'s content.
    pub fn content(&self, i: usize) -> Content {
        let m = &self.messages[i];
        match &m.origin {
            Origin::Generated { n, role, at } => content::message(&self.ctx, *n, *role, *at),
            Origin::Mime(bytes) => mime::parse(bytes)
                .map(|p| p.into_content(m.created))
                .unwrap_or_else(|_| empty_content(m.created)),
            Origin::Json(c) => (**c).clone(),
        }
    }
}

/// A message without content (unreadable MIME).
pub fn empty_content(at: OffsetDateTime) -> Content {
    Content {
        subject: String::new(),
        from: Person {
            name: String::new(),
            address: String::new(),
        },
        to: Vec::new(),
        cc: Vec::new(),
        bcc: Vec::new(),
        date: at,
        message_id: String::new(),
        topic: String::new(),
        text: String::new(),
        html: None,
        attachments: Vec::new(),
    }
}

/// A shared mailbox.
pub type SharedMailbox = Arc<Mutex<Mailbox>>;

/// Every mailbox generated so far, by owner index.
#[derive(Default)]
pub struct Mailboxes {
    boxes: Mutex<HashMap<usize, SharedMailbox>>,
    /// Attachment upload sessions in progress.
    pub uploads: Mutex<HashMap<String, upload::Session>>,
}

impl Mailboxes {
    /// The mailbox of user `index`, generated on first use; `None` when the
    /// user has no mailbox.
    pub fn open(&self, state: &SimState, index: usize) -> Option<SharedMailbox> {
        if let Some(b) = self.lock().get(&index) {
            return Some(b.clone());
        }
        let (ctx, purpose, user_id, language, anchor) = {
            let t = state.tenant();
            if !t.has_mailbox(index) {
                return None;
            }
            let u = &t.users[index];
            let person = |u: &crate::tenant::SimUser| Person {
                name: u.display_name.clone(),
                address: u
                    .mail
                    .clone()
                    .unwrap_or_else(|| u.user_principal_name.clone()),
            };
            let colleagues: Vec<Person> = t
                .users
                .iter()
                .enumerate()
                .filter(|(i, c)| *i != index && c.deleted_seq.is_none())
                .take(60)
                .map(|(_, c)| person(c))
                .collect();
            let ctx = Context {
                seed: t.seed,
                user: index,
                owner: person(u),
                colleagues,
                domain: t.domain.clone(),
                scale: state.config.mail_scale,
            };
            (
                ctx,
                u.purpose,
                u.id,
                u.preferred_language
                    .clone()
                    .unwrap_or_else(|| "en-US".into()),
                t.created + time::Duration::days(400),
            )
        };
        // Generation runs outside the registry lock; if two requests race, the
        // first mailbox stored wins and both use it.
        let mailbox = generate::mailbox(ctx, purpose, user_id, &language, anchor);
        let mut boxes = self.lock();
        Some(
            boxes
                .entry(index)
                .or_insert_with(|| Arc::new(Mutex::new(mailbox)))
                .clone(),
        )
    }

    /// Whether user `index`'s mailbox has been generated.
    pub fn is_open(&self, index: usize) -> bool {
        self.lock().contains_key(&index)
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<usize, SharedMailbox>> {
        self.boxes.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Locks a mailbox (a handler that panicked leaves a usable one).
pub fn lock(mailbox: &SharedMailbox) -> MutexGuard<'_, Mailbox> {
    mailbox.lock().unwrap_or_else(|e| e.into_inner())
}
