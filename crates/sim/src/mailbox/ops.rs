//! Changes to a mailbox. Each takes a new change sequence number and files the
//! record in its collection's change log, so delta reports it.

use serde_json::{Map, Value};
use time::OffsetDateTime;

use super::content::Attachment;
use super::ids::IdKind;
use super::{
    Calendar, ChangeLog, Contact, ContactFolder, Event, Exception, MailFolder, Mailbox, Message,
    Obj, Origin, Seqs,
};

/// A folder of that name already exists under the same parent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exists;

impl Message {
    /// A message as it arrives in a folder (not yet filed).
    pub fn new(origin: Origin, received: OffsetDateTime, created: OffsetDateTime) -> Message {
        Message {
            id: String::new(),
            folder: 0,
            origin,
            received,
            sent: None,
            created,
            modified: created,
            is_read: false,
            is_draft: false,
            importance: "normal".into(),
            flag: "notFlagged".into(),
            categories: Vec::new(),
            inference: "focused".into(),
            version: 0,
            seqs: Seqs::default(),
            added_attachments: Vec::new(),
            properties: Vec::new(),
            digest: None,
        }
    }
}

impl Mailbox {
    /// Creates mail folder `name` under `parent` (names are unique per parent,
    /// case-insensitively, as Exchange requires).
    pub fn add_folder(
        &mut self,
        parent: usize,
        name: &str,
        hidden: bool,
        well_known: Option<&'static str>,
    ) -> Result<usize, Exists> {
        if self
            .child_folders(parent)
            .any(|c| self.folders[c].name.eq_ignore_ascii_case(name))
        {
            return Err(Exists);
        }
        let id = self.new_id(IdKind::Folder);
        let seq = self.next_seq();
        let i = self.folders.len();
        self.folders.push(MailFolder {
            id: id.clone(),
            name: name.to_owned(),
            parent: Some(parent),
            well_known,
            hidden,
            seqs: Seqs {
                changed: seq,
                deleted: None,
            },
            log: ChangeLog::default(),
        });
        self.folder_log.record(None, seq, i);
        self.index(id, Obj::Folder(i));
        Ok(i)
    }

    /// Deletes mail folder `i` with everything in it (its messages and folders).
    pub fn delete_folder(&mut self, i: usize) {
        let children: Vec<usize> = self.child_folders(i).collect();
        for c in children {
            self.delete_folder(c);
        }
        let messages: Vec<usize> = self.folder_messages(i).collect();
        for m in messages {
            self.delete_message(m);
        }
        let seq = self.next_seq();
        let old = self.folders[i].seqs.last();
        self.folders[i].seqs.deleted = Some(seq);
        self.folder_log.record(Some(old), seq, i);
    }

    /// Files message `m` in `folder` under a new id.
    pub fn add_message(&mut self, folder: usize, mut m: Message) -> usize {
        m.id = self.new_id(IdKind::Item);
        m.folder = folder;
        let seq = self.next_seq();
        m.seqs = Seqs {
            changed: seq,
            deleted: None,
        };
        let i = self.messages.len();
        self.folders[folder].log.record(None, seq, i);
        self.index(m.id.clone(), Obj::Message(i));
        self.messages.push(m);
        i
    }

    /// Records a change to message `i` (metadata already updated).
    pub fn touch_message(&mut self, i: usize, now: OffsetDateTime) {
        let seq = self.next_seq();
        let m = &mut self.messages[i];
        let old = m.seqs.last();
        m.seqs.changed = seq;
        m.version += 1;
        m.modified = now;
        let folder = m.folder;
        self.folders[folder].log.record(Some(old), seq, i);
    }

    /// Moves message `i` to `to`: Exchange gives the moved message a new id, so
    /// the old record is deleted and a new one filed. Returns the new record.
    pub fn move_message(&mut self, i: usize, to: usize, now: OffsetDateTime) -> usize {
        let mut moved = self.messages[i].clone();
        self.delete_message(i);
        moved.modified = now;
        moved.version += 1;
        self.add_message(to, moved)
    }

    /// Deletes message `i`.
    pub fn delete_message(&mut self, i: usize) {
        let seq = self.next_seq();
        let m = &mut self.messages[i];
        let old = m.seqs.last();
        m.seqs.deleted = Some(seq);
        let folder = m.folder;
        self.folders[folder].log.record(Some(old), seq, i);
    }

