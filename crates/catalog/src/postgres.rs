//! The catalog in a PostgreSQL database: one catalog shared by several servers.

use std::fmt;
use std::time::Duration;

use sqlx::{Connection as _, PgConnection, PgPool};

use crate::error::CatalogError;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

/// How long to wait for a connection (new or from the pool) before a retryable error.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(15);
/// Connections in the pool.
const MAX_CONNECTIONS: u32 = 10;

/// A catalog stored in PostgreSQL. Its `Debug` output shows the location without password.
pub struct PgCatalog {
    pool: PgPool,
    location: String,
}

impl fmt::Debug for PgCatalog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PgCatalog")
            .field("location", &self.location)
            .finish_non_exhaustive()
    }
}

impl PgCatalog {
    /// Connects to the database at `url` (`postgres://…` or `postgresql://…`; an `options`
    /// parameter such as `-c search_path=…` is honoured) and brings its schema up to date.
    pub async fn connect(url: &str) -> Result<Self, CatalogError> {
        match crate::location::parse(url)? {
            crate::location::Location::Postgres(options) => {
                Self::connect_with(*options, crate::location::redact(url)).await
            }
            crate::location::Location::Sqlite(_) => Err(CatalogError::InvalidLocation {
                location: crate::location::redact(url),
                reason: "it is not a postgres:// URL".into(),
            }),
        }
    }

    /// Connects with parsed options; `location` is what errors show (already redacted).
    pub(crate) async fn connect_with(
        options: PgConnectOptions,
        location: String,
    ) -> Result<Self, CatalogError> {
        let connect_error = |source| CatalogError::Connect {
            location: location.clone(),
            hint: "check that PostgreSQL is running and the URL is right",
            source,
        };
        // One connection first, so that a wrong URL fails at once instead of after the
        // pool's acquire timeout of retries.
        let first = tokio::time::timeout(ACQUIRE_TIMEOUT, PgConnection::connect_with(&options))
            .await
            .map_err(|_| {
                connect_error(sqlx::Error::Io(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    format!("no answer within {} s", ACQUIRE_TIMEOUT.as_secs()),
                )))
            })?
            .map_err(connect_error)?;
        if let Err(e) = first.close().await {
            tracing::debug!(error = %e, "closing the first catalog connection failed");
        }
        let pool = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_lazy_with(options);
        sqlx::migrate!("./migrations/postgres")
            .run(&pool)
            .await
            .map_err(|source| CatalogError::Migrate {
                location: location.clone(),
                source,
            })?;
        tracing::debug!(%location, "opened the PostgreSQL catalog");
        Ok(PgCatalog { pool, location })
    }
}

crate::shared::impl_catalog!(
    PgCatalog,
    sqlx::Postgres,
    Backend::Postgres,
    "BEGIN",
    crate::filters::Placeholders::Numbered
);
