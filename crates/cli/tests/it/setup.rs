//! `m365vault setup` against the simulator's delegated administrator.

use tokio::io::{AsyncBufReadExt, BufReader};

use crate::common::{BIN, Dir, TRANSCRIPT, sim};

/// Runs setup, signing the administrator in when the device code appears.
async fn run_setup(sim: &sim::SimServer, dir: &Dir, extra: &[&str]) -> (i32, String, String) {
    let creds = &sim.credentials;
    let admin_app = creds.app("admin").expect("admin app").client_id.clone();
    let mut cmd = tokio::process::Command::new(BIN);
    cmd.args([
        "setup",
        "--tenant-id",
        &creds.tenant_id,
        "--authority-url",
        &creds.authority_url,
        "--graph-url",
        &creds.graph_url,
        "--client-id",
        &admin_app,
        "--wait",
        "20",
    ])
    .args(extra)
    .env("M365VAULT_DATA_DIR", dir.path())
    .env("M365VAULT_LOG", "trace")
    .stdout(std::process::Stdio::piped())
    .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().expect("spawn setup");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let mut err_text = String::new();
    let mut approved = false;
    while let Ok(Some(line)) = lines.next_line().await {
        err_text.push_str(&line);
        err_text.push('\n');
        if !approved
            && let Some(code) = line
                .split("enter the code ")
                .nth(1)
                .and_then(|r| r.split_whitespace().next())
        {
            let page = line
                .split("open the page ")
                .nth(1)
                .and_then(|r| r.split_whitespace().next())
                .expect("verification uri")
                .to_owned();
            let r = reqwest::Client::new()
                .post(page)
                .form(&[("code", code), ("username", creds.admin_user.as_str())])
                .send()
                .await
                .expect("approve");
            assert_eq!(r.status(), 200);
            approved = true;
        }
    }
    let out = child.wait_with_output().await.expect("setup finishes");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    {
        let mut t = TRANSCRIPT.lock().unwrap_or_else(|e| e.into_inner());
        t.push_str(&stdout);
        t.push_str(&err_text);
    }
    assert!(approved, "setup never showed a device code:\n{err_text}");
    (out.status.code().unwrap_or(-1), stdout, err_text)
}

#[tokio::test]
async fn setup_registers_an_app_whose_connector_checks_green() {
    let sim = sim(301).await;
    let dir = Dir::new();
    let (code, stdout, stderr) = run_setup(&sim, &dir, &["--name", "made"]).await;
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(stderr.contains("Signed in as admin@"), "{stderr}");
    assert!(stdout.contains("Result: OK"), "{stdout}");
    let (code, report) = dir.check("made", &["--restore"]).await;
    assert_eq!(code, 0, "{report}");
    // The app got exactly the permissions m365vault uses, no more.
    let mut granted: Vec<String> = report["granted"]
        .as_array()
        .expect("granted")
        .iter()
        .filter_map(|g| g.as_str().map(str::to_owned))
        .collect();
    granted.sort();
    let mut want: Vec<String> = model::permissions::all_application_permissions()
        .iter()
        .map(|p| p.name.to_owned())
        .collect();
    want.sort();
    assert_eq!(granted, want);
    let list = dir.run(&["connector", "list", "--json"]).await.json();
    assert_eq!(
        list[0]["credential_expires_at"].as_str().map(str::len),
        Some(10),
        "setup knows the secret's end date"
    );

    // No token or device code was printed, even with logging at trace.
    for marker in ["eyJ0eXAiOiJKV1Qi", "DAQABAAEAAAD"] {
        assert!(
            !stdout.contains(marker) && !stderr.contains(marker),
            "{marker} in the output"
        );
    }
    assert!(
        stderr.contains("TRACE") || stderr.contains("DEBUG"),
        "logging was on"
    );

    // The secret setup created is nowhere in clear: not in the data directory, not in the output.
    let client_id = list[0]["client_id"].as_str().expect("client id").to_owned();
    let created = sim
        .state
        .tenant()
        .app_by_app_id(&client_id)
        .and_then(|a| a.secrets.first().map(|s| s.value.clone()))
        .expect("setup made a secret");
    assert!(!stdout.contains(&created) && !stderr.contains(&created));
    for entry in walk(dir.path()) {
        let text = String::from_utf8_lossy(&std::fs::read(&entry).expect("read")).into_owned();
        assert!(
            !text.contains(&created),
            "the new secret is in {}",
            entry.display()
        );
    }
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p))
        } else {
            out.push(p)
        }
    }
    out
}

#[tokio::test]
async fn setup_with_a_certificate_and_only_mail() {
    let sim = sim(302).await;
    let dir = Dir::new();
    let (code, stdout, stderr) = run_setup(
        &sim,
        &dir,
        &[
            "--credential",
            "certificate",
            "--data-types",
            "mail",
            "--backup-only",
            "--json",
        ],
    )
    .await;
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let out: serde_json::Value = serde_json::from_str(&stdout).expect("json");
    assert_eq!(out["check"]["ok"], true);
    assert_eq!(out["check"]["credential"]["kind"], "certificate");
    assert_eq!(
        out["setup"]["requested"],
        serde_json::json!(["Mail.Read", "MailboxSettings.Read", "User.Read.All"])
    );
}

#[tokio::test]
async fn print_manifest_lists_the_permissions_to_click_through() {
    let dir = Dir::new();
    let run = dir
        .run(&[
            "setup",
            "--print-manifest",
            "--data-types",
            "inventory",
            "--backup-only",
        ])
        .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    for p in [
        "Organization.Read.All",
        "Reports.Read.All",
        "User.Read.All",
        "Read all usage reports",
        "requiredResourceAccess",
    ] {
        assert!(run.stdout.contains(p), "{p}: {}", run.stdout);
    }
    let json = dir
        .run(&[
            "setup",
            "--print-manifest",
            "--data-types",
            "inventory",
            "--backup-only",
            "--json",
        ])
        .await
        .json();
    assert_eq!(
        json["requiredResourceAccess"][0]["resourceAccess"]
            .as_array()
            .map(Vec::len),
        Some(3)
    );
}

#[tokio::test]
async fn setup_refuses_before_signing_in_when_the_connector_could_not_be_saved() {
    let sim = sim(303).await;
    let dir = Dir::new();
    dir.add(&sim, "existing", "full", &[]).await;
    let apps_before = sim.state.tenant().apps.len();
    let creds = &sim.credentials;
    let admin_app = creds.app("admin").expect("admin").client_id.clone();
    let run = dir
        .run(&[
            "setup",
            "--tenant-id",
            &creds.tenant_id,
            "--authority-url",
            &creds.authority_url,
            "--graph-url",
            &creds.graph_url,
            "--client-id",
            &admin_app,
            "--name",
            "second",
        ])
        .await;
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("already serves") && run.stderr.contains("nothing was registered"),
        "{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains("enter the code"),
        "no sign-in was started"
    );
    assert_eq!(sim.state.tenant().apps.len(), apps_before);
}
