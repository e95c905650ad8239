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

/// The previous run's records of the resources in scope.
#[derive(Debug, Default)]
pub struct Baseline {
    /// The run, when there is one.
    pub run_id: Option<String>,
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
        let file = tempfile::NamedTempFile::new().map_err(EngineError::io(
            "creating a temporary file for the previous run",
        ))?;
        let (std_file, path) = file.into_parts();
        let mut out = BufWriter::new(tokio::fs::File::from_std(std_file));
        let mut ranges: HashMap<String, Vec<(u64, u64)>> = HashMap::new();
        let mut offset = 0u64;
        let mut items = repo.items(manifest);
        while let Some(record) = items.next().await? {
            if record.deleted.is_some() || !resources.contains(&record.resource) {
                continue;
            }
            let line = record.to_line();
            out.write_all(&line)
                .await
                .map_err(EngineError::io("spooling the previous run"))?;
            let end = offset + line.len() as u64;
            let spans = ranges.entry(record.resource).or_default();
            match spans.last_mut() {
                Some(last) if last.1 == offset => last.1 = end,
                _ => spans.push((offset, end)),
            }
            offset = end;
        }
        out.flush()
            .await
            .map_err(EngineError::io("spooling the previous run"))?;
        let mut failed: HashMap<String, Vec<FailedItem>> = HashMap::new();
        for f in &manifest.failed {
            failed
                .entry(f.resource.clone())
                .or_default()
                .push(f.clone());
        }
        Ok(Baseline {
            run_id: Some(manifest.run_id.clone()),
            spool: Some((path, ranges)),
            failed,
        })
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
