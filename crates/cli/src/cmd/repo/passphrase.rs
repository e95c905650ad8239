//! `m365vault repo passphrase add | remove | list`.

use std::process::ExitCode;

use anyhow::Result;
use serde_json::json;
use store::keys::KdfParams;

use crate::cli::Cli;
use crate::cli::repo::PassphraseCommand;
use crate::cmd;

/// Manages the passphrases.
pub async fn run(cli: &Cli, command: &PassphraseCommand) -> Result<ExitCode> {
    match command {
        PassphraseCommand::Add {
            repo,
            new_passphrase_file,
            label,
        } => {
            let dash = Some(std::path::Path::new("-"));
            if repo.passphrase_file.as_deref() == dash && new_passphrase_file.as_deref() == dash {
                anyhow::bail!(
                    "only one of --passphrase-file and --new-passphrase-file can be '-' (standard input)"
                );
            }
            let (repository, _) = super::open(repo).await?;
            let new = super::secret_from(
                new_passphrase_file.as_deref(),
                "M365VAULT_NEW_PASSPHRASE",
                "new passphrase",
                true,
            )?;
            let id = repository.add_key(new, KdfParams::default(), label).await?;
            if cli.json {
                cmd::print_json(&json!({ "added": id.to_hex() }))?;
            } else {
                println!(
                    "Added key {}: the new passphrase opens the repository too.",
                    id.short()
                );
            }
        }
        PassphraseCommand::Remove { repo, key } => {
            let (repository, _) = super::open(repo).await?;
            let id = repository.remove_key(key).await?;
            if cli.json {
                cmd::print_json(&json!({ "removed": id.to_hex() }))?;
            } else {
                println!(
                    "Removed key {}: its passphrase no longer opens the repository.",
                    id.short()
                );
            }
        }
        PassphraseCommand::List { repo } => {
            let (repository, _) = super::open(repo).await?;
            let keys = repository.list_keys().await?;
            if cli.json {
                cmd::print_json(&keys)?;
            } else {
                println!(
                    "{:<10} {:<8} {:<26} {:<20} LABEL",
                    "KEY", "IN USE", "CREATED", "HOST"
                );
                for k in keys {
                    println!(
                        "{:<10} {:<8} {:<26} {:<20} {}",
                        k.id.short(),
                        if k.current { "yes" } else { "" },
                        super::when(k.created),
                        k.hostname,
                        k.label
                    );
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
