//! Teams: the migration-mode restore flow, permissions, `getAllMessages`
//! (unmetered, its `model` parameter accepted), and throttling per channel.

use std::sync::Arc;

use m365vault_sim::{ManualClock, SimConfig};
use serde_json::{Value, json};

use crate::common::{all_pages, app_token, client, get, send, sim};
use crate::setup_writes::delegated_token;
use crate::teams::{channel_messages, id, team_ids, teams_sim, truth, values};

#[tokio::test]
async fn migration_mode_restores_messages_with_their_authors_and_times() {
    let sim = teams_sim(65).await;
    let token = app_token(&sim, "full").await;
    let team = team_ids(&sim, &token).await.remove(0);
    let (_, users) = get(&sim, &token, "/users?$top=5").await;
    let author = values(&users)[1].clone();
    let post = |path: String, body: Value| {
        let (sim, token) = (&sim, &token);
        async move { send(sim, reqwest::Method::POST, token, &path, Some(body), &[]).await }
    };
    let channels = format!("/teams/{team}/channels");
    // createdDateTime needs migration mode; migration mode needs Teamwork.Migrate.All.
    let (status, body) = post(
        channels.clone(),
        json!({"displayName": "Back-dated", "createdDateTime": "2020-03-14T11:22:17.067Z"}),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    let mail_only = app_token(&sim, "mail-only").await;
    let (status, body) = send(
        &sim,
        reqwest::Method::POST,
        &mail_only,
        &channels,
        Some(json!({"@microsoft.graph.channelCreationMode": "migration", "displayName": "X"})),
        &[],
    )
    .await;
    assert_eq!(status, 403, "{body}");
    let (status, channel) = post(
        channels.clone(),
        json!({
            "@microsoft.graph.channelCreationMode": "migration",
            "displayName": "Restored",
            "description": "restore",
            "createdDateTime": "2020-03-14T11:22:17.067Z",
        }),
    )
    .await;
    assert_eq!(status, 201, "{channel}");
    assert_eq!(channel["migrationMode"], "inProgress");
    assert_eq!(channel["createdDateTime"], "2020-03-14T11:22:17.067Z");
    let cid = id(&channel);
    let messages = format!("/teams/{team}/channels/{cid}/messages");
    let from = json!({"user": {"id": author["id"], "displayName": author["displayName"], "userIdentityType": "aadUser"}});
    let (status, m) = post(
        messages.clone(),
        json!({
            "createdDateTime": "2021-02-04T19:58:15.511Z",
            "from": from,
            "body": {"contentType": "html", "content": "<p>Hello <img src=\"../hostedContents/1/$value\"></p>"},
            "hostedContents": [{"@microsoft.graph.temporaryId": "1", "contentBytes": "iVBORw0KGgo=", "contentType": "image/png"}],
        }),
    )
    .await;
    assert_eq!(status, 201, "{m}");
    assert_eq!(m["createdDateTime"], "2021-02-04T19:58:15.511Z");
    assert_eq!(m["id"], "1612468695511");
    assert_eq!(m["from"]["user"]["id"], author["id"]);
    let content = m["body"]["content"].as_str().expect("content");
    let url = content
        .split("src=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("image url");
    let r = client()
        .get(url)
        .bearer_auth(&token)
        .send()
        .await
        .expect("image");
    assert_eq!(r.status(), 200, "{url}");
    assert_eq!(
        r.bytes().await.expect("bytes").as_ref(),
        b"\x89PNG\r\n\x1a\n"
    );
    let (status, reply) = post(
        format!("{messages}/{}/replies", id(&m)),
        json!({"createdDateTime": "2021-02-04T20:00:00Z", "from": from, "body": {"content": "reply"}}),
    )
    .await;
    assert_eq!(status, 201, "{reply}");
    assert_eq!(reply["replyToId"], m["id"]);
    // The same millisecond twice conflicts; before the channel, or unattributed, is refused.
    let (status, _) = post(
        messages.clone(),
        json!({"createdDateTime": "2021-02-04T19:58:15.511Z", "from": from, "body": {"content": "again"}}),
    )
    .await;
    assert_eq!(status, 409);
    let (status, _) = post(
        messages.clone(),
        json!({"createdDateTime": "2019-01-01T00:00:00Z", "from": from, "body": {"content": "early"}}),
    )
    .await;
    assert_eq!(status, 400);
    let (status, _) = post(messages.clone(), json!({"body": {"content": "who?"}})).await;
    assert_eq!(status, 400);
    // Imported messages are in the channel and the truth.
    let listed = channel_messages(&sim, &token, &team, &cid).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["replies"][0]["body"]["content"], "reply");
    let truth = truth(&sim, &format!("team={team}&kind=channelMessage")).await;
    assert!(
        truth
            .iter()
            .any(|e| e["id"] == m["id"] && e["path"] == format!("/Restored/{}", id(&m)))
    );

    let (status, _) = post(
        format!("/teams/{team}/channels/{cid}/completeMigration"),
        json!({}),
    )
    .await;
    assert_eq!(status, 204);
    let (_, after) = get(&sim, &token, &format!("/teams/{team}/channels/{cid}")).await;
    assert_eq!(after["migrationMode"], "completed");
    let (status, body) = post(
        messages.clone(),
        json!({"createdDateTime": "2022-01-01T00:00:00Z", "from": from, "body": {"content": "late"}}),
    )
    .await;
    assert_eq!(status, 401, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .expect("message")
            .starts_with(
                "Message POST is allowed in application-only context only for import purposes."
            )
    );
    let (status, _) = post(
        format!("/teams/{team}/channels/{cid}/completeMigration"),
        json!({}),
    )
    .await;
    assert_eq!(status, 400, "not in migration mode any more");

    // A plain channel; applications may not post in it, people may (as themselves, now).
    let (status, plain) = post(channels.clone(), json!({"displayName": "Plain"})).await;
    assert_eq!(status, 201, "{plain}");
    assert_eq!(plain["membershipType"], "standard");
    assert!(plain["migrationMode"].is_null());
    let plain_messages = format!("/teams/{team}/channels/{}/messages", id(&plain));
    let (status, _) = post(plain_messages.clone(), json!({"body": {"content": "hi"}})).await;
    assert_eq!(status, 401);
    let (status, body) = post(channels.clone(), json!({"displayName": "plain"})).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("NameAlreadyExists"))
    );
    let upn = author["userPrincipalName"].as_str().expect("upn");
    let user = delegated_token(&sim, upn, "ChannelMessage.Send").await;
    let (status, sent) = send(
        &sim,
        reqwest::Method::POST,
        &user,
        &plain_messages,
        Some(json!({"body": {"content": "hi"}})),
        &[],
    )
    .await;
    assert_eq!(status, 201, "{sent}");
    assert_eq!(sent["from"]["user"]["id"], author["id"]);
    let (status, _) = send(
        &sim,
        reqwest::Method::POST,
        &user,
        &plain_messages,
        Some(json!({"body": {"content": "hi"}, "createdDateTime": "2021-01-01T00:00:00Z"})),
        &[],
    )
    .await;
    assert_eq!(status, 400, "createdDateTime is for migration only");
}

