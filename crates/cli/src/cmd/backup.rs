//! `m365vault backup run|list|show`, `ls` and `export`.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use engine::browse::{self, LsEntry};
use engine::export::ExportFormat;
use engine::{BackupOptions, BackupSummary, DataSelection, Progress, ScopeSpec, Target};

use crate::cli::Cli;
use crate::cli::backup::{
    BackupCommand, BackupListArgs, BackupRunArgs, BackupShowArgs, ExportArgs, LsArgs, RestoreArgs,
};
use crate::cmd::{self, repo as repo_cmd};

/// Exit status of a run that ended partial (some items could not be read).
pub const EXIT_PARTIAL: u8 = 3;

/// Runs a `backup` command.
pub fn run(cli: &Cli, command: &BackupCommand) -> Result<ExitCode> {
    let rt = cmd::runtime()?;
    rt.block_on(async {
        match command {
            BackupCommand::Run(args) => backup_run(cli, args).await,
            BackupCommand::List(args) => list(cli, args).await,
            BackupCommand::Show(args) => show(cli, args).await,
        }
    })
}

async fn backup_run(cli: &Cli, args: &BackupRunArgs) -> Result<ExitCode> {
    let mut data: DataSelection = args
        .data
        .parse()
        .map_err(|e: String| anyhow::anyhow!("--data: {e}"))?;
    let site_spec = engine::SiteSpec {
        urls: args.sites.clone(),
        all: args.all_sites,
    };
    if !site_spec.is_empty() {
        data.sharepoint = true;
        if args.data == "mail,calendar,contacts"
            && args.users.is_empty()
            && args.groups.is_empty()
            && !args.all
        {
            // Only sites were asked for.
            (data.mail, data.calendar, data.contacts) = (false, false, false);
        }
    }
    if data.sharepoint && site_spec.is_empty() {
        anyhow::bail!("--data sharepoint needs the sites: --sites URL,… or --all-sites");
    }
    let store = cmd::store(cli.data_dir.as_deref())?;
    let spec = store.get(&args.connector)?;
    let credential = store.app_credential(&spec)?;
    let graph = connector::graph_client(&spec, credential)?;
    let scope = ScopeSpec {
        users: args.users.clone(),
        groups: args.groups.clone(),
        all: args.all,
        exclude: args.exclude.clone(),
    };
    let (repo, location) = repo_cmd::open(&args.repo).await?;
    let catalog = repo_cmd::catalog(cli, &args.repo).await?;
    if data.chats
        && args.users.is_empty()
        && args.groups.is_empty()
        && !args.all
        && args.chat_users.is_empty()
    {
        anyhow::bail!(
            "--data chats backs up the chats of users: name them with --users, --groups, --all or --chat-users"
        );
    }
    let chat_users = if data.chats && !args.chat_users.is_empty() {
        Some(
            engine::resolve(
                &graph,
                &ScopeSpec {
                    users: args.chat_users.clone(),
                    ..ScopeSpec::default()
                },
            )
            .await
            .context("cannot find the users whose chats to back up (--chat-users)")?,
        )
    } else {
        None
    };
    let mailboxes = if data.exchange() || data.onedrive || (data.chats && chat_users.is_none()) {
        engine::resolve(&graph, &scope)
            .await
            .context("cannot work out which users to back up")?
    } else {
        Vec::new()
    };
    let sites = if data.sharepoint {
        engine::resolve_sites(&graph, &site_spec)
            .await
            .context("cannot work out which SharePoint sites to back up")?
    } else {
        Vec::new()
    };
    let teams = if data.teams {
        engine::resolve_teams(&graph, &args.teams)
            .await
            .context("cannot work out which teams to back up")?
    } else {
        Vec::new()
    };
    let tenant = spec
        .tenant_guid
        .map(|g| g.to_string())
        .unwrap_or_else(|| spec.tenant_id.to_string());
    let mut options = BackupOptions::new(&spec.name, tenant);
    options.data = data;
    options.mailboxes_at_once = args.mailboxes_at_once.max(1);
    options.versions = args.versions;
    options.sites = sites;
    options.teams = teams;
    options.chat_users = chat_users;
    options.resource_units_per_minute = args.resource_units_per_minute;
    if !(args.checkpoint_every.is_finite() && args.checkpoint_every >= 0.0) {
        anyhow::bail!("--checkpoint-every takes a number of seconds, such as 30");
    }
    options.checkpoint_interval = Duration::from_secs_f64(args.checkpoint_every);
    let target = Target {
        repo,
        location,
        catalog,
    };
    let progress = Arc::new(Progress::default());
    let bar = (!cli.json && std::io::stderr().is_terminal())
        .then(|| spawn_progress(Arc::clone(&progress)));
    let result = engine::backup(graph, &target, mailboxes, options, progress).await;
    if let Some((stop, handle)) = bar {
        let _ = stop.send(());
        let _ = handle.await;
    }
    let summary = match result {
        Ok(s) => s,
        Err(engine::EngineError::RunFailed { run_id, source }) if cli.json => {
            cmd::print_json(&serde_json::json!({
                "run_id": run_id,
                "status": "failed",
                "error": source.to_string(),
            }))?;
            eprintln!(
                "error: run {run_id} failed and will be resumed by the next backup run: {source}"
            );
            return Ok(ExitCode::from(crate::EXIT_CHECK_FAILED));
        }
        Err(e) => return Err(e.into()),
    };
    if cli.json {
        cmd::print_json(&summary)?;
    } else {
        print!("{}", render_summary(&summary));
    }
    Ok(if summary.status == "complete" {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_PARTIAL)
    })
}

