//! `m365vault demo`: the main job on the embedded default. It starts a simulated
//! tenant in-process, adds connectors for it and prints their checks, backs up every
//! mailbox into a local repository with a SQLite catalog, lists the run and exports
//! one mailbox; it grows with every feature.

use std::process::ExitCode;

use anyhow::{Context, Result};
use connector::{CheckOptions, ConnectorSecret, ConnectorSpec, ConnectorStore, CredentialInfo};
use model::{Cloud, DataTypeSet, Guid, TenantId};
use secrecy::SecretString;
use serde_json::json;
use sim::{SimConfig, SimServer};
use time::OffsetDateTime;

use crate::cli::{Cli, DemoArgs};
use crate::cmd;
use crate::cmd::connector::check;
use engine::export::conversations::{ConversationFilter, ConversationFormat};

fn connector_for(
    server: &SimServer,
    name: &str,
    app: &str,
    data_types: &str,
) -> Result<(ConnectorSpec, ConnectorSecret)> {
    let creds = &server.credentials;
    let a = creds
        .app(app)
        .with_context(|| format!("the simulator has no app '{app}'"))?;
    let secret = a
        .client_secret
        .clone()
        .with_context(|| format!("app '{app}' has no secret"))?;
    let spec = ConnectorSpec {
        name: name.to_owned(),
        tenant_id: TenantId::parse(&creds.tenant_id)?,
        tenant_guid: None,
        client_id: Guid::parse(&a.client_id, "client id")?,
        cloud: Cloud::from_urls(Some(&creds.authority_url), Some(&creds.graph_url))?,
        data_types: data_types.parse::<DataTypeSet>()?,
        credential: CredentialInfo::ClientSecret {
            hint: secret.chars().take(3).collect(),
            expires_at: Some(OffsetDateTime::now_utc() + time::Duration::days(700)),
        },
        ca_pem: creds.ca_pem.clone(),
        created_at: OffsetDateTime::now_utc(),
    };
    Ok((
        spec,
        ConnectorSecret::ClientSecret(SecretString::from(secret)),
    ))
}

