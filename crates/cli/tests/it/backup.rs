//! `m365vault backup`, `ls` and `export` as an administrator uses them.

use std::collections::BTreeMap;
use std::path::Path;

use sha2::{Digest, Sha256};
use sim::{SimConfig, SimServer};

use crate::common::{Dir, Run};

const PASS: &str = "harbour crane 7";

async fn small_sim() -> SimServer {
    let config = SimConfig {
        seed: 11,
        users: 8,
        mail_scale: 0.02,
        ..SimConfig::default()
    };
    SimServer::start(config, "127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("simulator")
}

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

/// `export --run latest --user USER --format FORMAT --out OUT`, which must succeed.
async fn export(dir: &Dir, repo: &Path, user: &str, format: &str, out: &Path) {
    let out = out.to_str().expect("utf-8 path");
    let run = m365vault(
        dir,
        repo,
        &[
            "export", "--run", "latest", "--user", user, "--format", format, "--out", out,
        ],
    )
    .await;
    assert_eq!(run.code, 0, "export {format}: {}", run.stderr);
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn files(dir: &Path, ext: &str) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == ext) {
                out.push(p);
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn back_up_list_browse_and_export_a_mailbox() {
    let sim = small_sim().await;
    let dir = Dir::new();
    let repo = dir.path().join("repo");
    dir.add(&sim, "contoso", "full", &[]).await;
    let init = m365vault(&dir, &repo, &["repo", "init"]).await;
    assert_eq!(init.code, 0, "{}{}", init.stdout, init.stderr);

    // Nothing chosen: a clear error, nothing written.
    let none = m365vault(&dir, &repo, &["backup", "run", "--connector", "contoso"]).await;
    assert_eq!(none.code, 1);
    assert!(
        none.stderr.contains("--users") && none.stderr.contains("--all"),
        "{}",
        none.stderr
    );
    let unknown = m365vault(
        &dir,
        &repo,
        &[
            "backup",
            "run",
            "--connector",
            "contoso",
            "--users",
            "nobody@nowhere.example",
        ],
    )
    .await;
    assert_eq!(unknown.code, 1);
    assert!(
        unknown.stderr.contains("no user 'nobody@nowhere.example'"),
        "{}",
        unknown.stderr
    );

    let user = sim.credentials.admin_user.to_ascii_lowercase();
    let run = m365vault(
        &dir,
        &repo,
        &[
            "backup",
            "run",
            "--connector",
            "contoso",
            "--users",
            &user,
            "--data",
            "mail",
            "--json",
        ],
    )
    .await;
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let summary = run.json();
    assert_eq!(summary["status"], "complete");
    for key in ["run_id", "items", "bytes", "failed_items", "throttled"] {
        assert!(
            summary.get(key).is_some(),
            "backup run --json has {key}: {summary}"
        );
    }
    let run_id = summary["run_id"].as_str().expect("run id").to_owned();

    let list = m365vault(&dir, &repo, &["backup", "list", "--json"]).await;
    assert_eq!(list.code, 0, "{}", list.stderr);
    let runs = list.json();
    assert_eq!(runs.as_array().map(Vec::len), Some(1));
    assert_eq!(runs[0]["id"], run_id.as_str());
    assert_eq!(runs[0]["status"], "complete");
    assert!(runs[0]["started_at"].is_string() && runs[0]["finished_at"].is_string());

    let show = m365vault(&dir, &repo, &["backup", "show", "latest"]).await;
    assert_eq!(show.code, 0, "{}", show.stderr);
    assert!(show.stdout.contains(&user), "{}", show.stdout);

    let top = m365vault(&dir, &repo, &["ls", "latest", "--json"]).await;
    assert_eq!(top.json()[0]["name"], user.as_str());
    let inbox = m365vault(
        &dir,
        &repo,
        &["ls", &run_id[..12], &format!("{user}/Inbox")],
    )
    .await;
    assert_eq!(inbox.code, 0, "{}", inbox.stderr);
    let nowhere = m365vault(
        &dir,
        &repo,
        &["ls", "latest", &format!("{user}/No such folder")],
    )
    .await;
    assert_eq!(nowhere.code, 1);
    assert!(
        nowhere.stderr.contains("holds nothing"),
        "{}",
        nowhere.stderr
    );

    // EML: byte-identical to the MIME Microsoft 365 serves, one file per message.
    let truth: Vec<serde_json::Value> = reqwest::get(format!(
        "{}/_sim/truth/items?user={user}&kind=message",
        sim.base_url
    ))
    .await
    .expect("truth")
    .json()
    .await
    .expect("json");
    let eml_dir = dir.path().join("eml");
    export(&dir, &repo, &user, "eml", &eml_dir).await;
    let mut exported: BTreeMap<String, usize> = BTreeMap::new();
    for f in files(&eml_dir, "eml") {
        *exported
            .entry(sha256_hex(&std::fs::read(&f).expect("read")))
            .or_default() += 1;
    }
    let mut expected: BTreeMap<String, usize> = BTreeMap::new();
    for t in &truth {
        *expected
            .entry(t["sha256"].as_str().expect("sha").to_ascii_lowercase())
            .or_default() += 1;
    }
    assert!(!expected.is_empty());
    assert_eq!(exported, expected, "every message exported byte for byte");

    // The same into a zip file.
    let zip_path = dir.path().join("adele.zip");
    export(&dir, &repo, &user, "eml", &zip_path).await;
    let mut archive =
        zip::ZipArchive::new(std::fs::File::open(&zip_path).expect("zip file")).expect("a zip");
    let mut zipped: BTreeMap<String, usize> = BTreeMap::new();
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).expect("entry");
        let name = entry.name().expect("entry name").into_owned();
        assert!(name.ends_with(".eml"), "{name}");
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut entry, &mut bytes).expect("read entry");
        *zipped.entry(sha256_hex(&bytes)).or_default() += 1;
    }
    assert_eq!(zipped, expected, "every message in the zip byte for byte");

    // MBOX: mail-parser (an independent reader) finds every message.
    let mbox_dir = dir.path().join("mbox");
    export(&dir, &repo, &user, "mbox", &mbox_dir).await;
    let mut count = 0;
    for f in files(&mbox_dir, "mbox") {
        let bytes = std::fs::read(&f).expect("read");
        for message in
            mail_parser::mailbox::mbox::MessageIterator::new(std::io::Cursor::new(&bytes[..]))
        {
            let message = message.expect("an mbox message");
            assert!(
                mail_parser::MessageParser::default()
                    .parse(message.contents())
                    .is_some(),
                "{} holds a message mail-parser cannot read",
                f.display()
            );
            count += 1;
        }
    }
    assert_eq!(count, truth.len());

    // Restore the Inbox under /Restored in the same mailbox; the run names its connector.
    let dry = m365vault(
        &dir,
        &repo,
        &[
            "restore",
            "--run",
            "latest",
            "--user",
            &user,
            "--folder",
            "/Inbox",
            "--to-folder",
            "/Restored",
            "--data",
            "mail",
            "--dry-run",
            "--json",
        ],
    )
    .await;
    assert_eq!(dry.code, 0, "{}{}", dry.stdout, dry.stderr);
    assert_eq!(dry.json()["restored"], 0);
    let inbox_count = truth.iter().filter(|t| t["path"] == "/Inbox").count();
    let restore = m365vault(
        &dir,
        &repo,
        &[
            "restore",
            "--run",
            "latest",
            "--user",
            &user,
            "--folder",
            "/Inbox",
            "--to-folder",
            "/Restored",
            "--data",
            "mail",
            "--json",
        ],
    )
    .await;
    assert_eq!(restore.code, 0, "{}{}", restore.stdout, restore.stderr);
    let done = restore.json();
    assert_eq!(
        done["restored"].as_u64(),
        Some(inbox_count as u64),
        "{done}"
    );
    assert_eq!(done["failed"], 0);
    let bad = m365vault(
        &dir,
        &repo,
        &[
            "restore",
            "--run",
            "latest",
            "--user",
            &user,
            "--collisions",
            "overwrite",
        ],
    )
    .await;
    assert_eq!(bad.code, 1);
    assert!(
        bad.stderr.contains("skip, copy or replace"),
        "{}",
        bad.stderr
    );
}

