//! `connector check` for every kind of app registration the simulator has.

use model::DataType;
use model::permissions::{self, Operation};

use crate::common::{Dir, data_type, names, sim};

#[tokio::test]
async fn full_and_certificate_apps_check_green_for_every_data_type() {
    let sim = sim(101).await;
    for app in ["full", "certificate"] {
        let dir = Dir::new();
        dir.add(
            &sim,
            app,
            app,
            &["--client-secret-expires", "2030-01-01"]
                .iter()
                .copied()
                .filter(|_| app == "full")
                .collect::<Vec<_>>(),
        )
        .await;
        let (code, report) = dir.check(app, &["--restore"]).await;
        assert_eq!(code, 0, "{app}: {report}");
        assert_eq!(report["ok"], true);
        assert_eq!(report["sign_in"]["ok"], true);
        assert_eq!(report["graph_probe"]["ok"], true);
        for d in DataType::ALL {
            let r = data_type(&report, d.as_str());
            assert_eq!(r["backup"], "ok", "{app} {d}");
            let restore = r["restore"].as_str().unwrap_or_default();
            assert!(
                restore == "ok"
                    || (restore == "not-supported"
                        && matches!(d, DataType::Chats | DataType::Inventory)),
                "{app} {d}: {restore}"
            );
        }
        assert_eq!(
            report["credential"]["kind"],
            if app == "full" {
                "client-secret"
            } else {
                "certificate"
            }
        );
        assert_eq!(report["credential"]["state"], "ok");
        let text = dir.run(&["connector", "check", app]).await;
        assert_eq!(text.code, 0);
        assert!(text.stdout.contains("Result: OK"), "{}", text.stdout);
    }
}

#[tokio::test]
async fn mail_only_shows_exactly_what_the_other_data_types_miss() {
    let sim = sim(102).await;
    let dir = Dir::new();
    dir.add(&sim, "mail", "mail-only", &[]).await;
    let (code, report) = dir.check("mail", &[]).await;
    assert_eq!(code, 1, "a selected data type cannot be backed up");
    assert_eq!(report["ok"], false);
    let granted: Vec<String> = report["granted"]
        .as_array()
        .expect("granted")
        .iter()
        .filter_map(|g| g.as_str().map(str::to_owned))
        .collect();
    assert_eq!(
        granted,
        ["Mail.Read", "MailboxSettings.Read", "User.Read.All"]
    );
    for d in DataType::ALL {
        let r = data_type(&report, d.as_str());
        let want: Vec<String> = permissions::required(d, Operation::Backup)
            .into_iter()
            .filter(|p| !permissions::satisfied(p.name, &granted))
            .map(|p| p.name.to_owned())
            .collect();
        assert_eq!(names(&r["backup_missing"]), want, "{d}");
        assert_eq!(
            r["backup"],
            if want.is_empty() { "ok" } else { "missing" },
            "{d}"
        );
        for p in r["backup_missing"].as_array().into_iter().flatten() {
            let known = permissions::permission(p["name"].as_str().unwrap_or_default())
                .expect("a real permission");
            assert_eq!(
                p["description"], known.display_name,
                "named as the portal shows it"
            );
            assert_eq!(p["type"], "Application");
        }
    }
    assert_eq!(
        names(&data_type(&report, "mail")["restore_missing"]),
        ["Mail.ReadWrite"]
    );
    assert!(
        report["admin_consent_url"]
            .as_str()
            .is_some_and(|u| u.contains("/v2.0/adminconsent?client_id="))
    );

    let text = dir.run(&["connector", "check", "mail"]).await;
    assert_eq!(text.code, 1);
    for expected in [
        "Files.Read.All",
        "Read files in all site collections",
        "Calendars.Read",
        "adminconsent",
        "Result: FAILED",
    ] {
        assert!(
            text.stdout.contains(expected),
            "missing '{expected}' in:\n{}",
            text.stdout
        );
    }

    let (code, report) = dir.check("mail", &["--data-types", "mail"]).await;
    assert_eq!(code, 0, "{report}");
    let (code, _) = dir
        .check("mail", &["--data-types", "mail", "--restore"])
        .await;
    assert_eq!(code, 1, "restore needs Mail.ReadWrite");
}

/// Adds `app` with `modify` applied to the connector arguments, and checks it.
async fn failing_check(
    sim: &sim::SimServer,
    app: &str,
    args: &[&str],
) -> (serde_json::Value, String) {
    let dir = Dir::new();
    dir.add(sim, "c", app, args).await;
    let (code, report) = dir.check("c", &[]).await;
    assert_eq!(code, 1, "{app}: {report}");
    assert_eq!(report["ok"], false);
    let text = dir.run(&["connector", "check", "c"]).await;
    assert_eq!(text.code, 1);
    (report, text.stdout)
}

#[tokio::test]
async fn consent_missing_and_expired_secret() {
    let sim = sim(103).await;
    let (report, text) = failing_check(&sim, "no-consent", &[]).await;
    assert_eq!(
        report["sign_in"]["ok"], true,
        "a token is issued without roles"
    );
    assert_eq!(report["granted"], serde_json::json!([]));
    assert!(report["warnings"].as_array().is_some_and(|w| {
        w.iter()
            .any(|x| x.as_str().unwrap_or_default().contains("admin consent"))
    }));
    assert!(
        text.contains("admin consent") && text.contains("adminconsent?client_id="),
        "{text}"
    );

    let (report, text) = failing_check(&sim, "expired-secret", &[]).await;
    assert_eq!(report["sign_in"]["error_kind"], "expired-secret");
    assert_eq!(report["sign_in"]["aadsts"], 7000222);
    assert_eq!(report["credential"]["state"], "expired");
    assert!(
        text.contains("has expired") && text.contains("AADSTS7000222"),
        "{text}"
    );
}

