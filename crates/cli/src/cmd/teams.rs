//! `m365vault export --data teams|chats` and `restore --data teams`.

use std::process::ExitCode;

use anyhow::Result;
use engine::browse;

use crate::cli::Cli;
use crate::cli::backup::{ExportArgs, RestoreArgs};
use crate::cmd::backup::EXIT_PARTIAL;
use crate::cmd::{self, repo as repo_cmd};

/// `export --data teams|chats`.
pub fn export(cli: &Cli, args: &ExportArgs, teams: bool) -> Result<ExitCode> {
    use engine::export::conversations::{ConversationFilter, ConversationFormat};
    let format = match args.format.to_ascii_lowercase().as_str() {
        "html" => ConversationFormat::Html,
        "json" => ConversationFormat::Json,
        other => anyhow::bail!(
            "--format: teams and chats export as html (a transcript per channel or chat) or json, not '{other}'"
        ),
    };
    if teams && (args.user.is_some() || args.chat.is_some()) {
        anyhow::bail!(
            "--user and --chat choose chats; with --data teams choose a team with --team"
        );
    }
    if !teams && args.team.is_some() {
        anyhow::bail!("--team chooses a team; with --data chats use --user or --chat");
    }
    let filter = ConversationFilter {
        teams,
        team: args.team.clone(),
        user: args.user.clone(),
        chat: args.chat.clone(),
    };
    let rt = cmd::runtime()?;
    rt.block_on(async {
        let (repo, _) = repo_cmd::open(&args.repo).await?;
        let catalog = repo_cmd::catalog(cli, &args.repo).await?;
        let run = browse::open_run(&repo, catalog.as_ref(), &args.run).await?;
        let summary = engine::export::conversations::export_conversations(
            &repo,
            &run.manifest,
            &filter,
            format,
            &args.out,
        )
        .await?;
        if cli.json {
            cmd::print_json(&summary)?;
        } else {
            println!(
                "exported {} messages of {} {} from run {} into {} files under {}",
                summary.items,
                summary.files,
                if teams { "channels" } else { "chats" },
                run.record.id,
                summary.files,
                args.out.display()
            );
        }
        Ok(ExitCode::SUCCESS)
    })
}

/// `restore --data teams --team T --channel C`.
pub async fn restore_channel(
    cli: &Cli,
    graph: &graph::GraphClient,
    repo: &store::Repository,
    run: &browse::OpenedRun,
    team: &str,
    channel: &str,
    args: &RestoreArgs,
) -> Result<ExitCode> {
    let request = engine::restore::channels::ChannelRestore {
        team: team.to_owned(),
        channel: channel.to_owned(),
        to_team: args.to_team.clone(),
        name: args.to_channel.clone(),
        dry_run: args.dry_run,
    };
    let summary =
        engine::restore::channels::restore_channel(graph, repo, &run.manifest, &request).await?;
    if cli.json {
        cmd::print_json(&summary)?;
    } else {
        let verb = if summary.dry_run {
            "would restore"
        } else {
            "restored"
        };
        let skipped = if summary.skipped > 0 {
            format!(" ({} system or deleted messages left out)", summary.skipped)
        } else {
            String::new()
        };
        println!(
            "{verb} {} threads, {} replies and {} inline images from run {} into channel '{}'{skipped}",
            summary.threads, summary.replies, summary.images, run.record.id, summary.channel_name,
        );
        for (id, e) in summary.failed.iter().take(20) {
            println!("  message {id}: {e}");
        }
    }
    Ok(if summary.failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_PARTIAL)
    })
}
