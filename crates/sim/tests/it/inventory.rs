//! The tenant inventory: subscribed SKUs against the users' licences,
//! subscriptions, usage reports (302 to a short-lived CSV URL), concealed
//! names, the reports' permission and throttling, and the ground truth.

mod reports;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use m365vault_sim::{ManualClock, SimConfig, SimServer};
use serde_json::{Value, json};

use crate::common::{all_pages, app_token, client, get, sim};

async fn inventory_sim(seed: u64, clock: Option<ManualClock>) -> SimServer {
    sim(SimConfig {
        seed,
        users: 40,
        device_code_interval_secs: 1,
        clock: clock.map(|c| Arc::new(c) as m365vault_sim::SharedClock),
        ..SimConfig::default()
    })
    .await
}

async fn truth(sim: &SimServer, query: &str) -> Value {
    client()
        .get(format!("{}/_sim/truth/inventory{query}", sim.base_url))
        .send()
        .await
        .expect("truth")
        .json()
        .await
        .expect("json")
}

async fn set_concealed(sim: &SimServer, concealed: bool) {
    let r: Value = client()
        .post(format!("{}/_sim/reportSettings", sim.base_url))
        .json(&json!({"displayConcealedNames": concealed}))
        .send()
        .await
        .expect("settings")
        .json()
        .await
        .expect("json");
    assert_eq!(r["displayConcealedNames"], concealed);
}

/// A report call: the Graph answer (status, headers, JSON body if any).
async fn call(
    sim: &SimServer,
    token: &str,
    function: &str,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let r = client()
        .get(format!("{}/v1.0/reports/{function}", sim.base_url))
        .bearer_auth(token)
        .send()
        .await
        .expect("report request");
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let text = r.text().await.expect("body");
    (
        status,
        headers,
        serde_json::from_str(&text).unwrap_or(Value::Null),
    )
}

/// Follows a report's 302 (without Authorization) and returns the bytes.
async fn download(sim: &SimServer, token: &str, function: &str) -> Vec<u8> {
    let (status, headers, body) = call(sim, token, function).await;
    assert_eq!(status, 302, "{function}: {body}");
    assert_eq!(headers["content-type"], "text/plain");
    let location = headers["location"].to_str().expect("ascii").to_owned();
    assert!(
        location.starts_with(&format!("{}/data/download/", sim.base_url)),
        "{location}"
    );
    let r = client().get(&location).send().await.expect("download");
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/octet-stream");
    r.bytes().await.expect("bytes").to_vec()
}

/// RFC 4180 records (quoted fields, CRLF or LF).
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    rows
}

/// The report as header and rows keyed by column name.
fn table(bytes: &[u8]) -> (Vec<String>, Vec<HashMap<String, String>>) {
    let text = std::str::from_utf8(bytes).expect("UTF-8");
    let text = text.strip_prefix('\u{feff}').expect("a byte order mark");
    let mut rows = parse_csv(text);
    assert!(!rows.is_empty(), "a header line");
    let header = rows.remove(0);
    let records = rows
        .into_iter()
        .map(|r| {
            assert_eq!(r.len(), header.len(), "{r:?}");
            header.iter().cloned().zip(r).collect()
        })
        .collect();
    (header, records)
}

