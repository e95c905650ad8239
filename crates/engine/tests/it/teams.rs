//! Teams, chats and the directory against the simulator's truth.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::engine::{BackupOptions, BackupSummary, Mailbox, Team};
use crate::support::{World, config, hex, world};

/// `<channel or chat>|<message id>` (or `…|<message id>/<hosted content id>`) →
/// (sha256, size). Message ids are only unique within a channel.
type Items = BTreeMap<String, (String, u64)>;

/// The first segment of a path: the channel's name or the chat's id.
fn container(path: &str) -> &str {
    path.split('/').nth(1).unwrap_or_default()
}

async fn teams_of(w: &World) -> Vec<Team> {
    crate::engine::resolve_teams(&w.graph, &[])
        .await
        .expect("teams")
}

async fn options(w: &World) -> BackupOptions {
    let mut o = w.options();
    o.data = "teams,chats,directory".parse().expect("data");
    o.teams = teams_of(w).await;
    o
}

/// Asserts `got == expected`, showing only what differs.
fn assert_same(got: &Items, expected: &Items, what: &str) {
    let missing: Vec<&String> = expected.keys().filter(|k| !got.contains_key(*k)).collect();
    let extra: Vec<&String> = got.keys().filter(|k| !expected.contains_key(*k)).collect();
    let differ: Vec<&String> = expected
        .iter()
        .filter(|(k, v)| got.get(*k).is_some_and(|g| g != *v))
        .map(|(k, _)| k)
        .collect();
    assert!(
        missing.is_empty() && extra.is_empty() && differ.is_empty(),
        "{what}: {} expected, {} backed up; missing {missing:?}; not in the truth {extra:?}; different {differ:?}",
        expected.len(),
        got.len()
    );
}

fn truth_items(items: &[Value]) -> Items {
    items
        .iter()
        .map(|v| {
            (
                format!(
                    "{}|{}",
                    container(v["path"].as_str().expect("path")),
                    v["id"].as_str().expect("id")
                ),
                (
                    v["sha256"].as_str().expect("sha").to_ascii_lowercase(),
                    v["size"].as_u64().expect("size"),
                ),
            )
        })
        .collect()
}

impl World {
    /// Live messages (`kind` `channelMessage`/`chatMessage`) or inline images
    /// (`hostedContent`) of `resource` in the latest run; deleted messages the backup
    /// keeps are left out (the truth has only live ones).
    async fn backed_up_messages(&self, resource: &str, kind: &str) -> Items {
        self.latest_records(resource, kind)
            .await
            .into_iter()
            .filter(|(r, _)| r.meta.get("deletedDateTime").is_none())
            .map(|(r, bytes)| {
                let message = r.meta["messageId"].as_str().expect("messageId").to_owned();
                let id = match r.meta.get("hostedContentId").and_then(Value::as_str) {
                    Some(h) => format!("{message}/{h}"),
                    None => message,
                };
                let id = format!("{}|{id}", container(&r.path));
                (id, (hex(&Sha256::digest(&bytes)), bytes.len() as u64))
            })
            .collect()
    }

    /// Every chat message (or image) of every chat in the latest run.
    async fn backed_up_chats(&self, kind: &str, chats: &BTreeSet<String>) -> Items {
        let mut out = Items::new();
        for c in chats {
            out.extend(self.backed_up_messages(&format!("chat:{c}"), kind).await);
        }
        out
    }
}

/// The truth of every chat of `users`: the chat ids, and kind `kind`'s items.
async fn true_chats(w: &World, users: &[Mailbox], kind: &str) -> (BTreeSet<String>, Items) {
    let mut chats = BTreeSet::new();
    let mut items = Items::new();
    for u in users {
        let Some(truth) = w.truth_query(&format!("user={}&kind={kind}", u.upn)).await else {
            continue;
        };
        for v in &truth {
            if let Some(chat) = v["path"].as_str().and_then(|p| p.split('/').nth(1)) {
                chats.insert(chat.to_owned());
            }
        }
        items.extend(truth_items(&truth));
    }
    (chats, items)
}

