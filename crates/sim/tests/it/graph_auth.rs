//! Every Graph call checks its bearer token and the permission it needs.

use std::sync::Arc;

use m365vault_sim::{ManualClock, SimConfig};
use serde_json::Value;

use crate::common::{app_token, client, default_sim, get, sim};

fn assert_graph_error(body: &Value, code: &str) {
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(body["error"]["message"].is_string());
    let inner = &body["error"]["innerError"];
    assert!(
        inner["date"].is_string()
            && inner["request-id"].is_string()
            && inner["client-request-id"].is_string(),
        "{body}"
    );
}

#[tokio::test]
async fn missing_malformed_and_forged_tokens_are_401() {
    let sim = default_sim().await;
    let r = client()
        .get(format!("{}/v1.0/users", sim.base_url))
        .header("client-request-id", "abc-123")
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), 401);
    let www = r
        .headers()
        .get("www-authenticate")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        www.starts_with("Bearer realm=\"\"")
            && www.contains("client_id=\"00000003-0000-0000-c000-000000000000\""),
        "{www}"
    );
    let body: Value = r.json().await.expect("json");
    assert_graph_error(&body, "InvalidAuthenticationToken");
    assert_eq!(body["error"]["message"], "Access token is empty.");
    assert_eq!(body["error"]["innerError"]["client-request-id"], "abc-123");

    let (status, body) = get(&sim, "not-a-jwt", "/users").await;
    assert_eq!(status, 401);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .starts_with("IDX14100")
    );

    // A simulator with the same seed has the same tenant and apps but its own signing key:
    // its tokens are forgeries here.
    let twin = sim_with_same_seed().await;
    let forged = app_token(&twin, "full").await;
    let (status, body) = get(&sim, &forged, "/users").await;
    assert_eq!(status, 401);
    assert_graph_error(&body, "InvalidAuthenticationToken");
    assert_eq!(body["error"]["message"], "Access token validation failure.");

    // A token whose payload was edited (roles added) fails the signature check.
    let real = app_token(&sim, "mail-only").await;
    let mut parts: Vec<String> = real.split('.').map(str::to_owned).collect();
    use base64::Engine;
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut payload: Value =
        serde_json::from_slice(&engine.decode(&parts[1]).expect("b64")).expect("json");
    payload["roles"] = serde_json::json!(["Directory.ReadWrite.All"]);
    parts[1] = engine.encode(serde_json::to_vec(&payload).expect("json"));
    let (status, _) = get(&sim, &parts.join("."), "/groups").await;
    assert_eq!(status, 401);
}

async fn sim_with_same_seed() -> m365vault_sim::SimServer {
    sim(SimConfig {
        seed: 42,
        users: 30,
        ..SimConfig::default()
    })
    .await
}

#[tokio::test]
async fn expired_tokens_are_401() {
    let clock = ManualClock::new();
    let sim = sim(SimConfig {
        seed: 3,
        users: 5,
        clock: Some(Arc::new(clock.clone())),
        ..SimConfig::default()
    })
    .await;
    let token = app_token(&sim, "full").await;
    assert_eq!(get(&sim, &token, "/users").await.0, 200);
    clock.advance(time::Duration::hours(2));
    let (status, body) = get(&sim, &token, "/users").await;
    assert_eq!(status, 401);
    assert_eq!(
        body["error"]["message"],
        "Lifetime validation failed, the token is expired."
    );
}

#[tokio::test]
async fn missing_permissions_are_403_as_the_directory_answers() {
    let sim = default_sim().await;
    let mail_only = app_token(&sim, "mail-only").await;
    assert_eq!(get(&sim, &mail_only, "/users").await.0, 200);
    let (status, body) = get(&sim, &mail_only, "/groups").await;
    assert_eq!(status, 403);
    assert_graph_error(&body, "Authorization_RequestDenied");
    assert_eq!(
        body["error"]["message"],
        "Insufficient privileges to complete the operation."
    );

    let none = app_token(&sim, "no-consent").await;
    let (status, body) = get(&sim, &none, "/users").await;
    assert_eq!(status, 403);
    assert_graph_error(&body, "Authorization_RequestDenied");

    let inventory = app_token(&sim, "inventory-only").await;
    assert_eq!(get(&sim, &inventory, "/subscribedSkus").await.0, 200);
    assert_eq!(get(&sim, &inventory, "/organization").await.0, 200);
    assert_eq!(get(&sim, &inventory, "/groups").await.0, 403);
}

#[tokio::test]
async fn every_route_has_microsofts_permission_data() {
    let reference = m365vault_sim::reference::Reference::get();
    for (method, path) in m365vault_sim::graph::ROUTES {
        let template = m365vault_sim::graph::auth::template(&format!("/v1.0{path}"));
        assert!(
            reference.grants(method, &template).is_some(),
            "{method} {template} has no permission data"
        );
    }
}

#[tokio::test]
async fn directory_throttling_answers_429_with_retry_after() {
    let sim = sim(SimConfig {
        seed: 5,
        users: 10,
        directory_budget: Some(10),
        ..SimConfig::default()
    })
    .await;
    let token = app_token(&sim, "full").await;
    let mut throttled = None;
    for _ in 0..10 {
        let r = client()
            .get(format!("{}/v1.0/users", sim.base_url))
            .bearer_auth(&token)
            .send()
            .await
            .expect("request");
        if r.status() == 429 {
            throttled = Some(r);
            break;
        }
        assert_eq!(
            r.headers()
                .get("x-ms-resource-unit")
                .and_then(|v| v.to_str().ok()),
            Some("2")
        );
    }
    let r = throttled.expect("the budget of 10 units runs out after 5 list calls at 2 units");
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!((1..=10).contains(&retry), "{retry}");
    assert!(
        r.headers()["x-ms-throttle-scope"]
            .to_str()
            .unwrap_or_default()
            .starts_with("Tenant_Application/ReadWrite/")
    );
    assert_eq!(
        r.headers()["x-ms-throttle-information"],
        "ResourceUnitLimitExceeded"
    );
    let body: Value = r.json().await.expect("json");
    assert_graph_error(&body, "TooManyRequests");
    let stats: Value = client()
        .get(format!("{}/_sim/stats", sim.base_url))
        .send()
        .await
        .expect("stats")
        .json()
        .await
        .expect("json");
    assert!(stats["throttled_total"].as_u64() >= Some(1), "{stats}");
    assert!(stats["by_status"]["429"].as_u64() >= Some(1));
    assert!(
        stats["by_endpoint"]["GET /v1.0/users"].as_u64() >= Some(5),
        "{stats}"
    );
}

#[tokio::test]
async fn me_is_for_delegated_callers_only() {
    let sim = default_sim().await;
    let token = app_token(&sim, "full").await;
    let (status, body) = get(&sim, &token, "/me").await;
    assert_eq!(status, 400);
    assert_eq!(
        body["error"]["message"],
        "/me request is only valid with delegated authentication flow."
    );
    let admin = crate::setup_writes::delegated_token(
        &sim,
        &sim.credentials.admin_user.clone(),
        "User.Read",
    )
    .await;
    let (status, me) = get(&sim, &admin, "/me").await;
    assert_eq!(status, 200);
    assert_eq!(me["userPrincipalName"], sim.credentials.admin_user.as_str());
}
