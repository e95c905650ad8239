//! Item versions: insert, filters, keyset paging, latest versions, mark_deleted, speed.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Instant;

use m365vault_catalog::{Catalog, CatalogError, ItemFilter, ItemVersion, ItemVersionRecord};

use crate::harness::at;
use crate::runs::run;
use crate::state::add_repository;

/// `n` versions of items `item-0`… in `resource`, written by `run_id`.
pub fn versions(run_id: &str, resource: &str, n: usize) -> Vec<ItemVersion> {
    (0..n)
        .map(|i| ItemVersion {
            run_id: run_id.into(),
            resource: resource.into(),
            kind: if i % 3 == 0 { "event" } else { "mail" }.into(),
            item_id: format!("item-{i}"),
            path: format!("/{}/{i}", if i % 2 == 0 { "Inbox" } else { "inbox" }),
            size: 1000 + i as u64,
            content_hash: format!("{run_id}{i:060x}"),
            modified_at: (i % 4 != 0).then(|| at(i as i64)),
            deleted_at: None,
        })
        .collect()
}

fn item_ids(list: &[ItemVersionRecord]) -> Vec<&str> {
    list.iter().map(|v| v.item.item_id.as_str()).collect()
}

async fn list(catalog: &dyn Catalog, filter: ItemFilter) -> Vec<ItemVersionRecord> {
    catalog.list_item_versions(&filter).await.unwrap()
}

pub async fn item_versions_round_trip_and_filter(catalog: Arc<dyn Catalog>, _: String) {
    add_repository(&*catalog, "repo").await;
    add_repository(&*catalog, "other").await;
    catalog.insert_run(&run("r1", "repo", 1)).await.unwrap();
    catalog.insert_run(&run("o1", "other", 1)).await.unwrap();
    let mut written = versions("r1", "alice", 8);
    written[5].deleted_at = Some(at(100));
    written[6].size = i64::MAX as u64;
    assert_eq!(catalog.insert_item_versions(&written).await.unwrap(), 8);
    assert_eq!(
        catalog
            .insert_item_versions(&versions("r1", "bob", 3))
            .await
            .unwrap(),
        3
    );
    catalog
        .insert_item_versions(&versions("o1", "alice", 4))
        .await
        .unwrap();
    assert_eq!(catalog.insert_item_versions(&[]).await.unwrap(), 0);

    let repo = || ItemFilter {
        repository_id: Some("repo".into()),
        ..ItemFilter::default()
    };
    let all = list(
        &*catalog,
        ItemFilter {
            include_deleted: true,
            ..repo()
        },
    )
    .await;
    assert_eq!(all.len(), 11);
    let read: Vec<ItemVersion> = all.iter().take(8).map(|v| v.item.clone()).collect();
    assert_eq!(read, written, "every field round-trips");
    assert!(all.windows(2).all(|w| w[0].version_id < w[1].version_id));

    assert_eq!(
        list(&*catalog, repo()).await.len(),
        10,
        "deleted versions hidden by default"
    );
    let alice = ItemFilter {
        resource: Some("alice".into()),
        ..repo()
    };
    assert_eq!(list(&*catalog, alice.clone()).await.len(), 7);
    let events = list(
        &*catalog,
        ItemFilter {
            kind: Some("event".into()),
            ..alice.clone()
        },
    )
    .await;
    assert_eq!(item_ids(&events), ["item-0", "item-3", "item-6"]);
    let one = list(
        &*catalog,
        ItemFilter {
            item_id: Some("item-2".into()),
            ..alice.clone()
        },
    )
    .await;
    assert_eq!(one.len(), 1);
    assert_eq!(one[0].item.size, 1002);
    let inbox = list(
        &*catalog,
        ItemFilter {
            path_prefix: Some("/Inbox/".into()),
            ..alice.clone()
        },
    )
    .await;
    assert_eq!(
        item_ids(&inbox),
        ["item-0", "item-2", "item-4", "item-6"],
        "prefix is case-sensitive"
    );
    let none = list(
        &*catalog,
        ItemFilter {
            path_prefix: Some("/Inbox/9".into()),
            ..alice.clone()
        },
    )
    .await;
    assert!(none.is_empty());
    let by_run = list(
        &*catalog,
        ItemFilter {
            run_id: Some("o1".into()),
            ..ItemFilter::default()
        },
    )
    .await;
    assert_eq!(by_run.len(), 4);
    let limited = list(
        &*catalog,
        ItemFilter {
            limit: Some(3),
            ..alice
        },
    )
    .await;
    assert_eq!(item_ids(&limited), ["item-0", "item-1", "item-2"]);
    assert_eq!(catalog.count_item_versions("repo").await.unwrap(), 11);
    assert_eq!(catalog.count_item_versions("other").await.unwrap(), 4);
    assert_eq!(catalog.count_item_versions("none").await.unwrap(), 0);
}

