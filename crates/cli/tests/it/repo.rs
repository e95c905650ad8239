//! `m365vault repo …` as an administrator uses it.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use secrecy::SecretString;
use store::backend::fs::FsStore;
use store::{Repository, RunWriter, WriteOptions};

use crate::common::{Dir, Run};

const PASS: &str = "tide pool lantern 42";

fn env(repo: &Path) -> Vec<(&'static str, String)> {
    vec![
        ("M365VAULT_REPO", repo.display().to_string()),
        ("M365VAULT_PASSPHRASE", PASS.to_owned()),
    ]
}

async fn m365vault(dir: &Dir, repo: &Path, args: &[&str]) -> Run {
    let env = env(repo);
    let pairs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    dir.run_env(args, &pairs).await
}

/// Writes a run of `n` items through the library, as a backup will.
async fn backup(repo: &Path, run: &str, n: u32) {
    let store = Arc::new(FsStore::new(repo));
    let repo = Arc::new(
        Repository::open(store, SecretString::from(PASS.to_owned()))
            .await
            .expect("open"),
    );
    let writer = RunWriter::start(repo, run, BTreeMap::new(), WriteOptions::default())
        .await
        .expect("start");
    for i in 0..n {
        let info = store::ItemInfo {
            resource: "alice".into(),
            kind: "mail".into(),
            id: format!("{run}-m{i}"),
            path: "/Inbox".into(),
            ..Default::default()
        };
        let body = format!(
            "Subject: note {i}\r\n\r\n{}",
            "quarterly figures attached. ".repeat(200 + i as usize)
        );
        writer.put_item(info, body.as_bytes()).await.expect("put");
    }
    writer.finish().await.expect("finish");
}

fn assert_no_passphrase(runs: &[&Run]) {
    for r in runs {
        assert!(
            !r.stdout.contains(PASS) && !r.stderr.contains(PASS),
            "the passphrase leaked:\n{}\n{}",
            r.stdout,
            r.stderr
        );
    }
}

#[tokio::test]
async fn repository_lifecycle() {
    let dir = Dir::new();
    let repo = dir.path().join("repo");
    let init = m365vault(&dir, &repo, &["repo", "init", "--json", "--label", "first"]).await;
    assert_eq!(init.code, 0, "{}", init.stderr);
    let id = init.json()["id"].as_str().expect("id").to_owned();
    let again = m365vault(&dir, &repo, &["repo", "init"]).await;
    assert!(
        again.code != 0 && again.stderr.contains("already exists"),
        "{}",
        again.stderr
    );

    backup(&repo, "run-1", 5).await;
    backup(&repo, "run-2", 5).await;
    backup(&repo, "run-3", 6).await;
    let stats = m365vault(&dir, &repo, &["repo", "stats", "--json"]).await;
    assert_eq!(stats.json()["runs"], 3, "{}", stats.stderr);
    assert_eq!(stats.json()["items"], 16);

    // A second passphrase opens it; the first can then be removed.
    let second = dir.input("second", "second passphrase, long enough\n");
    let add = m365vault(
        &dir,
        &repo,
        &[
            "repo",
            "passphrase",
            "add",
            "--new-passphrase-file",
            second.to_str().expect("path"),
            "--label",
            "ops",
        ],
    )
    .await;
    assert_eq!(add.code, 0, "{}", add.stderr);
    let keys = m365vault(&dir, &repo, &["repo", "passphrase", "list", "--json"])
        .await
        .json();
    let first = keys
        .as_array()
        .expect("keys")
        .iter()
        .find(|k| k["current"] == true)
        .expect("current")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let via_second = dir
        .run_env(
            &[
                "repo",
                "passphrase",
                "remove",
                &first[..12],
                "--passphrase-file",
                second.to_str().expect("path"),
            ],
            &[("M365VAULT_REPO", repo.to_str().expect("path"))],
        )
        .await;
    assert_eq!(via_second.code, 0, "{}", via_second.stderr);
    let wrong = m365vault(&dir, &repo, &["repo", "check"]).await;
    assert_eq!(wrong.code, 1);
    assert!(
        wrong.stderr.contains("passphrase does not open"),
        "{}",
        wrong.stderr
    );
    let add_back = dir
        .run_env(
            &[
                "repo",
                "passphrase",
                "add",
                "--passphrase-file",
                second.to_str().expect("path"),
            ],
            &[
                ("M365VAULT_REPO", repo.to_str().expect("path")),
                ("M365VAULT_NEW_PASSPHRASE", PASS),
            ],
        )
        .await;
    assert_eq!(add_back.code, 0, "{}", add_back.stderr);

    // Retention: a dry run changes nothing; then two runs go, and prune frees their space.
    let dry = m365vault(
        &dir,
        &repo,
        &["repo", "forget", "--keep-last", "1", "--dry-run"],
    )
    .await;
    assert!(
        dry.stdout.contains("2 runs would be removed"),
        "{}",
        dry.stdout
    );
    assert_eq!(
        m365vault(&dir, &repo, &["repo", "stats", "--json"])
            .await
            .json()["runs"],
        3
    );
    let forget = m365vault(
        &dir,
        &repo,
        &["repo", "forget", "--keep-last", "1", "--json"],
    )
    .await;
    assert_eq!(
        forget.json()["forget"].as_array().expect("forget").len(),
        2,
        "{}",
        forget.stderr
    );
    for _ in 0..2 {
        let prune = m365vault(&dir, &repo, &["repo", "prune"]).await;
        assert_eq!(prune.code, 0, "{}", prune.stderr);
    }
    let check = m365vault(&dir, &repo, &["repo", "check", "--read-data"]).await;
    assert_eq!(check.code, 0, "{}\n{}", check.stdout, check.stderr);
    assert!(
        check.stdout.contains("1 runs") && check.stdout.contains("No errors"),
        "{}",
        check.stdout
    );

    // The catalog comes back from the repository alone.
    std::fs::remove_file(dir.path().join("catalog.db")).expect("lose the catalog");
    let rebuilt = m365vault(&dir, &repo, &["repo", "rebuild-catalog", "--json"]).await;
    assert_eq!(rebuilt.code, 0, "{}", rebuilt.stderr);
    assert_eq!(
        (
            rebuilt.json()["runs"].as_u64(),
            rebuilt.json()["item_versions"].as_u64()
        ),
        (Some(1), Some(6))
    );
    assert_no_passphrase(&[
        &init,
        &again,
        &stats,
        &add,
        &via_second,
        &wrong,
        &dry,
        &forget,
        &check,
        &rebuilt,
    ]);
    assert!(!id.is_empty());
}

