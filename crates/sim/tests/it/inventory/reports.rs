//! Usage reports: expiring download URLs, concealed names, the permission
//! and argument checks, and the reports' throttling.

use std::collections::HashSet;

use m365vault_sim::{ManualClock, SimConfig, SimServer, ThrottleMode};
use serde_json::{Value, json};

use super::{call, download, inventory_sim, set_concealed, table, text, truth};
use crate::common::{app_token, client, get, send, sim};
use crate::setup_writes::delegated_token;

#[tokio::test]
async fn download_urls_expire_after_a_few_minutes() {
    let clock = ManualClock::new();
    let sim = inventory_sim(13, Some(clock.clone())).await;
    let token = app_token(&sim, "inventory-only").await;
    let (status, headers, _) = call(&sim, &token, "getMailboxUsageDetail(period='D7')").await;
    assert_eq!(status, 302);
    let location = headers["location"].to_str().expect("ascii").to_owned();
    // No Authorization needed, and usable more than once while valid.
    assert_eq!(
        client().get(&location).send().await.expect("get").status(),
        200
    );
    clock.advance(time::Duration::seconds(240));
    assert_eq!(
        client().get(&location).send().await.expect("get").status(),
        200
    );
    clock.advance(time::Duration::seconds(61));
    let r = client().get(&location).send().await.expect("get");
    assert_eq!(r.status(), 401);
    let body: Value = r.json().await.expect("json");
    assert!(body["error"]["code"].is_string(), "{body}");
    // A token that was tampered with is refused too.
    let forged = format!("{}x", &location[..location.len() - 1]);
    let forged = if forged == location {
        format!("{location}x")
    } else {
        forged
    };
    assert_eq!(
        client().get(&forged).send().await.expect("get").status(),
        401
    );
}

#[tokio::test]
async fn concealed_names_follow_the_report_setting() {
    let sim = inventory_sim(14, None).await;
    let token = app_token(&sim, "inventory-only").await;
    let truth_now = truth(&sim, "").await;
    assert_eq!(
        truth_now["displayConcealedNames"], true,
        "Microsoft's default"
    );
    let admin = delegated_token(
        &sim,
        &sim.credentials.admin_user.clone(),
        "ReportSettings.ReadWrite.All Reports.Read.All",
    )
    .await;
    let (status, body) = get(&sim, &admin, "/admin/reportSettings").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["displayConcealedNames"], true);
    // Apps without ReportSettings.Read.All cannot read the setting.
    assert_eq!(get(&sim, &token, "/admin/reportSettings").await.0, 403);

    let users = truth_now["users"].as_array().expect("users");
    let concealed: HashSet<String> = users
        .iter()
        .map(|u| text(&u["concealedUserPrincipalName"]))
        .collect();
    let (_, rows) =
        table(&download(&sim, &token, "getOffice365ActiveUserDetail(period='D30')").await);
    assert_eq!(rows.len(), users.len());
    for r in &rows {
        let upn = &r["User Principal Name"];
        assert_eq!(upn.len(), 32, "{upn}");
        assert!(
            upn.chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_lowercase()),
            "{upn}"
        );
        assert!(concealed.contains(upn), "{upn}");
        assert_ne!(r["Display Name"], *upn);
        assert!(!r["Display Name"].contains(' '));
    }
    let (_, rows) =
        table(&download(&sim, &token, "getOneDriveUsageAccountDetail(period='D7')").await);
    assert!(
        rows.iter()
            .all(|r| !r["Site URL"].contains("sharepoint.com")
                && !r["Owner Principal Name"].contains('@'))
    );

    // The delegated administrator shows names again.
    let (status, _) = send(
        &sim,
        reqwest::Method::PATCH,
        &admin,
        "/admin/reportSettings",
        Some(json!({"displayConcealedNames": false})),
        &[],
    )
    .await;
    assert_eq!(status, 204);
    assert_eq!(
        get(&sim, &admin, "/admin/reportSettings").await.1["displayConcealedNames"],
        false
    );
    let (status, body) = send(
        &sim,
        reqwest::Method::PATCH,
        &admin,
        "/admin/reportSettings",
        Some(json!({"displayConcealedNames": "no"})),
        &[],
    )
    .await;
    assert_eq!(status, 400, "{body}");
    // Delegated administrators may read reports too.
    let (_, rows) =
        table(&download(&sim, &admin, "getOffice365ActiveUserDetail(period='D30')").await);
    let upns: HashSet<String> = users
        .iter()
        .map(|u| text(&u["userPrincipalName"]))
        .collect();
    let names: HashSet<String> = users.iter().map(|u| text(&u["displayName"])).collect();
    for r in &rows {
        assert!(upns.contains(&r["User Principal Name"]), "{r:?}");
        assert!(names.contains(&r["Display Name"]), "{r:?}");
    }
    let (_, rows) =
        table(&download(&sim, &token, "getOneDriveUsageAccountDetail(period='D7')").await);
    assert!(rows.iter().all(|r| r["Site URL"].starts_with("https://")
        && r["Site URL"].contains("-my.sharepoint.com/personal/")));
    // The simulator's switch conceals them again.
    set_concealed(&sim, true).await;
    let (_, rows) = table(&download(&sim, &token, "getEmailActivityUserDetail(period='D7')").await);
    assert!(
        rows.iter()
            .all(|r| concealed.contains(&r["User Principal Name"]))
    );
}

