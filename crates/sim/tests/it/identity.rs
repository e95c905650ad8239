//! The identity platform: client credentials (secret and certificate), the
//! AADSTS errors, device code, authorization code with PKCE, refresh tokens.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use m365vault_sim::SimServer;
use serde_json::{Value, json};
use sha2::Digest;

use crate::common::{app_token, claims, client, default_sim};

async fn token_request(sim: &SimServer, tenant: &str, form: &[(&str, &str)]) -> (u16, Value) {
    let r = client()
        .post(format!("{}/{tenant}/oauth2/v2.0/token", sim.base_url))
        .form(form)
        .send()
        .await
        .expect("request");
    (r.status().as_u16(), r.json().await.expect("json"))
}

async fn secret_token(
    sim: &SimServer,
    tenant: &str,
    client_id: &str,
    secret: &str,
) -> (u16, Value) {
    token_request(
        sim,
        tenant,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", client_id),
            ("client_secret", secret),
            ("scope", "https://graph.microsoft.com/.default"),
        ],
    )
    .await
}

fn assert_aadsts(body: &Value, code: u64, error: &str) {
    assert_eq!(body["error"], error, "{body}");
    assert_eq!(body["error_codes"], json!([code]), "{body}");
    let description = body["error_description"].as_str().unwrap_or_default();
    assert!(
        description.starts_with(&format!("AADSTS{code}: ")),
        "{description}"
    );
    assert!(
        description.contains("\r\nTrace ID: ") && description.contains("\r\nCorrelation ID: "),
        "{description}"
    );
    assert!(
        body["trace_id"].is_string()
            && body["correlation_id"].is_string()
            && body["timestamp"].is_string()
    );
}

#[tokio::test]
async fn client_secret_gives_an_app_token_with_the_consented_roles() {
    let sim = default_sim().await;
    let token = app_token(&sim, "full").await;
    let c = claims(&token);
    assert_eq!(c["aud"], "https://graph.microsoft.com");
    assert_eq!(c["tid"], sim.credentials.tenant_id);
    assert_eq!(
        c["iss"],
        format!("https://sts.windows.net/{}/", sim.credentials.tenant_id)
    );
    assert_eq!(c["idtyp"], "app");
    assert_eq!(c["appidacr"], "1");
    assert_eq!(
        c["appid"],
        sim.credentials.app("full").expect("full").client_id
    );
    let roles: Vec<&str> = c["roles"]
        .as_array()
        .expect("roles")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        roles.contains(&"Mail.ReadWrite") && roles.contains(&"User.Read.All"),
        "{roles:?}"
    );
    assert!(c["exp"].as_i64() > c["iat"].as_i64());

    let mail = claims(&app_token(&sim, "mail-only").await);
    let mail_roles: Vec<&str> = mail["roles"]
        .as_array()
        .expect("roles")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(
        mail_roles,
        ["Mail.Read", "MailboxSettings.Read", "User.Read.All"]
    );
}

