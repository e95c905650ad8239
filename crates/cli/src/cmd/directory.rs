//! `m365vault directory show|restore`.

use std::process::ExitCode;

use anyhow::{Context, Result};
use serde_json::Value;
use time::OffsetDateTime;

use crate::cli::Cli;
use crate::cli::directory::{DirectoryCommand, DirectoryRestoreArgs, DirectoryShowArgs};
use crate::cmd::{self, repo as repo_cmd};

/// Runs a `directory` command.
pub fn run(cli: &Cli, command: &DirectoryCommand) -> Result<ExitCode> {
    let rt = cmd::runtime()?;
    rt.block_on(async {
        match command {
            DirectoryCommand::Show(args) => show(cli, args).await,
            DirectoryCommand::Restore(args) => restore(cli, args).await,
        }
    })
}

fn parse_at(at: Option<&str>) -> Result<OffsetDateTime> {
    match at {
        None => Ok(OffsetDateTime::now_utc()),
        Some(t) => OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339)
            .with_context(|| {
                format!("--at: '{t}' is not a time; give one like 2026-11-20T17:00:00Z")
            }),
    }
}

/// A member as a line: display name and principal name or mail.
fn who(v: &Value) -> String {
    let s = |k: &str| v.get(k).and_then(Value::as_str);
    let name = s("displayName").unwrap_or("(no name)");
    match s("userPrincipalName").or_else(|| s("mail")) {
        Some(addr) => format!("{name} <{addr}>"),
        None => format!("{name} ({})", s("id").unwrap_or_default()),
    }
}

async fn show(cli: &Cli, args: &DirectoryShowArgs) -> Result<ExitCode> {
    let at = parse_at(args.at.as_deref())?;
    let (repo, _) = repo_cmd::open(&args.repo).await?;
    let catalog = repo_cmd::catalog(cli, &args.repo).await?;
    let snap =
        engine::directory::snapshot_at(&repo, catalog.as_ref(), at, args.group.as_deref()).await?;
    if cli.json {
        cmd::print_json(&snap)?;
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "the directory as backup run {} saw it ({}): {} users, {} groups",
        snap.run_id,
        snap.taken_at,
        snap.users,
        snap.groups.len()
    );
    for g in &snap.groups {
        let mail = g
            .mail
            .as_deref()
            .map(|m| format!(" <{m}>"))
            .unwrap_or_default();
        println!(
            "\n{}{mail}: {} members, {} owners",
            g.display_name,
            g.members.len(),
            g.owners.len()
        );
        for o in &g.owners {
            println!("  owner   {}", who(o));
        }
        for m in &g.members {
            println!("  member  {}", who(m));
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn restore(cli: &Cli, args: &DirectoryRestoreArgs) -> Result<ExitCode> {
    let at = parse_at(Some(&args.at))?;
    let store = cmd::store(cli.data_dir.as_deref())?;
    let spec = store.get(&args.connector)?;
    let graph = connector::graph_client(&spec, store.app_credential(&spec)?)?;
    let (repo, _) = repo_cmd::open(&args.repo).await?;
    let catalog = repo_cmd::catalog(cli, &args.repo).await?;
    let changes = engine::directory::restore_membership(
        &graph,
        &repo,
        catalog.as_ref(),
        &args.group,
        at,
        args.dry_run,
    )
    .await?;
    if cli.json {
        cmd::print_json(&changes)?;
    } else {
        let verb = if changes.dry_run {
            "would add"
        } else {
            "added"
        };
        let removed = if changes.dry_run {
            "would remove"
        } else {
            "removed"
        };
        println!(
            "{}: back to its membership in run {}: {verb} {} members and {} owners, {removed} {} members and {} owners",
            changes.group,
            changes.run_id,
            changes.members_added.len(),
            changes.owners_added.len(),
            changes.members_removed.len(),
            changes.owners_removed.len()
        );
        for (id, e) in &changes.failed {
            println!("  could not change {id}: {e}");
        }
    }
    Ok(if changes.failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(crate::cmd::backup::EXIT_PARTIAL)
    })
}
