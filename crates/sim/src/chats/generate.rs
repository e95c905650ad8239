//! The messages of one chat, generated from the tenant's seed and the chat's
//! number: system messages for who was added and what the chat is called, then
//! a conversation with mentions, reactions, shared files, inline images, some
//! edits and some deletions.

use rand::seq::IndexedRandom;
use rand::{Rng, RngCore};
use rand_chacha::ChaCha8Rng;
use time::{Duration, OffsetDateTime};

use super::words::{FILES, LINES, REACTIONS};
use super::{Chat, ChatKind, Event, FileRef, Hosted, Message, Reaction};
use crate::seed::Seed;

/// The messages of `chat`, oldest first.
pub fn messages(chat: &Chat) -> Vec<Message> {
    let mut rng = Seed(chat.seed).rng("chat-messages", chat.number);
    let mut out = Vec::new();
    let others: Vec<usize> = (1..chat.members.len()).collect();
    if chat.kind != ChatKind::OneOnOne {
        out.push(system(
            chat.created,
            Event::MembersAdded {
                initiator: 0,
                members: others,
            },
        ));
        if chat.kind == ChatKind::Group
            && let Some(topic) = &chat.topic
        {
            out.push(system(
                chat.updated,
                Event::Renamed {
                    initiator: 0,
                    name: topic.clone(),
                },
            ));
        }
    }
    let count = match chat.kind {
        ChatKind::OneOnOne => rng.random_range(4..=30),
        ChatKind::Group => rng.random_range(8..=40),
        ChatKind::Meeting => rng.random_range(3..=20),
    };
    let start = chat.updated + Duration::minutes(2);
    let span = (chat.until - start).whole_seconds().max(count as i64 * 60);
    let mut offsets: Vec<i64> = (0..count).map(|_| rng.random_range(0..span)).collect();
    offsets.sort_unstable();
    for offset in offsets {
        let at =
            start + Duration::seconds(offset) + Duration::milliseconds(rng.random_range(0..1000));
        let m = message(chat, &mut rng, at, chat.until);
        out.push(m);
    }
    unique_ids(&mut out);
    out
}

/// A system message of `event` at `at`.
pub fn system(at: OffsetDateTime, event: Event) -> Message {
    Message {
        id: millis(at).to_string(),
        created: at,
        modified: at,
        edited: None,
        deleted: None,
        from: None,
        text: String::new(),
        event: Some(event),
        mentions: Vec::new(),
        reactions: Vec::new(),
        file: None,
        hosted: Vec::new(),
        importance: "normal",
    }
}

/// A message written at `at` by a member of `chat`; its reactions, edit and
/// deletion happen before `until` (or shortly after `at` when that is later).
pub fn message(
    chat: &Chat,
    rng: &mut ChaCha8Rng,
    at: OffsetDateTime,
    until: OffsetDateTime,
) -> Message {
    let from = rng.random_range(0..chat.members.len());
    let lines = rng.random_range(1..=3);
    let text = (0..lines)
        .map(|_| *LINES.choose(rng).unwrap_or(&LINES[0]))
        .collect::<Vec<_>>()
        .join(" ");
    let others: Vec<usize> = (0..chat.members.len()).filter(|&s| s != from).collect();
    let mentions = if chat.kind != ChatKind::OneOnOne && rng.random_bool(0.15) {
        others.choose(rng).copied().into_iter().collect()
    } else {
        Vec::new()
    };
    let later = |rng: &mut ChaCha8Rng| {
        let room = (until - at).whole_seconds().max(120);
        at + Duration::seconds(rng.random_range(60..room.clamp(61, 3 * 86_400)))
    };
    let file = rng.random_bool(0.08).then(|| {
        let name = FILES.choose(rng).copied().unwrap_or(FILES[0]);
        let sender = &chat.members[from];
        FileRef {
            id: uuid::Uuid::from_u64_pair(rng.next_u64(), rng.next_u64())
                .hyphenated()
                .to_string(),
            name: name.to_owned(),
            url: format!(
                "{}/Documents/Microsoft%20Teams%20Chat%20Files/{}",
                sender.drive_url,
                name.replace(' ', "%20")
            ),
        }
    });
    let hosted = if rng.random_bool(0.08) {
        vec![hosted(rng)]
    } else {
        Vec::new()
    };
    let mut reactions = Vec::new();
    if rng.random_bool(0.25) {
        for &user in others.iter().take(rng.random_range(1..=3)) {
            let &(kind, _) = REACTIONS.choose(rng).unwrap_or(&REACTIONS[0]);
            reactions.push(Reaction {
                user,
                kind,
                at: later(rng),
            });
        }
    }
    let edited = rng.random_bool(0.1).then(|| later(rng));
    let deleted = rng.random_bool(0.05).then(|| later(rng));
    let mut modified = at;
    for t in reactions.iter().map(|r| r.at).chain(edited).chain(deleted) {
        modified = modified.max(t);
    }
    let importance = if rng.random_bool(0.03) {
        "high"
    } else {
        "normal"
    };
    Message {
        id: millis(at).to_string(),
        created: at,
        modified,
        edited,
        deleted,
        from: Some(from),
        text,
        event: None,
        mentions,
        reactions,
        file,
        hosted,
        importance,
    }
}

/// An inline image.
pub fn hosted(rng: &mut ChaCha8Rng) -> Hosted {
    use base64::Engine;
    let object = format!(
        "0-wus-d{}-{:016x}{:016x}",
        rng.random_range(1..10),
        rng.next_u64(),
        rng.next_u64()
    );
    let raw = format!(
        "id=x_{object},type=1,url=https://us-api.asm.skype.com/v1/objects/{object}/views/imgo"
    );
    Hosted {
        id: base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw),
        seed: rng.next_u64(),
        width: rng.random_range(16..=96),
        height: rng.random_range(16..=96),
    }
}

/// Unix time in milliseconds.
pub fn millis(t: OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

/// Makes ids (creation milliseconds) unique within a chat, moving later
/// messages on by a millisecond where two were written in the same one.
fn unique_ids(messages: &mut [Message]) {
    let mut last = i64::MIN;
    for m in messages.iter_mut() {
        let mut ms = millis(m.created);
        if ms <= last {
            let shift = Duration::milliseconds(last + 1 - ms);
            m.created += shift;
            m.modified = m.modified.max(m.created);
            ms = last + 1;
        }
        m.id = ms.to_string();
        last = ms;
    }
}

/// A fresh id for a message written at `at` in a chat whose newest id is `newest`.
pub fn next_id(newest: Option<&str>, at: OffsetDateTime) -> (String, OffsetDateTime) {
    let last = newest
        .and_then(|id| id.parse::<i64>().ok())
        .unwrap_or(i64::MIN);
    let ms = millis(at);
    if ms > last {
        (ms.to_string(), at)
    } else {
        (
            (last + 1).to_string(),
            at + Duration::milliseconds(last + 1 - ms),
        )
    }
}
