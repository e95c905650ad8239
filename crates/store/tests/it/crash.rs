//! The writer dies at random points (between packs, mid-pack, between index and
//! manifest); after each death `check` passes, and the next run completes and holds
//! everything.

use std::sync::Arc;

use m365vault_store::backend::fault::CrashAfter;
use m365vault_store::backend::memory::MemoryStore;
use m365vault_store::{BlobStore, CheckOptions, FileKind, check};

use crate::support::{self, bytes};

#[tokio::test]
async fn writer_killed_at_every_point_leaves_a_sound_repository() {
    let data: Vec<(String, Vec<u8>)> = (0..16)
        .map(|i| {
            (
                format!("item{i}"),
                bytes(500 + i, 30_000 + i as usize * 3000),
            )
        })
        .collect();
    // How many changes a whole run makes, so every crash point is tried.
    let probe = MemoryStore::new();
    let repo = support::init(Arc::new(probe.clone())).await;
    let counting = Arc::new(CrashAfter::new(Arc::new(probe.clone()), usize::MAX));
    let counted = Arc::new(
        m365vault_store::Repository::open(counting.clone(), support::pass("correct horse"))
            .await
            .expect("open"),
    );
    drop(repo);
    support::run(&counted, "probe", &data).await;
    let changes = usize::MAX - counting.remaining();
    assert!(changes >= 15, "a run makes {changes} changes");

    let mut crashes = 0;
    for round in 0..60 {
        let mem = MemoryStore::new();
        let inner: Arc<dyn BlobStore> = Arc::new(mem.clone());
        let repo = support::init(Arc::clone(&inner)).await;
        // A first complete run, so later ones dedupe against it.
        support::run(&repo, "base", &data[..3]).await;
        drop(repo);
        let crash_at = round % (changes + 1);
        let dying = Arc::new(CrashAfter::new(Arc::clone(&inner), crash_at));
        let repo = Arc::new(
            m365vault_store::Repository::open(dying.clone(), support::pass("correct horse"))
                .await
                .expect("open"),
        );
        let writer = m365vault_store::RunWriter::new(
            Arc::clone(&repo),
            "dies",
            Default::default(),
            support::small_packs(),
        );
        let mut died = false;
        for (id, content) in &data {
            if writer
                .put_item(support::info("user1", id), content)
                .await
                .is_err()
            {
                died = true;
                break;
            }
        }
        if !died {
            died = writer.finish().await.is_err();
        }
        crashes += usize::from(died);

        // After the death: a fresh process opens the repository and checks it.
        let repo = support::open(Arc::clone(&inner)).await;
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
            "round {round}, crash after {crash_at} changes: {report:#?}"
        );
        // The next run completes and contains everything.
        let id = support::run(&repo, "next", &data).await;
        let back = support::restore_all(&repo, id).await;
        assert_eq!(back.len(), data.len(), "round {round}");
        for (item, content) in &data {
            assert_eq!(&back[item], content, "round {round}: {item}");
        }
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
            "round {round} after the next run: {report:#?}"
        );
        assert_eq!(
            repo.list_manifests().await.expect("list").len(),
            if died { 2 } else { 3 }
        );
        let _ = mem.list(FileKind::Pack).await;
    }
    assert!(crashes >= 50, "{crashes} crashes");
}
