//! SQL shared by SQLite and PostgreSQL, the raw rows it returns and their conversion to
//! the public records. Both databases accept `$n` placeholders, `ON CONFLICT`, window
//! functions and `excluded.`, so one string serves both.

use serde_json::Value;
use sqlx::types::Json;
use time::OffsetDateTime;

use crate::error::CatalogError;
use crate::types::{
    CheckpointRecord, ConnectorRecord, CursorEntry, CursorRecord, ItemVersion, ItemVersionRecord,
    LegalHold, RepositoryRecord, RunRecord,
};

macro_rules! run_columns {
    () => {
        "id, repository_id, connector, tenant_id, kind, status, started_at, finished_at, \
         manifest_id, stats"
    };
}

macro_rules! item_columns {
    () => {
        "v.version_id, v.run_id, v.resource, v.kind, v.item_id, v.path, v.size, v.content_hash, \
         v.modified_at, v.deleted_at"
    };
}

/// The newest version of each item of one resource (`$1` repository, `$2` resource), with
/// its rank: newest = latest-started run, then highest version id.
macro_rules! ranked_versions {
    () => {
        "SELECT v.*, ROW_NUMBER() OVER (PARTITION BY v.item_id \
         ORDER BY r.started_at DESC, v.version_id DESC) AS version_rank \
         FROM item_versions v JOIN runs r ON r.id = v.run_id \
         WHERE v.repository_id = $1 AND v.resource = $2"
    };
}

pub(crate) const UPSERT_REPOSITORY: &str = "INSERT INTO repositories (id, location, created_at) \
     VALUES ($1, $2, $3) ON CONFLICT (id) DO UPDATE SET location = excluded.location";
pub(crate) const GET_REPOSITORY: &str =
    "SELECT id, location, created_at FROM repositories WHERE id = $1";
pub(crate) const LIST_REPOSITORIES: &str =
    "SELECT id, location, created_at FROM repositories ORDER BY id";

pub(crate) const PUT_CONNECTOR: &str = "INSERT INTO connectors (name, tenant_id, spec, updated_at) \
     VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO UPDATE SET tenant_id = excluded.tenant_id, \
     spec = excluded.spec, updated_at = excluded.updated_at";
pub(crate) const GET_CONNECTOR: &str =
    "SELECT name, tenant_id, spec, updated_at FROM connectors WHERE name = $1";
pub(crate) const LIST_CONNECTORS: &str =
    "SELECT name, tenant_id, spec, updated_at FROM connectors ORDER BY name";
pub(crate) const DELETE_CONNECTOR: &str = "DELETE FROM connectors WHERE name = $1";

pub(crate) const INSERT_RUN: &str = concat!(
    "INSERT INTO runs (",
    run_columns!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
);
pub(crate) const FINISH_RUN: &str = "UPDATE runs SET status = $2, finished_at = $3, \
     manifest_id = $4, stats = $5 WHERE id = $1";
pub(crate) const GET_RUN: &str = concat!("SELECT ", run_columns!(), " FROM runs WHERE id = $1");
/// Followed by `AND …` filters, then [`LIST_RUNS_ORDER`].
pub(crate) const LIST_RUNS: &str = concat!("SELECT ", run_columns!(), " FROM runs WHERE 1 = 1");
pub(crate) const LIST_RUNS_ORDER: &str = " ORDER BY started_at DESC, id DESC";
pub(crate) const DELETE_RUN: &str = "DELETE FROM runs WHERE id = $1";
pub(crate) const RUN_REPOSITORY: &str = "SELECT repository_id FROM runs WHERE id = $1";

/// Followed by `VALUES (…), (…)`; see [`insert_items`](crate::filters::insert_items).
pub(crate) const INSERT_ITEMS: &str = "INSERT INTO item_versions (run_id, repository_id, \
     resource, kind, item_id, path, size, content_hash, modified_at, deleted_at) ";