/// Runs the demo.
pub fn run(cli: &Cli, args: &DemoArgs) -> Result<ExitCode> {
    let dir = match &cli.data_dir {
        Some(d) => d.clone(),
        None => tempfile::Builder::new()
            .prefix("m365vault-demo-")
            .tempdir()?
            .keep(),
    };
    let rt = cmd::runtime()?;
    let server = rt.block_on(SimServer::start(
        SimConfig {
            seed: args.seed,
            users: args.users,
            mail_scale: args.mail_scale,
            drive_scale: args.drive_scale,
            ..SimConfig::default()
        },
        "127.0.0.1:0".parse()?,
    ))?;
    let store = ConnectorStore::open(&dir)?;
    // One app for everything a backup reads; a second, narrower app for the inventory,
    // to show what a check says about missing permissions.
    let plan = [
        (
            "demo",
            "full",
            "mail,calendar,contacts,onedrive,sharepoint,teams-channels,chats,groups",
        ),
        ("demo-inventory", "mail-only", "inventory"),
    ];
    let mut reports = Vec::new();
    for (name, app, types) in plan {
        let (spec, secret) = connector_for(&server, name, app, types)?;
        // The simulator listens on a new port every run: replace what an earlier run added.
        if store.get(name).is_ok() {
            store.remove(name)?;
        }
        store.add(spec.clone(), &secret)?;
        let spec = store.get(name)?;
        reports.push(check::check(&rt, &store, &spec, &CheckOptions::default())?);
    }
    let backup = rt.block_on(demo_backup(&store, &dir))?;
    if cli.json {
        cmd::print_json(&json!({
            "data_dir": dir,
            "simulator": {"url": server.base_url, "tenant_id": server.credentials.tenant_id, "tenant_domain": server.credentials.tenant_domain},
            "checks": reports,
            "backup": backup.summary,
            "runs": backup.runs,
            "export": {"mailbox": backup.exported_mailbox, "out": backup.export_dir, "files": backup.export.files, "messages": backup.export.items},
            "export_onedrive": {"out": backup.onedrive_dir, "files": backup.onedrive_export.items, "bytes": backup.onedrive_export.bytes},
            "export_teams": {"team": backup.team, "out": backup.teams_dir, "channels": backup.teams_export.files, "messages": backup.teams_export.items},
            "export_chats": {"user": backup.exported_mailbox, "out": backup.teams_dir.join("chats"), "chats": backup.chats_export.files, "messages": backup.chats_export.items},
        }))?;
    } else {
        println!("m365vault demo");
        println!(
            "Simulated tenant {} ({}) at {}",
            server.credentials.tenant_domain, server.credentials.tenant_id, server.base_url
        );
        println!("Data directory   {}", dir.display());
        for r in &reports {
            println!();
            println!("== m365vault connector check {} ==", r.connector);
            print!("{}", check::render(r));
        }
        println!();
        println!(
            "The first connector can back up every data type it serves; the second was registered with an app"
        );
        println!(
            "that only has mail permissions, so the check names what to grant before the tenant's inventory can be read."
        );
        println!();
        println!(
            "== m365vault backup run --connector demo --all --data mail,onedrive,teams,chats,directory --sites {} --teams \"{}\" --chat-users {} ==",
            backup.site, backup.team, backup.exported_mailbox
        );
        println!(
            "Repository       {} (passphrase in {})",
            backup.repo.display(),
            backup.passphrase_file.display()
        );
        print!("{}", backup.rendered);
        println!();
        println!("== m365vault backup list ==");
        for r in &backup.runs {
            println!("{}  {:<9} {} items", r.id, r.status, r.items);
        }
        println!();
        println!(
            "== m365vault export --run latest --user {} --format mbox ==",
            backup.exported_mailbox
        );
        println!(
            "{} messages in {} folder files under {}",
            backup.export.items,
            backup.export.files,
            backup.export_dir.display()
        );
        println!();
        println!(
            "== m365vault export --run latest --user {} --data onedrive --format files ==",
            backup.exported_mailbox
        );
        println!(
            "{} files ({}) and .m365vault-metadata.json under {}",
            backup.onedrive_export.items,
            crate::cmd::repo::human(backup.onedrive_export.bytes),
            backup.onedrive_dir.display()
        );
        println!();
        println!(
            "== m365vault export --run latest --data teams --team \"{}\" --format html ==",
            backup.team
        );
        println!(
            "{} messages in {} channel transcripts under {}",
            backup.teams_export.items,
            backup.teams_export.files,
            backup.teams_dir.display()
        );
        println!();
        println!(
            "== m365vault export --run latest --data chats --user {} --format html ==",
            backup.exported_mailbox
        );
        println!(
            "{} messages in {} chat transcripts under {}",
            backup.chats_export.items,
            backup.chats_export.files,
            backup.teams_dir.join("chats").display()
        );
    }
    rt.block_on(server.stop());
    // The demo succeeded when the fully consented connector checks green and the backup is complete.
    Ok(
        if reports.first().is_some_and(|r| r.ok) && backup.summary.status == "complete" {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(crate::EXIT_CHECK_FAILED)
        },
    )
}

/// What the demo's backup did.
struct DemoBackup {
    repo: std::path::PathBuf,
    passphrase_file: std::path::PathBuf,
    summary: engine::BackupSummary,
    rendered: String,
    runs: Vec<engine::browse::RunEntry>,
    exported_mailbox: String,
    export_dir: std::path::PathBuf,
    export: engine::export::ExportSummary,
    site: String,
    onedrive_dir: std::path::PathBuf,
    onedrive_export: engine::export::ExportSummary,
    team: String,
    teams_dir: std::path::PathBuf,
    teams_export: engine::export::ExportSummary,
    chats_export: engine::export::ExportSummary,
}

