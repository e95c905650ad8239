//! Generates a team from the tenant's seed and the group's index: General and
//! one to four more channels, tens of threads per channel with up to ten
//! replies each, spread over the last ten months (so some are older than
//! channel-message delta reaches), with mentions, reactions, reference
//! attachments, inline images, edits, soft deletes (threads whose top-level
//! message is deleted keep their replies) and system event messages.

use rand::Rng;
use rand::seq::IndexedRandom;
use rand_chacha::ChaCha8Rng;
use time::{Duration, OffsetDateTime};

use super::ops::{MESSAGE_ID, NewChannel, NewMessage, PARENT_ID};
use super::words::{CHANNELS, EDIT_NOTE, FILES, POSTS, REACTIONS, REPLIES, SUBJECTS};
use super::{Attachment, Author, Event, Hosted, HostedData, Membership, Reaction, Team, image};
use crate::seed::Seed;
use crate::state::SimState;
use crate::tenant::MemberRef;

/// What generation needs from the tenant, copied out of its lock.
struct Source {
    seed: Seed,
    index: usize,
    id: String,
    name: String,
    description: String,
    visibility: &'static str,
    created: OffsetDateTime,
    tenant_id: String,
    domain: String,
    people: Vec<Author>,
}

fn source(state: &SimState, index: usize) -> Source {
    let t = state.tenant();
    let g = &t.groups[index];
    let author = |u: usize| Author {
        id: t.users[u].id.to_string(),
        name: t.users[u].display_name.clone(),
    };
    let live = |u: &usize| t.users[*u].deleted_seq.is_none();
    let mut people: Vec<Author> = g
        .members
        .iter()
        .filter_map(|m| match m {
            MemberRef::User(u) => Some(*u),
            MemberRef::Group(_) => None,
        })
        .chain(g.owners.iter().copied())
        .filter(live)
        .map(author)
        .collect();
    people.dedup_by(|a, b| a.id == b.id);
    let mut seen = std::collections::HashSet::new();
    people.retain(|p| seen.insert(p.id.clone()));
    if people.is_empty() {
        people.push(author(0));
    }
    Source {
        seed: Seed(t.seed),
        index,
        id: g.id.to_string(),
        name: g.display_name.clone(),
        description: g.description.clone(),
        visibility: if g.visibility == Some("Private") {
            "private"
        } else {
            "public"
        },
        created: g.created,
        tenant_id: t.id.to_string(),
        domain: t.domain.clone(),
        people,
    }
}

/// What happens in a team, in time order: how generation gets sequence
/// numbers in the order a real team would have them.
enum Action {
    Post {
        channel: usize,
        /// Its own slot (the number edits and deletes name it by).
        slot: usize,
        /// The slot of the thread's top-level message, for replies.
        parent: Option<usize>,
        message: Box<NewMessage>,
    },
    Edit {
        channel: usize,
        slot: usize,
    },
    Delete {
        channel: usize,
        slot: usize,
    },
}