/// `backup run` killed with SIGKILL at random moments, 20 times, then run to the end:
/// complete, equal to the truth, and the last run did not read everything again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_killed_twenty_times_resumes_to_the_truth() {
    let config = SimConfig {
        seed: 23,
        users: 6,
        mail_scale: 0.08,
        ..SimConfig::default()
    };
    let sim = SimServer::start(config, "127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("simulator");
    let dir = Dir::new();
    let repo = dir.path().join("repo");
    dir.add(&sim, "contoso", "full", &[]).await;
    let init = m365vault(&dir, &repo, &["repo", "init"]).await;
    assert_eq!(init.code, 0, "{}", init.stderr);
    let repo_s = repo.display().to_string();
    let args = [
        "backup",
        "run",
        "--connector",
        "contoso",
        "--all",
        "--data",
        "mail",
        "--checkpoint-every",
        "0.1",
        "--json",
    ];
    // Kill points spread over the first seconds of each attempt (seeded, reproducible).
    let env = [
        ("M365VAULT_REPO", repo_s.as_str()),
        ("M365VAULT_PASSPHRASE", PASS),
    ];
    dir.kill_repeatedly(&args, &env, 20, 0x9e37_79b9, 150..1650)
        .await;
    let last = m365vault(&dir, &repo, &args).await;
    assert!(last.code == 0, "{}{}", last.stdout, last.stderr);
    let summary = last.json();
    assert_eq!(summary["status"], "complete");

    // Every mailbox equals the truth (through an EML export of each).
    let mut total = 0;
    let users: Vec<serde_json::Value> =
        reqwest::get(format!("{}/_sim/truth/summary", sim.base_url))
            .await
            .expect("summary")
            .json::<serde_json::Value>()
            .await
            .expect("json")["users"]
            .as_array()
            .cloned()
            .unwrap_or_default();
    let shown = m365vault(&dir, &repo, &["ls", "latest", "--json"]).await;
    let backed: Vec<String> = shown
        .json()
        .as_array()
        .expect("list")
        .iter()
        .map(|e| e["name"].as_str().expect("name").to_owned())
        .collect();
    for u in users {
        let upn = u["userPrincipalName"]
            .as_str()
            .expect("upn")
            .to_ascii_lowercase();
        let r = reqwest::get(format!(
            "{}/_sim/truth/items?user={upn}&kind=message",
            sim.base_url
        ))
        .await
        .expect("truth");
        if r.status() != 200 {
            continue; // no mailbox
        }
        let truth: Vec<serde_json::Value> = r.json().await.expect("json");
        assert!(backed.contains(&upn), "{upn} is in the run");
        let out = dir.path().join("eml").join(&upn);
        export(&dir, &repo, &upn, "eml", &out).await;
        let mut exported: Vec<String> = files(&out, "eml")
            .iter()
            .map(|f| sha256_hex(&std::fs::read(f).expect("read")))
            .collect();
        let mut expected: Vec<String> = truth
            .iter()
            .map(|t| t["sha256"].as_str().expect("sha").to_ascii_lowercase())
            .collect();
        exported.sort();
        expected.sort();
        assert_eq!(exported, expected, "{upn}");
        total += expected.len() as u64;
    }
    assert!(total > 50, "a tenant big enough to be interrupted: {total}");
    assert!(
        summary["items_read"].as_u64().expect("items_read") < total,
        "the last run built on what the killed ones stored: {summary}"
    );
    let check = m365vault(&dir, &repo, &["repo", "check"]).await;
    assert_eq!(check.code, 0, "{}{}", check.stdout, check.stderr);
}

