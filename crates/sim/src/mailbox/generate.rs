//! Generates a mailbox from the tenant's seed and the owner's index.
//!
//! Sizes follow a seeded distribution: about 2% of mailboxes hold 10,000 to
//! 40,000 messages, the others a log-normal number with a median of 300; the
//! `mail_scale` setting multiplies every count (and scales large attachments).

use model::Guid;
use rand::seq::IndexedRandom;
use rand::{Rng, RngCore};
use rand_chacha::ChaCha8Rng;
use serde_json::{Map, Value, json};
use time::{Duration, OffsetDateTime, PrimitiveDateTime, Time};

use super::content::{self, Attachment, AttachmentBody, Bytes, Context, Role};
use super::ids::{self, IdKind};
use super::recurrence::{dt_value, format_date, weekday_name};
use super::words::*;
use super::{ChangeLog, Exception, MailFolder, Mailbox, Message, Obj, Origin, Seqs};
use crate::tenant::MailboxPurpose;

/// Well-known folders under the root: (well-known name, display name).
pub const WELL_KNOWN: &[(&str, &str)] = &[
    ("inbox", "Inbox"),
    ("drafts", "Drafts"),
    ("sentitems", "Sent Items"),
    ("deleteditems", "Deleted Items"),
    ("junkemail", "Junk Email"),
    ("archive", "Archive"),
    ("outbox", "Outbox"),
    ("conversationhistory", "Conversation History"),
];

/// The display name of the hidden folder every generated mailbox has.
pub const HIDDEN_FOLDER: &str = "Hidden Items";

/// How many messages a mailbox has before scaling.
fn base_size(rng: &mut ChaCha8Rng) -> f64 {
    if rng.random_bool(0.02) {
        return f64::from(rng.random_range(10_000u32..=40_000));
    }
    // Log-normal, median 300 (Box–Muller for the normal draw).
    let u1: f64 = rng.random_range(f64::EPSILON..1.0);
    let u2: f64 = rng.random_range(0.0..1.0);
    let normal = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
    (300f64.ln() + 0.9 * normal).exp().min(9_000.0)
}

fn scaled(base: f64, scale: f64) -> usize {
    if scale <= 0.0 {
        return 0;
    }
    ((base * scale).round() as usize).max(1)
}

/// Generates the mailbox of `ctx.owner`.
pub fn mailbox(
    ctx: Context,
    purpose: MailboxPurpose,
    user_id: Guid,
    language: &str,
    anchor: OffsetDateTime,
) -> Mailbox {
    let seed = crate::seed::Seed(ctx.seed);
    let guid = seed.guid("mailbox", ctx.user as u64);
    let mut rng = ctx.rng("mailbox", 0);
    let base = base_size(&mut rng);
    let (messages, events, contacts) = match purpose {
        MailboxPurpose::Room | MailboxPurpose::Equipment => (
            scaled(base / 10.0, ctx.scale),
            scaled(base / 3.0, ctx.scale),
            0,
        ),
        _ => (
            scaled(base, ctx.scale),
            scaled(base / 6.0, ctx.scale),
            scaled((base / 10.0).min(3_000.0), ctx.scale),
        ),
    };
    let root_id = ids::make(guid, IdKind::Folder, "root", 0);
    let contacts_root_id = ids::make(guid, IdKind::Folder, "contacts-root", 0);
    let mut m = Mailbox {
        guid,
        user_id,
        purpose,
        language: language.to_owned(),
        anchor,
        seq: 0,
        serial: 0,
        next_item: 0,
        folders: vec![MailFolder {
            id: root_id.clone(),
            name: "Top of Information Store".into(),
            parent: None,
            well_known: Some("msgfolderroot"),
            hidden: false,
            seqs: Seqs {
                changed: 1,
                deleted: None,
            },
            log: ChangeLog::default(),
        }],
        messages: Vec::new(),
        calendars: Vec::new(),
        events: Vec::new(),
        contact_folders: Vec::new(),
        contacts_root_id,
        contacts: Vec::new(),
        settings: Value::Null,
        folder_log: ChangeLog::default(),
        contact_folder_log: ChangeLog::default(),
        calendar_log: ChangeLog::default(),
        by_id: Default::default(),
        ctx,
    };
    m.seq = 1;
    m.index(root_id, Obj::Folder(0));
    folders(&mut m, &mut rng);
    for n in 0..messages as u64 {
        message(&mut m, n);
    }
    calendars(&mut m, &mut rng, events);
    contact_folders(&mut m, &mut rng, contacts);
    // Items added later (mutations) continue the numbering of every kind.
    m.next_item = messages.max(events).max(contacts) as u64;
    m.settings = settings(&m, &mut rng);
    m
}

