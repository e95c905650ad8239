//! Retention rules, legal holds, the deleted-items window, and forget + prune.

use std::collections::BTreeMap;
use std::sync::Arc;

use m365vault_store::prune::{PruneOptions, prune};
use m365vault_store::retention::{ForgetPlan, Hold, RetentionPolicy, forget, plan};
use m365vault_store::{CheckOptions, ItemRecord, Repository, RunWriter, check};
use time::OffsetDateTime;
use time::macros::datetime;

use crate::support::{self, bytes};

/// Writes a run at `when` holding `(resource, item id, content seed)` items and deletions.
async fn run_at(
    repo: &Arc<Repository>,
    name: &str,
    when: OffsetDateTime,
    items: &[(&str, &str, u64)],
    deleted: &[(&str, &str)],
) {
    let writer = RunWriter::start_at(
        Arc::clone(repo),
        name,
        BTreeMap::new(),
        support::small_packs(),
        when,
    )
    .await
    .expect("start");
    for (resource, id, seed) in items {
        writer
            .put_item(support::info(resource, id), &bytes(*seed, 5000))
            .await
            .expect("put");
    }
    for (resource, id) in deleted {
        let tombstone = ItemRecord {
            resource: (*resource).into(),
            kind: "file".into(),
            id: (*id).into(),
            path: format!("/{id}"),
            size: 0,
            hash: repo.item_hash(&[]),
            modified: None,
            deleted: Some(when),
            meta: serde_json::Value::Null,
            chunks: vec![],
        };
        writer.add_record(&tombstone).await.expect("tombstone");
    }
    writer.finish().await.expect("finish");
}

fn names(plan: &ForgetPlan) -> (Vec<String>, Vec<String>) {
    (
        plan.keep.iter().map(|r| r.run_id.clone()).collect(),
        plan.forget.iter().map(|r| r.run_id.clone()).collect(),
    )
}

const NOW: OffsetDateTime = datetime!(2026-06-30 12:00 UTC);

#[tokio::test]
async fn rules_apply_per_resource() {
    let repo = support::init(support::memory()).await;
    // Daily runs of alice over ten days, two on the last day; bob only in the oldest run.
    run_at(
        &repo,
        "d01",
        datetime!(2026-06-01 01:00 UTC),
        &[("alice", "a", 1), ("bob", "b", 2)],
        &[],
    )
    .await;
    for day in 2..=10u8 {
        let when = datetime!(2026-06-01 01:00 UTC) + time::Duration::days(i64::from(day) - 1);
        run_at(
            &repo,
            &format!("d{day:02}"),
            when,
            &[("alice", "a", u64::from(day))],
            &[],
        )
        .await;
    }
    run_at(
        &repo,
        "d10b",
        datetime!(2026-06-10 20:00 UTC),
        &[("alice", "a", 99)],
        &[],
    )
    .await;

    let last2 = RetentionPolicy {
        keep_last: Some(2),
        ..Default::default()
    };
    let p = plan(&repo, &last2, &[], NOW).await.expect("plan");
    let (keep, _) = names(&p);
    // alice's newest two, and bob's only run (rules count per resource).
    assert_eq!(keep, ["d10b", "d10", "d01"]);

    let daily3 = RetentionPolicy {
        keep_daily: Some(3),
        ..Default::default()
    };
    let (keep, forget) = names(&plan(&repo, &daily3, &[], NOW).await.expect("plan"));
    assert_eq!(
        keep,
        ["d10b", "d09", "d08", "d01"],
        "newest run of each of the last 3 days"
    );
    assert!(forget.contains(&"d10".to_owned()));

    let within = RetentionPolicy {
        keep_within: Some("3d".parse().expect("duration")),
        ..Default::default()
    };
    let (keep, _) = names(&plan(&repo, &within, &[], NOW).await.expect("plan"));
    assert_eq!(
        keep,
        ["d10b", "d10", "d09", "d08", "d01"],
        "counted back from the newest run, not from now"
    );

    let monthly = RetentionPolicy {
        keep_monthly: Some(1),
        keep_yearly: Some(1),
        ..Default::default()
    };
    let (keep, _) = names(&plan(&repo, &monthly, &[], NOW).await.expect("plan"));
    assert_eq!(keep, ["d10b", "d01"]);

    assert!(
        plan(&repo, &RetentionPolicy::default(), &[], NOW)
            .await
            .is_err(),
        "no rule, no forget"
    );
}

