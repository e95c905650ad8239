//! After every run of these tests, no secret is in a data directory or in what
//! the commands printed (with logging at its most detailed).

use std::path::Path;

use crate::common::{Dir, TRANSCRIPT, sim};

fn files(dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = entry.path();
        if p.is_dir() {
            files(&p, out);
        } else if let Ok(bytes) = std::fs::read(&p) {
            out.push((p.display().to_string(), bytes));
        }
    }
}

#[tokio::test]
async fn no_secret_reaches_the_data_directory_or_the_output() {
    let sim = sim(401).await;
    let dir = Dir::new();
    dir.add(&sim, "full", "full", &["--data-types", "mail"])
        .await;
    dir.add(&sim, "cert", "certificate", &["--data-types", "calendar"])
        .await;
    dir.add(
        &sim,
        "expired",
        "expired-secret",
        &["--data-types", "contacts"],
    )
    .await;
    for name in ["full", "cert", "expired"] {
        dir.check(name, &[]).await;
        dir.run(&["connector", "check", name, "-vvv"]).await;
    }
    dir.run(&["connector", "list"]).await;
    dir.run(&["connector", "list", "--json"]).await;

    let mut secrets: Vec<String> = Vec::new();
    for app in sim.credentials.apps.values() {
        secrets.extend(app.client_secret.clone());
        if let Some(key) = &app.private_key_pem {
            // Every line of the key's body.
            secrets.extend(
                key.lines()
                    .filter(|l| !l.starts_with("-----") && l.len() > 20)
                    .map(str::to_owned),
            );
        }
    }
    assert!(secrets.len() > 8);

    let mut found = Vec::new();
    files(dir.path(), &mut found);
    assert!(
        found.iter().any(|(p, _)| p.ends_with("vault.json")),
        "the vault is there"
    );
    let transcript = TRANSCRIPT.lock().unwrap_or_else(|e| e.into_inner()).clone();
    assert!(
        transcript.contains("TRACE") || transcript.contains("DEBUG"),
        "logging was on"
    );
    for s in &secrets {
        for (path, bytes) in &found {
            assert!(
                !String::from_utf8_lossy(bytes).contains(s.as_str()),
                "a secret is in {path}"
            );
        }
        assert!(!transcript.contains(s.as_str()), "a secret was printed");
    }
    // Access tokens (JWTs begin with the base64 of '{"typ":"JWT"').
    assert!(
        !transcript.contains("eyJ0eXAiOiJKV1Qi"),
        "an access token was printed"
    );
    for (path, bytes) in &found {
        assert!(
            !String::from_utf8_lossy(bytes).contains("eyJ0eXAiOiJKV1Qi"),
            "an access token is in {path}"
        );
    }
}
