//! The conversations of Microsoft 365 groups (the group mailbox's threads and
//! posts), generated per group on first use from the tenant's seed.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use rand::Rng;
use rand::seq::IndexedRandom;
use time::{Duration, OffsetDateTime};

use super::catalog::anchor;
use super::words::{CONVERSATIONS, LINES};
use crate::mailbox::ids::{IdKind, make};
use crate::seed::Seed;
use crate::tenant::{MemberRef, Tenant};

/// Someone who posts: display name and address.
#[derive(Debug, Clone)]
pub struct Sender {
    /// Display name.
    pub name: String,
    /// Mail address.
    pub address: String,
}

/// A post of a thread.
#[derive(Debug, Clone)]
pub struct Post {
    /// Id.
    pub id: String,
    /// Received.
    pub received: OffsetDateTime,
    /// Sender.
    pub from: Sender,
    /// Paragraphs of the body.
    pub paragraphs: Vec<String>,
    /// Change key.
    pub change_key: String,
}

/// A thread of a conversation.
#[derive(Debug, Clone)]
pub struct Thread {
    /// Id.
    pub id: String,
    /// Topic.
    pub topic: String,
    /// Posts, oldest first.
    pub posts: Vec<Post>,
}

impl Thread {
    /// When its last post arrived.
    pub fn last_delivered(&self) -> OffsetDateTime {
        self.posts
            .iter()
            .map(|p| p.received)
            .max()
            .unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }

    /// The distinct senders' names, in order of their first post.
    pub fn senders(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for p in &self.posts {
            if !out.contains(&p.from.name) {
                out.push(p.from.name.clone());
            }
        }
        out
    }

    /// The start of the last post's text.
    pub fn preview(&self) -> String {
        let text = self
            .posts
            .last()
            .map(|p| p.paragraphs.join(" "))
            .unwrap_or_default();
        text.chars().take(255).collect()
    }
}

/// A conversation (one or more threads on one topic).
#[derive(Debug, Clone)]
pub struct Conversation {
    /// Id.
    pub id: String,
    /// Topic.
    pub topic: String,
    /// Threads.
    pub threads: Vec<Thread>,
}

/// The conversations of one group.
#[derive(Debug, Clone)]
pub struct GroupConversations {
    /// The group's display name (threads are addressed to it).
    pub name: String,
    /// The group's address.
    pub address: String,
    /// Conversations, oldest first.
    pub conversations: Vec<Conversation>,
}

impl GroupConversations {
    /// Every thread with the conversation it belongs to, in conversation order.
    pub fn threads(&self) -> impl Iterator<Item = (&Conversation, &Thread)> {
        self.conversations
            .iter()
            .flat_map(|c| c.threads.iter().map(move |t| (c, t)))
    }
}

/// Group conversations generated so far, by group index.
#[derive(Default)]
pub struct Conversations {
    groups: Mutex<HashMap<usize, Arc<GroupConversations>>>,
}

impl Conversations {
    /// The conversations of group `index` of `t` (a Microsoft 365 group), generated on first use.
    pub fn of(&self, t: &Tenant, index: usize) -> Arc<GroupConversations> {
        if let Some(g) = self.lock().get(&index) {
            return g.clone();
        }
        let made = Arc::new(generate(t, index));
        self.lock().entry(index).or_insert(made).clone()
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<usize, Arc<GroupConversations>>> {
        self.groups.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Generates the conversations of group `index`.
pub fn generate(t: &Tenant, index: usize) -> GroupConversations {
    let g = &t.groups[index];
    let mut rng = Seed(t.seed).rng("group-conversations", index as u64);
    let address = format!("{}@{}", g.mail_nickname, t.domain);
    let mut people: Vec<Sender> = g
        .members
        .iter()
        .filter_map(|m| match m {
            MemberRef::User(u) => Some(&t.users[*u]),
            MemberRef::Group(_) => None,
        })
        .map(|u| Sender {
            name: u.display_name.clone(),
            address: u
                .mail
                .clone()
                .unwrap_or_else(|| u.user_principal_name.clone()),
        })
        .collect();
    if people.is_empty() {
        people.push(Sender {
            name: g.display_name.clone(),
            address: address.clone(),
        });
    }
    let end = anchor(t);
    let mut serial = 0u64;
    let mut next = |salt: &str| {
        serial += 1;
        make(g.id, IdKind::Item, salt, serial)
    };
    let mut conversations = Vec::new();
    for _ in 0..rng.random_range(2..=6) {
        let topic = CONVERSATIONS
            .choose(&mut rng)
            .copied()
            .unwrap_or(CONVERSATIONS[0])
            .to_owned();
        let id = next("conversation");
        let mut threads = Vec::new();
        let thread_count = if rng.random_bool(0.2) { 2 } else { 1 };
        for _ in 0..thread_count {
            let mut at = end - Duration::minutes(rng.random_range(2 * 1440..180 * 1440));
            let mut posts = Vec::new();
            for _ in 0..rng.random_range(1..=5) {
                let from = people
                    .choose(&mut rng)
                    .cloned()
                    .unwrap_or_else(|| people[0].clone());
                let paragraphs = (0..rng.random_range(1..=3))
                    .map(|_| {
                        (0..rng.random_range(1..=3))
                            .map(|_| *LINES.choose(&mut rng).unwrap_or(&LINES[0]))
                            .collect::<Vec<_>>()
                            .join(" ")
                    })
                    .collect();
                let id = next("post");
                posts.push(Post {
                    change_key: change_key(&id),
                    id,
                    received: at,
                    from,
                    paragraphs,
                });
                at += Duration::minutes(rng.random_range(5..3 * 1440));
            }
            threads.push(Thread {
                id: next("thread"),
                topic: topic.clone(),
                posts,
            });
        }
        conversations.push(Conversation { id, topic, threads });
    }
    conversations.sort_by_key(|c| {
        c.threads
            .iter()
            .map(Thread::last_delivered)
            .max()
            .unwrap_or(OffsetDateTime::UNIX_EPOCH)
    });
    GroupConversations {
        name: g.display_name.clone(),
        address,
        conversations,
    }
}

/// A change key shaped like Exchange's (`CQAAABYAAA…`), from the item's id.
fn change_key(id: &str) -> String {
    use base64::Engine;
    use sha2::{Digest, Sha256};
    let mut bytes = vec![0x09, 0x00, 0x00, 0x00, 0x16, 0x00, 0x00, 0x00];
    bytes.extend_from_slice(&Sha256::digest(id.as_bytes())[..16]);
    base64::engine::general_purpose::STANDARD.encode(bytes)
}