/// Bound values per row of [`INSERT_ITEMS`].
pub(crate) const ITEM_BINDS: usize = 10;
/// Rows per multi-row INSERT: well under SQLite's 32,766 and PostgreSQL's 65,535 bound
/// values per statement, and always the same so that the prepared statement is reused.
pub(crate) const ITEM_BATCH: usize = 1000;
/// Followed by `AND …` filters, then [`LIST_ITEMS_ORDER`].
pub(crate) const LIST_ITEMS: &str = concat!(
    "SELECT ",
    item_columns!(),
    " FROM item_versions v WHERE 1 = 1"
);
pub(crate) const LIST_ITEMS_ORDER: &str = " ORDER BY v.version_id";
pub(crate) const LATEST_VERSIONS: &str = concat!(
    "SELECT ",
    item_columns!(),
    " FROM (",
    ranked_versions!(),
    ") v WHERE v.version_rank = 1 ORDER BY v.item_id"
);
/// `$1` repository, `$2` resource, `$3` deleted_at; followed by the item ids, then
/// [`MARK_DELETED_END`]; see [`mark_deleted`](crate::filters::mark_deleted).
pub(crate) const MARK_DELETED: &str = concat!(
    "UPDATE item_versions SET deleted_at = $3 WHERE version_id IN (SELECT v.version_id FROM (",
    ranked_versions!(),
    " AND v.item_id IN ("
);
pub(crate) const MARK_DELETED_END: &str = ")) v WHERE v.version_rank = 1 AND v.deleted_at IS NULL)";
/// Item ids per [`MARK_DELETED`] statement.
pub(crate) const MARK_BATCH: usize = 1000;
pub(crate) const COUNT_ITEMS: &str = "SELECT COUNT(*) FROM item_versions WHERE repository_id = $1";

pub(crate) const GET_CURSOR: &str = "SELECT connector, resource, scope, cursor, run_id, updated_at \
     FROM cursors WHERE connector = $1 AND resource = $2 AND scope = $3";
pub(crate) const PUT_CURSOR: &str = "INSERT INTO cursors \
     (connector, resource, scope, cursor, run_id, updated_at) VALUES ($1, $2, $3, $4, $5, $6) \
     ON CONFLICT (connector, resource, scope) DO UPDATE SET cursor = excluded.cursor, \
     run_id = excluded.run_id, updated_at = excluded.updated_at";
pub(crate) const DELETE_CURSOR: &str =
    "DELETE FROM cursors WHERE connector = $1 AND resource = $2 AND scope = $3";
pub(crate) const LIST_CURSORS: &str = "SELECT connector, resource, scope, cursor, run_id, \
     updated_at FROM cursors WHERE connector = $1 ORDER BY resource, scope";

pub(crate) const GET_CHECKPOINT: &str =
    "SELECT state, run_id, updated_at FROM checkpoints WHERE job = $1 AND resource = $2";
pub(crate) const PUT_CHECKPOINT: &str = "INSERT INTO checkpoints \
     (job, resource, state, run_id, updated_at) VALUES ($1, $2, $3, $4, $5) \
     ON CONFLICT (job, resource) DO UPDATE SET state = excluded.state, \
     run_id = excluded.run_id, updated_at = excluded.updated_at";
pub(crate) const DELETE_CHECKPOINT: &str =
    "DELETE FROM checkpoints WHERE job = $1 AND resource = $2";
pub(crate) const PUT_CHECKPOINT_ITEM: &str = "INSERT INTO checkpoint_items \
     (job, resource, item_id, record) VALUES ($1, $2, $3, $4) \
     ON CONFLICT (job, resource, item_id) DO UPDATE SET record = excluded.record";
pub(crate) const GET_CHECKPOINT_ITEMS: &str = "SELECT record FROM checkpoint_items \
     WHERE job = $1 AND resource = $2 ORDER BY item_id";
