//! Teams chats, Microsoft 365 group conversations and group membership writes.

mod groups;

use std::collections::{BTreeSet, HashMap, HashSet};

use m365vault_sim::{SimConfig, SimServer, ThrottleMode};
use reqwest::Method;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::common::{all_pages, app_token, client, get, send, sim};
use crate::drives::{hex, mutate, summary, truth};
use crate::schema::{Schema, check_all};
use crate::setup_writes::delegated_token;

/// A tenant of 24 users; these tests read faster than Teams' limits allow,
/// so throttling is off (one test turns it on).
async fn chat_sim(seed: u64) -> SimServer {
    sim(SimConfig {
        seed,
        users: 24,
        throttle: ThrottleMode::Off,
        ..SimConfig::default()
    })
    .await
}

/// The canonical JSON the ground truth digests (see docs/simulator.md).
fn canonical(v: &Value) -> Vec<u8> {
    fn sorted(v: &Value) -> Value {
        match v {
            Value::Object(m) => {
                let mut keys: Vec<&String> = m.keys().collect();
                keys.sort();
                Value::Object(
                    keys.into_iter()
                        .map(|k| (k.clone(), sorted(&m[k])))
                        .collect(),
                )
            }
            Value::Array(a) => Value::Array(a.iter().map(sorted).collect()),
            o => o.clone(),
        }
    }
    let stripped = match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| !k.starts_with("@odata."))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
        o => o.clone(),
    };
    serde_json::to_vec(&sorted(&stripped)).expect("json")
}

