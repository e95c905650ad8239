//! The writes restore uses: folders, messages from MIME (a draft until its
//! extended properties say otherwise), attachments and upload sessions,
//! calendars, events, contact folders and contacts.

use base64::Engine;
use serde_json::{Value, json};

use crate::common::{all_pages, app_token, client, get, send};
use crate::mailbox::{busy_user, mail_sim, raw_get, small_user, truth};

#[tokio::test]
async fn mime_restore_round_trips_into_a_new_folder() {
    let sim = mail_sim(50).await;
    let token = app_token(&sim, "full").await;
    let upn = busy_user(&sim).await;
    let items = truth(&sim, &upn, "message").await;
    let original = items
        .iter()
        .max_by_key(|i| i["size"].as_u64())
        .expect("a message")
        .clone();
    let id = original["id"].as_str().expect("id");
    let (_, meta) = get(&sim, &token, &format!("/users/{upn}/messages/{id}")).await;
    let (_, _, mime) = raw_get(&sim, &token, &format!("/users/{upn}/messages/{id}/$value")).await;

    let (status, folder) = send(
        &sim,
        reqwest::Method::POST,
        &token,
        &format!("/users/{upn}/mailFolders"),
        Some(json!({"displayName": "Restored"})),
        &[],
    )
    .await;
    assert_eq!(status, 201, "{folder}");
    let (status, body) = send(
        &sim,
        reqwest::Method::POST,
        &token,
        &format!("/users/{upn}/mailFolders"),
        Some(json!({"displayName": "restored"})),
        &[],
    )
    .await;
    assert_eq!(status, 409);
    assert_eq!(body["error"]["code"], "ErrorFolderExists");
    assert_eq!(
        body["error"]["message"],
        "A folder with the specified name already exists."
    );
    let folder_id = folder["id"].as_str().expect("id");
    let (status, child) = send(
        &sim,
        reqwest::Method::POST,
        &token,
        &format!("/users/{upn}/mailFolders/{folder_id}/childFolders"),
        Some(json!({"displayName": "2026"})),
        &[],
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!(child["parentFolderId"], folder_id);

    let post = |body: String| {
        client()
            .post(format!(
                "{}/v1.0/users/{upn}/mailFolders/{folder_id}/messages",
                sim.base_url
            ))
            .bearer_auth(&token)
            .header("content-type", "text/plain")
            .body(body)
            .send()
    };
    let r = post("not base64 at all!".into()).await.expect("post");
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["error"]["code"], "ErrorMimeContentInvalidBase64String");
    let r = post(base64::engine::general_purpose::STANDARD.encode(&mime))
        .await
        .expect("post");
    assert_eq!(r.status(), 201);
    let created: Value = r.json().await.expect("json");
    assert_eq!(created["isDraft"], true, "MIME creates a draft");
    assert_eq!(created["subject"], meta["subject"]);
    assert_eq!(created["parentFolderId"], folder_id);
    let new_id = created["id"].as_str().expect("id");

    let restored = truth(&sim, &upn, "message").await;
    let entry = restored
        .iter()
        .find(|t| t["id"] == new_id)
        .expect("in truth");
    assert_eq!(entry["path"], "/Restored");
    assert_eq!(entry["sha256"], original["sha256"], "the same MIME");

    let received = meta["receivedDateTime"].as_str().expect("received");
    let (status, patched) = send(
        &sim,
        reqwest::Method::PATCH,
        &token,
        &format!("/users/{upn}/messages/{new_id}"),
        Some(json!({
            "singleValueExtendedProperties": [
                {"id": "Integer 0x0E07", "value": "1"},
                {"id": "SystemTime 0x0E06", "value": received},
            ],
            "flag": {"flagStatus": "flagged"},
            "categories": ["Restored"],
        })),
        &[],
    )
    .await;
    assert_eq!(status, 200, "{patched}");
    let (_, after) = get(&sim, &token, &format!("/users/{upn}/messages/{new_id}")).await;
    assert_eq!(after["isDraft"], false);
    assert_eq!(after["isRead"], true);
    assert_eq!(after["receivedDateTime"], received);
    assert_eq!(after["flag"]["flagStatus"], "flagged");
    assert_eq!(after["categories"], json!(["Restored"]));
    let (_, _, again) = raw_get(
        &sim,
        &token,
        &format!("/users/{upn}/messages/{new_id}/$value"),
    )
    .await;
    assert_eq!(again, mime, "metadata changes leave the MIME alone");
    let (status, _) = send(
        &sim,
        reqwest::Method::DELETE,
        &token,
        &format!("/users/{upn}/messages/{new_id}"),
        None,
        &[],
    )
    .await;
    assert_eq!(status, 204);
    assert_eq!(
        get(&sim, &token, &format!("/users/{upn}/messages/{new_id}"))
            .await
            .0,
        404
    );
}

