//! Runs: insert, finish, list, delete (with its cascade) and clear_repository.

use std::sync::Arc;

use m365vault_catalog::{
    Catalog, CatalogError, CheckpointRecord, ConnectorRecord, CursorRecord, ItemFilter, LegalHold,
    RunFilter, RunRecord, RunStatus,
};
use serde_json::json;

use crate::harness::at;
use crate::items::versions;
use crate::state::add_repository;

/// A running backup run of `repository` started at `at(started)`.
pub fn run(id: &str, repository: &str, started: i64) -> RunRecord {
    RunRecord {
        id: id.into(),
        repository_id: repository.into(),
        connector: Some("contoso".into()),
        tenant_id: Some("tenant-1".into()),
        kind: "backup".into(),
        status: RunStatus::Running,
        started_at: at(started),
        finished_at: None,
        manifest_id: None,
        stats: json!({}),
    }
}

pub async fn run_lifecycle(catalog: Arc<dyn Catalog>, _: String) {
    add_repository(&*catalog, "repo").await;
    let started = RunRecord {
        connector: None,
        tenant_id: None,
        ..run("r1", "repo", 10)
    };
    catalog.insert_run(&started).await.unwrap();
    assert_eq!(catalog.get_run("r1").await.unwrap(), started);

    let stats =
        json!({"items": 12, "bytes": 3456, "failed": [{"id": "x", "error": "itemNotFound"}]});
    catalog
        .finish_run("r1", RunStatus::Partial, at(20), Some("manifest-1"), &stats)
        .await
        .unwrap();
    let finished = catalog.get_run("r1").await.unwrap();
    assert_eq!(
        finished,
        RunRecord {
            status: RunStatus::Partial,
            finished_at: Some(at(20)),
            manifest_id: Some("manifest-1".into()),
            stats,
            ..started.clone()
        }
    );

    let err = catalog.insert_run(&started).await.unwrap_err();
    assert!(
        matches!(err, CatalogError::AlreadyExists { what: "run", .. }),
        "{err:?}"
    );
    let err = catalog
        .insert_run(&run("r2", "no-such-repo", 1))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, CatalogError::NotFound { what: "repository", id } if id == "no-such-repo"),
        "{err:?}"
    );
    let err = catalog
        .finish_run("r9", RunStatus::Success, at(1), None, &json!({}))
        .await
        .unwrap_err();
    assert!(
        matches!(err, CatalogError::NotFound { what: "run", .. }),
        "{err:?}"
    );
    assert!(!err.is_retryable());
    let err = catalog.get_run("r9").await.unwrap_err();
    assert!(
        matches!(err, CatalogError::NotFound { what: "run", .. }),
        "{err:?}"
    );
}

pub async fn list_runs_filters_and_orders(catalog: Arc<dyn Catalog>, _: String) {
    add_repository(&*catalog, "a").await;
    add_repository(&*catalog, "b").await;
    let mut runs = vec![
        run("r1", "a", 1),
        run("r2", "a", 3),
        RunRecord {
            connector: Some("adatum".into()),
            ..run("r3", "a", 2)
        },
        run("r4", "b", 4),
        RunRecord {
            connector: None,
            kind: "restore".into(),
            ..run("r5", "a", 5)
        },
    ];
    runs[1].status = RunStatus::Failed;
    for r in &runs {
        catalog.insert_run(r).await.unwrap();
    }
    catalog
        .finish_run(
            "r1",
            RunStatus::Success,
            at(6),
            Some("m1"),
            &json!({"n": 1}),
        )
        .await
        .unwrap();
    let ids = |list: Vec<RunRecord>| list.into_iter().map(|r| r.id).collect::<Vec<_>>();

    let all = catalog.list_runs(&RunFilter::default()).await.unwrap();
    assert_eq!(ids(all), ["r5", "r4", "r2", "r3", "r1"], "newest first");
    let of_a = RunFilter {
        repository_id: Some("a".into()),
        ..RunFilter::default()
    };
    assert_eq!(
        ids(catalog.list_runs(&of_a).await.unwrap()),
        ["r5", "r2", "r3", "r1"]
    );
    let limited = RunFilter {
        limit: Some(2),
        ..of_a.clone()
    };
    assert_eq!(
        ids(catalog.list_runs(&limited).await.unwrap()),
        ["r5", "r2"]
    );
    let contoso = RunFilter {
        connector: Some("contoso".into()),
        ..of_a.clone()
    };
    assert_eq!(
        ids(catalog.list_runs(&contoso).await.unwrap()),
        ["r2", "r1"]
    );
    let success = RunFilter {
        status: Some(RunStatus::Success),
        ..RunFilter::default()
    };
    let listed = catalog.list_runs(&success).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].manifest_id.as_deref(), Some("m1"));
    let running_b = RunFilter {
        repository_id: Some("b".into()),
        status: Some(RunStatus::Running),
        ..RunFilter::default()
    };
    assert_eq!(ids(catalog.list_runs(&running_b).await.unwrap()), ["r4"]);
    let none = RunFilter {
        repository_id: Some("zz".into()),
        ..RunFilter::default()
    };
    assert!(catalog.list_runs(&none).await.unwrap().is_empty());
}