/// Generates the team of group `index`.
pub fn team(state: &SimState, index: usize) -> Team {
    // The catalog takes the tenant lock itself when first built: ask it first.
    let site_url = {
        let catalog = state.sites.catalog(state);
        catalog
            .group_site(index)
            .map(|s| catalog.sites[s].web_url())
    };
    let src = source(state, index);
    // Times count back from the start of today, as the tenant's do, so that
    // one seed gives the same team (and message ids) all day.
    let now = state.now().replace_time(time::Time::MIDNIGHT);
    let base = state.base_url();
    let site_url = site_url.unwrap_or_else(|| {
        let host = src.domain.split('.').next().unwrap_or("contoso");
        format!(
            "https://{host}.sharepoint.com/sites/{}",
            src.name.replace(' ', "")
        )
    });
    let mut rng = src.seed.rng("team", src.index as u64);
    let mut team = Team {
        group: src.index,
        id: src.id.clone(),
        name: src.name.clone(),
        description: src.description.clone(),
        visibility: src.visibility,
        created: src.created,
        tenant_id: src.tenant_id.clone(),
        site_url,
        people: src.people.clone(),
        channels: Vec::new(),
        seq: 0,
    };
    let owner = src.people[0].clone();
    // Channels.
    let extra = rng.random_range(1..=4usize);
    let mut names: Vec<&str> = CHANNELS.to_vec();
    let mut specs = vec![(
        "General".to_owned(),
        Membership::Standard,
        src.created,
        true,
    )];
    for _ in 0..extra {
        let k = rng.random_range(0..names.len());
        let name = names.swap_remove(k);
        let membership = match rng.random_range(0..10) {
            0..7 => Membership::Standard,
            7..9 => Membership::Private,
            _ => Membership::Shared,
        };
        let latest = (now - Duration::days(30)).max(src.created + Duration::hours(1));
        let span = (latest - src.created).whole_hours().max(1);
        let created = src.created + Duration::hours(rng.random_range(1..=span));
        specs.push((name.to_owned(), membership, created, false));
    }
    for (k, (name, membership, created, general)) in specs.into_iter().enumerate() {
        let id = format!(
            "19:{}@thread.tacv2",
            src.seed
                .guid("channel", (src.index as u64) << 8 | k as u64)
                .as_uuid()
                .simple()
        );
        let email = match membership {
            Membership::Standard => format!(
                "{}.{}@amer.teams.ms",
                &id[3..11],
                src.domain.split('.').next().unwrap_or("contoso")
            ),
            _ => String::new(),
        };
        team.add_channel(NewChannel {
            id,
            name: name.clone(),
            description: (!general).then(|| format!("{name} for {}", src.name)),
            membership,
            created,
            email,
            general,
            migration: None,
        });
    }
    let mut actions: Vec<(OffsetDateTime, Action)> = Vec::new();
    let mut slots = 0usize;
    // System events in General: members added when the team was made, and
    // each channel's creation.
    let members: Vec<Author> = src.people.iter().take(5).cloned().collect();
    actions.push((
        src.created + Duration::minutes(5),
        Action::Post {
            channel: 0,
            slot: 0,
            parent: None,
            message: Box::new(system(
                src.created + Duration::minutes(5),
                Event::MembersAdded {
                    initiator: owner.clone(),
                    members,
                },
            )),
        },
    ));
    slots += 1;
    for c in 1..team.channels.len() {
        let ch = &team.channels[c];
        actions.push((
            ch.created,
            Action::Post {
                channel: 0,
                slot: slots,
                parent: None,
                message: Box::new(system(
                    ch.created,
                    Event::ChannelAdded {
                        initiator: owner.clone(),
                        channel_id: ch.id.clone(),
                        channel_name: ch.name.clone(),
                    },
                )),
            },
        ));
        slots += 1;
    }
    let ctx = Ctx {
        base: &base,
        team: &team,
        people: &src.people,
    };
    let mut forced_delete = false;
    for c in 0..team.channels.len() {
        let ch = &team.channels[c];
        let threads = match (ch.general, ch.membership) {
            (true, _) => rng.random_range(10..=30),
            (false, Membership::Standard) => rng.random_range(8..=24),
            _ => rng.random_range(5..=14),
        };
        let start = ch.created.max(now - Duration::days(300)) + Duration::hours(1);
        let end = now - Duration::hours(1);
        let start = if start >= end {
            end - Duration::days(1)
        } else {
            start
        };
        let span = (end - start).whole_minutes().max(1);
        let mut times: Vec<OffsetDateTime> = (0..threads)
            .map(|_| start + Duration::minutes(rng.random_range(0..span)))
            .collect();
        times.sort();
        for at in times {
            let top_slot = slots;
            slots += 1;
            let mut top = ctx.message(&mut rng, c, None, at);
            if rng.random_bool(0.3) {
                top.subject = SUBJECTS.choose(&mut rng).map(|s| (*s).to_owned());
            }
            top.importance = match rng.random_range(0..100) {
                0..90 => "normal",
                90..97 => "high",
                _ => "urgent",
            };
            let mut last = at;
            let edited = maybe_edit(&mut rng, &mut actions, c, top_slot, at, now);
            actions.push((
                at,
                Action::Post {
                    channel: c,
                    slot: top_slot,
                    parent: None,
                    message: Box::new(top),
                },
            ));
            if let Some(e) = edited {
                last = last.max(e);
            }
            let replies = if rng.random_bool(0.25) {
                0
            } else {
                rng.random_range(1..=10)
            };
            let mut when = at;
            let mut made = 0;
            for _ in 0..replies {
                when += Duration::minutes(rng.random_range(5..600));
                if when >= now - Duration::minutes(1) {
                    break;
                }
                let slot = slots;
                slots += 1;
                let reply = ctx.message(&mut rng, c, Some(top_slot), when);
                if let Some(e) = maybe_edit(&mut rng, &mut actions, c, slot, when, now) {
                    last = last.max(e);
                }
                if rng.random_bool(0.03) {
                    let gone = (when + Duration::hours(rng.random_range(1..48))).min(now);
                    actions.push((gone, Action::Delete { channel: c, slot }));
                }
                actions.push((
                    when,
                    Action::Post {
                        channel: c,
                        slot,
                        parent: Some(top_slot),
                        message: Box::new(reply),
                    },
                ));
                last = last.max(when);
                made += 1;
            }
            // Some top-level messages are deleted and keep their replies;
            // every team has at least one such thread (in General).
            let force = c == 0 && !forced_delete && made > 1;
            if force || rng.random_bool(0.04) {
                forced_delete |= force;
                let gone = (last + Duration::hours(rng.random_range(1..48))).min(now);
                actions.push((
                    gone,
                    Action::Delete {
                        channel: c,
                        slot: top_slot,
                    },
                ));
            }
        }
    }
    apply(&mut team, actions, slots);
    team
}

