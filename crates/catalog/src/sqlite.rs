//! The catalog in an SQLite file: the embedded default.

use std::fmt;
use std::path::Path;
use std::time::Duration;

use sqlx::SqlitePool;

use crate::error::CatalogError;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

/// How long a statement waits for another connection's write lock before failing with a
/// retryable "database is locked" error.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections in the pool: readers run in parallel under WAL; writers take turns.
const MAX_CONNECTIONS: u32 = 4;

/// A catalog stored in an SQLite file (WAL mode, foreign keys on, busy timeout).
pub struct SqliteCatalog {
    pool: SqlitePool,
    location: String,
}

impl fmt::Debug for SqliteCatalog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteCatalog")
            .field("location", &self.location)
            .finish_non_exhaustive()
    }
}

impl SqliteCatalog {
    /// Opens the catalog file at `path`, creating it (and its directory) if missing, and
    /// brings its schema up to date. A new file is readable by its owner only (SQLite gives
    /// its `-wal` and `-shm` files the same mode).
    pub async fn open(path: &Path) -> Result<Self, CatalogError> {
        let location = path.display().to_string();
        let connect_error = |source| CatalogError::Connect {
            location: location.clone(),
            hint: "check that the directory exists and is writable, and that no other \
                   program holds the file",
            source,
        };
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            tokio::fs::create_dir_all(parent)
                .await
                .map_err(|e| connect_error(sqlx::Error::Io(e)))?;
        }
        create_private(path)
            .await
            .map_err(|e| connect_error(sqlx::Error::Io(e)))?;
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT);
        let pool = SqlitePoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .connect_with(options)
            .await
            .map_err(connect_error)?;
        sqlx::migrate!("./migrations/sqlite")
            .run(&pool)
            .await
            .map_err(|source| CatalogError::Migrate {
                location: location.clone(),
                source,
            })?;
        tracing::debug!(%location, "opened the SQLite catalog");
        Ok(SqliteCatalog { pool, location })
    }
}

/// Creates an empty file at `path` with mode `0600` (on Unix) if there is none; SQLite
/// treats an empty file as a new database.
async fn create_private(path: &Path) -> std::io::Result<()> {
    let mut options = tokio::fs::OpenOptions::new();
    options.append(true).create(true);
    #[cfg(unix)]
    options.mode(0o600);
    options.open(path).await.map(drop)
}

// SQLite lets a deferred transaction that later writes fail at once with SQLITE_BUSY;
// `BEGIN IMMEDIATE` takes the write lock up front and waits for it (busy timeout).
crate::shared::impl_catalog!(
    SqliteCatalog,
    sqlx::Sqlite,
    Backend::Sqlite,
    "BEGIN IMMEDIATE",
    crate::filters::Placeholders::Anonymous
);
