//! Mailbox entities as Microsoft Graph v1.0 returns them (shapes follow the
//! CSDL schema: mailFolder, message, attachment, calendar, event, contactFolder,
//! contact, mailboxSettings).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::content::{Attachment, AttachmentBody, Content, Person, preview};
use super::ids;
use super::mime::parse::strip_tags;
use super::recurrence::{Occurrence, dt_value};
use super::{Event, Mailbox};
use crate::graph::render::ts;

/// A `changeKey`: base64 of a version-dependent value, as Exchange writes them.
pub fn change_key(prefix: u8, id: &str, version: u32) -> String {
    let mut h = Sha256::new();
    h.update(id.as_bytes());
    h.update(version.to_le_bytes());
    let d = h.finalize();
    let mut bytes = vec![prefix, 0, 0, 0, 0x16, 0, 0, 0];
    bytes.extend_from_slice(&d[..16]);
    bytes.extend_from_slice(&version.to_le_bytes());
    STANDARD.encode(bytes)
}

fn recipient(p: &Person) -> Value {
    json!({"emailAddress": {"name": p.name, "address": p.address}})
}

fn recipients(list: &[Person]) -> Value {
    Value::Array(list.iter().map(recipient).collect())
}

/// A mail folder.
pub fn folder(m: &Mailbox, i: usize) -> Value {
    let f = &m.folders[i];
    let (mut total, mut unread) = (0, 0);
    for k in m.folder_messages(i) {
        total += 1;
        if !m.messages[k].is_read {
            unread += 1;
        }
    }
    json!({
        "id": f.id,
        "displayName": f.name,
        "parentFolderId": f.parent.map(|p| m.folders[p].id.clone()),
        "childFolderCount": m.child_folders(i).count(),
        "unreadItemCount": unread,
        "totalItemCount": total,
        "isHidden": f.hidden,
    })
}

/// `conversationId` of a thread topic.
fn conversation_id(m: &Mailbox, topic: &str) -> (String, String) {
    let mut h = Sha256::new();
    h.update(m.guid.as_uuid().as_bytes());
    h.update(topic.trim().to_lowercase().as_bytes());
    let d = h.finalize();
    let mut bytes = vec![0x00, 0x04, 0x24, 0x00];
    bytes.extend_from_slice(m.guid.to_string().as_bytes());
    bytes.extend_from_slice(&[0x00, 0x10, 0x00, 0x00]);
    bytes.extend_from_slice(&d[..16]);
    let mut index = vec![0x01];
    index.extend_from_slice(&d[16..32]);
    index.extend_from_slice(&[0, 0, 0, 0, 0]);
    (ids::encode(&bytes), STANDARD.encode(index))
}

/// A message (every property; callers apply `$select`).
pub fn message(m: &Mailbox, i: usize, c: &Content) -> Value {
    let msg = &m.messages[i];
    let key = change_key(0x09, &msg.id, msg.version);
    let (body_type, body) = c.body();
    let (conversation, conversation_index) = conversation_id(m, &c.topic);
    let has_attachments =
        c.attachments.iter().any(|a| !a.is_inline) || !msg.added_attachments.is_empty();
    let from = (!c.from.address.is_empty()).then(|| recipient(&c.from));
    json!({
        "@odata.etag": format!("W/\"{key}\""),
        "id": msg.id,
        "createdDateTime": ts(msg.created),
        "lastModifiedDateTime": ts(msg.modified),
        "changeKey": key,
        "categories": msg.categories,
        "receivedDateTime": ts(msg.received),
        "sentDateTime": ts(msg.sent.unwrap_or(c.date)),
        "hasAttachments": has_attachments,
        "internetMessageId": c.message_id,
        "subject": c.subject,
        "bodyPreview": c.preview(),
        "importance": msg.importance,
        "parentFolderId": m.folders[msg.folder].id,
        "conversationId": conversation,
        "conversationIndex": conversation_index,
        "isDeliveryReceiptRequested": false,
        "isReadReceiptRequested": false,
        "isRead": msg.is_read,
        "isDraft": msg.is_draft,
        "webLink": format!("https://outlook.office365.com/owa/?ItemID={}&exvsurl=1&viewmodel=ReadMessageItem", urlencode(&msg.id)),
        "inferenceClassification": msg.inference,
        "body": {"contentType": body_type, "content": body},
        "sender": from,
        "from": from,
        "toRecipients": recipients(&c.to),
        "ccRecipients": recipients(&c.cc),
        "bccRecipients": recipients(&c.bcc),
        "replyTo": [],
        "flag": {"flagStatus": msg.flag},
    })
}

fn urlencode(s: &str) -> String {
    crate::graph::odata::encode_component(s).replace('/', "%2F")
}

/// The attachments of message `i` with their ids: those of its content, then
/// those added later.
pub fn message_attachments(m: &Mailbox, i: usize, c: &Content) -> Vec<(String, Attachment)> {
    let msg = &m.messages[i];
    let mut out: Vec<(String, Attachment)> = c
        .attachments
        .iter()
        .enumerate()
        .map(|(k, a)| (attachment_id(&msg.id, k), a.clone()))
        .collect();
    out.extend(msg.added_attachments.iter().cloned());
    out
}