fn folders(m: &mut Mailbox, rng: &mut ChaCha8Rng) {
    for (wk, name) in WELL_KNOWN {
        let _ = m.add_folder(0, name, false, Some(wk));
    }
    let _ = m.add_folder(0, HIDDEN_FOLDER, true, None);
    let inbox = 1;
    for _ in 0..rng.random_range(1..=5) {
        let name = FOLDERS.choose(rng).copied().unwrap_or("Projects");
        let parent = if rng.random_bool(0.4) { inbox } else { 0 };
        let Ok(top) = m.add_folder(parent, name, false, None) else {
            continue;
        };
        for _ in 0..rng.random_range(0..3) {
            let sub = SUBFOLDERS.choose(rng).copied().unwrap_or("2026");
            let Ok(child) = m.add_folder(top, sub, false, None) else {
                continue;
            };
            if rng.random_bool(0.3) {
                let leaf = SUBFOLDERS.choose(rng).copied().unwrap_or("Old");
                let _ = m.add_folder(child, leaf, false, None);
            }
        }
    }
}

/// Adds generated message number `n` (also used by mutations).
pub fn message(m: &mut Mailbox, n: u64) -> usize {
    let mut rng = m.ctx.rng("message", n);
    let user_folders: Vec<usize> = (10..m.folders.len())
        .filter(|&i| m.folders[i].seqs.live())
        .collect();
    let folder = match rng.random_range(0..100) {
        0..=44 => 1,
        45..=64 => 3,
        65..=66 => 2,
        67..=71 => 4,
        72..=73 => 5,
        74..=78 => 6,
        79 => 9,
        _ => user_folders.choose(&mut rng).copied().unwrap_or(1),
    };
    let role = match m.folders[folder].well_known {
        Some("sentitems") => Role::Sent,
        Some("drafts") => Role::Draft,
        _ => Role::Received,
    };
    let age = Duration::seconds(rng.random_range(0..730 * 86_400));
    let received = m.anchor - age;
    let mut msg = Message::new(
        Origin::Generated {
            n,
            role,
            at: received,
        },
        received,
        received,
    );
    msg.is_draft = role == Role::Draft;
    msg.is_read =
        role != Role::Received || rng.random_bool(if age.whole_days() > 14 { 0.95 } else { 0.5 });
    msg.flag = match rng.random_range(0..100) {
        0..=7 => "flagged",
        8..=9 => "complete",
        _ => "notFlagged",
    }
    .into();
    msg.importance = match rng.random_range(0..100) {
        0..=4 => "high",
        5..=7 => "low",
        _ => "normal",
    }
    .into();
    if rng.random_bool(0.1) {
        let c = CATEGORIES.choose(&mut rng).copied().unwrap_or("Important");
        msg.categories.push(c.to_owned());
    }
    if rng.random_bool(0.2) {
        msg.inference = "other".into();
    }
    m.add_message(folder, msg)
}

fn calendars(m: &mut Mailbox, rng: &mut ChaCha8Rng, events: usize) {
    let _ = m.add_calendar("Calendar", "auto");
    let extra = rng.random_range(1..=2);
    for name in CALENDARS.choose_multiple(rng, extra) {
        let color = ["lightBlue", "lightGreen", "lightOrange"][rng.random_range(0..3)];
        let _ = m.add_calendar(name, color);
    }
    for n in 0..events as u64 {
        event(m, n);
    }
}

