//! `m365vault repo init`.

use std::process::ExitCode;

use anyhow::Result;
use serde_json::json;
use store::{InitOptions, Repository};

use crate::cli::Cli;
use crate::cli::repo::RepoInitArgs;
use crate::cmd;

/// Creates a repository and records it in the catalog.
pub async fn run(cli: &Cli, args: &RepoInitArgs) -> Result<ExitCode> {
    let location = super::location(&args.repo)?;
    let store = location.open()?;
    let passphrase = super::passphrase(&args.repo, true)?;
    let options = InitOptions {
        label: args.label.clone(),
        compression_level: args.compression_level,
        ..InitOptions::default()
    };
    let repo = Repository::init(store, passphrase, options).await?;
    let catalog = super::catalog(cli, &args.repo).await?;
    catalog::sync::record_repository(catalog.as_ref(), &repo, &location.to_string()).await?;
    let id = repo.config().id.to_hex();
    if cli.json {
        cmd::print_json(&json!({ "id": id, "location": location.to_string() }))?;
    } else {
        println!("Created repository {} at {location}.", &id[..8]);
        println!(
            "Keep the passphrase safe: without it nobody, m365vault included, can read these backups."
        );
    }
    Ok(ExitCode::SUCCESS)
}
