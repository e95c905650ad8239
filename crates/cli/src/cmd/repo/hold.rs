//! `m365vault repo hold add | remove | list`.

use std::process::ExitCode;

use anyhow::{Result, bail};
use catalog::LegalHold;
use serde_json::json;
use time::OffsetDateTime;

use crate::cli::Cli;
use crate::cli::repo::HoldCommand;
use crate::cmd;

/// Manages legal holds.
pub async fn run(cli: &Cli, command: &HoldCommand) -> Result<ExitCode> {
    match command {
        HoldCommand::Add {
            repo,
            resource,
            item,
            reason,
        } => {
            if resource.trim().is_empty() || reason.trim().is_empty() {
                bail!("a legal hold needs a --resource and a --reason");
            }
            let (repository, _) = super::open(repo).await?;
            let catalog = super::catalog(cli, repo).await?;
            let hold = LegalHold {
                repository_id: repository.config().id.to_hex(),
                resource: resource.clone(),
                item_id: item.clone(),
                reason: reason.clone(),
                created_at: OffsetDateTime::now_utc(),
            };
            let added = catalog.add_legal_hold(&hold).await?;
            if cli.json {
                cmd::print_json(&json!({ "added": added }))?;
            } else if added {
                println!(
                    "{} is on legal hold: forget keeps all its versions until the hold is lifted.",
                    describe(resource, item.as_deref())
                );
            } else {
                println!(
                    "{} was already on legal hold.",
                    describe(resource, item.as_deref())
                );
            }
        }
        HoldCommand::Remove {
            repo,
            resource,
            item,
        } => {
            let (repository, _) = super::open(repo).await?;
            let catalog = super::catalog(cli, repo).await?;
            let removed = catalog
                .remove_legal_hold(&repository.config().id.to_hex(), resource, item.as_deref())
                .await?;
            if cli.json {
                cmd::print_json(&json!({ "removed": removed }))?;
            } else if removed {
                println!(
                    "Lifted the legal hold: {}.",
                    describe(resource, item.as_deref())
                );
            } else {
                bail!(
                    "{} is not on legal hold; `m365vault repo hold list` shows the holds",
                    describe(resource, item.as_deref())
                );
            }
        }
        HoldCommand::List { repo } => {
            let (repository, _) = super::open(repo).await?;
            let catalog = super::catalog(cli, repo).await?;
            let holds = catalog
                .list_legal_holds(&repository.config().id.to_hex())
                .await?;
            if cli.json {
                cmd::print_json(&holds)?;
            } else if holds.is_empty() {
                println!("No legal holds.");
            } else {
                for h in holds {
                    println!(
                        "{}  since {}  {}",
                        describe(&h.resource, h.item_id.as_deref()),
                        h.created_at.date(),
                        h.reason
                    );
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn describe(resource: &str, item: Option<&str>) -> String {
    match item {
        Some(i) => format!("Item {i} of {resource}"),
        None => format!("Resource {resource}"),
    }
}
