//! Mailboxes: generation, ground truth, delta rounds (with mutations while a
//! client pages), token expiry, permissions, and the writes restore uses.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use m365vault_sim::{ManualClock, SimConfig, SimServer};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::common::{all_pages, app_token, client, get, send, sim};

pub async fn mail_sim(seed: u64) -> SimServer {
    sim(SimConfig {
        seed,
        users: 30,
        mail_scale: 0.05,
        ..SimConfig::default()
    })
    .await
}

async fn sim_get(sim: &SimServer, path: &str) -> Value {
    client()
        .get(format!("{}/_sim{path}", sim.base_url))
        .send()
        .await
        .expect("support request")
        .json()
        .await
        .expect("json")
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

/// User principal names by mailbox purpose (`user`, `shared`, `room`, …; `none` without).
pub async fn mailbox_users(sim: &SimServer) -> BTreeMap<String, Vec<String>> {
    let summary = sim_get(sim, "/truth/summary").await;
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for u in summary["users"].as_array().expect("users") {
        let kind = u["mailbox"].as_str().unwrap_or("none").to_owned();
        out.entry(kind)
            .or_default()
            .push(u["userPrincipalName"].as_str().expect("upn").to_owned());
    }
    out
}

/// A person whose mailbox has a moderate number of messages (20 to 300 if
/// there is one), so tests exercise paging without a huge mailbox.
pub async fn busy_user(sim: &SimServer) -> String {
    let counts = sim_get(sim, "/truth/summary?mailboxes=true").await;
    let people: Vec<(u64, String)> = counts["mailboxes"]
        .as_array()
        .expect("mailboxes")
        .iter()
        .filter(|m| m["purpose"] == "user")
        .map(|m| {
            (
                m["messages"].as_u64().expect("count"),
                m["userPrincipalName"].as_str().expect("upn").to_owned(),
            )
        })
        .collect();
    people
        .iter()
        .find(|(n, _)| (20..=300).contains(n))
        .or_else(|| people.iter().max())
        .map(|(_, u)| u.clone())
        .expect("a mailbox")
}

/// A person with a small mailbox.
pub async fn small_user(sim: &SimServer) -> String {
    let counts = sim_get(sim, "/truth/summary?mailboxes=true").await;
    counts["mailboxes"]
        .as_array()
        .expect("mailboxes")
        .iter()
        .filter(|m| m["purpose"] == "user")
        .min_by_key(|m| m["messages"].as_u64())
        .and_then(|m| m["userPrincipalName"].as_str())
        .expect("a mailbox")
        .to_owned()
}

pub async fn truth(sim: &SimServer, upn: &str, kind: &str) -> Vec<Value> {
    sim_get(sim, &format!("/truth/items?user={upn}&kind={kind}"))
        .await
        .as_array()
        .cloned()
        .expect("truth array")
}

pub fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The canonical JSON docs/simulator.md describes, written independently.
pub fn canonical(v: &Value) -> Vec<u8> {
    fn sorted(v: &Value) -> Value {
        match v {
            Value::Object(m) => {
                let keys: BTreeSet<&String> = m.keys().collect();
                Value::Object(
                    keys.into_iter()
                        .map(|k| (k.clone(), sorted(&m[k])))
                        .collect::<Map<_, _>>(),
                )
            }
            Value::Array(a) => Value::Array(a.iter().map(sorted).collect()),
            o => o.clone(),
        }
    }
    let mut top = v.as_object().cloned().expect("object");
    top.retain(|k, _| !k.starts_with("@odata."));
    serde_json::to_vec(&sorted(&Value::Object(top))).expect("json")
}

pub async fn raw_get(sim: &SimServer, token: &str, path: &str) -> (u16, String, Vec<u8>) {
    let r = client()
        .get(format!("{}/v1.0{path}", sim.base_url))
        .bearer_auth(token)
        .send()
        .await
        .expect("request");
    let status = r.status().as_u16();
    let ct = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (status, ct, r.bytes().await.expect("body").to_vec())
}

/// Folder id → path, from a full `mailFolders/delta` round.
async fn folder_paths(sim: &SimServer, token: &str, upn: &str) -> BTreeMap<String, String> {
    let folders = all_pages(sim, token, &format!("/users/{upn}/mailFolders/delta")).await;
    let by: HashMap<String, Value> = folders
        .iter()
        .map(|f| (f["id"].as_str().expect("id").to_owned(), f.clone()))
        .collect();
    let mut out = BTreeMap::new();
    for (id, f) in &by {
        let mut names = vec![f["displayName"].as_str().expect("name").to_owned()];
        let mut parent = f["parentFolderId"].as_str().map(str::to_owned);
        while let Some(p) = parent.take() {
            if let Some(pf) = by.get(&p) {
                names.push(pf["displayName"].as_str().expect("name").to_owned());
                parent = pf["parentFolderId"].as_str().map(str::to_owned);
            }
        }
        names.reverse();
        out.insert(id.clone(), format!("/{}", names.join("/")));
    }
    out
}

/// A client's copy of a mailbox: message id → folder id, and each folder's delta link.
#[derive(Default)]
struct Replica {
    items: BTreeMap<String, String>,
    links: BTreeMap<String, String>,
}

impl Replica {
    /// Follows one delta round of `folder` (from its saved link, or from the start);
    /// returns the ids reported changed and removed.
    async fn sync(
        &mut self,
        sim: &SimServer,
        token: &str,
        upn: &str,
        folder: &str,
        page: usize,
    ) -> (Vec<String>, Vec<String>) {
        let mut next = Some(self.links.get(folder).cloned().unwrap_or_else(|| {
            format!("/users/{upn}/mailFolders/{folder}/messages/delta?$select=subject,isRead")
        }));
        let prefer = format!("odata.maxpagesize={page}");
        let (mut changed, mut removed) = (Vec::new(), Vec::new());
        while let Some(url) = next.take() {
            let (status, body) = send(
                sim,
                reqwest::Method::GET,
                token,
                &url,
                None,
                &[("Prefer", &prefer)],
            )
            .await;
            assert_eq!(status, 200, "{url}: {body}");
            let values = body["value"].as_array().expect("value");
            assert!(values.len() <= page);
            for v in values {
                let id = v["id"].as_str().expect("id").to_owned();
                if v.get("@removed").is_some() {
                    assert_eq!(v["@removed"]["reason"], "deleted");
                    assert_eq!(v["@odata.type"], "#microsoft.graph.message");
                    self.items.remove(&id);
                    removed.push(id);
                } else {
                    assert!(
                        v.get("subject").is_some() && v.get("body").is_none(),
                        "$select kept: {v}"
                    );
                    self.items.insert(id.clone(), folder.to_owned());
                    changed.push(id);
                }
            }
            if let Some(l) = body["@odata.nextLink"].as_str() {
                next = Some(l.to_owned());
            } else {
                let link = body["@odata.deltaLink"].as_str().expect("delta link");
                self.links.insert(folder.to_owned(), link.to_owned());
            }
        }
        (changed, removed)
    }
}

fn assert_matches_truth(replica: &Replica, paths: &BTreeMap<String, String>, truth: &[Value]) {
    let want: BTreeMap<String, String> = truth
        .iter()
        .map(|t| {
            (
                t["id"].as_str().expect("id").to_owned(),
                t["path"].as_str().expect("path").to_owned(),
            )
        })
        .collect();
    let have: BTreeMap<String, String> = replica
        .items
        .iter()
        .map(|(id, f)| (id.clone(), paths[f].clone()))
        .collect();
    assert_eq!(have, want);
}

#[tokio::test]
async fn generation_is_deterministic() {
    let a = mail_sim(7).await;
    let b = mail_sim(7).await;
    let c = mail_sim(8).await;
    let users = mailbox_users(&a).await;
    assert!(
        users.contains_key("shared")
            && users.contains_key("room")
            && users.contains_key("equipment"),
        "{users:?}"
    );
    assert!(
        users.contains_key("none"),
        "some people have no Exchange licence"
    );
    for upn in users["user"].iter().take(3) {
        for kind in ["message", "event", "contact"] {
            let ta = truth(&a, upn, kind).await;
            let tb = truth(&b, upn, kind).await;
            assert_eq!(ta, tb, "{upn} {kind}");
        }
    }
    let other = mailbox_users(&c).await["user"][0].clone();
    assert_ne!(
        truth(&a, &users["user"][0], "message").await,
        truth(&c, &other, "message").await
    );
    let counts = sim_get(&a, "/truth/summary?mailboxes=true").await;
    let mailboxes = counts["mailboxes"].as_array().expect("counts");
    assert_eq!(
        mailboxes.len(),
        users
            .iter()
            .filter(|(k, _)| *k != "none")
            .map(|(_, v)| v.len())
            .sum::<usize>()
    );
    assert!(mailboxes.iter().all(|m| m["messages"].as_u64().is_some()));
}

#[tokio::test]
async fn a_full_delta_round_equals_the_truth_and_value_hashes_match() {
    let sim = mail_sim(42).await;
    let token = app_token(&sim, "mail-only").await;
    let upn = busy_user(&sim).await;
    let paths = folder_paths(&sim, &token, &upn).await;
    assert!(paths.values().any(|p| p == "/Inbox"));
    let mut replica = Replica::default();
    for folder in paths.keys() {
        replica.sync(&sim, &token, &upn, folder, 4).await;
    }
    let t = truth(&sim, &upn, "message").await;
    assert_matches_truth(&replica, &paths, &t);
    for item in t.iter().take(25) {
        let id = item["id"].as_str().expect("id");
        let (status, ct, mime) =
            raw_get(&sim, &token, &format!("/users/{upn}/messages/{id}/$value")).await;
        assert_eq!(status, 200);
        assert!(ct.starts_with("text/plain"), "{ct}");
        assert!(String::from_utf8_lossy(&mime).contains("MIME-Version: 1.0"));
        assert_eq!(sha256(&mime), item["sha256"].as_str().expect("sha"), "{id}");
        assert_eq!(mime.len() as u64, item["size"].as_u64().expect("size"));
    }
}

#[tokio::test]
async fn mutations_show_up_in_the_next_delta_exactly() {
    let sim = mail_sim(43).await;
    let token = app_token(&sim, "mail-only").await;
    let upn = busy_user(&sim).await;
    let paths = folder_paths(&sim, &token, &upn).await;
    let mut replica = Replica::default();
    for folder in paths.keys() {
        replica.sync(&sim, &token, &upn, folder, 10).await;
    }
    let before: BTreeSet<String> = replica.items.keys().cloned().collect();
    let result = mutate(
        &sim,
        json!({"seed": 5, "add": 3, "modify": 4, "move": 3, "delete": 3, "kinds": ["message"], "users": [upn]}),
    )
    .await;
    let changes = result["changes"].as_array().expect("changes");
    assert_eq!(changes.len(), 13, "{result}");
    let (mut changed, mut removed) = (BTreeSet::new(), BTreeSet::new());
    for folder in paths.keys() {
        let (c, r) = replica.sync(&sim, &token, &upn, folder, 10).await;
        changed.extend(c);
        removed.extend(r);
    }
    let t = truth(&sim, &upn, "message").await;
    assert_matches_truth(&replica, &paths, &t);
    let live: BTreeSet<String> = t
        .iter()
        .map(|v| v["id"].as_str().expect("id").to_owned())
        .collect();
    // Exactly the touched items come back: what is live of them as changed…
    let touched: BTreeSet<String> = changes
        .iter()
        .filter(|c| c["op"] != "delete")
        .map(|c| c["id"].as_str().expect("id").to_owned())
        .collect();
    assert_eq!(changed, touched.intersection(&live).cloned().collect());
    // …and deletions and moves (the old id) as removed.
    let gone: BTreeSet<String> = changes
        .iter()
        .filter_map(|c| match c["op"].as_str() {
            Some("delete") => c["id"].as_str(),
            Some("move") => c["previousId"].as_str(),
            _ => None,
        })
        .map(str::to_owned)
        .collect();
    assert!(removed.is_subset(&gone), "{removed:?} {gone:?}");
    let known_gone: BTreeSet<String> = gone.intersection(&before).cloned().collect();
    assert!(known_gone.is_subset(&removed), "{known_gone:?} {removed:?}");
    for c in changes.iter().filter(|c| c["op"] == "move") {
        assert_ne!(c["id"], c["previousId"], "a moved message gets a new id");
    }
    // Nothing more the round after.
    for folder in paths.keys() {
        let (c, r) = replica.sync(&sim, &token, &upn, folder, 10).await;
        assert!(c.is_empty() && r.is_empty());
    }
}

#[tokio::test]
async fn paging_while_mailbox_changes_loses_nothing() {
    let sim = mail_sim(44).await;
    let token = app_token(&sim, "mail-only").await;
    let upn = busy_user(&sim).await;
    let paths = folder_paths(&sim, &token, &upn).await;
    let inbox = paths
        .iter()
        .find(|(_, p)| *p == "/Inbox")
        .map(|(id, _)| id.clone())
        .expect("inbox");
    let mut seen: Vec<String> = Vec::new();
    let mut local: BTreeSet<String> = BTreeSet::new();
    let mut next = Some(format!("/users/{upn}/mailFolders/{inbox}/messages/delta"));
    let mut link = String::new();
    let mut round = 0;
    while let Some(url) = next.take() {
        let (status, body) = send(
            &sim,
            reqwest::Method::GET,
            &token,
            &url,
            None,
            &[("Prefer", "odata.maxpagesize=4")],
        )
        .await;
        assert_eq!(status, 200, "{body}");
        for v in body["value"].as_array().expect("value") {
            let id = v["id"].as_str().expect("id").to_owned();
            seen.push(id.clone());
            local.insert(id);
        }
        round += 1;
        mutate(
            &sim,
            json!({"seed": round, "add": 2, "modify": 2, "move": 1, "delete": 1, "kinds": ["message"], "users": [upn]}),
        )
        .await;
        match body["@odata.nextLink"].as_str() {
            Some(l) => next = Some(l.to_owned()),
            None => {
                link = body["@odata.deltaLink"]
                    .as_str()
                    .expect("delta link")
                    .to_owned()
            }
        }
    }
    let unique: BTreeSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "no item twice in one round");
    // The next round brings the replica up to date.
    let mut next = Some(link);
    while let Some(url) = next.take() {
        let (status, body) = get(&sim, &token, &url).await;
        assert_eq!(status, 200);
        for v in body["value"].as_array().expect("value") {
            let id = v["id"].as_str().expect("id").to_owned();
            if v.get("@removed").is_some() {
                local.remove(&id);
            } else {
                local.insert(id);
            }
        }
        next = body["@odata.nextLink"].as_str().map(str::to_owned);
    }
    let want: BTreeSet<String> = truth(&sim, &upn, "message")
        .await
        .iter()
        .filter(|t| t["path"] == "/Inbox")
        .map(|t| t["id"].as_str().expect("id").to_owned())
        .collect();
    assert_eq!(local, want);
}

