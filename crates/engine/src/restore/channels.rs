//! Restores a Teams channel from a backup into a new channel, through Teams'
//! migration mode ("Import third-party platform messages to Teams"): the channel is
//! created back-dated with `@microsoft.graph.channelCreationMode: migration`, every
//! thread and reply is imported with its original author and time (inline images
//! as `hostedContents`), then the migration is completed and people can post again.
//! It needs the `Teamwork.Migrate.All` application permission.
//!
//! System event messages cannot be imported and are skipped; a deleted message is
//! imported (with what it said before) only when it has replies to hold.

use std::collections::{BTreeMap, HashMap};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use graph::GraphClient;
use serde::Serialize;
use serde_json::{Value, json};
use store::{ItemRecord, Manifest, Repository};
use time::OffsetDateTime;

use crate::browse::each_item;
use crate::error::EngineError;
use crate::exchange::collection::id_segment;

/// What to restore.
#[derive(Debug, Clone)]
pub struct ChannelRestore {
    /// The team in the backup: display name or id.
    pub team: String,
    /// The channel in the backup: display name or id.
    pub channel: String,
    /// The team to restore into (display name or id); the original one by default.
    pub to_team: Option<String>,
    /// The new channel's name; `<channel> (restored <date>)` by default.
    pub name: Option<String>,
    /// Only count what would be restored.
    pub dry_run: bool,
}

/// What a channel restore did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ChannelRestoreSummary {
    /// The team written to.
    pub team_id: String,
    /// The new channel (none on a dry run).
    pub channel_id: Option<String>,
    /// Its name.
    pub channel_name: String,
    /// Top-level messages imported.
    pub threads: u64,
    /// Replies imported.
    pub replies: u64,
    /// Inline images imported.
    pub images: u64,
    /// System event and deleted messages left out.
    pub skipped: u64,
    /// Messages Graph refused: (original id, error).
    pub failed: Vec<(String, String)>,
    /// Nothing was written.
    pub dry_run: bool,
}

fn s<'v>(v: &'v Value, key: &str) -> Option<&'v str> {
    v.get(key).and_then(Value::as_str)
}

/// An inline image: (hosted content id, content type, bytes).
type Image = (String, Option<String>, Vec<u8>);

/// The backed-up records of one channel.
struct Backup {
    team_id: String,
    channel: Value,
    messages: Vec<ItemRecord>,
    images: Vec<ItemRecord>,
}

async fn find(
    repo: &Repository,
    manifest: &Manifest,
    team: &str,
    channel: &str,
) -> Result<Backup, EngineError> {
    let mut teams: BTreeMap<String, (Value, Vec<ItemRecord>)> = BTreeMap::new();
    each_item(repo, manifest, |r| {
        if r.resource.starts_with("team:") && r.deleted.is_none() {
            let e = teams.entry(r.resource.clone()).or_default();
            if r.kind == "team" {
                e.0 = r.meta.clone();
            }
            e.1.push(r);
        }
    })
    .await?;
    let found = teams.into_iter().find(|(res, (meta, _))| {
        res.eq_ignore_ascii_case(&format!("team:{team}"))
            || s(meta, "displayName").is_some_and(|n| n.eq_ignore_ascii_case(team))
    });
    let Some((resource, (_, records))) = found else {
        return Err(EngineError::NotFound(format!(
            "run {} holds no team '{team}'; `m365vault ls {}` lists what it holds",
            manifest.run_id, manifest.run_id
        )));
    };
    let team_id = resource.trim_start_matches("team:").to_owned();
    let chan = records.iter().find(|r| {
        r.kind == "channel"
            && (r.id.eq_ignore_ascii_case(channel)
                || s(&r.meta, "displayName").is_some_and(|n| n.eq_ignore_ascii_case(channel)))
    });
    let Some(chan) = chan else {
        return Err(EngineError::NotFound(format!(
            "the team in run {} has no channel '{channel}'",
            manifest.run_id
        )));
    };
    let channel_id = chan.id.clone();
    let channel = chan.meta.clone();
    let prefix = format!("{channel_id}/");
    let (mut messages, mut images) = (Vec::new(), Vec::new());
    for r in records {
        if r.kind == "channelMessage" && s(&r.meta, "container") == Some(channel_id.as_str()) {
            messages.push(r);
        } else if r.kind == "hostedContent" && r.id.starts_with(&prefix) {
            images.push(r);
        }
    }
    Ok(Backup {
        team_id,
        channel,
        messages,
        images,
    })
}