#[tokio::test]
async fn basic_auth_and_domain_tenant_work_too() {
    let sim = default_sim().await;
    let app = sim.credentials.app("full").expect("full");
    let basic = STANDARD.encode(format!(
        "{}:{}",
        app.client_id,
        app.client_secret.as_deref().expect("secret")
    ));
    let r = client()
        .post(format!(
            "{}/{}/oauth2/v2.0/token",
            sim.base_url, sim.credentials.tenant_domain
        ))
        .header("authorization", format!("Basic {basic}"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("scope", "https://graph.microsoft.com/.default"),
        ])
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn consent_missing_means_a_token_without_roles() {
    let sim = default_sim().await;
    let c = claims(&app_token(&sim, "no-consent").await);
    assert!(c.get("roles").is_none(), "{c}");
}

#[tokio::test]
async fn secret_errors_carry_microsofts_codes() {
    let sim = default_sim().await;
    let tid = sim.credentials.tenant_id.clone();
    let full = sim.credentials.app("full").expect("full").clone();

    let (status, body) = secret_token(&sim, &tid, &full.client_id, "not-the-secret").await;
    assert_eq!(status, 401);
    assert_aadsts(&body, 7000215, "invalid_client");

    // Pasting the secret's id instead of its value is the classic mistake: same error.
    let (status, body) = secret_token(
        &sim,
        &tid,
        &full.client_id,
        full.secret_id.as_deref().expect("id"),
    )
    .await;
    assert_eq!(status, 401);
    assert_aadsts(&body, 7000215, "invalid_client");

    let expired = sim.credentials.app("expired-secret").expect("app").clone();
    let (status, body) = secret_token(
        &sim,
        &tid,
        &expired.client_id,
        expired.client_secret.as_deref().expect("secret"),
    )
    .await;
    assert_eq!(status, 401);
    assert_aadsts(&body, 7000222, "invalid_client");

    let (status, body) =
        secret_token(&sim, &tid, "11111111-2222-3333-4444-555555555555", "x").await;
    assert_eq!(status, 400);
    assert_aadsts(&body, 700016, "unauthorized_client");

    for tenant in [
        "00000000-0000-0000-0000-000000000001",
        "nosuchtenant.onmicrosoft.com",
    ] {
        let (status, body) = secret_token(&sim, tenant, &full.client_id, "x").await;
        assert_eq!(status, 400, "{tenant}");
        assert_aadsts(&body, 90002, "invalid_request");
        assert!(
            body["error_description"]
                .as_str()
                .unwrap_or_default()
                .contains(&format!("Tenant '{tenant}' not found"))
        );
    }
    let r = client()
        .get(format!(
            "{}/nosuchtenant.onmicrosoft.com/v2.0/.well-known/openid-configuration",
            sim.base_url
        ))
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.expect("json");
    assert_aadsts(&body, 90002, "invalid_tenant");

    let (status, body) = token_request(
        &sim,
        &tid,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", full.client_id.as_str()),
            (
                "client_secret",
                full.client_secret.as_deref().expect("secret"),
            ),
            ("scope", "https://graph.microsoft.com/User.Read.All"),
        ],
    )
    .await;
    assert_eq!(status, 400);
    assert_aadsts(&body, 1002012, "invalid_scope");

    let (status, body) = token_request(
        &sim,
        &tid,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", full.client_id.as_str()),
            ("scope", "https://graph.microsoft.com/.default"),
        ],
    )
    .await;
    assert_eq!(status, 401);
    assert_aadsts(&body, 7000218, "invalid_client");
}

fn pem_der(pem: &str) -> Vec<u8> {
    let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    STANDARD.decode(b64).expect("pem body")
}

struct Assertion<'a> {
    alg: Algorithm,
    cert_pem: &'a str,
    key_pem: &'a str,
    aud: String,
    iss: String,
    nbf: i64,
    exp: i64,
}

impl Assertion<'_> {
    fn sign(&self) -> String {
        self.sign_with_header(|_| {})
    }

    /// Signs after `edit` changed the header (to test mismatched headers).
    fn sign_with_header(&self, edit: impl FnOnce(&mut Header)) -> String {
        let der = pem_der(self.cert_pem);
        let mut header = Header::new(self.alg);
        match self.alg {
            Algorithm::PS256 => {
                header.x5t_s256 = Some(URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(&der)))
            }
            _ => header.x5t = Some(URL_SAFE_NO_PAD.encode(sha1::Sha1::digest(&der))),
        }
        edit(&mut header);
        let claims = json!({
            "aud": self.aud, "iss": self.iss, "sub": self.iss, "jti": uuid::Uuid::new_v4().to_string(),
            "nbf": self.nbf, "iat": self.nbf, "exp": self.exp,
        });
        jsonwebtoken::encode(
            &header,
            &claims,
            &EncodingKey::from_rsa_pem(self.key_pem.as_bytes()).expect("key"),
        )
        .expect("signs")
    }
}

async fn assertion_token(sim: &SimServer, client_id: &str, assertion: &str) -> (u16, Value) {
    token_request(
        sim,
        &sim.credentials.tenant_id,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", client_id),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            ("client_assertion", assertion),
            ("scope", "https://graph.microsoft.com/.default"),
        ],
    )
    .await
}

