//! OneDrive and document libraries: delta against the ground truth, downloads
//! through pre-authenticated URLs, upload sessions, simple uploads, big files.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use m365vault_sim::{ManualClock, SimConfig, SimServer};
use reqwest::Method;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::common::{app_token, client, get, send, sim};

pub async fn drive_sim(seed: u64) -> SimServer {
    sim(SimConfig {
        seed,
        users: 12,
        drive_scale: 0.03,
        ..SimConfig::default()
    })
    .await
}

pub async fn summary(sim: &SimServer) -> Value {
    client()
        .get(format!("{}/_sim/truth/summary", sim.base_url))
        .send()
        .await
        .expect("summary")
        .json()
        .await
        .expect("json")
}

pub async fn truth(sim: &SimServer, query: &str) -> Vec<Value> {
    let r = client()
        .get(format!("{}/_sim/truth/items?{query}", sim.base_url))
        .send()
        .await
        .expect("truth");
    assert_eq!(r.status(), 200, "truth {query}");
    r.json::<Vec<Value>>().await.expect("json")
}

pub async fn mutate(sim: &SimServer, body: Value) -> Value {
    let r = client()
        .post(format!("{}/_sim/mutate", sim.base_url))
        .json(&body)
        .send()
        .await
        .expect("mutate");
    assert_eq!(r.status(), 200);
    r.json().await.expect("json")
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Follows a delta round to its delta link: every entry, and the link.
async fn delta_round(sim: &SimServer, token: &str, start: &str) -> (Vec<Value>, String) {
    let mut out = Vec::new();
    let mut next = start.to_owned();
    for _ in 0..500 {
        let (status, body) = get(sim, token, &next).await;
        assert_eq!(status, 200, "{next}: {body}");
        out.extend(body["value"].as_array().cloned().unwrap_or_default());
        if let Some(link) = body["@odata.deltaLink"].as_str() {
            return (out, link.to_owned());
        }
        next = body["@odata.nextLink"]
            .as_str()
            .expect("a next or delta link")
            .to_owned();
    }
    panic!("delta never ended");
}

#[derive(Debug, Clone)]
struct Known {
    name: String,
    parent: Option<String>,
    qxh: Option<String>,
    size: u64,
    file: bool,
}

/// Applies delta entries to a local picture of the drive.
fn apply(state: &mut HashMap<String, Known>, entries: &[Value]) {
    for e in entries {
        let id = e["id"].as_str().expect("id").to_owned();
        if e.get("deleted").is_some() {
            state.remove(&id);
            continue;
        }
        state.insert(
            id,
            Known {
                name: e["name"].as_str().expect("name").to_owned(),
                parent: e["parentReference"]["id"].as_str().map(str::to_owned),
                qxh: e["file"]["hashes"]["quickXorHash"]
                    .as_str()
                    .map(str::to_owned),
                size: e["size"].as_u64().expect("size"),
                file: e.get("file").is_some(),
            },
        );
    }
}

/// (path, quickXorHash, size) of every file, paths rebuilt from parentReference.
fn files_of(state: &HashMap<String, Known>) -> HashSet<(String, String, u64)> {
    let path = |id: &str| {
        let mut names = Vec::new();
        let mut cur = state.get(id);
        while let Some(k) = cur {
            let Some(p) = &k.parent else { break };
            names.push(k.name.clone());
            cur = state.get(p);
        }
        names.reverse();
        format!("/{}", names.join("/"))
    };
    state
        .iter()
        .filter(|(_, k)| k.file)
        .map(|(id, k)| (path(id), k.qxh.clone().unwrap_or_default(), k.size))
        .collect()
}

fn truth_files(items: &[Value]) -> HashSet<(String, String, u64)> {
    items
        .iter()
        .map(|t| {
            (
                t["path"].as_str().expect("path").to_owned(),
                t["quickXorHash"].as_str().expect("qxh").to_owned(),
                t["size"].as_u64().expect("size"),
            )
        })
        .collect()
}

pub async fn first_onedrive(sim: &SimServer) -> (String, String) {
    let s = summary(sim).await;
    let d = &s["oneDrives"][0];
    (
        d["userPrincipalName"].as_str().expect("upn").to_owned(),
        d["driveId"].as_str().expect("drive").to_owned(),
    )
}

#[tokio::test]
async fn delta_enumerates_the_truth_and_then_exactly_the_changes() {
    let sim = drive_sim(21).await;
    let token = app_token(&sim, "full").await;
    let (upn, drive) = first_onedrive(&sim).await;
    let (status, d) = get(&sim, &token, &format!("/users/{upn}/drive")).await;
    assert_eq!(status, 200, "{d}");
    assert_eq!(d["id"], drive);
    assert_eq!(d["driveType"], "business");

    let (entries, link) =
        delta_round(&sim, &token, &format!("/drives/{drive}/root/delta?$top=4")).await;
    assert!(
        entries.iter().any(|e| e.get("root").is_some()),
        "the root is listed"
    );
    let mut seen = HashSet::new();
    for e in &entries {
        assert!(
            e.get("deleted").is_none(),
            "a first round reports no deletions"
        );
        assert!(
            e["parentReference"].get("path").is_none(),
            "delta items carry no path"
        );
        if let Some(p) = e["parentReference"]["id"].as_str() {
            assert!(seen.contains(p), "parent {p} listed before {}", e["id"]);
        }
        assert!(
            seen.insert(e["id"].as_str().expect("id").to_owned()),
            "listed once"
        );
    }
    let mut state = HashMap::new();
    apply(&mut state, &entries);
    let files = truth(&sim, &format!("user={upn}&kind=file")).await;
    assert!(files.len() >= 3);
    assert_eq!(files_of(&state), truth_files(&files));

    let changes = mutate(
        &sim,
        json!({"seed": 5, "add": 2, "modify": 2, "move": 3, "delete": 2, "kinds": ["file"], "users": [upn]}),
    )
    .await;
    let changed: HashSet<String> = changes["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .map(|c| c["id"].as_str().expect("id").to_owned())
        .collect();
    assert_eq!(changes["count"], 9);
    let (delta, _) = delta_round(&sim, &token, &link).await;
    let reported: HashSet<String> = delta
        .iter()
        .map(|e| e["id"].as_str().expect("id").to_owned())
        .collect();
    assert_eq!(reported, changed, "exactly the changes");
    // The last change of an item decides how it is reported.
    let mut last: HashMap<&str, &Value> = HashMap::new();
    for c in changes["changes"].as_array().expect("changes") {
        last.insert(c["id"].as_str().expect("id"), c);
    }
    for (id, c) in last {
        let e = delta.iter().find(|e| e["id"] == id).expect("reported");
        assert_eq!(c["op"] == "delete", e.get("deleted").is_some(), "{c} {e}");
        if c["op"] == "delete" {
            assert_eq!(e["deleted"]["state"], "deleted");
        }
    }
    apply(&mut state, &delta);
    let files = truth(&sim, &format!("user={upn}&kind=file")).await;
    assert_eq!(files_of(&state), truth_files(&files));
}

#[tokio::test]
async fn a_renamed_folder_is_reported_without_its_children() {
    let sim = drive_sim(22).await;
    let token = app_token(&sim, "full").await;
    let (upn, drive) = first_onedrive(&sim).await;
    let (status, folder) = send(
        &sim,
        Method::POST,
        &token,
        &format!("/drives/{drive}/root/children"),
        Some(
            json!({"name": "Alpha #1", "folder": {}, "@microsoft.graph.conflictBehavior": "fail"}),
        ),
        &[],
    )
    .await;
    assert_eq!(status, 201, "{folder}");
    let fid = folder["id"].as_str().expect("id").to_owned();
    let r = client()
        .put(format!(
            "{}/v1.0/drives/{drive}/items/{fid}:/inner%20file.txt:/content",
            sim.base_url
        ))
        .bearer_auth(&token)
        .body("hello")
        .send()
        .await
        .expect("put");
    assert_eq!(r.status(), 201);
    let (status, latest) = get(
        &sim,
        &token,
        &format!("/drives/{drive}/root/delta?token=latest"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(latest["value"].as_array().map(Vec::len), Some(0));
    let link = latest["@odata.deltaLink"]
        .as_str()
        .expect("link")
        .to_owned();
    let (status, renamed) = send(
        &sim,
        Method::PATCH,
        &token,
        &format!("/drives/{drive}/items/{fid}"),
        Some(json!({"name": "Beta"})),
        &[],
    )
    .await;
    assert_eq!(status, 200, "{renamed}");
    let (delta, _) = delta_round(&sim, &token, &link).await;
    assert_eq!(delta.len(), 1, "{delta:?}");
    assert_eq!(delta[0]["id"], fid.as_str());
    assert_eq!(delta[0]["name"], "Beta");
    let files = truth(&sim, &format!("user={upn}&kind=file")).await;
    assert!(files.iter().any(|f| f["path"] == "/Beta/inner file.txt"));
    // Path addressing finds it under its new name.
    let (status, item) = get(
        &sim,
        &token,
        &format!("/drives/{drive}/root:/Beta/inner%20file.txt"),
    )
    .await;
    assert_eq!(status, 200, "{item}");
    assert_eq!(item["size"], 5);
}

async fn download_url(sim: &SimServer, token: &str, path: &str) -> String {
    let r = client()
        .get(format!("{}/v1.0{path}", sim.base_url))
        .bearer_auth(token)
        .send()
        .await
        .expect("content");
    assert_eq!(r.status(), 302, "{path}");
    r.headers()["location"].to_str().expect("ascii").to_owned()
}

#[tokio::test]
async fn downloads_redirect_to_ranged_pre_authenticated_urls() {
    let clock = ManualClock::new();
    let sim = sim(SimConfig {
        seed: 23,
        users: 12,
        drive_scale: 0.03,
        download_url_ttl_secs: 60,
        clock: Some(Arc::new(clock.clone())),
        ..SimConfig::default()
    })
    .await;
    let token = app_token(&sim, "full").await;
    let (upn, drive) = first_onedrive(&sim).await;
    let files = truth(&sim, &format!("user={upn}&kind=file")).await;
    let file = files
        .iter()
        .max_by_key(|f| f["size"].as_u64())
        .expect("a file");
    let (id, size) = (
        file["id"].as_str().expect("id"),
        file["size"].as_u64().expect("size"),
    );
    assert!(size >= 3);
    let url = download_url(&sim, &token, &format!("/drives/{drive}/items/{id}/content")).await;
    assert!(!url.contains("/v1.0/"), "{url}");
    let cuts = [0, size / 3, 2 * size / 3, size];
    let mut bytes = Vec::new();
    for w in cuts.windows(2) {
        let r = client()
            .get(&url)
            .header("range", format!("bytes={}-{}", w[0], w[1] - 1))
            .send()
            .await
            .expect("range");
        assert_eq!(r.status(), 206);
        assert_eq!(r.headers()["accept-ranges"], "bytes");
        assert_eq!(
            r.headers()["content-range"].to_str().expect("ascii"),
            format!("bytes {}-{}/{size}", w[0], w[1] - 1)
        );
        bytes.extend_from_slice(&r.bytes().await.expect("body"));
    }
    assert_eq!(
        hex(&Sha256::digest(&bytes)),
        file["sha256"].as_str().expect("sha")
    );
    let whole = client().get(&url).send().await.expect("whole");
    assert_eq!(whole.status(), 200);
    assert_eq!(whole.bytes().await.expect("body").len() as u64, size);
    let r = client()
        .get(&url)
        .header("range", format!("bytes={size}-"))
        .send()
        .await
        .expect("416");
    assert_eq!(r.status(), 416);

    // The item's downloadUrl works the same way; a tampered token does not.
    let (_, item) = get(&sim, &token, &format!("/drives/{drive}/items/{id}")).await;
    let listed = item["@microsoft.graph.downloadUrl"]
        .as_str()
        .expect("downloadUrl");
    assert_eq!(
        client().get(listed).send().await.expect("get").status(),
        200
    );
    let forged = url.replace("tempauth=", "tempauth=x");
    assert_eq!(
        client().get(&forged).send().await.expect("get").status(),
        401
    );

    // After its lifetime the URL answers SharePoint's 401.
    clock.advance(time::Duration::seconds(61));
    let r = client().get(&url).send().await.expect("expired");
    assert_eq!(r.status(), 401);
    let body: Value = r.json().await.expect("json");
    assert_eq!(
        body["error_description"],
        "Invalid JWT token. The token is expired."
    );
}

#[tokio::test]
async fn older_versions_are_listed_and_downloadable() {
    let sim = drive_sim(24).await;
    let token = app_token(&sim, "full").await;
    let (upn, drive) = first_onedrive(&sim).await;
    mutate(
        &sim,
        json!({"seed": 1, "modify": 1, "kinds": ["file"], "users": [upn]}),
    )
    .await;
    let files = truth(&sim, &format!("user={upn}&kind=file")).await;
    let file = files
        .iter()
        .find(|f| !f["versions"].as_array().expect("versions").is_empty())
        .expect("a file with versions");
    let id = file["id"].as_str().expect("id");
    let (status, list) = get(
        &sim,
        &token,
        &format!("/drives/{drive}/items/{id}/versions"),
    )
    .await;
    assert_eq!(status, 200);
    let list = list["value"].as_array().expect("versions").clone();
    assert_eq!(
        list.len(),
        file["versions"].as_array().expect("v").len() + 1,
        "current first, then older"
    );
    let older = &file["versions"][0];
    assert_eq!(list[1]["id"], older["id"]);
    let vid = older["id"].as_str().expect("vid");
    let url = download_url(
        &sim,
        &token,
        &format!("/drives/{drive}/items/{id}/versions/{vid}/content"),
    )
    .await;
    let bytes = client()
        .get(&url)
        .send()
        .await
        .expect("get")
        .bytes()
        .await
        .expect("body");
    assert_eq!(
        hex(&Sha256::digest(&bytes)),
        older["sha256"].as_str().expect("sha")
    );
    let (status, perms) = get(
        &sim,
        &token,
        &format!("/drives/{drive}/items/{id}/permissions"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(perms["value"][0]["roles"][0], "owner");
}

#[tokio::test]
async fn expired_delta_tokens_answer_410_with_a_restart_location() {
    let clock = ManualClock::new();
    let sim = sim(SimConfig {
        seed: 27,
        users: 12,
        drive_scale: 0.02,
        clock: Some(Arc::new(clock.clone())),
        ..SimConfig::default()
    })
    .await;
    let token = app_token(&sim, "full").await;
    let (_, drive) = first_onedrive(&sim).await;
    let (_, link) = delta_round(&sim, &token, &format!("/drives/{drive}/root/delta")).await;
    clock.advance(time::Duration::days(8));
    let token = app_token(&sim, "full").await;
    let r = client()
        .get(&link)
        .bearer_auth(&token)
        .send()
        .await
        .expect("delta");
    assert_eq!(r.status(), 410);
    let location = r.headers()["location"].to_str().expect("ascii").to_owned();
    assert!(
        location.ends_with(&format!("/v1.0/drives/{drive}/root/delta")),
        "{location}"
    );
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["error"]["code"], "resyncRequired");
    let (status, _) = get(&sim, &token, &location).await;
    assert_eq!(status, 200);
    // The expired_delta fault does the same to a fresh token.
    let (_, link) = delta_round(&sim, &token, &format!("/drives/{drive}/root/delta")).await;
    let r = client()
        .post(format!("{}/_sim/faults", sim.base_url))
        .json(&json!({"expired_delta": 1.0}))
        .send()
        .await
        .expect("faults");
    assert_eq!(r.status(), 200);
    let r = client()
        .get(&link)
        .bearer_auth(&token)
        .send()
        .await
        .expect("delta");
    assert_eq!(r.status(), 410);
    assert!(r.headers().get("location").is_some());
}

#[tokio::test]
async fn a_ten_gigabyte_file_costs_nothing_until_read_and_ranges_work() {
    let sim = drive_sim(28).await;
    let token = app_token(&sim, "full").await;
    let (upn, drive) = first_onedrive(&sim).await;
    let size: u64 = 10 * 1024 * 1024 * 1024;
    let r = client()
        .post(format!("{}/_sim/files", sim.base_url))
        .json(&json!({"user": upn, "path": "/Videos/big.mp4", "size": size, "seed": 1}))
        .send()
        .await
        .expect("files");
    assert_eq!(r.status(), 201);
    let item: Value = r.json().await.expect("json");
    assert_eq!(item["size"], size);
    assert!(
        item["file"].get("hashes").is_none(),
        "not hashed on the request path"
    );
    let id = item["id"].as_str().expect("id");
    let url = download_url(&sim, &token, &format!("/drives/{drive}/items/{id}/content")).await;
    let mb = 1024 * 1024;
    let r = client()
        .get(&url)
        .header("range", format!("bytes={}-", size - mb))
        .send()
        .await
        .expect("range");
    assert_eq!(r.status(), 206);
    assert_eq!(
        r.headers()["content-range"].to_str().expect("ascii"),
        format!("bytes {}-{}/{size}", size - mb, size - 1)
    );
    let tail = r.bytes().await.expect("body");
    assert_eq!(tail.len() as u64, mb);
    // The same bytes again, and a different seed gives different ones.
    let again = client()
        .get(&url)
        .header("range", format!("bytes={}-{}", size - 100, size - 1))
        .send()
        .await
        .expect("range")
        .bytes()
        .await
        .expect("body");
    assert_eq!(&again[..], &tail[tail.len() - 100..]);
}

#[tokio::test]
async fn faults_reach_download_urls() {
    let sim = drive_sim(29).await;
    let token = app_token(&sim, "full").await;
    let (upn, drive) = first_onedrive(&sim).await;
    let r = client()
        .post(format!("{}/_sim/files", sim.base_url))
        .json(&json!({"user": upn, "path": "/one.bin", "size": 1_048_576, "seed": 2}))
        .send()
        .await
        .expect("files");
    let item: Value = r.json().await.expect("json");
    let id = item["id"].as_str().expect("id");
    let url = download_url(&sim, &token, &format!("/drives/{drive}/items/{id}/content")).await;
    let r = client()
        .post(format!("{}/_sim/faults", sim.base_url))
        .json(&json!({"reset": 1.0, "paths": "download.aspx"}))
        .send()
        .await
        .expect("faults");
    assert_eq!(r.status(), 200);
    // The status line and Content-Length arrive, then the connection drops mid-body.
    let r = client().get(&url).send().await.expect("headers arrive");
    assert_eq!(r.status(), 200);
    assert!(r.bytes().await.is_err(), "the body is cut");
    client()
        .post(format!("{}/_sim/faults", sim.base_url))
        .json(&json!({}))
        .send()
        .await
        .expect("faults off");
    let bytes = client()
        .get(&url)
        .send()
        .await
        .expect("get")
        .bytes()
        .await
        .expect("body");
    assert_eq!(bytes.len(), 1_048_576);
}