pub(crate) const DELETE_JOB_CHECKPOINTS: &str = "DELETE FROM checkpoints WHERE job = $1";
pub(crate) const DELETE_JOB_CHECKPOINT_ITEMS: &str = "DELETE FROM checkpoint_items WHERE job = $1";

/// A whole-resource hold is stored with this item id, so that the primary key makes
/// [`ADD_HOLD`] idempotent on both databases (NULLs never conflict).
pub(crate) const WHOLE_RESOURCE: &str = "";
/// The stored item id of a hold on `item_id` (`None`: the whole resource).
pub(crate) fn hold_item(item_id: Option<&str>) -> Result<&str, CatalogError> {
    match item_id {
        Some("") => Err(CatalogError::InvalidInput {
            what: "a legal hold",
            reason: "the item id is empty; use no item id to hold the whole resource".into(),
        }),
        Some(id) => Ok(id),
        None => Ok(WHOLE_RESOURCE),
    }
}

pub(crate) const ADD_HOLD: &str = "INSERT INTO legal_holds \
     (repository_id, resource, item_id, reason, created_at) VALUES ($1, $2, $3, $4, $5) \
     ON CONFLICT (repository_id, resource, item_id) DO NOTHING";
pub(crate) const REMOVE_HOLD: &str =
    "DELETE FROM legal_holds WHERE repository_id = $1 AND resource = $2 AND item_id = $3";
pub(crate) const LIST_HOLDS: &str = "SELECT repository_id, resource, item_id, reason, created_at \
     FROM legal_holds WHERE repository_id = $1 ORDER BY resource, item_id";

pub(crate) const CLEAR_ITEMS: &str = "DELETE FROM item_versions WHERE repository_id = $1";
pub(crate) const CLEAR_RUNS: &str = "DELETE FROM runs WHERE repository_id = $1";

/// Unix milliseconds of a time (the stored form of every `*_at` column).
pub(crate) fn millis(t: OffsetDateTime) -> i64 {
    // OffsetDateTime spans ±9999 years: its milliseconds always fit in an i64.
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

/// The time stored as `ms` unix milliseconds.
pub(crate) fn from_millis(ms: i64, what: &'static str) -> Result<OffsetDateTime, CatalogError> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).map_err(|e| {
        CatalogError::Corrupt {
            what,
            reason: format!("time {ms} ms is out of range ({e})"),
        }
    })
}

fn from_millis_opt(
    ms: Option<i64>,
    what: &'static str,
) -> Result<Option<OffsetDateTime>, CatalogError> {
    ms.map(|ms| from_millis(ms, what)).transpose()
}

/// The stored form of a size.
pub(crate) fn size_to_db(size: u64) -> Result<i64, CatalogError> {
    i64::try_from(size).map_err(|_| CatalogError::InvalidInput {
        what: "an item version",
        reason: format!("size {size} is larger than {} bytes", i64::MAX),
    })
}

/// A stored count or size as `u64`.
pub(crate) fn to_u64(n: i64, what: &'static str) -> Result<u64, CatalogError> {
    u64::try_from(n).map_err(|_| CatalogError::Corrupt {
        what,
        reason: format!("negative number {n}"),
    })
}

/// A `repositories` row.
#[derive(sqlx::FromRow)]
pub(crate) struct RepositoryRow {
    id: String,
    location: String,
    created_at: i64,
}

impl RepositoryRow {
    pub(crate) fn into_record(self) -> Result<RepositoryRecord, CatalogError> {
        Ok(RepositoryRecord {
            created_at: from_millis(self.created_at, "repository")?,
            id: self.id,
            location: self.location,
        })
    }
}

/// A `connectors` row.
#[derive(sqlx::FromRow)]
pub(crate) struct ConnectorRow {
    name: String,
    tenant_id: String,
    spec: Json<Value>,
    updated_at: i64,
}

