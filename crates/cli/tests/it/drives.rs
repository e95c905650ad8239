//! `m365vault backup run --data onedrive`, `export --format files|zip` and
//! `restore --drive` as an administrator uses them.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use sim::{SimConfig, SimServer};

use crate::common::{Dir, Run};

const PASS: &str = "orchard lamp 4";

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

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Every file under `root` (but the metadata file): relative path → sha256.
fn tree(root: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_owned()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let rel = p.strip_prefix(root).expect("under root");
            let rel = format!("/{}", rel.to_string_lossy());
            if rel != "/.m365vault-metadata.json" {
                out.insert(rel, sha256_hex(&std::fs::read(&p).expect("read")));
            }
        }
    }
    out
}

async fn truth(sim: &SimServer, upn: &str) -> Option<BTreeMap<String, String>> {
    let r = reqwest::get(format!(
        "{}/_sim/truth/items?user={upn}&kind=file",
        sim.base_url
    ))
    .await
    .expect("truth");
    if r.status() != 200 {
        return None;
    }
    let items: Vec<Value> = r.json().await.expect("json");
    Some(
        items
            .iter()
            .map(|v| {
                (
                    v["path"].as_str().expect("path").to_owned(),
                    v["sha256"].as_str().expect("sha").to_ascii_lowercase(),
                )
            })
            .collect(),
    )
}

/// `backup run --data onedrive` killed with SIGKILL at random moments, then run to
/// the end: complete, every OneDrive's export equals the truth byte for byte, the
/// last run did not read everything again, and the repository checks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_onedrive_backup_killed_and_resumed_exports_the_truth() {
    // Microsoft's limits, with a larger tenant's budget so that the test is quick.
    let config = SimConfig {
        seed: 31,
        users: 6,
        drive_scale: 0.05,
        sharepoint_limits: sim::throttle::SharePointLimits {
            ru_per_minute: Some(12_000),
            ..Default::default()
        },
        ..SimConfig::default()
    };
    let sim = SimServer::start(config, "127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("simulator");
    let summary: Value = reqwest::get(format!("{}/_sim/truth/summary", sim.base_url))
        .await
        .expect("summary")
        .json()
        .await
        .expect("json");
    let drives: Vec<String> = summary["oneDrives"]
        .as_array()
        .expect("OneDrives")
        .iter()
        .map(|d| {
            d["userPrincipalName"]
                .as_str()
                .expect("upn")
                .to_ascii_lowercase()
        })
        .collect();
    // A file large enough for a kill to land in the middle of it.
    let r = reqwest::Client::new()
        .post(format!("{}/_sim/files", sim.base_url))
        .json(
            &json!({"user": drives[0], "path": "/Media/talk.mp4", "size": 40u64 << 20, "seed": 2}),
        )
        .send()
        .await
        .expect("add file");
    assert!(r.status().is_success());
    let dir = Dir::new();
    let repo = dir.path().join("repo");
    dir.add(&sim, "contoso", "full", &["--data-types", "onedrive"])
        .await;
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
        "onedrive",
        "--checkpoint-every",
        "0.1",
        "--resource-units-per-minute",
        "12000",
        "--json",
    ];
    let env = [
        ("M365VAULT_REPO", repo_s.as_str()),
        ("M365VAULT_PASSPHRASE", PASS),
    ];
    dir.kill_repeatedly(&args, &env, 8, 0x51_7cc1_b727_220a, 200..1400)
        .await;
    let last = m365vault(&dir, &repo, &args).await;
    assert!(last.code == 0, "{}{}", last.stdout, last.stderr);
    let result = last.json();
    assert_eq!(result["status"], "complete");

    let mut total = 0;
    for upn in &drives {
        let Some(expected) = truth(&sim, upn).await else {
            continue;
        };
        let out = dir.path().join("files").join(upn);
        let out_s = out.display().to_string();
        let run = m365vault(
            &dir,
            &repo,
            &[
                "export", "--run", "latest", "--user", upn, "--data", "onedrive", "--format",
                "files", "--out", &out_s,
            ],
        )
        .await;
        assert_eq!(run.code, 0, "export: {}", run.stderr);
        assert_eq!(tree(&out), expected, "OneDrive of {upn}");
        let metadata: Value = serde_json::from_slice(
            &std::fs::read(out.join(".m365vault-metadata.json")).expect("metadata file"),
        )
        .expect("metadata JSON");
        let described = metadata["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter(|i| i["kind"] == "file")
            .count();
        assert_eq!(described, expected.len(), "metadata of {upn}");
        total += expected.len();
    }
    assert!(
        total > 20,
        "OneDrives big enough to be interrupted: {total}"
    );
    assert!(
        result["items_read"].as_u64().expect("items_read") < total as u64,
        "the last run read only what the killed ones had not: {result}"
    );

    // The same OneDrive as a zip file.
    let zip_dir = dir.path().join("zips");
    let zip_s = zip_dir.display().to_string();
    let run = m365vault(
        &dir,
        &repo,
        &[
            "export", "--run", "latest", "--user", &drives[0], "--format", "zip", "--out", &zip_s,
        ],
    )
    .await;
    assert_eq!(run.code, 0, "zip export: {}", run.stderr);
    let zip_file = std::fs::read_dir(&zip_dir)
        .expect("zip dir")
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "zip"))
        .expect("a zip file");
    let mut archive =
        zip::ZipArchive::new(std::fs::File::open(&zip_file).expect("open")).expect("a zip");
    let mut zipped = BTreeMap::new();
    for i in 0..archive.len() {
        let mut f = archive.by_index(i).expect("entry");
        let name = format!("/{}", f.name().expect("entry name"));
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut f, &mut bytes).expect("read entry");
        if name != "/.m365vault-metadata.json" {
            zipped.insert(name, sha256_hex(&bytes));
        }
    }
    assert_eq!(zipped, truth(&sim, &drives[0]).await.expect("truth"));

    let check = m365vault(&dir, &repo, &["repo", "check"]).await;
    assert_eq!(check.code, 0, "{}{}", check.stdout, check.stderr);

    // Back into another user's OneDrive, under /Restored, through the binary.
    let restore = m365vault(
        &dir,
        &repo,
        &[
            "restore",
            "--run",
            "latest",
            "--user",
            &drives[0],
            "--drive",
            "--to-user",
            &drives[1],
            "--to-folder",
            "/Restored",
            "--json",
        ],
    )
    .await;
    assert_eq!(restore.code, 0, "{}{}", restore.stdout, restore.stderr);
    let restored: BTreeMap<String, String> = truth(&sim, &drives[1])
        .await
        .expect("truth")
        .into_iter()
        .filter_map(|(p, sha)| Some((p.strip_prefix("/Restored")?.to_owned(), sha)))
        .collect();
    assert_eq!(restored, truth(&sim, &drives[0]).await.expect("truth"));
}
