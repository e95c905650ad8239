//! Injected faults (`/_sim/faults`) and latency.

use std::time::{Duration, Instant};

use m365vault_sim::{Latency, SimConfig, SimServer};
use serde_json::{Value, json};

use crate::common::{app_token, client, default_sim, get, send, sim};

pub async fn set_faults(sim: &SimServer, settings: Value) -> Value {
    let r = client()
        .post(format!("{}/_sim/faults", sim.base_url))
        .json(&settings)
        .send()
        .await
        .expect("faults");
    assert_eq!(r.status(), 200, "fault settings {settings}");
    r.json().await.expect("json")
}

pub async fn stats(sim: &SimServer) -> Value {
    client()
        .get(format!("{}/_sim/stats", sim.base_url))
        .send()
        .await
        .expect("stats")
        .json()
        .await
        .expect("json")
}

#[tokio::test]
async fn server_errors_at_rate_one_answer_every_request_and_at_zero_none() {
    let sim = default_sim().await;
    let token = app_token(&sim, "full").await;
    let shown = set_faults(
        &sim,
        json!({"seed": 3, "server_error": 1.0, "paths": "/users"}),
    )
    .await;
    assert_eq!(shown["server_error"], 1.0);
    assert_eq!(shown["paths"], "/users");
    let mut seen = Vec::new();
    for _ in 0..20 {
        let r = client()
            .get(format!("{}/v1.0/users", sim.base_url))
            .bearer_auth(&token)
            .send()
            .await
            .expect("answer");
        let status = r.status().as_u16();
        let retry_after = r.headers().get("retry-after").cloned();
        let body: Value = r.json().await.expect("json");
        match status {
            500 => assert_eq!(body["error"]["code"], "InternalServerError"),
            503 => assert_eq!(body["error"]["code"], "ServiceUnavailable"),
            other => panic!("unexpected {other}: {body}"),
        }
        assert!(body["error"]["innerError"]["request-id"].is_string());
        seen.push((status, retry_after.is_some()));
    }
    assert!(seen.iter().any(|(s, _)| *s == 500) && seen.iter().any(|(s, _)| *s == 503));
    assert!(
        seen.iter().all(|(s, ra)| *s == 503 || !ra),
        "500s carry no Retry-After"
    );
    // Outside the filter, and on the simulator's own routes, nothing happens.
    let (status, _) = get(&sim, &token, "/groups").await;
    assert_eq!(status, 200);
    let s = stats(&sim).await;
    assert_eq!(s["faults_total"], 20, "{s}");
    assert_eq!(s["faults"]["server_error"], 20, "{s}");

    // The same seed gives the same faults.
    set_faults(
        &sim,
        json!({"seed": 3, "server_error": 1.0, "paths": "/users"}),
    )
    .await;
    for (status, _) in &seen {
        let (again, _) = get(&sim, &token, "/users").await;
        assert_eq!(again, *status);
    }

    // `{}` turns faults off.
    let shown = set_faults(&sim, json!({})).await;
    assert_eq!(shown["server_error"], 0.0);
    for _ in 0..20 {
        let (status, _) = get(&sim, &token, "/users").await;
        assert_eq!(status, 200);
    }
    assert_eq!(stats(&sim).await["faults_total"], 40);
}

#[tokio::test]
async fn identity_platform_and_support_routes_never_fail() {
    let sim = default_sim().await;
    set_faults(&sim, json!({"server_error": 1.0, "reset": 1.0})).await;
    let token = app_token(&sim, "full").await;
    assert!(!token.is_empty());
    let r = client()
        .get(format!("{}/_sim/faults", sim.base_url))
        .send()
        .await
        .expect("faults");
    assert_eq!(r.status(), 200);
    let shown: Value = r.json().await.expect("json");
    assert_eq!(shown["reset"], 1.0);
    assert_eq!(shown["slow_ms"], 3000, "defaults are filled in");
}

#[tokio::test]
async fn fault_settings_are_checked() {
    let sim = default_sim().await;
    for bad in [
        json!({"reset": 2.0}),
        json!({"server_error": -0.1}),
        json!({"bogus": 1}),
        json!({"slow": "often"}),
    ] {
        let r = client()
            .post(format!("{}/_sim/faults", sim.base_url))
            .json(&bad)
            .send()
            .await
            .expect("answer");
        assert_eq!(r.status(), 400, "{bad}");
        let body: Value = r.json().await.expect("json");
        assert!(body["error"].is_string(), "{body}");
    }
}

