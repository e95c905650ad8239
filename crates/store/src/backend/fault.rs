//! A layer that makes a store stop at a chosen point, as if the process died there.
//! Tests use it to crash writers and prunes between any two changes.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use async_trait::async_trait;
use bytes::Bytes;

use super::{BackendError, BlobStore, FileInfo, FileKind};

/// Passes through a number of changes (writes and deletes), then refuses everything.
#[derive(Debug, Clone)]
pub struct CrashAfter {
    inner: Arc<dyn BlobStore>,
    left: Arc<AtomicUsize>,
    dead: Arc<AtomicBool>,
}

impl CrashAfter {
    /// Lets `changes` writes and deletes through, then fails every operation.
    pub fn new(inner: Arc<dyn BlobStore>, changes: usize) -> Self {
        Self {
            inner,
            left: Arc::new(AtomicUsize::new(changes)),
            dead: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Whether a change was refused: the process is dead from then on.
    pub fn crashed(&self) -> bool {
        self.dead.load(Ordering::SeqCst)
    }

    /// Changes still allowed before the crash.
    pub fn remaining(&self) -> usize {
        self.left.load(Ordering::SeqCst)
    }

    fn dead(&self) -> BackendError {
        BackendError::Permanent {
            location: self.inner.location(),
            detail: "injected crash".into(),
        }
    }

    fn alive(&self) -> Result<(), BackendError> {
        if self.crashed() {
            Err(self.dead())
        } else {
            Ok(())
        }
    }

    fn take_change(&self) -> Result<(), BackendError> {
        self.alive()?;
        self.left
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .map(|_| ())
            .map_err(|_| {
                self.dead.store(true, Ordering::SeqCst);
                self.dead()
            })
    }
}

#[async_trait]
impl BlobStore for CrashAfter {
    fn location(&self) -> String {
        self.inner.location()
    }

    async fn create(&self) -> Result<(), BackendError> {
        self.alive()?;
        self.inner.create().await
    }

    async fn list(&self, kind: FileKind) -> Result<Vec<FileInfo>, BackendError> {
        self.alive()?;
        self.inner.list(kind).await
    }

    async fn read(&self, kind: FileKind, name: &str) -> Result<Bytes, BackendError> {
        self.alive()?;
        self.inner.read(kind, name).await
    }

    async fn read_range(
        &self,
        kind: FileKind,
        name: &str,
        offset: u64,
        length: u64,
    ) -> Result<Bytes, BackendError> {
        self.alive()?;
        self.inner.read_range(kind, name, offset, length).await
    }

    async fn write(&self, kind: FileKind, name: &str, data: Bytes) -> Result<(), BackendError> {
        self.take_change()?;
        self.inner.write(kind, name, data).await
    }

    async fn write_parts(
        &self,
        kind: FileKind,
        name: &str,
        parts: Vec<Bytes>,
    ) -> Result<(), BackendError> {
        self.take_change()?;
        self.inner.write_parts(kind, name, parts).await
    }

    async fn delete(&self, kind: FileKind, name: &str) -> Result<(), BackendError> {
        self.take_change()?;
        self.inner.delete(kind, name).await
    }
}
