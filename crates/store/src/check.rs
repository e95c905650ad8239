//! `repo check`: the structure (every file readable, every chunk a manifest names
//! indexed, every indexed pack present at its size) and, with `read_data`, every
//! byte (packs hashed, every chunk decrypted and re-hashed). Damage is reported by
//! file, with the items it affects.

use std::collections::{HashMap, HashSet};

use futures::{StreamExt, TryStreamExt};
use serde::Serialize;

use crate::backend::FileKind;
use crate::error::{StoreError, blocking};
use crate::id::{ChunkId, PackId, content_id};
use crate::index::IndexedPack;
use crate::manifest::ItemRecord;
use crate::pack::{open_blob, read_pack_entries};
use crate::repo::Repository;

/// What to check.
#[derive(Debug, Clone, Copy, Default)]
pub struct CheckOptions {
    /// Read this percentage of packs (1–100) and verify every chunk in them.
    pub read_data_percent: Option<u8>,
}

/// A problem found.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Problem {
    /// The kind of file.
    pub kind: String,
    /// The file's name.
    pub name: String,
    /// What is wrong and what to do.
    pub message: String,
    /// Items that cannot be restored because of it (`resource/path (id) in run R`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub affected_items: Vec<String>,
}

/// What `check` found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CheckReport {
    /// Index files read.
    pub index_files: usize,
    /// Packs listed in the store.
    pub packs: usize,
    /// Manifests read.
    pub manifests: usize,
    /// Item records read.
    pub items: u64,
    /// Packs whose every chunk was decrypted and verified.
    pub packs_read: usize,
    /// Damage: the repository cannot restore everything.
    pub errors: Vec<Problem>,
    /// Harmless findings (leftovers of interrupted runs that prune removes).
    pub warnings: Vec<Problem>,
}

impl CheckReport {
    /// Whether nothing is damaged.
    pub fn is_ok(&self) -> bool {
        self.errors.is_empty()
    }

    fn error(&mut self, kind: FileKind, name: &str, message: String) -> usize {
        self.errors.push(Problem {
            kind: kind.to_string(),
            name: name.to_owned(),
            message,
            affected_items: Vec::new(),
        });
        self.errors.len() - 1
    }

    fn warn(&mut self, kind: FileKind, name: &str, message: String) {
        self.warnings.push(Problem {
            kind: kind.to_string(),
            name: name.to_owned(),
            message,
            affected_items: Vec::new(),
        });
    }
}

/// How many affected items a problem lists before it only counts them.
const MAX_LISTED: usize = 50;

fn describe(record: &ItemRecord, run: &str) -> String {
    format!(
        "{}:{} ({}) in run {run}",
        record.resource, record.path, record.id
    )
}

