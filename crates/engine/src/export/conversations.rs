//! Teams channels and chats of a run as readable files: one self-contained HTML
//! transcript per channel and per chat (`formats::transcript`), or the same as
//! lossless JSON (every message and reply as Graph returned it, inline images in
//! base64). Layout: `<team>/<channel>.html` and `chats/<chat>.html` (or `.json`).

use std::collections::BTreeMap;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use formats::transcript::{Images, Thread, Transcript, transcript_html};
use serde_json::{Value, json};
use store::{ItemRecord, Manifest, Repository};

use super::{ExportSummary, safe_name};
use crate::browse::each_item;
use crate::error::EngineError;

/// Which conversations of a run to export.
#[derive(Debug, Clone, Default)]
pub struct ConversationFilter {
    /// Teams (true) or chats (false).
    pub teams: bool,
    /// Only this team (display name or id).
    pub team: Option<String>,
    /// Only the chats this user (principal name, mail or id) is a member of.
    pub user: Option<String>,
    /// Only this chat (its id).
    pub chat: Option<String>,
}

/// HTML transcripts or lossless JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConversationFormat {
    /// One HTML file per channel or chat.
    Html,
    /// One JSON file per channel or chat.
    Json,
}

/// A channel's or chat's records.
#[derive(Default)]
struct Conversation {
    /// The channel or chat entity.
    entity: Value,
    messages: Vec<ItemRecord>,
    images: Vec<ItemRecord>,
}

/// A team's or chat's records, by resource.
#[derive(Default)]
struct Resource {
    /// The team entity (teams only).
    team: Value,
    /// By channel or chat id.
    conversations: BTreeMap<String, Conversation>,
}

fn s<'v>(v: &'v Value, key: &str) -> Option<&'v str> {
    v.get(key).and_then(Value::as_str)
}

/// Whether `chat` (its JSON with `members`) has `user` as a member.
fn has_member(chat: &Value, user: &str) -> bool {
    chat.get("members")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .any(|m| {
            ["email", "userId", "displayName"]
                .iter()
                .any(|k| s(m, k).is_some_and(|x| x.eq_ignore_ascii_case(user)))
        })
}

/// A chat's title: its topic, or its members' names.
fn chat_title(chat: &Value) -> String {
    if let Some(t) = s(chat, "topic").filter(|t| !t.is_empty()) {
        return t.to_owned();
    }
    let names: Vec<&str> = chat
        .get("members")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|m| s(m, "displayName"))
        .collect();
    if names.is_empty() {
        s(chat, "id").unwrap_or("chat").to_owned()
    } else {
        names.join(", ")
    }
}

/// FNV-1a: a short, stable tag for a file name.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Exports the channels or chats `filter` names from `manifest` into `out`.
pub async fn export_conversations(
    repo: &Repository,
    manifest: &Manifest,
    filter: &ConversationFilter,
    format: ConversationFormat,
    out: &Path,
) -> Result<ExportSummary, EngineError> {
    let prefix = if filter.teams { "team:" } else { "chat:" };
    let mut resources: BTreeMap<String, Resource> = BTreeMap::new();
    each_item(repo, manifest, |r| {
        if !r.resource.starts_with(prefix) || r.deleted.is_some() {
            return;
        }
        let res = resources.entry(r.resource.clone()).or_default();
        let container = |r: &ItemRecord| s(&r.meta, "container").unwrap_or_default().to_owned();
        match r.kind.as_str() {
            "team" => res.team = r.meta.clone(),
            "channel" | "chat" => {
                let id = r.id.clone();
                res.conversations.entry(id).or_default().entity = r.meta.clone();
            }
            "channelMessage" | "chatMessage" => {
                let c = container(&r);
                res.conversations.entry(c).or_default().messages.push(r);
            }
            "hostedContent" => {
                let c = r.id.split('/').next().unwrap_or_default().to_owned();
                res.conversations.entry(c).or_default().images.push(r);
            }
            _ => {}
        }
    })
    .await?;
    let wanted = |res: &Resource, id: &str| -> bool {
        if filter.teams {
            filter.team.as_deref().is_none_or(|t| {
                id.eq_ignore_ascii_case(&format!("team:{t}"))
                    || s(&res.team, "displayName").is_some_and(|n| n.eq_ignore_ascii_case(t))
            })
        } else {
            let chat = res.conversations.values().next().map(|c| &c.entity);
            filter
                .chat
                .as_deref()
                .is_none_or(|c| id == format!("chat:{c}"))
                && filter
                    .user
                    .as_deref()
                    .is_none_or(|u| chat.is_some_and(|c| has_member(c, u)))
        }
    };
    resources.retain(|id, res| wanted(res, id));
    if resources.is_empty() {
        let what = if filter.teams { "teams" } else { "chats" };
        return Err(EngineError::NotFound(format!(
            "run {} holds no {what} that match; back them up with `m365vault backup run --data {what}`, and `m365vault ls {}` lists what the run holds",
            manifest.run_id, manifest.run_id
        )));
    }
    let mut summary = ExportSummary::default();
    for res in resources.into_values() {
        let dir = if filter.teams {
            out.join(safe_name(s(&res.team, "displayName").unwrap_or("team")))
        } else {
            out.join("chats")
        };
        tokio::fs::create_dir_all(&dir)
            .await
            .map_err(EngineError::io(format!("creating {}", dir.display())))?;
        let team_name = s(&res.team, "displayName").unwrap_or_default().to_owned();
        for (id, conv) in res.conversations {
            if conv.messages.is_empty() && conv.entity.is_null() {
                continue;
            }
            let (title, stem) = if filter.teams {
                let channel = s(&conv.entity, "displayName").unwrap_or(&id).to_owned();
                (format!("{team_name} › {channel}"), safe_name(&channel))
            } else {
                let title = chat_title(&conv.entity);
                // Chat ids share long prefixes (a 1:1 chat's holds both members' ids).
                let short = format!("{:08x}", fnv1a(id.as_bytes()) as u32);
                let stem = safe_name(&format!(
                    "{} {short}",
                    title.chars().take(60).collect::<String>()
                ));
                (title, stem)
            };
            let written = write_one(repo, manifest, &conv, &title, format, &dir, &stem).await?;
            summary.files += 1;
            summary.items += written.0;
            summary.bytes += written.1;
        }
    }
    Ok(summary)
}