#[tokio::test]
async fn legal_holds_and_deleted_items_override_the_rules() {
    let repo = support::init(support::memory()).await;
    run_at(
        &repo,
        "r1",
        datetime!(2026-06-01 00:00 UTC),
        &[("alice", "contract", 1), ("bob", "x", 2)],
        &[],
    )
    .await;
    run_at(
        &repo,
        "r2",
        datetime!(2026-06-02 00:00 UTC),
        &[("alice", "memo", 3), ("bob", "x", 2)],
        &[],
    )
    .await;
    // alice's contract was deleted in Microsoft 365 on June 2.
    run_at(
        &repo,
        "r3",
        datetime!(2026-06-03 00:00 UTC),
        &[("alice", "memo", 3), ("bob", "x", 2)],
        &[("alice", "contract")],
    )
    .await;
    let policy = RetentionPolicy {
        keep_last: Some(1),
        ..Default::default()
    };

    let (keep, forget) = names(&plan(&repo, &policy, &[], NOW).await.expect("plan"));
    assert_eq!(
        (keep, forget),
        (
            vec!["r3".to_owned()],
            vec!["r2".to_owned(), "r1".to_owned()]
        )
    );

    let deleted = RetentionPolicy {
        keep_deleted_days: Some(30),
        ..policy.clone()
    };
    let p = plan(&repo, &deleted, &[], NOW).await.expect("plan");
    assert_eq!(
        names(&p).0,
        ["r3", "r1"],
        "the contract's last version stays 30 days after deletion"
    );
    assert!(p.keep[1].reasons.contains("deleted-item"));
    let later = datetime!(2026-07-04 00:00 UTC);
    assert_eq!(
        names(&plan(&repo, &deleted, &[], later).await.expect("plan")).0,
        ["r3"],
        "and goes after"
    );

    let item_hold = [Hold {
        resource: "alice".into(),
        item: Some("contract".into()),
    }];
    assert_eq!(
        names(&plan(&repo, &policy, &item_hold, later).await.expect("plan")).0,
        ["r3", "r1"]
    );
    let resource_hold = [Hold {
        resource: "bob".into(),
        item: None,
    }];
    let p = plan(&repo, &policy, &resource_hold, later)
        .await
        .expect("plan");
    assert_eq!(names(&p).0, ["r3", "r2", "r1"]);
    assert!(p.keep.iter().all(|r| r.reasons.contains("legal-hold")));
}

#[tokio::test]
async fn forget_then_prune_frees_space_and_keeps_what_is_kept() {
    let store = support::memory();
    let repo = support::init(std::sync::Arc::clone(&store)).await;
    let mut kept = Vec::new();
    for i in 0..4u64 {
        let items: Vec<(String, Vec<u8>)> = (0..6)
            .map(|j| (format!("i{j}"), bytes(i * 100 + j, 20_000)))
            .collect();
        let id = support::run(&repo, &format!("r{i}"), &items).await;
        kept.push((id, items));
    }
    let before: u64 = store
        .list(m365vault_store::FileKind::Pack)
        .await
        .expect("list")
        .iter()
        .map(|f| f.size)
        .sum();
    let policy = RetentionPolicy {
        keep_last: Some(1),
        ..Default::default()
    };
    let mut p = plan(&repo, &policy, &[], OffsetDateTime::now_utc())
        .await
        .expect("plan");
    assert_eq!(p.forget.len(), 3);
    assert_eq!(forget(&repo, &mut p).await.expect("forget"), 3);
    let first = prune(&repo, &PruneOptions::default()).await.expect("prune");
    assert!(
        first.condemned_packs > 0 && first.deleted_packs == 0,
        "{first:?}"
    );
    let second = prune(&repo, &PruneOptions::default()).await.expect("prune");
    assert_eq!(second.deleted_packs, first.condemned_packs, "{second:?}");
    let after: u64 = store
        .list(m365vault_store::FileKind::Pack)
        .await
        .expect("list")
        .iter()
        .map(|f| f.size)
        .sum();
    assert!(after * 3 < before, "{before} → {after}");
    let (id, items) = kept.pop().expect("last");
    let reopened = support::open(store).await;
    assert_eq!(
        support::restore_all(&reopened, id).await,
        items.into_iter().collect::<BTreeMap<_, _>>()
    );
    let report = check(
        &reopened,
        CheckOptions {
            read_data_percent: Some(100),
        },
    )
    .await
    .expect("check");
    assert!(report.is_ok() && report.warnings.is_empty(), "{report:#?}");
}

