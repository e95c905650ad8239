//! The run an incremental backup builds on: its item records, split by resource.
//!
//! A run lists every item it covers (unchanged ones with the chunks of their earlier
//! version), so the next run needs the previous list. It is read once from the
//! repository and spooled to a local temporary file with byte ranges per resource,
//! so memory holds one resource's records at a time, never the tenant's.

use std::collections::{HashMap, HashSet};
use std::io::SeekFrom;

use store::manifest::FailedItem;
use store::{ItemRecord, Manifest, Repository};
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt, BufWriter};

use crate::error::EngineError;

/// Byte ranges of the spool file, by resource.
type Spans = HashMap<String, Vec<(u64, u64)>>;

/// The previous runs' records of the resources in scope: each resource's from the
/// newest run that backed it up (runs with other scopes — Teams hourly, mail daily —
/// do not hide each other's records).
#[derive(Debug, Default)]
pub struct Baseline {
    /// The run each resource's records come from.
    runs: HashMap<String, String>,
    spool: Option<(tempfile::TempPath, Spans)>,
    failed: HashMap<String, Vec<FailedItem>>,
}

impl Baseline {
    /// No earlier run: everything is read in full.
    pub fn empty() -> Self {
        Baseline::default()
    }

    /// Spools the records of `manifest` that belong to `resources`.
    pub async fn load(
        repo: &Repository,
        manifest: &Manifest,
        resources: &HashSet<String>,
    ) -> Result<Self, EngineError> {
        let mut b = Loader::new(resources).await?;
        b.take(repo, manifest).await?;
        b.finish().await
    }

    /// Spools, for each kind of data in scope (mailboxes, OneDrives, sites, teams,
    /// chats, the directory), the records of the newest of `manifests` (newest first)
    /// that backed that kind up (its `data` label; a run without one covered
    /// everything). So a Teams-only run does not hide the mailboxes from the next
    /// mail run. Manifests that cannot be read are skipped with a warning.
    pub async fn load_runs(
        repo: &Repository,
        manifests: &[store::ManifestId],
        resources: &HashSet<String>,
    ) -> Result<Self, EngineError> {
        let mut b = Loader::new(resources).await?;
        for id in manifests {
            if b.unsettled.is_empty() {
                break;
            }
            match repo.read_manifest(*id).await {
                Ok(m) => b.take(repo, &m).await?,
                Err(e) => {
                    tracing::warn!(manifest = %id, error = %e, "an earlier run cannot be read; what it held is read again");
                }
            }
        }
        b.finish().await
    }

    /// The run `resource`'s records come from: cursors saved by that run continue it.
    pub fn run_for(&self, resource: &str) -> Option<&str> {
        self.runs.get(resource).map(String::as_str)
    }

    /// The live items `resource` had in the previous run, by id.
    pub async fn records(&self, resource: &str) -> Result<Priors, EngineError> {
        let mut out = Priors::default();
        let Some((path, ranges)) = &self.spool else {
            return Ok(out);
        };
        let Some(spans) = ranges.get(resource) else {
            return Ok(out);
        };
        let mut file = tokio::fs::File::open(path)
            .await
            .map_err(EngineError::io("reading the spooled previous run"))?;
        for (start, end) in spans {
            file.seek(SeekFrom::Start(*start))
                .await
                .map_err(EngineError::io("reading the spooled previous run"))?;
            let mut buf = vec![0u8; (end - start) as usize];
            file.read_exact(&mut buf)
                .await
                .map_err(EngineError::io("reading the spooled previous run"))?;
            for line in buf.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
                let record: ItemRecord =
                    serde_json::from_slice(line).map_err(|e| EngineError::Io {
                        what: "reading the spooled previous run".into(),
                        source: std::io::Error::new(std::io::ErrorKind::InvalidData, e),
                    })?;
                out.insert(record, line.to_vec());
            }
        }
        Ok(out)
    }

    /// How much of the previous run's item list `resource` took (bytes of its records), a
    /// measure of its size.
    pub fn weight(&self, resource: &str) -> Option<u64> {
        let (_, ranges) = self.spool.as_ref()?;
        ranges
            .get(resource)
            .map(|spans| spans.iter().map(|(a, b)| b - a).sum())
    }

    /// Items of `resource` the previous run could not read (retried by this one).
    pub fn failed(&self, resource: &str) -> &[FailedItem] {
        self.failed.get(resource).map(Vec::as_slice).unwrap_or(&[])
    }
}

/// The kind of data a resource is, as runs' `data` label names it.
pub fn data_kind(resource: &str) -> &'static str {
    match resource.split_once(':').map(|(p, _)| p) {
        Some("onedrive") => "onedrive",
        Some("site") => "sharepoint",
        Some("team") => "teams",
        Some("chat") => "chats",
        _ if resource == crate::directory::DIRECTORY => "directory",
        _ => "exchange",
    }
}

/// Builds a [`Baseline`] from one or more runs.
struct Loader<'r> {
    resources: &'r HashSet<String>,
    /// Kinds of data in scope not yet taken from a run.
    unsettled: HashSet<&'static str>,
    out: BufWriter<tokio::fs::File>,
    path: tempfile::TempPath,
    ranges: Spans,
    runs: HashMap<String, String>,
    failed: HashMap<String, Vec<FailedItem>>,
    offset: u64,
}

