//! `repo prune`: removes chunks no run needs, safely while runs are writing.
//!
//! Two phases, a prune apart (the scheme of duplicacy's fossil collection):
//!
//! 1. **Condemn.** Packs whose chunks no manifest needs (and packs no index lists)
//!    are written to a `pending/` file first; half-empty packs are repacked (their
//!    needed blobs copied, still sealed, into new packs); one new index file that
//!    leaves the condemned packs out supersedes the index files read; those are
//!    deleted; then the pending file is *armed* with the current time.
//! 2. **Delete.** A later prune deletes the packs of an armed pending file once no
//!    live run lock is older than the arming (plus a margin for clock skew): every
//!    run that could have loaded the old index has ended. Before deleting, it reads
//!    each pack's header: if a manifest written since needs one of its chunks and no
//!    indexed pack holds it, the pack is indexed again instead of deleted.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::backend::FileKind;
use crate::error::{StoreError, blocking};
use crate::id::{ChunkId, IndexId, PackId};
use crate::index::{IndexFile, IndexedPack};
use crate::lock::{LockGuard, LockKind};
use crate::pack::{PackBuilder, SealedBlob, read_pack_entries};
use crate::repo::Repository;

const PENDING_AAD: &[u8] = b"m365vault pending v1";
/// Locks taken less than this after arming still count as older (clock skew).
pub const CLOCK_MARGIN: time::Duration = time::Duration::minutes(5);

/// How prune works.
#[derive(Debug, Clone)]
pub struct PruneOptions {
    /// Only report what would happen.
    pub dry_run: bool,
    /// Repack packs with at least this share of unneeded bytes (0.5 = half-empty).
    pub repack_threshold: f64,
    /// Target size of repacked packs.
    pub pack_size: usize,
}

impl Default for PruneOptions {
    fn default() -> Self {
        Self {
            dry_run: false,
            repack_threshold: 0.5,
            pack_size: 16 * 1024 * 1024,
        }
    }
}

/// What prune did (or, dry, would do).
#[derive(Debug, Clone, Default, Serialize)]
pub struct PruneReport {
    /// Packs condemned now (deleted by a later prune).
    pub condemned_packs: usize,
    /// Their size.
    pub condemned_bytes: u64,
    /// Packs rewritten because they were mostly unneeded.
    pub repacked_packs: usize,
    /// Packs deleted now (condemned by an earlier prune).
    pub deleted_packs: usize,
    /// Bytes freed now.
    pub deleted_bytes: u64,
    /// Condemned packs indexed again because a run needs them after all.
    pub restored_packs: usize,
    /// Condemned packs waiting for runs that started before they were condemned.
    pub deferred_packs: usize,
    /// Chunks no run needs.
    pub unneeded_chunks: usize,
    /// Condemned packs kept because S3 Object Lock retains them; deleted by a later prune.
    pub locked_packs: usize,
}

/// A pending file: packs condemned by a prune.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Pending {
    #[serde(with = "time::serde::rfc3339")]
    created: OffsetDateTime,
    /// Set once the index no longer lists the packs; deletion waits for runs older than this.
    #[serde(default, with = "time::serde::rfc3339::option")]
    armed: Option<OffsetDateTime>,
    packs: Vec<PackId>,
}

impl Repository {
    async fn write_pending(&self, name: &str, pending: &Pending) -> Result<(), StoreError> {
        let json = serde_json::to_vec(pending).map_err(|e| StoreError::Invalid(e.to_string()))?;
        self.store()
            .write(
                FileKind::Pending,
                name,
                Bytes::from(self.cipher().seal(&json, PENDING_AAD)),
            )
            .await?;
        Ok(())
    }

    async fn read_pending(&self, name: &str) -> Result<Pending, StoreError> {
        let bytes = self.store().read(FileKind::Pending, name).await?;
        let json = self
            .cipher()
            .open(&bytes, PENDING_AAD)
            .map_err(|e| StoreError::damaged(FileKind::Pending, name, e))?;
        serde_json::from_slice(&json).map_err(|e| StoreError::damaged(FileKind::Pending, name, e))
    }

    /// The packs a pending file condemns.
    pub(crate) async fn pending_packs(&self, name: &str) -> Result<Vec<PackId>, StoreError> {
        Ok(self.read_pending(name).await?.packs)
    }

    /// Every chunk some manifest needs: item lists and item contents.
    pub async fn needed_chunks(&self) -> Result<HashSet<ChunkId>, StoreError> {
        let mut needed = HashSet::new();
        for id in self.list_manifests().await? {
            let manifest = self.read_manifest(id).await?;
            needed.extend(manifest.items.iter().copied());
            let mut items = self.items(&manifest);
            while let Some(record) = items.next().await? {
                needed.extend(record.chunks);
            }
        }
        Ok(needed)
    }

