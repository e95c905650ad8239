//! The store's errors: what failed and what to do about it.

use crate::backend::{BackendError, FileKind};
use crate::id::ChunkId;

/// A repository operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The storage failed.
    #[error(transparent)]
    Backend(#[from] BackendError),
    /// There is no repository at the location.
    #[error(
        "there is no m365vault repository at {location}: create one with `m365vault repo init --repo {location}`, or check --repo"
    )]
    NoRepository {
        /// The location.
        location: String,
    },
    /// `init` found a repository already there.
    #[error("a repository already exists at {location}; nothing was changed")]
    AlreadyExists {
        /// The location.
        location: String,
    },
    /// No key opens with the passphrase.
    #[error(
        "the passphrase does not open the repository at {location} (tried {keys} keys); check M365VAULT_PASSPHRASE or --passphrase-file"
    )]
    WrongPassphrase {
        /// The location.
        location: String,
        /// How many key files were tried.
        keys: usize,
    },
    /// A file is damaged or was written by something else.
    #[error(
        "{kind} file {name} is damaged: {detail}; run `m365vault repo check --read-data` to see what it affects"
    )]
    Damaged {
        /// Kind of file.
        kind: FileKind,
        /// Its name.
        name: String,
        /// What is wrong.
        detail: String,
    },
    /// A chunk an item needs is not in any index.
    #[error(
        "chunk {0} is not in the repository's index; run `m365vault repo check` to see which items are affected"
    )]
    MissingChunk(ChunkId),
    /// An item's content does not match its recorded hash.
    #[error(
        "item {resource}/{id} does not match its recorded hash; the repository is damaged, run `m365vault repo check --read-data`"
    )]
    ItemHashMismatch {
        /// Its resource.
        resource: String,
        /// Its id.
        id: String,
    },
    /// Removing the key would leave the repository unopenable.
    #[error(
        "key {0} is the repository's only key; add another passphrase first (`m365vault repo passphrase add`)"
    )]
    LastKey(String),
    /// The key to remove does not exist.
    #[error(
        "there is no key {0} in this repository; `m365vault repo passphrase list` shows the keys"
    )]
    NoSuchKey(String),
    /// The key to remove is the one in use.
    #[error(
        "key {0} is the one this passphrase opened; open the repository with another passphrase to remove it"
    )]
    KeyInUse(String),
    /// The repository was written by a newer m365vault.
    #[error(
        "the repository uses format version {0}, which this m365vault does not know; upgrade m365vault"
    )]
    UnsupportedVersion(u32),
    /// Another process holds an exclusive lock.
    #[error(
        "the repository is locked by {holder}; if that process is gone, the lock expires {expires}"
    )]
    Locked {
        /// Who holds it.
        holder: String,
        /// When it goes stale.
        expires: String,
    },
    /// Bad options.
    #[error("{0}")]
    Invalid(String),
    /// A blocking task failed (a panic).
    #[error("an internal task failed: {0}")]
    Task(String),
}

impl StoreError {
    /// Whether retrying may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            StoreError::Backend(e) => e.is_retryable(),
            StoreError::Locked { .. } => true,
            _ => false,
        }
    }

    pub(crate) fn damaged(kind: FileKind, name: &str, detail: impl ToString) -> Self {
        StoreError::Damaged {
            kind,
            name: name.to_owned(),
            detail: detail.to_string(),
        }
    }
}

/// Runs CPU-heavy work off the async runtime.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| StoreError::Task(e.to_string()))
}