#[tokio::test]
async fn reports_need_reports_read_all_and_valid_arguments() {
    let sim = inventory_sim(15, None).await;
    for app in ["mail-only", "no-consent"] {
        let token = app_token(&sim, app).await;
        let (status, _, body) =
            call(&sim, &token, "getOffice365ActiveUserDetail(period='D7')").await;
        assert_eq!(status, 403, "{app}");
        assert_eq!(body["error"]["code"], "S2SUnauthorized", "{body}");
        assert!(
            body["error"]["innerError"]["request-id"].is_string(),
            "{body}"
        );
    }
    let token = app_token(&sim, "inventory-only").await;
    let cases: &[(&str, u16, &str)] = &[
        (
            "getOffice365ActiveUserDetail(period='D8')",
            400,
            "InvalidArgument",
        ),
        (
            "getOffice365ActiveUserDetail(period='D365')",
            400,
            "InvalidArgument",
        ),
        (
            "getOffice365ActiveUserDetail(period='')",
            404,
            "UnknownError",
        ),
        (
            "getOffice365ActiveUserDetail(date=2001-01-01)",
            400,
            "InvalidArgument",
        ),
        ("getMailboxUsageDetail(date=2001-01-01)", 400, "BadRequest"),
        ("getNothingAtAll(period='D7')", 400, "BadRequest"),
        ("getOffice365ActiveUserDetail(period=D7)", 400, "BadRequest"),
    ];
    for (function, status, code) in cases {
        let (s, _, body) = call(&sim, &token, function).await;
        assert_eq!(
            (s, body["error"]["code"].as_str()),
            (*status, Some(*code)),
            "{function}: {body}"
        );
    }
    let (_, _, body) = call(
        &sim,
        &token,
        "getOffice365ActiveUserDetail(date=2001-01-01)",
    )
    .await;
    assert_eq!(
        body["error"]["message"],
        "Invalid date value specified: 2001-01-01. Only support data for the past 28 days."
    );
    // Namespaced and percent-encoded calls resolve.
    let (s, _, _) = call(
        &sim,
        &token,
        "microsoft.graph.getEmailActivityUserDetail(period=%27D7%27)",
    )
    .await;
    assert_eq!(s, 302);
}

#[tokio::test]
async fn a_report_takes_fourteen_requests_per_ten_minutes_per_app() {
    let clock = ManualClock::new();
    let sim = inventory_sim(16, Some(clock.clone())).await;
    let token = app_token(&sim, "inventory-only").await;
    let function = "getTeamsUserActivityUserDetail(period='D7')";
    for k in 0..14 {
        assert_eq!(call(&sim, &token, function).await.0, 302, "request {k}");
    }
    let (status, headers, body) = call(&sim, &token, function).await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["error"]["code"], "TooManyRequests");
    let retry: u64 = headers["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!((1..=600).contains(&retry), "{retry}");
    // Other reports, and other apps, have budgets of their own.
    assert_eq!(
        call(&sim, &token, "getMailboxUsageDetail(period='D7')")
            .await
            .0,
        302
    );
    let full = app_token(&sim, "full").await;
    assert_eq!(call(&sim, &full, function).await.0, 302);
    // Honouring Retry-After gets through.
    clock.advance(time::Duration::seconds(retry as i64));
    assert_eq!(call(&sim, &token, function).await.0, 302);
    let stats: Value = client()
        .get(format!("{}/_sim/stats", sim.base_url))
        .send()
        .await
        .expect("stats")
        .json()
        .await
        .expect("json");
    assert_eq!(stats["reports_throttled"], 1);

    let off = sim_off().await;
    let token = app_token(&off, "inventory-only").await;
    for _ in 0..20 {
        assert_eq!(call(&off, &token, function).await.0, 302);
    }
}

async fn sim_off() -> SimServer {
    sim(SimConfig {
        seed: 17,
        users: 12,
        throttle: ThrottleMode::Off,
        ..SimConfig::default()
    })
    .await
}
