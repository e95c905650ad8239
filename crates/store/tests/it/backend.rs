//! One conformance suite for every BlobStore: folder, memory and S3 (s3s-fs).

use std::sync::Arc;

use bytes::Bytes;
use m365vault_store::{BlobStore, FileKind};

use crate::support;

const A: &str = "aa00000000000000000000000000000000000000000000000000000000000001";
const B: &str = "bb00000000000000000000000000000000000000000000000000000000000002";

pub async fn conformance(store: Arc<dyn BlobStore>) {
    store.create().await.expect("create");
    for kind in FileKind::ALL {
        assert!(
            store.list(kind).await.expect("list").is_empty(),
            "{kind} starts empty"
        );
    }
    // Missing files are NotFound; deleting them succeeds.
    let err = store.read(FileKind::Pack, A).await.expect_err("missing");
    assert!(err.is_not_found(), "{err}");
    store
        .delete(FileKind::Pack, A)
        .await
        .expect("delete missing");

    // Write, list with sizes, read, read a range.
    let data = Bytes::from((0..=255u8).cycle().take(100_000).collect::<Vec<_>>());
    store
        .write(FileKind::Pack, A, data.clone())
        .await
        .expect("write pack");
    store
        .write(FileKind::Pack, B, Bytes::from_static(b"second"))
        .await
        .expect("write pack 2");
    store
        .write(FileKind::Index, A, Bytes::from_static(b"index"))
        .await
        .expect("write index");
    store
        .write(FileKind::Config, "config", Bytes::from_static(b"cfg"))
        .await
        .expect("write config");
    let packs = store.list(FileKind::Pack).await.expect("list packs");
    assert_eq!(
        packs
            .iter()
            .map(|f| (f.name.as_str(), f.size))
            .collect::<Vec<_>>(),
        vec![(A, 100_000), (B, 6)]
    );
    assert_eq!(
        store.list(FileKind::Index).await.expect("list").len(),
        1,
        "kinds are separate"
    );
    assert_eq!(store.list(FileKind::Manifest).await.expect("list").len(), 0);
    assert_eq!(
        store.list(FileKind::Config).await.expect("list")[0].name,
        "config"
    );
    assert_eq!(store.read(FileKind::Pack, A).await.expect("read"), data);
    assert_eq!(
        store
            .read_range(FileKind::Pack, A, 1000, 300)
            .await
            .expect("range"),
        data.slice(1000..1300)
    );
    assert_eq!(
        store
            .read_range(FileKind::Pack, A, 99_990, 10)
            .await
            .expect("tail"),
        data.slice(99_990..)
    );
    assert!(
        store.read_range(FileKind::Pack, B, 0, 100).await.is_err(),
        "a range past the end fails"
    );

    // Overwrite replaces; delete removes.
    store
        .write(FileKind::Index, A, Bytes::from_static(b"index2"))
        .await
        .expect("overwrite");
    assert_eq!(
        store.read(FileKind::Index, A).await.expect("read"),
        Bytes::from_static(b"index2")
    );
    store.delete(FileKind::Pack, A).await.expect("delete");
    assert_eq!(store.list(FileKind::Pack).await.expect("list").len(), 1);
    assert!(
        store
            .read(FileKind::Pack, A)
            .await
            .expect_err("gone")
            .is_not_found()
    );

    // Names that could escape the repository are refused.
    for bad in ["../x", "AB", "a/b", "", "config"] {
        assert!(
            store.write(FileKind::Key, bad, Bytes::new()).await.is_err(),
            "{bad:?} refused"
        );
    }
    assert!(
        store
            .write(FileKind::Config, "other", Bytes::new())
            .await
            .is_err()
    );
}

#[tokio::test]
async fn folder_conforms() {
    let (dir, store) = support::folder();
    conformance(store).await;
    // A leftover of an interrupted write is not listed.
    std::fs::write(dir.path().join("repo/index/.abc.tmp"), b"half").expect("tmp");
    std::fs::write(dir.path().join("repo/index/README"), b"foreign").expect("foreign");
    let store = m365vault_store::backend::fs::FsStore::new(dir.path().join("repo"));
    assert_eq!(store.list(FileKind::Index).await.expect("list").len(), 1);
}

#[tokio::test]
async fn memory_conforms() {
    conformance(support::memory()).await;
}

#[tokio::test]
async fn s3_conforms() {
    let s3 = support::s3().await;
    conformance(Arc::clone(&s3.store)).await;
}

#[tokio::test]
async fn s3_with_wrong_credentials_is_denied() {
    let s3 = support::s3().await;
    let options = m365vault_store::backend::S3Options {
        bucket: "repo".into(),
        prefix: "backups".into(),
        endpoint: Some(s3.endpoint.clone()),
        region: Some("us-east-1".into()),
        access_key_id: Some("test-access".into()),
        secret_access_key: Some(support::pass("not-the-secret")),
        session_token: None,
        object_lock: None,
    };
    let store = m365vault_store::Location::S3(options).open().expect("open");
    let err = store.list(FileKind::Key).await.expect_err("refused");
    assert!(
        matches!(err, m365vault_store::backend::BackendError::Denied { .. }),
        "{err:?}"
    );
    assert!(
        !format!("{err} {err:?}").contains("not-the-secret"),
        "no secret in {err}"
    );
}

#[test]
fn locations_parse() {
    use m365vault_store::Location;
    assert!(matches!(
        Location::parse("/srv/backup").expect("path"),
        Location::Local(_)
    ));
    match Location::parse("s3://bucket/a/b/").expect("s3") {
        Location::S3(o) => assert_eq!((o.bucket.as_str(), o.prefix.as_str()), ("bucket", "a/b")),
        other => panic!("{other:?}"),
    }
    match Location::parse("azblob://box").expect("az") {
        Location::Azblob(o) => assert_eq!((o.container.as_str(), o.prefix.as_str()), ("box", "")),
        other => panic!("{other:?}"),
    }
    assert!(
        Location::parse("ftp://x/y")
            .expect_err("scheme")
            .to_string()
            .contains("s3://")
    );
    assert!(Location::parse("s3:///x").is_err());
    assert!(Location::parse("  ").is_err());
}