#[tokio::test]
async fn certificate_assertions_are_checked_like_entra_id() {
    let sim = default_sim().await;
    let app = sim
        .credentials
        .app("certificate")
        .expect("certificate app")
        .clone();
    assert!(app.client_secret.is_none());
    let cert = app.certificate_pem.as_deref().expect("certificate");
    let key = app.private_key_pem.as_deref().expect("key");
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let good = |alg| Assertion {
        alg,
        cert_pem: cert,
        key_pem: key,
        aud: format!(
            "{}/{}/oauth2/v2.0/token",
            sim.base_url, sim.credentials.tenant_id
        ),
        iss: app.client_id.clone(),
        nbf: now - 60,
        exp: now + 540,
    };

    for alg in [Algorithm::PS256, Algorithm::RS256] {
        let (status, body) = assertion_token(&sim, &app.client_id, &good(alg).sign()).await;
        assert_eq!(status, 200, "{alg:?}: {body}");
        let c = claims(body["access_token"].as_str().expect("token"));
        assert_eq!(c["appidacr"], "2");
        assert!(c["roles"].as_array().is_some_and(|r| !r.is_empty()));
    }

    // Signed by a key the app does not have, presented with the app's thumbprint.
    let other = m365vault_sim::crypto::rsa_certificate(
        "other",
        time::OffsetDateTime::now_utc() - time::Duration::days(1),
        time::OffsetDateTime::now_utc() + time::Duration::days(1),
    )
    .expect("cert");
    let forged = Assertion {
        key_pem: &other.key_pem,
        ..good(Algorithm::PS256)
    };
    let (status, body) = assertion_token(&sim, &app.client_id, &forged.sign()).await;
    assert_eq!(status, 401);
    assert_aadsts(&body, 700027, "invalid_client");

    // A certificate the app does not know.
    let unknown = Assertion {
        cert_pem: &other.cert_pem,
        key_pem: &other.key_pem,
        ..good(Algorithm::PS256)
    };
    let (status, body) = assertion_token(&sim, &app.client_id, &unknown.sign()).await;
    assert_eq!(status, 401);
    assert_aadsts(&body, 700027, "invalid_client");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap_or_default()
            .contains("The key was not found")
    );

    let late = Assertion {
        nbf: now - 7200,
        exp: now - 3600,
        ..good(Algorithm::PS256)
    };
    let (status, body) = assertion_token(&sim, &app.client_id, &late.sign()).await;
    assert_eq!(status, 401);
    assert_aadsts(&body, 700024, "invalid_client");

    let early = Assertion {
        nbf: now + 3600,
        exp: now + 4000,
        ..good(Algorithm::PS256)
    };
    let (_, body) = assertion_token(&sim, &app.client_id, &early.sign()).await;
    assert_aadsts(&body, 700024, "invalid_client");

    let wrong_aud = Assertion {
        aud: "https://login.microsoftonline.com/other/oauth2/v2.0/token".into(),
        ..good(Algorithm::PS256)
    };
    let (_, body) = assertion_token(&sim, &app.client_id, &wrong_aud.sign()).await;
    assert_aadsts(&body, 700023, "invalid_client");

    // Each algorithm names its certificate its own way.
    let mismatched = good(Algorithm::RS256).sign_with_header(|h| {
        h.x5t_s256 = h
            .x5t
            .take()
            .map(|_| URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(pem_der(cert))));
    });
    let (status, body) = assertion_token(&sim, &app.client_id, &mismatched).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error_codes"], json!([50027]));

    let wrong_iss = Assertion {
        iss: "someone-else".into(),
        ..good(Algorithm::PS256)
    };
    let (_, body) = assertion_token(&sim, &app.client_id, &wrong_iss.sign()).await;
    assert_aadsts(&body, 700021, "invalid_client");

    // The real authority's audience is accepted too (clients unchanged from production).
    let prod_aud = Assertion {
        aud: format!(
            "https://login.microsoftonline.com/{}/oauth2/v2.0/token",
            sim.credentials.tenant_id
        ),
        ..good(Algorithm::PS256)
    };
    let (status, _) = assertion_token(&sim, &app.client_id, &prod_aud.sign()).await;
    assert_eq!(status, 200);
}

fn form_value<'a>(html: &'a str, name: &str) -> Option<&'a str> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    Some(&html[start..start + html[start..].find('"')?])
}