fn sha(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Every user's chats (users without Teams have none): user id → chats.
async fn chats_by_user(sim: &SimServer, token: &str) -> HashMap<String, Vec<Value>> {
    let s = summary(sim).await;
    let mut out = HashMap::new();
    for u in s["users"].as_array().expect("users") {
        let id = u["id"].as_str().expect("id").to_owned();
        let chats = all_pages(sim, token, &format!("/users/{id}/chats?$top=4")).await;
        out.insert(id, chats);
    }
    out
}

/// The user with the most chats.
fn busiest(by_user: &HashMap<String, Vec<Value>>) -> String {
    let mut users: Vec<(&String, usize)> = by_user.iter().map(|(u, c)| (u, c.len())).collect();
    users.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    users[0].0.clone()
}

#[tokio::test]
async fn a_chat_is_shared_by_its_members_and_listed_once_for_each() {
    let sim = chat_sim(42).await;
    let token = app_token(&sim, "full").await;
    let by_user = chats_by_user(&sim, &token).await;
    let mut listed_by: HashMap<String, BTreeSet<String>> = HashMap::new();
    let mut chats: HashMap<String, Value> = HashMap::new();
    for (user, list) in &by_user {
        let ids: HashSet<&str> = list.iter().filter_map(|c| c["id"].as_str()).collect();
        assert_eq!(ids.len(), list.len(), "a chat is listed once for {user}");
        for c in list {
            let id = c["id"].as_str().expect("id").to_owned();
            listed_by
                .entry(id.clone())
                .or_default()
                .insert(user.clone());
            chats.insert(id, c.clone());
        }
    }
    assert!(
        chats.len() >= 10,
        "a handful of chats per user: {}",
        chats.len()
    );
    assert_eq!(summary(&sim).await["chats"], json!(chats.len()));
    let kinds: HashSet<&str> = chats
        .values()
        .filter_map(|c| c["chatType"].as_str())
        .collect();
    assert_eq!(kinds, HashSet::from(["oneOnOne", "group", "meeting"]));
    for (id, c) in &chats {
        let (status, members) = get(&sim, &token, &format!("/chats/{id}/members")).await;
        assert_eq!(status, 200, "{members}");
        let member_ids: BTreeSet<String> = members["value"]
            .as_array()
            .expect("members")
            .iter()
            .map(|m| m["userId"].as_str().expect("userId").to_owned())
            .collect();
        assert_eq!(
            &member_ids, &listed_by[id],
            "every member lists {id}, nobody else"
        );
        match c["chatType"].as_str() {
            Some("oneOnOne") => {
                assert_eq!(member_ids.len(), 2);
                assert!(id.ends_with("@unq.gbl.spaces") && c["topic"].is_null());
            }
            Some("meeting") => {
                assert!(id.starts_with("19:meeting_"));
                assert!(c["onlineMeetingInfo"]["joinWebUrl"].is_string());
            }
            _ => assert!(member_ids.len() >= 3 && c["onlineMeetingInfo"].is_null()),
        }
        let (status, single) = get(&sim, &token, &format!("/chats/{id}")).await;
        assert_eq!(status, 200);
        assert_eq!(single["id"], c["id"]);
    }

    let user = busiest(&by_user);
    let groups = all_pages(
        &sim,
        &token,
        &format!("/users/{user}/chats?$filter=chatType eq 'group'"),
    )
    .await;
    assert!(groups.iter().all(|c| c["chatType"] == "group"));
    let expected = by_user[&user]
        .iter()
        .filter(|c| c["chatType"] == "group")
        .count();
    assert_eq!(groups.len(), expected);
    let expanded = all_pages(
        &sim,
        &token,
        &format!("/users/{user}/chats?$expand=members"),
    )
    .await;
    assert_eq!(expanded.len(), by_user[&user].len());
    assert!(expanded.iter().all(|c| {
        c["members"]
            .as_array()
            .is_some_and(|m| m.iter().any(|m| m["userId"] == json!(user)))
    }));
    let (status, body) = get(&sim, &token, &format!("/users/{user}/chats?$top=51")).await;
    assert_eq!(status, 400);
    assert_eq!(
        body["error"]["message"],
        "The query specified in the URI is not valid. The limit of '50' for Top query has been exceeded. The value from the incoming request is '51'."
    );

    let schema = Schema::load();
    let mut errors = Vec::new();
    check_all(&schema, "chat", &expanded, "chats", &mut errors);
    let some: Vec<String> = chats.keys().take(6).cloned().collect();
    for id in &some {
        let messages = all_pages(&sim, &token, &format!("/chats/{id}/messages?$top=50")).await;
        check_all(&schema, "chatMessage", &messages, "messages", &mut errors);
    }
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

#[tokio::test]
async fn messages_page_newest_first_and_digest_as_the_truth_says() {
    let sim = chat_sim(43).await;
    let token = app_token(&sim, "full").await;
    let by_user = chats_by_user(&sim, &token).await;
    let user = busiest(&by_user);
    let mut seen_deleted = false;
    let mut seen_system = false;
    for c in &by_user[&user] {
        let id = c["id"].as_str().expect("id");
        let expected = truth(&sim, &format!("chat={id}&kind=chatMessage")).await;
        let (_, first) = get(&sim, &token, &format!("/chats/{id}/messages?$top=3")).await;
        assert!(first["value"].as_array().expect("page").len() <= 3);
        if first["value"].as_array().expect("page").len() == 3 {
            assert!(first["@odata.nextLink"].is_string(), "{first}");
        }
        let all = all_pages(&sim, &token, &format!("/chats/{id}/messages?$top=3")).await;
        let modified: Vec<&str> = all
            .iter()
            .filter_map(|m| m["lastModifiedDateTime"].as_str())
            .collect();
        assert!(
            modified.windows(2).all(|w| w[0] >= w[1]),
            "newest first: {modified:?}"
        );
        let ids: HashSet<&str> = all.iter().filter_map(|m| m["id"].as_str()).collect();
        assert_eq!(ids.len(), all.len(), "pages neither repeat nor skip");
        let live: Vec<&Value> = all
            .iter()
            .filter(|m| m["deletedDateTime"].is_null())
            .collect();
        assert_eq!(live.len(), expected.len(), "{id}");
        for m in &all {
            assert_eq!(m["chatId"], json!(id));
            assert!(m["channelIdentity"].is_null() && m["replyToId"].is_null());
            if !m["deletedDateTime"].is_null() {
                seen_deleted = true;
                assert_eq!(m["body"]["content"], "");
            }
            if m["messageType"] == "systemEventMessage" {
                seen_system = true;
                assert!(m["eventDetail"]["@odata.type"].is_string());
            }
        }
        for (k, t) in expected.iter().enumerate() {
            let mid = t["id"].as_str().expect("id");
            assert_eq!(t["path"], json!(format!("/{id}")));
            let listed = all.iter().find(|x| x["id"] == json!(mid)).expect("listed");
            assert_eq!(t["sha256"], json!(sha(&canonical(listed))));
            assert_eq!(t["size"], json!(canonical(listed).len()));
            if k < 3 {
                let (status, m) = get(&sim, &token, &format!("/chats/{id}/messages/{mid}")).await;
                assert_eq!(status, 200);
                assert_eq!(canonical(&m), canonical(listed), "GET and list agree");
            }
        }
    }
    assert!(
        seen_deleted && seen_system,
        "deleted and system messages occur"
    );

    let id = by_user[&user][0]["id"].as_str().expect("id").to_owned();
    let all = all_pages(&sim, &token, &format!("/chats/{id}/messages?$top=50")).await;
    let mut times: Vec<&str> = all
        .iter()
        .filter_map(|m| m["lastModifiedDateTime"].as_str())
        .collect();
    times.sort_unstable();
    let cut = times[times.len() / 2];
    let filter = format!("lastModifiedDateTime gt {cut}");
    let newer = all_pages(
        &sim,
        &token,
        &format!("/chats/{id}/messages?$orderby=lastModifiedDateTime desc&$filter={filter}"),
    )
    .await;
    assert_eq!(newer.len(), times.iter().filter(|t| **t > cut).count());
    let ignored = all_pages(
        &sim,
        &token,
        &format!("/chats/{id}/messages?$filter={filter}"),
    )
    .await;
    assert_eq!(
        ignored.len(),
        all.len(),
        "$filter without $orderby is ignored"
    );
    let (status, _) = get(
        &sim,
        &token,
        &format!("/chats/{id}/messages?$orderby=createdDateTime asc"),
    )
    .await;
    assert_eq!(status, 400);
    let (status, body) = get(&sim, &token, &format!("/chats/{id}/messages?$top=100")).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "BadRequest");
    let (status, body) = get(&sim, &token, "/chats/19:nosuchchat@thread.v2/messages").await;
    assert_eq!(status, 404, "{body}");
}

#[tokio::test]
async fn get_all_messages_filters_a_window_and_is_unmetered() {
    let sim = chat_sim(44).await;
    let token = app_token(&sim, "full").await;
    let by_user = chats_by_user(&sim, &token).await;
    let user = busiest(&by_user);
    let mut expected = 0;
    for c in &by_user[&user] {
        let id = c["id"].as_str().expect("id");
        expected += all_pages(&sim, &token, &format!("/chats/{id}/messages?$top=50"))
            .await
            .len();
    }
    let base = format!("/users/{user}/chats/getAllMessages");
    let all = all_pages(&sim, &token, &format!("{base}?model=B&$top=50")).await;
    assert_eq!(
        all.len(),
        expected,
        "every message of every chat, deleted ones too"
    );
    let keys: HashSet<(&str, &str)> = all
        .iter()
        .map(|m| {
            (
                m["chatId"].as_str().unwrap_or(""),
                m["id"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(keys.len(), all.len());
    assert!(
        all.iter()
            .all(|m| m["@odata.type"] == "#microsoft.graph.chatMessage")
    );
    let mut times: Vec<&str> = all
        .iter()
        .filter_map(|m| m["lastModifiedDateTime"].as_str())
        .collect();
    times.sort_unstable();
    let (from, to) = (times[times.len() / 4], times[3 * times.len() / 4]);
    let window = all_pages(
        &sim,
        &token,
        &format!("{base}?model=B&$top=7&$filter=lastModifiedDateTime gt {from} and lastModifiedDateTime lt {to}"),
    )
    .await;
    assert!(!window.is_empty());
    assert_eq!(
        window.len(),
        times.iter().filter(|t| **t > from && **t < to).count()
    );
    assert!(window.iter().all(|m| {
        let t = m["lastModifiedDateTime"].as_str().unwrap_or("");
        t > from && t < to
    }));

    // Any model but A or B is refused.
    for bad in ["C", "evaluation"] {
        let (status, body) = get(&sim, &token, &format!("{base}?model={bad}")).await;
        assert_eq!(status, 400, "model={bad}: {body}");
        assert_eq!(body["error"]["code"], "BadRequest");
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("'model'")),
            "{body}"
        );
    }
    // The export APIs are unmetered since 25 August 2025: model=A needs no
    // licence, whoever the user is (E5 or not).
    let skus = all_pages(&sim, &token, "/subscribedSkus").await;
    let e5 = skus
        .iter()
        .find(|s| s["skuPartNumber"] == "SPE_E5")
        .map(|s| s["skuId"].clone())
        .expect("E5");
    let users = all_pages(&sim, &token, "/users?$select=id,assignedLicenses").await;
    let has_e5 = |id: &str| {
        users.iter().any(|u| {
            u["id"] == json!(id)
                && u["assignedLicenses"]
                    .as_array()
                    .is_some_and(|l| l.iter().any(|l| l["skuId"] == e5))
        })
    };
    let mut without_e5 = 0;
    for (u, chats) in &by_user {
        if chats.is_empty() {
            continue;
        }
        without_e5 += usize::from(!has_e5(u));
        for model in ["A", "a"] {
            let (status, body) = get(
                &sim,
                &token,
                &format!("/users/{u}/chats/getAllMessages?model={model}"),
            )
            .await;
            assert_eq!(status, 200, "{u} model={model}: {body}");
        }
    }
    assert!(without_e5 > 0, "some chat members lack E5");
    // Without a model, or with A or B, every read returns everything, far
    // beyond the old evaluation quota of 500 messages a month.
    let keys_of = |page: &[Value]| -> Vec<(String, String)> {
        page.iter()
            .map(|m| {
                (
                    m["chatId"].as_str().unwrap_or("").to_owned(),
                    m["id"].as_str().unwrap_or("").to_owned(),
                )
            })
            .collect()
    };
    let expected_keys = keys_of(&all);
    let mut read = 0;
    for model in ["", "&model=A", "&model=b", "", "&model=B", ""] {
        let again = all_pages(&sim, &token, &format!("{base}?$top=50{model}")).await;
        assert_eq!(keys_of(&again), expected_keys, "model {model:?}");
        read += again.len();
    }
    while read <= 1_000 {
        let (status, body) = get(&sim, &token, &format!("{base}?$top=50")).await;
        assert_eq!(status, 200, "after {read} messages: {body}");
        let n = body["value"].as_array().map_or(0, Vec::len);
        assert!(n > 0);
        read += n;
    }
}

#[tokio::test]
async fn hosted_contents_serve_the_bytes_the_truth_digests() {
    let sim = chat_sim(45).await;
    let token = app_token(&sim, "full").await;
    let by_user = chats_by_user(&sim, &token).await;
    let mut checked = HashSet::new();
    for user in by_user.keys() {
        for t in truth(&sim, &format!("user={user}&kind=hostedContent")).await {
            if checked.len() >= 8 || !checked.insert((t["path"].clone(), t["id"].clone())) {
                continue;
            }
            let (mid, hid) = t["id"]
                .as_str()
                .expect("id")
                .split_once('/')
                .expect("msg/hosted");
            let path = t["path"].as_str().expect("path");
            let chat = path[1..].rsplit_once('/').expect("chat/msg").0.to_owned();
            let (_, listed) = get(
                &sim,
                &token,
                &format!("/chats/{chat}/messages/{mid}/hostedContents"),
            )
            .await;
            assert!(
                listed["value"]
                    .as_array()
                    .is_some_and(|v| v.iter().any(|h| h["id"] == json!(hid)))
            );
            let (_, message) = get(&sim, &token, &format!("/chats/{chat}/messages/{mid}")).await;
            let url = format!(
                "{}/v1.0/chats/{chat}/messages/{mid}/hostedContents/{hid}/$value",
                sim.base_url
            );
            assert!(
                message["body"]["content"]
                    .as_str()
                    .is_some_and(|c| c.contains(&url)),
                "the body references {url}"
            );
            let r = client()
                .get(&url)
                .bearer_auth(&token)
                .send()
                .await
                .expect("value");
            assert_eq!(r.status(), 200);
            assert_eq!(r.headers()["content-type"], "image/png");
            let bytes = r.bytes().await.expect("bytes");
            assert!(bytes.starts_with(b"\x89PNG"));
            assert_eq!(t["sha256"], json!(sha(&bytes)));
            assert_eq!(t["size"], json!(bytes.len()));
        }
    }
    assert!(!checked.is_empty(), "some messages carry inline images");
}

#[tokio::test]
async fn mutations_add_edit_and_soft_delete_messages() {
    let sim = chat_sim(46).await;
    let token = app_token(&sim, "full").await;
    let by_user = chats_by_user(&sim, &token).await;
    let user = busiest(&by_user);
    let before = truth(&sim, &format!("user={user}&kind=chatMessage")).await;
    let digest_of = |items: &[Value], id: &str, path: &str| {
        items
            .iter()
            .find(|t| t["id"] == json!(id) && t["path"] == json!(path))
            .map(|t| t["sha256"].clone())
    };
    let changes = mutate(
        &sim,
        json!({"seed": 9, "add": 3, "modify": 2, "delete": 2, "kinds": ["chatMessage"], "users": [user]}),
    )
    .await;
    assert_eq!(changes["count"], 7, "{changes}");
    let after = truth(&sim, &format!("user={user}&kind=chatMessage")).await;
    assert_eq!(after.len(), before.len() + 3 - 2);
    for c in changes["changes"].as_array().expect("changes") {
        let (id, path) = (
            c["id"].as_str().expect("id"),
            c["path"].as_str().expect("path"),
        );
        let chat = &path[1..];
        let (status, m) = get(&sim, &token, &format!("/chats/{chat}/messages/{id}")).await;
        assert_eq!(status, 200, "{m}");
        match c["op"].as_str() {
            Some("add") => {
                assert!(digest_of(&before, id, path).is_none());
                assert_eq!(
                    digest_of(&after, id, path),
                    Some(json!(sha(&canonical(&m))))
                );
            }
            Some("modify") => {
                assert!(m["lastEditedDateTime"].is_string());
                assert_eq!(m["lastEditedDateTime"], m["lastModifiedDateTime"]);
                assert_ne!(digest_of(&before, id, path), digest_of(&after, id, path));
            }
            Some("delete") => {
                assert!(m["deletedDateTime"].is_string());
                assert!(digest_of(&before, id, path).is_some());
                assert!(
                    digest_of(&after, id, path).is_none(),
                    "soft-deleted messages leave the truth"
                );
            }
            other => panic!("unexpected op {other:?}"),
        }
        // The newest change is on the first page (newest modified first).
        let (_, page) = get(&sim, &token, &format!("/chats/{chat}/messages?$top=10")).await;
        assert!(
            page["value"]
                .as_array()
                .is_some_and(|v| v.iter().any(|x| x["id"] == json!(id)))
        );
    }
}

#[tokio::test]
async fn calls_without_the_permission_are_refused() {
    let sim = chat_sim(49).await;
    let full = app_token(&sim, "full").await;
    let by_user = chats_by_user(&sim, &full).await;
    let user = busiest(&by_user);
    let chat = by_user[&user][0]["id"].as_str().expect("id").to_owned();
    let mail_only = app_token(&sim, "mail-only").await;
    for path in [
        format!("/users/{user}/chats"),
        format!("/chats/{chat}"),
        format!("/chats/{chat}/members"),
        format!("/chats/{chat}/messages"),
        format!("/users/{user}/chats/getAllMessages?model=B"),
    ] {
        let (status, body) = get(&sim, &mail_only, &path).await;
        assert_eq!(status, 403, "{path}");
        assert_eq!(body["error"]["code"], "Forbidden");
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| m
                    .starts_with("Missing role permissions on the request. API requires one of '")),
            "{body}"
        );
    }
    let s = summary(&sim).await;
    let gid = s["groups"][0]["id"].as_str().expect("id").to_owned();
    let (status, body) = send(
        &sim,
        Method::POST,
        &mail_only,
        &format!("/groups/{gid}/members/$ref"),
        Some(json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{user}")})),
        &[],
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(body["error"]["code"], "Authorization_RequestDenied");
    let (status, _) = get(&sim, &mail_only, &format!("/groups/{gid}/threads")).await;
    assert_eq!(status, 403);

    // An app holding only Chat.ReadBasic.All lists chats and their members, not messages.
    let admin = delegated_token(
        &sim,
        &sim.credentials.admin_user.clone(),
        "https://graph.microsoft.com/Application.ReadWrite.All https://graph.microsoft.com/AppRoleAssignment.ReadWrite.All",
    )
    .await;
    let (_, graph) = get(
        &sim,
        &admin,
        "/servicePrincipals(appId='00000003-0000-0000-c000-000000000000')",
    )
    .await;
    let graph_id = graph["id"].as_str().expect("graph").to_owned();
    let role = graph["appRoles"]
        .as_array()
        .and_then(|r| r.iter().find(|r| r["value"] == "Chat.ReadBasic.All"))
        .map(|r| r["id"].clone())
        .expect("Chat.ReadBasic.All");
    let client_id = sim
        .credentials
        .app("no-consent")
        .expect("app")
        .client_id
        .clone();
    let (_, sp) = get(
        &sim,
        &admin,
        &format!("/servicePrincipals(appId='{client_id}')"),
    )
    .await;
    let (status, body) = send(
        &sim,
        Method::POST,
        &admin,
        &format!("/servicePrincipals/{graph_id}/appRoleAssignedTo"),
        Some(json!({"principalId": sp["id"], "resourceId": graph_id, "appRoleId": role})),
        &[],
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let basic = app_token(&sim, "no-consent").await;
    assert_eq!(
        get(&sim, &basic, &format!("/users/{user}/chats")).await.0,
        200
    );
    assert_eq!(
        get(&sim, &basic, &format!("/chats/{chat}/members")).await.0,
        200
    );
    let (status, body) = get(&sim, &basic, &format!("/chats/{chat}/messages")).await;
    assert_eq!(status, 403);
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("Chat.Read.All")
                && m.contains("Roles on the request 'Chat.ReadBasic.All'")),
        "{body}"
    );

    // Restoring chat messages is not possible: Graph takes them from an app for imports only.
    let (status, body) = send(
        &sim,
        Method::POST,
        &full,
        &format!("/chats/{chat}/messages"),
        Some(json!({"body": {"content": "restored"}})),
        &[],
    )
    .await;
    let roles = crate::common::claims(&full)["roles"].clone();
    if roles
        .as_array()
        .is_some_and(|r| r.iter().any(|r| r == "Teamwork.Migrate.All"))
    {
        assert_eq!(status, 401, "{body}");
        assert_eq!(body["error"]["code"], "Unauthorized");
    } else {
        assert_eq!(status, 403, "{body}");
    }
}

#[tokio::test]
async fn chat_message_reads_are_held_to_teams_limits() {
    let sim = sim(SimConfig {
        seed: 50,
        users: 12,
        teams_limits: m365vault_sim::throttle::TeamsLimits {
            get_chat_message: 3,
            ..Default::default()
        },
        ..SimConfig::default()
    })
    .await;
    let token = app_token(&sim, "full").await;
    let by_user = chats_by_user(&sim, &token).await;
    let user = busiest(&by_user);
    let chat = by_user[&user][0]["id"].as_str().expect("id").to_owned();
    let mut throttled = None;
    for _ in 0..10 {
        let r = client()
            .get(format!("{}/v1.0/chats/{chat}/messages", sim.base_url))
            .bearer_auth(&token)
            .send()
            .await
            .expect("request");
        if r.status() == 429 {
            throttled = Some(r);
            break;
        }
    }
    let r = throttled.expect("the fourth read in a second is refused");
    assert!(r.headers().contains_key("retry-after"));
    let stats: Value = client()
        .get(format!("{}/_sim/stats", sim.base_url))
        .send()
        .await
        .expect("stats")
        .json()
        .await
        .expect("json");
    assert!(stats["teams_throttled"].as_u64().is_some_and(|n| n >= 1));
}

#[tokio::test]
async fn the_same_seed_gives_the_same_chats_and_messages() {
    let (a, b) = (chat_sim(51).await, chat_sim(51).await);
    let (ta, tb) = (app_token(&a, "full").await, app_token(&b, "full").await);
    let (ca, cb) = (chats_by_user(&a, &ta).await, chats_by_user(&b, &tb).await);
    let ids = |m: &HashMap<String, Vec<Value>>| -> BTreeSet<(String, String)> {
        m.iter()
            .flat_map(|(u, list)| list.iter().map(move |c| (u.clone(), c["id"].to_string())))
            .collect()
    };
    assert_eq!(ids(&ca), ids(&cb));
    let user = busiest(&ca);
    let messages = |items: Vec<Value>| -> BTreeSet<String> {
        items
            .iter()
            .map(|t| format!("{}{}", t["path"], t["id"]))
            .collect()
    };
    assert_eq!(
        messages(truth(&a, &format!("user={user}&kind=chatMessage")).await),
        messages(truth(&b, &format!("user={user}&kind=chatMessage")).await)
    );
}
