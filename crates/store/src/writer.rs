//! Writing a run: items are chunked, deduplicated, compressed and sealed on the
//! blocking pool, packed, and the packs written; then index files; then the manifest.
//! Nothing a manifest names is missing when the manifest appears.

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use time::OffsetDateTime;
use tokio::task::JoinHandle;

use crate::backend::FileKind;
use crate::chunker::Chunker;
use crate::error::{StoreError, blocking};
use crate::id::{ChunkId, ManifestId};
use crate::index::{IndexFile, IndexedPack};
use crate::lock::{LockGuard, LockKind};
use crate::manifest::{FailedItem, ItemRecord, MANIFEST_AAD, Manifest, RunOutcome, RunStats};
use crate::pack::{BlobType, PackBuilder, SealedBlob, seal_blob};
use crate::repo::{FORMAT_VERSION, Repository};

/// How a run writes.
#[derive(Debug, Clone)]
pub struct WriteOptions {
    /// Target pack size in bytes (16 MiB).
    pub pack_size: usize,
    /// Write an index file after this many packs (8), so a crash loses little.
    pub index_every: usize,
    /// Chunks sealed in parallel per item (the number of cores).
    pub parallelism: usize,
}

impl Default for WriteOptions {
    fn default() -> Self {
        Self {
            pack_size: 16 * 1024 * 1024,
            index_every: 8,
            parallelism: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2),
        }
    }
}

/// What describes an item besides its bytes.
#[derive(Debug, Clone, Default)]
pub struct ItemInfo {
    /// The resource: mailbox, drive, site, team…
    pub resource: String,
    /// `mail`, `event`, `file`, …
    pub kind: String,
    /// The stable id in Microsoft 365.
    pub id: String,
    /// Folder or file path.
    pub path: String,
    /// Last change in Microsoft 365.
    pub modified: Option<OffsetDateTime>,
    /// Graph metadata.
    pub meta: serde_json::Value,
}

type Sealing = JoinHandle<(ChunkId, usize, Option<SealedBlob>)>;

struct Shared {
    repo: Arc<Repository>,
    options: WriteOptions,
    packer: Mutex<PackBuilder>,
    reserved: Mutex<HashSet<ChunkId>>,
    /// Chunks being hashed, compressed and sealed at once, over the whole run: so memory
    /// does not grow with the number of items written concurrently.
    sealing: Arc<tokio::sync::Semaphore>,
    unindexed: tokio::sync::Mutex<Vec<IndexedPack>>,
    stats: Mutex<RunStats>,
    /// Chunks of items abandoned mid-stream, still being packed: every reserved chunk
    /// must reach a pack, since other items may already name it.
    orphans: Mutex<Vec<JoinHandle<Result<(), StoreError>>>>,
    /// Full packs being written, oldest first.
    writing: Mutex<VecDeque<JoinHandle<Result<(), StoreError>>>>,
}

/// Packs written in the background at once, besides the one being filled.
const WRITES_IN_FLIGHT: usize = 2;