pub async fn insert_checks_runs_and_sizes(catalog: Arc<dyn Catalog>, _: String) {
    add_repository(&*catalog, "repo").await;
    catalog.insert_run(&run("r1", "repo", 1)).await.unwrap();
    let mut batch = versions("r1", "alice", 2500);
    batch[2400].run_id = "ghost".into();
    let err = catalog.insert_item_versions(&batch).await.unwrap_err();
    assert!(
        matches!(&err, CatalogError::NotFound { what: "run", id } if id == "ghost"),
        "{err:?}"
    );
    let mut batch = versions("r1", "alice", 1500);
    batch[1499].size = u64::MAX;
    let err = catalog.insert_item_versions(&batch).await.unwrap_err();
    assert!(matches!(err, CatalogError::InvalidInput { .. }), "{err:?}");
    assert_eq!(
        catalog.count_item_versions("repo").await.unwrap(),
        0,
        "nothing half-inserted"
    );
}

pub async fn keyset_paging_returns_every_row_once(catalog: Arc<dyn Catalog>, _: String) {
    add_repository(&*catalog, "repo").await;
    catalog.insert_run(&run("r1", "repo", 1)).await.unwrap();
    catalog.insert_run(&run("r2", "repo", 2)).await.unwrap();
    catalog
        .insert_item_versions(&versions("r1", "alice", 1234))
        .await
        .unwrap();
    catalog
        .insert_item_versions(&versions("r2", "bob", 777))
        .await
        .unwrap();
    catalog
        .insert_item_versions(&versions("r2", "alice", 100))
        .await
        .unwrap();

    for (resource, expected) in [(None, 2111), (Some("alice"), 1334)] {
        let mut seen = Vec::new();
        let mut after = None;
        let mut pages = 0;
        loop {
            let page = list(
                &*catalog,
                ItemFilter {
                    repository_id: Some("repo".into()),
                    resource: resource.map(Into::into),
                    limit: Some(100),
                    after_version_id: after,
                    ..ItemFilter::default()
                },
            )
            .await;
            pages += 1;
            let Some(last) = page.last() else { break };
            assert!(page.len() <= 100);
            after = Some(last.version_id);
            seen.extend(page.iter().map(|v| {
                (
                    v.version_id,
                    v.item.run_id.clone(),
                    v.item.resource.clone(),
                    v.item.item_id.clone(),
                )
            }));
        }
        assert_eq!(
            pages,
            expected / 100 + 2,
            "full pages, a partial page, then an empty one"
        );
        assert_eq!(seen.len(), expected);
        let unique: BTreeSet<_> = seen.iter().map(|s| s.0).collect();
        assert_eq!(unique.len(), expected, "no row twice");
        let keys: BTreeSet<_> = seen
            .iter()
            .map(|s| (s.1.clone(), s.2.clone(), s.3.clone()))
            .collect();
        assert_eq!(keys.len(), expected, "every row once");
    }
}

