//! Directory reads: paging, query options and their errors, members, delta, `$batch`.

use m365vault_sim::SimConfig;
use serde_json::{Value, json};

use crate::common::{all_pages, app_token, client, default_sim, get, send, sim};

#[tokio::test]
async fn users_page_with_top_and_next_links() {
    let sim = sim(SimConfig {
        seed: 9,
        users: 250,
        ..SimConfig::default()
    })
    .await;
    let token = app_token(&sim, "full").await;
    let (status, first) = get(&sim, &token, "/users").await;
    assert_eq!(status, 200);
    assert_eq!(
        first["value"].as_array().map(Vec::len),
        Some(100),
        "default page size"
    );
    let next = first["@odata.nextLink"].as_str().expect("next link");
    assert!(
        next.starts_with(&format!("{}/v1.0/users?", sim.base_url))
            && next.contains("$skiptoken=RFNwdA"),
        "{next}"
    );
    assert_eq!(
        first["@odata.context"],
        format!("{}/v1.0/$metadata#users", sim.base_url)
    );
    let keys: Vec<&str> = first["value"][0]
        .as_object()
        .expect("user")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "businessPhones",
            "displayName",
            "givenName",
            "jobTitle",
            "mail",
            "mobilePhone",
            "officeLocation",
            "preferredLanguage",
            "surname",
            "userPrincipalName",
            "id"
        ]
    );

    let all = all_pages(&sim, &token, "/users?$top=999").await;
    assert_eq!(all.len(), 250);
    let small = all_pages(&sim, &token, "/users?$top=7&$select=id,userPrincipalName").await;
    assert_eq!(small.len(), 250);
    assert_eq!(small[0].as_object().map(|o| o.len()), Some(2));
    let mut ids: Vec<&str> = small.iter().filter_map(|u| u["id"].as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 250, "pages neither repeat nor skip");

    let truth: Value = client()
        .get(format!("{}/_sim/truth/summary", sim.base_url))
        .send()
        .await
        .expect("truth")
        .json()
        .await
        .expect("json");
    assert_eq!(truth["users"].as_array().map(Vec::len), Some(250));

    for bad in ["1000", "0", "x"] {
        let (status, body) = get(&sim, &token, &format!("/users?$top={bad}")).await;
        assert_eq!(status, 400, "{bad}");
        assert_eq!(body["error"]["code"], "Request_UnsupportedQuery");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap_or_default()
                .contains("Must be between 1 and 999 inclusive.")
        );
    }
}

#[tokio::test]
async fn query_options_follow_the_advanced_query_rules() {
    let sim = default_sim().await;
    let token = app_token(&sim, "full").await;
    let admin = sim.credentials.admin_user.clone();

    let (status, body) = get(
        &sim,
        &token,
        &format!("/users?$filter=userPrincipalName eq '{admin}'"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["value"].as_array().map(Vec::len), Some(1));
    let (_, body) = get(&sim, &token, "/users?$filter=startswith(displayName,'MOD')").await;
    assert_eq!(body["value"][0]["userPrincipalName"], admin.as_str());

    let (status, body) = get(&sim, &token, "/users?$filter=officeLocation eq 'x'").await;
    assert_eq!(status, 400);
    assert_eq!(
        body["error"]["message"],
        "Unsupported or invalid query filter clause specified for property 'officeLocation' of resource 'User'."
    );

    let path = "/users?$filter=endswith(mail,'.onmicrosoft.com')";
    let (status, body) = get(&sim, &token, path).await;
    assert_eq!(status, 400);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .starts_with("Operator 'endsWith' is not supported")
    );
    let (status, body) = send(
        &sim,
        reqwest::Method::GET,
        &token,
        &format!("{path}&$count=true"),
        None,
        &[("ConsistencyLevel", "eventual")],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["@odata.count"], 30);
    assert_eq!(body["value"].as_array().map(Vec::len), Some(30));

    // $count without ConsistencyLevel is ignored, not an error.
    let (status, body) = get(&sim, &token, "/users?$count=true").await;
    assert_eq!(status, 200);
    assert!(body.get("@odata.count").is_none());

    let (status, body) = get(&sim, &token, "/users?$search=\"displayName:MOD\"").await;
    assert_eq!(status, 400);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("ConsistencyLevel: eventual")
    );
    let (status, body) = send(
        &sim,
        reqwest::Method::GET,
        &token,
        "/users?$search=\"displayName:MOD\"",
        None,
        &[("ConsistencyLevel", "eventual")],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["value"].as_array().map(Vec::len), Some(1));

    let (status, sorted) = get(&sim, &token, "/users?$orderby=displayName desc&$top=999").await;
    assert_eq!(status, 200);
    let names: Vec<String> = sorted["value"]
        .as_array()
        .expect("users")
        .iter()
        .filter_map(|u| u["displayName"].as_str().map(str::to_lowercase))
        .collect();
    assert!(names.windows(2).all(|w| w[0] >= w[1]), "{names:?}");
    let (status, body) = get(&sim, &token, "/users?$orderby=jobTitle").await;
    assert_eq!(
        status, 400,
        "only displayName and userPrincipalName sort without advanced queries"
    );
    assert_eq!(body["error"]["code"], "Request_UnsupportedQuery");
    let (status, _) = send(
        &sim,
        reqwest::Method::GET,
        &token,
        "/users?$orderby=jobTitle&$count=true",
        None,
        &[("ConsistencyLevel", "eventual")],
    )
    .await;
    assert_eq!(status, 200);

    let (status, body) = get(&sim, &token, "/users?$select=displayName,noSuchProperty").await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "Request_BadRequest");

    let (status, body) = get(
        &sim,
        &token,
        &format!(
            "/users/{}?$select=id,assignedLicenses",
            admin.to_uppercase()
        ),
    )
    .await;
    assert_eq!(status, 200, "user by UPN, case-insensitive");
    assert!(
        body["assignedLicenses"]
            .as_array()
            .is_some_and(|l| !l.is_empty())
    );
    let (status, body) = get(&sim, &token, "/users/00000000-0000-0000-0000-000000000000").await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "Request_ResourceNotFound");

    let (status, body) = get(&sim, &token, "/nothingHere").await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "BadRequest");
}

