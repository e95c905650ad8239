//! Where repository files live: a small trait keyed by (kind, name), and its
//! implementations for a local folder, S3, Azure Blob and memory.
//!
//! Every implementation MUST make a written file visible whole or not at all, MUST
//! treat deleting a missing file as success, and MUST list only complete files.

pub mod fault;
pub mod fs;
pub mod location;
pub mod memory;
pub mod object;
pub mod object_lock;

use std::fmt;

use async_trait::async_trait;
use bytes::Bytes;

pub use location::{AzblobOptions, Location, LocationError, S3Options};

/// The kinds of files in a repository, each in its own folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FileKind {
    /// `config`: the repository's encrypted settings (one file, named `config`).
    Config,
    /// `keys/`: the master key wrapped by each passphrase.
    Key,
    /// `packs/xx/`: chunks packed together.
    Pack,
    /// `index/`: which chunk is in which pack.
    Index,
    /// `manifests/`: one per run.
    Manifest,
    /// `locks/`: runs and prunes in progress.
    Lock,
    /// `pending/`: packs a prune condemned, deleted by a later prune.
    Pending,
}

impl FileKind {
    /// Every kind, in the order `check` reads them.
    pub const ALL: [FileKind; 7] = [
        FileKind::Config,
        FileKind::Key,
        FileKind::Lock,
        FileKind::Pending,
        FileKind::Index,
        FileKind::Manifest,
        FileKind::Pack,
    ];

    /// The folder of this kind of file (empty for `config`).
    pub fn dir(self) -> &'static str {
        match self {
            FileKind::Config => "",
            FileKind::Key => "keys",
            FileKind::Pack => "packs",
            FileKind::Index => "index",
            FileKind::Manifest => "manifests",
            FileKind::Lock => "locks",
            FileKind::Pending => "pending",
        }
    }

    /// The path of a file of this kind relative to the repository root.
    /// Packs are spread over 256 folders by the first two hex digits of their name.
    pub fn path(self, name: &str) -> String {
        match self {
            FileKind::Config => "config".to_owned(),
            FileKind::Pack => format!("packs/{}/{name}", name.get(..2).unwrap_or("00")),
            _ => format!("{}/{name}", self.dir()),
        }
    }
}

impl fmt::Display for FileKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FileKind::Config => "config",
            FileKind::Key => "key",
            FileKind::Pack => "pack",
            FileKind::Index => "index",
            FileKind::Manifest => "manifest",
            FileKind::Lock => "lock",
            FileKind::Pending => "pending",
        })
    }
}

/// A file as listed: its name and size in bytes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct FileInfo {
    /// The file's name (an id in hex, or `config`).
    pub name: String,
    /// Its size in bytes.
    pub size: u64,
}

/// A storage failure, classified for retry layers.
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    /// The file does not exist.
    #[error("{kind} file {name} does not exist in {location}")]
    NotFound {
        /// Kind of file.
        kind: FileKind,
        /// Its name.
        name: String,
        /// The repository location (no secrets).
        location: String,
    },
    /// The name is not one the repository uses (guards against path tricks).
    #[error("{0:?} is not a valid repository file name")]
    BadName(String),
    /// Access was refused: credentials or permissions are wrong.
    #[error(
        "access to {location} was refused: {detail}; check the credentials and their permissions"
    )]
    Denied {
        /// The repository location (no secrets).
        location: String,
        /// What the service said.
        detail: String,
    },
    /// The backend failed in a way that may pass on retry (network, 5xx, throttling).
    #[error("storage at {location} failed, temporarily: {detail}")]
    Transient {
        /// The repository location (no secrets).
        location: String,
        /// What failed.
        detail: String,
    },
    /// The file is under S3 Object Lock and cannot be deleted yet.
    #[error("{kind} file {name} is under object lock until {until}; it can be deleted after that")]
    Locked {
        /// Kind of file.
        kind: FileKind,
        /// Its name.
        name: String,
        /// When the retention ends (RFC 3339).
        until: String,
    },
    /// The backend failed and retrying will not help.
    #[error("storage at {location} failed: {detail}")]
    Permanent {
        /// The repository location (no secrets).
        location: String,
        /// What failed.
        detail: String,
    },
}

impl BackendError {
    /// Whether retrying the same operation may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, BackendError::Transient { .. })
    }

    /// Whether the file is locked against deletion.
    pub fn is_locked(&self) -> bool {
        matches!(self, BackendError::Locked { .. })
    }

    /// Whether the file was missing.
    pub fn is_not_found(&self) -> bool {
        matches!(self, BackendError::NotFound { .. })
    }
}

/// Checks that a file name is one the repository writes: `config`, or lowercase hex.
pub fn check_name(kind: FileKind, name: &str) -> Result<(), BackendError> {
    let ok = match kind {
        FileKind::Config => name == "config",
        _ => {
            !name.is_empty()
                && name.len() <= 128
                && name
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        }
    };
    if ok {
        Ok(())
    } else {
        Err(BackendError::BadName(name.to_owned()))
    }
}

/// Storage for repository files.
#[async_trait]
pub trait BlobStore: Send + Sync + fmt::Debug {
    /// The location for messages; never contains secrets.
    fn location(&self) -> String;

    /// Prepares the location for a new repository (creates folders; checks a bucket exists).
    async fn create(&self) -> Result<(), BackendError>;

    /// Lists the complete files of one kind.
    async fn list(&self, kind: FileKind) -> Result<Vec<FileInfo>, BackendError>;

    /// Reads a whole file.
    async fn read(&self, kind: FileKind, name: &str) -> Result<Bytes, BackendError>;

    /// Reads `length` bytes from `offset`.
    async fn read_range(
        &self,
        kind: FileKind,
        name: &str,
        offset: u64,
        length: u64,
    ) -> Result<Bytes, BackendError>;

    /// Writes a file; it becomes visible whole or not at all.
    async fn write(&self, kind: FileKind, name: &str, data: Bytes) -> Result<(), BackendError>;

    /// Writes a file given in parts, one after the other, like [`BlobStore::write`].
    /// Backends that can write parts without joining them first should.
    async fn write_parts(
        &self,
        kind: FileKind,
        name: &str,
        parts: Vec<Bytes>,
    ) -> Result<(), BackendError> {
        let data = match <[Bytes; 1]>::try_from(parts) {
            Ok([one]) => one,
            Err(parts) => Bytes::from(parts.concat()),
        };
        self.write(kind, name, data).await
    }

    /// Deletes a file; deleting a missing file succeeds.
    async fn delete(&self, kind: FileKind, name: &str) -> Result<(), BackendError>;
}