#[tokio::test]
async fn expired_and_unknown_sync_state_is_410() {
    let clock = ManualClock::new();
    let sim = sim(SimConfig {
        seed: 45,
        users: 12,
        mail_scale: 0.02,
        delta_token_expiry_days: 3,
        clock: Some(Arc::new(clock.clone())),
        ..SimConfig::default()
    })
    .await;
    let token = app_token(&sim, "full").await;
    let upn = mailbox_users(&sim).await["user"][0].clone();
    let pages = format!("/users/{upn}/mailFolders/inbox/messages/delta");
    let mut url = pages.clone();
    let link = loop {
        let (status, body) = get(&sim, &token, &url).await;
        assert_eq!(status, 200);
        match body["@odata.nextLink"].as_str() {
            Some(l) => url = l.to_owned(),
            None => break body["@odata.deltaLink"].as_str().expect("link").to_owned(),
        }
    };
    assert_eq!(get(&sim, &token, &link).await.0, 200);
    let (status, body) = get(&sim, &token, &format!("{pages}?$deltatoken=bm9wZQ")).await;
    assert_eq!(status, 410);
    assert_eq!(body["error"]["code"], "SyncStateNotFound");
    // A token of another folder is unknown here too.
    let drafts = link.replace("/inbox/", "/drafts/");
    assert_eq!(get(&sim, &token, &drafts).await.0, 410);
    clock.advance(time::Duration::days(4));
    let token = app_token(&sim, "full").await;
    let (status, body) = get(&sim, &token, &link).await;
    assert_eq!(status, 410, "{body}");
    assert_eq!(body["error"]["code"], "SyncStateNotFound");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .starts_with("The sync state generation is not found")
    );
}