/// Every message, reply, chat message and inline image of the truth is in the latest
/// run, as it is in Microsoft 365. Returns (channel messages, chat messages).
async fn assert_equal_to_truth(
    w: &World,
    teams: &[Team],
    users: &[Mailbox],
    when: &str,
) -> (usize, usize) {
    let mut channel_messages = 0;
    for t in teams {
        for kind in ["channelMessage", "hostedContent"] {
            let truth = w
                .truth_query(&format!("team={}&kind={kind}", t.id))
                .await
                .expect("team truth");
            let expected = truth_items(&truth);
            let got = w
                .backed_up_messages(&format!("team:{}", t.id.to_ascii_lowercase()), kind)
                .await;
            assert_same(
                &got,
                &expected,
                &format!("{kind} of team {} {when}", t.display_name),
            );
            if kind == "channelMessage" {
                channel_messages += expected.len();
            }
        }
    }
    let (chats, expected) = true_chats(w, users, "chatMessage").await;
    let got = w.backed_up_chats("chatMessage", &chats).await;
    assert_same(&got, &expected, &format!("chat messages {when}"));
    let (_, images) = true_chats(w, users, "hostedContent").await;
    assert_same(
        &w.backed_up_chats("hostedContent", &chats).await,
        &images,
        &format!("chat images {when}"),
    );
    (channel_messages, expected.len())
}

async fn run(w: &World, users: &[Mailbox]) -> BackupSummary {
    let o = options(w).await;
    w.backup_with(users.to_vec(), o).await
}

/// A group's members and owners in the truth: (members, owners) by id.
async fn true_membership(w: &World, group: &str) -> (BTreeSet<String>, BTreeSet<String>) {
    let truth = w
        .truth_query(&format!("group={group}&kind=member"))
        .await
        .expect("member truth");
    let mut members = BTreeSet::new();
    let mut owners = BTreeSet::new();
    for v in truth {
        let id = v["id"].as_str().expect("id").to_owned();
        match v["path"].as_str() {
            Some("/owners") => owners.insert(id),
            _ => members.insert(id),
        };
    }
    (members, owners)
}

