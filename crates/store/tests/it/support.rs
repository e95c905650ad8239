//! Shared test helpers: stores, an in-process S3 server, repositories with cheap keys.

use std::collections::BTreeMap;
use std::sync::Arc;

use m365vault_store::backend::S3Options;
use m365vault_store::backend::fs::FsStore;
use m365vault_store::backend::memory::MemoryStore;
use m365vault_store::keys::KdfParams;
use m365vault_store::{
    BlobStore, InitOptions, ItemInfo, Location, Repository, RunWriter, WriteOptions,
};
use secrecy::SecretString;

/// A passphrase for tests.
pub fn pass(text: &str) -> SecretString {
    SecretString::from(text.to_owned())
}

/// Init options that are fast: cheap Argon2, small chunks.
pub fn fast_init() -> InitOptions {
    InitOptions {
        kdf: KdfParams::insecure_for_tests(),
        chunker: m365vault_store::chunker::ChunkerParams {
            min_size: 4 * 1024,
            avg_size: 16 * 1024,
            max_size: 64 * 1024,
        },
        ..InitOptions::default()
    }
}

/// Small packs so tests produce many.
pub fn small_packs() -> WriteOptions {
    WriteOptions {
        pack_size: 64 * 1024,
        index_every: 2,
        parallelism: 2,
    }
}

/// A fresh memory store.
pub fn memory() -> Arc<dyn BlobStore> {
    Arc::new(MemoryStore::new())
}

/// A fresh folder store (the directory lives as long as the guard).
pub fn folder() -> (tempfile::TempDir, Arc<dyn BlobStore>) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store: Arc<dyn BlobStore> = Arc::new(FsStore::new(dir.path().join("repo")));
    (dir, store)
}

/// An S3 server (s3s-fs) on a random local port, and a store on a fresh bucket in it.
pub struct S3 {
    _dir: tempfile::TempDir,
    pub store: Arc<dyn BlobStore>,
    pub endpoint: String,
    _server: tokio::task::JoinHandle<()>,
}

/// Starts s3s-fs and returns a store on bucket `repo`, prefix `backups`.
pub async fn s3() -> S3 {
    s3_with(None).await
}

/// Like [`s3`], with Object Lock: the server keeps each object's retention and
/// refuses to delete it before then, as a bucket with Object Lock does.
pub async fn s3_with(lock: Option<m365vault_store::backend::object_lock::ObjectLock>) -> S3 {
    use hyper_util::rt::{TokioExecutor, TokioIo};
    use hyper_util::server::conn::auto::Builder as ConnBuilder;
    use s3s::auth::SimpleAuth;
    use s3s::service::S3ServiceBuilder;

    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir_all(dir.path().join("repo")).expect("bucket dir");
    let fs =
        crate::locking_s3::LockingFs::new(s3s_fs::FileSystem::new(dir.path()).expect("s3s-fs"));
    let mut builder = S3ServiceBuilder::new(fs);
    builder.set_auth(SimpleAuth::from_single("test-access", "test-secret"));
    let service = builder.build();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let server = tokio::spawn(async move {
        loop {
            let Ok((socket, _)) = listener.accept().await else {
                break;
            };
            let service = service.clone();
            tokio::spawn(async move {
                let _ = ConnBuilder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(socket), service)
                    .await;
            });
        }
    });
    let options = S3Options {
        bucket: "repo".into(),
        prefix: "backups".into(),
        endpoint: Some(format!("http://{addr}")),
        region: Some("us-east-1".into()),
        access_key_id: Some("test-access".into()),
        secret_access_key: Some(pass("test-secret")),
        session_token: None,
        object_lock: lock,
    };
    let store = Location::S3(options).open().expect("s3 store");
    S3 {
        _dir: dir,
        store,
        endpoint: format!("http://{addr}"),
        _server: server,
    }
}

/// A repository on `store` with fast settings.
pub async fn init(store: Arc<dyn BlobStore>) -> Arc<Repository> {
    Arc::new(
        Repository::init(store, pass("correct horse"), fast_init())
            .await
            .expect("init"),
    )
}

/// Opens `store` with the test passphrase.
pub async fn open(store: Arc<dyn BlobStore>) -> Arc<Repository> {
    Arc::new(
        Repository::open(store, pass("correct horse"))
            .await
            .expect("open"),
    )
}

/// Deterministic pseudo-random bytes.
pub fn bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// An item description.
pub fn info(resource: &str, id: &str) -> ItemInfo {
    ItemInfo {
        resource: resource.into(),
        kind: "file".into(),
        id: id.into(),
        path: format!("/{id}"),
        ..ItemInfo::default()
    }
}

/// Writes one run holding `items` (id → content); returns the run writer's manifest id.
pub async fn run(
    repo: &Arc<Repository>,
    name: &str,
    items: &[(String, Vec<u8>)],
) -> m365vault_store::ManifestId {
    let writer = RunWriter::start(Arc::clone(repo), name, BTreeMap::new(), small_packs())
        .await
        .expect("start");
    for (id, data) in items {
        writer
            .put_item(info("user1", id), data)
            .await
            .expect("put item");
    }
    writer.finish().await.expect("finish").0
}

/// Reads back every item of a manifest: id → content.
pub async fn restore_all(
    repo: &Repository,
    id: m365vault_store::ManifestId,
) -> BTreeMap<String, Vec<u8>> {
    let manifest = repo.read_manifest(id).await.expect("manifest");
    let mut items = repo.items(&manifest);
    let mut out = BTreeMap::new();
    while let Some(record) = items.next().await.expect("record") {
        let mut data = Vec::new();
        repo.restore_item(&record, &mut data)
            .await
            .expect("restore");
        out.insert(record.id.clone(), data);
    }
    out
}

/// Checks the whole repository, every byte read, and fails the test on any error.
pub async fn assert_sound(repo: &Repository) {
    let options = m365vault_store::CheckOptions {
        read_data_percent: Some(100),
    };
    let report = m365vault_store::check(repo, options).await.expect("check");
    assert!(report.is_ok(), "{report:#?}");
}