#[tokio::test]
async fn permissions_and_missing_mailboxes() {
    let sim = mail_sim(46).await;
    let users = mailbox_users(&sim).await;
    let upn = users["user"][0].clone();
    let inventory = app_token(&sim, "inventory-only").await;
    let (status, body) = get(&sim, &inventory, &format!("/users/{upn}/messages")).await;
    assert_eq!(status, 403);
    assert_eq!(body["error"]["code"], "ErrorAccessDenied");
    assert_eq!(
        body["error"]["message"],
        "Access is denied. Check credentials and try again."
    );
    let mail_only = app_token(&sim, "mail-only").await;
    assert_eq!(
        get(&sim, &mail_only, &format!("/users/{upn}/messages"))
            .await
            .0,
        200
    );
    assert_eq!(
        get(&sim, &mail_only, &format!("/users/{upn}/mailboxSettings"))
            .await
            .0,
        200
    );
    let (status, body) = get(&sim, &mail_only, &format!("/users/{upn}/calendars")).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("ErrorAccessDenied"))
    );
    let (status, _) = send(
        &sim,
        reqwest::Method::POST,
        &mail_only,
        &format!("/users/{upn}/mailFolders"),
        Some(json!({"displayName": "x"})),
        &[],
    )
    .await;
    assert_eq!(status, 403, "Mail.Read does not write");

    let full = app_token(&sim, "full").await;
    let nobody = &users["none"][0];
    let (status, body) = get(&sim, &full, &format!("/users/{nobody}/mailFolders")).await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "MailboxNotEnabledForRESTAPI");
    assert_eq!(
        body["error"]["message"],
        "The mailbox is either inactive, soft-deleted, or is hosted on-premise."
    );
    let (status, body) = get(&sim, &full, "/users/nobody@nowhere.example/messages").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("ErrorInvalidUser"))
    );
    let shared = &users["shared"][0];
    let (status, u) = get(
        &sim,
        &full,
        &format!("/users/{shared}?$select=accountEnabled,assignedLicenses"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(u["accountEnabled"], false);
    assert_eq!(u["assignedLicenses"], json!([]));
    let (status, settings) = get(&sim, &full, &format!("/users/{shared}/mailboxSettings")).await;
    assert_eq!(status, 200);
    assert_eq!(settings["userPurpose"], "shared");
    let room = &users["room"][0];
    let (_, settings) = get(&sim, &full, &format!("/users/{room}/mailboxSettings")).await;
    assert_eq!(settings["userPurpose"], "room");
    let (status, body) = get(&sim, &full, &format!("/users/{upn}/messages/not-an-id")).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("ErrorInvalidIdMalformed"))
    );
    let (status, body) = get(&sim, &full, &format!("/users/{upn}/messages/$value")).await;
    assert!(status >= 400, "{body}");
}