/// Adds an edit of `slot` a little after `at` (one message in ten) and returns when.
fn maybe_edit(
    rng: &mut ChaCha8Rng,
    actions: &mut Vec<(OffsetDateTime, Action)>,
    channel: usize,
    slot: usize,
    at: OffsetDateTime,
    now: OffsetDateTime,
) -> Option<OffsetDateTime> {
    if !rng.random_bool(0.1) {
        return None;
    }
    let when = (at + Duration::minutes(rng.random_range(1..120))).min(now);
    actions.push((when, Action::Edit { channel, slot }));
    Some(when)
}

fn apply(team: &mut Team, mut actions: Vec<(OffsetDateTime, Action)>, slots: usize) {
    // Stable: at one instant, posts come before edits and deletes.
    actions.sort_by_key(|(at, a)| (*at, !matches!(a, Action::Post { .. })));
    let mut index: Vec<Option<usize>> = vec![None; slots];
    for (at, action) in actions {
        match action {
            Action::Post {
                channel,
                slot,
                parent,
                mut message,
            } => {
                message.parent = parent.and_then(|p| index[p]);
                if parent.is_some() && message.parent.is_none() {
                    continue;
                }
                index[slot] = Some(team.post(channel, *message));
            }
            Action::Edit { channel, slot } => {
                if let Some(i) = index[slot] {
                    let m = &team.channels[channel].messages[i];
                    let content = edited(&m.content, m.html);
                    team.edit(channel, i, content, at);
                }
            }
            Action::Delete { channel, slot } => {
                if let Some(i) = index[slot] {
                    team.delete(channel, i, at);
                }
            }
        }
    }
}

/// How messages are written in one team.
struct Ctx<'a> {
    base: &'a str,
    team: &'a Team,
    people: &'a [Author],
}

