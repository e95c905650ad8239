//! Repositories, connectors, cursors, checkpoints and legal holds.

use std::sync::Arc;

use m365vault_catalog::{
    Catalog, CatalogError, CheckpointRecord, ConnectorRecord, CursorRecord, LegalHold,
    RepositoryRecord,
};
use serde_json::json;
use time::Duration;

use crate::harness::at;

/// Registers repository `id`.
pub async fn add_repository(catalog: &dyn Catalog, id: &str) {
    catalog
        .upsert_repository(&RepositoryRecord {
            id: id.into(),
            location: format!("/srv/backups/{id}"),
            created_at: at(0),
        })
        .await
        .expect("register a repository");
}

pub async fn repositories(catalog: Arc<dyn Catalog>, _: String) {
    assert!(catalog.list_repositories().await.unwrap().is_empty());
    // Sub-millisecond precision is dropped.
    let created = at(5) + Duration::nanoseconds(123_456_789);
    let b = RepositoryRecord {
        id: "bb".into(),
        location: "s3://bucket/prefix?region=eu-west-1".into(),
        created_at: created,
    };
    catalog.upsert_repository(&b).await.unwrap();
    add_repository(&*catalog, "aa").await;
    let got = catalog.get_repository("bb").await.unwrap();
    assert_eq!(got.location, b.location);
    assert_eq!(got.created_at, at(5) + Duration::milliseconds(123));

    // Upsert changes the location, keeps created_at.
    let moved = RepositoryRecord {
        location: "/mnt/elsewhere".into(),
        created_at: at(999),
        ..b.clone()
    };
    catalog.upsert_repository(&moved).await.unwrap();
    let got = catalog.get_repository("bb").await.unwrap();
    assert_eq!(got.location, "/mnt/elsewhere");
    assert_eq!(got.created_at, at(5) + Duration::milliseconds(123));

    let ids: Vec<_> = catalog
        .list_repositories()
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(ids, ["aa", "bb"]);

    match catalog.get_repository("cc").await {
        Err(CatalogError::NotFound {
            what: "repository",
            id,
        }) => assert_eq!(id, "cc"),
        other => panic!("expected NotFound, got {other:?}"),
    }
    let secret = RepositoryRecord {
        location: "s3://AKIA:hunter2@bucket/x".into(),
        ..b
    };
    let err = catalog.upsert_repository(&secret).await.unwrap_err();
    assert!(matches!(err, CatalogError::InvalidInput { .. }), "{err:?}");
    assert!(!err.to_string().contains("hunter2"));
    assert_eq!(
        catalog.get_repository("bb").await.unwrap().location,
        "/mnt/elsewhere"
    );
}

pub async fn connectors(catalog: Arc<dyn Catalog>, _: String) {
    let spec = json!({"client_id": "c1", "data_types": ["mail", "files"], "nested": {"z": 1, "a": [true, null]}});
    let contoso = ConnectorRecord {
        name: "contoso".into(),
        tenant_id: "t-1".into(),
        spec: spec.clone(),
        updated_at: at(1),
    };
    catalog.put_connector(&contoso).await.unwrap();
    catalog
        .put_connector(&ConnectorRecord {
            name: "adatum".into(),
            ..contoso.clone()
        })
        .await
        .unwrap();
    assert_eq!(
        catalog.get_connector("contoso").await.unwrap(),
        Some(contoso.clone())
    );
    assert_eq!(catalog.get_connector("missing").await.unwrap(), None);

    let replaced = ConnectorRecord {
        tenant_id: "t-2".into(),
        spec: json!({"client_id": "c2"}),
        updated_at: at(2),
        ..contoso
    };
    catalog.put_connector(&replaced).await.unwrap();
    assert_eq!(
        catalog.get_connector("contoso").await.unwrap(),
        Some(replaced)
    );

    let names: Vec<_> = catalog
        .list_connectors()
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(names, ["adatum", "contoso"]);
    assert!(catalog.delete_connector("adatum").await.unwrap());
    assert!(!catalog.delete_connector("adatum").await.unwrap());
    assert_eq!(catalog.list_connectors().await.unwrap().len(), 1);
}