/// Adds generated event number `n` (also used by mutations).
pub fn event(m: &mut Mailbox, n: u64) -> usize {
    let mut rng = m.ctx.rng("event", n);
    let calendars: Vec<usize> = (0..m.calendars.len())
        .filter(|&i| m.calendars[i].seqs.live())
        .collect();
    let calendar = if rng.random_bool(0.8) {
        0
    } else {
        calendars.choose(&mut rng).copied().unwrap_or(0)
    };
    let day = m.anchor.date() + Duration::days(rng.random_range(-365..180));
    let kind = rng.random_range(0..100);
    let all_day = (60..75).contains(&kind);
    let recurring = kind >= 75;
    let (start, end) = if all_day {
        let s = PrimitiveDateTime::new(day, Time::MIDNIGHT);
        (s, s + Duration::days(rng.random_range(1..=3)))
    } else {
        let minutes = 8 * 60 + 30 * rng.random_range(0..18);
        let s = PrimitiveDateTime::new(day, Time::MIDNIGHT) + Duration::minutes(minutes);
        (
            s,
            s + Duration::minutes([30, 60, 90, 120][rng.random_range(0..4)]),
        )
    };
    let topic = TOPICS.choose(&mut rng).copied().unwrap_or("Meeting");
    let count = rng.random_range(1..3);
    let paras = content::paragraphs(&mut rng, count);
    let owner = m.ctx.owner.clone();
    let organizer_is_owner = rng.random_bool(0.7);
    let organizer = if organizer_is_owner {
        owner.clone()
    } else {
        m.ctx.correspondent(&mut rng)
    };
    let mut attendees: Vec<Value> = Vec::new();
    for _ in 0..rng.random_range(0..5) {
        let p = m.ctx.correspondent(&mut rng);
        if p == organizer {
            continue;
        }
        let kind = if rng.random_bool(0.8) {
            "required"
        } else {
            "optional"
        };
        attendees.push(json!({
            "type": kind,
            "status": {"response": "none", "time": "0001-01-01T00:00:00Z"},
            "emailAddress": {"name": p.name, "address": p.address}
        }));
    }
    let location = LOCATIONS.choose(&mut rng).copied().unwrap_or("Online");
    let mut data = Map::new();
    data.insert("subject".into(), json!(topic));
    data.insert(
        "body".into(),
        json!({"contentType": "html", "content": content::html_of(&paras, "")}),
    );
    data.insert("start".into(), dt_value(start));
    data.insert("end".into(), dt_value(end));
    data.insert("isAllDay".into(), json!(all_day));
    data.insert("location".into(), location_value(location));
    data.insert("locations".into(), json!([location_value(location)]));
    data.insert("attendees".into(), Value::Array(attendees));
    data.insert(
        "organizer".into(),
        json!({"emailAddress": {"name": organizer.name, "address": organizer.address}}),
    );
    data.insert("isOrganizer".into(), json!(organizer_is_owner));
    data.insert(
        "responseStatus".into(),
        if organizer_is_owner {
            json!({"response": "organizer", "time": "0001-01-01T00:00:00Z"})
        } else {
            json!({"response": "accepted", "time": format!("{}T08:00:00Z", format_date(day - Duration::days(3)))})
        },
    );
    data.insert(
        "importance".into(),
        json!(if rng.random_bool(0.1) {
            "high"
        } else {
            "normal"
        }),
    );
    data.insert("sensitivity".into(), json!("normal"));
    data.insert(
        "showAs".into(),
        json!(if all_day { "free" } else { "busy" }),
    );
    data.insert("categories".into(), json!([]));
    data.insert("isReminderOn".into(), json!(!all_day));
    data.insert(
        "reminderMinutesBeforeStart".into(),
        json!(if all_day { 1080 } else { 15 }),
    );
    let online = !all_day && rng.random_bool(0.4);
    data.insert("isOnlineMeeting".into(), json!(online));
    data.insert(
        "onlineMeetingProvider".into(),
        json!(if online {
            "teamsForBusiness"
        } else {
            "unknown"
        }),
    );
    let mut exceptions = Vec::new();
    if recurring {
        let (pattern, count) = match rng.random_range(0..3) {
            0 => (
                json!({"type": "daily", "interval": 1, "month": 0, "dayOfMonth": 0, "firstDayOfWeek": "sunday", "index": "first"}),
                rng.random_range(3..=10),
            ),
            1 => (
                json!({"type": "weekly", "interval": rng.random_range(1..=2), "month": 0, "dayOfMonth": 0,
                    "daysOfWeek": [weekday_name(day.weekday())], "firstDayOfWeek": "sunday", "index": "first"}),
                rng.random_range(4..=20),
            ),
            _ => (
                json!({"type": "absoluteMonthly", "interval": 1, "month": 0, "dayOfMonth": day.day(),
                    "firstDayOfWeek": "sunday", "index": "first"}),
                rng.random_range(6..=12),
            ),
        };
        data.insert(
            "recurrence".into(),
            json!({
                "pattern": pattern,
                "range": {"type": "numbered", "startDate": format_date(day), "endDate": "0001-01-01",
                    "recurrenceTimeZone": "UTC", "numberOfOccurrences": count}
            }),
        );
        let dates: Vec<_> = super::recurrence::occurrences(&data, &[])
            .iter()
            .map(|o| o.date)
            .collect();
        if dates.len() > 3 && rng.random_bool(0.4) {
            exceptions.push(Exception {
                date: dates[1],
                cancelled: false,
                subject: Some(format!("{topic} (moved)")),
                shift_minutes: 60,
            });
        }
        if dates.len() > 3 && rng.random_bool(0.3) {
            exceptions.push(Exception {
                date: dates[2],
                cancelled: true,
                subject: None,
                shift_minutes: 0,
            });
        }
    } else {
        data.insert("recurrence".into(), Value::Null);
    }
    let mut attachments = Vec::new();
    if rng.random_bool(0.06) {
        let &(name, ext, ct, text) = FILES.choose(&mut rng).unwrap_or(&FILES[0]);
        attachments.push(Attachment {
            name: format!("{name}.{ext}"),
            content_type: ct.to_owned(),
            is_inline: false,
            content_id: None,
            modified: m.anchor - Duration::days(rng.random_range(1..60)),
            body: AttachmentBody::File(Bytes::Seeded {
                seed: rng.next_u64(),
                size: ((rng.random_range(5_000..300_000) as f64) * m.ctx.size_scale().sqrt())
                    as usize
                    + 64,
                text,
            }),
        });
    }
    let created = m.anchor - Duration::days(rng.random_range(400..800));
    m.add_event(calendar, data, exceptions, attachments, created)
}