/// The id of attachment `k` of item `item`.
pub fn attachment_id(item: &str, k: usize) -> String {
    let mut bytes = ids::decode(item).unwrap_or_default();
    bytes.extend_from_slice(&[0x12, 0x00, (k & 0xff) as u8, (k >> 8) as u8]);
    ids::encode(&bytes)
}

/// An attachment; `with_bytes` adds `contentBytes` to file attachments.
pub fn attachment(id: &str, a: &Attachment, with_bytes: bool) -> Value {
    let mut v = Map::new();
    let kind = match &a.body {
        AttachmentBody::File(_) => "fileAttachment",
        AttachmentBody::Item(_) => "itemAttachment",
        AttachmentBody::Reference { .. } => "referenceAttachment",
    };
    v.insert(
        "@odata.type".into(),
        json!(format!("#microsoft.graph.{kind}")),
    );
    if matches!(a.body, AttachmentBody::File(_)) {
        v.insert("@odata.mediaContentType".into(), json!(a.content_type));
    }
    v.insert("id".into(), json!(id));
    v.insert("lastModifiedDateTime".into(), json!(ts(a.modified)));
    v.insert("name".into(), json!(a.name));
    v.insert("contentType".into(), json!(a.content_type));
    v.insert("size".into(), json!(size_of(a)));
    v.insert("isInline".into(), json!(a.is_inline));
    if let AttachmentBody::File(bytes) = &a.body {
        v.insert("contentId".into(), json!(a.content_id));
        v.insert("contentLocation".into(), Value::Null);
        if with_bytes {
            v.insert(
                "contentBytes".into(),
                json!(STANDARD.encode(&*bytes.bytes())),
            );
        }
    }
    Value::Object(v)
}

/// The size Graph reports for an attachment.
pub fn size_of(a: &Attachment) -> usize {
    match &a.body {
        AttachmentBody::File(b) => b.len(),
        AttachmentBody::Item(c) => super::mime::write(c).len(),
        AttachmentBody::Reference { url } => url.len(),
    }
}

/// A calendar.
pub fn calendar(m: &Mailbox, i: usize) -> Value {
    let c = &m.calendars[i];
    json!({
        "id": c.id,
        "name": c.name,
        "color": c.color,
        "hexColor": "",
        "isDefaultCalendar": c.is_default,
        "changeKey": change_key(0x0F, &c.id, c.version),
        "canShare": true,
        "canViewPrivateItems": true,
        "canEdit": true,
        "allowedOnlineMeetingProviders": ["teamsForBusiness"],
        "defaultOnlineMeetingProvider": "teamsForBusiness",
        "isTallyingResponses": true,
        "isRemovable": !c.is_default,
        "owner": {"name": m.owner().name, "address": m.owner().address},
    })
}

fn event_base(m: &Mailbox, e: &Event) -> Map<String, Value> {
    let key = change_key(0x0D, &e.id, e.version);
    let d = &e.data;
    let get = |k: &str, default: Value| d.get(k).cloned().unwrap_or(default);
    let body = get("body", json!({"contentType": "text", "content": ""}));
    let body_text = body["content"].as_str().unwrap_or_default();
    let preview_text = if body["contentType"] == "html" {
        strip_tags(body_text)
    } else {
        body_text.to_owned()
    };
    let owner = m.owner();
    let mut v = Map::new();
    v.insert("@odata.etag".into(), json!(format!("W/\"{key}\"")));
    v.insert("id".into(), json!(e.id));
    v.insert("createdDateTime".into(), json!(ts(e.created)));
    v.insert("lastModifiedDateTime".into(), json!(ts(e.modified)));
    v.insert("changeKey".into(), json!(key));
    v.insert("categories".into(), get("categories", json!([])));
    v.insert("transactionId".into(), get("transactionId", Value::Null));
    v.insert("originalStartTimeZone".into(), json!("UTC"));
    v.insert("originalEndTimeZone".into(), json!("UTC"));
    v.insert("iCalUId".into(), json!(e.ical_uid));
    v.insert(
        "reminderMinutesBeforeStart".into(),
        get("reminderMinutesBeforeStart", json!(15)),
    );
    v.insert("isReminderOn".into(), get("isReminderOn", json!(true)));
    v.insert("hasAttachments".into(), json!(!e.attachments.is_empty()));
    v.insert("subject".into(), get("subject", json!("")));
    v.insert("bodyPreview".into(), json!(preview(&preview_text)));
    v.insert("importance".into(), get("importance", json!("normal")));
    v.insert("sensitivity".into(), get("sensitivity", json!("normal")));
    v.insert("isAllDay".into(), get("isAllDay", json!(false)));
    v.insert("isCancelled".into(), json!(false));
    v.insert("isOrganizer".into(), get("isOrganizer", json!(true)));
    v.insert(
        "responseRequested".into(),
        get("responseRequested", json!(true)),
    );
    v.insert("seriesMasterId".into(), Value::Null);
    v.insert("showAs".into(), get("showAs", json!("busy")));
    v.insert("type".into(), json!("singleInstance"));
    v.insert(
        "webLink".into(),
        json!(format!(
            "https://outlook.office365.com/owa/?itemid={}&exvsurl=1&path=/calendar/item",
            urlencode(&e.id)
        )),
    );
    v.insert("onlineMeetingUrl".into(), Value::Null);
    v.insert(
        "isOnlineMeeting".into(),
        get("isOnlineMeeting", json!(false)),
    );
    v.insert(
        "onlineMeetingProvider".into(),
        get("onlineMeetingProvider", json!("unknown")),
    );
    v.insert(
        "allowNewTimeProposals".into(),
        get("allowNewTimeProposals", json!(true)),
    );
    v.insert("isDraft".into(), json!(false));
    v.insert("hideAttendees".into(), get("hideAttendees", json!(false)));
    v.insert(
        "responseStatus".into(),
        get(
            "responseStatus",
            json!({"response": "organizer", "time": "0001-01-01T00:00:00Z"}),
        ),
    );
    v.insert("body".into(), body);
    v.insert("start".into(), get("start", Value::Null));
    v.insert("end".into(), get("end", Value::Null));
    v.insert(
        "location".into(),
        get("location", json!({"displayName": "", "locationType": "default", "uniqueIdType": "unknown", "address": {}, "coordinates": {}})),
    );
    v.insert("locations".into(), get("locations", json!([])));
    v.insert("recurrence".into(), get("recurrence", Value::Null));
    v.insert("attendees".into(), get("attendees", json!([])));
    v.insert(
        "organizer".into(),
        get(
            "organizer",
            json!({"emailAddress": {"name": owner.name, "address": owner.address}}),
        ),
    );
    v.insert("onlineMeeting".into(), get("onlineMeeting", Value::Null));
    v
}

