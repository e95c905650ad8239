//! `connector add`, `list`, `update`, `remove`: bad input is refused clearly and loses nothing.

use crate::common::{Dir, sim};

#[tokio::test]
async fn bad_input_is_refused_with_a_reason_and_nothing_is_lost() {
    let sim = sim(201).await;
    let dir = Dir::new();
    dir.add(&sim, "good", "full", &["--data-types", "mail,calendar"])
        .await;
    let creds = &sim.credentials;
    let full = creds.app("full").expect("full");
    let secret = dir.input("s", full.client_secret.as_deref().expect("secret"));
    let empty = dir.input("empty", "\n");
    let s = secret.display().to_string();
    let e = empty.display().to_string();
    let base = |name: &'static str| -> Vec<String> {
        vec![
            "connector".into(),
            "add".into(),
            name.into(),
            "--authority-url".into(),
            creds.authority_url.clone(),
            "--graph-url".into(),
            creds.graph_url.clone(),
        ]
    };
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            [
                base("x"),
                vec![
                    "--tenant-id".into(),
                    creds.tenant_id.clone(),
                    "--client-id".into(),
                    "not-a-guid".into(),
                    "--client-secret-file".into(),
                    s.clone(),
                ],
            ]
            .concat(),
            "is not a GUID",
        ),
        (
            [
                base("x"),
                vec![
                    "--tenant-id".into(),
                    "contoso".into(),
                    "--client-id".into(),
                    full.client_id.clone(),
                    "--client-secret-file".into(),
                    s.clone(),
                ],
            ]
            .concat(),
            "is not a tenant id",
        ),
        (
            [
                base("x"),
                vec![
                    "--tenant-id".into(),
                    creds.tenant_id.clone(),
                    "--client-id".into(),
                    full.client_id.clone(),
                ],
            ]
            .concat(),
            "no credential given",
        ),
        (
            [
                base("x"),
                vec![
                    "--tenant-id".into(),
                    creds.tenant_id.clone(),
                    "--client-id".into(),
                    full.client_id.clone(),
                    "--client-secret-file".into(),
                    e,
                ],
            ]
            .concat(),
            "client secret is empty",
        ),
        (
            [
                base("x"),
                vec![
                    "--tenant-id".into(),
                    creds.tenant_id.clone(),
                    "--client-id".into(),
                    full.client_id.clone(),
                    "--client-secret-env".into(),
                    "M365VAULT_TEST_UNSET".into(),
                ],
            ]
            .concat(),
            "is not set",
        ),
        (
            [
                base("x"),
                vec![
                    "--tenant-id".into(),
                    creds.tenant_id.clone(),
                    "--client-id".into(),
                    full.client_id.clone(),
                    "--client-secret-file".into(),
                    s.clone(),
                    "--data-types".into(),
                    "mail,faxes".into(),
                ],
            ]
            .concat(),
            "unknown data type 'faxes'",
        ),
        (
            [
                base("good"),
                vec![
                    "--tenant-id".into(),
                    creds.tenant_id.clone(),
                    "--client-id".into(),
                    full.client_id.clone(),
                    "--client-secret-file".into(),
                    s.clone(),
                    "--data-types".into(),
                    "onedrive".into(),
                ],
            ]
            .concat(),
            "already exists",
        ),
        (
            [
                base("second"),
                vec![
                    "--tenant-id".into(),
                    creds.tenant_id.clone(),
                    "--client-id".into(),
                    full.client_id.clone(),
                    "--client-secret-file".into(),
                    s.clone(),
                    "--data-types".into(),
                    "calendar,chats".into(),
                ],
            ]
            .concat(),
            "already serves calendar",
        ),
        (
            [
                base("bad/name"),
                vec![
                    "--tenant-id".into(),
                    creds.tenant_id.clone(),
                    "--client-id".into(),
                    full.client_id.clone(),
                    "--client-secret-file".into(),
                    s.clone(),
                ],
            ]
            .concat(),
            "not a valid connector name",
        ),
        (
            [
                vec![
                    "connector".into(),
                    "add".into(),
                    "x".into(),
                    "--authority-url".into(),
                    "login.microsoftonline.com".into(),
                ],
                vec![
                    "--tenant-id".into(),
                    creds.tenant_id.clone(),
                    "--client-id".into(),
                    full.client_id.clone(),
                    "--client-secret-file".into(),
                    s.clone(),
                ],
            ]
            .concat(),
            "not a valid authority URL",
        ),
        (
            [
                base("x"),
                vec![
                    "--tenant-id".into(),
                    creds.tenant_id.clone(),
                    "--client-id".into(),
                    full.client_id.clone(),
                    "--client-secret-file".into(),
                    s.clone(),
                    "--client-secret-expires".into(),
                    "next year".into(),
                ],
            ]
            .concat(),
            "is not a date",
        ),
    ];
    for (args, phrase) in cases {
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let run = dir.run(&refs).await;
        assert_ne!(run.code, 0, "{args:?} should fail");
        assert!(
            run.stderr.contains(phrase),
            "expected '{phrase}' for {args:?}, got: {}",
            run.stderr
        );
    }
    // One connector per data type per tenant: a second app for files is fine.
    let run = dir
        .run(
            &[
                &base("files").iter().map(String::as_str).collect::<Vec<_>>()[..],
                &[
                    "--tenant-id",
                    &creds.tenant_id,
                    "--client-id",
                    &full.client_id,
                    "--client-secret-file",
                    &s,
                    "--data-types",
                    "onedrive,sharepoint",
                ],
            ]
            .concat(),
        )
        .await;
    assert_eq!(run.code, 0, "{}", run.stderr);

    let list = dir.run(&["connector", "list", "--json"]).await;
    let items = list.json();
    let listed: Vec<&str> = items
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert_eq!(listed, ["files", "good"]);
    let (code, _) = dir.check("good", &[]).await;
    assert_eq!(code, 0, "the first connector still works");

    let text = dir.run(&["connector", "list"]).await;
    assert!(
        text.stdout.contains("good") && text.stdout.contains("mail,calendar"),
        "{}",
        text.stdout
    );
    let missing = dir.run(&["connector", "check", "nope"]).await;
    assert_eq!(missing.code, 1);
    assert!(
        missing.stderr.contains("no connector named 'nope'")
            && missing.stderr.contains("files, good"),
        "{}",
        missing.stderr
    );

    let removed = dir.run(&["connector", "remove", "files"]).await;
    assert_eq!(removed.code, 0);
    let list = dir.run(&["connector", "list", "--json"]).await.json();
    assert_eq!(list.as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn update_replaces_an_expired_secret() {
    let sim = sim(202).await;
    let dir = Dir::new();
    dir.add(&sim, "c", "expired-secret", &[]).await;
    assert_eq!(dir.check("c", &[]).await.0, 1);
    // The administrator makes a new secret in the portal (here: an administrator's addPassword).
    let new_secret = {
        let mut t = sim.state.tenant_mut();
        let app_id = sim
            .credentials
            .app("expired-secret")
            .expect("app")
            .client_id
            .clone();
        let app = t
            .apps
            .iter_mut()
            .find(|a| a.app_id.to_string() == app_id)
            .expect("app");
        let s = sim::tenant::SimSecret {
            key_id: model::Guid::new_v4(),
            value: sim::tenant::new_secret_value(),
            display_name: "rotated".into(),
            start: time::OffsetDateTime::now_utc() - time::Duration::minutes(1),
            end: time::OffsetDateTime::now_utc() + time::Duration::days(180),
        };
        let v = s.value.clone();
        app.secrets.push(s);
        v
    };
    let f = dir.input("new", &new_secret);
    let expires = (time::OffsetDateTime::now_utc() + time::Duration::days(180))
        .date()
        .to_string();
    let run = dir
        .run(&[
            "connector",
            "update",
            "c",
            "--client-secret-file",
            &f.display().to_string(),
            "--client-secret-expires",
            &expires,
        ])
        .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let (code, report) = dir.check("c", &[]).await;
    assert_eq!(code, 0, "{report}");
}

#[tokio::test]
async fn a_certificate_and_key_in_one_file_keep_the_key_out_of_the_connector_file() {
    let sim = sim(203).await;
    let dir = Dir::new();
    let app = sim.credentials.app("certificate").expect("app");
    let both = format!(
        "{}{}",
        app.certificate_pem.as_deref().expect("cert"),
        app.private_key_pem.as_deref().expect("key")
    );
    let pem = dir.input("both.pem", &both);
    let run = dir
        .run(&[
            "connector",
            "add",
            "c",
            "--tenant-id",
            &sim.credentials.tenant_id,
            "--client-id",
            &app.client_id,
            "--certificate",
            &pem.display().to_string(),
            "--authority-url",
            &sim.credentials.authority_url,
            "--graph-url",
            &sim.credentials.graph_url,
        ])
        .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let (code, report) = dir.check("c", &[]).await;
    assert_eq!(code, 0, "{report}");
    let connectors =
        std::fs::read_to_string(dir.path().join("connectors.json")).expect("connectors.json");
    assert!(
        connectors.contains("BEGIN CERTIFICATE") && !connectors.contains("PRIVATE KEY"),
        "{connectors}"
    );
}
