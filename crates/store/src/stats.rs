//! `repo stats` and `repo repair-index`.

use serde::Serialize;

use crate::backend::FileKind;
use crate::error::StoreError;
use crate::id::PackId;
use crate::index::IndexFile;
use crate::pack::BlobType;
use crate::repo::Repository;

/// Sizes and ratios of a repository.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RepoStats {
    /// Runs (manifests).
    pub runs: usize,
    /// Item versions over all runs.
    pub items: u64,
    /// What restoring every run would produce, in bytes.
    pub logical_bytes: u64,
    /// Distinct content (chunks, before compression).
    pub unique_bytes: u64,
    /// Distinct chunks.
    pub chunks: usize,
    /// Pack files.
    pub packs: usize,
    /// Bytes in the store (packs, index files, manifests, keys, config).
    pub stored_bytes: u64,
    /// logical ÷ unique: what deduplication saves.
    pub dedup_ratio: f64,
    /// unique ÷ sealed chunk bytes: what compression saves.
    pub compression_ratio: f64,
}

impl Repository {
    /// Reads the statistics from the manifests and the index.
    pub async fn stats(&self) -> Result<RepoStats, StoreError> {
        let mut stats = RepoStats::default();
        for id in self.list_manifests().await? {
            let manifest = self.read_manifest(id).await?;
            stats.runs += 1;
            stats.items += manifest.stats.items;
            stats.logical_bytes += manifest.stats.bytes;
        }
        let (data_raw, data_sealed) = self.index().raw_and_stored(BlobType::Data);
        let (meta_raw, meta_sealed) = self.index().raw_and_stored(BlobType::Meta);
        stats.unique_bytes = data_raw;
        stats.chunks = self.index().chunk_count();
        for kind in FileKind::ALL {
            let files = self.store().list(kind).await?;
            if kind == FileKind::Pack {
                stats.packs = files.len();
            }
            stats.stored_bytes += files.iter().map(|f| f.size).sum::<u64>();
        }
        stats.dedup_ratio = ratio(stats.logical_bytes, data_raw);
        stats.compression_ratio = ratio(data_raw + meta_raw, data_sealed + meta_sealed);
        Ok(stats)
    }

    /// Indexes again every readable pack that no index lists (after an index file was
    /// lost). Returns the packs indexed and those whose header could not be read.
    pub async fn repair_index(&self) -> Result<(usize, Vec<(PackId, StoreError)>), StoreError> {
        self.load_index().await?;
        let mut packs = Vec::new();
        let mut unreadable = Vec::new();
        for file in self.store().list(FileKind::Pack).await? {
            let Ok(id) = file.name.parse::<PackId>() else {
                continue;
            };
            if self.index().has_pack(&id) {
                continue;
            }
            match self.read_pack_header(id).await {
                Ok(pack) => packs.push(pack),
                Err(e) => unreadable.push((id, e)),
            }
        }
        let count = packs.len();
        if count > 0 {
            for pack in &packs {
                self.index_mut().add_pack(pack);
            }
            self.write_index(&IndexFile {
                supersedes: Vec::new(),
                packs,
            })
            .await?;
        }
        Ok((count, unreadable))
    }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 { 1.0 } else { a as f64 / b as f64 }
}