#[tokio::test]
async fn device_code_flow_signs_an_administrator_in() {
    let sim = default_sim().await;
    let admin_app = sim.credentials.app("admin").expect("admin app").clone();
    let tid = sim.credentials.tenant_id.clone();
    let r = client()
        .post(format!("{}/{tid}/oauth2/v2.0/devicecode", sim.base_url))
        .form(&[
            ("client_id", admin_app.client_id.as_str()),
            (
                "scope",
                "https://graph.microsoft.com/Application.ReadWrite.All offline_access",
            ),
        ])
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), 200);
    let dc: Value = r.json().await.expect("json");
    let user_code = dc["user_code"].as_str().expect("user code").to_owned();
    assert_eq!(user_code.len(), 9);
    assert_eq!(dc["expires_in"], 900);
    assert!(
        dc["message"]
            .as_str()
            .unwrap_or_default()
            .contains(&user_code)
    );
    let device_code = dc["device_code"].as_str().expect("device code").to_owned();
    let form = [
        ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
        ("client_id", admin_app.client_id.as_str()),
        ("device_code", device_code.as_str()),
    ];
    let poll = || token_request(&sim, &tid, &form);
    let (status, body) = poll().await;
    assert_eq!(status, 400);
    assert_aadsts(&body, 70016, "authorization_pending");

    let page = client()
        .post(dc["verification_uri"].as_str().expect("uri"))
        .form(&[
            ("code", user_code.to_lowercase().as_str()),
            ("username", sim.credentials.admin_user.as_str()),
            ("action", "continue"),
        ])
        .send()
        .await
        .expect("sign in");
    assert_eq!(page.status(), 200);
    assert!(
        page.text()
            .await
            .expect("html")
            .contains("You have signed in")
    );

    let (status, body) = poll().await;
    assert_eq!(status, 200, "{body}");
    let c = claims(body["access_token"].as_str().expect("token"));
    assert_eq!(c["idtyp"], "user");
    assert_eq!(c["upn"], sim.credentials.admin_user);
    assert_eq!(c["scp"], "Application.ReadWrite.All");
    let refresh = body["refresh_token"]
        .as_str()
        .expect("offline_access gives a refresh token")
        .to_owned();

    // The code is spent.
    let (status, body) = poll().await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "bad_verification_code");

    // The refresh token works once and is replaced.
    let refresh_form = |t: &str| {
        vec![
            ("grant_type", "refresh_token".to_owned()),
            ("client_id", admin_app.client_id.clone()),
            ("refresh_token", t.to_owned()),
        ]
    };
    let form: Vec<(&str, String)> = refresh_form(&refresh);
    // A refresh by another client is refused and does not spend the token.
    let mut foreign = form.clone();
    foreign[1].1 = sim.credentials.app("full").expect("full").client_id.clone();
    let r = client()
        .post(format!("{}/{tid}/oauth2/v2.0/token", sim.base_url))
        .form(&foreign)
        .send()
        .await
        .expect("refresh");
    assert_eq!(
        r.status(),
        401,
        "a confidential client without its credential"
    );
    let r = client()
        .post(format!("{}/{tid}/oauth2/v2.0/token", sim.base_url))
        .form(&[
            ("grant_type", "refresh_token"),
            ("client_id", admin_app.client_id.as_str()),
            ("refresh_token", refresh.as_str()),
            (
                "scope",
                "https://graph.microsoft.com/Directory.ReadWrite.All",
            ),
        ])
        .send()
        .await
        .expect("refresh");
    assert_eq!(r.status(), 400, "a wider scope than granted");
    let r = client()
        .post(format!("{}/{tid}/oauth2/v2.0/token", sim.base_url))
        .form(&form)
        .send()
        .await
        .expect("refresh");
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.expect("json");
    assert_ne!(body["refresh_token"].as_str(), Some(refresh.as_str()));
    let r = client()
        .post(format!("{}/{tid}/oauth2/v2.0/token", sim.base_url))
        .form(&form)
        .send()
        .await
        .expect("refresh");
    assert_eq!(r.status(), 400);

    // A confidential app cannot use the device code flow without a credential.
    let full = sim.credentials.app("full").expect("full");
    let r = client()
        .post(format!("{}/{tid}/oauth2/v2.0/devicecode", sim.base_url))
        .form(&[
            ("client_id", full.client_id.as_str()),
            ("scope", "User.Read"),
        ])
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn authorization_code_with_pkce_and_redirect_checks() {
    let sim = default_sim().await;
    let admin_app = sim.credentials.app("admin").expect("admin").clone();
    let tid = sim.credentials.tenant_id.clone();
    let verifier = "a-long-enough-code-verifier-0123456789-abcdefghijklmnop";
    let challenge = URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier.as_bytes()));
    let redirect = "http://localhost:53682";
    let authorize = format!("{}/{tid}/oauth2/v2.0/authorize", sim.base_url);
    let params = [
        ("client_id", admin_app.client_id.as_str()),
        ("response_type", "code"),
        ("redirect_uri", redirect),
        (
            "scope",
            "https://graph.microsoft.com/User.Read offline_access openid",
        ),
        ("state", "xyz"),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    let page = client()
        .get(&authorize)
        .query(&params)
        .send()
        .await
        .expect("authorize");
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("html");
    assert_eq!(form_value(&html, "state"), Some("xyz"));

    let mut form: Vec<(&str, &str)> = params.to_vec();
    let admin = sim.credentials.admin_user.clone();
    form.push(("username", admin.as_str()));
    let r = client()
        .post(&authorize)
        .form(&form)
        .send()
        .await
        .expect("sign in");
    assert_eq!(r.status(), 302);
    let location = r.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    assert!(location.starts_with(redirect), "{location}");
    let url = url::Url::parse(&location).expect("url");
    let code = url
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .expect("code");
    assert!(url.query_pairs().any(|(k, v)| k == "state" && v == "xyz"));

    let exchange = |verifier: &str, redirect: &str| {
        let form = vec![
            ("grant_type", "authorization_code".to_owned()),
            ("client_id", admin_app.client_id.clone()),
            ("code", code.clone()),
            ("redirect_uri", redirect.to_owned()),
            ("code_verifier", verifier.to_owned()),
        ];
        let url = format!("{}/{tid}/oauth2/v2.0/token", sim.base_url);
        async move {
            let r = client().post(url).form(&form).send().await.expect("token");
            (r.status().as_u16(), r.json::<Value>().await.expect("json"))
        }
    };
    let (status, body) = exchange("wrong-verifier", redirect).await;
    assert_eq!(status, 400);
    assert_aadsts(&body, 501481, "invalid_grant");
    let (status, body) = exchange(verifier, "http://localhost:1/other").await;
    assert_eq!(status, 400);
    assert_eq!(body["error_codes"], json!([500112]));
    let (status, body) = exchange(verifier, redirect).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["id_token"].is_string() && body["refresh_token"].is_string());
    let (status, body) = exchange(verifier, redirect).await;
    assert_eq!(status, 400);
    assert_aadsts(&body, 54005, "invalid_grant");

    // An unregistered redirect URI is refused on the sign-in page, without a redirect.
    let bad: Vec<(&str, &str)> = params
        .iter()
        .map(|(k, v)| {
            if *k == "redirect_uri" {
                (*k, "https://evil.example/cb")
            } else {
                (*k, *v)
            }
        })
        .collect();
    let page = client()
        .get(&authorize)
        .query(&bad)
        .send()
        .await
        .expect("authorize");
    assert_eq!(page.status(), 400);
    assert!(page.text().await.expect("html").contains("AADSTS50011"));
}

#[tokio::test]
async fn openid_configuration_and_jwks_describe_the_signing_key() {
    let sim = default_sim().await;
    let tid = &sim.credentials.tenant_id;
    let cfg: Value = client()
        .get(format!(
            "{}/{tid}/v2.0/.well-known/openid-configuration",
            sim.base_url
        ))
        .send()
        .await
        .expect("cfg")
        .json()
        .await
        .expect("json");
    assert_eq!(
        cfg["token_endpoint"],
        format!("{}/{tid}/oauth2/v2.0/token", sim.base_url)
    );
    let jwks: Value = client()
        .get(cfg["jwks_uri"].as_str().expect("jwks"))
        .send()
        .await
        .expect("jwks")
        .json()
        .await
        .expect("json");
    let token = app_token(&sim, "full").await;
    let header = jsonwebtoken::decode_header(&token).expect("header");
    assert_eq!(header.alg, Algorithm::RS256);
    assert_eq!(jwks["keys"][0]["kid"].as_str(), header.kid.as_deref());
}
