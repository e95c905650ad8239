//! The writes `m365vault setup` makes as a signed-in administrator, and admin consent.

use m365vault_sim::SimServer;
use serde_json::{Value, json};

use crate::common::{app_token, claims, client, default_sim, get, send};

/// Signs `user` in through the device code flow of the `admin` app.
pub async fn delegated_token(sim: &SimServer, user: &str, scope: &str) -> String {
    let admin_app = sim
        .credentials
        .app("admin")
        .expect("admin app")
        .client_id
        .clone();
    let tid = &sim.credentials.tenant_id;
    let dc: Value = client()
        .post(format!("{}/{tid}/oauth2/v2.0/devicecode", sim.base_url))
        .form(&[("client_id", admin_app.as_str()), ("scope", scope)])
        .send()
        .await
        .expect("devicecode")
        .json()
        .await
        .expect("json");
    let r = client()
        .post(dc["verification_uri"].as_str().expect("uri"))
        .form(&[
            ("code", dc["user_code"].as_str().expect("code")),
            ("username", user),
        ])
        .send()
        .await
        .expect("approve");
    assert_eq!(r.status(), 200);
    let r: Value = client()
        .post(format!("{}/{tid}/oauth2/v2.0/token", sim.base_url))
        .form(&[
            ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
            ("client_id", admin_app.as_str()),
            (
                "device_code",
                dc["device_code"].as_str().expect("device code"),
            ),
        ])
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("json");
    r["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("no token: {r}"))
        .to_owned()
}

const SETUP_SCOPE: &str = "https://graph.microsoft.com/Application.ReadWrite.All https://graph.microsoft.com/AppRoleAssignment.ReadWrite.All";

#[tokio::test]
async fn an_administrator_registers_an_app_and_grants_it_permissions() {
    let sim = default_sim().await;
    let admin = sim.credentials.admin_user.clone();
    let token = delegated_token(&sim, &admin, SETUP_SCOPE).await;
    let mail_read = "810c84a8-4a9e-49e6-bf7d-12d183f40d01";
    let users_read = "df021288-bdef-4463-88db-98f22de89214";
    let app = json!({
        "displayName": "m365vault test",
        "signInAudience": "AzureADMyOrg",
        "requiredResourceAccess": [{"resourceAppId": "00000003-0000-0000-c000-000000000000",
            "resourceAccess": [{"id": mail_read, "type": "Role"}, {"id": users_read, "type": "Role"}]}],
    });
    let (status, created) = send(
        &sim,
        reqwest::Method::POST,
        &token,
        "/applications",
        Some(app),
        &[],
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let object_id = created["id"].as_str().expect("id").to_owned();
    let app_id = created["appId"].as_str().expect("appId").to_owned();

    let (status, secret) = send(
        &sim,
        reqwest::Method::POST,
        &token,
        &format!("/applications(appId='{app_id}')/addPassword"),
        Some(json!({"passwordCredential": {"displayName": "m365vault"}})),
        &[],
    )
    .await;
    assert_eq!(status, 200, "{secret}");
    let value = secret["secretText"]
        .as_str()
        .expect("secret text")
        .to_owned();
    assert_eq!(secret["hint"], &value[..3]);
    let (_, listed) = get(&sim, &token, &format!("/applications/{object_id}")).await;
    assert_eq!(
        listed["passwordCredentials"][0]["secretText"],
        Value::Null,
        "the value is shown once"
    );

    // Before the service principal exists, the app cannot get a token.
    let tid = sim.credentials.tenant_id.clone();
    let token_for = |secret: String| {
        let url = format!("{}/{tid}/oauth2/v2.0/token", sim.base_url);
        let app_id = app_id.clone();
        async move {
            let r = client()
                .post(url)
                .form(&[
                    ("grant_type", "client_credentials"),
                    ("client_id", app_id.as_str()),
                    ("client_secret", secret.as_str()),
                    ("scope", "https://graph.microsoft.com/.default"),
                ])
                .send()
                .await
                .expect("token");
            (r.status().as_u16(), r.json::<Value>().await.expect("json"))
        }
    };
    let (status, body) = token_for(value.clone()).await;
    assert_eq!(status, 400);
    assert_eq!(body["error_codes"], json!([7000229]));

    let (status, sp) = send(
        &sim,
        reqwest::Method::POST,
        &token,
        "/servicePrincipals",
        Some(json!({"appId": app_id})),
        &[],
    )
    .await;
    assert_eq!(status, 201, "{sp}");
    let (status, _) = send(
        &sim,
        reqwest::Method::POST,
        &token,
        "/servicePrincipals",
        Some(json!({"appId": app_id})),
        &[],
    )
    .await;
    assert_eq!(status, 409);

    let (status, graph_sp) = get(
        &sim,
        &token,
        "/servicePrincipals(appId='00000003-0000-0000-c000-000000000000')",
    )
    .await;
    assert_eq!(status, 200);
    let graph_id = graph_sp["id"].as_str().expect("id").to_owned();
    assert!(graph_sp["appRoles"].as_array().is_some_and(|r| {
        r.iter()
            .any(|x| x["value"] == "Mail.Read" && x["id"] == mail_read)
    }));

    // Without consent the token has no roles.
    let (status, body) = token_for(value.clone()).await;
    assert_eq!(status, 200);
    assert!(
        claims(body["access_token"].as_str().expect("token"))
            .get("roles")
            .is_none()
    );

    for role in [mail_read, users_read] {
        let grant = json!({"principalId": sp["id"], "resourceId": graph_id, "appRoleId": role});
        let (status, a) = send(
            &sim,
            reqwest::Method::POST,
            &token,
            &format!("/servicePrincipals/{graph_id}/appRoleAssignedTo"),
            Some(grant),
            &[],
        )
        .await;
        assert_eq!(status, 201, "{a}");
        assert_eq!(a["principalType"], "ServicePrincipal");
    }
    let (status, _) = send(
        &sim,
        reqwest::Method::POST,
        &token,
        &format!("/servicePrincipals/{graph_id}/appRoleAssignedTo"),
        Some(json!({"principalId": sp["id"], "resourceId": graph_id, "appRoleId": mail_read})),
        &[],
    )
    .await;
    assert_eq!(status, 400, "granting twice");
    let (status, _) = send(&sim, reqwest::Method::POST, &token, &format!("/servicePrincipals/{graph_id}/appRoleAssignedTo"), Some(json!({"principalId": sp["id"], "resourceId": graph_id, "appRoleId": "00000000-0000-0000-0000-000000000001"})), &[]).await;
    assert_eq!(status, 400, "unknown role");

    let (status, body) = token_for(value).await;
    assert_eq!(status, 200);
    let roles = claims(body["access_token"].as_str().expect("token"))["roles"].clone();
    assert_eq!(roles, json!(["Mail.Read", "User.Read.All"]));

    let full = app_token(&sim, "full").await;
    let (status, granted) = get(
        &sim,
        &full,
        &format!(
            "/servicePrincipals/{}/appRoleAssignments",
            sp["id"].as_str().expect("id")
        ),
    )
    .await;
    assert_eq!(
        status, 403,
        "reading grants needs Application.Read.All, which m365vault does not ask for: {granted}"
    );
}

#[tokio::test]
async fn certificates_are_added_by_patch_then_by_add_key_with_proof() {
    use base64::Engine;
    let sim = default_sim().await;
    let token = delegated_token(&sim, &sim.credentials.admin_user.clone(), SETUP_SCOPE).await;
    let (_, created) = send(
        &sim,
        reqwest::Method::POST,
        &token,
        "/applications",
        Some(json!({"displayName": "cert app"})),
        &[],
    )
    .await;
    let object_id = created["id"].as_str().expect("id").to_owned();
    let now = time::OffsetDateTime::now_utc();
    let first = m365vault_sim::crypto::rsa_certificate(
        "first",
        now - time::Duration::hours(1),
        now + time::Duration::days(300),
    )
    .expect("cert");
    let key = base64::engine::general_purpose::STANDARD.encode(&first.cert_der);
    let (status, _) = send(&sim, reqwest::Method::POST, &token, &format!("/applications/{object_id}/addKey"), Some(json!({"keyCredential": {"type": "AsymmetricX509Cert", "usage": "Verify", "key": key}, "proof": "x"})), &[]).await;
    assert_eq!(
        status, 400,
        "no certificate yet: addKey cannot prove possession"
    );
    let patch = json!({"keyCredentials": [{"type": "AsymmetricX509Cert", "usage": "Verify", "key": key, "displayName": "CN=first"}]});
    let (status, body) = send(
        &sim,
        reqwest::Method::PATCH,
        &token,
        &format!("/applications/{object_id}"),
        Some(patch),
        &[],
    )
    .await;
    assert_eq!(status, 204, "{body}");
    let (_, app) = get(
        &sim,
        &token,
        &format!("/applications/{object_id}?$select=keyCredentials"),
    )
    .await;
    assert_eq!(app["keyCredentials"][0]["key"].as_str(), Some(key.as_str()));
    let (_, app) = get(&sim, &token, &format!("/applications/{object_id}")).await;
    assert_eq!(app["keyCredentials"][0]["key"], Value::Null);

    let bad = json!({"keyCredentials": [{"type": "AsymmetricX509Cert", "usage": "Verify", "key": "bm90IGEgY2VydA=="}]});
    let (status, body) = send(
        &sim,
        reqwest::Method::PATCH,
        &token,
        &format!("/applications/{object_id}"),
        Some(bad),
        &[],
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("keyCredentials")
    );

    // Roll a second certificate with a proof signed by the first.
    let second = m365vault_sim::crypto::rsa_certificate(
        "second",
        now - time::Duration::hours(1),
        now + time::Duration::days(300),
    )
    .expect("cert");
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    let info = m365vault_sim::crypto::certificate_info(&first.cert_der).expect("info");
    header.x5t = Some(m365vault_sim::crypto::b64url(&info.sha1));
    let n = now.unix_timestamp();
    let proof = jsonwebtoken::encode(&header, &json!({"aud": "00000002-0000-0000-c000-000000000000", "iss": object_id, "nbf": n, "exp": n + 600}), &jsonwebtoken::EncodingKey::from_rsa_pem(first.key_pem.as_bytes()).expect("key")).expect("proof");
    let body = json!({"keyCredential": {"type": "AsymmetricX509Cert", "usage": "Verify", "key": base64::engine::general_purpose::STANDARD.encode(&second.cert_der)}, "passwordCredential": null, "proof": proof});
    let (status, added) = send(
        &sim,
        reqwest::Method::POST,
        &token,
        &format!("/applications/{object_id}/addKey"),
        Some(body),
        &[],
    )
    .await;
    assert_eq!(status, 200, "{added}");
    let (_, app) = get(&sim, &token, &format!("/applications/{object_id}")).await;
    assert_eq!(app["keyCredentials"].as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn only_privileged_administrators_grant_graph_permissions() {
    let sim = default_sim().await;
    let truth: Value = client()
        .get(format!("{}/_sim/truth/summary", sim.base_url))
        .send()
        .await
        .expect("truth")
        .json()
        .await
        .expect("json");
    let ordinary = truth["users"][1]["userPrincipalName"]
        .as_str()
        .expect("a second user")
        .to_owned();
    // An ordinary user cannot even get the admin-only scope consented.
    let admin_app = sim
        .credentials
        .app("admin")
        .expect("admin")
        .client_id
        .clone();
    let tid = sim.credentials.tenant_id.clone();
    let dc: Value = client()
        .post(format!("{}/{tid}/oauth2/v2.0/devicecode", sim.base_url))
        .form(&[("client_id", admin_app.as_str()), ("scope", SETUP_SCOPE)])
        .send()
        .await
        .expect("dc")
        .json()
        .await
        .expect("json");
    client()
        .post(dc["verification_uri"].as_str().expect("uri"))
        .form(&[
            ("code", dc["user_code"].as_str().expect("code")),
            ("username", ordinary.as_str()),
        ])
        .send()
        .await
        .expect("approve");
    let r = client()
        .post(format!("{}/{tid}/oauth2/v2.0/token", sim.base_url))
        .form(&[
            ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
            ("client_id", admin_app.as_str()),
            ("device_code", dc["device_code"].as_str().expect("dc")),
        ])
        .send()
        .await
        .expect("token");
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["error_codes"], json!([65001]));

    // App-only callers need Application.ReadWrite permissions to register apps.
    let full = app_token(&sim, "full").await;
    let (status, _) = send(
        &sim,
        reqwest::Method::POST,
        &full,
        "/applications",
        Some(json!({"displayName": "x"})),
        &[],
    )
    .await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn the_admin_consent_page_grants_the_requested_permissions() {
    let sim = default_sim().await;
    let app = sim.credentials.app("no-consent").expect("app").clone();
    let tid = sim.credentials.tenant_id.clone();
    let url = format!("{}/{tid}/v2.0/adminconsent", sim.base_url);
    let redirect = "https://localhost/m365vault/consent";
    let page = client()
        .get(&url)
        .query(&[
            ("client_id", app.client_id.as_str()),
            ("redirect_uri", redirect),
            ("state", "s1"),
        ])
        .send()
        .await
        .expect("page");
    assert_eq!(page.status(), 200);
    assert!(
        page.text()
            .await
            .expect("html")
            .contains("Read and write mail in all mailboxes")
    );
    let r = client()
        .post(&url)
        .form(&[
            ("client_id", app.client_id.as_str()),
            ("redirect_uri", redirect),
            ("state", "s1"),
            ("username", sim.credentials.admin_user.as_str()),
            ("action", "accept"),
        ])
        .send()
        .await
        .expect("consent");
    assert_eq!(r.status(), 302);
    let location = r.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    assert!(
        location.starts_with(redirect)
            && location.contains("admin_consent=True")
            && location.contains(&format!("tenant={tid}")),
        "{location}"
    );
    let c = claims(&app_token(&sim, "no-consent").await);
    assert!(c["roles"].as_array().is_some_and(|r| r.len() > 5), "{c}");
}

#[tokio::test]
async fn granting_app_roles_needs_both_permissions_microsoft_lists() {
    let sim = default_sim().await;
    let admin = sim.credentials.admin_user.clone();
    // AppRoleAssignment.ReadWrite.All alone is not enough: Microsoft lists it with
    // Application.Read.All or Directory.Read.All as a partner.
    let alone = delegated_token(
        &sim,
        &admin,
        "https://graph.microsoft.com/AppRoleAssignment.ReadWrite.All",
    )
    .await;
    let paired = delegated_token(&sim, &admin, "https://graph.microsoft.com/AppRoleAssignment.ReadWrite.All https://graph.microsoft.com/Application.Read.All").await;
    let (_, graph_sp) = get(
        &sim,
        &paired,
        "/servicePrincipals(appId='00000003-0000-0000-c000-000000000000')",
    )
    .await;
    let graph_id = graph_sp["id"].as_str().expect("graph sp").to_owned();
    let (_, target) = get(
        &sim,
        &paired,
        &format!(
            "/servicePrincipals(appId='{}')",
            sim.credentials.app("no-consent").expect("app").client_id
        ),
    )
    .await;
    let body = json!({"principalId": target["id"], "resourceId": graph_id, "appRoleId": "810c84a8-4a9e-49e6-bf7d-12d183f40d01"});
    let path = format!("/servicePrincipals/{graph_id}/appRoleAssignedTo");
    let (status, denied) = send(
        &sim,
        reqwest::Method::POST,
        &alone,
        &path,
        Some(body.clone()),
        &[],
    )
    .await;
    assert_eq!(status, 403, "{denied}");
    let (status, granted) =
        send(&sim, reqwest::Method::POST, &paired, &path, Some(body), &[]).await;
    assert_eq!(status, 201, "{granted}");
    // A read permission never grants a write, whatever the data lists beside it.
    let reader = app_token(&sim, "inventory-only").await;
    let (status, _) = send(
        &sim,
        reqwest::Method::POST,
        &reader,
        "/applications",
        Some(json!({"displayName": "x"})),
        &[],
    )
    .await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn admin_consent_answers_only_on_a_registered_reply_address() {
    let sim = default_sim().await;
    let app = sim.credentials.app("no-consent").expect("app").clone();
    let url = format!(
        "{}/{}/v2.0/adminconsent",
        sim.base_url, sim.credentials.tenant_id
    );
    let admin = sim.credentials.admin_user.clone();
    let r = client()
        .post(&url)
        .form(&[
            ("client_id", app.client_id.as_str()),
            ("redirect_uri", "https://evil.example/steal"),
            ("username", admin.as_str()),
            ("action", "accept"),
        ])
        .send()
        .await
        .expect("consent");
    assert_eq!(r.status(), 400, "no redirect to an unregistered address");
    assert!(r.text().await.expect("page").contains("AADSTS50011"));
    assert!(
        claims(&app_token(&sim, "no-consent").await)
            .get("roles")
            .is_none(),
        "nothing was granted"
    );
    // Without redirect_uri, the app's registered reply address is used.
    let r = client()
        .post(&url)
        .form(&[
            ("client_id", app.client_id.as_str()),
            ("username", admin.as_str()),
            ("action", "accept"),
        ])
        .send()
        .await
        .expect("consent");
    assert_eq!(r.status(), 302);
    assert!(
        r.headers()["location"]
            .to_str()
            .unwrap_or_default()
            .starts_with("https://localhost/m365vault/consent?admin_consent=True")
    );
}