/// Reads a conversation's messages and images, and writes its file: (messages, bytes).
async fn write_one(
    repo: &Repository,
    manifest: &Manifest,
    conv: &Conversation,
    title: &str,
    format: ConversationFormat,
    dir: &Path,
    stem: &str,
) -> Result<(u64, u64), EngineError> {
    let mut bytes_read = 0u64;
    // By thread: (root, replies).
    let mut threads: BTreeMap<String, (Option<Value>, Vec<Value>)> = BTreeMap::new();
    for r in &conv.messages {
        let mut bytes = Vec::new();
        repo.restore_item(r, &mut bytes).await?;
        bytes_read += bytes.len() as u64;
        let mut msg: Value = serde_json::from_slice(&bytes).unwrap_or_else(|_| json!({}));
        // A deleted message keeps what it said; say when it was deleted.
        if let Some(d) = r.meta.get("deletedDateTime") {
            msg["deletedDateTime"] = d.clone();
        }
        let thread = s(&r.meta, "threadId").unwrap_or_default().to_owned();
        let is_root = s(&r.meta, "messageId") == Some(thread.as_str());
        let entry = threads.entry(thread).or_default();
        if is_root {
            entry.0 = Some(msg);
        } else {
            entry.1.push(msg);
        }
    }
    let mut images = Images::new();
    let mut image_json = Vec::new();
    for r in &conv.images {
        let mut bytes = Vec::new();
        repo.restore_item(r, &mut bytes).await?;
        bytes_read += bytes.len() as u64;
        let message = s(&r.meta, "messageId").unwrap_or_default().to_owned();
        let hosted = s(&r.meta, "hostedContentId").unwrap_or_default().to_owned();
        if format == ConversationFormat::Json {
            image_json.push(json!({
                "messageId": message,
                "id": hosted,
                "contentType": r.meta.get("contentType"),
                "contentBytes": STANDARD.encode(&bytes),
            }));
        }
        images.insert((message, hosted), bytes);
    }
    let count = conv.messages.len() as u64;
    let threads: Vec<Thread> = threads
        .into_iter()
        .map(|(id, (root, replies))| Thread {
            // Every reply is kept even when its parent is not in the backup.
            message: root.unwrap_or_else(|| {
                json!({"id": id, "body": {"contentType": "text",
                    "content": "(The first message of this thread is not in the backup.)"}})
            }),
            replies,
        })
        .collect();
    let (name, content) = match format {
        ConversationFormat::Html => {
            let subtitle = format!(
                "Backup run {}, taken {}",
                manifest.run_id,
                manifest
                    .started
                    .format(&time::format_description::well_known::Rfc3339)
                    .unwrap_or_default()
            );
            let t = Transcript {
                title,
                subtitle: Some(&subtitle),
                threads,
            };
            (format!("{stem}.html"), transcript_html(&t, &images))
        }
        ConversationFormat::Json => {
            let threads: Vec<Value> = threads
                .into_iter()
                .map(|t| json!({"message": t.message, "replies": t.replies}))
                .collect();
            let doc = json!({
                "title": title,
                "runId": manifest.run_id,
                "conversation": conv.entity,
                "threads": threads,
                "hostedContents": image_json,
            });
            (
                format!("{stem}.json"),
                serde_json::to_string_pretty(&doc).unwrap_or_default(),
            )
        }
    };
    let path = dir.join(name);
    tokio::fs::write(&path, content)
        .await
        .map_err(EngineError::io(format!("writing {}", path.display())))?;
    Ok((count, bytes_read))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chats_are_titled_and_matched_by_member() {
        let chat = json!({"id": "19:a", "members": [
            {"displayName": "Ann", "email": "ann@contoso.com", "userId": "1"},
            {"displayName": "Bob", "email": "bob@contoso.com", "userId": "2"}]});
        assert_eq!(chat_title(&chat), "Ann, Bob");
        assert!(has_member(&chat, "ANN@contoso.com"));
        assert!(!has_member(&chat, "eve@contoso.com"));
        assert_eq!(chat_title(&json!({"id": "x", "topic": "Plans"})), "Plans");
    }
}
