//! Integration tests of the catalog: one conformance suite run against SQLite and
//! PostgreSQL, plus the errors of `open`.
//!
//! PostgreSQL tests use `postgres://postgres@127.0.0.1:5432/test` (or
//! `M365VAULT_TEST_POSTGRES`), each in a schema of its own; they fail, not skip, when
//! PostgreSQL is down.

#![allow(clippy::unwrap_used)] // tests unwrap what they just wrote

mod harness;
mod items;
mod open;
mod runs;
mod state;
mod sync;

/// For each case, a `sqlite_<case>` and a `postgres_<case>` test running it on a fresh
/// catalog. Cases are `async fn(Arc<dyn Catalog>, String /* location */)`.
macro_rules! conformance {
    ($($module:ident :: $case:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    crate::harness::run(crate::harness::Place::sqlite(), crate::$module::$case)
                        .await;
                }
            )+
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let place = crate::harness::Place::postgres().await;
                    crate::harness::run(place, crate::$module::$case).await;
                }
            )+
        }
    };
}

conformance!(
    state::repositories,
    state::connectors,
    state::cursors,
    state::checkpoints,
    state::legal_holds,
    runs::run_lifecycle,
    runs::list_runs_filters_and_orders,
    runs::delete_run_cascades_to_item_versions,
    runs::clear_repository_keeps_state,
    items::item_versions_round_trip_and_filter,
    items::insert_checks_runs_and_sizes,
    items::keyset_paging_returns_every_row_once,
    items::latest_versions_picks_the_newest,
    items::mark_deleted_touches_only_latest_undeleted,
    items::concurrent_writers_all_succeed,
    items::bulk_insert_rate,
    open::reopen_is_idempotent,
    sync::rebuild_copies_runs_items_and_deletions,
);
