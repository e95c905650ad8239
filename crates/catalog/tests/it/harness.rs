//! Fresh catalogs for the conformance suite: an SQLite file in a temporary directory, or
//! a PostgreSQL schema of its own (so tests run in parallel) that is dropped afterwards.

use std::future::Future;
use std::sync::Arc;

use m365vault_catalog::{Catalog, open, redact};
use std::time::Duration;

use sqlx::{Connection as _, PgConnection};
use time::OffsetDateTime;

/// The PostgreSQL server the tests use, unless `M365VAULT_TEST_POSTGRES` names another.
pub const DEFAULT_POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/test";

/// The base PostgreSQL URL for tests.
pub fn postgres_url() -> String {
    std::env::var("M365VAULT_TEST_POSTGRES").unwrap_or_else(|_| DEFAULT_POSTGRES.to_owned())
}

/// `base` with `search_path` set to `schema`, the way `open` receives it.
pub fn with_search_path(base: &str, schema: &str) -> String {
    let sep = if base.contains('?') { '&' } else { '?' };
    format!("{base}{sep}options=-c%20search_path%3D{schema}")
}

/// A catalog location ready for a test, and what to remove afterwards.
pub struct Place {
    /// What to pass to `open`.
    pub location: String,
    _dir: Option<tempfile::TempDir>,
    schema: Option<(PgConnection, String)>,
}

impl Place {
    /// A new SQLite file location.
    pub fn sqlite() -> Place {
        let dir = tempfile::tempdir().expect("create a temporary directory");
        let location = dir.path().join("catalog.db").display().to_string();
        Place {
            location,
            _dir: Some(dir),
            schema: None,
        }
    }

    /// A new, empty PostgreSQL schema. Panics (the test fails) if PostgreSQL is down.
    pub async fn postgres() -> Place {
        let base = postgres_url();
        let connect = PgConnection::connect(&base);
        let connected = tokio::time::timeout(Duration::from_secs(10), connect).await;
        let mut admin = match connected {
            Ok(Ok(connection)) => connection,
            Ok(Err(e)) => panic!(
                "PostgreSQL is not reachable at {}: {e}. Start it with \
                 `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start` \
                 (or point M365VAULT_TEST_POSTGRES at a server with a `test` database)",
                redact(&base)
            ),
            Err(_) => panic!(
                "PostgreSQL at {} did not answer within 10 s; check that it is running \
                 (`pg_isready -h 127.0.0.1`)",
                redact(&base)
            ),
        };
        let schema = format!("t_{}", uuid::Uuid::new_v4().simple());
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
            .execute(&mut admin)
            .await
            .expect("create a test schema");
        Place {
            location: with_search_path(&base, &schema),
            _dir: None,
            schema: Some((admin, schema)),
        }
    }

    /// Opens the catalog here.
    pub async fn open(&self) -> Arc<dyn Catalog> {
        match open(&self.location).await {
            Ok(catalog) => catalog,
            Err(e) => panic!("open the test catalog: {e}"),
        }
    }

    /// Removes what the test made.
    pub async fn cleanup(self) {
        if let Some((mut admin, schema)) = self.schema {
            sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
                .execute(&mut admin)
                .await
                .expect("drop the test schema");
            admin.close().await.expect("close the admin connection");
        }
    }
}

/// Runs `case` against a fresh catalog at `place`, cleans up whatever the outcome, then
/// fails if the case failed.
pub async fn run<F, Fut>(place: Place, case: F)
where
    F: FnOnce(Arc<dyn Catalog>, String) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let catalog = place.open().await;
    let outcome = tokio::spawn(case(catalog.clone(), place.location.clone())).await;
    catalog.close().await;
    place.cleanup().await;
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

/// A fixed time `secs` seconds after a base, with whole milliseconds (what the catalog keeps).
pub fn at(secs: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_790_000_000 + secs).expect("valid time")
}
