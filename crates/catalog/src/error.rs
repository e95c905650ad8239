//! The catalog's error type and its retry classification.

use sqlx::error::ErrorKind;

/// What went wrong in the catalog.
///
/// Messages never contain a database password: locations are shown redacted.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// The location given to [`open`](crate::open) cannot be used.
    #[error(
        "the catalog location {location:?} is not usable: {reason}; use a file path, \
         sqlite://PATH or postgres://USER@HOST:PORT/DATABASE"
    )]
    InvalidLocation {
        /// The location, password removed.
        location: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The database could not be reached or opened.
    #[error("cannot connect to the catalog database at {location}: {source}; {hint}")]
    Connect {
        /// The location, password removed.
        location: String,
        /// What the user can check.
        hint: &'static str,
        /// The driver's error.
        #[source]
        source: sqlx::Error,
    },
    /// The schema could not be brought up to date.
    #[error(
        "cannot update the catalog schema at {location}: {source}; if this catalog was \
         written by a newer m365vault, upgrade, or rebuild it with `m365vault repo rebuild-catalog`"
    )]
    Migrate {
        /// The location, password removed.
        location: String,
        /// The migrator's error.
        #[source]
        source: sqlx::migrate::MigrateError,
    },
    /// A record looked up by id does not exist.
    #[error(
        "{what} {id:?} is not in the catalog; check the id, or rebuild the catalog with `m365vault repo rebuild-catalog` if it is stale"
    )]
    NotFound {
        /// What kind of record: `repository`, `run`, ...
        what: &'static str,
        /// The id looked up.
        id: String,
    },
    /// A record with this id already exists.
    #[error("{what} {id:?} is already in the catalog; use a new id")]
    AlreadyExists {
        /// What kind of record.
        what: &'static str,
        /// The duplicate id.
        id: String,
    },
    /// An argument cannot be stored.
    #[error("cannot store {what}: {reason}")]
    InvalidInput {
        /// What was being stored.
        what: &'static str,
        /// Why it was refused.
        reason: String,
    },
    /// A stored value cannot be read back (written by something else, or damaged).
    #[error(
        "the catalog holds an unreadable {what}: {reason}; rebuild it with `m365vault repo rebuild-catalog`"
    )]
    Corrupt {
        /// What was being read.
        what: &'static str,
        /// Why it is unreadable.
        reason: String,
    },
    /// A query failed.
    #[error("catalog query failed while {action}: {source}")]
    Query {
        /// What the catalog was doing (`inserting a run`).
        action: &'static str,
        /// The driver's error.
        #[source]
        source: sqlx::Error,
    },
}

impl CatalogError {
    /// Whether trying the same operation again may succeed: lost or refused connections,
    /// pool timeouts, serialization failures and deadlocks (PostgreSQL), a busy or locked
    /// database (SQLite). Everything else is permanent.
    pub fn is_retryable(&self) -> bool {
        match self {
            CatalogError::Connect { source, .. } | CatalogError::Query { source, .. } => {
                sqlx_retryable(source)
            }
            CatalogError::Migrate { source, .. } => match source {
                sqlx::migrate::MigrateError::Execute(e) => sqlx_retryable(e),
                _ => false,
            },
            CatalogError::InvalidLocation { .. }
            | CatalogError::NotFound { .. }
            | CatalogError::AlreadyExists { .. }
            | CatalogError::InvalidInput { .. }
            | CatalogError::Corrupt { .. } => false,
        }
    }

    /// Wraps a driver error raised while doing `action`.
    pub(crate) fn query(action: &'static str) -> impl FnOnce(sqlx::Error) -> CatalogError {
        move |source| CatalogError::Query { action, source }
    }

    /// Like [`CatalogError::query`], but maps a unique violation to `AlreadyExists` and a
    /// foreign-key violation to `NotFound` of the referenced record.
    pub(crate) fn write(
        action: &'static str,
        what: &'static str,
        id: &str,
        referenced: (&'static str, &str),
    ) -> impl FnOnce(sqlx::Error) -> CatalogError {
        let id = id.to_owned();
        let (ref_what, ref_id) = (referenced.0, referenced.1.to_owned());
        move |source| match &source {
            sqlx::Error::Database(e) if e.kind() == ErrorKind::UniqueViolation => {
                CatalogError::AlreadyExists { what, id }
            }
            sqlx::Error::Database(e) if e.kind() == ErrorKind::ForeignKeyViolation => {
                CatalogError::NotFound {
                    what: ref_what,
                    id: ref_id,
                }
            }
            _ => CatalogError::Query { action, source },
        }
    }
}

/// Retry classification of a driver error.
fn sqlx_retryable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => {
            let Some(code) = db.code() else {
                return false;
            };
            if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
                sqlite_code_retryable(&code)
            } else {
                postgres_code_retryable(&code)
            }
        }
        _ => false,
    }
}

/// SQLite reports its extended result code as a decimal number: SQLITE_BUSY (5) and
/// SQLITE_LOCKED (6), with their extended codes, are worth retrying.
fn sqlite_code_retryable(code: &str) -> bool {
    code.parse::<i32>().is_ok_and(|n| matches!(n & 0xff, 5 | 6))
}

/// PostgreSQL SQLSTATEs worth retrying: serialization_failure, deadlock_detected,
/// admin/crash shutdown, cannot_connect_now, too_many_connections, and class 08
/// (connection exception).
fn postgres_code_retryable(code: &str) -> bool {
    matches!(
        code,
        "40001" | "40P01" | "57P01" | "57P02" | "57P03" | "53300"
    ) || code.starts_with("08")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_classified() {
        assert!(sqlite_code_retryable("5"));
        assert!(sqlite_code_retryable("517")); // SQLITE_BUSY_SNAPSHOT
        assert!(sqlite_code_retryable("262")); // SQLITE_LOCKED_SHAREDCACHE
        assert!(!sqlite_code_retryable("2067")); // SQLITE_CONSTRAINT_UNIQUE
        assert!(postgres_code_retryable("40001"));
        assert!(postgres_code_retryable("08006"));
        assert!(!postgres_code_retryable("23505"));
        assert!(!postgres_code_retryable("42P01"));
    }

    #[test]
    fn pool_timeout_is_retryable_and_not_found_is_not() {
        let e = CatalogError::Query {
            action: "listing runs",
            source: sqlx::Error::PoolTimedOut,
        };
        assert!(e.is_retryable());
        let e = CatalogError::NotFound {
            what: "run",
            id: "ab".into(),
        };
        assert!(!e.is_retryable());
        assert!(
            e.to_string()
                .starts_with("run \"ab\" is not in the catalog")
        );
    }
}
