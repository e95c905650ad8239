//! `m365vault connector remove`.

use std::process::ExitCode;

use anyhow::Result;
use serde_json::json;

use crate::cli::Cli;
use crate::cmd;

/// Removes a connector and its secret.
pub fn run(cli: &Cli, name: &str) -> Result<ExitCode> {
    let store = cmd::store(cli.data_dir.as_deref())?;
    let removed = store.remove(name)?;
    if cli.json {
        cmd::print_json(&json!({"removed": removed.name}))?;
    } else {
        println!(
            "Removed connector '{}' and its stored secret. The app registration {} still exists in the tenant; delete it in the Entra admin center if it is no longer used.",
            removed.name, removed.client_id
        );
    }
    Ok(ExitCode::SUCCESS)
}
