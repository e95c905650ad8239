//! Calendars and contacts: ground truth against what Graph returns, calendar
//! views and their delta, contact delta, and the writes restore uses.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::common::{all_pages, app_token, get, send};
use crate::mailbox::{busy_user, canonical, mail_sim, mutate, sha256, small_user, truth};

#[tokio::test]
async fn events_and_contacts_truth_is_what_get_returns() {
    let sim = mail_sim(48).await;
    let token = app_token(&sim, "full").await;
    let upn = busy_user(&sim).await;
    let events = truth(&sim, &upn, "event").await;
    assert!(!events.is_empty());
    for e in &events {
        let id = e["id"].as_str().expect("id");
        let (status, body) = get(&sim, &token, &format!("/users/{upn}/events/{id}")).await;
        assert_eq!(status, 200);
        let bytes = canonical(&body);
        assert_eq!(sha256(&bytes), e["sha256"].as_str().expect("sha"), "{body}");
        assert_eq!(bytes.len() as u64, e["size"].as_u64().expect("size"));
    }
    let contacts = truth(&sim, &upn, "contact").await;
    for c in &contacts {
        let id = c["id"].as_str().expect("id");
        let (status, body) = get(&sim, &token, &format!("/users/{upn}/contacts/{id}")).await;
        assert_eq!(status, 200);
        assert_eq!(
            sha256(&canonical(&body)),
            c["sha256"].as_str().expect("sha")
        );
    }
    // Calendar views list occurrences; each resolves by id.
    let view = all_pages(
        &sim,
        &token,
        &format!("/users/{upn}/calendarView?startDateTime=2000-01-01T00:00:00Z&endDateTime=2100-01-01T00:00:00Z"),
    )
    .await;
    for v in view.iter().filter(|v| v["type"] == "occurrence").take(5) {
        let id = v["id"].as_str().expect("id");
        let (status, one) = get(&sim, &token, &format!("/users/{upn}/events/{id}")).await;
        assert_eq!(status, 200);
        assert_eq!(one["seriesMasterId"], v["seriesMasterId"]);
    }
    let (status, body) = get(&sim, &token, &format!("/users/{upn}/calendarView")).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("ErrorInvalidParameter"))
    );
}

