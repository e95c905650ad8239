//! `open`: locations, errors without passwords, migrations run twice.

use std::sync::Arc;

use m365vault_catalog::{Backend, Catalog, CatalogError, RunStatus, open};

use crate::harness::{Place, postgres_url, with_search_path};
use crate::state::add_repository;

pub async fn reopen_is_idempotent(catalog: Arc<dyn Catalog>, location: String) {
    add_repository(&*catalog, "repo").await;
    // Opening again runs the migrations again: nothing changes, nothing fails.
    let again = open(&location).await.unwrap();
    assert_eq!(again.backend(), catalog.backend());
    assert_eq!(again.get_repository("repo").await.unwrap().id, "repo");
    again.close().await;
    let third = open(&location).await.unwrap();
    assert_eq!(third.list_repositories().await.unwrap().len(), 1);
    third.close().await;
}

/// Opening `location` fails; returns the error after checking that neither its message nor
/// its debug form shows `secret`.
async fn open_fails(location: &str, secret: &str) -> CatalogError {
    let err = match open(location).await {
        Ok(catalog) => panic!("{location} opened: {catalog:?}"),
        Err(e) => e,
    };
    let shown = format!("{err} / {err:?}");
    assert!(!shown.contains(secret), "the password leaked: {shown}");
    err
}

#[tokio::test]
async fn unreachable_postgres_is_a_clear_retryable_error() {
    // Nothing listens on port 1.
    let err = open_fails(
        "postgres://alice:hunter2@127.0.0.1:1/cat?sslmode=disable",
        "hunter2",
    )
    .await;
    assert!(matches!(err, CatalogError::Connect { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.starts_with(
            "cannot connect to the catalog database at postgres://alice@127.0.0.1:1/cat:"
        ),
        "{text}"
    );
    assert!(text.contains("check that PostgreSQL is running"), "{text}");
    assert!(err.is_retryable());
}

#[tokio::test]
async fn unparseable_locations_are_rejected_without_passwords() {
    let err = open_fails("postgres://alice:hunter2@[::1/cat", "hunter2").await;
    assert!(
        matches!(err, CatalogError::InvalidLocation { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("postgres://alice@"), "{err}");
    let err = open_fails("postgres://alice:hunter2@host:99999/cat", "hunter2").await;
    assert!(
        matches!(err, CatalogError::InvalidLocation { .. }),
        "{err:?}"
    );
    let err = open_fails(
        "postgres://alice@host/cat?sslmode=sometimes&password=hunter2",
        "hunter2",
    )
    .await;
    assert!(
        matches!(err, CatalogError::InvalidLocation { .. }),
        "{err:?}"
    );
    let err = open_fails("mysql://alice:hunter2@host/cat", "hunter2").await;
    assert!(
        err.to_string().contains("\"mysql\" is not supported"),
        "{err}"
    );
    assert!(!err.is_retryable());
    let err = open_fails("", "hunter2").await;
    assert!(
        matches!(err, CatalogError::InvalidLocation { .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn sqlite_in_an_unusable_place_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-directory");
    std::fs::write(&file, b"x").unwrap();
    let location = file.join("catalog.db").display().to_string();
    let err = open_fails(&location, "\u{0}").await;
    assert!(matches!(err, CatalogError::Connect { .. }), "{err:?}");
    assert!(err.to_string().contains(&location), "{err}");
    assert!(err.to_string().contains("writable"), "{err}");
}

#[tokio::test]
async fn sqlite_url_forms_open_the_same_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sub/dir/catalog.db");
    let catalog = open(&format!("sqlite://{}", path.display())).await.unwrap();
    assert_eq!(catalog.backend(), Backend::Sqlite);
    add_repository(&*catalog, "repo").await;
    catalog.close().await;
    assert!(path.is_file(), "the file and its directories are created");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "only the owner may read the catalog");
    }
    let plain = open(&path.display().to_string()).await.unwrap();
    assert_eq!(plain.list_repositories().await.unwrap().len(), 1);
    plain.close().await;
}

#[tokio::test]
async fn postgres_catalog_debug_hides_the_password() {
    // Trust authentication ignores the password, so the connection succeeds.
    let place = Place::postgres().await;
    let base = postgres_url();
    let schema = place.location.rsplit("%3D").next().unwrap().to_owned();
    let with_password =
        with_search_path(&base.replacen("postgres@", "postgres:hunter2@", 1), &schema);
    let catalog = open(&with_password).await.unwrap();
    assert_eq!(catalog.backend(), Backend::Postgres);
    let shown = format!("{catalog:?}");
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(
        shown.contains("127.0.0.1") || !base.contains("127.0.0.1"),
        "{shown}"
    );
    catalog.close().await;
    place.cleanup().await;
}

#[test]
fn run_status_names() {
    for (status, name) in [
        (RunStatus::Running, "running"),
        (RunStatus::Success, "success"),
        (RunStatus::Partial, "partial"),
        (RunStatus::Failed, "failed"),
    ] {
        assert_eq!(
            serde_json::to_string(&status).unwrap(),
            format!("\"{name}\"")
        );
        assert_eq!(name.parse::<RunStatus>().unwrap(), status);
        assert_eq!(status.to_string(), name);
    }
    let err = "done".parse::<RunStatus>().unwrap_err();
    assert!(
        err.to_string().contains("unknown run status \"done\""),
        "{err}"
    );
}