/// Checks the repository.
pub async fn check(repo: &Repository, options: CheckOptions) -> Result<CheckReport, StoreError> {
    let mut report = CheckReport::default();
    let store = repo.store();

    for key in store.list(FileKind::Key).await? {
        let bytes = store.read(FileKind::Key, &key.name).await?;
        if let Err(e) = crate::keys::KeyFile::parse(&bytes) {
            report.error(
                FileKind::Key,
                &key.name,
                format!(
                    "{e}; remove it with `m365vault repo passphrase remove {}`",
                    key.name
                ),
            );
        }
    }

    let damaged_index = repo.load_index().await?;
    report.index_files = store.list(FileKind::Index).await?.len();
    for (id, e) in &damaged_index {
        report.error(
            FileKind::Index,
            &id.to_hex(),
            format!("cannot be read ({e}); the packs it listed are treated as unindexed"),
        );
    }

    // Packs: present, at the size the index expects; unindexed ones explained.
    let listed: HashMap<String, u64> = store
        .list(FileKind::Pack)
        .await?
        .into_iter()
        .map(|f| (f.name, f.size))
        .collect();
    report.packs = listed.len();
    let indexed: Vec<(PackId, u64)> = repo.index().packs().collect();
    let mut missing_packs = HashSet::new();
    for (id, size) in &indexed {
        match listed.get(&id.to_hex()) {
            None => {
                missing_packs.insert(*id);
                report.error(
                    FileKind::Pack,
                    &id.to_hex(),
                    "is in the index but missing from the store".into(),
                );
            }
            Some(actual) if actual != size => {
                missing_packs.insert(*id);
                report.error(
                    FileKind::Pack,
                    &id.to_hex(),
                    format!("has {actual} bytes; the index says {size} (truncated or replaced)"),
                );
            }
            Some(_) => {}
        }
    }
    let indexed_names: HashSet<String> = indexed.iter().map(|(id, _)| id.to_hex()).collect();
    let mut unindexed_chunks: HashMap<ChunkId, String> = HashMap::new();
    for name in listed.keys().filter(|n| !indexed_names.contains(*n)) {
        match read_unindexed(repo, name).await {
            Ok(pack) => {
                for e in &pack.entries {
                    unindexed_chunks.insert(e.id, name.clone());
                }
            }
            Err(e) => report.warn(
                FileKind::Pack,
                name,
                format!(
                    "is not indexed and cannot be read ({e}); `m365vault repo prune` removes it"
                ),
            ),
        }
    }

    // Manifests: every chunk they name must be indexed.
    let mut needed_unindexed: HashMap<String, Vec<String>> = HashMap::new();
    let mut missing_items: Vec<String> = Vec::new();
    let mut missing_count = 0u64;
    for id in repo.list_manifests().await? {
        let manifest = match repo.read_manifest(id).await {
            Ok(m) => m,
            Err(e) => {
                report.error(
                    FileKind::Manifest,
                    &id.to_hex(),
                    format!("cannot be read: {e}; the run it describes cannot be restored"),
                );
                continue;
            }
        };
        report.manifests += 1;
        if let Some(chunk) = manifest.items.iter().find(|c| !repo.index().contains(c)) {
            report.error(
                FileKind::Manifest,
                &id.to_hex(),
                format!(
                    "run {}: its item list needs chunk {chunk}, which is not indexed",
                    manifest.run_id
                ),
            );
            continue;
        }
        let mut items = repo.items(&manifest);
        loop {
            let record = match items.next().await {
                Ok(Some(r)) => r,
                Ok(None) => break,
                Err(e) => {
                    report.error(
                        FileKind::Manifest,
                        &id.to_hex(),
                        format!("run {}: its item list cannot be read: {e}", manifest.run_id),
                    );
                    break;
                }
            };
            report.items += 1;
            let index = repo.index();
            let missing: Vec<&ChunkId> = record
                .chunks
                .iter()
                .filter(|c| !index.contains(c))
                .collect();
            drop(index);
            if missing.is_empty() {
                continue;
            }
            let item = describe(&record, &manifest.run_id);
            match missing.iter().find_map(|c| unindexed_chunks.get(c)) {
                Some(pack) => needed_unindexed.entry(pack.clone()).or_default().push(item),
                None => {
                    missing_count += 1;
                    if missing_items.len() < MAX_LISTED {
                        missing_items.push(item);
                    }
                }
            }
        }
    }
    for name in listed.keys().filter(|n| !indexed_names.contains(*n)) {
        match needed_unindexed.remove(name) {
            Some(items) => {
                let i = report.error(
                    FileKind::Pack,
                    name,
                    format!("holds chunks that {} items need but is in no index (an index file was lost); `m365vault repo repair-index` indexes it again", items.len()),
                );
                report.errors[i].affected_items = items.into_iter().take(MAX_LISTED).collect();
            }
            None if unindexed_chunks.values().any(|p| p == name) => report.warn(
                FileKind::Pack,
                name,
                "is not indexed and no run needs it (left by an interrupted run); `m365vault repo prune` removes it".into(),
            ),
            None => {}
        }
    }
    if missing_count > 0 {
        let i = report.error(
            FileKind::Index,
            "",
            format!(
                "{missing_count} items need chunks that are in no pack; they cannot be restored"
            ),
        );
        report.errors[i].affected_items = missing_items;
    }

    if let Some(percent) = options.read_data_percent {
        read_data(repo, percent, &missing_packs, &mut report).await?;
    }
    Ok(report)
}

/// Reads an unindexed pack's header.
async fn read_unindexed(repo: &Repository, name: &str) -> Result<IndexedPack, StoreError> {
    let bytes = repo.store().read(FileKind::Pack, name).await?;
    let id: PackId = name
        .parse()
        .map_err(|e| StoreError::damaged(FileKind::Pack, name, e))?;
    let cipher = repo.cipher().clone();
    let owned = name.to_owned();
    let entries = blocking(move || read_pack_entries(&cipher, &bytes))
        .await?
        .map_err(|e| StoreError::damaged(FileKind::Pack, &owned, e))?;
    Ok(IndexedPack { id, entries })
}