fn location_value(name: &str) -> Value {
    json!({"displayName": name, "locationType": "default", "uniqueIdType": "unknown", "address": {}, "coordinates": {}})
}

fn contact_folders(m: &mut Mailbox, rng: &mut ChaCha8Rng, contacts: usize) {
    let _ = m.add_contact_folder(None, "Contacts");
    let extra = rng.random_range(1..=2);
    for name in CONTACT_FOLDERS.choose_multiple(rng, extra) {
        let _ = m.add_contact_folder(Some(0), name);
    }
    for n in 0..contacts as u64 {
        contact(m, n);
    }
}

/// Adds generated contact number `n` (also used by mutations).
pub fn contact(m: &mut Mailbox, n: u64) -> usize {
    let mut rng = m.ctx.rng("contact", n);
    let folder = if rng.random_bool(0.75) || m.contact_folders.len() < 2 {
        0
    } else {
        rng.random_range(1..m.contact_folders.len())
    };
    let &(given, surname) = PEOPLE.choose(&mut rng).unwrap_or(&PEOPLE[0]);
    let company = COMPANIES.choose(&mut rng).copied().unwrap_or("Contoso Ltd");
    let domain = company
        .split_whitespace()
        .next()
        .unwrap_or("contoso")
        .to_ascii_lowercase();
    let address = format!(
        "{}.{}{}@{domain}.com",
        given.to_ascii_lowercase(),
        surname.to_ascii_lowercase(),
        n
    );
    let phone = |rng: &mut ChaCha8Rng| format!("+1 206 555 {:04}", rng.random_range(0..10_000));
    let data = json!({
        "birthday": if rng.random_bool(0.3) {
            json!(format!("19{:02}-{:02}-{:02}T11:59:00Z", rng.random_range(50..99), rng.random_range(1..=12), rng.random_range(1..=28)))
        } else { Value::Null },
        "fileAs": format!("{surname}, {given}"),
        "displayName": format!("{given} {surname}"),
        "givenName": given,
        "initials": format!("{}.{}.", &given[..1], &surname[..1]),
        "middleName": Value::Null,
        "nickName": Value::Null,
        "surname": surname,
        "title": Value::Null,
        "yomiGivenName": Value::Null,
        "yomiSurname": Value::Null,
        "yomiCompanyName": Value::Null,
        "generation": Value::Null,
        "imAddresses": [],
        "jobTitle": TITLES.choose(&mut rng).copied(),
        "companyName": company,
        "department": Value::Null,
        "officeLocation": Value::Null,
        "profession": Value::Null,
        "businessHomePage": format!("https://www.{domain}.com"),
        "assistantName": Value::Null,
        "manager": Value::Null,
        "homePhones": if rng.random_bool(0.3) { json!([phone(&mut rng)]) } else { json!([]) },
        "mobilePhone": if rng.random_bool(0.7) { json!(phone(&mut rng)) } else { Value::Null },
        "businessPhones": [phone(&mut rng)],
        "spouseName": Value::Null,
        "personalNotes": if rng.random_bool(0.2) { format!("Met at {}.", LOCATIONS.choose(&mut rng).copied().unwrap_or("a conference")) } else { String::new() },
        "children": [],
        "categories": [],
        "emailAddresses": [{"name": format!("{given} {surname}"), "address": address}],
        "homeAddress": {},
        "businessAddress": {"street": format!("{} Main Street", rng.random_range(1..999)), "city": "Redmond", "state": "WA", "countryOrRegion": "United States", "postalCode": "98052"},
        "otherAddress": {},
    });
    let data = data.as_object().cloned().unwrap_or_default();
    let created = m.anchor - Duration::days(rng.random_range(1..900));
    m.add_contact(folder, data, created)
}

