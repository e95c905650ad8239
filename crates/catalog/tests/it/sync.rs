//! The catalog rebuilt from a repository alone.

use std::collections::BTreeMap;
use std::sync::Arc;

use m365vault_catalog::sync::{forget_runs, rebuild, record_run};
use m365vault_catalog::{Catalog, ItemFilter, RunFilter, RunStatus};
use secrecy::SecretString;
use store::backend::memory::MemoryStore;
use store::keys::KdfParams;
use store::manifest::ItemRecord;
use store::retention::{RetentionPolicy, forget, plan};
use store::{InitOptions, ItemInfo, Repository, RunWriter, WriteOptions};
use time::macros::datetime;

async fn repository() -> Arc<Repository> {
    let options = InitOptions {
        kdf: KdfParams::insecure_for_tests(),
        ..InitOptions::default()
    };
    Arc::new(
        Repository::init(
            Arc::new(MemoryStore::new()),
            SecretString::from("pw".to_owned()),
            options,
        )
        .await
        .unwrap(),
    )
}

fn info(resource: &str, id: &str) -> ItemInfo {
    ItemInfo {
        resource: resource.into(),
        kind: "mail".into(),
        id: id.into(),
        path: format!("/Inbox/{id}"),
        ..ItemInfo::default()
    }
}

pub async fn rebuild_copies_runs_items_and_deletions(catalog: Arc<dyn Catalog>, _: String) {
    let repo = repository().await;
    let first = datetime!(2026-05-01 00:00 UTC);
    let labels = BTreeMap::from([("connector".to_owned(), "contoso".to_owned())]);
    let run = RunWriter::start_at(
        Arc::clone(&repo),
        "run-1",
        labels.clone(),
        WriteOptions::default(),
        first,
    )
    .await
    .unwrap();
    for i in 0..5 {
        run.put_item(
            info("alice", &format!("m{i}")),
            format!("message {i}").as_bytes(),
        )
        .await
        .unwrap();
    }
    let (id1, m1) = run.finish().await.unwrap();
    let run = RunWriter::start_at(
        Arc::clone(&repo),
        "run-2",
        labels,
        WriteOptions::default(),
        first + time::Duration::days(1),
    )
    .await
    .unwrap();
    run.put_item(info("alice", "m0"), b"message 0, edited")
        .await
        .unwrap();
    let gone = ItemRecord {
        resource: "alice".into(),
        kind: "mail".into(),
        id: "m4".into(),
        path: "/Inbox/m4".into(),
        size: 0,
        hash: repo.item_hash(&[]),
        modified: None,
        deleted: Some(first + time::Duration::hours(30)),
        meta: serde_json::Value::Null,
        chunks: vec![],
    };
    run.add_record(&gone).await.unwrap();
    let (id2, m2) = run.finish().await.unwrap();

    // Recording as runs finish, then rebuilding from scratch, give the same catalog.
    let repo_id = repo.config().id.to_hex();
    m365vault_catalog::sync::record_repository(catalog.as_ref(), &repo, "memory")
        .await
        .unwrap();
    record_run(catalog.as_ref(), &repo, id1, &m1).await.unwrap();
    record_run(catalog.as_ref(), &repo, id2, &m2).await.unwrap();
    let as_recorded = catalog
        .list_item_versions(&ItemFilter {
            repository_id: Some(repo_id.clone()),
            include_deleted: true,
            ..ItemFilter::default()
        })
        .await
        .unwrap();
    let report = rebuild(catalog.as_ref(), &repo, "memory").await.unwrap();
    assert_eq!(
        (report.runs, report.item_versions, report.deletions),
        (2, 6, 1)
    );
    let rebuilt = catalog
        .list_item_versions(&ItemFilter {
            repository_id: Some(repo_id.clone()),
            include_deleted: true,
            ..ItemFilter::default()
        })
        .await
        .unwrap();
    let strip = |v: &[m365vault_catalog::ItemVersionRecord]| {
        v.iter().map(|r| r.item.clone()).collect::<Vec<_>>()
    };
    assert_eq!(strip(&as_recorded), strip(&rebuilt));

    let runs = catalog
        .list_runs(&RunFilter {
            repository_id: Some(repo_id.clone()),
            ..RunFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(
        runs.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
        ["run-2", "run-1"]
    );
    assert_eq!(runs[0].status, RunStatus::Success);
    assert_eq!(runs[0].connector.as_deref(), Some("contoso"));
    assert_eq!(runs[0].manifest_id.as_deref(), Some(id2.to_hex().as_str()));
    let latest = catalog.latest_versions(&repo_id, "alice").await.unwrap();
    let m0 = latest.iter().find(|v| v.item.item_id == "m0").unwrap();
    assert_eq!((m0.item.run_id.as_str(), m0.item.size), ("run-2", 17));
    let m4 = latest.iter().find(|v| v.item.item_id == "m4").unwrap();
    assert_eq!(m4.item.deleted_at, Some(first + time::Duration::hours(30)));

    // forget removes the run from the repository and the catalog.
    let policy = RetentionPolicy {
        keep_last: Some(1),
        ..RetentionPolicy::default()
    };
    let mut p = plan(&repo, &policy, &[], first + time::Duration::days(2))
        .await
        .unwrap();
    forget(&repo, &mut p).await.unwrap();
    assert_eq!(forget_runs(catalog.as_ref(), &p).await.unwrap(), 1);
    assert_eq!(catalog.count_item_versions(&repo_id).await.unwrap(), 1);
    let again = rebuild(catalog.as_ref(), &repo, "memory").await.unwrap();
    assert_eq!((again.runs, again.item_versions), (1, 1));
}