#[tokio::test]
async fn prune_while_a_run_writes_loses_nothing() {
    let store = support::memory();
    let repo = support::init(std::sync::Arc::clone(&store)).await;
    let shared = bytes(42, 30_000);
    let old = support::run(
        &repo,
        "old",
        &[
            ("shared".into(), shared.clone()),
            ("other".into(), bytes(43, 30_000)),
        ],
    )
    .await;
    // A run starts (and loads the index) while the old run still exists ...
    let writer = RunWriter::start(
        Arc::clone(&repo),
        "new",
        BTreeMap::new(),
        support::small_packs(),
    )
    .await
    .expect("start");
    // ... then the old run is forgotten and pruned by another process: its chunks are condemned.
    store
        .delete(m365vault_store::FileKind::Manifest, &old.to_hex())
        .await
        .expect("forget");
    let pruner = support::open(Arc::clone(&store)).await;
    let first = prune(&pruner, &PruneOptions::default())
        .await
        .expect("prune");
    assert!(first.condemned_packs > 0, "{first:?}");
    // The run reuses a condemned chunk (deduplication against its older index).
    writer
        .put_item(support::info("user1", "shared"), &shared)
        .await
        .expect("put");
    assert_eq!(
        writer
            .put_item(support::info("user1", "fresh"), &bytes(44, 1000))
            .await
            .expect("put")
            .size,
        1000
    );
    // A prune while it still runs deletes nothing it might need.
    let during = prune(&pruner, &PruneOptions::default())
        .await
        .expect("prune");
    assert_eq!(during.deleted_packs, 0, "{during:?}");
    assert!(during.deferred_packs > 0, "{during:?}");
    // Finishing, the run indexes the condemned pack again: check passes at once.
    let (new, _) = writer.finish().await.expect("finish");
    let reopened = support::open(Arc::clone(&store)).await;
    let report = check(&reopened, CheckOptions::default())
        .await
        .expect("check");
    assert!(report.is_ok(), "{report:#?}");
    // The next prune keeps what the new run needs.
    prune(&pruner, &PruneOptions::default())
        .await
        .expect("prune");
    prune(&pruner, &PruneOptions::default())
        .await
        .expect("prune");
    let reopened = support::open(store).await;
    let back = support::restore_all(&reopened, new).await;
    assert_eq!(back["shared"], shared);
    support::assert_sound(&reopened).await;
}

#[tokio::test]
async fn object_lock_keeps_what_is_locked() {
    use m365vault_store::backend::object_lock::{LockMode, ObjectLock};
    let s3 = support::s3_with(Some(ObjectLock {
        mode: LockMode::Compliance,
        days: 30,
    }))
    .await;
    let repo = support::init(Arc::clone(&s3.store)).await;
    let old = support::run(&repo, "old", &[("a".into(), bytes(1, 20_000))]).await;
    support::run(&repo, "new", &[("b".into(), bytes(2, 20_000))]).await;
    // Forget cannot remove the locked manifest: the run is kept, and says why.
    let mut p = plan(
        &repo,
        &RetentionPolicy {
            keep_last: Some(1),
            ..Default::default()
        },
        &[],
        OffsetDateTime::now_utc(),
    )
    .await
    .expect("plan");
    assert_eq!(p.forget.len(), 1);
    assert_eq!(forget(&repo, &mut p).await.expect("forget"), 0);
    assert!(
        p.keep
            .iter()
            .any(|r| r.reasons.iter().any(|w| w.starts_with("object-lock until"))),
        "{p:?}"
    );
    assert!(repo.list_manifests().await.expect("list").contains(&old));
    // Prune condemns nothing needed and deletes nothing locked; the repository stays sound.
    s3.store
        .delete(m365vault_store::FileKind::Manifest, &old.to_hex())
        .await
        .expect_err("locked");
    for _ in 0..2 {
        let r = prune(&repo, &PruneOptions::default()).await.expect("prune");
        assert_eq!(r.deleted_packs, 0, "{r:?}");
    }
    support::assert_sound(&repo).await;
}

#[tokio::test]
async fn prune_never_deletes_locked_packs() {
    use m365vault_store::backend::object_lock::{LockMode, ObjectLock};
    let s3 = support::s3_with(Some(ObjectLock {
        mode: LockMode::Governance,
        days: 1,
    }))
    .await;
    let repo = support::init(Arc::clone(&s3.store)).await;
    support::run(&repo, "kept", &[("a".into(), bytes(1, 20_000))]).await;
    // A run that died after storing data: its packs are indexed, but no manifest needs them.
    let dead = RunWriter::start(
        Arc::clone(&repo),
        "dead",
        BTreeMap::new(),
        support::small_packs(),
    )
    .await
    .expect("start");
    dead.put_item(support::info("user1", "lost"), &bytes(9, 50_000))
        .await
        .expect("put");
    dead.checkpoint().await.expect("checkpoint");
    drop(dead);
    repo.unlock(true).await.expect("unlock");
    let packs_before = s3
        .store
        .list(m365vault_store::FileKind::Pack)
        .await
        .expect("list")
        .len();

    let first = prune(&repo, &PruneOptions::default()).await.expect("prune");
    assert!(first.condemned_packs > 0, "{first:?}");
    let second = prune(&repo, &PruneOptions::default()).await.expect("prune");
    assert_eq!(
        (second.deleted_packs, second.locked_packs),
        (0, first.condemned_packs),
        "{second:?}"
    );
    assert_eq!(
        s3.store
            .list(m365vault_store::FileKind::Pack)
            .await
            .expect("list")
            .len(),
        packs_before
    );
    // They stay condemned, for a prune after the retention ends.
    assert_eq!(
        s3.store
            .list(m365vault_store::FileKind::Pending)
            .await
            .expect("list")
            .len(),
        1
    );
    support::assert_sound(&repo).await;
}
