//! A simulated tenant, a repository and a catalog for engine tests.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::engine::{BackupOptions, BackupSummary, Mailbox, Progress, ScopeSpec, Target};
use graph::credential::{AppCredential, Credential};
use graph::identity::IdentityClient;
use graph::{AppTokenSource, GraphClient, HttpOptions};
use model::{Cloud, Guid, TenantId};
use secrecy::SecretString;
use serde_json::Value;
use sha2::{Digest, Sha256};
use sim::{SimConfig, SimServer};
use store::backend::memory::MemoryStore;
use store::keys::KdfParams;
use store::{BlobStore, InitOptions, Repository};

/// Everything a test needs.
pub struct World {
    pub sim: SimServer,
    pub graph: GraphClient,
    pub target: Target,
    _dir: tempfile::TempDir,
}

pub fn config(users: usize) -> SimConfig {
    SimConfig {
        seed: 7,
        users,
        mail_scale: 0.02,
        ..SimConfig::default()
    }
}

pub async fn world(config: SimConfig) -> World {
    let sim = SimServer::start(config, "127.0.0.1:0".parse().expect("address"))
        .await
        .expect("simulator starts");
    let graph = graph_for(&sim, "full");
    let dir = tempfile::tempdir().expect("temp dir");
    let blobs: Arc<dyn BlobStore> = Arc::new(MemoryStore::new());
    let repo = Repository::init(
        blobs,
        SecretString::from("correct horse".to_owned()),
        InitOptions {
            kdf: KdfParams::insecure_for_tests(),
            ..InitOptions::default()
        },
    )
    .await
    .expect("repository");
    let catalog = catalog::open(&dir.path().join("catalog.db").display().to_string())
        .await
        .expect("catalog");
    World {
        sim,
        graph,
        target: Target {
            repo: Arc::new(repo),
            location: "memory".into(),
            catalog,
        },
        _dir: dir,
    }
}

/// A Graph client signed in as simulator app `name`.
pub fn graph_for(sim: &SimServer, name: &str) -> GraphClient {
    let app = sim.credentials.app(name).expect("app");
    let cloud = Cloud::from_urls(Some(&sim.base_url), Some(&sim.base_url)).expect("cloud");
    let http = graph::http::build(&HttpOptions::default()).expect("http");
    let credential = AppCredential {
        tenant: TenantId::parse(&sim.credentials.tenant_id).expect("tenant"),
        client_id: Guid::parse(&app.client_id, "client").expect("client id"),
        credential: Credential::Secret(SecretString::from(
            app.client_secret.clone().expect("secret"),
        )),
    };
    let tokens = Arc::new(AppTokenSource::new(
        IdentityClient::new(http.clone(), cloud.clone()),
        credential,
    ));
    GraphClient::new(http, &cloud, tokens)
}

impl World {
    pub async fn mailboxes(&self, spec: &ScopeSpec) -> Vec<Mailbox> {
        crate::engine::resolve(&self.graph, spec)
            .await
            .expect("scope")
    }

    pub async fn all(&self) -> Vec<Mailbox> {
        self.mailboxes(&ScopeSpec {
            all: true,
            ..ScopeSpec::default()
        })
        .await
    }

    pub fn options(&self) -> BackupOptions {
        let mut o = BackupOptions::new("test", self.sim.credentials.tenant_id.clone());
        o.data.calendar = false;
        o.data.contacts = false;
        o
    }

    pub async fn backup(&self, mailboxes: Vec<Mailbox>) -> BackupSummary {
        self.backup_with(mailboxes, self.options()).await
    }

    pub async fn backup_with(
        &self,
        mailboxes: Vec<Mailbox>,
        options: BackupOptions,
    ) -> BackupSummary {
        crate::engine::backup(
            self.graph.clone(),
            &self.target,
            mailboxes,
            options,
            Arc::new(Progress::default()),
        )
        .await
        .expect("backup")
    }

    /// `GET /_sim/truth/items?user=…&kind=…`.
    pub async fn truth(&self, user: &str, kind: &str) -> Vec<Value> {
        let url = format!(
            "{}/_sim/truth/items?user={user}&kind={kind}",
            self.sim.base_url
        );
        let r = reqwest::get(url).await.expect("truth");
        assert_eq!(r.status(), 200, "truth for {user}");
        r.json().await.expect("truth json")
    }

    /// `POST /_sim/faults`.
    pub async fn faults(&self, body: Value) {
        let r = reqwest::Client::new()
            .post(format!("{}/_sim/faults", self.sim.base_url))
            .json(&body)
            .send()
            .await
            .expect("faults");
        assert_eq!(r.status(), 200, "faults");
    }

    /// `GET /_sim/stats`.
    pub async fn sim_stats(&self) -> Value {
        reqwest::get(format!("{}/_sim/stats", self.sim.base_url))
            .await
            .expect("stats")
            .json()
            .await
            .expect("stats json")
    }

    /// `POST /_sim/mutate`.
    pub async fn mutate(&self, body: Value) -> Value {
        let r = reqwest::Client::new()
            .post(format!("{}/_sim/mutate", self.sim.base_url))
            .json(&body)
            .send()
            .await
            .expect("mutate");
        assert_eq!(r.status(), 200, "mutate");
        r.json().await.expect("mutate json")
    }

    /// The mail of `user` in the latest run: id → (folder path, sha256 of the MIME, size).
    pub async fn backed_up_mail(&self, user: &str) -> BTreeMap<String, (String, String, u64)> {
        self.backed_up(user, "mail").await
    }

    /// Items of `kind` of `user` in the latest run: id → (folder path, sha256, size).
    pub async fn backed_up(
        &self,
        user: &str,
        kind: &str,
    ) -> BTreeMap<String, (String, String, u64)> {
        let repo = &self.target.repo;
        let run = crate::engine::browse::open_run(repo, self.target.catalog.as_ref(), "latest")
            .await
            .expect("latest run");
        let mut records = Vec::new();
        crate::engine::browse::each_item(repo, &run.manifest, |r| {
            if r.resource == user.to_ascii_lowercase() && r.kind == kind {
                records.push(r);
            }
        })
        .await
        .expect("items");
        let mut out = BTreeMap::new();
        for r in records {
            let mut mime = Vec::new();
            repo.restore_item(&r, &mut mime).await.expect("restore");
            out.insert(
                r.id.clone(),
                (
                    r.path.clone(),
                    hex(&Sha256::digest(&mime)),
                    mime.len() as u64,
                ),
            );
        }
        out
    }

    /// The truth for `user`'s mail in the same shape.
    pub async fn true_mail(&self, user: &str) -> BTreeMap<String, (String, String, u64)> {
        self.true_items(user, "message").await
    }

    /// The truth for `user`'s items of truth kind `kind` in the same shape.
    pub async fn true_items(
        &self,
        user: &str,
        kind: &str,
    ) -> BTreeMap<String, (String, String, u64)> {
        self.truth(user, kind)
            .await
            .into_iter()
            .map(|v| {
                (
                    v["id"].as_str().expect("id").to_owned(),
                    (
                        v["path"].as_str().expect("path").to_owned(),
                        v["sha256"].as_str().expect("sha").to_ascii_lowercase(),
                        v["size"].as_u64().expect("size"),
                    ),
                )
            })
            .collect()
    }
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