#[tokio::test]
async fn folders_list_hide_hidden_ones_and_page() {
    let sim = mail_sim(47).await;
    let token = app_token(&sim, "full").await;
    let upn = busy_user(&sim).await;
    let visible = all_pages(&sim, &token, &format!("/users/{upn}/mailFolders")).await;
    let (status, first) = get(&sim, &token, &format!("/users/{upn}/mailFolders")).await;
    assert_eq!(status, 200);
    assert_eq!(
        first["value"].as_array().map(Vec::len),
        Some(visible.len().min(10)),
        "Graph pages folders by 10"
    );
    assert_eq!(first["@odata.nextLink"].is_string(), visible.len() > 10);
    let (_, small) = get(&sim, &token, &format!("/users/{upn}/mailFolders?$top=3")).await;
    assert_eq!(small["value"].as_array().map(Vec::len), Some(3));
    assert!(
        small["@odata.nextLink"]
            .as_str()
            .is_some_and(|l| l.contains("skip=3")),
        "{small}"
    );
    assert_eq!(
        all_pages(&sim, &token, &format!("/users/{upn}/mailFolders?$top=3")).await,
        visible
    );
    let all = all_pages(
        &sim,
        &token,
        &format!("/users/{upn}/mailFolders?includeHiddenFolders=true"),
    )
    .await;
    assert_eq!(all.len(), visible.len() + 1);
    assert!(visible.iter().all(|f| f["isHidden"] == false));
    for name in [
        "Inbox",
        "Drafts",
        "Sent Items",
        "Deleted Items",
        "Junk Email",
        "Archive",
        "Outbox",
        "Conversation History",
    ] {
        assert!(visible.iter().any(|f| f["displayName"] == name), "{name}");
    }
    let (status, inbox) = get(&sim, &token, &format!("/users/{upn}/mailFolders/Inbox")).await;
    assert_eq!(status, 200);
    assert_eq!(inbox["displayName"], "Inbox");
    let (_, root) = get(
        &sim,
        &token,
        &format!("/users/{upn}/mailFolders/msgfolderroot"),
    )
    .await;
    assert_eq!(inbox["parentFolderId"], root["id"]);
    let messages = all_pages(
        &sim,
        &token,
        &format!("/users/{upn}/mailFolders/inbox/messages?$top=3"),
    )
    .await;
    assert_eq!(
        messages.len() as u64,
        inbox["totalItemCount"].as_u64().expect("count")
    );
    let unread = messages.iter().filter(|m| m["isRead"] == false).count() as u64;
    assert_eq!(unread, inbox["unreadItemCount"].as_u64().expect("unread"));
    let received: Vec<&str> = messages
        .iter()
        .map(|m| m["receivedDateTime"].as_str().expect("time"))
        .collect();
    assert!(received.windows(2).all(|w| w[0] >= w[1]), "newest first");
    let (status, body) = get(&sim, &token, &format!("/users/{upn}/messages?$top=1001")).await;
    assert_eq!(status, 400, "{body}");
    // Deleting a folder shows in the folder delta as removed, its messages with it.
    let mut next = Some(format!("/users/{upn}/mailFolders/delta"));
    let mut link = String::new();
    while let Some(url) = next.take() {
        let (_, body) = get(&sim, &token, &url).await;
        next = body["@odata.nextLink"].as_str().map(str::to_owned);
        link = body["@odata.deltaLink"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
    }
    let (status, folder) = send(
        &sim,
        reqwest::Method::POST,
        &token,
        &format!("/users/{upn}/mailFolders/inbox/childFolders"),
        Some(json!({"displayName": "Short-lived"})),
        &[],
    )
    .await;
    assert_eq!(status, 201);
    let fid = folder["id"].as_str().expect("id");
    let (status, _) = send(
        &sim,
        reqwest::Method::DELETE,
        &token,
        &format!("/users/{upn}/mailFolders/{fid}"),
        None,
        &[],
    )
    .await;
    assert_eq!(status, 204);
    let (status, body) = send(
        &sim,
        reqwest::Method::DELETE,
        &token,
        &format!("/users/{upn}/mailFolders/inbox"),
        None,
        &[],
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("ErrorDeleteDistinguishedFolder"))
    );
    let (_, changes) = get(&sim, &token, &link).await;
    let changes = changes["value"].as_array().cloned().unwrap_or_default();
    assert!(
        changes
            .iter()
            .any(|c| c["id"] == fid && c["@removed"]["reason"] == "deleted"),
        "{changes:?}"
    );
    assert_eq!(
        get(&sim, &token, &format!("/users/{upn}/mailFolders/{fid}"))
            .await
            .0,
        404
    );
}