/// A line of progress on standard error, redrawn until told to stop.
fn spawn_progress(
    progress: Arc<Progress>,
) -> (
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<()>,
) {
    let (tx, mut rx) = tokio::sync::oneshot::channel::<()>();
    let handle = tokio::spawn(async move {
        let draw = |p: &Progress| {
            eprint!(
                "\r\x1b[2K  resources {}/{}  items {}  read {} ({})  failed {}",
                Progress::get(&p.resources_done),
                Progress::get(&p.resources),
                Progress::get(&p.items),
                Progress::get(&p.items_read),
                repo_cmd::human(Progress::get(&p.bytes_read)),
                Progress::get(&p.failed),
            );
        };
        loop {
            tokio::select! {
                _ = &mut rx => break,
                _ = tokio::time::sleep(Duration::from_millis(250)) => draw(&progress),
            }
        }
        draw(&progress);
        eprintln!();
    });
    (tx, handle)
}

pub fn render_summary(s: &BackupSummary) -> String {
    let mut out = format!(
        "run {}: {}{}\n  {} mailboxes, {} OneDrives, {} sites, {} items ({}), {} read from Microsoft 365, {} new in the repository\n  {} Graph requests, {} throttled, {:.1} s\n",
        s.run_id,
        s.status,
        if s.resumed { " (resumed)" } else { "" },
        s.mailboxes,
        s.onedrives,
        s.sites,
        s.items,
        repo_cmd::human(s.bytes),
        s.items_read,
        repo_cmd::human(s.stored_bytes),
        s.requests,
        s.throttled,
        s.seconds,
    );
    if s.teams + s.chats + s.directory_objects > 0 {
        out.push_str(&format!(
            "  {} teams, {} chats, {} directory objects (users, groups, memberships)\n",
            s.teams, s.chats, s.directory_objects
        ));
    }
    if !s.without_mailbox.is_empty() {
        out.push_str(&format!(
            "  without a mailbox (skipped): {}\n",
            s.without_mailbox.join(", ")
        ));
    }
    if !s.without_onedrive.is_empty() {
        out.push_str(&format!(
            "  without a OneDrive (skipped): {}\n",
            s.without_onedrive.join(", ")
        ));
    }
    if s.resource_units > 0 {
        out.push_str(&format!(
            "  {} SharePoint resource units spent (budget {} a minute)\n",
            s.resource_units, s.resource_units_per_minute
        ));
    }
    if !s.failures.is_empty() {
        out.push_str(&format!(
            "  {} items could not be read; the next run retries them:\n",
            s.failures.len()
        ));
        for f in s.failures.iter().take(20) {
            let what = if f.id.is_empty() {
                "(whole part)"
            } else {
                &f.id
            };
            out.push_str(&format!("    {} {what}: {}\n", f.resource, f.error));
        }
        if s.failures.len() > 20 {
            out.push_str(&format!(
                "    … and {} more (--json lists all)\n",
                s.failures.len() - 20
            ));
        }
    }
    out
}