const WORKLOADS: &[(&str, &str)] = &[
    ("exchange", "Exchange"),
    ("onedrive", "OneDrive"),
    ("sharepoint", "SharePoint"),
    ("skypeForBusiness", "Skype For Business"),
    ("yammer", "Yammer"),
    ("teams", "Teams"),
];

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn subscribed_skus_match_the_licences_users_hold() {
    let sim = inventory_sim(11, None).await;
    let token = app_token(&sim, "inventory-only").await;
    let skus = all_pages(&sim, &token, "/subscribedSkus").await;
    let users = all_pages(
        &sim,
        &token,
        "/users?$select=id,userPrincipalName,accountEnabled,assignedLicenses,assignedPlans&$top=999",
    )
    .await;
    assert_eq!(users.len(), 40);
    let truth = truth(&sim, "").await;
    let mut spare = 0;
    for sku in &skus {
        let id = sku["skuId"].as_str().expect("skuId");
        let holders = users
            .iter()
            .filter(|u| {
                u["assignedLicenses"]
                    .as_array()
                    .is_some_and(|l| l.iter().any(|l| l["skuId"] == id))
            })
            .count();
        assert_eq!(sku["consumedUnits"], json!(holders), "{sku}");
        let units = &sku["prepaidUnits"];
        for key in ["enabled", "suspended", "warning", "lockedOut"] {
            assert!(units[key].is_i64(), "{key}: {sku}");
        }
        let t = truth["skus"]
            .as_array()
            .and_then(|s| s.iter().find(|s| s["skuId"] == id))
            .expect("in the truth");
        assert_eq!(t["consumed"], json!(holders));
        for key in ["enabled", "suspended", "warning", "lockedOut"] {
            assert_eq!(t[key], units[key], "{key}");
        }
        assert_eq!(t["skuPartNumber"], sku["skuPartNumber"]);
        assert_eq!(sku["appliesTo"], "User");
        spare += i64::from(units["enabled"].as_i64() > Some(holders as i64));
        assert!(!sku["servicePlans"].as_array().is_some_and(Vec::is_empty));
    }
    assert!(spare >= 1, "some products have unassigned seats");
    let by_status = |status: &str| {
        skus.iter()
            .find(|s| s["capabilityStatus"] == status)
            .unwrap_or_else(|| panic!("a {status} product"))
            .clone()
    };
    let warning = by_status("Warning");
    assert_eq!(warning["prepaidUnits"]["enabled"], 0);
    assert!(warning["prepaidUnits"]["warning"].as_i64() >= warning["consumedUnits"].as_i64());
    let suspended = by_status("Suspended");
    assert_eq!(suspended["prepaidUnits"]["enabled"], 0);
    assert!(suspended["prepaidUnits"]["suspended"].as_i64() > Some(0));
    assert!(
        suspended["consumedUnits"].as_i64() > Some(0),
        "licences still held"
    );

    // Licences: turned-off plans are listed and missing from assignedPlans.
    let mut turned_off = 0;
    for u in &users {
        for l in u["assignedLicenses"].as_array().expect("licences") {
            for plan in l["disabledPlans"].as_array().expect("disabledPlans") {
                turned_off += 1;
                assert!(
                    !u["assignedPlans"]
                        .as_array()
                        .expect("plans")
                        .iter()
                        .any(|p| p["servicePlanId"] == *plan),
                    "{u}"
                );
            }
        }
    }
    assert!(turned_off >= 1, "some licences have plans turned off");
    let unlicensed: Vec<&Value> = users
        .iter()
        .filter(|u| u["assignedLicenses"].as_array().is_some_and(Vec::is_empty))
        .collect();
    assert!(
        unlicensed.len() >= 4,
        "shared and resource mailboxes and some people"
    );
    // Shared and resource mailboxes hold no licence.
    for u in truth["users"].as_array().expect("users") {
        if matches!(u["mailbox"].as_str(), Some("shared" | "room" | "equipment")) {
            assert_eq!(u["licenses"], json!([]), "{u}");
        }
    }
    let usage = |kind: &str| {
        truth["users"]
            .as_array()
            .expect("users")
            .iter()
            .filter(|u| u["usage"] == kind && !u["licenses"].as_array().is_some_and(Vec::is_empty))
            .count()
    };
    assert!(usage("dormant") >= 1 && usage("never") >= 1 && usage("active") >= 1);

    // $select works on assignedPlans.
    let admin = &sim.credentials.admin_user;
    let (status, body) = get(
        &sim,
        &token,
        &format!("/users/{admin}?$select=assignedPlans"),
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        body["assignedPlans"]
            .as_array()
            .is_some_and(|p| !p.is_empty())
    );
    assert!(body.get("displayName").is_none());

    // Subscriptions add up to the SKUs' seats.
    let subs = all_pages(&sim, &token, "/directory/subscriptions").await;
    for sku in &skus {
        let ids: Vec<&Value> = sku["subscriptionIds"]
            .as_array()
            .expect("ids")
            .iter()
            .collect();
        let mine: Vec<&Value> = subs.iter().filter(|s| s["skuId"] == sku["skuId"]).collect();
        assert_eq!(mine.len(), ids.len());
        let total: i64 = mine
            .iter()
            .filter_map(|s| s["totalLicenses"].as_i64())
            .sum();
        let units = &sku["prepaidUnits"];
        let seats: i64 = ["enabled", "suspended", "warning", "lockedOut"]
            .iter()
            .filter_map(|k| units[*k].as_i64())
            .sum();
        assert_eq!(total, seats, "{sku}");
        for s in mine {
            assert!(ids.contains(&&s["id"]));
            assert_eq!(s["status"], sku["capabilityStatus"]);
            let id = s["id"].as_str().expect("id");
            let (status, one) = get(&sim, &token, &format!("/directory/subscriptions/{id}")).await;
            assert_eq!(status, 200);
            assert_eq!(one["skuPartNumber"], sku["skuPartNumber"]);
        }
    }
    let mut errors = Vec::new();
    let schema = crate::schema::Schema::load();
    crate::schema::check_all(
        &schema,
        "companySubscription",
        &subs,
        "subscriptions",
        &mut errors,
    );
    crate::schema::check_all(
        &schema,
        "subscribedSku",
        &skus,
        "subscribedSkus",
        &mut errors,
    );
    crate::schema::check_all(&schema, "user", &users, "users", &mut errors);
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    let mail_only = app_token(&sim, "mail-only").await;
    assert_eq!(
        get(&sim, &mail_only, "/directory/subscriptions").await.0,
        403
    );
}

