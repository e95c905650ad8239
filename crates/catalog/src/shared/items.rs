//! Item versions, the bulk of the catalog: inserted in large batches, paged by version id,
//! reduced to the newest version per item, and cleared for a rebuild.

/// Inherent methods of `$ty` behind the item-version operations of `Catalog`; expanded by
/// [`impl_catalog!`](super::impl_catalog), whose imports and helpers they use.
macro_rules! impl_item_versions {
    ($ty:ty, $begin_write:expr, $placeholders:expr) => {
        use std::collections::HashMap;
        use std::sync::LazyLock;

        fn bind_all(mut query: Query<'_>, binds: Vec<Bind>) -> Query<'_> {
            for bind in binds {
                query = match bind {
                    Bind::Text(v) => query.bind(v),
                    Bind::Int(v) => query.bind(v),
                };
            }
            query
        }

        /// The INSERT of a full batch of item versions, built once.
        static INSERT_FULL_BATCH: LazyLock<String> =
            LazyLock::new(|| filters::insert_items(sql::ITEM_BATCH, $placeholders));

        impl $ty {
            async fn items_insert(&self, versions: &[ItemVersion]) -> Result<u64, E> {
                if versions.is_empty() {
                    return Ok(0);
                }
                let sizes = versions
                    .iter()
                    .map(|v| sql::size_to_db(v.size))
                    .collect::<Result<Vec<_>, _>>()?;
                let action = "inserting item versions";
                let mut tx = self
                    .pool
                    .begin_with($begin_write)
                    .await
                    .map_err(E::query(action))?;
                let mut repositories: HashMap<&str, String> = HashMap::new();
                for v in versions {
                    if repositories.contains_key(v.run_id.as_str()) {
                        continue;
                    }
                    let repository: Option<String> = sqlx::query_scalar(sql::RUN_REPOSITORY)
                        .bind(v.run_id.as_str())
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(E::query(action))?;
                    let repository = repository.ok_or_else(|| E::NotFound {
                        what: "run",
                        id: v.run_id.clone(),
                    })?;
                    repositories.insert(v.run_id.as_str(), repository);
                }
                let mut inserted = 0;
                for (chunk, sizes) in versions
                    .chunks(sql::ITEM_BATCH)
                    .zip(sizes.chunks(sql::ITEM_BATCH))
                {
                    let statement = if chunk.len() == sql::ITEM_BATCH {
                        INSERT_FULL_BATCH.clone()
                    } else {
                        filters::insert_items(chunk.len(), $placeholders)
                    };
                    let mut query = sqlx::query(AssertSqlSafe(statement));
                    for (v, size) in chunk.iter().zip(sizes) {
                        let repository = repositories.get(v.run_id.as_str()).map(String::as_str);
                        query = query
                            .bind(v.run_id.as_str())
                            .bind(repository)
                            .bind(v.resource.as_str())
                            .bind(v.kind.as_str())
                            .bind(v.item_id.as_str())
                            .bind(v.path.as_str())
                            .bind(*size)
                            .bind(v.content_hash.as_str())
                            .bind(v.modified_at.map(millis))
                            .bind(v.deleted_at.map(millis));
                    }
                    let done = query.execute(&mut *tx).await.map_err(E::query(action))?;
                    inserted += done.rows_affected();
                }
                tx.commit().await.map_err(E::query(action))?;
                Ok(inserted)
            }

            async fn items_list(&self, filter: &ItemFilter) -> Result<Vec<ItemVersionRecord>, E> {
                let built = filters::list_items(filter);
                let query = sqlx::query_as::<_, sql::ItemRow>(AssertSqlSafe(built.sql));
                bind_all_as(query, built.binds)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(E::query("listing item versions"))?
                    .into_iter()
                    .map(sql::ItemRow::into_record)
                    .collect()
            }

            async fn items_latest(
                &self,
                repository_id: &str,
                resource: &str,
            ) -> Result<Vec<ItemVersionRecord>, E> {
                sqlx::query_as::<_, sql::ItemRow>(sql::LATEST_VERSIONS)
                    .bind(repository_id)
                    .bind(resource)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(E::query("reading the latest item versions"))?
                    .into_iter()
                    .map(sql::ItemRow::into_record)
                    .collect()
            }

            async fn items_mark_deleted(
                &self,
                repository_id: &str,
                resource: &str,
                item_ids: &[String],
                deleted_at: OffsetDateTime,
            ) -> Result<u64, E> {
                if item_ids.is_empty() {
                    return Ok(0);
                }
                let action = "marking items deleted";
                let mut tx = self
                    .pool
                    .begin_with($begin_write)
                    .await
                    .map_err(E::query(action))?;
                let mut changed = 0;
                for chunk in item_ids.chunks(sql::MARK_BATCH) {
                    let head = sqlx::query(AssertSqlSafe(filters::mark_deleted(chunk.len())))
                        .bind(repository_id)
                        .bind(resource)
                        .bind(millis(deleted_at));
                    let ids = chunk.iter().map(|id| Bind::Text(id.clone())).collect();
                    let done = bind_all(head, ids)
                        .execute(&mut *tx)
                        .await
                        .map_err(E::query(action))?;
                    changed += done.rows_affected();
                }
                tx.commit().await.map_err(E::query(action))?;
                Ok(changed)
            }

            async fn items_count(&self, repository_id: &str) -> Result<u64, E> {
                let count: i64 = sqlx::query_scalar(sql::COUNT_ITEMS)
                    .bind(repository_id)
                    .fetch_one(&self.pool)
                    .await
                    .map_err(E::query("counting item versions"))?;
                sql::to_u64(count, "item version count")
            }

            async fn items_clear(&self, repository_id: &str) -> Result<(), E> {
                let action = "clearing a repository's runs";
                let mut tx = self
                    .pool
                    .begin_with($begin_write)
                    .await
                    .map_err(E::query(action))?;
                for statement in [sql::CLEAR_ITEMS, sql::CLEAR_RUNS] {
                    sqlx::query(statement)
                        .bind(repository_id)
                        .execute(&mut *tx)
                        .await
                        .map_err(E::query(action))?;
                }
                tx.commit().await.map_err(E::query(action))
            }
        }
    };
}

pub(crate) use impl_item_versions;
