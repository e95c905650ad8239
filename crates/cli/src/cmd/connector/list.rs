//! `m365vault connector list`.

use std::process::ExitCode;

use anyhow::Result;
use serde_json::json;

use crate::cli::Cli;
use crate::cmd;

/// Lists connectors.
pub fn run(cli: &Cli) -> Result<ExitCode> {
    let store = cmd::store(cli.data_dir.as_deref())?;
    let all = store.list()?;
    if cli.json {
        let items: Vec<_> = all
            .iter()
            .map(|c| {
                json!({
                    "name": c.name,
                    "tenant_id": c.tenant_id,
                    "tenant_guid": c.tenant_guid,
                    "client_id": c.client_id,
                    "cloud": c.cloud,
                    "data_types": c.data_types,
                    "credential": c.credential.describe(),
                    "credential_expires_at": c.credential.expires_at().map(|t| t.date().to_string()),
                })
            })
            .collect();
        cmd::print_json(&items)?;
        return Ok(ExitCode::SUCCESS);
    }
    if all.is_empty() {
        println!("No connectors. Add one with `m365vault connector add` or `m365vault setup`.");
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{:<20} {:<38} {:<38} {:<10} {:<28} DATA TYPES",
        "NAME", "TENANT", "CLIENT ID", "CLOUD", "CREDENTIAL"
    );
    for c in all {
        let cred = match c.credential.expires_at() {
            Some(e) => format!("{} (ends {})", c.credential.describe(), e.date()),
            None => c.credential.describe(),
        };
        println!(
            "{:<20} {:<38} {:<38} {:<10} {:<28} {}",
            c.name, c.tenant_id, c.client_id, c.cloud.kind, cred, c.data_types
        );
    }
    Ok(ExitCode::SUCCESS)
}