#[tokio::test]
async fn reports_redirect_to_csv_files_with_microsofts_headers() {
    let sim = inventory_sim(12, None).await;
    let token = app_token(&sim, "inventory-only").await;
    let expected: &[(&str, &str)] = &[
        (
            "getOffice365ActiveUserDetail(period='D7')",
            "Report Refresh Date,User Principal Name,Display Name,Is Deleted,Deleted Date,Has Exchange License,Has OneDrive License,Has SharePoint License,Has Skype For Business License,Has Yammer License,Has Teams License,Exchange Last Activity Date,OneDrive Last Activity Date,SharePoint Last Activity Date,Skype For Business Last Activity Date,Yammer Last Activity Date,Teams Last Activity Date,Exchange License Assign Date,OneDrive License Assign Date,SharePoint License Assign Date,Skype For Business License Assign Date,Yammer License Assign Date,Teams License Assign Date,Assigned Products",
        ),
        (
            "getEmailActivityUserDetail(period='D30')",
            "Report Refresh Date,User Principal Name,Display Name,Is Deleted,Deleted Date,Last Activity Date,Send Count,Receive Count,Read Count,Meeting Created Count,Meeting Interacted Count,Assigned Products,Report Period",
        ),
        (
            "getOneDriveUsageAccountDetail(period='D90')",
            "Report Refresh Date,Site URL,Owner Display Name,Is Deleted,Last Activity Date,File Count,Active File Count,Storage Used (Byte),Storage Allocated (Byte),Owner Principal Name,Report Period",
        ),
        (
            "getTeamsUserActivityUserDetail(period='D180')",
            "Report Refresh Date,Tenant Display Name,Shared Channel Tenant Display Names,User Id,User Principal Name,Last Activity Date,Is Deleted,Deleted Date,Assigned Products,Team Chat Message Count,Private Chat Message Count,Call Count,Meeting Count,Post Messages,Reply Messages,Urgent Messages,Meetings Organized Count,Meetings Attended Count,Ad Hoc Meetings Organized Count,Ad Hoc Meetings Attended Count,Scheduled One-time Meetings Organized Count,Scheduled One-time Meetings Attended Count,Scheduled Recurring Meetings Organized Count,Scheduled Recurring Meetings Attended Count,Audio Duration,Video Duration,Screen Share Duration,Audio Duration In Seconds,Video Duration In Seconds,Screen Share Duration In Seconds,Has Other Action,Is Licensed,Report Period",
        ),
        (
            "getMailboxUsageDetail(period='D7')",
            "Report Refresh Date,User Principal Name,Display Name,Is Deleted,Deleted Date,Created Date,Last Activity Date,Item Count,Storage Used (Byte),Issue Warning Quota (Byte),Prohibit Send Quota (Byte),Prohibit Send/Receive Quota (Byte),Deleted Item Count,Deleted Item Size (Byte),Deleted Item Quota (Byte),Has Archive,Report Period",
        ),
    ];
    let truth = truth(&sim, "").await;
    let refresh = text(&truth["reportRefreshDate"]);
    let users = truth["users"].as_array().expect("users");
    for (function, header) in expected {
        let bytes = download(&sim, &token, function).await;
        assert_eq!(
            &bytes[..3],
            b"\xEF\xBB\xBF",
            "{function}: UTF-8 with a byte order mark"
        );
        let first = std::str::from_utf8(&bytes[3..])
            .expect("utf-8")
            .split("\r\n")
            .next()
            .expect("a line")
            .to_owned();
        assert_eq!(first, *header, "{function}");
        let (_, rows) = table(&bytes);
        assert!(!rows.is_empty(), "{function}");
        for r in &rows {
            assert_eq!(r["Report Refresh Date"], refresh);
            if let Some(p) = r.get("Report Period") {
                let days = function
                    .split("'D")
                    .nth(1)
                    .and_then(|d| d.strip_suffix("')"));
                assert_eq!(Some(p.as_str()), days);
            }
        }
        let expected_rows = match *function {
            f if f.starts_with("getOffice365") => users.len(),
            f if f.starts_with("getMailbox") => {
                users.iter().filter(|u| !u["mailbox"].is_null()).count()
            }
            f if f.starts_with("getEmail") => users
                .iter()
                .filter(|u| !u["licensedFor"]["exchange"].is_null())
                .count(),
            f if f.starts_with("getTeams") => users
                .iter()
                .filter(|u| !u["licensedFor"]["teams"].is_null())
                .count(),
            _ => users.iter().filter(|u| u["mailbox"] == "user").count(),
        };
        assert_eq!(rows.len(), expected_rows, "{function}");
    }

    // The date form lists who was active that day.
    let day = time::Date::parse(
        &refresh,
        &time::format_description::well_known::Iso8601::DATE,
    )
    .expect("date")
        - time::Duration::days(1);
    let bytes = download(
        &sim,
        &token,
        &format!("getTeamsUserActivityUserDetail(date={day})"),
    )
    .await;
    let (_, rows) = table(&bytes);
    for r in &rows {
        assert_eq!(r["Report Period"], "1");
        assert_eq!(r["Last Activity Date"], day.to_string());
    }
    // A day after the refresh date has no data yet.
    let today = day + time::Duration::days(2);
    let bytes = download(
        &sim,
        &token,
        &format!("getOneDriveUsageAccountDetail(date={today})"),
    )
    .await;
    assert!(table(&bytes).1.is_empty());
}