fn time_zone(language: &str) -> (&'static str, &'static str) {
    match language {
        "en-GB" => ("GMT Standard Time", "English (United Kingdom)"),
        "de-DE" => ("W. Europe Standard Time", "German (Germany)"),
        "fr-FR" => ("Romance Standard Time", "French (France)"),
        "ja-JP" => ("Tokyo Standard Time", "Japanese (Japan)"),
        "en-AU" => ("AUS Eastern Standard Time", "English (Australia)"),
        _ => ("Pacific Standard Time", "English (United States)"),
    }
}

fn settings(m: &Mailbox, rng: &mut ChaCha8Rng) -> Value {
    let (tz, language_name) = time_zone(&m.language);
    let scheduled = rng.random_bool(0.1);
    let from = PrimitiveDateTime::new(
        m.anchor.date() + Duration::days(rng.random_range(1..30)),
        Time::MIDNIGHT,
    );
    json!({
        "archiveFolder": m.folders.iter().find(|f| f.well_known == Some("archive")).map(|f| f.id.clone()),
        "timeZone": tz,
        "delegateMeetingMessageDeliveryOptions": "sendToDelegateOnly",
        "dateFormat": "M/d/yyyy",
        "timeFormat": "h:mm tt",
        "userPurpose": m.purpose.as_str(),
        "automaticRepliesSetting": {
            "status": if scheduled { "scheduled" } else { "disabled" },
            "externalAudience": "all",
            "internalReplyMessage": if scheduled { format!("I am out of office until {}.", format_date(from.date() + Duration::days(7))) } else { String::new() },
            "externalReplyMessage": "",
            "scheduledStartDateTime": dt_value(from),
            "scheduledEndDateTime": dt_value(from + Duration::days(7)),
        },
        "language": {"locale": m.language, "displayName": language_name},
        "workingHours": {
            "daysOfWeek": ["monday", "tuesday", "wednesday", "thursday", "friday"],
            "startTime": "08:00:00.0000000",
            "endTime": "17:00:00.0000000",
            "timeZone": {"name": tz},
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mailbox::content::Person;

    fn ctx(user: usize, scale: f64) -> Context {
        Context {
            seed: 5,
            user,
            owner: Person {
                name: "Ann Lee".into(),
                address: "annl@x.onmicrosoft.com".into(),
            },
            colleagues: vec![Person {
                name: "Bo Chen".into(),
                address: "boc@x.onmicrosoft.com".into(),
            }],
            domain: "x.onmicrosoft.com".into(),
            scale,
        }
    }

    #[test]
    fn mailboxes_are_deterministic_and_sized_by_scale() {
        let anchor = OffsetDateTime::UNIX_EPOCH + Duration::days(20_000);
        let make = |user, scale| {
            mailbox(
                ctx(user, scale),
                MailboxPurpose::User,
                Guid::from_bytes([1; 16]),
                "en-US",
                anchor,
            )
        };
        let a = make(1, 0.02);
        let b = make(1, 0.02);
        assert_eq!(a.messages.len(), b.messages.len());
        assert_eq!(
            a.messages.iter().map(|m| &m.id).collect::<Vec<_>>(),
            b.messages.iter().map(|m| &m.id).collect::<Vec<_>>()
        );
        assert!(a.folders.iter().any(|f| f.hidden));
        assert_eq!(a.folder(&"INBOX".to_ascii_lowercase()), Some(1));
        let sizes: Vec<usize> = (0..200).map(|u| make(u, 0.02).messages.len()).collect();
        let mut sorted = sizes.clone();
        sorted.sort();
        let median = sorted[100];
        assert!((2..=15).contains(&median), "median {median} at scale 0.02");
        assert!(sorted[199] <= 800, "{sorted:?}");
    }
}