pub async fn cursors(catalog: Arc<dyn Catalog>, _: String) {
    let first = CursorRecord {
        cursor:
            "https://graph.microsoft.com/v1.0/users/u/mailFolders/f/messages/delta?$deltatoken=a"
                .into(),
        run_id: Some("r1".into()),
        updated_at: at(1),
    };
    assert_eq!(
        catalog
            .get_cursor("contoso", "alice", "inbox")
            .await
            .unwrap(),
        None
    );
    catalog
        .put_cursor("contoso", "alice", "inbox", &first)
        .await
        .unwrap();
    catalog
        .put_cursor("contoso", "alice", "calendar", &first)
        .await
        .unwrap();
    catalog
        .put_cursor("contoso", "bob", "inbox", &first)
        .await
        .unwrap();
    catalog
        .put_cursor("adatum", "alice", "inbox", &first)
        .await
        .unwrap();
    assert_eq!(
        catalog
            .get_cursor("contoso", "alice", "inbox")
            .await
            .unwrap(),
        Some(first.clone())
    );

    let second = CursorRecord {
        cursor: "token-b".into(),
        run_id: None,
        updated_at: at(2),
    };
    catalog
        .put_cursor("contoso", "alice", "inbox", &second)
        .await
        .unwrap();
    assert_eq!(
        catalog
            .get_cursor("contoso", "alice", "inbox")
            .await
            .unwrap(),
        Some(second.clone())
    );
    assert_eq!(
        catalog
            .get_cursor("adatum", "alice", "inbox")
            .await
            .unwrap(),
        Some(first)
    );

    let listed: Vec<_> = catalog
        .list_cursors("contoso")
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.connector, e.resource, e.scope, e.record.cursor))
        .collect();
    assert_eq!(
        listed,
        [
            (
                "contoso".into(),
                "alice".into(),
                "calendar".into(),
                listed[0].3.clone()
            ),
            (
                "contoso".to_string(),
                "alice".to_string(),
                "inbox".to_string(),
                "token-b".to_string()
            ),
            (
                "contoso".into(),
                "bob".into(),
                "inbox".into(),
                listed[2].3.clone()
            ),
        ]
    );
    assert!(
        catalog
            .delete_cursor("contoso", "alice", "inbox")
            .await
            .unwrap()
    );
    assert!(
        !catalog
            .delete_cursor("contoso", "alice", "inbox")
            .await
            .unwrap()
    );
    assert_eq!(
        catalog
            .get_cursor("contoso", "alice", "inbox")
            .await
            .unwrap(),
        None
    );
    assert_eq!(catalog.list_cursors("contoso").await.unwrap().len(), 2);
}

pub async fn checkpoints(catalog: Arc<dyn Catalog>, _: String) {
    assert_eq!(
        catalog.get_checkpoint("nightly", "alice").await.unwrap(),
        None
    );
    let first = CheckpointRecord {
        state: json!({"folder": "inbox", "done": 120, "pending": ["a", "b"]}),
        run_id: Some("r1".into()),
        updated_at: at(1),
    };
    catalog
        .put_checkpoint("nightly", "alice", &first)
        .await
        .unwrap();
    catalog
        .put_checkpoint("nightly", "bob", &first)
        .await
        .unwrap();
    assert_eq!(
        catalog.get_checkpoint("nightly", "alice").await.unwrap(),
        Some(first.clone())
    );
    let second = CheckpointRecord {
        state: json!({"folder": "sent", "done": 7}),
        run_id: None,
        updated_at: at(2),
    };
    catalog
        .put_checkpoint("nightly", "alice", &second)
        .await
        .unwrap();
    assert_eq!(
        catalog.get_checkpoint("nightly", "alice").await.unwrap(),
        Some(second)
    );
    assert!(catalog.delete_checkpoint("nightly", "alice").await.unwrap());
    assert!(!catalog.delete_checkpoint("nightly", "alice").await.unwrap());
    assert_eq!(
        catalog.get_checkpoint("nightly", "alice").await.unwrap(),
        None
    );
    assert_eq!(
        catalog.get_checkpoint("nightly", "bob").await.unwrap(),
        Some(first)
    );
}

pub async fn legal_holds(catalog: Arc<dyn Catalog>, _: String) {
    add_repository(&*catalog, "repo").await;
    add_repository(&*catalog, "other").await;
    let whole = LegalHold {
        repository_id: "repo".into(),
        resource: "alice".into(),
        item_id: None,
        reason: "case 42".into(),
        created_at: at(1),
    };
    let item = LegalHold {
        item_id: Some("msg-1".into()),
        reason: "case 43".into(),
        ..whole.clone()
    };
    assert!(catalog.add_legal_hold(&item).await.unwrap());
    assert!(catalog.add_legal_hold(&whole).await.unwrap());
    let again = LegalHold {
        reason: "changed".into(),
        created_at: at(9),
        ..whole.clone()
    };
    assert!(
        !catalog.add_legal_hold(&again).await.unwrap(),
        "adding twice is idempotent"
    );
    catalog
        .add_legal_hold(&LegalHold {
            repository_id: "other".into(),
            ..whole.clone()
        })
        .await
        .unwrap();
    assert_eq!(
        catalog.list_legal_holds("repo").await.unwrap(),
        [whole.clone(), item.clone()]
    );

    let err = catalog
        .add_legal_hold(&LegalHold {
            repository_id: "nope".into(),
            ..whole.clone()
        })
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            CatalogError::NotFound {
                what: "repository",
                ..
            }
        ),
        "{err:?}"
    );
    let err = catalog
        .add_legal_hold(&LegalHold {
            item_id: Some(String::new()),
            ..whole.clone()
        })
        .await
        .unwrap_err();
    assert!(matches!(err, CatalogError::InvalidInput { .. }), "{err:?}");

    assert!(
        catalog
            .remove_legal_hold("repo", "alice", Some("msg-1"))
            .await
            .unwrap()
    );
    assert!(
        !catalog
            .remove_legal_hold("repo", "alice", Some("msg-1"))
            .await
            .unwrap()
    );
    assert_eq!(catalog.list_legal_holds("repo").await.unwrap(), [whole]);
    assert!(
        catalog
            .remove_legal_hold("repo", "alice", None)
            .await
            .unwrap()
    );
    assert!(catalog.list_legal_holds("repo").await.unwrap().is_empty());
    assert_eq!(catalog.list_legal_holds("other").await.unwrap().len(), 1);
}