pub async fn delete_run_cascades_to_item_versions(catalog: Arc<dyn Catalog>, _: String) {
    add_repository(&*catalog, "repo").await;
    catalog.insert_run(&run("r1", "repo", 1)).await.unwrap();
    catalog.insert_run(&run("r2", "repo", 2)).await.unwrap();
    catalog
        .insert_item_versions(&versions("r1", "alice", 30))
        .await
        .unwrap();
    catalog
        .insert_item_versions(&versions("r2", "alice", 20))
        .await
        .unwrap();
    assert_eq!(catalog.count_item_versions("repo").await.unwrap(), 50);

    assert!(catalog.delete_run("r1").await.unwrap());
    assert!(!catalog.delete_run("r1").await.unwrap());
    assert!(matches!(
        catalog.get_run("r1").await,
        Err(CatalogError::NotFound { .. })
    ));
    assert_eq!(catalog.count_item_versions("repo").await.unwrap(), 20);
    let of_r1 = ItemFilter {
        run_id: Some("r1".into()),
        include_deleted: true,
        ..ItemFilter::default()
    };
    assert!(catalog.list_item_versions(&of_r1).await.unwrap().is_empty());
    let of_r2 = ItemFilter {
        run_id: Some("r2".into()),
        ..ItemFilter::default()
    };
    assert_eq!(catalog.list_item_versions(&of_r2).await.unwrap().len(), 20);
}

pub async fn clear_repository_keeps_state(catalog: Arc<dyn Catalog>, _: String) {
    add_repository(&*catalog, "a").await;
    add_repository(&*catalog, "b").await;
    for (id, repo, started) in [("a1", "a", 1), ("a2", "a", 2), ("b1", "b", 3)] {
        catalog.insert_run(&run(id, repo, started)).await.unwrap();
        catalog
            .insert_item_versions(&versions(id, "alice", 15))
            .await
            .unwrap();
    }
    let connector = ConnectorRecord {
        name: "contoso".into(),
        tenant_id: "t".into(),
        spec: json!({}),
        updated_at: at(1),
    };
    catalog.put_connector(&connector).await.unwrap();
    let cursor = CursorRecord {
        cursor: "c".into(),
        run_id: Some("a2".into()),
        updated_at: at(2),
    };
    catalog
        .put_cursor("contoso", "alice", "inbox", &cursor)
        .await
        .unwrap();
    let checkpoint = CheckpointRecord {
        state: json!({"k": 1}),
        run_id: Some("a2".into()),
        updated_at: at(2),
    };
    catalog
        .put_checkpoint("job", "alice", &checkpoint)
        .await
        .unwrap();
    let hold = LegalHold {
        repository_id: "a".into(),
        resource: "alice".into(),
        item_id: None,
        reason: "case".into(),
        created_at: at(3),
    };
    catalog.add_legal_hold(&hold).await.unwrap();

    catalog.clear_repository("a").await.unwrap();

    assert_eq!(catalog.count_item_versions("a").await.unwrap(), 0);
    assert_eq!(catalog.count_item_versions("b").await.unwrap(), 15);
    let of_a = RunFilter {
        repository_id: Some("a".into()),
        ..RunFilter::default()
    };
    assert!(catalog.list_runs(&of_a).await.unwrap().is_empty());
    assert_eq!(catalog.get_run("b1").await.unwrap().id, "b1");
    assert_eq!(catalog.get_repository("a").await.unwrap().id, "a");
    assert_eq!(
        catalog.get_connector("contoso").await.unwrap(),
        Some(connector)
    );
    assert_eq!(
        catalog
            .get_cursor("contoso", "alice", "inbox")
            .await
            .unwrap(),
        Some(cursor)
    );
    assert_eq!(
        catalog.get_checkpoint("job", "alice").await.unwrap(),
        Some(checkpoint)
    );
    assert_eq!(catalog.list_legal_holds("a").await.unwrap(), [hold]);

    // What rebuild-catalog does next: insert the same runs again.
    catalog.insert_run(&run("a1", "a", 1)).await.unwrap();
    catalog
        .insert_item_versions(&versions("a1", "alice", 15))
        .await
        .unwrap();
    assert_eq!(catalog.count_item_versions("a").await.unwrap(), 15);
    catalog.clear_repository("nothing-here").await.unwrap();
}
