//! SharePoint and OneDrive resource units over HTTP: the minute's budget runs
//! out with `RateLimit-*` headers near its end, 429 `activityLimitReached`
//! with `Retry-After`, every tenth refusal a 503, the directory unaffected,
//! `--throttle off`, and the charge of pre-authenticated URLs.
//!
//! The requests go through the simulator's own `authorize` middleware in
//! front of a stand-in `/v1.0/sites/{id}` handler, so that the test does not
//! depend on what the drive and site handlers answer.

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::routing::get;
use m365vault_sim::throttle::SharePointLimits;
use m365vault_sim::{ManualClock, SimConfig, SimServer, ThrottleMode};
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::common::{app_token, client, get as graph_get, sim};

async fn sharepoint_sim(
    throttle: ThrottleMode,
    ru_per_minute: u32,
    clock: ManualClock,
) -> SimServer {
    sim(SimConfig {
        seed: 57,
        users: 5,
        throttle,
        clock: Some(Arc::new(clock)),
        sharepoint_limits: SharePointLimits {
            ru_per_minute: Some(ru_per_minute),
            ..SharePointLimits::default()
        },
        ..SimConfig::default()
    })
    .await
}

/// The `authorize` middleware in front of a stand-in site handler.
fn sites_router(sim: &SimServer) -> Router {
    Router::new()
        .route(
            "/v1.0/sites/{site}",
            get(|| async { axum::Json(json!({"id": "root"})) }),
        )
        .route_layer(axum::middleware::from_fn_with_state(
            sim.state.clone(),
            m365vault_sim::graph::auth::authorize,
        ))
        .with_state(sim.state.clone())
}

struct Answer {
    status: u16,
    header: Vec<(String, String)>,
    body: Value,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.header
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn number(&self, name: &str) -> u64 {
        self.header(name)
            .unwrap_or_else(|| panic!("{name} missing"))
            .parse()
            .expect("an integer")
    }
}

