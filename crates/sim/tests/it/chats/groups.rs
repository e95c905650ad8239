//! Microsoft 365 group conversations and group membership writes.

use std::collections::HashSet;

use reqwest::Method;
use serde_json::{Value, json};

use super::chat_sim;
use crate::common::{all_pages, app_token, get, send};
use crate::drives::{mutate, summary, truth};
use crate::schema::{Schema, check_all};

#[tokio::test]
async fn membership_writes_show_in_the_truth_and_in_groups_delta() {
    let sim = chat_sim(47).await;
    let token = app_token(&sim, "full").await;
    let s = summary(&sim).await;
    let groups = s["groups"].as_array().expect("groups");
    let of_kind = |k: &str| {
        groups
            .iter()
            .find(|g| g["kind"] == k)
            .cloned()
            .expect("group of kind")
    };
    let m365 = of_kind("microsoft365");
    let gid = m365["id"].as_str().expect("id").to_owned();
    let members: HashSet<&str> = m365["members"]
        .as_array()
        .expect("members")
        .iter()
        .chain(m365["owners"].as_array().expect("owners"))
        .filter_map(Value::as_str)
        .collect();
    let user = s["users"]
        .as_array()
        .expect("users")
        .iter()
        .filter_map(|u| u["id"].as_str())
        .find(|u| !members.contains(u))
        .expect("a user neither member nor owner")
        .to_owned();

    // A first delta round, then the membership changes.
    let mut link = "/groups/delta?$select=displayName,members".to_owned();
    loop {
        let (_, body) = get(&sim, &token, &link).await;
        if let Some(d) = body["@odata.deltaLink"].as_str() {
            link = d.to_owned();
            break;
        }
        link = body["@odata.nextLink"].as_str().expect("next").to_owned();
    }
    let reference =
        json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{user}")});
    let post = |path: String, body: Value| {
        let sim = &sim;
        let token = &token;
        async move { send(sim, Method::POST, token, &path, Some(body), &[]).await }
    };
    let (status, body) = post(format!("/groups/{gid}/members/$ref"), reference.clone()).await;
    assert_eq!(status, 204, "{body}");
    let (status, body) = post(format!("/groups/{gid}/members/$ref"), reference.clone()).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "Request_BadRequest");
    assert_eq!(
        body["error"]["message"],
        "One or more added object references already exist for the following modified properties: 'members'."
    );
    let in_truth = |items: &[Value], path: &str| {
        items
            .iter()
            .any(|t| t["id"] == json!(user) && t["path"] == path)
    };
    let t = truth(&sim, &format!("group={gid}&kind=member")).await;
    assert!(in_truth(&t, "/members"));
    let (_, listed) = get(&sim, &token, &format!("/groups/{gid}/members")).await;
    assert!(
        listed["value"]
            .as_array()
            .is_some_and(|v| v.iter().any(|m| m["id"] == json!(user)))
    );

    let delta_of_group = |body: &Value| {
        body["value"]
            .as_array()
            .and_then(|v| v.iter().find(|g| g["id"] == json!(gid)).cloned())
    };
    let (_, body) = get(&sim, &token, &link).await;
    let g = delta_of_group(&body).expect("the group changed");
    assert_eq!(
        g["members@delta"],
        json!([{"@odata.type": "#microsoft.graph.user", "id": user}]),
        "only the added member"
    );
    link = body["@odata.deltaLink"]
        .as_str()
        .expect("delta link")
        .to_owned();

    let (status, _) = send(
        &sim,
        Method::DELETE,
        &token,
        &format!("/groups/{gid}/members/{user}/$ref"),
        None,
        &[],
    )
    .await;
    assert_eq!(status, 204);
    let (status, body) = send(
        &sim,
        Method::DELETE,
        &token,
        &format!("/groups/{gid}/members/{user}/$ref"),
        None,
        &[],
    )
    .await;
    assert_eq!(status, 404, "{body}");
    assert!(!in_truth(
        &truth(&sim, &format!("group={gid}&kind=member")).await,
        "/members"
    ));
    let (_, body) = get(&sim, &token, &link).await;
    let g = delta_of_group(&body).expect("the group changed again");
    assert_eq!(
        g["members@delta"],
        json!([{"@odata.type": "#microsoft.graph.user", "id": user, "@removed": {"reason": "deleted"}}])
    );

    let (status, _) = post(format!("/groups/{gid}/owners/$ref"), reference.clone()).await;
    assert_eq!(status, 204);
    assert!(in_truth(
        &truth(&sim, &format!("group={gid}&kind=member")).await,
        "/owners"
    ));

    for kind in ["distribution", "mail-enabled-security"] {
        let dl = of_kind(kind)["id"].as_str().expect("id").to_owned();
        let (status, body) = post(format!("/groups/{dl}/members/$ref"), reference.clone()).await;
        assert_eq!(status, 400, "{kind}");
        assert_eq!(
            body["error"]["message"],
            "Cannot Update a mail-enabled security groups and or distribution list."
        );
    }

    // Changes made "in the tenant" by the mutate API show the same way.
    for (op, had, has) in [("add", false, true), ("delete", true, false)] {
        let before = truth(&sim, &format!("group={gid}&kind=member")).await;
        let mut body = json!({"seed": 3, "kinds": ["member"], "groups": [gid]});
        body[op] = json!(1);
        let changes = mutate(&sim, body).await;
        assert_eq!(changes["count"], 1, "{changes}");
        let c = &changes["changes"][0];
        assert_eq!(
            (&c["op"], &c["group"], &c["path"]),
            (&json!(op), &json!(gid), &json!("/members"))
        );
        let after = truth(&sim, &format!("group={gid}&kind=member")).await;
        let member = |items: &[Value]| {
            items
                .iter()
                .any(|t| t["id"] == c["id"] && t["path"] == "/members")
        };
        assert_eq!((member(&before), member(&after)), (had, has), "{c}");
    }
}