/// Backs up every mailbox of the demo tenant, lists the runs and exports one mailbox.
async fn demo_backup(store: &ConnectorStore, dir: &std::path::Path) -> Result<DemoBackup> {
    use std::sync::Arc;

    let spec = store.get("demo")?;
    let graph = connector::graph_client(&spec, store.app_credential(&spec)?)?;
    let repo_dir = dir.join("repo");
    let passphrase_file = dir.join("demo-passphrase");
    let passphrase = if passphrase_file.exists() {
        std::fs::read_to_string(&passphrase_file)?.trim().to_owned()
    } else {
        let p = format!("demo-{:032x}", rand::random::<u128>());
        connector::vault::write_private(&passphrase_file, p.as_bytes())?;
        p
    };
    let blobs: Arc<dyn store::BlobStore> = store::Location::Local(repo_dir.clone()).open()?;
    let repo = if repo_dir.join("config").exists() {
        store::Repository::open(blobs, SecretString::from(passphrase)).await?
    } else {
        store::Repository::init(
            blobs,
            SecretString::from(passphrase),
            store::InitOptions::default(),
        )
        .await?
    };
    let catalog = catalog::open(&dir.join("catalog.db").display().to_string()).await?;
    let target = engine::Target {
        repo: Arc::new(repo),
        location: repo_dir.display().to_string(),
        catalog,
    };
    let mailboxes = engine::resolve(
        &graph,
        &engine::ScopeSpec {
            all: true,
            ..engine::ScopeSpec::default()
        },
    )
    .await?;
    let tenant = spec
        .tenant_guid
        .map(|g| g.to_string())
        .unwrap_or_else(|| spec.tenant_id.to_string());
    let sites = engine::resolve_sites(
        &graph,
        &engine::SiteSpec {
            all: true,
            ..engine::SiteSpec::default()
        },
    )
    .await?;
    // One site: the first team site if there is one.
    let site = sites
        .iter()
        .find(|s| s.web_url.contains("/sites/"))
        .or(sites.first())
        .cloned()
        .context("the demo tenant has no SharePoint site")?;
    // One team, and the chats of one user.
    let team = engine::resolve_teams(&graph, &[])
        .await?
        .into_iter()
        .next()
        .context("the demo tenant has no team")?;
    let mut options = engine::BackupOptions::new("demo", tenant);
    options.data.calendar = false;
    options.data.contacts = false;
    options.data.onedrive = true;
    options.data.sharepoint = true;
    options.data.teams = true;
    options.data.chats = true;
    options.data.directory = true;
    options.sites = vec![site.clone()];
    options.teams = vec![team.clone()];
    options.chat_users = Some(mailboxes.iter().take(1).cloned().collect());
    let first = mailboxes.first().map(|m| m.upn.clone()).unwrap_or_default();
    let summary = engine::backup(
        graph,
        &target,
        mailboxes,
        options,
        Arc::new(engine::Progress::default()),
    )
    .await?;
    let rendered = crate::cmd::backup::render_summary(&summary);
    let runs =
        engine::browse::list_runs(&target.repo, target.catalog.as_ref(), Some("demo")).await?;
    let run =
        engine::browse::open_run(&target.repo, target.catalog.as_ref(), &summary.run_id).await?;
    let export_dir = dir.join("export").join(&first);
    let export = engine::export::export(
        &target.repo,
        &run.manifest,
        &first,
        engine::export::ExportFormat::Mbox,
        &export_dir,
    )
    .await?;
    // The first user with a OneDrive in the run.
    let owner = mailboxes_with_onedrive(&target, &run.manifest).await?;
    let onedrive_dir = dir.join("export").join(format!("{owner}-onedrive"));
    let onedrive_export = engine::export::export(
        &target.repo,
        &run.manifest,
        &format!("onedrive:{owner}"),
        engine::export::ExportFormat::Files,
        &onedrive_dir,
    )
    .await?;
    let teams_dir = dir.join("export").join("teams");
    let teams_export = engine::export::conversations::export_conversations(
        &target.repo,
        &run.manifest,
        &ConversationFilter {
            teams: true,
            team: Some(team.id.clone()),
            ..ConversationFilter::default()
        },
        ConversationFormat::Html,
        &teams_dir,
    )
    .await?;
    let chats_export = engine::export::conversations::export_conversations(
        &target.repo,
        &run.manifest,
        &ConversationFilter {
            user: Some(first.clone()),
            ..ConversationFilter::default()
        },
        ConversationFormat::Html,
        &teams_dir,
    )
    .await?;
    Ok(DemoBackup {
        repo: repo_dir,
        team: team.display_name,
        teams_dir,
        teams_export,
        chats_export,
        passphrase_file,
        summary,
        rendered,
        runs,
        exported_mailbox: first,
        export_dir,
        export,
        site: site.web_url,
        onedrive_dir,
        onedrive_export,
    })
}

/// The principal name of the first OneDrive in the run.
async fn mailboxes_with_onedrive(
    target: &engine::Target,
    manifest: &store::Manifest,
) -> Result<String> {
    let mut first: Option<String> = None;
    engine::browse::each_item(&target.repo, manifest, |r| {
        if r.kind == "file"
            && first.is_none()
            && let Some(upn) = r.resource.strip_prefix("onedrive:")
        {
            first = Some(upn.to_owned());
        }
    })
    .await?;
    first.context("the demo backup holds no OneDrive files")
}