#[tokio::test]
async fn attachments_and_upload_sessions() {
    let sim = mail_sim(51).await;
    let token = app_token(&sim, "full").await;
    let upn = small_user(&sim).await;
    let (status, msg) = send(
        &sim,
        reqwest::Method::POST,
        &token,
        &format!("/users/{upn}/messages"),
        Some(json!({
            "subject": "Quarterly numbers",
            "body": {"contentType": "html", "content": "<p>See attached.</p>"},
            "toRecipients": [{"emailAddress": {"name": "Bo", "address": "bo@contoso.com"}}],
            "singleValueExtendedProperties": [{"id": "Integer 0x0E07", "value": "1"}],
        })),
        &[],
    )
    .await;
    assert_eq!(status, 201, "{msg}");
    assert_eq!(msg["isDraft"], false, "PR_MESSAGE_FLAGS on create");
    let id = msg["id"].as_str().expect("id").to_owned();
    let small = vec![7u8; 1000];
    let (status, a) = send(
        &sim,
        reqwest::Method::POST,
        &token,
        &format!("/users/{upn}/messages/{id}/attachments"),
        Some(json!({"@odata.type": "#microsoft.graph.fileAttachment", "name": "small.bin", "contentBytes": base64::engine::general_purpose::STANDARD.encode(&small)})),
        &[],
    )
    .await;
    assert_eq!(status, 201, "{a}");
    let (status, body) = send(
        &sim,
        reqwest::Method::POST,
        &token,
        &format!("/users/{upn}/messages/{id}/attachments/createUploadSession"),
        Some(
            json!({"AttachmentItem": {"attachmentType": "file", "name": "tiny.bin", "size": 1000}}),
        ),
        &[],
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (
            400,
            Some("ErrorAttachmentSizeShouldNotBeLessThanMinimumSize")
        )
    );
    let big: Vec<u8> = (0..3_500_000u32).map(|i| (i % 251) as u8).collect();
    let (status, session) = send(
        &sim,
        reqwest::Method::POST,
        &token,
        &format!("/users/{upn}/messages/{id}/attachments/createUploadSession"),
        Some(json!({"AttachmentItem": {"attachmentType": "file", "name": "big.bin", "size": big.len()}})),
        &[],
    )
    .await;
    assert_eq!(status, 201, "{session}");
    assert_eq!(session["nextExpectedRanges"], json!(["0-"]));
    let url = session["uploadUrl"].as_str().expect("url").to_owned();
    let put = |from: usize, to: usize| {
        client()
            .put(&url)
            .header(
                "content-range",
                format!("bytes {from}-{}/{}", to - 1, big.len()),
            )
            .header("content-type", "application/octet-stream")
            .body(big[from..to].to_vec())
            .send()
    };
    let r = put(2_000_000, 3_000_000).await.expect("put");
    assert_eq!(r.status(), 416, "out of order");
    let r = put(0, 2_000_000).await.expect("put");
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["nextExpectedRanges"], json!(["2000000"]));
    let r = put(2_000_000, big.len()).await.expect("put");
    assert_eq!(r.status(), 201);
    let location = r.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    assert!(location.contains("/Attachments('"), "{location}");
    let list = all_pages(
        &sim,
        &token,
        &format!("/users/{upn}/messages/{id}/attachments"),
    )
    .await;
    assert_eq!(list.len(), 2);
    let big_one = list
        .iter()
        .find(|a| a["name"] == "big.bin")
        .expect("uploaded");
    let aid = big_one["id"].as_str().expect("id");
    assert!(location.contains(aid));
    let (status, _, bytes) = raw_get(
        &sim,
        &token,
        &format!("/users/{upn}/messages/{id}/attachments/{aid}/$value"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(bytes, big);
    let (_, _, mime) = raw_get(&sim, &token, &format!("/users/{upn}/messages/{id}/$value")).await;
    assert!(
        mime.len() > big.len(),
        "a JSON-created message's MIME carries its attachments"
    );
}