#[tokio::test]
async fn groups_of_every_kind_with_members_and_nesting() {
    let sim = default_sim().await;
    let token = app_token(&sim, "full").await;
    let truth: Value = client()
        .get(format!("{}/_sim/truth/summary", sim.base_url))
        .send()
        .await
        .expect("truth")
        .json()
        .await
        .expect("json");
    let groups = all_pages(&sim, &token, "/groups").await;
    assert_eq!(
        groups.len(),
        truth["groups"].as_array().map(Vec::len).unwrap_or_default()
    );
    let unified = all_pages(
        &sim,
        &token,
        "/groups?$filter=groupTypes/any(c:c eq 'Unified')",
    )
    .await;
    assert!(
        !unified.is_empty()
            && unified
                .iter()
                .all(|g| g["groupTypes"] == json!(["Unified"]))
    );
    let dls = all_pages(
        &sim,
        &token,
        "/groups?$filter=mailEnabled eq true and securityEnabled eq false",
    )
    .await;
    assert!(
        dls.len() >= 3,
        "distribution lists and Microsoft 365 groups"
    );

    let mut saw_nested = false;
    for g in truth["groups"].as_array().into_iter().flatten() {
        let id = g["id"].as_str().expect("id");
        let members = all_pages(&sim, &token, &format!("/groups/{id}/members?$top=2")).await;
        let got: Vec<&str> = members.iter().filter_map(|m| m["id"].as_str()).collect();
        let want: Vec<&str> = g["members"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        assert_eq!(got, want, "members of {}", g["displayName"]);
        assert!(members.iter().all(|m| {
            m["@odata.type"]
                .as_str()
                .is_some_and(|t| t.starts_with("#microsoft.graph."))
        }));
        let transitive = all_pages(&sim, &token, &format!("/groups/{id}/transitiveMembers")).await;
        let users: Vec<&str> = transitive
            .iter()
            .filter(|m| m["@odata.type"] == "#microsoft.graph.user")
            .filter_map(|m| m["id"].as_str())
            .collect();
        let mut want_users: Vec<&str> = g["transitiveUserMembers"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let mut users_sorted = users.clone();
        users_sorted.sort_unstable();
        want_users.sort_unstable();
        assert_eq!(users_sorted, want_users);
        if members
            .iter()
            .any(|m| m["@odata.type"] == "#microsoft.graph.group")
        {
            saw_nested = true;
            assert!(transitive.len() > members.len());
        }
        let owners = all_pages(&sim, &token, &format!("/groups/{id}/owners")).await;
        assert_eq!(
            owners.len(),
            g["owners"].as_array().map(Vec::len).unwrap_or_default()
        );
    }
    assert!(saw_nested, "the generated tenant nests groups");

    let (status, body) = get(
        &sim,
        &token,
        &format!(
            "/groups/{}/members?$filter=startswith(displayName,'a')",
            groups[0]["id"].as_str().expect("id")
        ),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "Request_UnsupportedQuery");
}

#[tokio::test]
async fn same_seed_same_tenant() {
    let a = sim(SimConfig {
        seed: 77,
        users: 12,
        ..SimConfig::default()
    })
    .await;
    let b = sim(SimConfig {
        seed: 77,
        users: 12,
        ..SimConfig::default()
    })
    .await;
    let c = sim(SimConfig {
        seed: 78,
        users: 12,
        ..SimConfig::default()
    })
    .await;
    let truth = |s: &m365vault_sim::SimServer| {
        let url = format!("{}/_sim/truth/summary", s.base_url);
        async move {
            client()
                .get(url)
                .send()
                .await
                .expect("truth")
                .json::<Value>()
                .await
                .expect("json")
        }
    };
    let (ta, tb, tc) = (truth(&a).await, truth(&b).await, truth(&c).await);
    assert_eq!(ta["users"], tb["users"]);
    assert_eq!(ta["groups"], tb["groups"]);
    assert_eq!(
        a.credentials.app("full").map(|x| x.client_id.clone()),
        b.credentials.app("full").map(|x| x.client_id.clone())
    );
    // Secrets and keys are made fresh at every start: knowing the seed gives no credential.
    assert_ne!(
        a.credentials.app("full").map(|x| x.client_secret.clone()),
        b.credentials.app("full").map(|x| x.client_secret.clone())
    );
    assert_ne!(ta["tenant"]["id"], tc["tenant"]["id"]);
    assert_ne!(ta["users"], tc["users"]);
}

#[tokio::test]
async fn users_and_groups_delta_rounds() {
    let sim = sim(SimConfig {
        seed: 11,
        users: 150,
        ..SimConfig::default()
    })
    .await;
    let token = app_token(&sim, "full").await;
    let mut next = Some("/users/delta?$select=displayName,mail".to_owned());
    let mut users = Vec::new();
    let mut delta_link = None;
    while let Some(p) = next.take() {
        let (status, body) = get(&sim, &token, &p).await;
        assert_eq!(status, 200, "{body}");
        users.extend(body["value"].as_array().cloned().unwrap_or_default());
        next = body["@odata.nextLink"].as_str().map(str::to_owned);
        delta_link = body["@odata.deltaLink"].as_str().map(str::to_owned);
    }
    assert_eq!(users.len(), 150);
    assert!(users.iter().all(|u| {
        u.as_object()
            .is_some_and(|o| o.len() == 3 && o.contains_key("id"))
    }));
    let link = delta_link.expect("a delta link ends the round");
    assert!(link.contains("$deltatoken="));
    let (status, body) = get(&sim, &token, &link).await;
    assert_eq!(status, 200);
    assert_eq!(body["value"], json!([]), "no changes since");

    let (_, body) = get(&sim, &token, "/users/delta?$deltatoken=latest").await;
    assert_eq!(body["value"], json!([]));
    assert!(body["@odata.deltaLink"].is_string());

    let (status, body) = get(&sim, &token, "/users/delta?$deltatoken=tampered!!").await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["message"], "Badly formed token.");

    let groups = crate::common::all_pages(&sim, &token, "/groups").await;
    let (_, body) = get(&sim, &token, "/groups/delta?$select=displayName,members").await;
    let first = &body["value"].as_array().expect("groups")[..];
    assert_eq!(first.len(), groups.len());
    assert!(first.iter().any(|g| {
        g["members@delta"]
            .as_array()
            .is_some_and(|m| !m.is_empty() && m[0]["@odata.type"].is_string())
    }));
}

#[tokio::test]
async fn batch_runs_each_request_and_honours_depends_on() {
    let sim = default_sim().await;
    let token = app_token(&sim, "mail-only").await;
    let admin = sim.credentials.admin_user.clone();
    let body = json!({"requests": [
        {"id": "1", "method": "GET", "url": "/users?$top=2"},
        {"id": "2", "method": "GET", "url": "groups"},
        {"id": "3", "method": "GET", "url": format!("/users/{admin}"), "dependsOn": ["2"]},
        {"id": "4", "method": "GET", "url": format!("/users/{admin}?$select=id"), "dependsOn": ["1"]},
    ]});
    let (status, response) = send(
        &sim,
        reqwest::Method::POST,
        &token,
        "/$batch",
        Some(body),
        &[],
    )
    .await;
    assert_eq!(status, 200, "{response}");
    let by_id = |id: &str| {
        response["responses"]
            .as_array()
            .and_then(|r| r.iter().find(|x| x["id"] == id))
            .cloned()
            .expect("response")
    };
    assert_eq!(by_id("1")["status"], 200);
    assert_eq!(
        by_id("1")["body"]["value"].as_array().map(Vec::len),
        Some(2)
    );
    assert_eq!(
        by_id("2")["status"],
        403,
        "each item is authorized on its own"
    );
    assert_eq!(
        by_id("2")["body"]["error"]["code"],
        "Authorization_RequestDenied"
    );
    assert_eq!(by_id("3")["status"], 424);
    assert_eq!(by_id("4")["status"], 200);
    assert_eq!(by_id("4")["headers"]["x-ms-resource-unit"], "1");

    let too_many: Vec<Value> = (0..21)
        .map(|i| json!({"id": i.to_string(), "method": "GET", "url": "/users"}))
        .collect();
    let (status, body) = send(
        &sim,
        reqwest::Method::POST,
        &token,
        "/$batch",
        Some(json!({"requests": too_many})),
        &[],
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "BadRequest");
    let dupes = json!({"requests": [{"id": "a", "method": "GET", "url": "/users"}, {"id": "A", "method": "GET", "url": "/users"}]});
    let (status, _) = send(
        &sim,
        reqwest::Method::POST,
        &token,
        "/$batch",
        Some(dupes),
        &[],
    )
    .await;
    assert_eq!(status, 400);
    let (status, _) = send(
        &sim,
        reqwest::Method::POST,
        "bad",
        "/$batch",
        Some(json!({"requests": []})),
        &[],
    )
    .await;
    assert_eq!(status, 401);
}
