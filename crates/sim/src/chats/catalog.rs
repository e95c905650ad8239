//! Which chats the tenant has: a few started by each Teams user (one-on-one
//! chats with colleagues, sometimes a group chat, sometimes the chat of a
//! meeting they organized), decided from the tenant's seed alone.

use std::collections::HashSet;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::Rng;
use rand::seq::IndexedRandom;
use rand_chacha::ChaCha8Rng;
use time::{Duration, OffsetDateTime};

use super::words::{MEETINGS, TOPICS};
use super::{Catalog, Chat, ChatKind, Meeting, Person};
use crate::mailbox::ids::{IdKind, make};
use crate::seed::Seed;
use crate::state::SimState;
use crate::tenant::{MailboxPurpose, Tenant};

/// Whether user `index` uses Teams: a live person with a licence that
/// includes Microsoft Teams.
pub fn teams_user(t: &Tenant, index: usize) -> bool {
    let Some(u) = t.users.get(index) else {
        return false;
    };
    u.deleted_seq.is_none()
        && u.purpose == MailboxPurpose::User
        && u.licenses.iter().any(|l| {
            t.skus.iter().any(|s| {
                s.sku_id == *l
                    && s.service_plans
                        .iter()
                        .any(|(_, name, _)| name.starts_with("TEAMS"))
            })
        })
}

/// User `index` as a chat member.
pub fn person(t: &Tenant, index: usize) -> Person {
    let u = &t.users[index];
    let (_, my_host) = crate::site::generate::hostnames(t);
    let slug: String = u
        .user_principal_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    Person {
        index,
        id: u.id.to_string(),
        name: u.display_name.clone(),
        email: u
            .mail
            .clone()
            .unwrap_or_else(|| u.user_principal_name.clone()),
        drive_url: format!("https://{my_host}/personal/{slug}"),
    }
}

/// The moment generated chats end: the day the tenant was generated.
pub fn anchor(t: &Tenant) -> OffsetDateTime {
    t.created + Duration::days(400)
}

/// Builds the tenant's chats.
pub fn build(state: &SimState) -> Catalog {
    let t = state.tenant();
    let seed = Seed(t.seed);
    let licensed: Vec<usize> = (0..t.users.len()).filter(|&i| teams_user(&t, i)).collect();
    let mut catalog = Catalog::default();
    if licensed.len() < 2 {
        return catalog;
    }
    let anchor = anchor(&t);
    let mut pairs = HashSet::new();
    for &u in &licensed {
        let mut rng = seed.rng("chats", u as u64);
        for _ in 0..rng.random_range(1..=2) {
            let Some(&other) = licensed.choose(&mut rng) else {
                continue;
            };
            if other == u || !pairs.insert((u.min(other), u.max(other))) {
                continue;
            }
            let created = anchor - Duration::minutes(rng.random_range(30 * 1440..300 * 1440));
            let number = catalog.len() as u64;
            catalog.push(chat(
                &t,
                number,
                ChatKind::OneOnOne,
                &[u, other],
                created,
                anchor,
                &mut rng,
            ));
        }
        for (kind, p) in [(ChatKind::Group, 0.5), (ChatKind::Meeting, 0.35)] {
            if licensed.len() < 3 || !rng.random_bool(p) {
                continue;
            }
            let size = rng.random_range(3..=licensed.len().min(7));
            let mut members = vec![u];
            while members.len() < size {
                if let Some(&m) = licensed.choose(&mut rng)
                    && !members.contains(&m)
                {
                    members.push(m);
                }
            }
            let created = anchor - Duration::minutes(rng.random_range(10 * 1440..200 * 1440));
            let until = match kind {
                // A meeting chat is busy around the meeting, quiet after it.
                ChatKind::Meeting => {
                    (created + Duration::days(rng.random_range(1..20))).min(anchor)
                }
                _ => anchor,
            };
            let number = catalog.len() as u64;
            catalog.push(chat(&t, number, kind, &members, created, until, &mut rng));
        }
    }
    catalog
}

/// A chat of `kind` between users `members` (the first started it), number
/// `number` in the catalog.
pub fn chat(
    t: &Tenant,
    number: u64,
    kind: ChatKind,
    members: &[usize],
    created: OffsetDateTime,
    until: OffsetDateTime,
    rng: &mut ChaCha8Rng,
) -> Chat {
    let seed = Seed(t.seed);
    let people: Vec<Person> = members.iter().map(|&i| person(t, i)).collect();
    let guid = seed.guid("chat", number);
    let id = match kind {
        ChatKind::OneOnOne => {
            let mut ids: Vec<&str> = people.iter().map(|p| p.id.as_str()).collect();
            ids.sort_unstable();
            format!("19:{}@unq.gbl.spaces", ids.join("_"))
        }
        ChatKind::Group => format!("19:{}@thread.v2", guid.as_uuid().simple()),
        ChatKind::Meeting => format!(
            "19:meeting_{}@thread.v2",
            URL_SAFE_NO_PAD.encode(guid.to_string())
        ),
    };
    let topic = match kind {
        ChatKind::OneOnOne => None,
        ChatKind::Group => rng
            .random_bool(0.6)
            .then(|| TOPICS.choose(rng).copied().unwrap_or(TOPICS[0]).to_owned()),
        ChatKind::Meeting => Some(
            MEETINGS
                .choose(rng)
                .copied()
                .unwrap_or(MEETINGS[0])
                .to_owned(),
        ),
    };
    let meeting = (kind == ChatKind::Meeting).then(|| {
        let organizer = t.users[members[0]].id;
        Meeting {
            calendar_event_id: make(organizer, IdKind::Item, "meeting", number),
            join_url: format!(
                "https://teams.microsoft.com/l/meetup-join/{}/0?context=%7b%22Tid%22%3a%22{}%22%2c%22Oid%22%3a%22{}%22%7d",
                id.replace(':', "%3a").replace('@', "%40"),
                t.id,
                organizer
            ),
            organizer: 0,
        }
    });
    // Naming a group chat is its first change; meetings are named when scheduled.
    let updated = if kind == ChatKind::Group && topic.is_some() {
        created + Duration::minutes(1)
    } else {
        created
    };
    Chat {
        id,
        number,
        seed: t.seed,
        kind,
        topic,
        created,
        updated,
        members: people,
        meeting,
        until,
        messages: None,
    }
}
