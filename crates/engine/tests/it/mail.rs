//! Mail backup against the simulator's ground truth.

use serde_json::json;

use crate::support::{config, world};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_then_incremental_backup_equals_the_truth() {
    let w = world(config(6)).await;
    let mailboxes = w.all().await;
    assert!(!mailboxes.is_empty(), "the tenant has mailboxes");
    let first = w.backup(mailboxes.clone()).await;
    assert_eq!(first.status, "complete", "{first:?}");
    assert_eq!(first.throttled, 0);
    let mailboxes: Vec<_> = mailboxes
        .into_iter()
        .filter(|m| !first.without_mailbox.contains(&m.upn))
        .collect();
    assert!(mailboxes.len() >= 3, "{first:?}");
    for m in &mailboxes {
        assert_eq!(
            w.backed_up_mail(&m.upn).await,
            w.true_mail(&m.upn).await,
            "{} after the full run",
            m.upn
        );
    }

    w.mutate(
        json!({"seed": 3, "add": 5, "modify": 5, "move": 3, "delete": 3, "kinds": ["message"]}),
    )
    .await;
    let second = w.backup(mailboxes.clone()).await;
    assert_eq!(second.status, "complete", "{second:?}");
    assert!(
        second.items_read <= 5 + 5 + 3 + 1,
        "the incremental run read only what changed: {second:?}"
    );
    // One listing request per folder at most, plus one per message read.
    assert!(
        second.requests - second.items_read <= first.requests - first.items_read,
        "the incremental run listed no more than the full one: {second:?} vs {first:?}"
    );
    for m in &mailboxes {
        assert_eq!(
            w.backed_up_mail(&m.upn).await,
            w.true_mail(&m.upn).await,
            "{} after the incremental run",
            m.upn
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calendars_and_contacts_equal_the_truth_after_changes() {
    let w = world(config(4)).await;
    let mut options = w.options();
    options.data = "mail,calendar,contacts".parse().expect("data");
    let mailboxes = w.all().await;
    for round in 0..2 {
        if round == 1 {
            w.mutate(json!({"seed": 5, "add": 4, "modify": 4, "delete": 2, "kinds": ["event", "contact"]}))
                .await;
        }
        let s = w.backup_with(mailboxes.clone(), options.clone()).await;
        assert_eq!(s.status, "complete", "{s:?}");
        for m in mailboxes
            .iter()
            .filter(|m| !s.without_mailbox.contains(&m.upn))
        {
            for (kind, truth) in [
                ("event", "event"),
                ("contact", "contact"),
                ("mail", "message"),
            ] {
                assert_eq!(
                    w.backed_up(&m.upn, kind).await,
                    w.true_items(&m.upn, truth).await,
                    "{kind} of {} in round {round}",
                    m.upn
                );
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_and_expired_cursors_still_give_the_truth() {
    let w = world(config(5)).await;
    let mailboxes = w.all().await;
    w.faults(json!({"seed": 9, "server_error": 0.05, "reset": 0.01, "expired_delta": 0.3, "retry_after_secs": 0}))
        .await;
    let first = w.backup(mailboxes.clone()).await;
    assert_eq!(first.status, "complete", "{first:?}");
    for m in mailboxes
        .iter()
        .filter(|m| !first.without_mailbox.contains(&m.upn))
    {
        assert_eq!(
            w.backed_up_mail(&m.upn).await,
            w.true_mail(&m.upn).await,
            "{}",
            m.upn
        );
    }
    w.mutate(
        json!({"seed": 4, "add": 6, "modify": 4, "move": 3, "delete": 3, "kinds": ["message"]}),
    )
    .await;
    let second = w.backup(mailboxes.clone()).await;
    let stats = w.sim_stats().await;
    let faults = &stats["faults"];
    assert!(
        faults["server_error"].as_u64().unwrap_or(0) > 0
            && faults["expired_delta"].as_u64().unwrap_or(0) > 0,
        "faults were injected: {stats}"
    );
    assert_eq!(second.status, "complete", "{second:?}");
    for m in mailboxes
        .iter()
        .filter(|m| !first.without_mailbox.contains(&m.upn))
    {
        assert_eq!(
            w.backed_up_mail(&m.upn).await,
            w.true_mail(&m.upn).await,
            "{} with faults",
            m.upn
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restore_to_another_user_and_folder_lands_every_item_as_received() {
    let w = world(config(6)).await;
    let mut options = w.options();
    options.data = "mail,calendar,contacts".parse().expect("data");
    let all = w.all().await;
    let s = w.backup_with(all.clone(), options).await;
    assert_eq!(s.status, "complete");
    let with_mail: Vec<_> = all
        .iter()
        .filter(|m| !s.without_mailbox.contains(&m.upn))
        .collect();
    let (from, to) = (with_mail[0], with_mail[1]);
    let run = crate::engine::browse::open_run(&w.target.repo, w.target.catalog.as_ref(), "latest")
        .await
        .expect("run");
    let request = crate::engine::restore::RestoreRequest {
        source: from.upn.clone(),
        folder: None,
        items: Vec::new(),
        target: to.clone(),
        to_folder: Some("/Restored".into()),
        collisions: crate::engine::restore::Collisions::Skip,
        dry_run: false,
        data: "mail,calendar,contacts".parse().expect("data"),
    };
    // A dry run writes nothing.
    let dry = crate::engine::restore::restore(
        &w.graph,
        &w.target.repo,
        &run.manifest,
        &crate::engine::restore::RestoreRequest {
            dry_run: true,
            ..request.clone()
        },
    )
    .await
    .expect("dry run");
    assert_eq!(dry.restored, 0);
    let before = w.true_mail(&to.upn).await;
    assert!(before.values().all(|(p, _, _)| !p.starts_with("/Restored")));

    let done = crate::engine::restore::restore(&w.graph, &w.target.repo, &run.manifest, &request)
        .await
        .expect("restore");
    assert_eq!(done.failed, 0, "{done:?}");
    let original = w.true_mail(&from.upn).await;
    let after = w.true_mail(&to.upn).await;
    assert_eq!(
        done.items.iter().filter(|i| i.kind == "mail").count(),
        original.len()
    );
    for item in done.items.iter().filter(|i| i.kind == "mail") {
        let (path, sha, _) = &original[&item.source_id];
        let new_id = item.target_id.as_deref().expect("new id");
        let (new_path, new_sha, _) = &after[new_id];
        assert_eq!(new_path, &format!("/Restored{path}"));
        assert_eq!(new_sha, sha, "the MIME is back byte for byte");
        let old: serde_json::Value = w
            .graph
            .get(&format!("/users/{}/messages/{}", from.id, item.source_id))
            .await
            .expect("original");
        let new: serde_json::Value = w
            .graph
            .get(&format!("/users/{}/messages/{new_id}", to.id))
            .await
            .expect("restored");
        assert_eq!(new["isDraft"], false, "{new}");
        assert_eq!(new["isRead"], old["isRead"]);
        assert_eq!(new["receivedDateTime"], old["receivedDateTime"]);
        assert_eq!(new["flag"], old["flag"]);
    }
    // Events and contacts land in their (re-created) calendars and folders.
    for (kind, truth) in [("event", "event"), ("contact", "contact")] {
        let n = done
            .items
            .iter()
            .filter(|i| i.kind == kind && i.outcome == "restored")
            .count();
        assert_eq!(n, w.true_items(&from.upn, truth).await.len(), "{kind}");
        let landed = w
            .true_items(&to.upn, truth)
            .await
            .values()
            .filter(|(p, _, _)| p.contains("/Restored"))
            .count();
        assert_eq!(landed, n, "{kind}s in /Restored…");
    }
    // Restoring again skips everything already there.
    let again = crate::engine::restore::restore(&w.graph, &w.target.repo, &run.manifest, &request)
        .await
        .expect("again");
    assert_eq!(again.restored, 0, "{again:?}");
    assert_eq!(again.skipped as usize, done.items.len());
}