#[tokio::test]
async fn reads_need_the_teams_permissions() {
    let sim = teams_sim(66).await;
    let full = app_token(&sim, "full").await;
    let team = team_ids(&sim, &full).await.remove(0);
    let (_, channels) = get(&sim, &full, &format!("/teams/{team}/channels")).await;
    let general = id(&values(&channels)[0]);
    for app in ["mail-only", "no-consent"] {
        let token = app_token(&sim, app).await;
        for (path, needs) in [
            ("/teams".to_owned(), "Team.ReadBasic.All"),
            (format!("/teams/{team}/channels"), "Channel.ReadBasic.All"),
            (
                format!("/teams/{team}/channels/{general}/messages"),
                "ChannelMessage.Read.All",
            ),
            (
                format!("/teams/{team}/channels/{general}/messages/delta"),
                "ChannelMessage.Read.All",
            ),
            (
                format!("/teams/{team}/channels/getAllMessages?model=B"),
                "ChannelMessage.Read.All",
            ),
        ] {
            let (status, body) = get(&sim, &token, &path).await;
            assert_eq!(status, 403, "{app} {path}: {body}");
            assert_eq!(body["error"]["code"], "Forbidden");
            let message = body["error"]["message"].as_str().expect("message");
            assert!(
                message.starts_with("Missing role permissions on the request."),
                "{message}"
            );
            assert!(message.contains(needs), "{message}");
            assert!(body["error"]["innerError"]["request-id"].is_string());
        }
    }
}