/// Reads packs whole and verifies every chunk; names the items each damaged pack affects.
async fn read_data(
    repo: &Repository,
    percent: u8,
    skip: &HashSet<PackId>,
    report: &mut CheckReport,
) -> Result<(), StoreError> {
    let percent = percent.clamp(1, 100) as usize;
    let mut by_pack: HashMap<PackId, Vec<crate::pack::PackEntry>> = HashMap::new();
    for (_, pack, entry) in repo.index().chunks() {
        by_pack.entry(pack).or_default().push(entry);
    }
    let mut packs: Vec<PackId> = by_pack
        .keys()
        .filter(|p| !skip.contains(p))
        .copied()
        .collect();
    packs.sort();
    if percent < 100 {
        use rand::seq::SliceRandom;
        packs.shuffle(&mut rand::rng());
        packs.truncate((packs.len() * percent).div_ceil(100));
    }
    let results: Vec<(PackId, Option<Damage>)> =
        futures::stream::iter(packs.into_iter().map(|pack| {
            let expected = by_pack.remove(&pack).unwrap_or_default();
            async move { Ok::<_, StoreError>((pack, verify_pack(repo, pack, expected).await?)) }
        }))
        .buffer_unordered(2)
        .try_collect()
        .await?;
    // Damaged chunk → the problem that reports it.
    let mut damaged: HashMap<ChunkId, usize> = HashMap::new();
    for (pack, result) in results {
        report.packs_read += 1;
        let Some(damage) = result else { continue };
        let i = report.error(
            FileKind::Pack,
            &pack.to_hex(),
            format!("is damaged: {}", damage.detail),
        );
        let chunks: Vec<ChunkId> = match damage.chunks {
            Some(chunks) => chunks,
            None => repo
                .index()
                .chunks()
                .filter(|(_, p, _)| *p == pack)
                .map(|(c, _, _)| c)
                .collect(),
        };
        damaged.extend(chunks.into_iter().map(|c| (c, i)));
    }
    if damaged.is_empty() {
        return Ok(());
    }
    // Which items need the damaged chunks.
    for id in repo.list_manifests().await? {
        let Ok(manifest) = repo.read_manifest(id).await else {
            continue;
        };
        let mut items = repo.items(&manifest);
        while let Ok(Some(record)) = items.next().await {
            let hit: HashSet<usize> = record
                .chunks
                .iter()
                .filter_map(|c| damaged.get(c))
                .copied()
                .collect();
            for i in hit {
                let problem = &mut report.errors[i];
                if problem.affected_items.len() < MAX_LISTED {
                    problem
                        .affected_items
                        .push(describe(&record, &manifest.run_id));
                }
            }
        }
    }
    Ok(())
}

/// What is wrong with a pack.
struct Damage {
    detail: String,
    /// The damaged chunks; `None` when the whole pack is unusable.
    chunks: Option<Vec<ChunkId>>,
}

impl Damage {
    fn whole(detail: impl Into<String>) -> Option<Self> {
        Some(Self {
            detail: detail.into(),
            chunks: None,
        })
    }
}

/// Verifies one pack: every chunk opens and matches its id, the header matches the index.
async fn verify_pack(
    repo: &Repository,
    pack: PackId,
    mut expected: Vec<crate::pack::PackEntry>,
) -> Result<Option<Damage>, StoreError> {
    let bytes = match repo.store().read(FileKind::Pack, &pack.to_hex()).await {
        Ok(b) => b,
        Err(e) if e.is_not_found() => return Ok(Damage::whole("missing")),
        Err(e) => return Err(e.into()),
    };
    let cipher = repo.cipher().clone();
    let master = repo.master().clone();
    blocking(move || {
        // Check every indexed chunk first: a changed byte damages one chunk, not the pack.
        let mut bad = Vec::new();
        let mut details = Vec::new();
        for entry in &expected {
            let (start, end) = (
                entry.offset as usize,
                entry.offset as usize + entry.length as usize,
            );
            let result = match bytes.get(start..end) {
                Some(sealed) => open_blob(&cipher, |p| master.chunk_id(p), entry, sealed)
                    .map(|_| ())
                    .map_err(|e| e.to_string()),
                None => Err("past the end of the pack".to_owned()),
            };
            if let Err(e) = result {
                bad.push(entry.id);
                details.push(format!("chunk {}: {e}", entry.id.short()));
            }
        }
        let header = match read_pack_entries(&cipher, &bytes) {
            Ok(mut entries) => {
                entries.sort_by_key(|e| e.offset);
                expected.sort_by_key(|e| e.offset);
                if expected.iter().any(|e| !entries.contains(e)) {
                    Some("its header does not match the index".to_owned())
                } else {
                    None
                }
            }
            Err(e) => Some(format!("its header cannot be read ({e})")),
        };
        if content_id(&bytes) != pack.0 && bad.is_empty() && header.is_none() {
            details
                .push("its content does not match its name, though every chunk reads".to_owned());
        }
        details.extend(header);
        if details.is_empty() {
            return None;
        }
        let chunks = if bad.is_empty() { None } else { Some(bad) };
        Some(Damage {
            detail: details.join("; "),
            chunks,
        })
    })
    .await
}
