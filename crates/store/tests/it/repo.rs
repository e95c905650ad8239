//! Writing and reading runs; keys and passphrases.

use std::collections::BTreeMap;
use std::sync::Arc;

use m365vault_store::keys::KdfParams;
use m365vault_store::{FileKind, Repository, RunWriter, StoreError, check};

use crate::support::{self, bytes, pass};

fn items(n: u64, len: usize) -> Vec<(String, Vec<u8>)> {
    (0..n)
        .map(|i| (format!("item{i}"), bytes(i, len + i as usize * 97)))
        .collect()
}

pub async fn roundtrip(store: Arc<dyn m365vault_store::BlobStore>) {
    let repo = support::init(Arc::clone(&store)).await;
    let data = items(20, 40_000);
    let first = support::run(&repo, "run1", &data).await;
    // Reopened from storage alone, every item comes back byte for byte.
    let reopened = support::open(store).await;
    let back = support::restore_all(&reopened, first).await;
    assert_eq!(back, data.into_iter().collect::<BTreeMap<_, _>>());
    let report = check(
        &reopened,
        m365vault_store::CheckOptions {
            read_data_percent: Some(100),
        },
    )
    .await
    .expect("check");
    assert!(report.is_ok() && report.warnings.is_empty(), "{report:#?}");
    assert_eq!(report.items, 20);
}

#[tokio::test]
async fn roundtrip_memory() {
    roundtrip(support::memory()).await;
}

#[tokio::test]
async fn roundtrip_folder() {
    let (_dir, store) = support::folder();
    roundtrip(store).await;
}

#[tokio::test]
async fn roundtrip_s3() {
    let s3 = support::s3().await;
    roundtrip(Arc::clone(&s3.store)).await;
}

#[tokio::test]
async fn identical_content_is_stored_once() {
    let store = support::memory();
    let repo = support::init(Arc::clone(&store)).await;
    let attachment = bytes(7, 200_000);
    // The same attachment in 50 mailboxes, and a run that repeats everything.
    let writer = RunWriter::start(
        Arc::clone(&repo),
        "run1",
        BTreeMap::new(),
        support::small_packs(),
    )
    .await
    .expect("start");
    for i in 0..50 {
        writer
            .put_item(support::info(&format!("user{i}"), "att"), &attachment)
            .await
            .expect("put");
    }
    let (_, first) = writer.finish().await.expect("finish");
    assert_eq!(first.stats.items, 50);
    assert_eq!(first.stats.bytes, 50 * 200_000);
    assert!(
        first.stats.new_bytes <= 200_000 + 64 * 1024,
        "stored once: {:?}",
        first.stats
    );
    let packs_before = store.list(FileKind::Pack).await.expect("list").len();
    let writer = RunWriter::start(
        Arc::clone(&repo),
        "run2",
        BTreeMap::new(),
        support::small_packs(),
    )
    .await
    .expect("start");
    for i in 0..50 {
        writer
            .put_item(support::info(&format!("user{i}"), "att"), &attachment)
            .await
            .expect("put");
    }
    let (_, second) = writer.finish().await.expect("finish");
    // Only the item list may be new (its chunks dedupe too, since the records repeat).
    assert_eq!(second.stats.new_bytes, 0, "{:?}", second.stats);
    assert_eq!(
        store.list(FileKind::Pack).await.expect("list").len(),
        packs_before
    );
}

#[tokio::test]
async fn compressible_content_is_compressed_and_encrypted() {
    let store = support::memory();
    let repo = support::init(Arc::clone(&store)).await;
    let text = "Dear colleague, please find the quarterly report attached. ".repeat(5000);
    let id = support::run(&repo, "run1", &[("mail".into(), text.clone().into_bytes())]).await;
    let manifest = repo.read_manifest(id).await.expect("manifest");
    assert!(
        manifest.stats.stored_bytes * 5 < manifest.stats.new_bytes,
        "{:?}",
        manifest.stats
    );
    for kind in [
        FileKind::Pack,
        FileKind::Index,
        FileKind::Manifest,
        FileKind::Config,
    ] {
        for file in store.list(kind).await.expect("list") {
            let raw = store.read(kind, &file.name).await.expect("read");
            assert!(
                !raw.windows(15).any(|w| w == b"Dear colleague,"),
                "{kind} leaks plaintext"
            );
            assert!(
                !raw.windows(10).any(|w| w == b"\"resource\""),
                "{kind} leaks metadata"
            );
        }
    }
}