#[tokio::test]
async fn get_all_messages_filters_by_time_and_is_unmetered() {
    let sim = teams_sim(67).await;
    let token = app_token(&sim, "full").await;
    let team = team_ids(&sim, &token).await.remove(0);
    let all = all_pages(
        &sim,
        &token,
        &format!("/teams/{team}/channels/getAllMessages?model=B&$top=50"),
    )
    .await;
    let truth = truth(&sim, &format!("team={team}&kind=channelMessage")).await;
    let live = all
        .iter()
        .filter(|m| m["deletedDateTime"].is_null())
        .count();
    assert_eq!(live, truth.len(), "every live message and reply, once");
    let mut modified: Vec<&str> = all
        .iter()
        .map(|m| m["lastModifiedDateTime"].as_str().expect("t"))
        .collect();
    let sorted = {
        let mut s = modified.clone();
        s.sort();
        s
    };
    assert_eq!(modified, sorted, "oldest change first");
    modified.sort();
    let (lo, hi) = (
        modified[modified.len() / 4],
        modified[modified.len() * 3 / 4],
    );
    let window = all_pages(
        &sim,
        &token,
        &format!("/teams/{team}/channels/getAllMessages?model=A&$filter=lastModifiedDateTime gt {lo} and lastModifiedDateTime lt {hi}"),
    )
    .await;
    let expected = modified.iter().filter(|t| **t > lo && **t < hi).count();
    assert_eq!(window.len(), expected);
    // Any other model is refused.
    for bad in ["C", "evaluation"] {
        let (status, body) = get(
            &sim,
            &token,
            &format!("/teams/{team}/channels/getAllMessages?model={bad}"),
        )
        .await;
        assert_eq!(status, 400, "model={bad}: {body}");
        assert_eq!(body["error"]["code"], "BadRequest");
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("'model'")),
            "{body}"
        );
    }
    // The export APIs are unmetered since 25 August 2025: with no model, or
    // model A or B in any case, every read succeeds and returns everything,
    // far beyond the old evaluation quota of 500 messages a month.
    let ids = |page: &[Value]| -> Vec<String> { page.iter().map(id).collect() };
    let expected = ids(&all);
    let mut read = 0;
    for model in ["", "&model=a", "&model=b", "&model=A", "", ""] {
        let again = all_pages(
            &sim,
            &token,
            &format!("/teams/{team}/channels/getAllMessages?$top=50{model}"),
        )
        .await;
        assert_eq!(ids(&again), expected, "model {model:?}");
        read += again.len();
    }
    while read <= 1_000 {
        let (status, body) = get(
            &sim,
            &token,
            &format!("/teams/{team}/channels/getAllMessages?$top=50"),
        )
        .await;
        assert_eq!(status, 200, "after {read} messages: {body}");
        let n = values(&body).len();
        assert!(n > 0);
        read += n;
    }
}

#[tokio::test]
async fn one_channel_takes_four_requests_a_second() {
    let clock = ManualClock::new();
    let sim = sim(SimConfig {
        seed: 68,
        users: 20,
        clock: Some(Arc::new(clock.clone())),
        ..SimConfig::default()
    })
    .await;
    let token = app_token(&sim, "full").await;
    let (_, teams) = get(&sim, &token, "/teams").await;
    let team = id(&values(&teams)[0]);
    let (_, channels) = get(&sim, &token, &format!("/teams/{team}/channels")).await;
    let channels: Vec<String> = values(&channels).iter().map(id).collect();
    let path = format!(
        "{}/v1.0/teams/{team}/channels/{}/messages",
        sim.base_url, channels[0]
    );
    let mut statuses = Vec::new();
    let mut refusal = None;
    for _ in 0..12 {
        let r = client()
            .get(&path)
            .bearer_auth(&token)
            .send()
            .await
            .expect("get");
        statuses.push(r.status().as_u16());
        if r.status() == 429 {
            refusal = Some(r);
            break;
        }
    }
    // Four at once pass; the fifth is refused unless time refilled the
    // bucket meanwhile (a quarter second per request).
    assert_eq!(&statuses[..4], &[200, 200, 200, 200], "{statuses:?}");
    assert!((5..=8).contains(&statuses.len()), "{statuses:?}");
    let r = refusal.expect("a refusal");
    let wait: u64 = r.headers()["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!(wait >= 1);
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["error"]["code"], "TooManyRequests");
    // Another channel has its own budget; a second later the first takes requests again.
    let other = format!("/teams/{team}/channels/{}/messages", channels[1]);
    assert_eq!(get(&sim, &token, &other).await.0, 200);
    clock.advance(time::Duration::seconds(1));
    let r = client()
        .get(&path)
        .bearer_auth(&token)
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 200);
    let stats: Value = client()
        .get(format!("{}/_sim/stats", sim.base_url))
        .send()
        .await
        .expect("stats")
        .json()
        .await
        .expect("json");
    assert!(
        stats["teams_throttled"].as_u64().expect("count") >= 1,
        "{stats}"
    );
}