#[tokio::test]
async fn a_failed_write_may_have_been_carried_out() {
    let sim = default_sim().await;
    let admin = sim.credentials.admin_user.clone();
    let token = crate::setup_writes::delegated_token(
        &sim,
        &admin,
        "https://graph.microsoft.com/Application.ReadWrite.All",
    )
    .await;
    set_faults(
        &sim,
        json!({"server_error": 1.0, "after_write": 1.0, "paths": "/applications"}),
    )
    .await;
    let (status, body) = send(
        &sim,
        reqwest::Method::POST,
        &token,
        "/applications",
        Some(json!({"displayName": "created despite the error"})),
        &[],
    )
    .await;
    assert!(matches!(status, 500 | 504), "{status} {body}");
    set_faults(&sim, json!({})).await;
    let (status, apps) = get(
        &sim,
        &token,
        "/applications?$filter=displayName eq 'created despite the error'",
    )
    .await;
    assert_eq!(status, 200, "{apps}");
    assert_eq!(apps["value"].as_array().map(Vec::len), Some(1), "{apps}");
    assert_eq!(stats(&sim).await["faults"]["server_error_after"], 1);

    // Reads are never carried out before failing (nothing to duplicate), and
    // with after_write 0 neither are writes.
    set_faults(
        &sim,
        json!({"server_error": 1.0, "after_write": 0.0, "paths": "/applications"}),
    )
    .await;
    let (status, _) = send(
        &sim,
        reqwest::Method::POST,
        &token,
        "/applications",
        Some(json!({"displayName": "never created"})),
        &[],
    )
    .await;
    assert!(matches!(status, 500 | 503));
    set_faults(&sim, json!({})).await;
    let (_, apps) = get(
        &sim,
        &token,
        "/applications?$filter=displayName eq 'never created'",
    )
    .await;
    assert_eq!(apps["value"].as_array().map(Vec::len), Some(0), "{apps}");
}

#[tokio::test]
async fn resets_drop_the_connection_small_answers_before_and_large_ones_midway() {
    let sim = sim(SimConfig {
        seed: 5,
        users: 300,
        ..SimConfig::default()
    })
    .await;
    let token = app_token(&sim, "full").await;
    set_faults(&sim, json!({"reset": 1.0})).await;
    let e = client()
        .get(format!("{}/v1.0/organization", sim.base_url))
        .bearer_auth(&token)
        .send()
        .await
        .expect_err("no answer");
    assert!(!e.is_status() && !e.is_timeout(), "{e:?}");
    // A large answer starts, with its full Content-Length, and stops halfway.
    let r = client()
        .get(format!("{}/v1.0/users?$top=999", sim.base_url))
        .bearer_auth(&token)
        .send()
        .await
        .expect("the status line arrives");
    assert_eq!(r.status(), 200);
    let length = r.content_length().expect("length");
    assert!(length > 64 * 1024, "{length}");
    r.bytes().await.expect_err("the body is cut");
    let s = stats(&sim).await;
    assert_eq!(s["faults"]["reset"], 2, "{s}");
    assert_eq!(s["by_status"]["444"], 1, "{s}");
}

#[tokio::test]
async fn slow_answers_wait() {
    let sim = default_sim().await;
    let token = app_token(&sim, "full").await;
    set_faults(
        &sim,
        json!({"slow": 1.0, "slow_ms": 400, "paths": "/organization"}),
    )
    .await;
    let started = Instant::now();
    let (status, _) = get(&sim, &token, "/organization").await;
    assert_eq!(status, 200);
    assert!(started.elapsed() >= Duration::from_millis(400));
    assert_eq!(stats(&sim).await["faults"]["slow"], 1);
}

#[tokio::test]
async fn expired_delta_tokens_answer_410_with_where_to_restart() {
    let sim = default_sim().await;
    let token = app_token(&sim, "full").await;
    let (status, first) = get(&sim, &token, "/users/delta?$select=id").await;
    assert_eq!(status, 200);
    let mut link = first["@odata.nextLink"]
        .as_str()
        .or(first["@odata.deltaLink"].as_str())
        .expect("a link")
        .to_owned();
    set_faults(&sim, json!({"expired_delta": 1.0})).await;
    // Requests without a state token are not delta continuations.
    let (status, _) = get(&sim, &token, "/users").await;
    assert_eq!(status, 200);
    let r = client()
        .get(&link)
        .bearer_auth(&token)
        .send()
        .await
        .expect("answer");
    assert_eq!(r.status(), 410);
    let location = r
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .expect("location")
        .to_owned();
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["error"]["code"], "syncStateNotFound");
    // The token carried the $select of the first request; the restart is the bare delta.
    assert_eq!(location, format!("{}/v1.0/users/delta", sim.base_url));
    // The restart has no token, so it is served.
    link = location;
    let (status, restarted) = get(&sim, &token, &link).await;
    assert_eq!(status, 200, "{restarted}");
    assert_eq!(stats(&sim).await["faults"]["expired_delta"], 1);
}

#[tokio::test]
async fn latency_delays_every_graph_answer() {
    let sim = sim(SimConfig {
        latency: Some(Latency {
            min_ms: 250,
            max_ms: 250,
        }),
        ..SimConfig::default()
    })
    .await;
    let token = app_token(&sim, "full").await;
    let started = Instant::now();
    let (status, _) = get(&sim, &token, "/organization").await;
    assert_eq!(status, 200);
    assert!(started.elapsed() >= Duration::from_millis(250));
}
