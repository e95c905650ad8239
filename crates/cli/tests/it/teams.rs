//! `m365vault backup run --data teams,chats,directory`, `export --data teams|chats`,
//! `directory show|restore` and `restore --data chats` as an administrator uses them.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;
use sim::{SimConfig, SimServer};

use crate::common::{Dir, Run};

const PASS: &str = "teal harbour 9";

async fn m365vault(dir: &Dir, repo: &Path, args: &[&str]) -> Run {
    let repo = repo.display().to_string();
    dir.run_env(
        args,
        &[
            ("M365VAULT_REPO", repo.as_str()),
            ("M365VAULT_PASSPHRASE", PASS),
        ],
    )
    .await
}

async fn truth(sim: &SimServer, query: &str) -> Vec<Value> {
    let r = reqwest::get(format!("{}/_sim/truth/items?{query}", sim.base_url))
        .await
        .expect("truth");
    assert_eq!(r.status(), 200, "truth {query}");
    r.json().await.expect("json")
}

/// A simulated tenant of `seed` with 6 users, connector `contoso` (app `full`)
/// serving `types`, and an initialised repository.
async fn tenant(seed: u64, types: &str) -> (SimServer, Dir, std::path::PathBuf) {
    let config = SimConfig {
        seed,
        users: 6,
        mail_scale: 0.01,
        ..SimConfig::default()
    };
    let sim = SimServer::start(config, "127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("simulator");
    let dir = Dir::new();
    let repo = dir.path().join("repo");
    dir.add(&sim, "contoso", "full", &["--data-types", types])
        .await;
    let init = m365vault(&dir, &repo, &["repo", "init"]).await;
    assert_eq!(init.code, 0, "{}", init.stderr);
    (sim, dir, repo)
}

/// Every team of the truth: its name, and the ids of the live messages and replies
/// of each of its channels, by channel name.
async fn live_messages(sim: &SimServer) -> Vec<(String, BTreeMap<String, Vec<String>>)> {
    let summary: Value = reqwest::get(format!("{}/_sim/truth/summary", sim.base_url))
        .await
        .expect("summary")
        .json()
        .await
        .expect("json");
    let mut out = Vec::new();
    for team in summary["teams"].as_array().expect("teams") {
        let id = team["id"].as_str().expect("id");
        let mut channels: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for m in truth(sim, &format!("team={id}&kind=channelMessage")).await {
            let channel = m["path"]
                .as_str()
                .expect("path")
                .split('/')
                .nth(1)
                .expect("channel");
            channels
                .entry(channel.to_owned())
                .or_default()
                .push(m["id"].as_str().expect("id").to_owned());
        }
        out.push((
            team["displayName"].as_str().expect("name").to_owned(),
            channels,
        ));
    }
    out
}

/// `export --run latest --data teams --format FORMAT --out OUT`, which must succeed.
async fn export_teams(dir: &Dir, repo: &Path, format: &str, out: &Path) {
    let out = out.display().to_string();
    let export = m365vault(
        dir,
        repo,
        &[
            "export", "--run", "latest", "--data", "teams", "--format", format, "--out", &out,
        ],
    )
    .await;
    assert_eq!(export.code, 0, "{}", export.stderr);
}

/// The `(class, data-id, deleted)` of every message article of an HTML transcript,
/// in order.
fn articles(html: &str) -> Vec<(String, u64, bool)> {
    let mut out = Vec::new();
    for part in html.split("<article class=\"").skip(1) {
        let class = part.split('"').next().unwrap_or_default().to_owned();
        let id = part
            .split("data-id=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .and_then(|s| s.parse().ok())
            .expect("a numeric data-id");
        out.push((class, id, part.contains("flag deleted")));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn teams_and_chats_back_up_and_export_as_transcripts_with_every_message_in_order() {
    let (sim, dir, repo) = tenant(12, "teams-channels,chats,groups").await;
    let run = m365vault(
        &dir,
        &repo,
        &[
            "backup",
            "run",
            "--connector",
            "contoso",
            "--all",
            "--data",
            "teams,chats,directory",
            "--json",
        ],
    )
    .await;
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let summary = run.json();
    assert_eq!(summary["status"], "complete", "{summary}");
    assert!(summary["teams"].as_u64() > Some(0) && summary["chats"].as_u64() > Some(0));

    // Every channel's transcript holds each of its messages once, threads and their
    // replies in the order they were written (ids are creation times here).
    let out = dir.path().join("export");
    let export = m365vault(
        &dir,
        &repo,
        &[
            "export", "--run", "latest", "--data", "teams", "--format", "html", "--out",
        ],
    )
    .await;
    assert_ne!(export.code, 0, "--out is required");
    export_teams(&dir, &repo, "html", &out).await;
    let mut checked = 0;
    for (name, channels) in live_messages(&sim).await {
        for (channel, ids) in channels {
            let file = out.join(&name).join(format!("{channel}.html"));
            let html = std::fs::read_to_string(&file)
                .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            let found = articles(&html);
            // The truth has the live messages; the backup keeps deleted ones too, marked.
            let live = found.iter().filter(|(_, _, deleted)| !deleted).count();
            assert_eq!(live, ids.len(), "live messages in {}", file.display());
            let mut last_top = 0;
            let mut last_reply = 0;
            for (class, id, _) in found {
                if class.contains("reply") {
                    assert!(id > last_reply, "replies in order in {}", file.display());
                    last_reply = id;
                } else {
                    assert!(id > last_top, "threads in order in {}", file.display());
                    (last_top, last_reply) = (id, id);
                }
            }
            checked += 1;
        }
    }
    assert!(checked > 0, "channels were checked");

    // A user's chats as lossless JSON: every message of the truth, once.
    let user = sim.credentials.admin_user.clone();
    let expected = truth(&sim, &format!("user={user}&kind=chatMessage"))
        .await
        .len();
    let chats_out = dir.path().join("chats");
    let chats_s = chats_out.display().to_string();
    let export = m365vault(
        &dir,
        &repo,
        &[
            "export", "--run", "latest", "--data", "chats", "--user", &user, "--format", "json",
            "--out", &chats_s,
        ],
    )
    .await;
    assert_eq!(export.code, 0, "{}", export.stderr);
    let mut messages = 0;
    for e in std::fs::read_dir(chats_out.join("chats"))
        .expect("chats")
        .flatten()
    {
        let doc: Value =
            serde_json::from_slice(&std::fs::read(e.path()).expect("read")).expect("json");
        // Chats have no threads: a thread per message; deleted ones are kept, marked.
        for t in doc["threads"].as_array().expect("threads") {
            assert_eq!(t["replies"].as_array().map(Vec::len), Some(0));
            if t["message"]["deletedDateTime"].is_null() {
                messages += 1;
            }
        }
    }
    assert_eq!(messages, expected, "chat messages of {user}");

    // Chats are export-only, and restore says so.
    let refused = m365vault(
        &dir,
        &repo,
        &[
            "restore", "--run", "latest", "--data", "chats", "--user", &user,
        ],
    )
    .await;
    assert_ne!(refused.code, 0);
    assert!(
        refused.stderr.contains("chats cannot be restored") && refused.stderr.contains("export"),
        "{}",
        refused.stderr
    );

    // A channel comes back as a new channel, through migration mode.
    let teams: Value = reqwest::get(format!("{}/_sim/truth/summary", sim.base_url))
        .await
        .expect("summary")
        .json()
        .await
        .expect("json");
    let team_name = teams["teams"][0]["displayName"]
        .as_str()
        .expect("team")
        .to_owned();
    let restored = m365vault(
        &dir,
        &repo,
        &[
            "restore",
            "--run",
            "latest",
            "--data",
            "teams",
            "--team",
            &team_name,
            "--channel",
            "General",
            "--to-channel",
            "General restored",
            "--json",
        ],
    )
    .await;
    assert_eq!(restored.code, 0, "{}{}", restored.stdout, restored.stderr);
    let r = restored.json();
    assert!(r["threads"].as_u64() > Some(0), "{r}");
    let team_id = teams["teams"][0]["id"].as_str().expect("id");
    let now_there = truth(&sim, &format!("team={team_id}&kind=channelMessage"))
        .await
        .iter()
        .filter(|m| {
            m["path"]
                .as_str()
                .is_some_and(|p| p.starts_with("/General restored/"))
        })
        .count() as u64;
    assert_eq!(
        now_there,
        r["threads"].as_u64().unwrap_or(0) + r["replies"].as_u64().unwrap_or(0)
    );

    // Who was in which group, from the backup.
    let show = m365vault(&dir, &repo, &["directory", "show", "--json"]).await;
    assert_eq!(show.code, 0, "{}", show.stderr);
    let snap = show.json();
    let groups = snap["groups"].as_array().expect("groups");
    assert!(!groups.is_empty());
    let g = &groups[0];
    let one = m365vault(
        &dir,
        &repo,
        &[
            "directory",
            "show",
            "--group",
            g["display_name"].as_str().expect("name"),
            "--json",
        ],
    )
    .await;
    assert_eq!(one.json()["groups"].as_array().map(Vec::len), Some(1));
    let early = m365vault(
        &dir,
        &repo,
        &["directory", "show", "--at", "2001-01-01T00:00:00Z"],
    )
    .await;
    assert_ne!(early.code, 0);
    assert!(
        early.stderr.contains("no backup of the directory"),
        "{}",
        early.stderr
    );
}

/// `backup run --data teams,chats` under Teams' limits, with faults, killed with
/// SIGKILL at random moments, then run to the end: complete, every live channel
/// message of the truth is in the export, and Teams refused under 1% of requests.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_teams_backup_killed_and_resumed_with_faults_holds_every_message() {
    let (sim, dir, repo) = tenant(23, "teams-channels,chats").await;
    let r = reqwest::Client::new()
        .post(format!("{}/_sim/faults", sim.base_url))
        .json(&serde_json::json!({"seed": 5, "server_error": 0.03, "reset": 0.01, "expired_delta": 0.2, "retry_after_secs": 0}))
        .send()
        .await
        .expect("faults");
    assert_eq!(r.status(), 200);
    let repo_s = repo.display().to_string();
    let args = [
        "backup",
        "run",
        "--connector",
        "contoso",
        "--all",
        "--data",
        "teams,chats",
        "--checkpoint-every",
        "0.1",
        "--json",
    ];
    let env = [
        ("M365VAULT_REPO", repo_s.as_str()),
        ("M365VAULT_PASSPHRASE", PASS),
    ];
    dir.kill_repeatedly(&args, &env, 5, 0x7ea5_0c4a_11ed_0001, 400..2500)
        .await;
    let last = m365vault(&dir, &repo, &args).await;
    assert_eq!(last.code, 0, "{}{}", last.stdout, last.stderr);
    let result = last.json();
    assert_eq!(result["status"], "complete", "{result}");
    assert_eq!(result["resumed"], true, "{result}");

    let out = dir.path().join("json");
    export_teams(&dir, &repo, "json", &out).await;
    let mut checked = 0;
    for (name, channels) in live_messages(&sim).await {
        for (channel, mut ids) in channels {
            let file = out.join(&name).join(format!("{channel}.json"));
            let doc: Value = serde_json::from_slice(
                &std::fs::read(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display())),
            )
            .expect("json");
            let mut got = Vec::new();
            for t in doc["threads"].as_array().expect("threads") {
                for m in std::iter::once(&t["message"])
                    .chain(t["replies"].as_array().into_iter().flatten())
                {
                    if m["deletedDateTime"].is_null() {
                        got.push(m["id"].as_str().expect("id").to_owned());
                    }
                }
            }
            got.sort();
            ids.sort();
            assert_eq!(got, ids, "live messages of {name} › {channel}");
            checked += ids.len();
        }
    }
    assert!(checked > 50, "enough messages to be interrupted: {checked}");
    let stats: Value = reqwest::get(format!("{}/_sim/stats", sim.base_url))
        .await
        .expect("stats")
        .json()
        .await
        .expect("json");
    let throttled = stats["teams_throttled"].as_u64().unwrap_or(0) as f64;
    let requests = stats["requests_total"].as_u64().unwrap_or(1) as f64;
    assert!(
        throttled < 0.01 * requests,
        "Teams refused {throttled} of {requests} requests: {stats}"
    );
}