async fn call(router: &Router, token: &str, path: &str) -> Answer {
    let request = Request::get(path)
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .expect("request");
    let response = router.clone().oneshot(request).await.expect("answer");
    let status = response.status().as_u16();
    let header = response
        .headers()
        .iter()
        .map(|(n, v)| (n.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
        .collect();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .expect("body");
    Answer {
        status,
        header,
        body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    }
}

#[tokio::test]
async fn the_61st_single_item_get_is_refused_when_the_minute_allows_60() {
    let clock = ManualClock::new();
    let sim = sharepoint_sim(ThrottleMode::On, 60, clock.clone()).await;
    let token = app_token(&sim, "full").await;
    let router = sites_router(&sim);
    let started = Instant::now();
    let mut first_headers = None;
    let mut refused = None;
    for i in 1..=200u64 {
        let a = call(&router, &token, "/v1.0/sites/root").await;
        if a.status != 200 {
            refused = Some((i, a));
            break;
        }
        if first_headers.is_none() && a.header("ratelimit-limit").is_some() {
            assert_eq!(a.number("ratelimit-limit"), 60);
            assert!(a.number("ratelimit-remaining") <= 12, "request {i}");
            assert!(a.number("ratelimit-reset") >= 48, "request {i}");
            first_headers = Some(i);
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let (n, a) = refused.expect("a request was refused");
    // Time refills the budget at 1 RU per second while the test runs.
    let slack = elapsed.ceil() as u64;
    assert!(
        (61..=61 + slack).contains(&n),
        "refused at {n} after {elapsed} s"
    );
    let first = first_headers.expect("RateLimit headers near the limit");
    assert!((48..=49 + slack).contains(&first), "headers from {first}");
    assert_eq!(a.status, 429, "{}", a.body);
    assert_eq!(a.body["error"]["code"], "activityLimitReached");
    assert_eq!(a.body["error"]["message"], "The request has been throttled");
    assert!(a.body["error"]["innerError"]["request-id"].is_string());
    // The refused request counted: 2 RU to wait for at 1 RU per second.
    assert_eq!(a.number("retry-after"), 2);
    assert_eq!(a.number("ratelimit-limit"), 60);
    assert_eq!(a.number("ratelimit-remaining"), 0);
    assert_eq!(a.number("ratelimit-reset"), 2);

    // The directory keeps its own budget.
    let (status, body) = graph_get(&sim, &token, "/organization").await;
    assert_eq!(status, 200, "{body}");

    // Clients must handle both answers: every tenth refusal is a 503.
    let mut statuses = vec![429];
    for _ in 0..9 {
        let a = call(&router, &token, "/v1.0/sites/root").await;
        if a.status == 503 {
            assert_eq!(a.body["error"]["code"], "serviceNotAvailable");
            assert_eq!(a.body["error"]["message"], "Service unavailable");
            assert!(a.number("retry-after") >= 1);
            assert_eq!(a.header("ratelimit-limit"), None);
        }
        statuses.push(a.status);
    }
    assert_eq!(statuses, [429, 429, 429, 429, 429, 429, 429, 429, 429, 503]);
    let stats = sim.state.stats.snapshot();
    assert_eq!(stats.sharepoint_throttled, 10);
    assert_eq!(stats.sharepoint_ru, n + 9);

    // A minute later (and one refused request's worth more), the budget is back.
    clock.advance(time::Duration::seconds(90));
    let a = call(&router, &token, "/v1.0/sites/root").await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.header("ratelimit-limit"), None);
}

#[tokio::test]
async fn throttling_off_never_refuses_sharepoint_requests() {
    let sim = sharepoint_sim(ThrottleMode::Off, 1, ManualClock::new()).await;
    let token = app_token(&sim, "full").await;
    let router = sites_router(&sim);
    for _ in 0..100 {
        let a = call(&router, &token, "/v1.0/sites/root").await;
        assert_eq!(a.status, 200, "{}", a.body);
        assert_eq!(a.header("ratelimit-limit"), None);
    }
    let stats = sim.state.stats.snapshot();
    // Resource units are counted all the same (what the run would cost).
    assert_eq!(stats.sharepoint_ru, 100);
    assert_eq!(stats.sharepoint_throttled, 0);
}

#[tokio::test]
async fn pre_authenticated_urls_charge_the_apps_budget() {
    let sim = sharepoint_sim(ThrottleMode::On, 3, ManualClock::new()).await;
    let app = sim.credentials.app("full").expect("app").client_id.clone();
    for _ in 0..3 {
        m365vault_sim::throttle::sharepoint::charge_anonymous(&sim.state, &app, 1)
            .expect("within budget");
    }
    let refused = m365vault_sim::throttle::sharepoint::charge_anonymous(&sim.state, &app, 1)
        .expect_err("over budget");
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(refused.code, "activityLimitReached");
    let names: Vec<&str> = refused.headers.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["retry-after"]);
    // The same app's Graph requests share the budget.
    let token = app_token(&sim, "full").await;
    let a = call(&sites_router(&sim), &token, "/v1.0/sites/root").await;
    assert_eq!(a.status, 429, "{}", a.body);
    assert_eq!(sim.state.stats.snapshot().sharepoint_ru, 5);
}

#[tokio::test]
async fn the_sites_routes_are_charged_resource_units_not_the_directory_budget() {
    let sim = sharepoint_sim(ThrottleMode::On, 5, ManualClock::new()).await;
    let token = app_token(&sim, "full").await;
    let mut answers = Vec::new();
    for _ in 0..6 {
        let r = client()
            .get(format!("{}/v1.0/sites/root", sim.base_url))
            .bearer_auth(&token)
            .send()
            .await
            .expect("answer");
        let header = |name: &str| {
            r.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        answers.push((
            r.status().as_u16(),
            header("retry-after"),
            header("ratelimit-limit"),
            header("ratelimit-remaining"),
            header("x-ms-resource-unit"),
        ));
    }
    let statuses: Vec<u16> = answers.iter().map(|a| a.0).collect();
    assert_eq!(statuses, [200, 200, 200, 200, 200, 429], "{answers:?}");
    // No directory headers; RateLimit headers once 80 % is used (surely by the fifth).
    assert!(answers.iter().all(|a| a.4.is_none()), "{answers:?}");
    assert_eq!(answers[0].2, None);
    assert_eq!(answers[4].2.as_deref(), Some("5"));
    assert_eq!(answers[4].3.as_deref(), Some("0"));
    assert!(answers[5].1.is_some(), "Retry-After on the 429");
    // The directory keeps its own budget.
    let (status, body) = graph_get(&sim, &token, "/organization").await;
    assert_eq!(status, 200, "{body}");
    let stats: Value = client()
        .get(format!("{}/_sim/stats", sim.base_url))
        .send()
        .await
        .expect("stats")
        .json()
        .await
        .expect("json");
    assert_eq!(stats["sharepoint_ru"], 6, "{stats}");
    assert_eq!(stats["sharepoint_throttled"], 1, "{stats}");
    assert_eq!(stats["throttled_total"], 1, "{stats}");
}