pub async fn latest_versions_picks_the_newest(catalog: Arc<dyn Catalog>, _: String) {
    add_repository(&*catalog, "repo").await;
    add_repository(&*catalog, "other").await;
    for (id, started) in [("r1", 10), ("r2", 20), ("r3", 30)] {
        catalog.insert_run(&run(id, "repo", started)).await.unwrap();
    }
    catalog.insert_run(&run("early", "repo", 5)).await.unwrap();
    catalog.insert_run(&run("o1", "other", 99)).await.unwrap();
    let item = |run: &str, id: &str, hash: &str| ItemVersion {
        content_hash: hash.into(),
        item_id: id.into(),
        ..versions(run, "alice", 1).remove(0)
    };
    catalog
        .insert_item_versions(&[
            item("r1", "a", "a1"),
            item("r1", "b", "b1"),
            item("r2", "a", "a2"),
        ])
        .await
        .unwrap();
    catalog
        .insert_item_versions(&[item("r3", "c", "c3")])
        .await
        .unwrap();
    // Inserted last but from a run that started first (as a catalog rebuild may do).
    catalog
        .insert_item_versions(&[item("early", "a", "a0")])
        .await
        .unwrap();
    catalog
        .insert_item_versions(&[item("o1", "a", "other")])
        .await
        .unwrap();
    let mut bob = item("r3", "a", "bob");
    bob.resource = "bob".into();
    catalog.insert_item_versions(&[bob]).await.unwrap();

    let latest = catalog.latest_versions("repo", "alice").await.unwrap();
    let got: Vec<_> = latest
        .iter()
        .map(|v| {
            (
                v.item.item_id.as_str(),
                v.item.content_hash.as_str(),
                v.item.run_id.as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [("a", "a2", "r2"), ("b", "b1", "r1"), ("c", "c3", "r3")]
    );
    assert!(
        catalog
            .latest_versions("repo", "carol")
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn mark_deleted_touches_only_latest_undeleted(catalog: Arc<dyn Catalog>, _: String) {
    add_repository(&*catalog, "repo").await;
    catalog.insert_run(&run("r1", "repo", 1)).await.unwrap();
    catalog.insert_run(&run("r2", "repo", 2)).await.unwrap();
    let mut first = versions("r1", "alice", 3); // item-0, item-1, item-2
    first[1].deleted_at = Some(at(50));
    catalog.insert_item_versions(&first).await.unwrap();
    catalog
        .insert_item_versions(&versions("r2", "alice", 1))
        .await
        .unwrap(); // item-0 again
    catalog
        .insert_item_versions(&versions("r2", "bob", 3))
        .await
        .unwrap();

    let ids: Vec<String> = ["item-0", "item-1", "item-2", "missing"]
        .map(String::from)
        .into();
    assert_eq!(
        catalog
            .mark_deleted("repo", "alice", &ids, at(60))
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        catalog
            .mark_deleted("repo", "alice", &ids, at(70))
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        catalog
            .mark_deleted("repo", "alice", &[], at(70))
            .await
            .unwrap(),
        0
    );

    let all = list(
        &*catalog,
        ItemFilter {
            repository_id: Some("repo".into()),
            include_deleted: true,
            ..ItemFilter::default()
        },
    )
    .await;
    let state: Vec<_> = all
        .iter()
        .map(|v| {
            (
                v.item.run_id.as_str(),
                v.item.resource.as_str(),
                v.item.item_id.as_str(),
                v.item.deleted_at,
            )
        })
        .collect();
    assert_eq!(
        state,
        [
            ("r1", "alice", "item-0", None),
            ("r1", "alice", "item-1", Some(at(50))),
            ("r1", "alice", "item-2", Some(at(60))),
            ("r2", "alice", "item-0", Some(at(60))),
            ("r2", "bob", "item-0", None),
            ("r2", "bob", "item-1", None),
            ("r2", "bob", "item-2", None),
        ]
    );
    let live = list(
        &*catalog,
        ItemFilter {
            resource: Some("alice".into()),
            ..ItemFilter::default()
        },
    )
    .await;
    assert_eq!(item_ids(&live), ["item-0"]);
}

/// Inserts 20,000 versions in one call and prints the rate (the figure in the crate docs).
pub async fn bulk_insert_rate(catalog: Arc<dyn Catalog>, _: String) {
    const N: usize = 20_000;
    add_repository(&*catalog, "repo").await;
    catalog.insert_run(&run("r1", "repo", 1)).await.unwrap();
    let batch = versions("r1", "alice", N);
    let start = Instant::now();
    assert_eq!(
        catalog.insert_item_versions(&batch).await.unwrap(),
        N as u64
    );
    let elapsed = start.elapsed();
    assert_eq!(catalog.count_item_versions("repo").await.unwrap(), N as u64);
    eprintln!(
        "{:?}: inserted {N} item versions in {elapsed:.2?} ({:.0} rows/s)",
        catalog.backend(),
        N as f64 / elapsed.as_secs_f64()
    );
}

/// Writers in parallel: on SQLite they take turns (BEGIN IMMEDIATE, busy timeout) instead
/// of failing with "database is locked".
pub async fn concurrent_writers_all_succeed(catalog: Arc<dyn Catalog>, _: String) {
    add_repository(&*catalog, "repo").await;
    let mut tasks = Vec::new();
    for t in 0..8 {
        let catalog = catalog.clone();
        tasks.push(tokio::spawn(async move {
            let run_id = format!("r{t}");
            catalog.insert_run(&run(&run_id, "repo", t)).await?;
            for chunk in versions(&run_id, "alice", 600).chunks(150) {
                catalog.insert_item_versions(chunk).await?;
            }
            let ids: Vec<String> = (0..50).map(|i| format!("item-{i}")).collect();
            catalog
                .mark_deleted("repo", "alice", &ids, at(1000))
                .await?;
            Ok::<_, CatalogError>(())
        }));
    }
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    assert_eq!(catalog.count_item_versions("repo").await.unwrap(), 8 * 600);
    let latest = catalog.latest_versions("repo", "alice").await.unwrap();
    assert_eq!(latest.len(), 600);
    assert!(
        latest.iter().all(|v| v.item.run_id == "r7"),
        "r7 started last"
    );
}
