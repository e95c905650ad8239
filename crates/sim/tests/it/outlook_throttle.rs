//! Outlook's limits per app and mailbox over HTTP: concurrency, request rate,
//! uploads, `$batch` queueing, `--throttle off`.

use std::time::{Duration, Instant};

use m365vault_sim::{Latency, OutlookLimits, SimConfig, SimServer, ThrottleMode};
use serde_json::{Value, json};

use crate::common::{app_token, client, get, send, sim};

async fn mail_sim(config: SimConfig) -> SimServer {
    sim(SimConfig {
        seed: 31,
        users: 5,
        mail_scale: 0.02,
        ..config
    })
    .await
}

fn latency(ms: u64) -> Option<Latency> {
    Some(Latency {
        min_ms: ms,
        max_ms: ms,
    })
}

/// (object id, user principal name) of the tenant's first users.
async fn mailboxes(sim: &SimServer, token: &str) -> Vec<(String, String)> {
    let (status, users) = get(sim, token, "/users?$select=id,userPrincipalName").await;
    assert_eq!(status, 200, "{users}");
    users["value"]
        .as_array()
        .expect("users")
        .iter()
        .map(|u| {
            (
                u["id"].as_str().expect("id").to_owned(),
                u["userPrincipalName"].as_str().expect("upn").to_owned(),
            )
        })
        .collect()
}

/// Sends a GET in the background; the task returns status, `Retry-After` and body.
fn spawn_get(
    sim: &SimServer,
    token: &str,
    path: String,
) -> tokio::task::JoinHandle<(u16, Option<String>, Value)> {
    let url = format!("{}/v1.0{path}", sim.base_url);
    let token = token.to_owned();
    tokio::spawn(async move {
        let r = client()
            .get(url)
            .bearer_auth(token)
            .send()
            .await
            .expect("answer");
        let status = r.status().as_u16();
        let retry_after = r
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let text = r.text().await.expect("body");
        (
            status,
            retry_after,
            serde_json::from_str(&text).unwrap_or(Value::Null),
        )
    })
}