async fn list(cli: &Cli, args: &BackupListArgs) -> Result<ExitCode> {
    let (repo, _) = repo_cmd::open(&args.repo).await?;
    let catalog = repo_cmd::catalog(cli, &args.repo).await?;
    let runs = browse::list_runs(&repo, catalog.as_ref(), args.connector.as_deref()).await?;
    if cli.json {
        let rows: Vec<serde_json::Value> = runs
            .iter()
            .map(|r| {
                serde_json::json!({
                    "id": r.id,
                    "status": r.status,
                    "started_at": fmt_time(Some(r.started_at)),
                    "finished_at": fmt_time(r.finished_at),
                })
            })
            .collect();
        cmd::print_json(&rows)?;
        return Ok(ExitCode::SUCCESS);
    }
    if runs.is_empty() {
        println!(
            "no backup runs yet; start one with `m365vault backup run --connector NAME --all`"
        );
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{:<28} {:<9} {:<21} {:>9} {:>10}  connector",
        "run", "status", "started", "items", "size"
    );
    for r in runs {
        println!(
            "{:<28} {:<9} {:<21} {:>9} {:>10}  {}",
            r.id,
            r.status,
            repo_cmd::when(r.started_at),
            r.items,
            repo_cmd::human(r.bytes),
            r.connector.unwrap_or_default()
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn fmt_time(t: Option<time::OffsetDateTime>) -> serde_json::Value {
    t.and_then(|t| {
        t.format(&time::format_description::well_known::Rfc3339)
            .ok()
    })
    .map(serde_json::Value::String)
    .unwrap_or(serde_json::Value::Null)
}

async fn show(cli: &Cli, args: &BackupShowArgs) -> Result<ExitCode> {
    let (repo, _) = repo_cmd::open(&args.repo).await?;
    let catalog = repo_cmd::catalog(cli, &args.repo).await?;
    let run = browse::open_run(&repo, catalog.as_ref(), &args.run).await?;
    let mailboxes = browse::ls(&repo, &run.manifest, "/").await?;
    let m = &run.manifest;
    if cli.json {
        cmd::print_json(&serde_json::json!({
            "id": run.record.id,
            "status": run.record.status,
            "started_at": fmt_time(Some(m.started)),
            "finished_at": fmt_time(Some(m.finished)),
            "labels": m.labels,
            "stats": m.stats,
            "failed": m.failed,
            "mailboxes": mailboxes,
        }))?;
        return Ok(ExitCode::SUCCESS);
    }
    println!("run {}: {}", run.record.id, run.record.status);
    println!(
        "  {} → {} on {}",
        repo_cmd::when(m.started),
        repo_cmd::when(m.finished),
        m.hostname
    );
    for (k, v) in &m.labels {
        println!("  {k}: {v}");
    }
    println!(
        "  {} items, {}; {} new in the repository",
        m.stats.items,
        repo_cmd::human(m.stats.bytes),
        repo_cmd::human(m.stats.stored_bytes)
    );
    println!("  mailboxes:");
    for e in &mailboxes {
        println!(
            "    {:<40} {:>7} items {:>10}",
            e.name,
            e.items.unwrap_or(0),
            repo_cmd::human(e.size)
        );
    }
    if !m.failed.is_empty() {
        println!("  could not be read ({}):", m.failed.len());
        for f in &m.failed {
            println!("    {} {}: {}", f.resource, f.id, f.error);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `ls RUN [PATH]`.
pub fn ls(cli: &Cli, args: &LsArgs) -> Result<ExitCode> {
    let rt = cmd::runtime()?;
    rt.block_on(async {
        let (repo, _) = repo_cmd::open(&args.repo).await?;
        let catalog = repo_cmd::catalog(cli, &args.repo).await?;
        let run = browse::open_run(&repo, catalog.as_ref(), &args.run).await?;
        let path = args.path.clone().unwrap_or_default();
        let entries = browse::ls(&repo, &run.manifest, &path).await?;
        if cli.json {
            cmd::print_json(&entries)?;
        } else {
            for e in &entries {
                println!("{}", render_entry(e));
            }
        }
        Ok(ExitCode::SUCCESS)
    })
}

fn render_entry(e: &LsEntry) -> String {
    match e.items {
        Some(n) => format!("{}/  ({n} items, {})", e.name, repo_cmd::human(e.size)),
        None => format!(
            "{:<17} {:>9}  {}  [{}]",
            e.time.map(repo_cmd::when).unwrap_or_default(),
            repo_cmd::human(e.size),
            e.name,
            e.id.as_deref().unwrap_or_default()
        ),
    }
}

/// `export`.
pub fn export(cli: &Cli, args: &ExportArgs) -> Result<ExitCode> {
    let data = args.data.as_deref().map(str::to_ascii_lowercase);
    if matches!(data.as_deref(), Some("teams" | "chats")) {
        return crate::cmd::teams::export(cli, args, data.as_deref() == Some("teams"));
    }
    if args.user.is_none() && args.site.is_none() {
        anyhow::bail!(
            "name what to export: --user UPN (a mailbox or OneDrive), --site ID|URL, or --data teams|chats"
        );
    }
    let format: ExportFormat = args
        .format
        .parse()
        .map_err(|e: String| anyhow::anyhow!("--format: {e}"))?;
    let rt = cmd::runtime()?;
    rt.block_on(async {
        let (repo, _) = repo_cmd::open(&args.repo).await?;
        let catalog = repo_cmd::catalog(cli, &args.repo).await?;
        let run = browse::open_run(&repo, catalog.as_ref(), &args.run).await?;
        let resource = export_resource(&repo, &run.manifest, args, format).await?;
        let mut out = args.out.clone();
        if args.format.eq_ignore_ascii_case("zip")
            && !out
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("zip"))
        {
            let name: String = resource
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || "@.-_".contains(c) {
                        c
                    } else {
                        '_'
                    }
                })
                .collect();
            out = out.join(format!("{name}.zip"));
        }
        let summary = engine::export::export(&repo, &run.manifest, &resource, format, &out).await?;
        if cli.json {
            cmd::print_json(&summary)?;
        } else {
            println!(
                "exported {} items ({}) of {} from run {} into {} files under {}",
                summary.items,
                repo_cmd::human(summary.bytes),
                resource,
                run.record.id,
                summary.files,
                out.display()
            );
        }
        Ok(ExitCode::SUCCESS)
    })
}

/// `restore`.
pub fn restore(cli: &Cli, args: &RestoreArgs) -> Result<ExitCode> {
    let asked = args.data.to_ascii_lowercase();
    if asked.split(',').any(|d| d.trim() == "chats") {
        anyhow::bail!(
            "chats cannot be restored: Microsoft Graph lets an application import messages only into a team's channels (migration mode), never into chats. Export them instead: m365vault export --run RUN --data chats --user UPN --format html --out DIR"
        );
    }
    if asked
        .split(',')
        .any(|d| matches!(d.trim(), "groups" | "directory" | "members"))
    {
        anyhow::bail!(
            "group membership is restored with `m365vault directory restore --group GROUP --at TIME`"
        );
    }
    let teams = asked
        .split(',')
        .any(|d| matches!(d.trim(), "teams" | "channels"));
    if teams && (args.team.is_none() || args.channel.is_none()) {
        anyhow::bail!(
            "--data teams restores one channel: give --team TEAM --channel CHANNEL (`m365vault ls RUN` lists them)"
        );
    }
    if args.channel.is_some() && !teams {
        anyhow::bail!("--channel restores a Teams channel: add --data teams");
    }
    if !teams && args.user.is_none() && args.site.is_none() {
        anyhow::bail!(
            "name what to restore: --user UPN (a mailbox, or with --drive a OneDrive), --site ID|URL, or --data teams --team TEAM --channel CHANNEL"
        );
    }
    let collisions: engine::restore::Collisions = args
        .collisions
        .parse()
        .map_err(|e: String| anyhow::anyhow!("--collisions: {e}"))?;
    let data: DataSelection = args
        .data
        .parse()
        .map_err(|e: String| anyhow::anyhow!("--data: {e}"))?;
    let spec_run = match (&args.run, &args.at) {
        (Some(r), _) => r.clone(),
        (None, Some(t)) => format!("@{t}"),
        (None, None) => anyhow::bail!("give --run RUN or --at TIME"),
    };
    let store = cmd::store(cli.data_dir.as_deref())?;
    let rt = cmd::runtime()?;
    rt.block_on(async {
        let (repo, _) = repo_cmd::open(&args.repo).await?;
        let catalog = repo_cmd::catalog(cli, &args.repo).await?;
        let run = browse::open_run(&repo, catalog.as_ref(), &spec_run).await?;
        let name = match (&args.connector, run.manifest.labels.get("connector")) {
            (Some(c), _) => c.clone(),
            (None, Some(c)) => c.clone(),
            (None, None) => anyhow::bail!(
                "run {} does not say which connector read it; give --connector NAME",
                run.record.id
            ),
        };
        let spec = store.get(&name)?;
        let graph = connector::graph_client(&spec, store.app_credential(&spec)?)?;
        if let (Some(team), Some(channel)) = (&args.team, &args.channel) {
            return crate::cmd::teams::restore_channel(
                cli, &graph, &repo, &run, team, channel, args,
            )
            .await;
        }
        if args.drive || args.site.is_some() {
            let summary = restore_files(&graph, &repo, &run.manifest, args, collisions).await?;
            return print_restore(cli, &summary, &run.record.id);
        }
        let user = args.user.clone().unwrap_or_default();
        let target_key = args.to_user.clone().unwrap_or_else(|| user.clone());
        let target = engine::resolve(
            &graph,
            &ScopeSpec {
                users: vec![target_key.clone()],
                ..ScopeSpec::default()
            },
        )
        .await
        .with_context(|| format!("cannot find the mailbox to restore into, '{target_key}'"))?
        .into_iter()
        .next()
        .with_context(|| format!("no mailbox '{target_key}'"))?;
        let request = engine::restore::RestoreRequest {
            source: user.clone(),
            folder: args.folder.clone(),
            items: args.items.clone(),
            target,
            to_folder: args.to_folder.clone(),
            collisions,
            dry_run: args.dry_run,
            data,
        };
        let summary = engine::restore::restore(&graph, &repo, &run.manifest, &request).await?;
        print_restore(cli, &summary, &run.record.id)
    })
}

/// Prints what a restore did; its exit status.
fn print_restore(
    cli: &Cli,
    summary: &engine::restore::RestoreSummary,
    run_id: &str,
) -> Result<ExitCode> {
    if cli.json {
        cmd::print_json(summary)?;
    } else {
        for i in &summary.items {
            match &i.error {
                Some(e) => println!(
                    "{:<14} {:<8} {}  {}: {e}",
                    i.outcome, i.kind, i.path, i.source_id
                ),
                None => println!(
                    "{:<14} {:<8} {}  {}",
                    i.outcome, i.kind, i.path, i.source_id
                ),
            }
        }
        println!(
            "{}{} restored, {} already there (skipped), {} failed, from run {run_id}",
            if summary.dry_run {
                "dry run: nothing written; "
            } else {
                ""
            },
            summary.restored,
            summary.skipped,
            summary.failed,
        );
    }
    Ok(if summary.failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_PARTIAL)
    })
}

/// `restore --drive` and `restore --site`: files back to a OneDrive or a site.
async fn restore_files(
    graph: &graph::GraphClient,
    repo: &store::Repository,
    manifest: &store::Manifest,
    args: &RestoreArgs,
    collisions: engine::restore::Collisions,
) -> Result<engine::restore::RestoreSummary> {
    use engine::restore::files::{FileRestoreRequest, FileTarget};
    let (source, target) = match &args.site {
        Some(site) => {
            let source = site_in_run(repo, manifest, site).await?;
            let to = match &args.to_site {
                Some(t) => {
                    engine::resolve_sites(
                        graph,
                        &engine::SiteSpec {
                            urls: vec![t.clone()],
                            all: false,
                        },
                    )
                    .await?
                    .into_iter()
                    .next()
                    .with_context(|| format!("no site '{t}'"))?
                    .id
                }
                None => source.trim_start_matches("site:").to_owned(),
            };
            (source, FileTarget::Site(to))
        }
        None => {
            let user = args.user.clone().unwrap_or_default();
            let to = args.to_user.clone().unwrap_or_else(|| user.clone());
            (
                format!("onedrive:{}", user.to_ascii_lowercase()),
                FileTarget::OneDrive(to),
            )
        }
    };
    let request = FileRestoreRequest {
        source,
        folder: args.folder.clone(),
        items: args.items.clone(),
        target,
        to_folder: args.to_folder.clone(),
        collisions,
        dry_run: args.dry_run,
    };
    Ok(engine::restore::files::restore_files(graph, repo, manifest, &request).await?)
}

/// The resource of a site in a run, by Graph id or URL.
async fn site_in_run(
    repo: &store::Repository,
    manifest: &store::Manifest,
    site: &str,
) -> Result<String> {
    if !site.contains("://") {
        return Ok(format!("site:{}", site.to_ascii_lowercase()));
    }
    let wanted = site.trim_end_matches('/').to_ascii_lowercase();
    let mut found = None;
    browse::each_item(repo, manifest, |r| {
        let url = r.meta.get("webUrl").and_then(serde_json::Value::as_str);
        if r.kind == "site"
            && url.is_some_and(|u| u.trim_end_matches('/').to_ascii_lowercase() == wanted)
        {
            found = Some(r.resource.clone());
        }
    })
    .await?;
    found.with_context(|| {
        format!(
            "run {} holds no site at {site}; `m365vault ls {}` lists what it holds",
            manifest.run_id, manifest.run_id
        )
    })
}

/// The resource `export` reads: a mailbox, a user's OneDrive, or a site (by id or URL).
async fn export_resource(
    repo: &store::Repository,
    manifest: &store::Manifest,
    args: &ExportArgs,
    format: ExportFormat,
) -> Result<String> {
    let data = args.data.as_deref().map(str::to_ascii_lowercase);
    if let Some(site) = &args.site {
        if format != ExportFormat::Files {
            anyhow::bail!("a site exports as --format files or zip");
        }
        return site_in_run(repo, manifest, site).await;
    }
    let user = args.user.as_deref().unwrap_or_default();
    match (data.as_deref(), format) {
        (Some("onedrive"), ExportFormat::Files) | (None, ExportFormat::Files) => {
            Ok(format!("onedrive:{}", user.to_ascii_lowercase()))
        }
        (Some("onedrive"), _) => anyhow::bail!("a OneDrive exports as --format files or zip"),
        (Some("sharepoint"), _) => anyhow::bail!("give the site with --site ID|URL"),
        (Some(other), ExportFormat::Files) => {
            anyhow::bail!("--data {other} does not export as files; use onedrive, or --site")
        }
        _ => Ok(user.to_owned()),
    }
}
