//! The writer dies at random points (between packs, mid-pack, between index and
//! manifest), and prune dies at every step; after each death `check` passes, and
//! the next run completes and holds everything.

use std::collections::BTreeMap;
use std::sync::Arc;

use m365vault_store::backend::fault::CrashAfter;
use m365vault_store::backend::memory::MemoryStore;
use m365vault_store::prune::{PruneOptions, prune};
use m365vault_store::{
    BlobStore, CheckOptions, FileKind, Repository, RunWriter, StoreError, check,
};

use crate::support::{self, bytes, pass};

fn data() -> Vec<(String, Vec<u8>)> {
    (0..16)
        .map(|i| {
            (
                format!("item{i}"),
                bytes(500 + i, 30_000 + i as usize * 3000),
            )
        })
        .collect()
}

/// Writes a whole run, stopping at the first error.
async fn write_run(
    repo: &Arc<Repository>,
    name: &str,
    data: &[(String, Vec<u8>)],
) -> Result<(), StoreError> {
    let writer = RunWriter::start(
        Arc::clone(repo),
        name,
        BTreeMap::new(),
        support::small_packs(),
    )
    .await?;
    for (id, content) in data {
        writer.put_item(support::info("user1", id), content).await?;
    }
    writer.finish().await.map(|_| ())
}

/// How many changes (writes, deletes) `f` makes on a fresh copy of `setup`'s repository.
async fn count_changes(inner: Arc<dyn BlobStore>, f: impl AsyncFnOnce(Arc<Repository>)) -> usize {
    let counting = Arc::new(CrashAfter::new(inner, usize::MAX));
    let repo = Arc::new(
        Repository::open(counting.clone(), pass("correct horse"))
            .await
            .expect("open"),
    );
    f(repo).await;
    usize::MAX - counting.remaining()
}

/// After a death: check passes, the next run holds everything, check passes again.
async fn recover(inner: &Arc<dyn BlobStore>, data: &[(String, Vec<u8>)], what: &str) {
    let repo = support::open(Arc::clone(inner)).await;
    let report = check(
        &repo,
        CheckOptions {
            read_data_percent: Some(100),
        },
    )
    .await
    .expect("check");
    assert!(report.is_ok(), "{what}: {report:#?}");
    let id = support::run(&repo, "next", data).await;
    let back = support::restore_all(&repo, id).await;
    assert_eq!(back.len(), data.len(), "{what}");
    for (item, content) in data {
        assert_eq!(&back[item], content, "{what}: {item}");
    }
    // The dead process's locks are removed (`repo unlock --all`); two prunes later
    // (condemn, then delete), everything is still there and sound.
    repo.unlock(true).await.expect("unlock");
    prune(&repo, &PruneOptions::default()).await.expect("prune");
    prune(&repo, &PruneOptions::default()).await.expect("prune");
    let report = check(
        &repo,
        CheckOptions {
            read_data_percent: Some(100),
        },
    )
    .await
    .expect("check");
    assert!(
        report.is_ok(),
        "{what} after the next run and prunes: {report:#?}"
    );
    assert_eq!(
        support::restore_all(&repo, id).await.len(),
        data.len(),
        "{what}"
    );
}

#[tokio::test]
async fn writer_killed_at_every_point_leaves_a_sound_repository() {
    let data = data();
    let fresh = || async {
        let mem = MemoryStore::new();
        let inner: Arc<dyn BlobStore> = Arc::new(mem);
        let repo = support::init(Arc::clone(&inner)).await;
        support::run(&repo, "base", &data[..3]).await; // later runs dedupe against it
        inner
    };
    let changes = count_changes(fresh().await, async |repo| {
        write_run(&repo, "probe", &data).await.expect("run")
    })
    .await;
    assert!(changes >= 15, "a run makes {changes} changes");

    let mut crashes = 0;
    for round in 0..60 {
        let inner = fresh().await;
        let crash_at = round % (changes + 1);
        let dying = Arc::new(CrashAfter::new(Arc::clone(&inner), crash_at));
        let repo = Arc::new(
            Repository::open(dying.clone(), pass("correct horse"))
                .await
                .expect("open"),
        );
        let died = write_run(&repo, "dies", &data).await.is_err();
        assert_eq!(
            died,
            dying.crashed(),
            "round {round}: only the injected crash fails"
        );
        crashes += usize::from(died);
        recover(
            &inner,
            &data,
            &format!("round {round}, writer died after {crash_at} changes"),
        )
        .await;
    }
    assert!(crashes >= 50, "{crashes} crashes");
}

#[tokio::test]
async fn prune_killed_at_every_point_leaves_a_sound_repository() {
    let data = data();
    // Two runs; the first is forgotten, so prune has packs to condemn, repack and delete.
    let fresh = || async {
        let inner: Arc<dyn BlobStore> = Arc::new(MemoryStore::new());
        let repo = support::init(Arc::clone(&inner)).await;
        let old = support::run(&repo, "old", &data[..8]).await;
        support::run(&repo, "kept", &data[4..]).await;
        inner
            .delete(FileKind::Manifest, &old.to_hex())
            .await
            .expect("forget");
        // A first prune condemns, so the dying one also deletes.
        prune(&repo, &PruneOptions::default()).await.expect("prune");
        inner
    };
    let changes = count_changes(fresh().await, async |repo| {
        let report = prune(&repo, &PruneOptions::default()).await.expect("prune");
        assert!(report.deleted_packs > 0, "{report:?}");
    })
    .await;
    let changes2 = count_changes(fresh().await, async |repo| {
        // Another forgotten run makes the second prune condemn and repack too.
        write_run(&repo, "extra", &data[..2]).await.expect("run");
    })
    .await;
    assert!(changes >= 3 && changes2 >= 1, "{changes} {changes2}");

    let mut crashes = 0;
    for crash_at in 0..=changes {
        let inner = fresh().await;
        let dying = Arc::new(CrashAfter::new(Arc::clone(&inner), crash_at));
        let repo = Arc::new(
            Repository::open(dying.clone(), pass("correct horse"))
                .await
                .expect("open"),
        );
        let died = prune(&repo, &PruneOptions::default()).await.is_err();
        assert_eq!(died, dying.crashed(), "crash at {crash_at}");
        crashes += usize::from(died);
        recover(
            &inner,
            &data[4..],
            &format!("prune died after {crash_at} changes"),
        )
        .await;
    }
    assert!(crashes >= 3, "{crashes} crashes");
}
