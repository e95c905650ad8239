//! What can stop a backup, restore or export as a whole. Failures of single items
//! are not errors: they are recorded in the run and retried by the next one.

use catalog::CatalogError;
use graph::GraphError;
use store::StoreError;

/// Why an operation could not be carried out.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// Microsoft Graph refused or could not be reached.
    #[error(transparent)]
    Graph(#[from] GraphError),
    /// The repository failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The catalog failed.
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    /// The catalog and the repository disagree.
    #[error(transparent)]
    Sync(#[from] catalog::sync::SyncError),
    /// What to back up or restore could not be worked out.
    #[error("{0}")]
    Scope(String),
    /// A run, item or path that was asked for does not exist.
    #[error("{0}")]
    NotFound(String),
    /// Local files (spool, export) could not be written or read.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// Why it failed.
        source: std::io::Error,
    },
    /// A backup run could not be completed; the next `backup run` resumes it.
    #[error("run {run_id} failed and will be resumed by the next backup run: {source}")]
    RunFailed {
        /// The run.
        run_id: String,
        /// Why.
        source: Box<EngineError>,
    },
    /// A background task failed.
    #[error("a backup task failed: {0}")]
    Task(String),
}

impl EngineError {
    /// An I/O error while doing `what`.
    pub fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> EngineError {
        let what = what.into();
        move |source| EngineError::Io { what, source }
    }
}
