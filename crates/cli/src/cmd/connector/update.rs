//! `m365vault connector update`: a new secret or certificate.

use std::process::ExitCode;

use anyhow::Result;
use serde_json::json;

use crate::cli::{Cli, ConnectorUpdateArgs};
use crate::cmd;

/// Replaces a connector's credential.
pub fn run(cli: &Cli, args: &ConnectorUpdateArgs) -> Result<ExitCode> {
    let (info, secret) = cmd::credential(&args.credential)?;
    let store = cmd::store(cli.data_dir.as_deref())?;
    let spec = store.replace_credential(&args.name, info, &secret)?;
    if cli.json {
        cmd::print_json(&json!({"updated": spec.name, "credential": spec.credential.describe()}))?;
    } else {
        println!(
            "Connector '{}' now uses {}. Next: m365vault connector check {}",
            spec.name,
            spec.credential.describe(),
            spec.name
        );
    }
    Ok(ExitCode::SUCCESS)
}
