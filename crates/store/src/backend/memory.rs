//! A repository in memory, for tests.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use bytes::Bytes;

use super::{BackendError, BlobStore, FileInfo, FileKind, check_name};

/// A repository held in memory; clones share the same files.
#[derive(Debug, Clone, Default)]
pub struct MemoryStore {
    files: Arc<Mutex<BTreeMap<(FileKind, String), Bytes>>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn files(&self) -> MutexGuard<'_, BTreeMap<(FileKind, String), Bytes>> {
        // A panic while holding this lock cannot leave the map half-changed.
        self.files
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Replaces a file's bytes directly (tests use it to damage a repository).
    pub fn put_raw(&self, kind: FileKind, name: &str, data: Bytes) {
        self.files().insert((kind, name.to_owned()), data);
    }

    fn not_found(&self, kind: FileKind, name: &str) -> BackendError {
        BackendError::NotFound {
            kind,
            name: name.to_owned(),
            location: self.location(),
        }
    }
}

#[async_trait]
impl BlobStore for MemoryStore {
    fn location(&self) -> String {
        "memory".to_owned()
    }

    async fn create(&self) -> Result<(), BackendError> {
        Ok(())
    }

    async fn list(&self, kind: FileKind) -> Result<Vec<FileInfo>, BackendError> {
        Ok(self
            .files()
            .iter()
            .filter(|((k, _), _)| *k == kind)
            .map(|((_, name), data)| FileInfo {
                name: name.clone(),
                size: data.len() as u64,
            })
            .collect())
    }

    async fn read(&self, kind: FileKind, name: &str) -> Result<Bytes, BackendError> {
        check_name(kind, name)?;
        self.files()
            .get(&(kind, name.to_owned()))
            .cloned()
            .ok_or_else(|| self.not_found(kind, name))
    }

    async fn read_range(
        &self,
        kind: FileKind,
        name: &str,
        offset: u64,
        length: u64,
    ) -> Result<Bytes, BackendError> {
        let data = self.read(kind, name).await?;
        let start = usize::try_from(offset).unwrap_or(usize::MAX);
        let end = start.saturating_add(usize::try_from(length).unwrap_or(usize::MAX));
        if end > data.len() {
            return Err(BackendError::Permanent {
                location: self.location(),
                detail: format!(
                    "{kind} {name}: range {offset}+{length} is past the end ({} bytes)",
                    data.len()
                ),
            });
        }
        Ok(data.slice(start..end))
    }

    async fn write(&self, kind: FileKind, name: &str, data: Bytes) -> Result<(), BackendError> {
        check_name(kind, name)?;
        self.files().insert((kind, name.to_owned()), data);
        Ok(())
    }

    async fn delete(&self, kind: FileKind, name: &str) -> Result<(), BackendError> {
        check_name(kind, name)?;
        self.files().remove(&(kind, name.to_owned()));
        Ok(())
    }
}
