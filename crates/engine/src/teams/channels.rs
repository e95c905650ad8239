//! A team's channels: every message and reply, with inline images.
//!
//! The first run of a channel lists its messages with their replies
//! (`/messages?$expand=replies`: all of its history, where delta only covers eight
//! months), then opens a delta round filtered to what changed since the listing
//! began and keeps its `@odata.deltaLink`. Later runs follow that link: it returns
//! each thread whose message or any reply changed, and the thread's replies are read
//! again (`/messages/{id}/replies`). Threads that did not change are listed as the
//! previous run had them. Deleted messages keep what they said before (Graph empties
//! them), and replies are kept whatever happens to their parent.

use graph::GraphError;
use serde_json::Value;
use time::OffsetDateTime;

use super::conversation::{Conversation, Finished, Place, graph_time, seg};
use super::{Team, TeamsCall, TeamsPacer, team_resource};
use crate::context::{RunContext, strip_annotations};
use crate::error::EngineError;
use crate::exchange::collection::segment;

/// Replies `$expand=replies` returns at most; a thread with this many is read again
/// through `/replies`.
const EXPANDED_REPLIES: usize = 1000;

enum Failure {
    Fatal(EngineError),
    Graph(GraphError),
}

impl From<EngineError> for Failure {
    fn from(e: EngineError) -> Self {
        Failure::Fatal(e)
    }
}

impl From<GraphError> for Failure {
    fn from(e: GraphError) -> Self {
        Failure::Graph(e)
    }
}

struct Channel {
    id: String,
    /// `/<display name>`.
    path: String,
    /// `/teams/T/channels/C/messages`.
    messages: String,
}

/// Backs up one team.
pub(crate) async fn backup_team(
    ctx: &RunContext,
    pacer: &TeamsPacer,
    team: &Team,
) -> Result<Finished, EngineError> {
    let mut conv = Conversation::open(ctx, pacer, team_resource(&team.id)).await?;
    let t = seg(&team.id);
    let channels = {
        let _slots = pacer.acquire(TeamsCall::Structure, &team.id).await;
        ctx.graph.get::<Value>(&format!("/teams/{t}")).await
    };
    let channels = match channels {
        Ok(json) => {
            let name = json
                .get("displayName")
                .and_then(Value::as_str)
                .unwrap_or(&team.display_name)
                .to_owned();
            conv.push_entity(
                "team",
                &team.id,
                &format!("/{}", segment(&name)),
                strip_annotations(json),
            );
            conv.all(
                &format!("/teams/{t}/channels"),
                TeamsCall::Structure,
                &team.id,
            )
            .await
        }
        Err(e) => Err(e),
    };
    let channels = match channels {
        Ok(c) => c,
        Err(e) => {
            // The team could not be read: its earlier records stay, the run is partial.
            conv.fail("", &e);
            conv.keep_the_rest(|_| true);
            return conv.finish().await;
        }
    };
    for json in channels {
        let json = strip_annotations(json);
        let Some(id) = json.get("id").and_then(Value::as_str).map(str::to_owned) else {
            continue;
        };
        let name = json
            .get("displayName")
            .and_then(Value::as_str)
            .unwrap_or(&id)
            .to_owned();
        let channel = Channel {
            path: format!("/{}", segment(&name)),
            messages: format!("/teams/{t}/channels/{}/messages", seg(&id)),
            id,
        };
        let mut meta = json;
        meta["container"] = Value::String(channel.id.clone());
        conv.push_entity("channel", &channel.id, &channel.path, meta);
        if let Some(cursor) = conv.resumed.state.done.get(&channel.id).cloned() {
            conv.adopt(&channel.id, &channel.id, &cursor);
            continue;
        }
        match back_up_channel(&mut conv, &channel).await {
            Ok(()) => {}
            Err(Failure::Graph(e)) => conv.fail(&format!("channel:{}", channel.id), &e),
            Err(Failure::Fatal(e)) => return Err(e),
        }
    }
    conv.keep_the_rest(|_| true);
    let done = conv.finish().await?;
    tracing::info!(team = %team.display_name, items = done.items, bytes = done.bytes, failed = done.failed.len(), "team backed up");
    Ok(done)
}

