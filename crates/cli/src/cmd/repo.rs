//! `m365vault repo …`: one module per verb; opening repositories and catalogs here.

pub mod check;
pub mod forget;
pub mod hold;
pub mod init;
pub mod maintain;
pub mod passphrase;
pub mod prune;

use std::io::{IsTerminal, Read};
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use catalog::Catalog;
use secrecy::SecretString;
use store::{Location, Repository};

use crate::cli::Cli;
use crate::cli::repo::{RepoArgs, RepoCommand};
use crate::cmd;

/// Runs a `repo` command.
pub fn run(cli: &Cli, command: &RepoCommand) -> Result<ExitCode> {
    let rt = cmd::runtime()?;
    rt.block_on(async {
        match command {
            RepoCommand::Init(args) => init::run(cli, args).await,
            RepoCommand::Check(args) => check::run(cli, args).await,
            RepoCommand::Stats(args) => maintain::stats(cli, &args.repo).await,
            RepoCommand::Forget(args) => forget::run(cli, args).await,
            RepoCommand::Prune(args) => prune::run(cli, args).await,
            RepoCommand::Passphrase(c) => passphrase::run(cli, c).await,
            RepoCommand::Hold(c) => hold::run(cli, c).await,
            RepoCommand::RebuildCatalog(args) => maintain::rebuild_catalog(cli, &args.repo).await,
            RepoCommand::RepairIndex(args) => maintain::repair_index(cli, &args.repo).await,
            RepoCommand::Unlock(args) => maintain::unlock(cli, &args.repo, args.all).await,
        }
    })
}

fn read_secret(path: &Path, what: &str) -> Result<String> {
    let mut text = String::new();
    if path == Path::new("-") {
        std::io::stdin()
            .read_to_string(&mut text)
            .with_context(|| format!("cannot read the {what} from standard input"))?;
    } else {
        text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the {what} file {}", path.display()))?;
    }
    // Only the line break an editor adds; spaces inside a passphrase are its own.
    let text = text
        .strip_suffix('\n')
        .map(|t| t.strip_suffix('\r').unwrap_or(t))
        .unwrap_or(&text)
        .to_owned();
    Ok(text)
}

/// The repository location with its backend's settings filled in.
pub fn location(args: &RepoArgs) -> Result<Location> {
    let text = args.location.as_deref().unwrap_or_default();
    let mut location = Location::parse(text)?;
    if args.s3_object_lock_mode.is_some() && !matches!(location, Location::S3(_)) {
        bail!(
            "--s3-object-lock-mode applies to s3:// repositories only; {location} cannot be locked this way"
        );
    }
    match &mut location {
        Location::Local(_) => {
            if args.s3_object_lock_mode.is_some() {
                bail!(
                    "--s3-object-lock-mode applies to s3:// repositories only; a folder cannot be locked"
                );
            }
        }
        Location::S3(o) => {
            o.endpoint = args.s3_endpoint.clone();
            o.region = args
                .s3_region
                .clone()
                .or_else(|| std::env::var("AWS_DEFAULT_REGION").ok());
            o.access_key_id = args.s3_access_key_id.clone();
            o.secret_access_key = match &args.s3_secret_access_key_file {
                Some(f) => Some(SecretString::from(
                    read_secret(f, "S3 secret access key")?.trim().to_owned(),
                )),
                None => std::env::var("AWS_SECRET_ACCESS_KEY")
                    .ok()
                    .map(SecretString::from),
            };
            o.session_token = std::env::var("AWS_SESSION_TOKEN")
                .ok()
                .map(SecretString::from);
        }
        Location::Azblob(o) => {
            o.account_name = args.azure_account.clone();
            o.endpoint = args.azure_endpoint.clone();
            o.account_key = match &args.azure_key_file {
                Some(f) => Some(SecretString::from(
                    read_secret(f, "Azure storage key")?.trim().to_owned(),
                )),
                None => std::env::var("AZURE_STORAGE_KEY")
                    .ok()
                    .map(SecretString::from),
            };
        }
    }
    Ok(location)
}

/// The passphrase: --passphrase-file, M365VAULT_PASSPHRASE, or a prompt (twice when `confirm`).
pub fn passphrase(args: &RepoArgs, confirm: bool) -> Result<SecretString> {
    secret_from(
        args.passphrase_file.as_deref(),
        "M365VAULT_PASSPHRASE",
        "passphrase",
        confirm,
    )
}

/// A passphrase from a file, a variable, or the terminal.
pub fn secret_from(
    file: Option<&Path>,
    var: &str,
    what: &str,
    confirm: bool,
) -> Result<SecretString> {
    let text = if let Some(f) = file {
        read_secret(f, what)?
    } else if let Ok(v) = std::env::var(var) {
        v
    } else if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password(format!("Repository {what}: "))
            .context("cannot read the passphrase from the terminal")?;
        if confirm {
            let again = rpassword::prompt_password(format!("Repository {what} again: "))
                .context("cannot read the passphrase from the terminal")?;
            if again != first {
                bail!("the two passphrases differ; nothing was changed");
            }
        }
        first
    } else {
        bail!(
            "no {what}: set {var}, pass --{}-file FILE, or run in a terminal to be asked",
            what.replace(' ', "-")
        );
    };
    if text.is_empty() {
        bail!(
            "the {what} is empty; choose a long one and keep it safe: without it the backups cannot be read"
        );
    }
    Ok(SecretString::from(text))
}

/// Opens the repository.
pub async fn open(args: &RepoArgs) -> Result<(Arc<Repository>, String)> {
    let location = location(args)?;
    let store = location.open()?;
    let passphrase = passphrase(args, false)?;
    let repo = Repository::open(store, passphrase).await?;
    Ok((Arc::new(repo), location.to_string()))
}

/// Opens the catalog: --catalog, M365VAULT_CATALOG, or catalog.db in the data directory.
pub async fn catalog(cli: &Cli, args: &RepoArgs) -> Result<Arc<dyn Catalog>> {
    let location = match &args.catalog {
        Some(c) => c.clone(),
        None => cmd::data_dir(cli.data_dir.as_deref())?
            .join("catalog.db")
            .display()
            .to_string(),
    };
    Ok(catalog::open(&location).await?)
}

/// Formats bytes for people.
pub fn human(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// A time for people: `2026-11-21 23:24 UTC`.
pub fn when(t: time::OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!("{} {:02}:{:02} UTC", t.date(), t.hour(), t.minute())
}