async fn joined(task: JoinHandle<Result<(), StoreError>>) -> Result<(), StoreError> {
    task.await.map_err(|e| StoreError::Task(e.to_string()))?
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Shared {
    /// Hashes a chunk and, when it is new, compresses and seals it (on the blocking pool).
    async fn seal(self: &Arc<Self>, kind: BlobType, data: Vec<u8>) -> Result<Sealing, StoreError> {
        let shared = Arc::clone(self);
        // Released when the work is done (not when the blob is packed), so that no
        // item waits on another item's progress.
        let permit = Arc::clone(&self.sealing)
            .acquire_owned()
            .await
            .map_err(|e| StoreError::Task(e.to_string()))?;
        Ok(tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let id = shared.repo.master().chunk_id(&data);
            let known = shared.repo.index().contains(&id) || !lock(&shared.reserved).insert(id);
            if known {
                return (id, data.len(), None);
            }
            let len = data.len();
            let blob = seal_blob(
                shared.repo.cipher(),
                id,
                kind,
                data,
                shared.repo.config().compression_level,
            );
            (id, len, Some(blob))
        }))
    }

    async fn add(self: &Arc<Self>, blob: SealedBlob) -> Result<(), StoreError> {
        {
            let mut stats = lock(&self.stats);
            stats.new_chunks += 1;
            stats.new_bytes += u64::from(blob.raw_length);
            stats.stored_bytes += blob.len() as u64;
        }
        let full = {
            let mut packer = lock(&self.packer);
            packer.add(blob);
            (packer.len() >= self.options.pack_size).then(|| std::mem::take(&mut *packer))
        };
        let Some(pack) = full else {
            return Ok(());
        };
        // The pack is written in the background, so that downloads go on meanwhile;
        // past `WRITES_IN_FLIGHT` packs, the writer waits for the oldest.
        let shared = Arc::clone(self);
        let task = tokio::spawn(async move { shared.write_pack(pack).await });
        let oldest = {
            let mut writing = lock(&self.writing);
            writing.push_back(task);
            (writing.len() > WRITES_IN_FLIGHT)
                .then(|| writing.pop_front())
                .flatten()
        };
        match oldest {
            Some(task) => joined(task).await,
            None => Ok(()),
        }
    }

    /// Waits for every pack being written in the background.
    async fn written(&self) -> Result<(), StoreError> {
        loop {
            let task = lock(&self.writing).pop_front();
            match task {
                Some(task) => joined(task).await?,
                None => return Ok(()),
            }
        }
    }

    async fn write_pack(&self, pack: PackBuilder) -> Result<(), StoreError> {
        if pack.is_empty() {
            return Ok(());
        }
        let cipher = self.repo.cipher().clone();
        let (id, parts, entries) = blocking(move || pack.finish(&cipher)).await?;
        self.repo
            .store()
            .write_parts(FileKind::Pack, &id.to_hex(), parts)
            .await?;
        let packed = IndexedPack { id, entries };
        self.repo.index_mut().add_pack(&packed);
        self.unindexed.lock().await.push(packed);
        self.write_index(self.options.index_every).await
    }

    /// Writes an index file for the packs not yet in one, when there are at least `min` (and one).
    async fn write_index(&self, min: usize) -> Result<(), StoreError> {
        let mut unindexed = self.unindexed.lock().await;
        if unindexed.is_empty() || unindexed.len() < min {
            return Ok(());
        }
        let packs = std::mem::take(&mut *unindexed);
        self.repo
            .write_index(&IndexFile {
                supersedes: Vec::new(),
                packs,
            })
            .await?;
        Ok(())
    }

    async fn flush(&self) -> Result<(), StoreError> {
        let pack = std::mem::take(&mut *lock(&self.packer));
        self.written().await?;
        self.write_pack(pack).await?;
        self.write_index(1).await
    }
}

/// Chunks a stream and keeps a bounded number of chunks sealing at once.
struct Pipeline {
    shared: Arc<Shared>,
    kind: BlobType,
    chunker: Chunker,
    sealing: VecDeque<Sealing>,
    chunks: Vec<ChunkId>,
    size: u64,
}

impl Drop for Pipeline {
    /// An item abandoned before `finish` (a failed download, a cancelled task): its chunks
    /// still being sealed are packed anyway, because the run reserved them.
    fn drop(&mut self) {
        let tasks = std::mem::take(&mut self.sealing);
        if tasks.is_empty() {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return; // no runtime: the run cannot finish either
        };
        let shared = Arc::clone(&self.shared);
        let packing = runtime.spawn(async move {
            for task in tasks {
                let (_, _, blob) = task.await.map_err(|e| StoreError::Task(e.to_string()))?;
                if let Some(blob) = blob {
                    shared.add(blob).await?;
                }
            }
            Ok(())
        });
        lock(&self.shared.orphans).push(packing);
    }
}

impl Pipeline {
    fn new(shared: Arc<Shared>, kind: BlobType) -> Self {
        let config = shared.repo.config();
        let chunker = Chunker::new(config.chunker, shared.repo.master().chunker_seed());
        Self {
            shared,
            kind,
            chunker,
            sealing: VecDeque::new(),
            chunks: Vec::new(),
            size: 0,
        }
    }

    async fn write(&mut self, data: &[u8]) -> Result<(), StoreError> {
        self.size += data.len() as u64;
        let mut ready = Vec::new();
        self.chunker.push(data, |chunk| ready.push(chunk));
        for chunk in ready {
            self.submit(chunk).await?;
        }
        Ok(())
    }

