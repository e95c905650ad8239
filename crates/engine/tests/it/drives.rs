//! OneDrive and SharePoint backups against the simulator's truth.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::engine::{BackupOptions, SiteSpec, resolve_sites};
use crate::support::{World, config, hex, world};

/// A file as compared: full path in its drive, sha256, size.
type Files = BTreeMap<String, (String, String, u64)>;

fn drive_config(users: usize) -> sim::SimConfig {
    sim::SimConfig {
        drive_scale: 0.02,
        ..config(users)
    }
}

fn onedrive_options(world: &World) -> BackupOptions {
    let mut o = world.options();
    o.data.mail = false;
    o.data.onedrive = true;
    o
}

impl World {
    /// `GET /_sim/truth/items?QUERY`, or `None` when the simulator answers 404.
    pub(crate) async fn truth_query(&self, query: &str) -> Option<Vec<Value>> {
        let r = reqwest::get(format!("{}/_sim/truth/items?{query}", self.sim.base_url))
            .await
            .expect("truth");
        if r.status() == 404 {
            return None;
        }
        assert_eq!(r.status(), 200, "truth {query}");
        Some(r.json().await.expect("truth json"))
    }

    /// Records of `resource` of `kind` in the latest run, with their content.
    pub(crate) async fn latest_records(
        &self,
        resource: &str,
        kind: &str,
    ) -> Vec<(store::ItemRecord, Vec<u8>)> {
        let repo = &self.target.repo;
        let run = crate::engine::browse::open_run(repo, self.target.catalog.as_ref(), "latest")
            .await
            .expect("latest run");
        let mut records = Vec::new();
        crate::engine::browse::each_item(repo, &run.manifest, |r| {
            if r.resource == resource && r.kind == kind && r.deleted.is_none() {
                records.push(r);
            }
        })
        .await
        .expect("items");
        let mut out = Vec::new();
        for r in records {
            let mut bytes = Vec::new();
            repo.restore_item(&r, &mut bytes).await.expect("restore");
            out.push((r, bytes));
        }
        out
    }

    /// The files of `resource` in the latest run: id → (path in the drive, sha256,
    /// size); `strip_library`: site paths start with the library's name.
    async fn backed_up_files(&self, resource: &str, strip_library: bool) -> Files {
        self.latest_records(resource, "file")
            .await
            .into_iter()
            .map(|(r, bytes)| {
                let name = r.meta["name"].as_str().expect("name");
                let mut folder = r.path.clone();
                if strip_library {
                    let rest = folder[1..].find('/').map(|i| folder[i + 1..].to_owned());
                    folder = rest.unwrap_or_else(|| "/".into());
                }
                let path = if folder == "/" {
                    format!("/{name}")
                } else {
                    format!("{folder}/{name}")
                };
                (
                    r.id,
                    (path, hex(&Sha256::digest(&bytes)), bytes.len() as u64),
                )
            })
            .collect()
    }
}

fn truth_files(items: &[Value]) -> Files {
    items
        .iter()
        .map(|v| {
            (
                v["id"].as_str().expect("id").to_owned(),
                (
                    v["path"].as_str().expect("path").to_owned(),
                    v["sha256"].as_str().expect("sha").to_ascii_lowercase(),
                    v["size"].as_u64().expect("size"),
                ),
            )
        })
        .collect()
}