    /// Creates calendar `name`.
    pub fn add_calendar(&mut self, name: &str, color: &'static str) -> Result<usize, Exists> {
        if self
            .calendars
            .iter()
            .any(|c| c.seqs.live() && c.name.eq_ignore_ascii_case(name))
        {
            return Err(Exists);
        }
        let id = self.new_id(IdKind::Folder);
        let seq = self.next_seq();
        let i = self.calendars.len();
        self.calendars.push(Calendar {
            id: id.clone(),
            name: name.to_owned(),
            color,
            is_default: i == 0,
            version: 0,
            seqs: Seqs {
                changed: seq,
                deleted: None,
            },
            log: ChangeLog::default(),
        });
        self.calendar_log.record(None, seq, i);
        self.index(id, Obj::Calendar(i));
        Ok(i)
    }

    /// Creates an event in `calendar`.
    pub fn add_event(
        &mut self,
        calendar: usize,
        data: Map<String, Value>,
        exceptions: Vec<Exception>,
        attachments: Vec<Attachment>,
        now: OffsetDateTime,
    ) -> usize {
        let id = self.new_id(IdKind::Item);
        let seq = self.next_seq();
        let i = self.events.len();
        let attachments = attachments
            .into_iter()
            .map(|a| (self.new_id(IdKind::Attachment), a))
            .collect();
        let ical_uid = format!(
            "040000008200E00074C5B7101A82E008000000{}",
            super::content::hex(&seq.to_be_bytes()).to_ascii_uppercase()
        ) + &super::content::hex(self.guid.as_uuid().as_bytes())
            .to_ascii_uppercase();
        self.events.push(Event {
            id: id.clone(),
            calendar,
            data,
            exceptions,
            ical_uid,
            created: now,
            modified: now,
            version: 0,
            seqs: Seqs {
                changed: seq,
                deleted: None,
            },
            attachments,
        });
        self.calendars[calendar].log.record(None, seq, i);
        self.index(id, Obj::Event(i));
        i
    }

    /// Records a change to event `i`.
    pub fn touch_event(&mut self, i: usize, now: OffsetDateTime) {
        let seq = self.next_seq();
        let e = &mut self.events[i];
        let old = e.seqs.last();
        e.seqs.changed = seq;
        e.version += 1;
        e.modified = now;
        let c = e.calendar;
        self.calendars[c].log.record(Some(old), seq, i);
    }

    /// Deletes event `i`.
    pub fn delete_event(&mut self, i: usize) {
        let seq = self.next_seq();
        let e = &mut self.events[i];
        let old = e.seqs.last();
        e.seqs.deleted = Some(seq);
        let c = e.calendar;
        self.calendars[c].log.record(Some(old), seq, i);
    }

    /// Creates contact folder `name` under `parent` (`None`: the default folder's
    /// own record, made once by generation).
    pub fn add_contact_folder(
        &mut self,
        parent: Option<usize>,
        name: &str,
    ) -> Result<usize, Exists> {
        if self
            .contact_folders
            .iter()
            .any(|f| f.seqs.live() && f.parent == parent && f.name.eq_ignore_ascii_case(name))
        {
            return Err(Exists);
        }
        let id = self.new_id(IdKind::Folder);
        let seq = self.next_seq();
        let i = self.contact_folders.len();
        self.contact_folders.push(ContactFolder {
            id: id.clone(),
            name: name.to_owned(),
            parent,
            seqs: Seqs {
                changed: seq,
                deleted: None,
            },
            log: ChangeLog::default(),
        });
        self.contact_folder_log.record(None, seq, i);
        self.index(id, Obj::ContactFolder(i));
        Ok(i)
    }

    /// Creates a contact in `folder`.
    pub fn add_contact(
        &mut self,
        folder: usize,
        data: Map<String, Value>,
        now: OffsetDateTime,
    ) -> usize {
        let id = self.new_id(IdKind::Item);
        let seq = self.next_seq();
        let i = self.contacts.len();
        self.contacts.push(Contact {
            id: id.clone(),
            folder,
            data,
            created: now,
            modified: now,
            version: 0,
            seqs: Seqs {
                changed: seq,
                deleted: None,
            },
        });
        self.contact_folders[folder].log.record(None, seq, i);
        self.index(id, Obj::Contact(i));
        i
    }

    /// Records a change to contact `i`.
    pub fn touch_contact(&mut self, i: usize, now: OffsetDateTime) {
        let seq = self.next_seq();
        let c = &mut self.contacts[i];
        let old = c.seqs.last();
        c.seqs.changed = seq;
        c.version += 1;
        c.modified = now;
        let f = c.folder;
        self.contact_folders[f].log.record(Some(old), seq, i);
    }

    /// Deletes contact `i`.
    pub fn delete_contact(&mut self, i: usize) {
        let seq = self.next_seq();
        let c = &mut self.contacts[i];
        let old = c.seqs.last();
        c.seqs.deleted = Some(seq);
        let f = c.folder;
        self.contact_folders[f].log.record(Some(old), seq, i);
    }
}
