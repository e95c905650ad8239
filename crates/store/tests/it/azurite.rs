//! Azure Blob through Azurite, Microsoft's storage emulator (from npm, installed into
//! `target/azurite` on first use): the same conformance suite and a repository round trip.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use m365vault_store::backend::AzblobOptions;
use m365vault_store::{BlobStore, Location};
use sha2::Sha256;

/// Azurite's documented development account.
const ACCOUNT: &str = "devstoreaccount1";
const KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
const VERSION: &str = "3.35.0";

fn target_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/azurite")
}

/// The azurite-blob program: M365VAULT_AZURITE, or installed with npm on first use.
fn azurite_blob() -> PathBuf {
    if let Ok(path) = std::env::var("M365VAULT_AZURITE") {
        return PathBuf::from(path);
    }
    let bin = target_dir().join("node_modules/.bin/azurite-blob");
    if !bin.exists() {
        let status = std::process::Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--prefix"])
            .arg(target_dir())
            .arg(format!("azurite@{VERSION}"))
            .stdout(Stdio::null())
            .status();
        assert!(
            matches!(status, Ok(s) if s.success()),
            "cannot install Azurite ({status:?}): install Node.js and npm, or run `npm install --prefix target/azurite azurite@{VERSION}`, or set M365VAULT_AZURITE"
        );
    }
    bin
}

struct Azurite {
    child: tokio::process::Child,
    endpoint: String,
    _dir: tempfile::TempDir,
}

impl Drop for Azurite {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

async fn start() -> Azurite {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("port")
        .local_addr()
        .expect("addr")
        .port();
    let dir = tempfile::tempdir().expect("dir");
    let log = dir.path().join("azurite.log");
    let stderr = std::fs::File::create(&log).expect("log file");
    let mut child = tokio::process::Command::new(azurite_blob())
        .args([
            "--blobHost",
            "127.0.0.1",
            "--blobPort",
            &port.to_string(),
            "--silent",
            "--disableTelemetry",
            "--skipApiVersionCheck",
            "--location",
        ])
        .arg(dir.path().join("data"))
        .stdout(Stdio::null())
        .stderr(stderr)
        .kill_on_drop(true)
        .spawn()
        .expect("start azurite-blob");
    let endpoint = format!("http://127.0.0.1:{port}/{ACCOUNT}");
    // Node starts slowly on a loaded 2-core machine (the whole suite runs beside it): allow
    // a minute, and say why if Azurite exits instead.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while std::time::Instant::now() < deadline {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return Azurite {
                child,
                endpoint,
                _dir: dir,
            };
        }
        if let Ok(Some(status)) = child.try_wait() {
            let output = std::fs::read_to_string(&log).unwrap_or_default();
            panic!("Azurite exited ({status}) before listening on port {port}:\n{output}");
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let output = std::fs::read_to_string(&log).unwrap_or_default();
    panic!("Azurite did not listen on port {port} within 60 s:\n{output}");
}

/// Creates a container (opendal does not), signed with Shared Key.
async fn create_container(endpoint: &str, container: &str) {
    let date = httpdate(time::OffsetDateTime::now_utc());
    let version = "2021-08-06";
    let resource = format!("/{ACCOUNT}/{ACCOUNT}/{container}\nrestype:container");
    let to_sign =
        format!("PUT\n\n\n\n\n\n\n\n\n\n\n\nx-ms-date:{date}\nx-ms-version:{version}\n{resource}");
    let mut mac =
        Hmac::<Sha256>::new_from_slice(&STANDARD.decode(KEY).expect("key")).expect("hmac");
    mac.update(to_sign.as_bytes());
    let signature = STANDARD.encode(mac.finalize().into_bytes());
    let response = reqwest::Client::new()
        .put(format!("{endpoint}/{container}?restype=container"))
        .header("x-ms-date", date)
        .header("x-ms-version", version)
        .header("authorization", format!("SharedKey {ACCOUNT}:{signature}"))
        .header("content-length", "0")
        .send()
        .await
        .expect("create container");
    assert!(
        response.status().is_success(),
        "create container: {}",
        response.status()
    );
}

fn httpdate(t: time::OffsetDateTime) -> String {
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    t.format(&format).expect("date")
}

async fn store(endpoint: &str, container: &str) -> Arc<dyn BlobStore> {
    create_container(endpoint, container).await;
    let options = AzblobOptions {
        container: container.into(),
        prefix: "backups".into(),
        endpoint: Some(endpoint.into()),
        account_name: Some(ACCOUNT.into()),
        account_key: Some(crate::support::pass(KEY)),
    };
    Location::Azblob(options).open().expect("azblob store")
}

#[tokio::test]
async fn azblob_conforms_and_holds_a_repository() {
    let azurite = start().await;
    crate::backend::conformance(store(&azurite.endpoint, "conformance").await).await;
    crate::repo::roundtrip(store(&azurite.endpoint, "repository").await).await;
}