/// Every OneDrive in the backup equals the truth; returns how many files there were.
async fn assert_onedrives_equal_truth(w: &World, users: &[crate::engine::Mailbox]) -> usize {
    let mut files = 0;
    let mut drives = 0;
    for u in users {
        let Some(truth) = w.truth_query(&format!("user={}&kind=file", u.upn)).await else {
            continue;
        };
        let expected = truth_files(&truth);
        let got = w
            .backed_up_files(&format!("onedrive:{}", u.upn.to_ascii_lowercase()), false)
            .await;
        assert_eq!(got, expected, "OneDrive of {}", u.upn);
        files += expected.len();
        drives += 1;
    }
    assert!(
        drives > 0 && files > 0,
        "the tenant has OneDrives with files"
    );
    files
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn onedrive_full_then_incremental_equals_the_truth() {
    let w = world(drive_config(5)).await;
    let users = w.all().await;
    let mut options = onedrive_options(&w);
    options.versions = 2;
    let first = w.backup_with(users.clone(), options.clone()).await;
    assert_eq!(first.status, "complete", "{:?}", first.failures);
    assert!(first.onedrives > 0);
    let files = assert_onedrives_equal_truth(&w, &users).await;
    // Older versions: the newest two of each file, byte for byte.
    let mut versions = 0;
    for u in &users {
        let Some(truth) = w.truth_query(&format!("user={}&kind=file", u.upn)).await else {
            continue;
        };
        let stored: BTreeMap<String, String> = w
            .latest_records(
                &format!("onedrive:{}", u.upn.to_ascii_lowercase()),
                "fileVersion",
            )
            .await
            .into_iter()
            .map(|(r, bytes)| (r.id, hex(&Sha256::digest(&bytes))))
            .collect();
        for f in &truth {
            let id = f["id"].as_str().expect("id");
            for v in f["versions"].as_array().into_iter().flatten().take(2) {
                let key = format!("{id}:{}", v["id"].as_str().expect("version id"));
                assert_eq!(
                    stored.get(&key).map(String::as_str),
                    v["sha256"].as_str(),
                    "version {key} of {}",
                    u.upn
                );
                versions += 1;
            }
        }
    }
    assert!(versions > 0, "some files have older versions");

    let changed = w
        .mutate(
            json!({"seed": 11, "add": 3, "modify": 3, "move": 2, "delete": 2, "kinds": ["file"]}),
        )
        .await;
    assert!(!changed.is_null());
    let second = w.backup_with(users.clone(), options).await;
    assert_eq!(second.status, "complete", "{:?}", second.failures);
    let now = assert_onedrives_equal_truth(&w, &users).await;
    assert!(
        second.items_read < now as u64 / 2,
        "the incremental run read {} of {now} files (first run: {files})",
        second.items_read
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sites_libraries_and_lists_equal_the_truth_and_a_locked_site_is_skipped() {
    let w = world(drive_config(6)).await;
    let sites = resolve_sites(
        &w.graph,
        &SiteSpec {
            all: true,
            ..SiteSpec::default()
        },
    )
    .await
    .expect("sites");
    assert!(sites.len() >= 2, "the tenant has sites: {sites:?}");
    let mut options = w.options();
    options.data.mail = false;
    options.data.sharepoint = true;
    options.sites = sites.clone();
    let first = w.backup_with(Vec::new(), options.clone()).await;
    assert_eq!(first.status, "complete", "{:?}", first.failures);
    assert!(first.resource_units > 0);
    let mut lists = 0;
    let mut biggest = (0, 0);
    for (i, s) in sites.iter().enumerate() {
        let resource = format!("site:{}", s.id.to_ascii_lowercase());
        let truth = w
            .truth_query(&format!("site={}&kind=file", s.id))
            .await
            .expect("site truth");
        assert_eq!(
            w.backed_up_files(&resource, true).await,
            truth_files(&truth),
            "files of {}",
            s.web_url
        );
        if truth.len() > biggest.1 {
            biggest = (i, truth.len());
        }
        let truth = w
            .truth_query(&format!("site={}&kind=listItem", s.id))
            .await
            .expect("list truth");
        let expected: BTreeMap<String, String> = truth
            .iter()
            .map(|v| {
                (
                    format!(
                        "{}:{}",
                        v["list"].as_str().expect("list"),
                        v["id"].as_str().expect("id")
                    ),
                    v["sha256"].as_str().expect("sha").to_ascii_lowercase(),
                )
            })
            .collect();
        let got: BTreeMap<String, String> = w
            .latest_records(&resource, "listItem")
            .await
            .into_iter()
            .map(|(r, bytes)| {
                let item: Value = serde_json::from_slice(&bytes).expect("item JSON");
                let fields = sim::mailbox::truth::canonical(&item["fields"]);
                (r.id, hex(&Sha256::digest(&fields)))
            })
            .collect();
        assert_eq!(got, expected, "list items of {}", s.web_url);
        lists += expected.len();
    }
    assert!(lists > 0, "the sites have list items");

    // A site that refuses access is recorded and skipped; the others are kept.
    let locked = &sites[biggest.0];
    let r = reqwest::Client::new()
        .post(format!("{}/_sim/sites/lock", w.sim.base_url))
        .json(&json!({"site": locked.id, "lockState": "noAccess"}))
        .send()
        .await
        .expect("lock");
    assert_eq!(r.status(), 200);
    w.mutate(json!({"seed": 5, "add": 2, "modify": 2, "delete": 1, "kinds": ["file", "listItem"]}))
        .await;
    let second = w.backup_with(Vec::new(), options).await;
    assert_eq!(second.status, "partial");
    assert!(
        second
            .failures
            .iter()
            .any(|f| f.resource == format!("site:{}", locked.id.to_ascii_lowercase())),
        "{:?}",
        second.failures
    );
    for s in sites.iter().filter(|s| s.id != locked.id) {
        let truth = w
            .truth_query(&format!("site={}&kind=file", s.id))
            .await
            .expect("site truth");
        assert_eq!(
            w.backed_up_files(&format!("site:{}", s.id.to_ascii_lowercase()), true)
                .await,
            truth_files(&truth),
            "files of {} after changes",
            s.web_url
        );
    }
    // The locked site's earlier files are still in the run.
    let kept = w
        .backed_up_files(&format!("site:{}", locked.id.to_ascii_lowercase()), true)
        .await;
    assert!(!kept.is_empty(), "the locked site's files were kept");
}

/// Requests of `endpoint` (a route template) the simulator has answered.
fn endpoint_count(stats: &Value, endpoint: &str) -> u64 {
    stats["by_endpoint"][endpoint].as_u64().unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_download_url_that_expires_mid_file_is_renewed_and_the_file_completes() {
    let clock = sim::ManualClock::new();
    let w = world(sim::SimConfig {
        clock: Some(std::sync::Arc::new(clock.clone())),
        download_url_ttl_secs: 60,
        ..drive_config(3)
    })
    .await;
    let users = w.all().await;
    let options = onedrive_options(&w);
    let first = w.backup_with(users.clone(), options.clone()).await;
    assert_eq!(first.status, "complete", "{:?}", first.failures);
    let owner = w.sim.base_url.clone();
    let upn = {
        let summary: Value = reqwest::get(format!("{owner}/_sim/truth/summary"))
            .await
            .expect("summary")
            .json()
            .await
            .expect("summary json");
        summary["oneDrives"][0]["userPrincipalName"]
            .as_str()
            .expect("a OneDrive")
            .to_owned()
    };
    // 48 MiB: the first request is cut in the middle; before the client comes back
    // for the rest, the URL it holds expires.
    let r = reqwest::Client::new()
        .post(format!("{owner}/_sim/files"))
        .json(&json!({"user": upn, "path": "/Videos/big.bin", "size": 48u64 << 20, "seed": 3}))
        .send()
        .await
        .expect("add file");
    assert!(r.status().is_success());
    w.faults(json!({"seed": 1, "reset": 1.0, "paths": "download.aspx"}))
        .await;
    let before = w.sim_stats().await;
    let download = "GET /_layouts/15/download.aspx";
    let watcher = {
        let base = owner.clone();
        let clock = clock.clone();
        tokio::spawn(async move {
            loop {
                let s: Value = reqwest::get(format!("{base}/_sim/stats"))
                    .await
                    .expect("stats")
                    .json()
                    .await
                    .expect("stats json");
                if endpoint_count(&s, download) > endpoint_count(&before, download) {
                    clock.advance(time::Duration::seconds(120));
                    let r = reqwest::Client::new()
                        .post(format!("{base}/_sim/faults"))
                        .json(&json!({}))
                        .send()
                        .await
                        .expect("faults off");
                    assert_eq!(r.status(), 200);
                    return;
                }
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
        })
    };
    let before = w.sim_stats().await;
    let second = w.backup_with(users.clone(), options).await;
    watcher.await.expect("watcher");
    assert_eq!(second.status, "complete", "{:?}", second.failures);
    assert_eq!(second.items_read, 1, "only the new file was read");
    let after = w.sim_stats().await;
    let content = "GET /v1.0/drives/{drive}/items/{item}/content";
    assert!(
        endpoint_count(&after, content) >= endpoint_count(&before, content) + 2,
        "a second download URL was asked for: {:?}",
        after["by_endpoint"]
    );
    assert_onedrives_equal_truth(&w, &users).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_and_expired_delta_tokens_still_give_the_truth() {
    let w = world(drive_config(6)).await;
    let users = w.all().await;
    let options = onedrive_options(&w);
    w.faults(json!({"seed": 9, "server_error": 0.05, "reset": 0.05}))
        .await;
    let first = w.backup_with(users.clone(), options.clone()).await;
    assert_eq!(first.status, "complete", "{:?}", first.failures);
    assert_onedrives_equal_truth(&w, &users).await;
    w.mutate(json!({"seed": 4, "add": 4, "modify": 4, "move": 4, "delete": 3, "kinds": ["file"]}))
        .await;
    // Every saved delta token has expired: each drive is enumerated again.
    w.faults(
        json!({"seed": 3, "server_error": 0.05, "expired_delta": 1.0, "paths": "/root/delta"}),
    )
    .await;
    let second = w.backup_with(users.clone(), options).await;
    assert_eq!(second.status, "complete", "{:?}", second.failures);
    assert_onedrives_equal_truth(&w, &users).await;
    assert!(
        second.items_read < 20,
        "files already stored were not downloaded again after the resync: {}",
        second.items_read
    );
    let stats = w.sim_stats().await;
    for fault in ["server_error", "reset", "expired_delta"] {
        assert!(
            stats["faults"][fault].as_u64().unwrap_or(0) > 0,
            "{fault} happened: {:?}",
            stats["faults"]
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_onedrive_restored_to_another_user_has_every_file_with_the_same_hash() {
    use crate::engine::restore::Collisions;
    use crate::engine::restore::files::{FileRestoreRequest, FileTarget, restore_files};
    let w = world(drive_config(5)).await;
    let summary: Value = reqwest::get(format!("{}/_sim/truth/summary", w.sim.base_url))
        .await
        .expect("summary")
        .json()
        .await
        .expect("summary json");
    let drives = summary["oneDrives"].as_array().expect("OneDrives");
    assert!(drives.len() >= 2, "two users have a OneDrive");
    let source = drives[0]["userPrincipalName"]
        .as_str()
        .expect("upn")
        .to_owned();
    let target = drives[1]["userPrincipalName"]
        .as_str()
        .expect("upn")
        .to_owned();
    // One file large enough to go up through an upload session in several pieces.
    let r = reqwest::Client::new()
        .post(format!("{}/_sim/files", w.sim.base_url))
        .json(&json!({"user": source, "path": "/Large/video.mp4", "size": 23u64 << 20, "seed": 8}))
        .send()
        .await
        .expect("add file");
    assert!(r.status().is_success());
    let users = w.all().await;
    let backup = w.backup_with(users, onedrive_options(&w)).await;
    assert_eq!(backup.status, "complete", "{:?}", backup.failures);
    let repo = &w.target.repo;
    let run = crate::engine::browse::open_run(repo, w.target.catalog.as_ref(), "latest")
        .await
        .expect("run");
    let mut request = FileRestoreRequest {
        source: format!("onedrive:{source}"),
        folder: None,
        items: Vec::new(),
        target: FileTarget::OneDrive(target.clone()),
        to_folder: Some("/Restored".into()),
        collisions: Collisions::Skip,
        dry_run: true,
    };
    let before = w
        .truth_query(&format!("user={target}&kind=file"))
        .await
        .expect("truth");
    let dry = restore_files(&w.graph, repo, &run.manifest, &request)
        .await
        .expect("dry run");
    let expected = truth_files(
        &w.truth_query(&format!("user={source}&kind=file"))
            .await
            .expect("truth"),
    );
    assert_eq!(dry.items.len(), expected.len());
    assert_eq!(
        w.truth_query(&format!("user={target}&kind=file"))
            .await
            .expect("truth")
            .len(),
        before.len(),
        "a dry run writes nothing"
    );
    request.dry_run = false;
    let done = restore_files(&w.graph, repo, &run.manifest, &request)
        .await
        .expect("restore");
    assert_eq!(done.failed, 0, "{:?}", done.items);
    assert_eq!(done.restored as usize, expected.len());
    let restored: BTreeMap<String, (String, u64)> = w
        .truth_query(&format!("user={target}&kind=file"))
        .await
        .expect("truth")
        .iter()
        .filter_map(|v| {
            let path = v["path"].as_str()?.strip_prefix("/Restored")?.to_owned();
            Some((
                path,
                (v["sha256"].as_str()?.to_owned(), v["size"].as_u64()?),
            ))
        })
        .collect();
    let wanted: BTreeMap<String, (String, u64)> = expected
        .values()
        .map(|(p, sha, size)| (p.clone(), (sha.clone(), *size)))
        .collect();
    assert_eq!(
        restored, wanted,
        "every file under /Restored with its bytes"
    );
    // Again: everything is there already.
    let again = restore_files(&w.graph, repo, &run.manifest, &request)
        .await
        .expect("restore again");
    assert_eq!((again.restored, again.skipped), (0, expected.len() as u64));
}
