//! Drive writes as restores use them: upload sessions and simple uploads.

use reqwest::Method;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::common::{app_token, client, send};
use crate::drives::{drive_sim, first_onedrive, hex, truth};

async fn put_range(url: &str, bytes: &[u8], a: usize, b: usize, total: usize) -> (u16, Value) {
    let r = client()
        .put(url)
        .header("content-range", format!("bytes {a}-{}/{total}", b - 1))
        .body(bytes[a..b].to_vec())
        .send()
        .await
        .expect("put");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn upload_sessions_follow_onedrives_rules() {
    let sim = drive_sim(25).await;
    let token = app_token(&sim, "full").await;
    let (upn, drive) = first_onedrive(&sim).await;
    let fragment = 327_680;
    let total = 2 * fragment + 1000;
    let bytes: Vec<u8> = (0..total).map(|i| (i * 7 % 251) as u8).collect();
    let path =
        |name: &str| format!("/drives/{drive}/items/root:/Restored/{name}:/createUploadSession");
    let (status, session) = send(
        &sim,
        Method::POST,
        &token,
        &path("big.bin"),
        Some(json!({"item": {"@microsoft.graph.conflictBehavior": "fail", "fileSystemInfo": {"lastModifiedDateTime": "2020-02-03T04:05:06Z"}}})),
        &[],
    )
    .await;
    assert_eq!(status, 200, "{session}");
    assert_eq!(session["nextExpectedRanges"][0], "0-");
    let url = session["uploadUrl"].as_str().expect("url").to_owned();
    // Not a multiple of 320 KiB.
    let (status, body) = put_range(&url, &bytes, 0, 1000, total).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], "invalidRequest");
    let (status, body) = put_range(&url, &bytes, 0, fragment, total).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["nextExpectedRanges"][0], format!("{fragment}-"));
    // Overlap and gap.
    let (status, body) = put_range(&url, &bytes, fragment - 10, 2 * fragment - 10, total).await;
    assert_eq!(status, 416, "{body}");
    assert_eq!(body["error"]["code"], "invalidRange");
    let (status, _) = put_range(&url, &bytes, 2 * fragment, total, total).await;
    assert_eq!(status, 416);
    let status_now: Value = client()
        .get(&url)
        .send()
        .await
        .expect("status")
        .json()
        .await
        .expect("json");
    assert_eq!(status_now["nextExpectedRanges"][0], format!("{fragment}-"));
    let (status, _) = put_range(&url, &bytes, fragment, 2 * fragment, total).await;
    assert_eq!(status, 202);
    let (status, item) = put_range(&url, &bytes, 2 * fragment, total, total).await;
    assert_eq!(status, 201, "{item}");
    assert_eq!(item["size"], total);
    assert_eq!(
        item["fileSystemInfo"]["lastModifiedDateTime"],
        "2020-02-03T04:05:06Z"
    );
    let files = truth(&sim, &format!("user={upn}&kind=file")).await;
    let t = files
        .iter()
        .find(|f| f["path"] == "/Restored/big.bin")
        .expect("in truth");
    assert_eq!(
        t["sha256"].as_str().expect("sha"),
        hex(&Sha256::digest(&bytes))
    );

    // fail: 409 at once; rename: "big 1.bin"; replace: a new version (200).
    let (status, body) = send(
        &sim,
        Method::POST,
        &token,
        &path("big.bin"),
        Some(json!({"item": {"@microsoft.graph.conflictBehavior": "fail"}})),
        &[],
    )
    .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "nameAlreadyExists");
    let small = &bytes[..100];
    for (behaviour, status_expected, name) in
        [("rename", 201, "big 1.bin"), ("replace", 200, "big.bin")]
    {
        let (_, s) = send(
            &sim,
            Method::POST,
            &token,
            &path("big.bin"),
            Some(json!({"item": {"@microsoft.graph.conflictBehavior": behaviour}})),
            &[],
        )
        .await;
        let (status, item) =
            put_range(s["uploadUrl"].as_str().expect("url"), small, 0, 100, 100).await;
        assert_eq!(status, status_expected, "{behaviour}: {item}");
        assert_eq!(item["name"], name);
    }
    let files = truth(&sim, &format!("user={upn}&kind=file")).await;
    let replaced = files
        .iter()
        .find(|f| f["path"] == "/Restored/big.bin")
        .expect("replaced");
    assert_eq!(replaced["size"], 100);
    assert_eq!(replaced["versions"][0]["size"], total);
    // A cancelled session is gone.
    let (_, s) = send(&sim, Method::POST, &token, &path("gone.bin"), None, &[]).await;
    let u = s["uploadUrl"].as_str().expect("url");
    assert_eq!(
        client().delete(u).send().await.expect("delete").status(),
        204
    );
    assert_eq!(client().get(u).send().await.expect("get").status(), 404);
}

#[tokio::test]
async fn simple_uploads_create_and_replace() {
    let sim = drive_sim(26).await;
    let token = app_token(&sim, "full").await;
    let (upn, drive) = first_onedrive(&sim).await;
    let put = |path: String, body: &'static str| {
        let (base, token) = (sim.base_url.clone(), token.clone());
        async move {
            let r = client()
                .put(format!("{base}/v1.0{path}"))
                .bearer_auth(token)
                .body(body)
                .send()
                .await
                .expect("put");
            let status = r.status().as_u16();
            (status, r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let (status, item) = put(
        format!("/drives/{drive}/items/root:/New%20folder/é%23%25&'{{x}}~+,;=[1].txt:/content"),
        "one",
    )
    .await;
    assert_eq!(status, 201, "{item}");
    assert_eq!(item["name"], "é#%&'{x}~+,;=[1].txt");
    let id = item["id"].as_str().expect("id").to_owned();
    let (status, again) = put(format!("/drives/{drive}/items/{id}/content"), "two!").await;
    assert_eq!(status, 200);
    assert_eq!(again["id"], id.as_str());
    let (status, body) = put(
        format!("/drives/{drive}/items/root:/New%20folder/é%23%25&'{{x}}~+,;=[1].txt:/content?@microsoft.graph.conflictBehavior=fail"),
        "x",
    )
    .await;
    assert_eq!(status, 409, "{body}");
    let files = truth(&sim, &format!("user={upn}&kind=file")).await;
    let f = files
        .iter()
        .find(|f| f["id"] == id.as_str())
        .expect("in truth");
    assert_eq!(f["path"], "/New folder/é#%&'{x}~+,;=[1].txt");
    assert_eq!(
        f["sha256"].as_str().expect("sha"),
        hex(&Sha256::digest(b"two!"))
    );
    assert_eq!(
        f["versions"][0]["sha256"].as_str().expect("sha"),
        hex(&Sha256::digest(b"one"))
    );
    let (status, _) = put(
        format!("/drives/{drive}/items/root:/bad:name.txt:/content"),
        "x",
    )
    .await;
    assert!(status == 400 || status == 404, "{status}");
}
