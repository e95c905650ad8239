//! The m365vault repository: items (byte streams with metadata) split into
//! content-defined chunks, deduplicated by keyed BLAKE3 ids, compressed with zstd,
//! sealed with XChaCha20-Poly1305 and packed into pack files, on a local folder, S3
//! or Azure Blob. The byte layout is specified in `docs/repository-format.md`.
//!
//! - [`backend`]: the [`BlobStore`] trait and its implementations.
//! - [`crypto`], [`keys`]: the master key and the passphrases that unwrap it.
//! - [`chunker`], [`pack`], [`index`], [`manifest`]: the formats.
//! - [`repo`]: opening a repository and reading it; [`writer`]: writing a run.
//! - [`check`]: verifying it.

pub mod backend;
pub mod check;
pub mod chunker;
mod codec;
pub mod crypto;
pub mod error;
pub mod id;
pub mod index;
pub mod keys;
pub mod lock;
pub mod manifest;
pub mod pack;
pub mod prune;
pub mod repo;
pub mod retention;
pub mod stats;
pub mod writer;

pub use backend::{BlobStore, FileKind, Location};
pub use check::{CheckOptions, CheckReport, check};
pub use codec::FormatError;
pub use error::StoreError;
pub use id::{ChunkId, IndexId, KeyId, ManifestId, PackId, RepoId};
pub use manifest::{ItemRecord, Manifest, RunOutcome};
pub use repo::{Config, InitOptions, Repository};
pub use writer::{ItemInfo, ItemWriter, RunWriter, WriteOptions};

/// How many blocking threads a runtime that writes repositories should allow: hashing,
/// compression and encryption gain nothing from more threads than a few per core, and
/// every extra thread lets the allocator keep more freed multi-MiB buffers (measured:
/// peak RSS 230 MB with tokio's default of 512 threads, 150 MB with 8; README, Performance).
pub fn blocking_threads() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        * 4
}
