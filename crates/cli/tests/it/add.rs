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
    // `connector add NAME` with working values, each case overriding one flag (or removing it
    // with an empty value) and adding others.
    let add = |name: &str, overrides: &[(&str, &str)]| -> Vec<String> {
        let defaults = [
            ("--authority-url", creds.authority_url.as_str()),
            ("--graph-url", creds.graph_url.as_str()),
            ("--tenant-id", creds.tenant_id.as_str()),
            ("--client-id", full.client_id.as_str()),
            ("--client-secret-file", s.as_str()),
        ];
        let mut args: Vec<String> = vec!["connector".into(), "add".into(), name.into()];
        for (flag, value) in defaults {
            let value = overrides
                .iter()
                .find(|(f, _)| *f == flag)
                .map_or(value, |(_, v)| *v);
            if !value.is_empty() {
                args.extend([flag.to_owned(), value.to_owned()]);
            }
        }
        for (flag, value) in overrides
            .iter()
            .filter(|(f, _)| !defaults.iter().any(|(d, _)| d == f))
        {
            args.extend([(*flag).to_owned(), (*value).to_owned()]);
        }
        args
    };
    let cases: Vec<(Vec<String>, &str)> = vec![
        (add("x", &[("--client-id", "not-a-guid")]), "is not a GUID"),
        (
            add("x", &[("--tenant-id", "contoso")]),
            "is not a tenant id",
        ),
        (
            add("x", &[("--client-secret-file", "")]),
            "no credential given",
        ),
        (
            add("x", &[("--client-secret-file", &e)]),
            "client secret is empty",
        ),
        (
            add(
                "x",
                &[
                    ("--client-secret-file", ""),
                    ("--client-secret-env", "M365VAULT_TEST_UNSET"),
                ],
            ),
            "is not set",
        ),
        (
            add("x", &[("--data-types", "mail,faxes")]),
            "unknown data type 'faxes'",
        ),
        (
            add("good", &[("--data-types", "onedrive")]),
            "already exists",
        ),
        (
            add("second", &[("--data-types", "calendar,chats")]),
            "already serves calendar",
        ),
        (add("bad/name", &[]), "not a valid connector name"),
        (
            add(
                "x",
                &[
                    ("--authority-url", "login.microsoftonline.com"),
                    ("--graph-url", ""),
                ],
            ),
            "not a valid authority URL",
        ),
        (
            add("x", &[("--client-secret-expires", "next year")]),
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
    let files = add("files", &[("--data-types", "onedrive,sharepoint")]);
    let run = dir
        .run(&files.iter().map(String::as_str).collect::<Vec<_>>())
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
