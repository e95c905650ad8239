//! `m365vault sim serve`.

use tokio::io::{AsyncBufReadExt, BufReader};

use crate::common::BIN;

#[tokio::test]
async fn sim_serve_prints_its_address_and_writes_credentials() {
    let dir = tempfile::tempdir().expect("tempdir");
    let creds_path = dir.path().join("creds.json");
    // An existing file readable by others does not keep its mode.
    std::fs::write(&creds_path, "{}").expect("pre-existing file");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&creds_path, std::fs::Permissions::from_mode(0o644))
            .expect("chmod");
    }
    let mut child = tokio::process::Command::new(BIN)
        .args([
            "sim",
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--seed",
            "9",
            "--users",
            "15",
            "--tls",
            "--credentials-out",
        ])
        .arg(&creds_path)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let url = lines
        .next_line()
        .await
        .expect("read")
        .expect("an address line");
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");
    let creds: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&creds_path).expect("credentials file"))
            .expect("json");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&creds_path)
                .expect("meta")
                .permissions()
                .mode()
                & 0o777,
            0o600
        );
    }
    assert_eq!(creds["authority_url"], url.as_str());
    assert_eq!(creds["graph_url"], url.as_str());
    for app in [
        "full",
        "mail-only",
        "no-consent",
        "expired-secret",
        "certificate",
        "admin",
    ] {
        assert!(creds["apps"][app]["client_id"].is_string(), "{app}");
    }
    assert!(
        creds["apps"]["certificate"]["certificate_pem"]
            .as_str()
            .is_some_and(|c| c.contains("BEGIN CERTIFICATE"))
    );
    assert!(
        creds["apps"]["certificate"]["private_key_pem"]
            .as_str()
            .is_some_and(|c| c.contains("PRIVATE KEY"))
    );
    assert!(creds["apps"]["certificate"]["client_secret"].is_null());
    let ca = creds["ca_pem"].as_str().expect("ca_pem with --tls");

    let client = reqwest::Client::builder()
        .tls_certs_merge(reqwest::Certificate::from_pem_bundle(ca.as_bytes()).expect("ca"))
        .build()
        .expect("client");
    let tid = creds["tenant_id"].as_str().expect("tenant");
    let r = client
        .post(format!("{url}/{tid}/oauth2/v2.0/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            (
                "client_id",
                creds["apps"]["full"]["client_id"].as_str().expect("id"),
            ),
            (
                "client_secret",
                creds["apps"]["full"]["client_secret"]
                    .as_str()
                    .expect("secret"),
            ),
            ("scope", "https://graph.microsoft.com/.default"),
        ])
        .send()
        .await
        .expect("token over https");
    assert_eq!(r.status(), 200);
    let summary: serde_json::Value = client
        .get(format!("{url}/_sim/truth/summary"))
        .send()
        .await
        .expect("truth")
        .json()
        .await
        .expect("json");
    assert_eq!(summary["users"].as_array().map(Vec::len), Some(15));
    child.kill().await.expect("stop");
}

#[tokio::test]
async fn demo_runs_and_checks_green() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = tokio::process::Command::new(BIN)
        .args(["demo", "--data-dir"])
        .arg(dir.path())
        .output()
        .await
        .expect("demo");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("== m365vault connector check demo ==") && stdout.contains("Result: OK"),
        "{stdout}"
    );
    assert!(
        stdout.contains("ChannelMessage.Read.All"),
        "the second connector shows missing permissions: {stdout}"
    );
    assert!(
        stdout.contains(" OneDrives, 1 sites,") && !stdout.contains(" 0 OneDrives"),
        "the demo backs up OneDrives and one site: {stdout}"
    );
    let exported = stdout
        .lines()
        .find(|l| l.contains(".m365vault-metadata.json under"))
        .unwrap_or_default();
    assert!(
        !exported.starts_with("0 files"),
        "the demo exports a OneDrive: {stdout}"
    );
}