    /// Reads a pack's header from the pack itself.
    pub async fn read_pack_header(&self, pack: PackId) -> Result<IndexedPack, StoreError> {
        let bytes = self.store().read(FileKind::Pack, &pack.to_hex()).await?;
        let cipher = self.cipher().clone();
        let entries = blocking(move || read_pack_entries(&cipher, &bytes))
            .await?
            .map_err(|e| StoreError::damaged(FileKind::Pack, &pack.to_hex(), e))?;
        Ok(IndexedPack { id: pack, entries })
    }
}

/// Prunes the repository.
pub async fn prune(
    repo: &Arc<Repository>,
    options: &PruneOptions,
) -> Result<PruneReport, StoreError> {
    let lock = LockGuard::acquire(Arc::clone(repo), LockKind::Prune).await?;
    let result = prune_locked(repo, options).await;
    lock.release().await?;
    result
}

async fn prune_locked(
    repo: &Arc<Repository>,
    options: &PruneOptions,
) -> Result<PruneReport, StoreError> {
    let mut report = PruneReport::default();
    let store = repo.store();
    // Locks first: a run whose lock is gone by now wrote its manifest before, so the
    // manifests read below include it.
    let now = OffsetDateTime::now_utc();
    let run_locks: Vec<_> = repo
        .locks()
        .await?
        .into_iter()
        .map(|(_, l)| l)
        .filter(|l| l.kind == LockKind::Run && l.is_live(now))
        .collect();
    let index_files: Vec<IndexId> = store
        .list(FileKind::Index)
        .await?
        .iter()
        .filter_map(|f| f.name.parse().ok())
        .collect();
    let damaged = repo.load_index().await?;
    if let Some((id, e)) = damaged.first() {
        return Err(StoreError::Invalid(format!(
            "index file {id} cannot be read ({e}); prune stops so it deletes nothing a run may need: run `m365vault repo repair-index` first"
        )));
    }
    let indexed = repo.read_index_packs(&index_files).await?;
    let needed = match repo.needed_chunks().await {
        // A run settled before an earlier prune condemned a pack it reuses (a narrow race):
        // index the unindexed packs again, then read the manifests once more.
        Err(StoreError::MissingChunk(chunk)) => {
            tracing::warn!(%chunk, "a run needs a chunk that is not indexed; indexing unindexed packs again");
            repo.repair_index().await?;
            repo.needed_chunks().await?
        }
        other => other?,
    };
    let mut listed: HashMap<String, u64> = store
        .list(FileKind::Pack)
        .await?
        .into_iter()
        .map(|f| (f.name, f.size))
        .collect();

    // Phase 2: packs condemned by earlier prunes.
    let mut pending_packs: HashSet<PackId> = HashSet::new();
    for file in store.list(FileKind::Pending).await? {
        let pending = repo.read_pending(&file.name).await?;
        let Some(armed) = pending.armed else {
            // A prune died before arming it: arm it now if its packs left the index.
            if pending.packs.iter().all(|p| !repo.index().has_pack(p)) && !options.dry_run {
                repo.write_pending(
                    &file.name,
                    &Pending {
                        armed: Some(now),
                        ..pending.clone()
                    },
                )
                .await?;
            }
            pending_packs.extend(pending.packs.iter().copied());
            report.deferred_packs += pending.packs.len();
            continue;
        };
        if run_locks.iter().any(|l| l.created < armed + CLOCK_MARGIN) {
            pending_packs.extend(pending.packs.iter().copied());
            report.deferred_packs += pending.packs.len();
            continue;
        }
        let mut restore = Vec::new();
        let mut locked = Vec::new();
        for pack in &pending.packs {
            if repo.index().has_pack(pack) || !listed.contains_key(&pack.to_hex()) {
                continue; // indexed again, or already gone
            }
            let header = repo.read_pack_header(*pack).await;
            let wanted = match &header {
                Ok(h) => h
                    .entries
                    .iter()
                    .any(|e| needed.contains(&e.id) && !repo.index().contains(&e.id)),
                Err(_) => false, // unreadable and unindexed: nothing can use it
            };
            if wanted {
                if let Ok(h) = header {
                    restore.push(h);
                }
                continue;
            }
            if !options.dry_run {
                match store.delete(FileKind::Pack, &pack.to_hex()).await {
                    Ok(()) => {}
                    Err(e) if e.is_locked() => {
                        // Object Lock: it stays condemned until its retention ends.
                        locked.push(*pack);
                        continue;
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            report.deleted_packs += 1;
            report.deleted_bytes += listed.remove(&pack.to_hex()).unwrap_or(0);
        }
        report.locked_packs += locked.len();
        pending_packs.extend(locked.iter().copied());
        report.restored_packs += restore.len();
        if !options.dry_run {
            if !restore.is_empty() {
                for pack in &restore {
                    repo.index_mut().add_pack(pack);
                }
                repo.write_index(&IndexFile {
                    supersedes: Vec::new(),
                    packs: restore,
                })
                .await?;
            }
            if locked.is_empty() {
                store.delete(FileKind::Pending, &file.name).await?;
            } else {
                repo.write_pending(
                    &file.name,
                    &Pending {
                        packs: locked,
                        ..pending
                    },
                )
                .await?;
            }
        }
    }

    // Phase 1: condemn what no run needs. A chunk held by several packs counts as
    // needed only in the pack the index reads it from.
    let mut used: HashMap<PackId, (u64, u64)> = HashMap::new(); // (needed bytes, unneeded bytes)
    for pack in &indexed {
        let slot = used.entry(pack.id).or_default();
        for entry in &pack.entries {
            let home = repo.index().get(&entry.id).map(|(p, _)| p);
            if needed.contains(&entry.id) && home == Some(pack.id) {
                slot.0 += u64::from(entry.length);
            } else {
                slot.1 += u64::from(entry.length);
                report.unneeded_chunks += usize::from(!needed.contains(&entry.id));
            }
        }
    }
    let mut condemned: Vec<PackId> = Vec::new();
    let mut repack: Vec<PackId> = Vec::new();
    for (pack, (need, waste)) in &used {
        if *need == 0 {
            condemned.push(*pack);
        } else if *waste > 0
            && (*waste as f64) >= options.repack_threshold * (*need + *waste) as f64
        {
            repack.push(*pack);
        }
    }
    // Packs in no index and not already pending: leftovers of interrupted runs, or of
    // runs still writing (deletion waits for those to end).
    for name in listed.keys() {
        if let Ok(pack) = name.parse::<PackId>()
            && !repo.index().has_pack(&pack)
            && !pending_packs.contains(&pack)
        {
            condemned.push(pack);
        }
    }
    report.repacked_packs = repack.len();
    condemned.extend(repack.iter().copied());
    condemned.sort();
    condemned.dedup();
    report.condemned_packs = condemned.len();
    report.condemned_bytes = condemned
        .iter()
        .filter_map(|p| listed.get(&p.to_hex()))
        .sum();
    if condemned.is_empty() || options.dry_run {
        return Ok(report);
    }

    let pending_name = crate::id::LockId::random().to_hex();
    let mut pending = Pending {
        created: now,
        armed: None,
        packs: condemned.clone(),
    };
    repo.write_pending(&pending_name, &pending).await?;
    let gone: HashSet<PackId> = condemned.iter().copied().collect();
    let to_repack: Vec<&IndexedPack> = indexed.iter().filter(|p| repack.contains(&p.id)).collect();
    let new_packs = repack_packs(repo, &to_repack, &needed, options.pack_size).await?;
    let mut packs: Vec<IndexedPack> = indexed
        .into_iter()
        .filter(|p| !gone.contains(&p.id))
        .collect();
    packs.extend(new_packs);
    packs.sort_by_key(|p| p.id);
    repo.write_index(&IndexFile {
        supersedes: index_files.clone(),
        packs,
    })
    .await?;
    for id in &index_files {
        match store.delete(FileKind::Index, &id.to_hex()).await {
            // Superseded, so ignored by readers; a later prune deletes it once unlocked.
            Err(e) if e.is_locked() => {}
            other => other?,
        }
    }
    pending.armed = Some(OffsetDateTime::now_utc());
    repo.write_pending(&pending_name, &pending).await?;
    repo.load_index().await?;
    Ok(report)
}

/// Copies the needed blobs of `packs` (those the index reads from them), still
/// sealed, into new packs.
async fn repack_packs(
    repo: &Repository,
    packs: &[&IndexedPack],
    needed: &HashSet<ChunkId>,
    pack_size: usize,
) -> Result<Vec<IndexedPack>, StoreError> {
    let mut written = Vec::new();
    let mut builder = PackBuilder::new();
    for pack in packs {
        let name = pack.id.to_hex();
        let bytes = repo.store().read(FileKind::Pack, &name).await?;
        for e in &pack.entries {
            let home = repo.index().get(&e.id).map(|(p, _)| p);
            if !needed.contains(&e.id) || home != Some(pack.id) {
                continue;
            }
            let range = e.offset as usize..(e.offset as usize + e.length as usize);
            if range.end > bytes.len() {
                return Err(StoreError::damaged(
                    FileKind::Pack,
                    &name,
                    "an entry lies past its end",
                ));
            }
            let sealed = bytes.slice(range);
            builder.add(SealedBlob {
                id: e.id,
                kind: e.kind,
                compressed: e.compressed,
                raw_length: e.raw_length,
                sealed: vec![sealed],
            });
            if builder.len() >= pack_size {
                written.push(write_pack(repo, std::mem::take(&mut builder)).await?);
            }
        }
    }
    if !builder.is_empty() {
        written.push(write_pack(repo, builder).await?);
    }
    Ok(written)
}

async fn write_pack(repo: &Repository, builder: PackBuilder) -> Result<IndexedPack, StoreError> {
    let cipher = repo.cipher().clone();
    let (id, parts, entries) = blocking(move || builder.finish(&cipher)).await?;
    repo.store()
        .write_parts(FileKind::Pack, &id.to_hex(), parts)
        .await?;
    Ok(IndexedPack { id, entries })
}
