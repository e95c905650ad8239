//! Teams, channels and channel messages: listing and paging, `$expand=replies`,
//! the ground truth, delta after mutations, hosted contents, the summary.
//! Writes, permissions, `getAllMessages` and throttling are in `teams_writes`.

use m365vault_sim::{SimConfig, SimServer, ThrottleMode};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};

use crate::common::{all_pages, app_token, client, get, send, sim};
use crate::schema::{Schema, check_all};

pub(crate) async fn teams_sim(seed: u64) -> SimServer {
    sim(SimConfig {
        seed,
        users: 30,
        throttle: ThrottleMode::Off,
        device_code_interval_secs: 1,
        ..SimConfig::default()
    })
    .await
}

pub(crate) fn values(body: &Value) -> Vec<Value> {
    body["value"].as_array().cloned().unwrap_or_default()
}

pub(crate) fn id(v: &Value) -> String {
    v["id"].as_str().expect("id").to_owned()
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The ground truth's canonical form: top-level `@odata.*` dropped, keys
/// sorted at every level, no whitespace.
pub(crate) fn canonical(v: &Value) -> Vec<u8> {
    fn sorted(v: &Value) -> Value {
        match v {
            Value::Object(m) => {
                let keys: BTreeMap<&String, &Value> = m.iter().collect();
                Value::Object(
                    keys.into_iter()
                        .map(|(k, v)| (k.clone(), sorted(v)))
                        .collect::<Map<_, _>>(),
                )
            }
            Value::Array(a) => Value::Array(a.iter().map(sorted).collect()),
            other => other.clone(),
        }
    }
    let mut v = v.clone();
    if let Value::Object(m) = &mut v {
        m.retain(|k, _| !k.starts_with("@odata."));
    }
    serde_json::to_vec(&sorted(&v)).expect("json")
}

pub(crate) async fn truth(sim: &SimServer, query: &str) -> Vec<Value> {
    let r = client()
        .get(format!("{}/_sim/truth/items?{query}", sim.base_url))
        .send()
        .await
        .expect("truth");
    assert_eq!(r.status(), 200, "{query}");
    r.json::<Value>()
        .await
        .expect("json")
        .as_array()
        .cloned()
        .expect("array")
}

pub(crate) async fn mutate(sim: &SimServer, body: Value) -> Vec<Value> {
    let r: Value = client()
        .post(format!("{}/_sim/mutate", sim.base_url))
        .json(&body)
        .send()
        .await
        .expect("mutate")
        .json()
        .await
        .expect("json");
    r["changes"].as_array().cloned().expect("changes")
}

pub(crate) async fn team_ids(sim: &SimServer, token: &str) -> Vec<String> {
    all_pages(sim, token, "/teams?$top=2")
        .await
        .iter()
        .map(id)
        .collect()
}

/// Every top-level message of a channel, with replies, following next links.
pub(crate) async fn channel_messages(
    sim: &SimServer,
    token: &str,
    team: &str,
    channel: &str,
) -> Vec<Value> {
    all_pages(
        sim,
        token,
        &format!("/teams/{team}/channels/{channel}/messages?$top=7&$expand=replies"),
    )
    .await
}

#[tokio::test]
async fn teams_are_the_even_microsoft_365_groups_with_channels() {
    let sim = teams_sim(61).await;
    let token = app_token(&sim, "full").await;
    let teams = team_ids(&sim, &token).await;
    assert!(teams.len() >= 2, "{teams:?}");
    let (status, body) = get(
        &sim,
        &token,
        "/groups?$filter=resourceProvisioningOptions/Any(x:x eq 'Team')&$select=id,resourceProvisioningOptions",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let filtered: BTreeSet<String> = values(&body).iter().map(id).collect();
    assert_eq!(filtered, teams.iter().cloned().collect::<BTreeSet<_>>());
    let (_, unified) = get(
        &sim,
        &token,
        "/groups?$filter=groupTypes/any(c:c eq 'Unified')",
    )
    .await;
    let unified = values(&unified);
    assert!(
        unified.len() > teams.len(),
        "odd Microsoft 365 groups have no team"
    );
    let plain = unified
        .iter()
        .find(|g| g["resourceProvisioningOptions"] == json!([]))
        .expect("a group without a team");
    let (status, body) = get(&sim, &token, &format!("/groups/{}/team", id(plain))).await;
    assert_eq!(status, 404, "{body}");

    let team = &teams[0];
    let (status, t) = get(&sim, &token, &format!("/teams/{team}")).await;
    assert_eq!(status, 200, "{t}");
    assert_eq!(t["id"], team.as_str());
    let (_, via_group) = get(&sim, &token, &format!("/groups/{team}/team")).await;
    assert_eq!(via_group["displayName"], t["displayName"]);

    let (status, channels) = get(&sim, &token, &format!("/teams/{team}/channels")).await;
    assert_eq!(status, 200, "{channels}");
    let channels = values(&channels);
    assert!((2..=5).contains(&channels.len()), "{channels:?}");
    assert_eq!(channels[0]["displayName"], "General");
    for c in &channels {
        let kind = c["membershipType"].as_str().expect("membershipType");
        assert!(["standard", "private", "shared"].contains(&kind), "{c}");
        assert!(id(c).starts_with("19:") && id(c).ends_with("@thread.tacv2"));
    }
    let (_, primary) = get(&sim, &token, &format!("/teams/{team}/primaryChannel")).await;
    assert_eq!(primary["id"], channels[0]["id"]);
    let (_, all) = get(&sim, &token, &format!("/teams/{team}/allChannels")).await;
    assert_eq!(values(&all).len(), channels.len());
    let (status, one) = get(
        &sim,
        &token,
        &format!("/teams/{team}/channels/{}", id(&channels[1])),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(one["displayName"], channels[1]["displayName"]);
    let (status, body) = get(
        &sim,
        &token,
        &format!("/teams/{team}/channels/19:nope@thread.tacv2"),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("NotFound"))
    );

    // Shapes follow the v1.0 schema.
    let schema = Schema::load();
    let mut errors = Vec::new();
    check_all(&schema, "team", &[t], "team", &mut errors);
    check_all(&schema, "channel", &channels, "channels", &mut errors);
    let general = id(&channels[0]);
    let messages = channel_messages(&sim, &token, team, &general).await;
    check_all(&schema, "chatMessage", &messages, "messages", &mut errors);
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

#[tokio::test]
async fn messages_page_newest_first_and_match_the_ground_truth() {
    let sim = teams_sim(62).await;
    let token = app_token(&sim, "full").await;
    let team = team_ids(&sim, &token).await.remove(0);
    let (_, channels) = get(&sim, &token, &format!("/teams/{team}/channels")).await;
    let truth: BTreeMap<String, Value> = truth(&sim, &format!("team={team}&kind=channelMessage"))
        .await
        .into_iter()
        .map(|e| (id(&e), e))
        .collect();
    let mut seen = BTreeMap::new();
    let mut deleted_parent_with_replies = false;
    let mut system = 0;
    for c in values(&channels) {
        let (channel, name) = (id(&c), c["displayName"].as_str().expect("name").to_owned());
        let tops = channel_messages(&sim, &token, &team, &channel).await;
        assert!(tops.len() >= 5, "{name}: {}", tops.len());
        let created: Vec<&str> = tops
            .iter()
            .map(|m| m["createdDateTime"].as_str().expect("created"))
            .collect();
        let mut newest_first = created.clone();
        newest_first.sort_by(|a, b| b.cmp(a));
        assert_eq!(created, newest_first, "newest first");
        for top in &tops {
            let replies = top["replies"].as_array().expect("replies expanded");
            assert_eq!(top["replies@odata.count"], replies.len());
            let (status, listed) = get(
                &sim,
                &token,
                &format!(
                    "/teams/{team}/channels/{channel}/messages/{}/replies?$top=50",
                    id(top)
                ),
            )
            .await;
            assert_eq!(status, 200);
            let listed: Vec<String> = values(&listed).iter().map(id).collect();
            assert_eq!(listed, replies.iter().map(id).collect::<Vec<_>>());
            if !top["deletedDateTime"].is_null() {
                assert_eq!(top["body"]["content"], "", "a deleted message is emptied");
                deleted_parent_with_replies |=
                    replies.iter().any(|r| r["deletedDateTime"].is_null());
            }
            if top["eventDetail"].is_object() {
                system += 1;
                assert_eq!(top["messageType"], "unknownFutureValue");
                assert!(top["from"].is_null());
            }
            for m in std::iter::once(top).chain(replies) {
                assert_eq!(m["channelIdentity"]["channelId"], channel.as_str());
                assert!(m["chatId"].is_null());
                let mut one = m.clone();
                if let Value::Object(o) = &mut one {
                    o.remove("replies");
                    o.remove("replies@odata.count");
                }
                seen.insert(id(m), (name.clone(), id(top), one));
            }
        }
    }
    assert!(
        deleted_parent_with_replies,
        "a thread keeps its replies after its parent is deleted"
    );
    assert!(system >= 1, "system event messages");
    // The truth lists exactly the live messages and replies, with their
    // canonical digests and paths.
    let live: BTreeSet<&String> = seen
        .iter()
        .filter(|(_, (_, _, m))| m["deletedDateTime"].is_null())
        .map(|(k, _)| k)
        .collect();
    assert_eq!(live, truth.keys().collect::<BTreeSet<_>>());
    for (k, entry) in &truth {
        let (channel, top, m) = &seen[k];
        let bytes = canonical(m);
        assert_eq!(entry["sha256"], hex(&Sha256::digest(&bytes)), "{k}");
        assert_eq!(entry["size"], bytes.len());
        assert_eq!(entry["path"], format!("/{channel}/{top}"));
    }
    // A single message reads as it lists; with the Prefer header system
    // messages tell their type.
    let (channel, _, m) = seen
        .values()
        .find(|(_, _, m)| m["replyToId"].is_null())
        .expect("a message");
    let cid = m["channelIdentity"]["channelId"].as_str().expect("channel");
    let (status, one) = get(
        &sim,
        &token,
        &format!("/teams/{team}/channels/{cid}/messages/{}", id(m)),
    )
    .await;
    assert_eq!(status, 200, "{channel}");
    assert_eq!(canonical(&one), canonical(m));
    let (_, _, event) = seen
        .values()
        .find(|(_, _, m)| m["eventDetail"].is_object())
        .expect("event");
    let cid = event["channelIdentity"]["channelId"]
        .as_str()
        .expect("channel");
    let (_, typed) = send(
        &sim,
        reqwest::Method::GET,
        &token,
        &format!("/teams/{team}/channels/{cid}/messages/{}", id(event)),
        None,
        &[("Prefer", "include-unknown-enum-members")],
    )
    .await;
    assert_eq!(typed["messageType"], "systemEventMessage");
    // $top is at most 50.
    let (status, body) = get(
        &sim,
        &token,
        &format!("/teams/{team}/channels/{cid}/messages?$top=51"),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("BadRequest"))
    );
}

/// Follows a channel's delta from `link` to its delta link: the top-level
/// messages seen (with replies) and the delta link.
async fn delta_round(sim: &SimServer, token: &str, link: &str) -> (Vec<Value>, String) {
    let mut items = Vec::new();
    let mut next = link.to_owned();
    loop {
        let (status, body) = get(sim, token, &next).await;
        assert_eq!(status, 200, "{next}: {body}");
        items.extend(values(&body));
        if let Some(n) = body["@odata.nextLink"].as_str() {
            next = n.to_owned();
            continue;
        }
        let delta = body["@odata.deltaLink"]
            .as_str()
            .expect("a delta link ends the round");
        return (items, delta.to_owned());
    }
}

#[tokio::test]
async fn delta_after_mutations_shows_exactly_the_changed_threads() {
    let sim = teams_sim(63).await;
    let token = app_token(&sim, "full").await;
    let team = team_ids(&sim, &token).await.remove(0);
    let (_, channels) = get(&sim, &token, &format!("/teams/{team}/channels")).await;
    let channels: Vec<String> = values(&channels).iter().map(id).collect();
    let mut links = BTreeMap::new();
    for c in &channels {
        let start = format!("/teams/{team}/channels/{c}/messages/delta?$top=5&$expand=replies");
        let (items, link) = delta_round(&sim, &token, &start).await;
        let tops: BTreeSet<String> = items.iter().map(id).collect();
        assert_eq!(tops.len(), items.len(), "no thread twice in a round");
        // Only threads active in the last eight months come back.
        let listed = channel_messages(&sim, &token, &team, c).await;
        assert!(items.len() <= listed.len());
        assert!(
            items
                .iter()
                .all(|m| m["@odata.type"] == "#microsoft.graph.chatMessage")
        );
        links.insert(c.clone(), link);
    }
    let before: BTreeMap<String, Value> = truth(&sim, &format!("team={team}&kind=channelMessage"))
        .await
        .into_iter()
        .map(|e| (id(&e), e))
        .collect();
    let changes = mutate(
        &sim,
        json!({"seed": 9, "kinds": ["channelMessage"], "teams": [team], "add": 4, "modify": 3, "delete": 3}),
    )
    .await;
    assert_eq!(changes.len(), 10, "{changes:?}");
    let mut expected: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for ch in &changes {
        assert_eq!(ch["kind"], "channelMessage");
        assert_eq!(ch["team"], team.as_str());
        let top = ch["path"]
            .as_str()
            .expect("path")
            .rsplit('/')
            .next()
            .expect("top")
            .to_owned();
        expected
            .entry(ch["channel"].as_str().expect("channel").to_owned())
            .or_default()
            .insert(top);
    }
    let mut found: BTreeMap<String, Value> = BTreeMap::new();
    for c in &channels {
        let (items, _) = delta_round(&sim, &token, &links[c]).await;
        let tops: BTreeSet<String> = items.iter().map(id).collect();
        assert_eq!(tops, expected.remove(c).unwrap_or_default(), "channel {c}");
        for top in items {
            for m in top["replies"].as_array().cloned().unwrap_or_default() {
                found.insert(id(&m), m);
            }
            let mut t = top.clone();
            if let Value::Object(o) = &mut t {
                o.remove("replies");
            }
            found.insert(id(&top), t);
        }
    }
    let after: BTreeMap<String, Value> = truth(&sim, &format!("team={team}&kind=channelMessage"))
        .await
        .into_iter()
        .map(|e| (id(&e), e))
        .collect();
    for ch in &changes {
        let k = id(ch);
        let m = &found[&k];
        match ch["op"].as_str().expect("op") {
            "add" => {
                assert!(
                    !before.contains_key(&k) && after.contains_key(&k),
                    "{k} added"
                );
                assert!(m["deletedDateTime"].is_null());
            }
            "modify" => {
                assert!(m["lastEditedDateTime"].is_string(), "{m}");
                assert_eq!(m["lastModifiedDateTime"], m["lastEditedDateTime"]);
                assert_ne!(before[&k]["sha256"], after[&k]["sha256"]);
            }
            _ => {
                assert!(m["deletedDateTime"].is_string(), "{m}");
                assert_eq!(m["body"]["content"], "");
                assert!(before.contains_key(&k) && !after.contains_key(&k));
            }
        }
    }
    // Nothing changed since: the next round is empty.
    for c in &channels {
        let (_, link) = delta_round(&sim, &token, &links[c]).await;
        let (items, _) = delta_round(&sim, &token, &link).await;
        assert!(items.is_empty(), "{items:?}");
    }
}

#[tokio::test]
async fn hosted_contents_serve_the_bytes_the_truth_describes() {
    let sim = teams_sim(64).await;
    let token = app_token(&sim, "full").await;
    let mut checked = 0;
    for team in team_ids(&sim, &token).await.into_iter().take(2) {
        let truth: BTreeMap<String, Value> =
            truth(&sim, &format!("team={team}&kind=hostedContent"))
                .await
                .into_iter()
                .map(|e| (id(&e), e))
                .collect();
        let (_, channels) = get(&sim, &token, &format!("/teams/{team}/channels")).await;
        let mut served = BTreeSet::new();
        for c in values(&channels) {
            for top in channel_messages(&sim, &token, &team, &id(&c)).await {
                let replies = top["replies"].as_array().cloned().unwrap_or_default();
                for m in std::iter::once(top).chain(replies) {
                    let html = m["body"]["content"].as_str().unwrap_or_default();
                    for src in html.split("src=\"").skip(1) {
                        let url = src.split('"').next().expect("url");
                        assert!(url.starts_with(&sim.base_url), "{url}");
                        let hosted = url.rsplit('/').nth(1).expect("hosted id");
                        let r = client()
                            .get(url)
                            .bearer_auth(&token)
                            .send()
                            .await
                            .expect("get");
                        assert_eq!(r.status(), 200, "{url}");
                        assert_eq!(r.headers()["content-type"], "image/png");
                        let bytes = r.bytes().await.expect("bytes");
                        assert!(bytes.starts_with(b"\x89PNG"));
                        let key = format!("{}/{hosted}", id(&m));
                        let entry = truth
                            .get(&key)
                            .unwrap_or_else(|| panic!("{key} in the truth"));
                        assert_eq!(entry["sha256"], hex(&Sha256::digest(&bytes)));
                        assert_eq!(entry["size"], bytes.len());
                        served.insert(key);
                        // The metadata lists it, with null bytes as Graph does.
                        let list_url = url.trim_end_matches("/$value");
                        let list_url = &list_url[..list_url.rfind('/').expect("slash")];
                        let (status, list) = get(&sim, &token, list_url).await;
                        assert_eq!(status, 200, "{list_url}");
                        assert!(
                            values(&list)
                                .iter()
                                .any(|h| h["id"] == hosted && h["contentBytes"].is_null())
                        );
                        checked += 1;
                    }
                }
            }
        }
        assert_eq!(
            served,
            truth.keys().cloned().collect::<BTreeSet<_>>(),
            "team {team}"
        );
    }
    assert!(checked > 0, "some messages have inline images");
}

#[tokio::test]
async fn the_summary_lists_teams_and_counts_on_request() {
    let sim = teams_sim(69).await;
    let token = app_token(&sim, "full").await;
    let teams = team_ids(&sim, &token).await;
    let summary = |q: &'static str| {
        let sim = &sim;
        async move {
            client()
                .get(format!("{}/_sim/truth/summary{q}", sim.base_url))
                .send()
                .await
                .expect("summary")
                .json::<Value>()
                .await
                .expect("json")
        }
    };
    let cheap = summary("").await;
    let listed: Vec<String> = values(&json!({"value": cheap["teams"]}))
        .iter()
        .map(id)
        .collect();
    assert_eq!(listed, teams);
    assert!(cheap["teams"][0]["messages"].is_null());
    let counted = summary("?teams=true").await;
    let first = &counted["teams"][0];
    let truth = truth(&sim, &format!("team={}&kind=channelMessage", teams[0])).await;
    assert_eq!(first["messages"], truth.len());
    let (_, channels) = get(&sim, &token, &format!("/teams/{}/channels", teams[0])).await;
    assert_eq!(first["channels"], values(&channels).len());
}