fn ids(list: &[Value]) -> BTreeSet<String> {
    list.iter()
        .filter_map(|v| v["id"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn teams_chats_and_directory_equal_the_truth_before_and_after_changes() {
    let w = world(config(6)).await;
    let users = w.all().await;
    let teams = teams_of(&w).await;
    assert!(!teams.is_empty(), "the tenant has teams");
    let first = run(&w, &users).await;
    assert_eq!(first.status, "complete", "{first:?}");
    assert_eq!(first.teams, teams.len() as u64);
    assert!(first.chats > 0 && first.directory_objects > 0, "{first:?}");
    let (channel, chat) = assert_equal_to_truth(&w, &teams, &users, "after a full run").await;
    assert!(channel > 0 && chat > 0, "messages were backed up");

    // Each chat is stored once, not once per member: chat resources are unique by id,
    // and the run read each chat message once.
    let before = OffsetDateTime::now_utc();
    let changes = w
        .mutate(json!({"seed": 5, "add": 6, "modify": 4, "delete": 3,
            "kinds": ["channelMessage", "chatMessage", "member"]}))
        .await;
    let second = run(&w, &users).await;
    assert_eq!(second.status, "complete", "{second:?}");
    assert!(
        second.items_read < first.items_read,
        "the second run reads only what changed: {} then {}",
        first.items_read,
        second.items_read
    );
    assert_equal_to_truth(&w, &teams, &users, "after changes").await;

    // Deleted channel messages are still in the backup, with what they said, and so
    // are their replies.
    let deleted: Vec<&Value> = changes["changes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["kind"] == "channelMessage" && c["op"] == "delete")
        .collect();
    assert!(!deleted.is_empty(), "messages were deleted: {changes}");
    for t in &teams {
        let records = w
            .latest_records(
                &format!("team:{}", t.id.to_ascii_lowercase()),
                "channelMessage",
            )
            .await;
        for d in &deleted {
            let id = d["id"].as_str().expect("id");
            if let Some((r, bytes)) = records.iter().find(|(r, _)| r.meta["messageId"] == id) {
                assert!(
                    r.meta.get("deletedDateTime").is_some(),
                    "{id} is marked deleted"
                );
                let json: Value = serde_json::from_slice(bytes).expect("json");
                assert!(
                    json.pointer("/body/content")
                        .and_then(Value::as_str)
                        .is_some_and(|c| !c.is_empty()),
                    "{id} keeps what it said"
                );
            }
        }
    }

    // The directory as backed up equals the truth, group by group.
    let snap = crate::engine::directory::snapshot_at(
        &w.target.repo,
        w.target.catalog.as_ref(),
        OffsetDateTime::now_utc(),
        None,
    )
    .await
    .expect("directory");
    assert!(!snap.groups.is_empty());
    for g in &snap.groups {
        let (members, owners) = true_membership(&w, &g.id).await;
        assert_eq!(ids(&g.members), members, "members of {}", g.display_name);
        assert_eq!(ids(&g.owners), owners, "owners of {}", g.display_name);
    }
    // And the first run's directory is still there: "who was in it then".
    let then = crate::engine::directory::snapshot_at(
        &w.target.repo,
        w.target.catalog.as_ref(),
        before,
        None,
    )
    .await
    .expect("earlier directory");
    assert_ne!(then.run_id, snap.run_id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_membership_restore_puts_back_the_members_of_that_day() {
    let w = world(config(6)).await;
    let users = w.all().await;
    let mut o = w.options();
    o.data = "directory".parse().expect("data");
    let first = w.backup_with(users.clone(), o.clone()).await;
    assert_eq!(first.status, "complete", "{first:?}");
    let that_day = OffsetDateTime::now_utc();
    let snap = crate::engine::directory::snapshot_at(
        &w.target.repo,
        w.target.catalog.as_ref(),
        that_day,
        None,
    )
    .await
    .expect("directory");
    // A group people can be added to and removed from (not a distribution list).
    let group = snap
        .groups
        .iter()
        .find(|g| g.members.len() >= 2 && !g.owners.is_empty())
        .expect("a group with members and owners")
        .clone();
    w.mutate(json!({"seed": 8, "add": 3, "delete": 2, "kinds": ["member"], "groups": [group.id]}))
        .await;
    let (changed, _) = true_membership(&w, &group.id).await;
    assert_ne!(
        changed,
        ids(&group.members),
        "the mutation changed the members"
    );
    let dry = crate::engine::directory::restore_membership(
        &w.graph,
        &w.target.repo,
        w.target.catalog.as_ref(),
        &group.display_name,
        that_day,
        true,
    )
    .await
    .expect("dry run");
    assert!(dry.dry_run && !(dry.members_added.is_empty() && dry.members_removed.is_empty()));
    assert_eq!(
        true_membership(&w, &group.id).await.0,
        changed,
        "a dry run changes nothing"
    );
    let done = crate::engine::directory::restore_membership(
        &w.graph,
        &w.target.repo,
        w.target.catalog.as_ref(),
        &group.id,
        that_day,
        false,
    )
    .await
    .expect("restore");
    assert!(done.failed.is_empty(), "{done:?}");
    let (members, owners) = true_membership(&w, &group.id).await;
    assert_eq!(members, ids(&group.members), "members as they were");
    assert_eq!(owners, ids(&group.owners), "owners as they were");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn teams_limits_faults_and_an_interrupted_run_still_give_the_truth() {
    let w = world(config(6)).await;
    let users = w.all().await;
    let teams = teams_of(&w).await;
    w.faults(json!({"seed": 3, "server_error": 0.03, "reset": 0.01, "expired_delta": 0.3, "retry_after_secs": 0}))
        .await;
    // Interrupted twice part-way, then let finish.
    for ms in [700u64, 1500] {
        let mut o = options(&w).await;
        o.checkpoint_interval = std::time::Duration::from_millis(200);
        let interrupted = tokio::time::timeout(
            std::time::Duration::from_millis(ms),
            w.backup_with(users.clone(), o),
        )
        .await;
        assert!(
            interrupted.is_err(),
            "the run was interrupted after {ms} ms"
        );
    }
    let mut o = options(&w).await;
    o.checkpoint_interval = std::time::Duration::from_millis(200);
    let done = w.backup_with(users.clone(), o).await;
    assert!(done.resumed, "the run resumed the interrupted one");
    assert_eq!(done.status, "complete", "{done:?}");
    assert_equal_to_truth(&w, &teams, &users, "after interruptions and faults").await;
    w.mutate(json!({"seed": 6, "add": 4, "modify": 3, "delete": 2,
        "kinds": ["channelMessage", "chatMessage"]}))
        .await;
    let again = run(&w, &users).await;
    assert_eq!(again.status, "complete", "{again:?}");
    assert_equal_to_truth(&w, &teams, &users, "after changes with faults").await;
    let stats = w.sim_stats().await;
    let throttled = stats["teams_throttled"].as_u64().unwrap_or(0);
    let requests = stats["requests_total"].as_u64().unwrap_or(0);
    assert!(
        (throttled as f64) < 0.01 * requests as f64,
        "{throttled} of {requests} requests were throttled by Teams: {stats}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_channel_restores_into_a_new_channel_with_authors_and_times() {
    let w = world(config(6)).await;
    let users = w.all().await;
    let teams = teams_of(&w).await;
    let mut o = w.options();
    o.data = "teams".parse().expect("data");
    o.teams = teams.clone();
    let s = w.backup_with(users, o).await;
    assert_eq!(s.status, "complete", "{s:?}");
    let team = &teams[0];
    let resource = format!("team:{}", team.id.to_ascii_lowercase());
    let channels = w.latest_records(&resource, "channel").await;
    let (channel, _) = channels
        .iter()
        .find(|(r, _)| r.meta["displayName"] == "General")
        .expect("a General channel");
    // What can be imported: people's messages (not system events), live ones, and
    // deleted top-level messages that hold replies (with what they said).
    let records: Vec<(store::ItemRecord, Value)> = w
        .latest_records(&resource, "channelMessage")
        .await
        .into_iter()
        .filter(|(r, _)| r.meta["container"] == channel.id.as_str())
        .map(|(r, bytes)| (r, serde_json::from_slice(&bytes).expect("json")))
        .collect();
    let people = |r: &store::ItemRecord, m: &Value| {
        m["messageType"] == "message"
            && m.pointer("/from/user/id").is_some()
            && r.meta["threadId"].is_string()
    };
    let holding: BTreeSet<String> = records
        .iter()
        .filter(|(r, m)| {
            people(r, m)
                && r.meta["threadId"] != r.meta["messageId"]
                && r.meta.get("deletedDateTime").is_none()
        })
        .map(|(r, _)| r.meta["threadId"].as_str().expect("thread").to_owned())
        .collect();
    let mut expected = BTreeSet::new();
    for (r, m) in &records {
        let root = r.meta["threadId"] == r.meta["messageId"];
        let live = r.meta.get("deletedDateTime").is_none();
        let kept =
            live || (root && holding.contains(r.meta["messageId"].as_str().unwrap_or_default()));
        if people(r, m) && kept {
            expected.insert((
                m["createdDateTime"].as_str().expect("time").to_owned(),
                m.pointer("/from/user/id")
                    .and_then(Value::as_str)
                    .expect("from")
                    .to_owned(),
            ));
        }
    }
    let run = crate::engine::browse::open_run(&w.target.repo, w.target.catalog.as_ref(), "latest")
        .await
        .expect("run");
    let request = crate::engine::restore::channels::ChannelRestore {
        team: team.display_name.clone(),
        channel: "General".into(),
        to_team: None,
        name: Some("General (restored)".into()),
        dry_run: false,
    };
    let done = crate::engine::restore::channels::restore_channel(
        &w.graph,
        &w.target.repo,
        &run.manifest,
        &request,
    )
    .await
    .expect("restore");
    assert!(done.failed.is_empty(), "{done:?}");
    let channel_id = done.channel_id.clone().expect("new channel");
    // Read the new channel back from Microsoft 365.
    let mut got = BTreeSet::new();
    let mut next = Some(format!(
        "/teams/{}/channels/{}/messages?$top=50&$expand=replies",
        team.id,
        urlencoding(&channel_id)
    ));
    while let Some(url) = next.take() {
        let page: model::wire::Page<Value> = w.graph.get_page(&url, &[]).await.expect("page");
        for m in page.value {
            for x in std::iter::once(&m).chain(m["replies"].as_array().into_iter().flatten()) {
                got.insert((
                    x["createdDateTime"].as_str().expect("time").to_owned(),
                    x.pointer("/from/user/id")
                        .and_then(Value::as_str)
                        .expect("from")
                        .to_owned(),
                ));
            }
        }
        next = page.next_link;
    }
    assert_eq!(got.len() as u64, done.threads + done.replies);
    assert_eq!(got, expected, "every message, with its author and time");
    let images = w
        .truth_query(&format!("team={}&kind=hostedContent", team.id))
        .await
        .expect("truth")
        .iter()
        .filter(|v| {
            v["path"]
                .as_str()
                .is_some_and(|p| p.starts_with("/General (restored)/"))
        })
        .count();
    assert_eq!(images as u64, done.images, "inline images came along");
}

fn urlencoding(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_teams_run_between_mail_runs_keeps_the_mail_runs_incremental() {
    let w = world(config(4)).await;
    let users = w.all().await;
    let first = w.backup(users.clone()).await;
    assert!(first.items_read > 0, "{first:?}");
    let mut o = w.options();
    o.data = "directory".parse().expect("data");
    let between = w.backup_with(users.clone(), o).await;
    assert_eq!(between.status, "complete");
    let again = w.backup(users.clone()).await;
    assert_eq!(again.status, "complete", "{again:?}");
    assert_eq!(
        again.items_read, 0,
        "nothing changed in the mailboxes since the first run: {again:?}"
    );
    assert_eq!(again.items, first.items, "every message is listed again");
}