    async fn submit(&mut self, chunk: Vec<u8>) -> Result<(), StoreError> {
        while self.sealing.len() >= self.shared.options.parallelism.max(1) {
            self.complete_one().await?;
        }
        let task = self.shared.seal(self.kind, chunk).await?;
        self.sealing.push_back(task);
        Ok(())
    }

    async fn complete_one(&mut self) -> Result<(), StoreError> {
        let Some(task) = self.sealing.pop_front() else {
            return Ok(());
        };
        let (id, _, blob) = task.await.map_err(|e| StoreError::Task(e.to_string()))?;
        self.chunks.push(id);
        if let Some(blob) = blob {
            self.shared.add(blob).await?;
        }
        Ok(())
    }

    /// Ends the stream; returns the chunk ids in order and the byte count.
    async fn finish(mut self) -> Result<(Vec<ChunkId>, u64), StoreError> {
        let chunker = std::mem::replace(
            &mut self.chunker,
            Chunker::new(self.shared.repo.config().chunker, 0),
        );
        let mut rest = Vec::new();
        chunker.finish(|chunk| rest.push(chunk));
        for chunk in rest {
            self.submit(chunk).await?;
        }
        while !self.sealing.is_empty() {
            self.complete_one().await?;
        }
        Ok((std::mem::take(&mut self.chunks), self.size))
    }
}

/// One backup run being written.
pub struct RunWriter {
    shared: Arc<Shared>,
    list: tokio::sync::Mutex<Option<Pipeline>>,
    run_id: String,
    started: OffsetDateTime,
    labels: BTreeMap<String, String>,
    failed: Mutex<Vec<FailedItem>>,
    items: Mutex<(u64, u64)>,
    lock: LockGuard,
}

impl std::fmt::Debug for RunWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunWriter")
            .field("run_id", &self.run_id)
            .finish_non_exhaustive()
    }
}

impl RunWriter {
    /// Starts a run: takes a run lock, then reloads the index, so that a prune
    /// running meanwhile knows which chunks this run may reuse.
    pub async fn start(
        repo: Arc<Repository>,
        run_id: impl Into<String>,
        labels: BTreeMap<String, String>,
        options: WriteOptions,
    ) -> Result<Self, StoreError> {
        Self::start_at(repo, run_id, labels, options, OffsetDateTime::now_utc()).await
    }

    /// Like [`RunWriter::start`], with the run's start time given by the caller's clock.
    pub async fn start_at(
        repo: Arc<Repository>,
        run_id: impl Into<String>,
        labels: BTreeMap<String, String>,
        options: WriteOptions,
        started: OffsetDateTime,
    ) -> Result<Self, StoreError> {
        let lock = LockGuard::acquire(Arc::clone(&repo), LockKind::Run).await?;
        let damaged = repo.load_index().await?;
        if let Some((id, e)) = damaged.first() {
            tracing::warn!(index = %id, error = %e, "an index file cannot be read; its chunks will be stored again");
        }
        let sealers = options.parallelism.max(1) * 2;
        let shared = Arc::new(Shared {
            repo,
            options,
            packer: Mutex::new(PackBuilder::new()),
            reserved: Mutex::new(HashSet::new()),
            sealing: Arc::new(tokio::sync::Semaphore::new(sealers)),
            unindexed: tokio::sync::Mutex::new(Vec::new()),
            stats: Mutex::new(RunStats::default()),
            orphans: Mutex::new(Vec::new()),
            writing: Mutex::new(VecDeque::new()),
        });
        let list = Pipeline::new(Arc::clone(&shared), BlobType::Meta);
        Ok(Self {
            shared,
            list: tokio::sync::Mutex::new(Some(list)),
            run_id: run_id.into(),
            started,
            labels,
            failed: Mutex::new(Vec::new()),
            items: Mutex::new((0, 0)),
            lock,
        })
    }

    /// The run's id.
    pub fn run_id(&self) -> &str {
        &self.run_id
    }

