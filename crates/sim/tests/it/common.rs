//! Helpers shared by the simulator's tests.

use m365vault_sim::{SimConfig, SimServer};
use serde_json::Value;

pub async fn sim(config: SimConfig) -> SimServer {
    SimServer::start(config, "127.0.0.1:0".parse().expect("address"))
        .await
        .expect("simulator starts")
}

pub async fn default_sim() -> SimServer {
    sim(SimConfig {
        seed: 42,
        users: 30,
        device_code_interval_secs: 1,
        ..SimConfig::default()
    })
    .await
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// A client-credentials token for app `name` (by secret).
pub async fn app_token(sim: &SimServer, name: &str) -> String {
    let app = sim.credentials.app(name).expect("app exists");
    let r = client()
        .post(format!(
            "{}/{}/oauth2/v2.0/token",
            sim.base_url, sim.credentials.tenant_id
        ))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", app.client_id.as_str()),
            (
                "client_secret",
                app.client_secret.as_deref().expect("has a secret"),
            ),
            ("scope", "https://graph.microsoft.com/.default"),
        ])
        .send()
        .await
        .expect("token request");
    assert_eq!(r.status(), 200, "token for {name}");
    let body: Value = r.json().await.expect("json");
    body["access_token"].as_str().expect("token").to_owned()
}

/// GET a Graph path with a token; returns status and JSON body.
pub async fn get(sim: &SimServer, token: &str, path: &str) -> (u16, Value) {
    send(sim, reqwest::Method::GET, token, path, None, &[]).await
}

pub async fn send(
    sim: &SimServer,
    method: reqwest::Method,
    token: &str,
    path: &str,
    body: Option<Value>,
    headers: &[(&str, &str)],
) -> (u16, Value) {
    let url = if path.starts_with("http") {
        path.to_owned()
    } else {
        format!("{}/v1.0{path}", sim.base_url)
    };
    let mut req = client().request(method, url).bearer_auth(token);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().await.expect("request");
    let status = r.status().as_u16();
    let text = r.text().await.expect("body");
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// Decodes a JWT's payload without checking it.
pub fn claims(token: &str) -> Value {
    use base64::Engine;
    let payload = token.split('.').nth(1).expect("a JWT");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("base64url");
    serde_json::from_slice(&bytes).expect("json")
}

/// Every item of a collection, following `@odata.nextLink`.
pub async fn all_pages(sim: &SimServer, token: &str, path: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut next = Some(path.to_owned());
    while let Some(p) = next.take() {
        let (status, body) = get(sim, token, &p).await;
        assert_eq!(status, 200, "{p}: {body}");
        out.extend(body["value"].as_array().cloned().unwrap_or_default());
        next = body["@odata.nextLink"].as_str().map(str::to_owned);
    }
    out
}