/// A single event or a series master.
pub fn event(m: &Mailbox, i: usize) -> Value {
    let e = &m.events[i];
    let mut v = event_base(m, e);
    if e.data.get("recurrence").is_some_and(Value::is_object) {
        v.insert("type".into(), json!("seriesMaster"));
        let cancelled: Vec<String> = e
            .exceptions
            .iter()
            .filter(|x| x.cancelled)
            .map(|x| format!("OID.{}.{}", e.id, super::recurrence::format_date(x.date)))
            .collect();
        v.insert("cancelledOccurrences".into(), json!(cancelled));
    }
    Value::Object(v)
}

/// An occurrence or exception of series master `i`.
pub fn occurrence(m: &Mailbox, i: usize, o: &Occurrence) -> Value {
    let e = &m.events[i];
    let mut v = event_base(m, e);
    let id = ids::occurrence(&e.id, o.date).unwrap_or_default();
    v.insert("id".into(), json!(id));
    v.insert("seriesMasterId".into(), json!(e.id));
    v.insert(
        "type".into(),
        json!(if o.exception.is_some() {
            "exception"
        } else {
            "occurrence"
        }),
    );
    if let Some(subject) = o.exception.as_ref().and_then(|x| x.subject.clone()) {
        v.insert("subject".into(), json!(subject));
    }
    v.insert(
        "originalStart".into(),
        json!(format!(
            "{}Z",
            super::recurrence::format_dt(o.original_start).trim_end_matches(".0000000")
        )),
    );
    v.insert("start".into(), dt_value(o.start));
    v.insert("end".into(), dt_value(o.end));
    v.insert("recurrence".into(), Value::Null);
    Value::Object(v)
}

/// A contact folder.
pub fn contact_folder(m: &Mailbox, i: usize) -> Value {
    let f = &m.contact_folders[i];
    json!({
        "id": f.id,
        "displayName": f.name,
        "parentFolderId": match f.parent {
            Some(p) => m.contact_folders[p].id.clone(),
            None => m.contacts_root_id.clone(),
        },
    })
}

/// A contact.
pub fn contact(m: &Mailbox, i: usize) -> Value {
    let c = &m.contacts[i];
    let key = change_key(0x0E, &c.id, c.version);
    let mut v = Map::new();
    v.insert("@odata.etag".into(), json!(format!("W/\"{key}\"")));
    v.insert("id".into(), json!(c.id));
    v.insert("createdDateTime".into(), json!(ts(c.created)));
    v.insert("lastModifiedDateTime".into(), json!(ts(c.modified)));
    v.insert("changeKey".into(), json!(key));
    v.insert("categories".into(), json!([]));
    v.insert(
        "parentFolderId".into(),
        json!(m.contact_folders[c.folder].id),
    );
    for (k, val) in &c.data {
        v.insert(k.clone(), val.clone());
    }
    Value::Object(v)
}

/// A removed entry of an Outlook delta response.
pub fn removed(type_name: &str, id: &str) -> Value {
    json!({"@odata.type": format!("#microsoft.graph.{type_name}"), "id": id, "@removed": {"reason": "deleted"}})
}