impl<'r> Loader<'r> {
    async fn new(resources: &'r HashSet<String>) -> Result<Self, EngineError> {
        let file = tempfile::NamedTempFile::new().map_err(EngineError::io(
            "creating a temporary file for the previous run",
        ))?;
        let (std_file, path) = file.into_parts();
        Ok(Loader {
            resources,
            unsettled: resources.iter().map(|r| data_kind(r)).collect(),
            out: BufWriter::new(tokio::fs::File::from_std(std_file)),
            path,
            ranges: HashMap::new(),
            runs: HashMap::new(),
            failed: HashMap::new(),
            offset: 0,
        })
    }

    /// Takes the records of the kinds of data still unsettled that `manifest` covers.
    async fn take(&mut self, repo: &Repository, manifest: &Manifest) -> Result<(), EngineError> {
        let covered: HashSet<&'static str> = match manifest.labels.get("data") {
            Some(list) => self
                .unsettled
                .iter()
                .copied()
                .filter(|k| list.split(',').any(|d| d == *k))
                .collect(),
            None => self.unsettled.clone(),
        };
        if covered.is_empty() {
            return Ok(());
        }
        let mut items = repo.items(manifest);
        while let Some(record) = items.next().await? {
            if !self.resources.contains(&record.resource)
                || !covered.contains(data_kind(&record.resource))
            {
                continue;
            }
            self.runs
                .entry(record.resource.clone())
                .or_insert_with(|| manifest.run_id.clone());
            if record.deleted.is_some() {
                continue;
            }
            let line = record.to_line();
            self.out
                .write_all(&line)
                .await
                .map_err(EngineError::io("spooling the previous run"))?;
            let end = self.offset + line.len() as u64;
            let spans = self.ranges.entry(record.resource).or_default();
            match spans.last_mut() {
                Some(last) if last.1 == self.offset => last.1 = end,
                _ => spans.push((self.offset, end)),
            }
            self.offset = end;
        }
        for f in &manifest.failed {
            if covered.contains(data_kind(&f.resource)) && self.resources.contains(&f.resource) {
                self.runs
                    .entry(f.resource.clone())
                    .or_insert_with(|| manifest.run_id.clone());
                self.failed
                    .entry(f.resource.clone())
                    .or_default()
                    .push(f.clone());
            }
        }
        self.unsettled.retain(|k| !covered.contains(k));
        Ok(())
    }

    async fn finish(mut self) -> Result<Baseline, EngineError> {
        self.out
            .flush()
            .await
            .map_err(EngineError::io("spooling the previous run"))?;
        Ok(Baseline {
            runs: self.runs,
            spool: Some((self.path, self.ranges)),
            failed: self.failed,
        })
    }
}

/// One item of the previous run: what deciding about it needs, and its record as the
/// item list holds it (parsed only when it is listed again), so that a mailbox of tens
/// of thousands of items costs a few hundred bytes an item.
#[derive(Debug, Clone)]
pub struct Prior {
    /// The item kind.
    pub kind: String,
    /// Its id.
    pub id: String,
    /// Its folder's id (`meta.parentFolderId`, `meta.parentReference.id`).
    pub folder: Option<String>,
    /// Its version (`meta.changeKey`, a file's `cTag`, a list item's `eTag`).
    pub change_key: Option<String>,
    /// The drive or list it is in (`meta.parentReference.driveId`, `meta.listId`).
    pub container: Option<String>,
    /// Its content's chunks.
    pub chunks: Vec<store::ChunkId>,
    line: Vec<u8>,
}

impl Prior {
    /// Whether it is the version `change_key` names (no change key: cannot tell, so no).
    pub fn is_version(&self, change_key: Option<&str>) -> bool {
        matches!((change_key, self.change_key.as_deref()), (Some(a), Some(b)) if a == b)
    }

    /// The whole record.
    pub fn record(&self) -> Option<ItemRecord> {
        serde_json::from_slice(&self.line).ok()
    }
}

/// The previous run's items of one resource, by id.
#[derive(Debug, Default)]
pub struct Priors {
    by_id: HashMap<String, Prior>,
}

impl Priors {
    fn insert(&mut self, record: ItemRecord, line: Vec<u8>) {
        let s = |k: &str| {
            record
                .meta
                .get(k)
                .and_then(serde_json::Value::as_str)
                .map(str::to_owned)
        };
        let parent = |k: &str| {
            record
                .meta
                .get("parentReference")
                .and_then(|p| p.get(k))
                .and_then(serde_json::Value::as_str)
                .map(str::to_owned)
        };
        let prior = Prior {
            folder: s("parentFolderId").or_else(|| parent("id")),
            change_key: crate::checkpoint::version_key(&record.meta).map(str::to_owned),
            container: parent("driveId").or_else(|| s("listId")),
            kind: record.kind,
            id: record.id.clone(),
            chunks: record.chunks,
            line,
        };
        self.by_id.insert(record.id, prior);
    }

    /// The item `id`.
    pub fn get(&self, id: &str) -> Option<&Prior> {
        self.by_id.get(id)
    }

    /// Takes item `id` out, as its whole record.
    pub fn remove(&mut self, id: &str) -> Option<ItemRecord> {
        self.by_id.remove(id).and_then(|p| p.record())
    }

    /// Every item left.
    pub fn values(&self) -> impl Iterator<Item = &Prior> {
        self.by_id.values()
    }

    /// Takes out the items `keep` accepts, as whole records.
    pub fn take_where(&mut self, keep: impl Fn(&Prior) -> bool) -> Vec<ItemRecord> {
        let ids: Vec<String> = self
            .by_id
            .values()
            .filter(|p| keep(p))
            .map(|p| p.id.clone())
            .collect();
        ids.iter().filter_map(|id| self.remove(id)).collect()
    }
}
