//! SharePoint: sites, getAllSites, lists, columns, list items, locks.

use std::collections::HashSet;

use reqwest::Method;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::common::{all_pages, app_token, client, get, send};
use crate::drives::{drive_sim, mutate, summary, truth};

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The canonical JSON of the simulator's ground truth (see docs/simulator.md).
fn canonical(v: &Value) -> Vec<u8> {
    fn sorted(v: &Value) -> Value {
        match v {
            Value::Object(m) => {
                let mut keys: Vec<&String> = m.keys().collect();
                keys.sort();
                Value::Object(
                    keys.into_iter()
                        .map(|k| (k.clone(), sorted(&m[k])))
                        .collect(),
                )
            }
            Value::Array(a) => Value::Array(a.iter().map(sorted).collect()),
            o => o.clone(),
        }
    }
    let stripped = match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| !k.starts_with("@odata."))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
        o => o.clone(),
    };
    serde_json::to_vec(&sorted(&stripped)).expect("json")
}

#[tokio::test]
async fn sites_are_listed_paged_and_addressable() {
    let sim = drive_sim(31).await;
    let token = app_token(&sim, "full").await;
    let s = summary(&sim).await;
    let sites = s["sites"].as_array().expect("sites").clone();
    let kinds: HashSet<&str> = sites.iter().filter_map(|x| x["kind"].as_str()).collect();
    for k in ["root", "team", "communication", "subsite"] {
        assert!(kinds.contains(k), "{k} in {kinds:?}");
    }
    let all = all_pages(&sim, &token, "/sites/getAllSites?$top=3").await;
    let (_, first) = get(&sim, &token, "/sites/getAllSites?$top=3").await;
    assert!(first["@odata.nextLink"].is_string(), "paged");
    let ids: HashSet<&str> = all.iter().filter_map(|x| x["id"].as_str()).collect();
    assert_eq!(ids.len(), all.len(), "no site twice");
    for site in &sites {
        assert!(ids.contains(site["id"].as_str().expect("id")));
    }
    let personal = all.iter().filter(|x| x["isPersonalSite"] == true).count();
    assert_eq!(
        personal,
        s["oneDrives"].as_array().expect("oneDrives").len()
    );

    let (status, root) = get(&sim, &token, "/sites/root").await;
    assert_eq!(status, 200);
    assert!(root.get("root").is_some());
    let id = root["id"].as_str().expect("id");
    assert_eq!(id.split(',').count(), 3, "{id}");
    let host = root["siteCollection"]["hostname"]
        .as_str()
        .expect("host")
        .to_owned();
    let team = sites
        .iter()
        .find(|x| x["kind"] == "team")
        .expect("a team site");
    let url = team["webUrl"].as_str().expect("url");
    let path = url.trim_start_matches(&format!("https://{host}"));
    let (status, by_path) = get(&sim, &token, &format!("/sites/{host}:{path}")).await;
    assert_eq!(status, 200, "{by_path}");
    assert_eq!(by_path["id"], team["id"]);
    let (status, drives) = get(
        &sim,
        &token,
        &format!("/sites/{}/drives", team["id"].as_str().expect("id")),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(drives["value"][0]["name"], "Documents");
    assert_eq!(drives["value"][0]["driveType"], "documentLibrary");
    let (status, search) = get(&sim, &token, "/sites?search=*").await;
    assert_eq!(status, 200);
    assert_eq!(search["value"].as_array().map(Vec::len), Some(sites.len()));
    let sub = sites
        .iter()
        .find(|x| x["kind"] == "subsite")
        .expect("a subsite");
    let parent_url = sub["webUrl"]
        .as_str()
        .expect("url")
        .rsplit_once('/')
        .expect("/")
        .0;
    let parent = sites
        .iter()
        .find(|x| x["webUrl"] == parent_url)
        .expect("parent");
    let (_, subs) = get(
        &sim,
        &token,
        &format!("/sites/{}/sites", parent["id"].as_str().expect("id")),
    )
    .await;
    assert_eq!(subs["value"][0]["id"], sub["id"]);
}

#[tokio::test]
async fn lists_items_and_their_truth() {
    let sim = drive_sim(32).await;
    let token = app_token(&sim, "full").await;
    let s = summary(&sim).await;
    let site = s["sites"][0]["id"].as_str().expect("id").to_owned();
    let (status, lists) = get(&sim, &token, &format!("/sites/{site}/lists")).await;
    assert_eq!(status, 200);
    let lists = lists["value"].as_array().expect("lists").clone();
    assert!(
        lists
            .iter()
            .any(|l| l["list"]["template"] == "documentLibrary" && l["displayName"] == "Documents")
    );
    let generic = lists
        .iter()
        .find(|l| l["list"]["template"] == "genericList")
        .expect("a list");
    let list = generic["id"].as_str().expect("id").to_owned();
    let (status, by_name) = get(
        &sim,
        &token,
        &format!(
            "/sites/{site}/lists/{}",
            generic["displayName"].as_str().expect("name")
        ),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(by_name["id"], list.as_str());
    let (status, columns) = get(&sim, &token, &format!("/sites/{site}/lists/{list}/columns")).await;
    assert_eq!(status, 200);
    assert!(columns["value"].as_array().expect("columns").len() > 2);

    let items = all_pages(
        &sim,
        &token,
        &format!("/sites/{site}/lists/{list}/items?$expand=fields&$top=2"),
    )
    .await;
    let truth_items = truth(&sim, &format!("site={site}&kind=listItem")).await;
    let of_list: Vec<&Value> = truth_items
        .iter()
        .filter(|t| t["list"] == list.as_str())
        .collect();
    assert_eq!(items.len(), of_list.len());
    for it in &items {
        let t = of_list
            .iter()
            .find(|t| t["id"] == it["id"])
            .expect("in truth");
        let (_, one) = get(
            &sim,
            &token,
            &format!(
                "/sites/{site}/lists/{list}/items/{}?$expand=fields",
                it["id"].as_str().expect("id")
            ),
        )
        .await;
        assert_eq!(
            hex(&Sha256::digest(canonical(&one["fields"]))),
            t["sha256"].as_str().expect("sha")
        );
        assert_eq!(one["fields"], it["fields"]);
    }
    let (_, selected) = get(
        &sim,
        &token,
        &format!("/sites/{site}/lists/{list}/items?$expand=fields($select=Title)"),
    )
    .await;
    let f = selected["value"][0]["fields"].as_object().expect("fields");
    assert!(
        f.contains_key("Title") && !f.contains_key("Created"),
        "{f:?}"
    );

    // Create, change and delete an item.
    let (status, created) = send(
        &sim,
        Method::POST,
        &token,
        &format!("/sites/{site}/lists/{list}/items"),
        Some(json!({"fields": {"Title": "Restored ✓"}})),
        &[],
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let new_id = created["id"].as_str().expect("id").to_owned();
    let (status, bad) = send(
        &sim,
        Method::POST,
        &token,
        &format!("/sites/{site}/lists/{list}/items"),
        Some(json!({"fields": {"NoSuchColumn": 1}})),
        &[],
    )
    .await;
    assert_eq!(status, 400, "{bad}");
    let (status, fields) = send(
        &sim,
        Method::PATCH,
        &token,
        &format!("/sites/{site}/lists/{list}/items/{new_id}/fields"),
        Some(json!({"Title": "Renamed"})),
        &[],
    )
    .await;
    assert_eq!(status, 200, "{fields}");
    assert_eq!(fields["Title"], "Renamed");
    assert_eq!(fields["_UIVersionString"], "2.0");
    let (status, _) = send(
        &sim,
        Method::DELETE,
        &token,
        &format!("/sites/{site}/lists/{list}/items/{new_id}"),
        None,
        &[],
    )
    .await;
    assert_eq!(status, 204);
    assert_eq!(
        get(
            &sim,
            &token,
            &format!("/sites/{site}/lists/{list}/items/{new_id}")
        )
        .await
        .0,
        404
    );

    // A new list for a restore elsewhere.
    let (status, made) = send(
        &sim,
        Method::POST,
        &token,
        &format!("/sites/{site}/lists"),
        Some(json!({"displayName": "Books", "columns": [{"name": "Author", "text": {}}, {"name": "Pages", "number": {}}], "list": {"template": "genericList"}})),
        &[],
    )
    .await;
    assert_eq!(status, 201, "{made}");
    let (status, _) = send(
        &sim,
        Method::POST,
        &token,
        &format!("/sites/{site}/lists/Books/items"),
        Some(json!({"fields": {"Title": "Dune", "Author": "Herbert", "Pages": 412}})),
        &[],
    )
    .await;
    assert_eq!(status, 201);

    // Mutations change list items and say which.
    let changes = mutate(&sim, json!({"seed": 2, "add": 1, "modify": 1, "delete": 1, "kinds": ["listItem"], "sites": [site]})).await;
    assert_eq!(changes["count"], 3, "{changes}");
    let after = truth(&sim, &format!("site={site}&kind=listItem")).await;
    let mut last = std::collections::HashMap::new();
    for c in changes["changes"].as_array().expect("changes") {
        last.insert((c["list"].to_string(), c["id"].to_string()), c);
    }
    for c in last.values() {
        let present = after
            .iter()
            .any(|t| t["id"] == c["id"] && t["list"] == c["list"]);
        assert_eq!(present, c["op"] != "delete", "{c}");
    }
}

#[tokio::test]
async fn locked_sites_answer_403_and_deleted_ones_404() {
    let sim = drive_sim(33).await;
    let token = app_token(&sim, "full").await;
    let s = summary(&sim).await;
    let team = s["sites"]
        .as_array()
        .expect("sites")
        .iter()
        .find(|x| x["kind"] == "team")
        .expect("team")
        .clone();
    let id = team["id"].as_str().expect("id");
    let drive = team["drives"][0].as_str().expect("drive");
    let lock = |state: &'static str| {
        let base = sim.base_url.clone();
        let id = id.to_owned();
        async move {
            let r = client()
                .post(format!("{base}/_sim/sites/lock"))
                .json(&json!({"site": id, "lockState": state}))
                .send()
                .await
                .expect("lock");
            assert_eq!(r.status(), 200);
        }
    };
    lock("noAccess").await;
    for path in [
        format!("/sites/{id}"),
        format!("/sites/{id}/lists"),
        format!("/drives/{drive}/root/delta"),
    ] {
        let (status, body) = get(&sim, &token, &path).await;
        assert_eq!(status, 403, "{path}: {body}");
        assert_eq!(body["error"]["code"], "accessDenied");
    }
    let all = all_pages(&sim, &token, "/sites/getAllSites").await;
    assert!(
        all.iter().any(|x| x["id"] == id),
        "a noAccess site is still listed"
    );
    lock("deleted").await;
    let (status, body) = get(&sim, &token, &format!("/drives/{drive}")).await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "itemNotFound");
    lock("unlock").await;
    assert_eq!(get(&sim, &token, &format!("/sites/{id}")).await.0, 200);
    let s = summary(&sim).await;
    let again = s["sites"]
        .as_array()
        .expect("sites")
        .iter()
        .find(|x| x["id"] == id)
        .expect("site")
        .clone();
    assert_eq!(again["lockState"], "unlock");
}

#[tokio::test]
async fn users_without_a_onedrive_and_site_files_truth() {
    let sim = drive_sim(34).await;
    let token = app_token(&sim, "full").await;
    let s = summary(&sim).await;
    let with: HashSet<&str> = s["oneDrives"]
        .as_array()
        .expect("od")
        .iter()
        .filter_map(|d| d["userPrincipalName"].as_str())
        .collect();
    let without = s["users"]
        .as_array()
        .expect("users")
        .iter()
        .filter_map(|u| u["userPrincipalName"].as_str())
        .find(|u| !with.contains(u))
        .expect("a user without a OneDrive");
    let (status, body) = get(&sim, &token, &format!("/users/{without}/drive")).await;
    assert_eq!(status, 404, "{body}");
    let site = s["sites"][0]["id"].as_str().expect("id");
    let files = truth(&sim, &format!("site={site}&kind=file")).await;
    let drives: HashSet<&str> = files.iter().filter_map(|f| f["drive"].as_str()).collect();
    let listed: HashSet<&str> = s["sites"][0]["drives"]
        .as_array()
        .expect("drives")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(drives.is_subset(&listed) && !drives.is_empty());
    let (status, _) = send(
        &sim,
        Method::GET,
        &token,
        &format!("/sites/{site}/drive/root/delta"),
        None,
        &[],
    )
    .await;
    assert_eq!(status, 200);
}