#[tokio::test]
async fn group_conversations_list_threads_and_posts() {
    let sim = chat_sim(48).await;
    let token = app_token(&sim, "full").await;
    let s = summary(&sim).await;
    let groups = s["groups"].as_array().expect("groups");
    let m365 = groups
        .iter()
        .find(|g| g["kind"] == "microsoft365")
        .expect("m365");
    let gid = m365["id"].as_str().expect("id");
    let conversations =
        all_pages(&sim, &token, &format!("/groups/{gid}/conversations?$top=1")).await;
    assert!(conversations.len() >= 2);
    let threads = all_pages(&sim, &token, &format!("/groups/{gid}/threads?$top=2")).await;
    assert!(threads.len() >= conversations.len());
    let mut posts = Vec::new();
    for t in &threads {
        let tid = t["id"].as_str().expect("id");
        let (status, single) = get(&sim, &token, &format!("/groups/{gid}/threads/{tid}")).await;
        assert_eq!((status, &single["id"]), (200, &t["id"]));
        let list = all_pages(&sim, &token, &format!("/groups/{gid}/threads/{tid}/posts")).await;
        assert!(!list.is_empty());
        for p in &list {
            assert_eq!(p["conversationThreadId"], t["id"]);
            let pid = p["id"].as_str().expect("id");
            let (status, one) = get(
                &sim,
                &token,
                &format!("/groups/{gid}/threads/{tid}/posts/{pid}"),
            )
            .await;
            assert_eq!(status, 200);
            assert_eq!(one["body"], p["body"]);
        }
        posts.extend(list);
    }
    let cid = conversations[0]["id"].as_str().expect("id");
    let (status, c) = get(&sim, &token, &format!("/groups/{gid}/conversations/{cid}")).await;
    assert_eq!((status, &c["topic"]), (200, &conversations[0]["topic"]));

    let schema = Schema::load();
    let mut errors = Vec::new();
    check_all(
        &schema,
        "conversation",
        &conversations,
        "conversations",
        &mut errors,
    );
    check_all(
        &schema,
        "conversationThread",
        &threads,
        "threads",
        &mut errors,
    );
    check_all(&schema, "post", &posts, "posts", &mut errors);
    assert!(errors.is_empty(), "{}", errors.join("\n"));

    let security = groups
        .iter()
        .find(|g| g["kind"] == "security")
        .expect("security");
    let sid = security["id"].as_str().expect("id");
    let (status, _) = get(&sim, &token, &format!("/groups/{sid}/conversations")).await;
    assert_eq!(status, 404, "only Microsoft 365 groups have conversations");
}
