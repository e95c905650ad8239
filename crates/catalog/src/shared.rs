//! The one implementation of [`Catalog`](crate::Catalog), instantiated for SQLite and for
//! PostgreSQL by [`impl_catalog!`]. SQL lives in [`sql`](crate::sql) and
//! [`filters`](crate::filters); this macro only runs it, so each method body exists once.
//! The item-version methods are in [`items`].

/// Implements `Catalog` for `$ty`, a struct with fields `pool: sqlx::Pool<$db>` and
/// `location: String` (redacted), where `$begin_write` starts a write transaction and
/// `$placeholders` is the placeholder style of large INSERTs.
macro_rules! impl_catalog {
    ($ty:ty, $db:ty, $backend:expr, $begin_write:expr, $placeholders:expr) => {
        use serde_json::Value;
        use sqlx::AssertSqlSafe;
        use sqlx::types::Json;
        use time::OffsetDateTime;

        use crate::catalog::{Backend, Catalog};
        use crate::error::CatalogError as E;
        use crate::filters::{self, Bind};
        use crate::sql::{self, millis};
        use crate::types::*;

        crate::shared::items::impl_item_versions!($ty, $begin_write, $placeholders);

        type Query<'q> = sqlx::query::Query<'q, $db, <$db as sqlx::Database>::Arguments>;
        type QueryAs<'q, T> = sqlx::query::QueryAs<'q, $db, T, <$db as sqlx::Database>::Arguments>;

        fn bind_all_as<T>(mut query: QueryAs<'_, T>, binds: Vec<Bind>) -> QueryAs<'_, T> {
            for bind in binds {
                query = match bind {
                    Bind::Text(v) => query.bind(v),
                    Bind::Int(v) => query.bind(v),
                };
            }
            query
        }

        #[async_trait::async_trait]
        impl Catalog for $ty {
            fn backend(&self) -> Backend {
                $backend
            }

            async fn close(&self) {
                self.pool.close().await;
            }

            async fn upsert_repository(&self, repo: &RepositoryRecord) -> Result<(), E> {
                if crate::location::has_secret(&repo.location) {
                    return Err(E::InvalidInput {
                        what: "a repository location",
                        reason: "it holds a password or key; pass credentials through the \
                                 environment or the repository configuration instead"
                            .into(),
                    });
                }
                sqlx::query(sql::UPSERT_REPOSITORY)
                    .bind(repo.id.as_str())
                    .bind(repo.location.as_str())
                    .bind(millis(repo.created_at))
                    .execute(&self.pool)
                    .await
                    .map_err(E::query("registering a repository"))?;
                Ok(())
            }

            async fn get_repository(&self, id: &str) -> Result<RepositoryRecord, E> {
                sqlx::query_as::<_, sql::RepositoryRow>(sql::GET_REPOSITORY)
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(E::query("reading a repository"))?
                    .ok_or_else(|| E::NotFound {
                        what: "repository",
                        id: id.to_owned(),
                    })?
                    .into_record()
            }

            async fn list_repositories(&self) -> Result<Vec<RepositoryRecord>, E> {
                sqlx::query_as::<_, sql::RepositoryRow>(sql::LIST_REPOSITORIES)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(E::query("listing repositories"))?
                    .into_iter()
                    .map(sql::RepositoryRow::into_record)
                    .collect()
            }

            async fn put_connector(&self, c: &ConnectorRecord) -> Result<(), E> {
                sqlx::query(sql::PUT_CONNECTOR)
                    .bind(c.name.as_str())
                    .bind(c.tenant_id.as_str())
                    .bind(Json(&c.spec))
                    .bind(millis(c.updated_at))
                    .execute(&self.pool)
                    .await
                    .map_err(E::query("saving a connector"))?;
                Ok(())
            }

            async fn get_connector(&self, name: &str) -> Result<Option<ConnectorRecord>, E> {
                sqlx::query_as::<_, sql::ConnectorRow>(sql::GET_CONNECTOR)
                    .bind(name)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(E::query("reading a connector"))?
                    .map(sql::ConnectorRow::into_record)
                    .transpose()
            }

            async fn list_connectors(&self) -> Result<Vec<ConnectorRecord>, E> {
                sqlx::query_as::<_, sql::ConnectorRow>(sql::LIST_CONNECTORS)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(E::query("listing connectors"))?
                    .into_iter()
                    .map(sql::ConnectorRow::into_record)
                    .collect()
            }

            async fn delete_connector(&self, name: &str) -> Result<bool, E> {
                let done = sqlx::query(sql::DELETE_CONNECTOR)
                    .bind(name)
                    .execute(&self.pool)
                    .await
                    .map_err(E::query("deleting a connector"))?;
                Ok(done.rows_affected() > 0)
            }

            async fn insert_run(&self, run: &RunRecord) -> Result<(), E> {
                sqlx::query(sql::INSERT_RUN)
                    .bind(run.id.as_str())
                    .bind(run.repository_id.as_str())
                    .bind(run.connector.as_deref())
                    .bind(run.tenant_id.as_deref())
                    .bind(run.kind.as_str())
                    .bind(run.status.as_str())
                    .bind(millis(run.started_at))
                    .bind(run.finished_at.map(millis))
                    .bind(run.manifest_id.as_deref())
                    .bind(Json(&run.stats))
                    .execute(&self.pool)
                    .await
                    .map_err(E::write(
                        "inserting a run",
                        "run",
                        &run.id,
                        ("repository", &run.repository_id),
                    ))?;
                Ok(())
            }

            async fn finish_run(
                &self,
                id: &str,
                status: RunStatus,
                finished_at: OffsetDateTime,
                manifest_id: Option<&str>,
                stats: &Value,
            ) -> Result<(), E> {
                let done = sqlx::query(sql::FINISH_RUN)
                    .bind(id)
                    .bind(status.as_str())
                    .bind(millis(finished_at))
                    .bind(manifest_id)
                    .bind(Json(stats))
                    .execute(&self.pool)
                    .await
                    .map_err(E::query("finishing a run"))?;
                if done.rows_affected() == 0 {
                    return Err(E::NotFound {
                        what: "run",
                        id: id.to_owned(),
                    });
                }
                Ok(())
            }

            async fn get_run(&self, id: &str) -> Result<RunRecord, E> {
                sqlx::query_as::<_, sql::RunRow>(sql::GET_RUN)
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(E::query("reading a run"))?
                    .ok_or_else(|| E::NotFound {
                        what: "run",
                        id: id.to_owned(),
                    })?
                    .into_record()
            }

            async fn list_runs(&self, filter: &RunFilter) -> Result<Vec<RunRecord>, E> {
                let built = filters::list_runs(filter);
                let query = sqlx::query_as::<_, sql::RunRow>(AssertSqlSafe(built.sql));
                bind_all_as(query, built.binds)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(E::query("listing runs"))?
                    .into_iter()
                    .map(sql::RunRow::into_record)
                    .collect()
            }

            async fn delete_run(&self, id: &str) -> Result<bool, E> {
                let done = sqlx::query(sql::DELETE_RUN)
                    .bind(id)
                    .execute(&self.pool)
                    .await
                    .map_err(E::query("deleting a run"))?;
                Ok(done.rows_affected() > 0)
            }

            async fn get_cursor(
                &self,
                connector: &str,
                resource: &str,
                scope: &str,
            ) -> Result<Option<CursorRecord>, E> {
                sqlx::query_as::<_, sql::CursorRow>(sql::GET_CURSOR)
                    .bind(connector)
                    .bind(resource)
                    .bind(scope)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(E::query("reading a delta cursor"))?
                    .map(|row| row.into_entry().map(|entry| entry.record))
                    .transpose()
            }

            async fn put_cursor(
                &self,
                connector: &str,
                resource: &str,
                scope: &str,
                cursor: &CursorRecord,
            ) -> Result<(), E> {
                sqlx::query(sql::PUT_CURSOR)
                    .bind(connector)
                    .bind(resource)
                    .bind(scope)
                    .bind(cursor.cursor.as_str())
                    .bind(cursor.run_id.as_deref())
                    .bind(millis(cursor.updated_at))
                    .execute(&self.pool)
                    .await
                    .map_err(E::query("saving a delta cursor"))?;
                Ok(())
            }

            async fn delete_cursor(
                &self,
                connector: &str,
                resource: &str,
                scope: &str,
            ) -> Result<bool, E> {
                let done = sqlx::query(sql::DELETE_CURSOR)
                    .bind(connector)
                    .bind(resource)
                    .bind(scope)
                    .execute(&self.pool)
                    .await
                    .map_err(E::query("deleting a delta cursor"))?;
                Ok(done.rows_affected() > 0)
            }

            async fn list_cursors(&self, connector: &str) -> Result<Vec<CursorEntry>, E> {
                sqlx::query_as::<_, sql::CursorRow>(sql::LIST_CURSORS)
                    .bind(connector)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(E::query("listing delta cursors"))?
                    .into_iter()
                    .map(sql::CursorRow::into_entry)
                    .collect()
            }

            async fn get_checkpoint(
                &self,
                job: &str,
                resource: &str,
            ) -> Result<Option<CheckpointRecord>, E> {
                sqlx::query_as::<_, sql::CheckpointRow>(sql::GET_CHECKPOINT)
                    .bind(job)
                    .bind(resource)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(E::query("reading a checkpoint"))?
                    .map(sql::CheckpointRow::into_record)
                    .transpose()
            }

            async fn put_checkpoint(
                &self,
                job: &str,
                resource: &str,
                checkpoint: &CheckpointRecord,
            ) -> Result<(), E> {
                sqlx::query(sql::PUT_CHECKPOINT)
                    .bind(job)
                    .bind(resource)
                    .bind(Json(&checkpoint.state))
                    .bind(checkpoint.run_id.as_deref())
                    .bind(millis(checkpoint.updated_at))
                    .execute(&self.pool)
                    .await
                    .map_err(E::query("saving a checkpoint"))?;
                Ok(())
            }

            async fn delete_checkpoint(&self, job: &str, resource: &str) -> Result<bool, E> {
                let done = sqlx::query(sql::DELETE_CHECKPOINT)
                    .bind(job)
                    .bind(resource)
                    .execute(&self.pool)
                    .await
                    .map_err(E::query("deleting a checkpoint"))?;
                Ok(done.rows_affected() > 0)
            }

            async fn put_checkpoint_items(
                &self,
                job: &str,
                resource: &str,
                items: &[(String, Value)],
            ) -> Result<(), E> {
                let action = "saving checkpoint items";
                let mut tx = self
                    .pool
                    .begin_with($begin_write)
                    .await
                    .map_err(E::query(action))?;
                for (id, record) in items {
                    sqlx::query(sql::PUT_CHECKPOINT_ITEM)
                        .bind(job)
                        .bind(resource)
                        .bind(id.as_str())
                        .bind(Json(record))
                        .execute(&mut *tx)
                        .await
                        .map_err(E::query(action))?;
                }
                tx.commit().await.map_err(E::query(action))?;
                Ok(())
            }

            async fn checkpoint_items(&self, job: &str, resource: &str) -> Result<Vec<Value>, E> {
                let rows: Vec<Json<Value>> = sqlx::query_scalar(sql::GET_CHECKPOINT_ITEMS)
                    .bind(job)
                    .bind(resource)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(E::query("reading checkpoint items"))?;
                Ok(rows.into_iter().map(|j| j.0).collect())
            }

            async fn delete_job_checkpoints(&self, job: &str) -> Result<(), E> {
                let action = "deleting a job's checkpoints";
                let mut tx = self
                    .pool
                    .begin_with($begin_write)
                    .await
                    .map_err(E::query(action))?;
                for statement in [
                    sql::DELETE_JOB_CHECKPOINTS,
                    sql::DELETE_JOB_CHECKPOINT_ITEMS,
                ] {
                    sqlx::query(statement)
                        .bind(job)
                        .execute(&mut *tx)
                        .await
                        .map_err(E::query(action))?;
                }
                tx.commit().await.map_err(E::query(action))?;
                Ok(())
            }

            async fn add_legal_hold(&self, hold: &LegalHold) -> Result<bool, E> {
                let item = sql::hold_item(hold.item_id.as_deref())?;
                let done = sqlx::query(sql::ADD_HOLD)
                    .bind(hold.repository_id.as_str())
                    .bind(hold.resource.as_str())
                    .bind(item)
                    .bind(hold.reason.as_str())
                    .bind(millis(hold.created_at))
                    .execute(&self.pool)
                    .await
                    .map_err(E::write(
                        "placing a legal hold",
                        "legal hold",
                        &hold.resource,
                        ("repository", &hold.repository_id),
                    ))?;
                Ok(done.rows_affected() > 0)
            }

            async fn remove_legal_hold(
                &self,
                repository_id: &str,
                resource: &str,
                item_id: Option<&str>,
            ) -> Result<bool, E> {
                let done = sqlx::query(sql::REMOVE_HOLD)
                    .bind(repository_id)
                    .bind(resource)
                    .bind(sql::hold_item(item_id)?)
                    .execute(&self.pool)
                    .await
                    .map_err(E::query("lifting a legal hold"))?;
                Ok(done.rows_affected() > 0)
            }

            async fn list_legal_holds(&self, repository_id: &str) -> Result<Vec<LegalHold>, E> {
                sqlx::query_as::<_, sql::HoldRow>(sql::LIST_HOLDS)
                    .bind(repository_id)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(E::query("listing legal holds"))?
                    .into_iter()
                    .map(sql::HoldRow::into_record)
                    .collect()
            }

            async fn insert_item_versions(&self, versions: &[ItemVersion]) -> Result<u64, E> {
                self.items_insert(versions).await
            }

            async fn list_item_versions(
                &self,
                filter: &ItemFilter,
            ) -> Result<Vec<ItemVersionRecord>, E> {
                self.items_list(filter).await
            }

            async fn latest_versions(
                &self,
                repository_id: &str,
                resource: &str,
            ) -> Result<Vec<ItemVersionRecord>, E> {
                self.items_latest(repository_id, resource).await
            }

            async fn mark_deleted(
                &self,
                repository_id: &str,
                resource: &str,
                item_ids: &[String],
                deleted_at: OffsetDateTime,
            ) -> Result<u64, E> {
                self.items_mark_deleted(repository_id, resource, item_ids, deleted_at)
                    .await
            }

            async fn count_item_versions(&self, repository_id: &str) -> Result<u64, E> {
                self.items_count(repository_id).await
            }

            async fn clear_repository(&self, repository_id: &str) -> Result<(), E> {
                self.items_clear(repository_id).await
            }
        }
    };
}

pub(crate) mod items;

pub(crate) use impl_catalog;