impl ConnectorRow {
    pub(crate) fn into_record(self) -> Result<ConnectorRecord, CatalogError> {
        Ok(ConnectorRecord {
            updated_at: from_millis(self.updated_at, "connector")?,
            name: self.name,
            tenant_id: self.tenant_id,
            spec: self.spec.0,
        })
    }
}

/// A `runs` row.
#[derive(sqlx::FromRow)]
pub(crate) struct RunRow {
    id: String,
    repository_id: String,
    connector: Option<String>,
    tenant_id: Option<String>,
    kind: String,
    status: String,
    started_at: i64,
    finished_at: Option<i64>,
    manifest_id: Option<String>,
    stats: Json<Value>,
}

impl RunRow {
    pub(crate) fn into_record(self) -> Result<RunRecord, CatalogError> {
        Ok(RunRecord {
            status: self.status.parse().map_err(|e| CatalogError::Corrupt {
                what: "run",
                reason: format!("{e}"),
            })?,
            started_at: from_millis(self.started_at, "run")?,
            finished_at: from_millis_opt(self.finished_at, "run")?,
            id: self.id,
            repository_id: self.repository_id,
            connector: self.connector,
            tenant_id: self.tenant_id,
            kind: self.kind,
            manifest_id: self.manifest_id,
            stats: self.stats.0,
        })
    }
}

/// An `item_versions` row.
#[derive(sqlx::FromRow)]
pub(crate) struct ItemRow {
    version_id: i64,
    run_id: String,
    resource: String,
    kind: String,
    item_id: String,
    path: String,
    size: i64,
    content_hash: String,
    modified_at: Option<i64>,
    deleted_at: Option<i64>,
}

impl ItemRow {
    pub(crate) fn into_record(self) -> Result<ItemVersionRecord, CatalogError> {
        Ok(ItemVersionRecord {
            version_id: self.version_id,
            item: ItemVersion {
                size: to_u64(self.size, "item version size")?,
                modified_at: from_millis_opt(self.modified_at, "item version")?,
                deleted_at: from_millis_opt(self.deleted_at, "item version")?,
                run_id: self.run_id,
                resource: self.resource,
                kind: self.kind,
                item_id: self.item_id,
                path: self.path,
                content_hash: self.content_hash,
            },
        })
    }
}

/// A `cursors` row.
#[derive(sqlx::FromRow)]
pub(crate) struct CursorRow {
    connector: String,
    resource: String,
    scope: String,
    cursor: String,
    run_id: Option<String>,
    updated_at: i64,
}

impl CursorRow {
    pub(crate) fn into_entry(self) -> Result<CursorEntry, CatalogError> {
        Ok(CursorEntry {
            record: CursorRecord {
                cursor: self.cursor,
                run_id: self.run_id,
                updated_at: from_millis(self.updated_at, "cursor")?,
            },
            connector: self.connector,
            resource: self.resource,
            scope: self.scope,
        })
    }
}

/// A `checkpoints` row.
#[derive(sqlx::FromRow)]
pub(crate) struct CheckpointRow {
    state: Json<Value>,
    run_id: Option<String>,
    updated_at: i64,
}

impl CheckpointRow {
    pub(crate) fn into_record(self) -> Result<CheckpointRecord, CatalogError> {
        Ok(CheckpointRecord {
            state: self.state.0,
            run_id: self.run_id,
            updated_at: from_millis(self.updated_at, "checkpoint")?,
        })
    }
}

/// A `legal_holds` row.
#[derive(sqlx::FromRow)]
pub(crate) struct HoldRow {
    repository_id: String,
    resource: String,
    item_id: String,
    reason: String,
    created_at: i64,
}

impl HoldRow {
    pub(crate) fn into_record(self) -> Result<LegalHold, CatalogError> {
        Ok(LegalHold {
            created_at: from_millis(self.created_at, "legal hold")?,
            repository_id: self.repository_id,
            resource: self.resource,
            item_id: (self.item_id != WHOLE_RESOURCE).then_some(self.item_id),
            reason: self.reason,
        })
    }
}