#[tokio::test]
async fn expiring_secret_warns_but_passes() {
    let sim = sim(104).await;
    let dir = Dir::new();
    let soon = (time::OffsetDateTime::now_utc() + time::Duration::days(10))
        .date()
        .to_string();
    dir.add(
        &sim,
        "soon",
        "expiring-secret",
        &["--client-secret-expires", &soon],
    )
    .await;
    let (code, report) = dir.check("soon", &[]).await;
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["credential"]["state"], "expiring");
    let text = dir.run(&["connector", "check", "soon"]).await;
    assert!(
        text.stdout.contains("Warning: the client secret") && text.stdout.contains("days left"),
        "{}",
        text.stdout
    );
}

#[tokio::test]
async fn wrong_secret_secret_id_wrong_tenant_and_unknown_app() {
    let sim = sim(105).await;
    let creds = sim.credentials.clone();
    let full = creds.app("full").expect("full").clone();
    let cases: Vec<(&str, Vec<String>, &str, &str)> = vec![
        (
            "wrong secret",
            vec!["--client-secret-file".into(), "WRONG".into()],
            "invalid-secret",
            "not its Secret ID",
        ),
        (
            "secret id",
            vec!["--client-secret-file".into(), "ID".into()],
            "secret-id-given",
            "Secret ID",
        ),
        (
            "wrong tenant",
            vec!["--tenant-id".into(), "nothere.onmicrosoft.com".into()],
            "tenant-not-found",
            "AADSTS90002",
        ),
        (
            "unknown app",
            vec![
                "--client-id".into(),
                "0b0b0b0b-1111-2222-3333-444444444444".into(),
            ],
            "app-not-found",
            "AADSTS700016",
        ),
    ];
    for (what, overrides, kind, phrase) in cases {
        let dir = Dir::new();
        let wrong = dir.input("wrong", "definitely-not-the-secret");
        let id = dir.input("id", full.secret_id.as_deref().expect("secret id"));
        let secret = dir.input("secret", full.client_secret.as_deref().expect("secret"));
        let mut args: Vec<String> = vec![
            "connector".into(),
            "add".into(),
            "c".into(),
            "--authority-url".into(),
            creds.authority_url.clone(),
            "--graph-url".into(),
            creds.graph_url.clone(),
        ];
        let has = |flag: &str| overrides.iter().any(|o| o == flag);
        if !has("--tenant-id") {
            args.extend(["--tenant-id".into(), creds.tenant_id.clone()]);
        }
        if !has("--client-id") {
            args.extend(["--client-id".into(), full.client_id.clone()]);
        }
        if !has("--client-secret-file") {
            args.extend(["--client-secret-file".into(), secret.display().to_string()]);
        }
        for o in &overrides {
            args.push(match o.as_str() {
                "WRONG" => wrong.display().to_string(),
                "ID" => id.display().to_string(),
                other => other.to_owned(),
            });
        }
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        assert_eq!(dir.run(&refs).await.code, 0, "{what}: add");
        let (code, report) = dir.check("c", &[]).await;
        assert_eq!(code, 1, "{what}");
        assert_eq!(report["sign_in"]["error_kind"], kind, "{what}: {report}");
        let text = dir.run(&["connector", "check", "c"]).await;
        assert!(
            text.stdout.contains(phrase) && text.stdout.contains("Result: FAILED"),
            "{what}: {}",
            text.stdout
        );
    }
}

#[tokio::test]
async fn a_token_from_another_identity_platform_is_refused_by_graph() {
    // Same seed: the same tenant and apps, but each simulator signs with its own key;
    // the forger's identity platform issues a token for its own copy of the app.
    let graph_side = sim(106).await;
    let forger = sim(106).await;
    let dir = Dir::new();
    let full = forger.credentials.app("full").expect("full");
    assert_eq!(
        Some(&full.client_id),
        graph_side.credentials.app("full").map(|a| &a.client_id)
    );
    let secret = dir.input("s", full.client_secret.as_deref().expect("secret"));
    let run = dir
        .run(&[
            "connector",
            "add",
            "forged",
            "--tenant-id",
            &graph_side.credentials.tenant_id,
            "--client-id",
            &full.client_id,
            "--client-secret-file",
            &secret.display().to_string(),
            "--authority-url",
            &forger.credentials.authority_url,
            "--graph-url",
            &graph_side.credentials.graph_url,
        ])
        .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let (code, report) = dir.check("forged", &[]).await;
    assert_eq!(code, 1);
    assert_eq!(report["sign_in"]["ok"], true);
    assert_eq!(report["graph_probe"]["ok"], false);
    assert_eq!(report["graph_probe"]["status"], 401);
    let text = dir.run(&["connector", "check", "forged"]).await;
    assert!(
        text.stdout.contains("refused the access token") && text.stdout.contains("same cloud"),
        "{}",
        text.stdout
    );
}