#[tokio::test]
async fn check_names_damaged_packs_and_items() {
    let dir = Dir::new();
    let repo = dir.path().join("repo");
    assert_eq!(m365vault(&dir, &repo, &["repo", "init"]).await.code, 0);
    backup(&repo, "run-1", 3).await;
    let pack = walk(&repo.join("packs"))
        .into_iter()
        .next()
        .expect("a pack");
    let mut bytes = std::fs::read(&pack).expect("read");
    bytes[100] ^= 0x20;
    std::fs::write(&pack, bytes).expect("damage");
    let quick = m365vault(&dir, &repo, &["repo", "check"]).await;
    assert_eq!(quick.code, 0, "structure is fine: {}", quick.stdout);
    let full = m365vault(&dir, &repo, &["repo", "check", "--read-data=100"]).await;
    assert_eq!(full.code, 1, "{}", full.stdout);
    let name = pack.file_name().and_then(|n| n.to_str()).expect("name");
    assert!(
        full.stdout.contains(&format!("error: pack {name}")),
        "{}",
        full.stdout
    );
    assert!(
        full.stdout
            .contains("affects alice:/Inbox (run-1-m0) in run run-1"),
        "{}",
        full.stdout
    );
    let bad_percent = m365vault(&dir, &repo, &["repo", "check", "--read-data=0"]).await;
    assert_eq!(
        bad_percent.code, 2,
        "clap refuses it: {}",
        bad_percent.stderr
    );
}

#[tokio::test]
async fn bad_locations_are_clear_errors() {
    let dir = Dir::new();
    let none = dir
        .run_env(&["repo", "check"], &[("M365VAULT_PASSPHRASE", PASS)])
        .await;
    assert!(
        none.code != 0 && none.stderr.contains("--repo"),
        "{}",
        none.stderr
    );
    let scheme = dir
        .run_env(
            &["repo", "check", "--repo", "ftp://x/y"],
            &[("M365VAULT_PASSPHRASE", PASS)],
        )
        .await;
    assert!(
        scheme.stderr.contains("s3://bucket/prefix"),
        "{}",
        scheme.stderr
    );
    let empty = dir.path().join("empty");
    let missing = m365vault(&dir, &empty, &["repo", "check"]).await;
    assert!(
        missing.stderr.contains("no m365vault repository") && missing.stderr.contains("repo init"),
        "{}",
        missing.stderr
    );
}

#[tokio::test]
async fn the_catalog_can_live_in_postgresql() {
    use sqlx::Connection;
    let base = std::env::var("M365VAULT_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let mut admin = sqlx::PgConnection::connect(&base).await.unwrap_or_else(|e| {
        panic!("PostgreSQL is not reachable at 127.0.0.1:5432 ({e}); start it with `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`")
    });
    let schema = format!("cli_{}", uuid::Uuid::new_v4().simple());
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .execute(&mut admin)
        .await
        .expect("schema");
    let url = format!("{base}?options=-c%20search_path%3D{schema}");
    let dir = Dir::new();
    let repo = dir.path().join("repo");
    assert_eq!(
        m365vault(&dir, &repo, &["repo", "init", "--catalog", &url])
            .await
            .code,
        0
    );
    backup(&repo, "run-1", 2).await;
    let rebuilt = m365vault(
        &dir,
        &repo,
        &["repo", "rebuild-catalog", "--catalog", &url, "--json"],
    )
    .await;
    assert_eq!(rebuilt.code, 0, "{}", rebuilt.stderr);
    let (runs,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT count(*) FROM {schema}.runs"
    )))
    .fetch_one(&mut admin)
    .await
    .expect("count");
    assert_eq!(runs, 1);
    assert!(
        !dir.path().join("catalog.db").exists(),
        "nothing went to SQLite"
    );
    sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
        .execute(&mut admin)
        .await
        .expect("drop");
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("dir").flatten() {
        if entry.path().is_dir() {
            out.extend(walk(&entry.path()));
        } else {
            out.push(entry.path());
        }
    }
    out.sort();
    out
}