async fn back_up_channel(conv: &mut Conversation<'_>, c: &Channel) -> Result<(), Failure> {
    let link = match conv.cursor(&c.id).await? {
        Some(link) => match changes(conv, c, link).await {
            Ok(l) => l,
            Err(Failure::Graph(e)) if e.status() == Some(410) => {
                tracing::info!(channel = %c.path, "the delta token expired; reading the channel in full");
                full(conv, c).await?
            }
            Err(e) => return Err(e),
        },
        None => full(conv, c).await?,
    };
    conv.scope_done(&c.id, &link);
    conv.checkpoint().await?;
    Ok(())
}

/// Lists every thread, then opens a delta round for the next run.
async fn full(conv: &mut Conversation<'_>, c: &Channel) -> Result<String, Failure> {
    // A little before now: what changes while the channel is listed comes again.
    let since = OffsetDateTime::now_utc() - time::Duration::minutes(5);
    let mut next = Some(format!("{}?$top=50&$expand=replies", c.messages));
    while let Some(url) = next.take() {
        let page = conv.page(&url, TeamsCall::ChannelMessage, &c.id).await?;
        for mut msg in page.value {
            let Some(id) = msg.get("id").and_then(Value::as_str).map(str::to_owned) else {
                continue;
            };
            let replies = match msg.get_mut("replies").map(Value::take) {
                Some(Value::Array(r))
                    if r.len() < EXPANDED_REPLIES
                        && msg.get("replies@odata.nextLink").is_none() =>
                {
                    Some(r)
                }
                _ => None,
            };
            thread(conv, c, &id, msg, replies).await?;
        }
        conv.checkpoint().await?;
        next = page.next_link;
    }
    let start = format!(
        "{}/delta?$filter=lastModifiedDateTime gt {}",
        c.messages,
        graph_time(since)
    );
    changes(conv, c, start).await
}

/// Follows a delta round: each thread it returns is read again with its replies.
async fn changes(
    conv: &mut Conversation<'_>,
    c: &Channel,
    start: String,
) -> Result<String, Failure> {
    let mut next = start;
    loop {
        let page = conv.page(&next, TeamsCall::ChannelMessage, &c.id).await?;
        for msg in page.value {
            let Some(id) = msg.get("id").and_then(Value::as_str).map(str::to_owned) else {
                continue;
            };
            thread(conv, c, &id, msg, None).await?;
        }
        conv.checkpoint().await?;
        if let Some(d) = page.delta_link {
            return Ok(d);
        }
        match page.next_link {
            Some(n) => next = n,
            None => return Ok(String::new()),
        }
    }
}

/// Stores a top-level message and its replies (read when not given).
async fn thread(
    conv: &mut Conversation<'_>,
    c: &Channel,
    id: &str,
    msg: Value,
    replies: Option<Vec<Value>>,
) -> Result<(), Failure> {
    let path = format!("{}/{id}", c.path);
    let root = Place {
        kind: "channelMessage",
        container: &c.id,
        thread: id,
        path: &path,
        graph_base: &c.messages,
        call: TeamsCall::ChannelMessage,
    };
    conv.message(msg, &root).await?;
    let replies_url = format!("{}/{}/replies", c.messages, seg(id));
    let replies = match replies {
        Some(r) => r,
        None => {
            conv.all(
                &format!("{replies_url}?$top=50"),
                TeamsCall::ChannelMessage,
                &c.id,
            )
            .await?
        }
    };
    let place = Place {
        graph_base: &replies_url,
        ..root
    };
    for reply in replies {
        conv.message(reply, &place).await?;
    }
    Ok(())
}