#[tokio::test]
async fn empty_items_and_large_items_roundtrip() {
    let store = support::memory();
    let repo = support::init(Arc::clone(&store)).await;
    let data = vec![
        ("empty".to_owned(), Vec::new()),
        ("big".to_owned(), bytes(3, 1_500_000)),
    ];
    let id = support::run(&repo, "run1", &data).await;
    let back = support::restore_all(&repo, id).await;
    assert_eq!(back["empty"], Vec::<u8>::new());
    assert_eq!(back["big"], data[1].1);
    let manifest = repo.read_manifest(id).await.expect("manifest");
    let mut reader = repo.items(&manifest);
    while let Some(record) = reader.next().await.expect("record") {
        if record.id == "big" {
            assert!(
                record.chunks.len() > 10,
                "content-defined chunks: {}",
                record.chunks.len()
            );
        }
    }
}

#[tokio::test]
async fn wrong_passphrase_is_a_clear_error() {
    let store = support::memory();
    support::init(Arc::clone(&store)).await;
    let err = Repository::open(Arc::clone(&store), pass("Correct horse"))
        .await
        .expect_err("wrong passphrase");
    assert!(
        matches!(err, StoreError::WrongPassphrase { keys: 1, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("M365VAULT_PASSPHRASE"), "{err}");
    let err = Repository::open(support::memory(), pass("x"))
        .await
        .expect_err("no repo");
    assert!(matches!(err, StoreError::NoRepository { .. }), "{err:?}");
    let err = Repository::init(store, pass("x"), support::fast_init())
        .await
        .expect_err("exists");
    assert!(matches!(err, StoreError::AlreadyExists { .. }), "{err:?}");
}

#[tokio::test]
async fn several_passphrases_open_one_repository() {
    let store = support::memory();
    let repo = support::init(Arc::clone(&store)).await;
    let id = support::run(&repo, "run1", &items(3, 1000)).await;
    let second = repo
        .add_key(
            pass("second one"),
            KdfParams::insecure_for_tests(),
            "ops team",
        )
        .await
        .expect("add");
    let by_second = Repository::open(Arc::clone(&store), pass("second one"))
        .await
        .expect("second opens");
    assert_eq!(support::restore_all(&by_second, id).await.len(), 3);
    let keys = by_second.list_keys().await.expect("keys");
    assert_eq!(keys.len(), 2);
    assert!(
        keys.iter()
            .any(|k| k.id == second && k.current && k.label == "ops team")
    );
    // The key in use and the last key cannot be removed; another can.
    let first = keys.iter().find(|k| !k.current).expect("first").id;
    assert!(matches!(
        by_second.remove_key(&second.to_hex()).await,
        Err(StoreError::KeyInUse(_))
    ));
    assert!(matches!(
        by_second.remove_key("ffff").await,
        Err(StoreError::NoSuchKey(_))
    ));
    by_second
        .remove_key(&first.to_hex()[..8])
        .await
        .expect("remove first");
    assert!(
        Repository::open(Arc::clone(&store), pass("correct horse"))
            .await
            .is_err(),
        "old passphrase no longer opens"
    );
    assert!(matches!(
        by_second.remove_key(&second.to_hex()).await,
        Err(StoreError::LastKey(_))
    ));
}

#[tokio::test]
async fn a_newer_format_asks_for_an_upgrade() {
    let store = support::memory();
    let repo = support::init(Arc::clone(&store)).await;
    let id = support::run(&repo, "run1", &items(1, 100)).await;
    let mut manifest = repo.read_manifest(id).await.expect("manifest");
    manifest.version = 2;
    let newer = repo.write_manifest(&manifest).await.expect("write");
    let err = repo.read_manifest(newer).await.expect_err("refused");
    assert!(matches!(err, StoreError::UnsupportedVersion(2)), "{err:?}");
    assert!(err.to_string().contains("upgrade m365vault"), "{err}");
}

#[tokio::test]
async fn an_abandoned_item_loses_nothing_another_item_shares() {
    let store = support::memory();
    let repo = support::init(Arc::clone(&store)).await;
    let data = bytes(77, 300_000);
    let writer = RunWriter::start(
        Arc::clone(&repo),
        "run1",
        BTreeMap::new(),
        support::small_packs(),
    )
    .await
    .expect("start");
    {
        // A download that fails halfway: the item is dropped, never finished.
        let mut item = writer.item(support::info("user1", "abandoned"));
        item.write(&data).await.expect("write");
    }
    writer
        .put_item(support::info("user2", "same"), &data)
        .await
        .expect("put");
    let (id, _) = writer.finish().await.expect("finish");
    let reopened = support::open(store).await;
    let report = check(
        &reopened,
        m365vault_store::CheckOptions {
            read_data_percent: Some(100),
        },
    )
    .await
    .expect("check");
    assert!(report.is_ok(), "{report:#?}");
    assert_eq!(support::restore_all(&reopened, id).await["same"], data);
}