    /// Starts an item; write its bytes, then [`ItemWriter::finish`].
    pub fn item(&self, info: ItemInfo) -> ItemWriter<'_> {
        ItemWriter {
            run: self,
            info,
            pipeline: Pipeline::new(Arc::clone(&self.shared), BlobType::Data),
        }
    }

    /// Stores a whole item held in memory.
    pub async fn put_item(&self, info: ItemInfo, data: &[u8]) -> Result<ItemRecord, StoreError> {
        let mut item = self.item(info);
        item.write(data).await?;
        item.finish().await
    }

    /// Adds a record to the run's item list: one just written, one unchanged since an
    /// earlier run, or a deletion.
    pub async fn add_record(&self, record: &ItemRecord) -> Result<(), StoreError> {
        {
            let mut items = lock(&self.items);
            items.0 += 1;
            items.1 += record.size;
        }
        let mut list = self.list.lock().await;
        match list.as_mut() {
            Some(pipeline) => pipeline.write(&record.to_line()).await,
            None => Err(StoreError::Invalid("the run is already finished".into())),
        }
    }

    /// Adds records to the item list one after the other, with no other record between them.
    pub async fn add_records(&self, records: &[ItemRecord]) -> Result<(), StoreError> {
        {
            let mut items = lock(&self.items);
            items.0 += records.len() as u64;
            items.1 += records.iter().map(|r| r.size).sum::<u64>();
        }
        let mut list = self.list.lock().await;
        let pipeline = list
            .as_mut()
            .ok_or_else(|| StoreError::Invalid("the run is already finished".into()))?;
        for record in records {
            pipeline.write(&record.to_line()).await?;
        }
        Ok(())
    }

    /// Adds records already encoded as item-list lines ([`ItemRecord::to_line`]) with
    /// their sizes, one after the other, with no other record between them.
    pub async fn add_lines<'a>(
        &self,
        lines: impl IntoIterator<Item = (&'a [u8], u64)>,
    ) -> Result<(), StoreError> {
        let mut list = self.list.lock().await;
        let pipeline = list
            .as_mut()
            .ok_or_else(|| StoreError::Invalid("the run is already finished".into()))?;
        for (line, size) in lines {
            if line.last() != Some(&b'\n') || line[..line.len() - 1].contains(&b'\n') {
                return Err(StoreError::Invalid(
                    "an item-list line must be one record ending with a newline".into(),
                ));
            }
            {
                let mut items = lock(&self.items);
                items.0 += 1;
                items.1 += size;
            }
            pipeline.write(line).await?;
        }
        Ok(())
    }

    /// Records an item that could not be read; the run will end as partial.
    pub fn add_failed(&self, failed: FailedItem) {
        lock(&self.failed).push(failed);
    }

    /// Writes every full and partial pack and their index, so a crash after this
    /// loses nothing already stored. The item list is kept until [`RunWriter::finish`].
    pub async fn checkpoint(&self) -> Result<(), StoreError> {
        self.shared.flush().await
    }

    /// Ends the run: item list, packs, index, then the manifest.
    pub async fn finish(self) -> Result<(ManifestId, Manifest), StoreError> {
        let list = self
            .list
            .lock()
            .await
            .take()
            .ok_or_else(|| StoreError::Invalid("the run is already finished".into()))?;
        let (items, _) = list.finish().await?;
        let orphans = std::mem::take(&mut *lock(&self.shared.orphans));
        for packing in orphans {
            packing
                .await
                .map_err(|e| StoreError::Task(e.to_string()))??;
        }
        self.shared.flush().await?;
        self.shared.repo.settle(&items).await?;
        if self.lock.is_stale() {
            return Err(StoreError::Invalid(
                "the run's lock could not be refreshed for 30 minutes, so a prune may have removed data it reuses; nothing was recorded, run it again".into(),
            ));
        }
        let (count, bytes) = *lock(&self.items);
        let mut stats = lock(&self.shared.stats).clone();
        stats.items = count;
        stats.bytes = bytes;
        let failed = std::mem::take(&mut *lock(&self.failed));
        let manifest = Manifest {
            version: FORMAT_VERSION,
            run_id: self.run_id.clone(),
            started: self.started,
            finished: OffsetDateTime::now_utc(),
            hostname: crate::keys::hostname(),
            labels: self.labels.clone(),
            outcome: if failed.is_empty() {
                RunOutcome::Complete
            } else {
                RunOutcome::Partial
            },
            items,
            stats,
            failed,
        };
        let id = self.shared.repo.write_manifest(&manifest).await?;
        self.lock.release().await?;
        Ok((id, manifest))
    }
}