/// A message as Graph's import takes it; its inline images as `hostedContents`.
fn import_body(msg: &Value, images: &[Image], root: bool) -> Value {
    let mut content = msg
        .pointer("/body/content")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let mut hosted = Vec::new();
    for (n, (hid, content_type, bytes)) in images.iter().enumerate() {
        let temp = (n + 1).to_string();
        let encoded = id_segment(hid);
        for needle in [hid.as_str(), encoded.as_str()] {
            let pattern = format!("/hostedContents/{needle}/$value");
            while let Some(end) = content.find(&pattern) {
                let start = content[..end].rfind(['"', '\'']).map_or(0, |q| q + 1);
                content.replace_range(
                    start..end + pattern.len(),
                    &format!("../hostedContents/{temp}/$value"),
                );
            }
        }
        hosted.push(json!({
            "@microsoft.graph.temporaryId": temp,
            "contentBytes": STANDARD.encode(bytes),
            "contentType": content_type.clone().unwrap_or_else(|| "image/png".into()),
        }));
    }
    let mut body = json!({
        "createdDateTime": msg.get("createdDateTime"),
        "from": {"user": {
            "id": msg.pointer("/from/user/id"),
            "displayName": msg.pointer("/from/user/displayName"),
            "userIdentityType": "aadUser",
        }},
        "body": {
            "contentType": msg.pointer("/body/contentType").cloned().unwrap_or(json!("html")),
            "content": content,
        },
        "importance": msg.get("importance").cloned().unwrap_or(json!("normal")),
    });
    if root && let Some(subject) = msg.get("subject").filter(|x| !x.is_null()) {
        body["subject"] = subject.clone();
    }
    let references: Vec<&Value> = msg
        .get("attachments")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|a| s(a, "contentType") == Some("reference"))
        .collect();
    if !references.is_empty() {
        body["attachments"] = json!(references);
    }
    if let Some(m) = msg
        .get("mentions")
        .filter(|m| m.as_array().is_some_and(|a| !a.is_empty()))
    {
        body["mentions"] = m.clone();
    }
    if !hosted.is_empty() {
        body["hostedContents"] = Value::Array(hosted);
    }
    body
}

fn is_system(msg: &Value) -> bool {
    s(msg, "messageType").is_some_and(|t| t != "message")
        || msg.get("eventDetail").is_some_and(|e| !e.is_null())
        || msg.pointer("/from/user/id").is_none()
}