/// Waits until `n` requests of `app` are in flight against `mailbox`.
async fn until_in_flight(sim: &SimServer, app: &str, mailbox: &str, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while sim.state.throttle.in_flight(app, mailbox) < n {
        assert!(Instant::now() < deadline, "never {n} in flight");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn a_fifth_concurrent_request_to_one_mailbox_is_refused() {
    let sim = mail_sim(SimConfig {
        latency: latency(1_500),
        ..SimConfig::default()
    })
    .await;
    let token = app_token(&sim, "full").await;
    let app = sim.credentials.app("full").expect("app").client_id.clone();
    let boxes = mailboxes(&sim, &token).await;
    let (id, upn) = &boxes[0];
    let four: Vec<_> = (0..4)
        .map(|_| spawn_get(&sim, &token, format!("/users/{id}/mailFolders")))
        .collect();
    until_in_flight(&sim, &app, id, 4).await;
    // The same mailbox named by its user principal name is the same mailbox.
    let (status, retry_after, body) =
        spawn_get(&sim, &token, format!("/users/{upn}/messages?$top=1"))
            .await
            .expect("task");
    assert_eq!(status, 429, "{body}");
    assert_eq!(retry_after.as_deref(), Some("1"));
    assert_eq!(body["error"]["code"], "ApplicationThrottled");
    assert_eq!(
        body["error"]["message"],
        "Application is over its MailboxConcurrency limit."
    );
    assert!(body["error"]["innerError"]["request-id"].is_string());
    for t in four {
        let (status, _, body) = t.await.expect("task");
        assert_eq!(status, 200, "{body}");
    }
    assert_eq!(sim.state.throttle.in_flight(&app, id), 0);
    // The directory is not Outlook: it stays open while a mailbox is busy.
    let busy: Vec<_> = (0..4)
        .map(|_| spawn_get(&sim, &token, format!("/users/{id}/mailFolders")))
        .collect();
    until_in_flight(&sim, &app, id, 4).await;
    let (status, _) = get(&sim, &token, &format!("/users/{id}")).await;
    assert_eq!(status, 200);
    for t in busy {
        assert_eq!(t.await.expect("task").0, 200);
    }
}

#[tokio::test]
async fn four_requests_to_each_of_two_mailboxes_all_pass() {
    let sim = mail_sim(SimConfig {
        latency: latency(300),
        ..SimConfig::default()
    })
    .await;
    let token = app_token(&sim, "full").await;
    let boxes = mailboxes(&sim, &token).await;
    let all: Vec<_> = boxes[..2]
        .iter()
        .flat_map(|(id, _)| (0..4).map(move |_| id.clone()))
        .map(|id| spawn_get(&sim, &token, format!("/users/{id}/mailFolders")))
        .collect();
    for t in all {
        let (status, _, body) = t.await.expect("task");
        assert_eq!(status, 200, "{body}");
    }
    let stats: Value = client()
        .get(format!("{}/_sim/stats", sim.base_url))
        .send()
        .await
        .expect("stats")
        .json()
        .await
        .expect("json");
    assert_eq!(stats["throttled_total"], 0, "{stats}");
}

fn batch_of(n: usize, url: &str) -> Value {
    let requests: Vec<Value> = (0..n)
        .map(|i| json!({"id": (i + 1).to_string(), "method": "GET", "url": url}))
        .collect();
    json!({ "requests": requests })
}

#[tokio::test]
async fn a_batch_of_twenty_to_one_mailbox_is_queued_four_at_a_time() {
    let sim = mail_sim(SimConfig {
        latency: latency(200),
        ..SimConfig::default()
    })
    .await;
    let token = app_token(&sim, "full").await;
    let boxes = mailboxes(&sim, &token).await;
    let id = &boxes[0].0;
    let started = Instant::now();
    let (status, body) = send(
        &sim,
        reqwest::Method::POST,
        &token,
        "/$batch",
        Some(batch_of(20, &format!("/users/{id}/mailFolders"))),
        &[],
    )
    .await;
    let took = started.elapsed();
    assert_eq!(status, 200, "{body}");
    let responses = body["responses"].as_array().expect("responses");
    assert_eq!(responses.len(), 20);
    assert!(
        responses.iter().all(|r| r["status"] == 200),
        "{responses:?}"
    );
    // Twenty requests of 200 ms, four at a time: five rounds, not one, not twenty.
    assert!(took >= Duration::from_millis(1_000), "{took:?}");
    assert!(took < Duration::from_millis(3_500), "{took:?}");
}

#[tokio::test]
async fn request_and_upload_budgets_run_out_per_mailbox() {
    let sim = mail_sim(SimConfig {
        outlook_limits: OutlookLimits {
            requests: 3,
            upload_bytes: 100,
            ..OutlookLimits::default()
        },
        // Outlook requests do not spend the directory's resource units.
        directory_budget: Some(2),
        ..SimConfig::default()
    })
    .await;
    let token = app_token(&sim, "full").await;
    let (status, users) = get(&sim, &token, "/users?$select=id").await;
    assert_eq!(status, 200, "{users}");
    let ids: Vec<String> = users["value"]
        .as_array()
        .expect("users")
        .iter()
        .map(|u| u["id"].as_str().expect("id").to_owned())
        .collect();
    for _ in 0..3 {
        let (status, body) = get(&sim, &token, &format!("/users/{}/mailFolders", ids[0])).await;
        assert_eq!(status, 200, "{body}");
    }
    let (status, retry_after, body) =
        spawn_get(&sim, &token, format!("/users/{}/mailFolders", ids[0]))
            .await
            .expect("task");
    assert_eq!(status, 429);
    assert_eq!(
        body["error"]["message"],
        "Application is over its RequestRate limit."
    );
    // One request comes back every 600 / 3 = 200 seconds.
    assert_eq!(retry_after.as_deref(), Some("200"));

    // Uploads: the first body (larger than the whole budget) passes on a full
    // budget, the next waits for the bytes to come back.
    let folder = json!({"displayName": "x".repeat(150)});
    let (status, body) = send(
        &sim,
        reqwest::Method::POST,
        &token,
        &format!("/users/{}/mailFolders", ids[1]),
        Some(folder.clone()),
        &[],
    )
    .await;
    assert!(status < 300, "{status} {body}");
    let (status, body) = send(
        &sim,
        reqwest::Method::POST,
        &token,
        &format!("/users/{}/mailFolders", ids[1]),
        Some(folder),
        &[],
    )
    .await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["error"]["code"], "ApplicationThrottled");
    assert_eq!(
        body["error"]["message"],
        "Application is over its IncomingBytes limit."
    );

    // Inside a batch each request counts: three pass, the others are refused.
    let (status, body) = send(
        &sim,
        reqwest::Method::POST,
        &token,
        "/$batch",
        Some(batch_of(5, &format!("/users/{}/mailFolders", ids[2]))),
        &[],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let statuses: Vec<u64> = body["responses"]
        .as_array()
        .expect("responses")
        .iter()
        .filter_map(|r| r["status"].as_u64())
        .collect();
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 3, "{body}");
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 2, "{body}");
}

#[tokio::test]
async fn throttle_off_lifts_outlook_limits() {
    let sim = mail_sim(SimConfig {
        throttle: ThrottleMode::Off,
        latency: latency(500),
        outlook_limits: OutlookLimits {
            requests: 2,
            ..OutlookLimits::default()
        },
        ..SimConfig::default()
    })
    .await;
    let token = app_token(&sim, "full").await;
    let boxes = mailboxes(&sim, &token).await;
    let id = &boxes[0].0;
    let all: Vec<_> = (0..8)
        .map(|_| spawn_get(&sim, &token, format!("/users/{id}/mailFolders")))
        .collect();
    for t in all {
        let (status, _, body) = t.await.expect("task");
        assert_eq!(status, 200, "{body}");
    }
}
