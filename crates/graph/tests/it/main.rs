//! The Graph client against the simulator.

use std::sync::Arc;

use m365vault_graph::credential::CertificateCredential;
use m365vault_graph::identity::IdentityClient;
use m365vault_graph::token::AccessToken;
use m365vault_graph::{
    AppCredential, AppTokenSource, Credential, GraphClient, HttpOptions, TokenErrorKind,
};
use model::wire::directory::User;
use model::{Cloud, Guid, TenantId};
use secrecy::SecretString;
use serde_json::Value;
use sim::{SimConfig, SimServer};

async fn sim(config: SimConfig) -> SimServer {
    SimServer::start(config, "127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("simulator")
}

fn cloud(sim: &SimServer) -> Cloud {
    Cloud::from_urls(
        Some(&sim.credentials.authority_url),
        Some(&sim.credentials.graph_url),
    )
    .expect("cloud")
}

fn http(sim: &SimServer) -> reqwest::Client {
    m365vault_graph::http::build(&HttpOptions {
        ca_pem: sim.credentials.ca_pem.clone(),
        ..HttpOptions::default()
    })
    .expect("http")
}

fn app(sim: &SimServer, name: &str, tenant: Option<&str>) -> AppCredential {
    let a = sim.credentials.app(name).expect("app");
    let credential = match (&a.client_secret, &a.certificate_pem, &a.private_key_pem) {
        (Some(s), _, _) => Credential::Secret(SecretString::from(s.clone())),
        (None, Some(c), Some(k)) => Credential::Certificate(Box::new(
            CertificateCredential::from_pem(c, &SecretString::from(k.clone()))
                .expect("certificate"),
        )),
        _ => panic!("{name} has no credential"),
    };
    AppCredential {
        tenant: TenantId::parse(tenant.unwrap_or(&sim.credentials.tenant_id)).expect("tenant"),
        client_id: Guid::parse(&a.client_id, "client").expect("guid"),
        credential,
    }
}

fn client(sim: &SimServer, credential: AppCredential) -> GraphClient {
    let identity = IdentityClient::new(http(sim), cloud(sim));
    GraphClient::new(
        http(sim),
        &cloud(sim),
        Arc::new(AppTokenSource::new(identity, credential)),
    )
}

async fn token_error(sim: &SimServer, credential: AppCredential) -> m365vault_graph::TokenError {
    token_error_in(sim, cloud(sim), credential).await
}

async fn token_error_in(
    sim: &SimServer,
    cloud: Cloud,
    credential: AppCredential,
) -> m365vault_graph::TokenError {
    let identity = IdentityClient::new(http(sim), cloud);
    let what = format!("{credential:?}");
    match identity
        .client_credentials(&credential, time::OffsetDateTime::now_utc())
        .await
    {
        Ok(_) => panic!("sign-in should fail for {what}"),
        Err(e) => e,
    }
}

#[tokio::test]
async fn secret_and_certificate_credentials_read_the_directory() {
    let sim = sim(SimConfig {
        seed: 21,
        users: 130,
        ..SimConfig::default()
    })
    .await;
    for name in ["full", "certificate"] {
        let graph = client(&sim, app(&sim, name, None));
        let users: Vec<User> = graph
            .get_all("/users?$select=id,userPrincipalName,mail", &[])
            .await
            .expect("users");
        assert_eq!(users.len(), 130, "{name}");
        assert!(users.iter().all(|u| u.user_principal_name.is_some()));
        let token = graph.tokens().token().await.expect("cached token");
        assert_eq!(
            token.claims.appidacr.as_deref(),
            Some(if name == "full" { "1" } else { "2" })
        );
        assert!(token.claims.roles().iter().any(|r| r == "User.Read.All"));
    }
}

#[tokio::test]
async fn token_failures_are_classified() {
    let sim = sim(SimConfig {
        seed: 22,
        users: 5,
        ..SimConfig::default()
    })
    .await;
    let mut wrong = app(&sim, "full", None);
    wrong.credential = Credential::Secret(SecretString::from("wrong-secret-value".to_owned()));
    let e = token_error(&sim, wrong).await;
    assert_eq!(e.kind, TokenErrorKind::InvalidSecret);
    assert_eq!(e.aadsts, Some(7000215));
    assert!(
        e.to_string().contains("not its Secret ID") && e.to_string().contains("AADSTS7000215"),
        "{e}"
    );

    let mut id_given = app(&sim, "full", None);
    let secret_id = sim
        .credentials
        .app("full")
        .and_then(|a| a.secret_id.clone())
        .expect("secret id");
    id_given.credential = Credential::Secret(SecretString::from(secret_id));
    assert_eq!(
        token_error(&sim, id_given).await.kind,
        TokenErrorKind::SecretIdGiven
    );

    assert_eq!(
        token_error(&sim, app(&sim, "expired-secret", None))
            .await
            .kind,
        TokenErrorKind::ExpiredSecret
    );
    assert_eq!(
        token_error(
            &sim,
            app(&sim, "full", Some("contoso-not-here.onmicrosoft.com"))
        )
        .await
        .kind,
        TokenErrorKind::TenantNotFound
    );
    let mut unknown = app(&sim, "full", None);
    unknown.client_id = Guid::new_v4();
    assert_eq!(
        token_error(&sim, unknown).await.kind,
        TokenErrorKind::AppNotFound
    );

    let away =
        Cloud::from_urls(Some("http://127.0.0.1:9"), Some("http://127.0.0.1:9")).expect("cloud");
    let e = token_error_in(&sim, away, app(&sim, "full", None)).await;
    assert_eq!(e.kind, TokenErrorKind::Unreachable);
    assert!(e.to_string().contains("127.0.0.1:9"), "{e}");
}

#[tokio::test]
async fn a_key_from_another_certificate_is_refused_before_sign_in() {
    let sim = sim(SimConfig {
        seed: 23,
        users: 3,
        ..SimConfig::default()
    })
    .await;
    let cert = sim
        .credentials
        .app("certificate")
        .and_then(|a| a.certificate_pem.clone())
        .expect("cert");
    let now = time::OffsetDateTime::now_utc();
    let other =
        sim::crypto::rsa_certificate("other", now, now + time::Duration::days(1)).expect("other");
    let e = CertificateCredential::from_pem(&cert, &SecretString::from(other.key_pem))
        .expect_err("mismatch");
    assert_eq!(e, m365vault_graph::credential::CredentialError::KeyMismatch);
    let e = CertificateCredential::from_pem("not pem", &SecretString::from(String::new()))
        .expect_err("no cert");
    assert_eq!(
        e,
        m365vault_graph::credential::CredentialError::NoCertificate
    );
    let e = CertificateCredential::from_pem(
        &cert,
        &SecretString::from(
            "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n"
                .to_owned(),
        ),
    )
    .expect_err("encrypted");
    assert_eq!(
        e,
        m365vault_graph::credential::CredentialError::EncryptedKey
    );
}

#[tokio::test]
async fn forbidden_is_a_classified_api_error() {
    let sim = sim(SimConfig {
        seed: 24,
        users: 3,
        ..SimConfig::default()
    })
    .await;
    let graph = client(&sim, app(&sim, "mail-only", None));
    let e = graph.get::<Value>("/groups").await.expect_err("403");
    assert!(e.is_forbidden() && !e.is_retryable());
    assert_eq!(e.code(), Some("Authorization_RequestDenied"));
    assert!(e.api().is_some_and(|a| a.request_id.is_some()));
}

#[tokio::test]
async fn throttled_requests_wait_and_succeed() {
    let sim = sim(SimConfig {
        seed: 25,
        users: 3,
        directory_budget: Some(6),
        ..SimConfig::default()
    })
    .await;
    let graph = client(&sim, app(&sim, "full", None));
    for _ in 0..6 {
        let users: Vec<User> = graph
            .get_all("/users", &[])
            .await
            .expect("eventually served");
        assert_eq!(users.len(), 3);
    }
    let c = graph.counters();
    assert!(c.throttled >= 1, "{c:?}");
    assert!(
        c.retries >= c.throttled && c.throttle_wait_ms >= 1000,
        "{c:?}"
    );
}

#[tokio::test]
async fn batches_return_answers_in_request_order() {
    let sim = sim(SimConfig {
        seed: 26,
        users: 30,
        ..SimConfig::default()
    })
    .await;
    let graph = client(&sim, app(&sim, "full", None));
    let users: Vec<User> = graph
        .get_all("/users?$select=id", &[])
        .await
        .expect("users");
    let requests = users
        .iter()
        .enumerate()
        .map(|(i, u)| model::wire::BatchRequestItem {
            id: i.to_string(),
            method: "GET".into(),
            url: format!("/users/{}?$select=id,mail", u.id),
            headers: None,
            body: None,
            depends_on: None,
        })
        .collect();
    let answers = graph.batch(requests).await.expect("batch");
    assert_eq!(answers.len(), 30);
    for (i, (a, u)) in answers.iter().zip(&users).enumerate() {
        assert_eq!(a.id, i.to_string());
        assert_eq!(a.status, 200);
        assert_eq!(
            a.body.as_ref().and_then(|b| b["id"].as_str()),
            Some(u.id.as_str())
        );
    }
}

#[tokio::test]
async fn device_code_and_authorization_code_sign_ins() {
    let sim = sim(SimConfig {
        seed: 27,
        users: 4,
        device_code_interval_secs: 1,
        ..SimConfig::default()
    })
    .await;
    let identity = IdentityClient::new(http(&sim), cloud(&sim));
    let tenant = TenantId::parse(&sim.credentials.tenant_id).expect("tenant");
    let admin_client = sim
        .credentials
        .app("admin")
        .expect("admin")
        .client_id
        .clone();
    let scopes = vec![
        "https://graph.microsoft.com/Application.ReadWrite.All".to_owned(),
        "offline_access".to_owned(),
    ];
    let dc = identity
        .start_device_code(&tenant, &admin_client, &scopes)
        .await
        .expect("device code");
    let approver = {
        let uri = dc.verification_uri.clone();
        let code = dc.user_code.clone();
        let user = sim.credentials.admin_user.clone();
        tokio::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
            reqwest::Client::new()
                .post(uri)
                .form(&[("code", code), ("username", user)])
                .send()
                .await
                .expect("approve")
        })
    };
    let tokens = identity
        .wait_for_device_code(&tenant, &admin_client, &dc)
        .await
        .expect("signed in");
    approver.await.expect("approver");
    let t = AccessToken::from_response(&tokens, time::OffsetDateTime::now_utc());
    assert_eq!(
        t.claims.upn.as_deref(),
        Some(sim.credentials.admin_user.as_str())
    );
    assert_eq!(
        t.claims.scopes().collect::<Vec<_>>(),
        ["Application.ReadWrite.All"]
    );
    let refreshed = identity
        .refresh(
            &tenant,
            &admin_client,
            &SecretString::from(tokens.refresh_token.clone().expect("refresh token")),
            &[],
        )
        .await
        .expect("refreshed");
    assert!(refreshed.refresh_token.is_some());

    // Authorization code with PKCE, driven the way a browser would.
    let redirect = "http://localhost:8400";
    let req = identity.authorization_request(
        &tenant,
        &admin_client,
        redirect,
        &["User.Read".to_owned()],
        Some(&sim.credentials.admin_user),
    );
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let url = url::Url::parse(&req.url).expect("url");
    let mut form: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    form.push(("username".into(), sim.credentials.admin_user.clone()));
    let r = browser
        .post(format!(
            "{}://{}{}",
            url.scheme(),
            url.authority(),
            url.path()
        ))
        .form(&form)
        .send()
        .await
        .expect("sign in");
    let location =
        url::Url::parse(r.headers()["location"].to_str().expect("location")).expect("redirect");
    let q: std::collections::HashMap<_, _> = location.query_pairs().into_owned().collect();
    assert_eq!(q.get("state"), Some(&req.state));
    let tokens = identity
        .exchange_code(&tenant, &admin_client, &q["code"], redirect, &req.verifier)
        .await
        .expect("exchange");
    assert!(tokens.access_token.len() > 100);
    let e = identity
        .exchange_code(&tenant, &admin_client, &q["code"], redirect, &req.verifier)
        .await
        .expect_err("code reuse");
    assert_eq!(e.kind, TokenErrorKind::InvalidGrant);
}

#[tokio::test]
async fn https_simulator_is_trusted_through_its_ca_only() {
    let sim = sim(SimConfig {
        seed: 28,
        users: 2,
        tls: true,
        ..SimConfig::default()
    })
    .await;
    assert!(sim.base_url.starts_with("https://"));
    assert!(
        sim.credentials
            .ca_pem
            .as_deref()
            .is_some_and(|p| p.contains("BEGIN CERTIFICATE"))
    );
    let graph = client(&sim, app(&sim, "full", None));
    let users: Vec<User> = graph.get_all("/users", &[]).await.expect("over TLS");
    assert_eq!(users.len(), 2);

    let untrusting = m365vault_graph::http::build(&HttpOptions::default()).expect("http");
    let identity = IdentityClient::new(untrusting, cloud(&sim));
    let e = identity
        .client_credentials(&app(&sim, "full", None), time::OffsetDateTime::now_utc())
        .await
        .expect_err("untrusted CA");
    assert_eq!(e.kind, TokenErrorKind::Unreachable);
}