fn created(msg: &Value) -> OffsetDateTime {
    s(msg, "createdDateTime")
        .and_then(|t| OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok())
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// Restores a channel of a backup into a new channel.
pub async fn restore_channel(
    graph: &GraphClient,
    repo: &Repository,
    manifest: &Manifest,
    req: &ChannelRestore,
) -> Result<ChannelRestoreSummary, EngineError> {
    let backup = find(repo, manifest, &req.team, &req.channel).await?;
    // Threads: root (record, message, deleted) and replies, oldest first.
    type Msg = (ItemRecord, Value);
    let mut threads: BTreeMap<String, (Option<Msg>, Vec<Msg>)> = BTreeMap::new();
    for r in backup.messages {
        let mut bytes = Vec::new();
        repo.restore_item(&r, &mut bytes).await?;
        let msg: Value = serde_json::from_slice(&bytes).unwrap_or_default();
        let thread = s(&r.meta, "threadId").unwrap_or_default().to_owned();
        let root = s(&r.meta, "messageId") == Some(thread.as_str());
        let e = threads.entry(thread).or_default();
        if root {
            e.0 = Some((r, msg));
        } else {
            e.1.push((r, msg));
        }
    }
    let mut images: HashMap<String, Vec<Image>> = HashMap::new();
    for r in backup.images {
        let mut bytes = Vec::new();
        repo.restore_item(&r, &mut bytes).await?;
        let message = s(&r.meta, "messageId").unwrap_or_default().to_owned();
        images.entry(message).or_default().push((
            s(&r.meta, "hostedContentId").unwrap_or_default().to_owned(),
            s(&r.meta, "contentType").map(str::to_owned),
            bytes,
        ));
    }
    let mut ordered: Vec<(Option<Msg>, Vec<Msg>)> = threads.into_values().collect();
    ordered.sort_by_key(|(root, _)| root.as_ref().map(|(_, m)| created(m)));
    let original = s(&backup.channel, "displayName").unwrap_or("Channel");
    let today = OffsetDateTime::now_utc().date();
    let name = req.name.clone().unwrap_or_else(|| {
        let base: String = original.chars().take(34).collect();
        format!("{base} (restored {today})")
    });
    let team_id = match &req.to_team {
        None => backup.team_id.clone(),
        Some(t) => crate::teams::resolve_teams(graph, std::slice::from_ref(t))
            .await?
            .into_iter()
            .next()
            .map(|t| t.id)
            .unwrap_or_default(),
    };
    let mut summary = ChannelRestoreSummary {
        team_id: team_id.clone(),
        channel_name: name.clone(),
        dry_run: req.dry_run,
        ..ChannelRestoreSummary::default()
    };
    // Back-dated to just before the oldest message, as imports require.
    let oldest = ordered
        .iter()
        .flat_map(|(root, replies)| root.iter().chain(replies.iter()))
        .map(|(_, m)| created(m))
        .filter(|t| *t > OffsetDateTime::UNIX_EPOCH)
        .min()
        .unwrap_or_else(OffsetDateTime::now_utc);
    let t = id_segment(&team_id);
    let channel_id = if req.dry_run {
        None
    } else {
        let created: Value = graph
            .post(
                &format!("/teams/{t}/channels"),
                &json!({
                    "@microsoft.graph.channelCreationMode": "migration",
                    "displayName": name,
                    "description": backup.channel.get("description"),
                    "membershipType": "standard",
                    "createdDateTime": (oldest - time::Duration::seconds(1))
                        .format(&time::format_description::well_known::Rfc3339)
                        .unwrap_or_default(),
                }),
            )
            .await?;
        s(&created, "id").map(str::to_owned)
    };
    summary.channel_id = channel_id.clone();
    let messages_url = channel_id
        .as_deref()
        .map(|c| format!("/teams/{t}/channels/{}/messages", id_segment(c)));
    for (root, mut replies) in ordered {
        replies.sort_by_key(|(_, m)| created(m));
        let Some((record, msg)) = root else {
            summary.skipped += replies.len() as u64;
            continue;
        };
        let deleted = record.meta.get("deletedDateTime").is_some();
        if is_system(&msg) || (deleted && replies.is_empty()) {
            summary.skipped += 1 + replies.len() as u64;
            continue;
        }
        let id = s(&msg, "id").unwrap_or_default().to_owned();
        let mine = images.get(&id).map(Vec::as_slice).unwrap_or(&[]);
        let new_root = match &messages_url {
            None => Some(String::new()),
            Some(url) => match graph
                .post::<_, Value>(url, &import_body(&msg, mine, true))
                .await
            {
                Ok(v) => s(&v, "id").map(str::to_owned),
                Err(e) => {
                    summary.failed.push((id.clone(), e.to_string()));
                    None
                }
            },
        };
        let Some(new_root) = new_root else {
            summary.skipped += replies.len() as u64;
            continue;
        };
        summary.threads += 1;
        summary.images += mine.len() as u64;
        for (record, reply) in replies {
            if is_system(&reply) || record.meta.get("deletedDateTime").is_some() {
                summary.skipped += 1;
                continue;
            }
            let rid = s(&reply, "id").unwrap_or_default().to_owned();
            let theirs = images.get(&rid).map(Vec::as_slice).unwrap_or(&[]);
            if let Some(url) = &messages_url {
                let url = format!("{url}/{}/replies", id_segment(&new_root));
                if let Err(e) = graph
                    .post::<_, Value>(&url, &import_body(&reply, theirs, false))
                    .await
                {
                    summary.failed.push((rid, e.to_string()));
                    continue;
                }
            }
            summary.replies += 1;
            summary.images += theirs.len() as u64;
        }
    }
    if let Some(c) = &channel_id {
        graph
            .send(
                reqwest::Method::POST,
                &format!("/teams/{t}/channels/{}/completeMigration", id_segment(c)),
                None,
                &[],
            )
            .await?;
    }
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_images_become_temporary_ids() {
        let msg = json!({
            "id": "1", "createdDateTime": "2026-01-01T00:00:00.123Z",
            "from": {"user": {"id": "u", "displayName": "Ann"}},
            "body": {"contentType": "html", "content":
                "<p><img src=\"https://graph.microsoft.com/v1.0/teams/t/channels/c/messages/1/hostedContents/aGk%3D/$value\"></p>"},
            "subject": "Hi", "messageType": "message"
        });
        let b = import_body(
            &msg,
            &[("aGk=".into(), Some("image/png".into()), vec![1, 2])],
            true,
        );
        assert_eq!(
            b.pointer("/body/content").and_then(Value::as_str),
            Some("<p><img src=\"../hostedContents/1/$value\"></p>")
        );
        assert_eq!(b["hostedContents"][0]["contentBytes"], "AQI=");
        assert_eq!(b["subject"], "Hi");
        assert!(!is_system(&msg));
        assert!(is_system(&json!({"messageType": "systemEventMessage"})));
    }
}
