//! Damage: check names the damaged file and the items it affects, and every other
//! item still restores.

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::Bytes;
use m365vault_store::backend::memory::MemoryStore;
use m365vault_store::{BlobStore, CheckOptions, FileKind, ManifestId, Repository, check};

use crate::support::{self, bytes};

struct Damaged {
    mem: MemoryStore,
    repo: Arc<Repository>,
    run: ManifestId,
    data: BTreeMap<String, Vec<u8>>,
}

/// Two runs' worth of items in many small packs.
async fn setup() -> Damaged {
    let mem = MemoryStore::new();
    let store: Arc<dyn BlobStore> = Arc::new(mem.clone());
    let repo = support::init(Arc::clone(&store)).await;
    let data: Vec<(String, Vec<u8>)> = (0..12)
        .map(|i| (format!("item{i}"), bytes(100 + i, 30_000)))
        .collect();
    let run = support::run(&repo, "run1", &data).await;
    Damaged {
        mem,
        repo,
        run,
        data: data.into_iter().collect(),
    }
}

/// The data pack holding `item`'s first chunk, and where that chunk starts in it.
async fn pack_of(d: &Damaged, item: &str) -> (String, usize) {
    let manifest = d.repo.read_manifest(d.run).await.expect("manifest");
    let mut items = d.repo.items(&manifest);
    while let Some(record) = items.next().await.expect("record") {
        if record.id == item {
            let (pack, entry) = d.repo.index().get(&record.chunks[0]).expect("indexed");
            return (pack.to_hex(), entry.offset as usize);
        }
    }
    panic!("no {item}");
}

/// Restores what can be restored, reopening from storage alone.
async fn restorable(d: &Damaged) -> (usize, usize) {
    let repo = support::open(Arc::new(d.mem.clone())).await;
    let manifest = repo.read_manifest(d.run).await.expect("manifest survives");
    let mut items = repo.items(&manifest);
    let (mut ok, mut failed) = (0, 0);
    while let Some(record) = items.next().await.expect("item list survives") {
        let mut out = Vec::new();
        match repo.restore_item(&record, &mut out).await {
            Ok(()) => {
                assert_eq!(out, d.data[&record.id], "{} restores exactly", record.id);
                ok += 1;
            }
            Err(_) => failed += 1,
        }
    }
    (ok, failed)
}

#[tokio::test]
async fn a_flipped_byte_is_found_and_named() {
    let d = setup().await;
    let (pack, offset) = pack_of(&d, "item5").await;
    let mut raw = d
        .mem
        .read(FileKind::Pack, &pack)
        .await
        .expect("read")
        .to_vec();
    raw[offset + 40] ^= 0x01;
    d.mem.put_raw(FileKind::Pack, &pack, Bytes::from(raw));

    let repo = support::open(Arc::new(d.mem.clone())).await;
    let quick = check(&repo, CheckOptions::default()).await.expect("check");
    assert!(quick.is_ok(), "the structure is intact: {quick:#?}");
    let full = check(
        &repo,
        CheckOptions {
            read_data_percent: Some(100),
        },
    )
    .await
    .expect("check");
    assert_eq!(full.errors.len(), 1, "{full:#?}");
    let problem = &full.errors[0];
    assert_eq!(
        (problem.kind.as_str(), problem.name.as_str()),
        ("pack", pack.as_str())
    );
    assert!(
        problem
            .affected_items
            .iter()
            .any(|i| i.contains("item5") && i.contains("run1")),
        "{problem:?}"
    );
    let (ok, failed) = restorable(&d).await;
    assert_eq!(ok + failed, 12);
    assert_eq!(
        ok,
        12 - problem.affected_items.len(),
        "only the named items fail"
    );
}

#[tokio::test]
async fn a_truncated_pack_is_found_and_named() {
    let d = setup().await;
    let (pack, _) = pack_of(&d, "item2").await;
    let raw = d.mem.read(FileKind::Pack, &pack).await.expect("read");
    d.mem
        .put_raw(FileKind::Pack, &pack, raw.slice(..raw.len() / 2));

    let repo = support::open(Arc::new(d.mem.clone())).await;
    let report = check(&repo, CheckOptions::default()).await.expect("check");
    assert_eq!(report.errors.len(), 1, "{report:#?}");
    assert_eq!(report.errors[0].name, pack);
    assert!(
        report.errors[0].message.contains("truncated"),
        "{report:#?}"
    );
    let (ok, failed) = restorable(&d).await;
    assert!(failed >= 1 && ok >= 10, "{ok} restored, {failed} failed");
}

#[tokio::test]
async fn a_deleted_index_file_is_found_and_named() {
    let d = setup().await;
    let indexes = d.mem.list(FileKind::Index).await.expect("list");
    assert!(indexes.len() > 1, "several index files: {}", indexes.len());
    // Lose an index file that does not hold the run's item list.
    let manifest = d.repo.read_manifest(d.run).await.expect("manifest");
    let list_packs: Vec<_> = manifest
        .items
        .iter()
        .map(|c| d.repo.index().get(c).expect("indexed").0)
        .collect();
    let mut lost = None;
    for file in &indexes {
        let index = d
            .repo
            .read_index(file.name.parse().expect("id"))
            .await
            .expect("index");
        if index.packs.iter().all(|p| !list_packs.contains(&p.id)) {
            lost = Some(file.name.clone());
            break;
        }
    }
    let lost = &lost.expect("an index file without the item list");
    d.mem.delete(FileKind::Index, lost).await.expect("delete");

    let repo = support::open(Arc::new(d.mem.clone())).await;
    let report = check(&repo, CheckOptions::default()).await.expect("check");
    assert!(!report.is_ok(), "{report:#?}");
    for problem in &report.errors {
        assert_eq!(problem.kind, "pack", "{problem:?}");
        assert!(problem.message.contains("repair-index"), "{problem:?}");
        assert!(!problem.affected_items.is_empty(), "{problem:?}");
    }
    let (ok, failed) = restorable(&d).await;
    assert_eq!(ok + failed, 12);
    assert!(ok >= 1, "unaffected items restore");
    let affected: usize = report.errors.iter().map(|p| p.affected_items.len()).sum();
    assert_eq!(
        failed, affected,
        "exactly the named items fail: {report:#?}"
    );
}