/// One item being written.
pub struct ItemWriter<'a> {
    run: &'a RunWriter,
    info: ItemInfo,
    pipeline: Pipeline,
}

impl ItemWriter<'_> {
    /// Adds bytes of the item's content.
    pub async fn write(&mut self, data: &[u8]) -> Result<(), StoreError> {
        self.pipeline.write(data).await
    }

    /// Ends the item and adds its record to the run.
    pub async fn finish(self) -> Result<ItemRecord, StoreError> {
        let run = self.run;
        let record = self.finish_unlisted().await?;
        run.add_record(&record).await?;
        Ok(record)
    }

    /// Ends the item without adding its record to the run's item list; the caller
    /// adds it later ([`RunWriter::add_records`]), to keep each resource's records
    /// together and in a stable order, which lets unchanged lists deduplicate.
    pub async fn finish_unlisted(self) -> Result<ItemRecord, StoreError> {
        let (chunks, size) = self.pipeline.finish().await?;
        let hash = self.run.shared.repo.item_hash(&chunks);
        let info = self.info;
        let record = ItemRecord {
            resource: info.resource,
            kind: info.kind,
            id: info.id,
            path: info.path,
            size,
            hash,
            modified: info.modified,
            deleted: None,
            meta: info.meta,
            chunks,
        };
        Ok(record)
    }
}

impl Repository {
    /// Makes sure every chunk a finishing run names is indexed. A prune that started
    /// after this run may have condemned (unindexed) chunks the run reused; their packs
    /// still exist (deletion waits for this run's lock), so they are indexed again.
    pub(crate) async fn settle(&self, item_list: &[ChunkId]) -> Result<(), StoreError> {
        let pending = self.store().list(FileKind::Pending).await?;
        if pending.is_empty() {
            return Ok(()); // nothing condemned: indexed chunks stay indexed
        }
        self.load_index().await?;
        // The item list first (its records can only be read once it is indexed), then
        // the records' chunks: restore what is missing until nothing is.
        for _ in 0..3 {
            let mut missing: HashSet<ChunkId> = item_list
                .iter()
                .filter(|c| !self.index().contains(c))
                .copied()
                .collect();
            if missing.is_empty() {
                let mut records = self.items_from(item_list.to_vec());
                while let Some(record) = records.next().await? {
                    let index = self.index();
                    missing.extend(record.chunks.iter().filter(|c| !index.contains(c)));
                }
            }
            if missing.is_empty() {
                return Ok(());
            }
            let mut restore = Vec::new();
            for file in &pending {
                for pack in self.pending_packs(&file.name).await? {
                    if self.index().has_pack(&pack) {
                        continue;
                    }
                    let Ok(header) = self.read_pack_header(pack).await else {
                        continue;
                    };
                    if header.entries.iter().any(|e| missing.contains(&e.id)) {
                        restore.push(header);
                    }
                }
            }
            if restore.is_empty() {
                return Err(StoreError::Invalid(format!(
                    "{} chunks this run reuses were removed meanwhile; nothing was recorded, run it again",
                    missing.len()
                )));
            }
            for pack in &restore {
                self.index_mut().add_pack(pack);
            }
            self.write_index(&IndexFile {
                supersedes: Vec::new(),
                packs: restore,
            })
            .await?;
        }
        Err(StoreError::Invalid(
            "chunks this run reuses could not all be found; nothing was recorded, run it again"
                .into(),
        ))
    }

    /// The content hash of an item: keyed BLAKE3 over its chunk ids in order.
    pub fn item_hash(&self, chunks: &[ChunkId]) -> String {
        let mut hasher = self.master().content_hasher();
        for id in chunks {
            hasher.update(id.as_bytes());
        }
        hasher.finalize().to_hex().to_string()
    }

    /// Writes a manifest; returns its id.
    pub async fn write_manifest(&self, manifest: &Manifest) -> Result<ManifestId, StoreError> {
        let body = serde_json::to_vec(manifest).map_err(|e| StoreError::Invalid(e.to_string()))?;
        let (id, bytes) = self.seal_file(body, MANIFEST_AAD).await?;
        let id = ManifestId(id);
        self.store()
            .write(FileKind::Manifest, &id.to_hex(), bytes)
            .await?;
        Ok(id)
    }
}