fn system(at: OffsetDateTime, event: Event) -> NewMessage {
    NewMessage {
        parent: None,
        from: None,
        event: Some(event),
        created: at,
        subject: None,
        importance: "normal",
        html: true,
        content: "<systemEventMessage/>".to_owned(),
        mentions: Vec::new(),
        reactions: Vec::new(),
        attachments: Vec::new(),
        hosted: Vec::new(),
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

impl Ctx<'_> {
    /// A message by a random member in channel `c` at `at`; `parent` is the
    /// slot of the thread's top-level message for replies.
    fn message(
        &self,
        rng: &mut ChaCha8Rng,
        c: usize,
        parent: Option<usize>,
        at: OffsetDateTime,
    ) -> NewMessage {
        let from = self.people.choose(rng).cloned().unwrap_or_else(|| Author {
            id: String::new(),
            name: String::new(),
        });
        let text = if parent.is_some() {
            REPLIES.choose(rng)
        } else {
            POSTS.choose(rng)
        }
        .copied()
        .unwrap_or_default();
        let others: Vec<&Author> = self.people.iter().filter(|p| p.id != from.id).collect();
        let mention = (!others.is_empty() && rng.random_bool(0.2))
            .then(|| others.choose(rng).map(|a| (*a).clone()))
            .flatten();
        let attachment = rng.random_bool(0.1).then(|| {
            let name = FILES.choose(rng).copied().unwrap_or("Document.docx");
            Attachment {
                id: uuid::Builder::from_random_bytes(rng.random())
                    .into_uuid()
                    .to_string(),
                name: name.to_owned(),
                url: format!(
                    "{}/Shared Documents/{}/{}",
                    self.team.site_url, self.team.channels[c].name, name
                ),
            }
        });
        let images = if rng.random_bool(0.08) {
            rng.random_range(1..=2)
        } else {
            0
        };
        let hosted: Vec<Hosted> = (0..images)
            .map(|_| Hosted {
                id: image::hosted_id(rng.random()),
                content_type: "image/png".to_owned(),
                data: HostedData::Png {
                    seed: rng.random(),
                    width: rng.random_range(16..=96),
                    height: rng.random_range(16..=96),
                },
            })
            .collect();
        let html =
            mention.is_some() || attachment.is_some() || !hosted.is_empty() || rng.random_bool(0.8);
        let content = if html {
            let mut s = String::from("<p>");
            if let Some(m) = &mention {
                s.push_str(&format!("<at id=\"0\">{}</at> ", escape(&m.name)));
            }
            s.push_str(&escape(text));
            s.push_str("</p>");
            if let Some(a) = &attachment {
                s.push_str(&format!("<attachment id=\"{}\"></attachment>", a.id));
            }
            for h in &hosted {
                let HostedData::Png { width, height, .. } = h.data else {
                    continue;
                };
                s.push_str(&format!(
                    "<div><span><img height=\"{height}\" src=\"{}\" width=\"{width}\" style=\"vertical-align:bottom; width:{width}px; height:{height}px\"></span></div>",
                    hosted_url(self.base, self.team, c, parent.is_some(), &h.id)
                ));
            }
            s
        } else {
            text.to_owned()
        };
        let reactions = if rng.random_bool(0.3) {
            (0..rng.random_range(1..=3))
                .filter_map(|k| {
                    let user = self.people.choose(rng)?.clone();
                    let &(kind, name) = REACTIONS.choose(rng)?;
                    Some(Reaction {
                        kind,
                        name,
                        user,
                        at: at + Duration::minutes(k + 1),
                    })
                })
                .collect()
        } else {
            Vec::new()
        };
        NewMessage {
            parent: None,
            from: Some(from),
            event: None,
            created: at,
            subject: None,
            importance: "normal",
            html,
            content,
            mentions: mention.into_iter().collect(),
            reactions,
            attachments: attachment.into_iter().collect(),
            hosted,
        }
    }
}

/// The URL of a hosted content's bytes, as a message body holds it (with
/// [`MESSAGE_ID`] and, for replies, [`PARENT_ID`] to fill in).
pub fn hosted_url(base: &str, team: &Team, c: usize, reply: bool, id: &str) -> String {
    let channel = &team.channels[c].id;
    let message = if reply {
        format!("{PARENT_ID}/replies/{MESSAGE_ID}")
    } else {
        MESSAGE_ID.to_owned()
    };
    format!(
        "{base}/v1.0/teams/{}/channels/{channel}/messages/{message}/hostedContents/{id}/$value",
        team.id
    )
}

/// Appends the edit note to a body (inside the first paragraph of HTML).
pub fn edited(content: &str, html: bool) -> String {
    if html && let Some(p) = content.find("</p>") {
        format!("{}{}{}", &content[..p], escape(EDIT_NOTE), &content[p..])
    } else {
        format!("{content}{EDIT_NOTE}")
    }
}

/// A new message by a random member of `team` in channel `c` at `at` (a
/// reply when `reply`), written as generated ones are (for mutations).
pub fn new_message(
    team: &Team,
    base: &str,
    rng: &mut ChaCha8Rng,
    c: usize,
    reply: bool,
    at: OffsetDateTime,
) -> NewMessage {
    let ctx = Ctx {
        base,
        team,
        people: &team.people,
    };
    ctx.message(rng, c, reply.then_some(0), at)
}