/// Calendars and contacts export as iCalendar and vCard that calcard (an independent
/// parser) reads back: every event and contact of the mailbox, by subject and name.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calendars_and_contacts_export_as_ics_and_vcf() {
    let sim = small_sim().await;
    let dir = Dir::new();
    let repo = dir.path().join("repo");
    dir.add(&sim, "contoso", "full", &[]).await;
    assert_eq!(m365vault(&dir, &repo, &["repo", "init"]).await.code, 0);
    let user = sim.credentials.admin_user.to_ascii_lowercase();
    let run = m365vault(
        &dir,
        &repo,
        &[
            "backup",
            "run",
            "--connector",
            "contoso",
            "--users",
            &user,
            "--data",
            "calendar,contacts",
        ],
    )
    .await;
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let token_graph =
        |kind: &str| format!("{}/_sim/truth/items?user={user}&kind={kind}", sim.base_url);
    let events: Vec<serde_json::Value> = reqwest::get(token_graph("event"))
        .await
        .expect("truth")
        .json()
        .await
        .expect("json");
    let contacts: Vec<serde_json::Value> = reqwest::get(token_graph("contact"))
        .await
        .expect("truth")
        .json()
        .await
        .expect("json");
    assert!(!events.is_empty() && !contacts.is_empty());

    for (format, ext, expected) in [("ics", "ics", events.len()), ("vcf", "vcf", contacts.len())] {
        let out = dir.path().join(format);
        export(&dir, &repo, &user, format, &out).await;
        let mut found = 0;
        for f in files(&out, ext) {
            let text = std::fs::read_to_string(&f).expect("utf-8");
            assert!(
                text.ends_with("\r\n") && text.lines().all(|l| l.len() <= 75),
                "{}",
                f.display()
            );
            let mut parser = calcard::Parser::new(&text);
            loop {
                match parser.entry() {
                    calcard::Entry::ICalendar(c) => {
                        // Series masters and single events; exceptions share their master's UID.
                        let uids: std::collections::BTreeSet<String> = c
                            .components
                            .iter()
                            .filter(|comp| {
                                comp.component_type
                                    == calcard::icalendar::ICalendarComponentType::VEvent
                            })
                            .filter_map(|comp| comp.uid().map(str::to_owned))
                            .collect();
                        found += uids.len();
                    }
                    calcard::Entry::VCard(_) => found += 1,
                    calcard::Entry::Eof => break,
                    other => panic!(
                        "{} holds something calcard cannot read: {other:?}",
                        f.display()
                    ),
                }
            }
        }
        assert_eq!(found, expected, "{format}: every item exported");
    }
}