fn compare_workloads(row: &HashMap<String, String>, user: &Value, what: &str) {
    for (key, label) in WORKLOADS {
        let licensed = text(&user["licensedFor"][key]);
        assert_eq!(
            row[&format!("Has {label} License")],
            if licensed.is_empty() { "False" } else { "True" },
            "{what} {label}"
        );
        assert_eq!(
            row[&format!("{label} License Assign Date")],
            licensed,
            "{what} {label}"
        );
        assert_eq!(
            row[&format!("{label} Last Activity Date")],
            text(&user["lastActivity"][key]),
            "{what} {label}"
        );
    }
}

#[tokio::test]
async fn the_truth_matches_the_reports() {
    let sim = inventory_sim(18, None).await;
    let token = app_token(&sim, "inventory-only").await;
    set_concealed(&sim, false).await;
    let truth = truth(&sim, "").await;
    let users = truth["users"].as_array().expect("users");
    let by_upn: HashMap<String, &Value> = users
        .iter()
        .map(|u| (text(&u["userPrincipalName"]), u))
        .collect();
    let (_, rows) =
        table(&download(&sim, &token, "getOffice365ActiveUserDetail(period='D180')").await);
    assert_eq!(rows.len(), users.len());
    let refresh = time::Date::parse(
        &text(&truth["reportRefreshDate"]),
        &time::format_description::well_known::Iso8601::DATE,
    )
    .expect("date");
    let (mut never, mut dormant) = (0, 0);
    for r in &rows {
        let u = by_upn[&r["User Principal Name"]];
        compare_workloads(r, u, &r["User Principal Name"]);
        let products = r["Assigned Products"]
            .split('+')
            .filter(|p| !p.is_empty())
            .count();
        assert_eq!(products, u["licenses"].as_array().map_or(0, Vec::len));
        let dates: Vec<time::Date> = WORKLOADS
            .iter()
            .filter_map(|(_, l)| {
                time::Date::parse(
                    &r[&format!("{l} Last Activity Date")],
                    &time::format_description::well_known::Iso8601::DATE,
                )
                .ok()
            })
            .collect();
        if !u["licenses"].as_array().is_some_and(Vec::is_empty) {
            never += usize::from(dates.is_empty());
            dormant += usize::from(
                !dates.is_empty()
                    && dates
                        .iter()
                        .all(|d| *d < refresh - time::Duration::days(180)),
            );
        }
    }
    assert!(
        never >= 1 && dormant >= 1,
        "licensed people never active ({never}) and inactive for over 180 days ({dormant})"
    );

    // Each workload's report agrees with the truth.
    for (function, key, upn_column) in [
        (
            "getEmailActivityUserDetail(period='D7')",
            "exchange",
            "User Principal Name",
        ),
        (
            "getTeamsUserActivityUserDetail(period='D30')",
            "teams",
            "User Principal Name",
        ),
        (
            "getOneDriveUsageAccountDetail(period='D90')",
            "onedrive",
            "Owner Principal Name",
        ),
        (
            "getMailboxUsageDetail(period='D180')",
            "exchange",
            "User Principal Name",
        ),
    ] {
        let (_, rows) = table(&download(&sim, &token, function).await);
        assert!(!rows.is_empty());
        for r in &rows {
            let u = by_upn[&r[upn_column]];
            assert_eq!(
                r["Last Activity Date"],
                text(&u["lastActivity"][key]),
                "{function}"
            );
        }
    }

    // The date form, as of that day, with names concealed: rows map to users
    // through their concealed names.
    set_concealed(&sim, true).await;
    let day = refresh - time::Duration::days(3);
    let truth_day = crate::inventory::truth(&sim, &format!("?date={day}")).await;
    let by_hash: HashMap<String, &Value> = truth_day["users"]
        .as_array()
        .expect("users")
        .iter()
        .map(|u| (text(&u["concealedUserPrincipalName"]), u))
        .collect();
    let (_, rows) = table(
        &download(
            &sim,
            &token,
            &format!("getOffice365ActiveUserDetail(date={day})"),
        )
        .await,
    );
    let active: HashSet<String> = by_hash
        .iter()
        .filter(|(_, u)| {
            WORKLOADS
                .iter()
                .any(|(k, _)| u["lastActivity"][k] == day.to_string())
        })
        .map(|(h, _)| h.clone())
        .collect();
    let listed: HashSet<String> = rows
        .iter()
        .map(|r| r["User Principal Name"].clone())
        .collect();
    assert_eq!(listed, active);
    assert!(!listed.is_empty());
    for r in &rows {
        compare_workloads(r, by_hash[&r["User Principal Name"]], "date form");
    }
}
