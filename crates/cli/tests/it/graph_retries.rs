//! The Graph client against injected server errors: a failed GET is sent again,
//! a failed POST is not (Graph may have carried it out before failing).

use std::sync::Arc;
use std::time::Duration;

use graph::identity::IdentityClient;
use graph::retry::RetryPolicy;
use graph::{AppCredential, AppTokenSource, Credential, GraphClient, HttpOptions};
use model::{Cloud, Guid, TenantId};
use reqwest::Method;
use secrecy::SecretString;
use serde_json::{Value, json};
use sim::{SimConfig, SimServer};

fn graph_client(sim: &SimServer) -> GraphClient {
    let cloud = Cloud::from_urls(
        Some(&sim.credentials.authority_url),
        Some(&sim.credentials.graph_url),
    )
    .expect("cloud");
    let http = graph::http::build(&HttpOptions::default()).expect("http");
    let app = sim.credentials.app("full").expect("app");
    let credential = AppCredential {
        tenant: TenantId::parse(&sim.credentials.tenant_id).expect("tenant"),
        client_id: Guid::parse(&app.client_id, "client").expect("guid"),
        credential: Credential::Secret(SecretString::from(
            app.client_secret.clone().expect("secret"),
        )),
    };
    let identity = IdentityClient::new(http.clone(), cloud.clone());
    GraphClient::new(
        http,
        &cloud,
        Arc::new(AppTokenSource::new(identity, credential)),
    )
    .with_retry(RetryPolicy {
        max_attempts: 3,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(10),
        max_retry_after: Duration::from_secs(5),
    })
}

async fn sim_json(sim: &SimServer, method: Method, path: &str, body: Option<Value>) -> Value {
    let mut req = reqwest::Client::new().request(method, format!("{}{path}", sim.base_url));
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().await.expect("simulator");
    assert!(r.status().is_success(), "{path}: {}", r.status());
    r.json().await.expect("json")
}

#[tokio::test]
async fn a_failed_get_is_retried_and_a_failed_post_is_not() {
    let sim = SimServer::start(
        SimConfig {
            seed: 61,
            users: 3,
            mail_scale: 0.02,
            ..SimConfig::default()
        },
        "127.0.0.1:0".parse().expect("addr"),
    )
    .await
    .expect("simulator");
    let graph = graph_client(&sim);
    let users: Value = graph.get("/users?$select=id").await.expect("users");
    let user = users["value"][0]["id"].as_str().expect("id").to_owned();
    let folders = format!("/users/{user}/mailFolders");

    // Every request under the user's folders fails; writes are carried out first.
    sim_json(
        &sim,
        Method::POST,
        "/_sim/faults",
        Some(json!({"seed": 2, "server_error": 1.0, "after_write": 1.0,
                    "retry_after_secs": 0, "paths": "/mailfolders"})),
    )
    .await;
    let e = graph
        .send(
            Method::POST,
            &folders,
            Some(&json!({"displayName": "sent once"})),
            &[],
        )
        .await
        .expect_err("the POST fails");
    assert!(matches!(e.status(), Some(500 | 504)), "{e}");
    graph
        .send(Method::GET, &folders, None, &[])
        .await
        .expect_err("the GET fails every time");

    let stats = sim_json(&sim, Method::GET, "/_sim/stats", None).await;
    let by_endpoint = &stats["by_endpoint"];
    assert_eq!(
        by_endpoint["POST /v1.0/users/{id}/mailFolders"], 1,
        "a POST that failed with a 5xx is not sent again: {stats}"
    );
    assert_eq!(
        by_endpoint["GET /v1.0/users/{id}/mailFolders"], 3,
        "a GET is sent again until the attempts run out: {stats}"
    );
    assert_eq!(stats["faults"]["server_error_after"], 1, "{stats}");

    // The POST was carried out although it failed: sending it again would have
    // made a second folder.
    sim_json(&sim, Method::POST, "/_sim/faults", Some(json!({}))).await;
    let listed: Value = graph
        .get(&format!("{folders}?$top=100"))
        .await
        .expect("folders");
    let named = listed["value"]
        .as_array()
        .expect("folders")
        .iter()
        .filter(|f| f["displayName"] == "sent once")
        .count();
    assert_eq!(named, 1, "{listed}");
}