#[tokio::test]
async fn calendar_and_contact_delta_follow_mutations() {
    let sim = mail_sim(49).await;
    let token = app_token(&sim, "full").await;
    let upn = busy_user(&sim).await;
    let start =
        "/calendarView/delta?startDateTime=2000-01-01T00:00:00Z&endDateTime=2100-01-01T00:00:00Z";
    let round = |url: String| {
        let sim = &sim;
        let token = &token;
        async move {
            let (mut items, mut next) = (Vec::new(), Some(url));
            loop {
                let url = next.take().expect("url");
                let (status, body) = send(
                    sim,
                    reqwest::Method::GET,
                    token,
                    &url,
                    None,
                    &[("Prefer", "odata.maxpagesize=5")],
                )
                .await;
                assert_eq!(status, 200, "{body}");
                items.extend(body["value"].as_array().cloned().unwrap_or_default());
                match body["@odata.nextLink"].as_str() {
                    Some(l) => next = Some(l.to_owned()),
                    None => {
                        return (
                            items,
                            body["@odata.deltaLink"].as_str().expect("link").to_owned(),
                        );
                    }
                }
            }
        }
    };
    let (instances, event_link) = round(format!("/users/{upn}{start}")).await;
    let view = all_pages(
        &sim,
        &token,
        &format!("/users/{upn}/calendarView?startDateTime=2000-01-01T00:00:00Z&endDateTime=2100-01-01T00:00:00Z"),
    )
    .await;
    let ids = |v: &[Value]| {
        v.iter()
            .map(|x| x["id"].as_str().expect("id").to_owned())
            .collect::<BTreeSet<_>>()
    };
    assert_eq!(ids(&instances), ids(&view));
    let (contacts, contact_link) = round(format!(
        "/users/{upn}/contactFolders/contacts/contacts/delta"
    ))
    .await;
    let default_folder: BTreeSet<String> = truth(&sim, &upn, "contact")
        .await
        .iter()
        .filter(|c| c["path"] == "/Contacts")
        .map(|c| c["id"].as_str().expect("id").to_owned())
        .collect();
    assert_eq!(ids(&contacts), default_folder);
    mutate(&sim, json!({"seed": 9, "add": 2, "modify": 2, "delete": 2, "kinds": ["event", "contact"], "users": [upn]})).await;
    let (changes, _) = round(event_link).await;
    assert!(!changes.is_empty(), "event changes are reported");
    let (changes, _) = round(contact_link).await;
    let (removed, changed): (Vec<&Value>, Vec<&Value>) =
        changes.iter().partition(|c| c.get("@removed").is_some());
    let now: BTreeSet<String> = truth(&sim, &upn, "contact")
        .await
        .iter()
        .filter(|c| c["path"] == "/Contacts")
        .map(|c| c["id"].as_str().expect("id").to_owned())
        .collect();
    let mut replica = default_folder.clone();
    for r in removed {
        replica.remove(r["id"].as_str().expect("id"));
    }
    for c in changed {
        replica.insert(c["id"].as_str().expect("id").to_owned());
    }
    assert_eq!(replica, now);
}
#[tokio::test]
async fn events_and_contacts_can_be_restored() {
    let sim = mail_sim(52).await;
    let token = app_token(&sim, "full").await;
    let upn = small_user(&sim).await;
    let (status, cal) = send(
        &sim,
        reqwest::Method::POST,
        &token,
        &format!("/users/{upn}/calendars"),
        Some(json!({"name": "Restored calendar"})),
        &[],
    )
    .await;
    assert_eq!(status, 201, "{cal}");
    let cal_id = cal["id"].as_str().expect("id");
    let (status, ev) = send(
        &sim,
        reqwest::Method::POST,
        &token,
        &format!("/users/{upn}/calendars/{cal_id}/events"),
        Some(json!({
            "subject": "Weekly sync",
            "body": {"contentType": "html", "content": "<p>Agenda</p>"},
            "start": {"dateTime": "2026-03-02T09:00:00", "timeZone": "UTC"},
            "end": {"dateTime": "2026-03-02T09:30:00", "timeZone": "UTC"},
            "recurrence": {
                "pattern": {"type": "weekly", "interval": 1, "daysOfWeek": ["monday"]},
                "range": {"type": "numbered", "startDate": "2026-03-02", "numberOfOccurrences": 4}
            }
        })),
        &[],
    )
    .await;
    assert_eq!(status, 201, "{ev}");
    assert_eq!(ev["type"], "seriesMaster");
    let ev_id = ev["id"].as_str().expect("id");
    let instances = all_pages(
        &sim,
        &token,
        &format!("/users/{upn}/events/{ev_id}/instances?startDateTime=2026-01-01T00:00:00Z&endDateTime=2027-01-01T00:00:00Z"),
    )
    .await;
    assert_eq!(instances.len(), 4);
    let events = truth(&sim, &upn, "event").await;
    assert!(
        events
            .iter()
            .any(|e| e["id"] == ev_id && e["path"] == "/Restored calendar")
    );
    let (status, folder) = send(
        &sim,
        reqwest::Method::POST,
        &token,
        &format!("/users/{upn}/contactFolders"),
        Some(json!({"displayName": "Restored contacts"})),
        &[],
    )
    .await;
    assert_eq!(status, 201);
    let folder_id = folder["id"].as_str().expect("id");
    let (status, contact) = send(
        &sim,
        reqwest::Method::POST,
        &token,
        &format!("/users/{upn}/contactFolders/{folder_id}/contacts"),
        Some(json!({"givenName": "Ada", "surname": "Lovelace", "emailAddresses": [{"name": "Ada", "address": "ada@example.com"}]})),
        &[],
    )
    .await;
    assert_eq!(status, 201, "{contact}");
    let contacts = truth(&sim, &upn, "contact").await;
    let entry = contacts
        .iter()
        .find(|c| c["id"] == contact["id"])
        .expect("in truth");
    assert_eq!(entry["path"], "/Contacts/Restored contacts");
    let cid = contact["id"].as_str().expect("id");
    assert_eq!(
        send(
            &sim,
            reqwest::Method::DELETE,
            &token,
            &format!("/users/{upn}/contacts/{cid}"),
            None,
            &[]
        )
        .await
        .0,
        204
    );
    assert_eq!(
        send(
            &sim,
            reqwest::Method::DELETE,
            &token,
            &format!("/users/{upn}/events/{ev_id}"),
            None,
            &[]
        )
        .await
        .0,
        204
    );
    assert!(
        !truth(&sim, &upn, "event")
            .await
            .iter()
            .any(|e| e["id"] == ev_id)
    );
}
