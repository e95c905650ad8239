//! `m365vault connector add`.

use std::process::ExitCode;

use anyhow::{Context, Result};
use connector::ConnectorSpec;
use model::{DataTypeSet, Guid, TenantId};
use serde_json::json;
use time::OffsetDateTime;

use crate::cli::{Cli, ConnectorAddArgs};
use crate::cmd;

/// Adds a connector.
pub fn run(cli: &Cli, args: &ConnectorAddArgs) -> Result<ExitCode> {
    connector::spec::validate_name(&args.name)?;
    let tenant_id = TenantId::parse(&args.tenant_id).context("--tenant-id")?;
    let client_id =
        Guid::parse(&args.client_id, "the Application (client) ID").context("--client-id")?;
    let data_types: DataTypeSet = args.data_types.parse().context("--data-types")?;
    let (cloud, ca_pem) = cmd::cloud(&args.cloud)?;
    let (credential, secret) = cmd::credential(&args.credential)?;
    let spec = ConnectorSpec {
        name: args.name.clone(),
        tenant_id,
        tenant_guid: None,
        client_id,
        cloud,
        data_types,
        credential,
        ca_pem,
        created_at: OffsetDateTime::now_utc(),
    };
    let store = cmd::store(cli.data_dir.as_deref())?;
    store.add(spec.clone(), &secret)?;
    if cli.json {
        cmd::print_json(&json!({
            "added": spec.name,
            "tenant_id": spec.tenant_id,
            "client_id": spec.client_id,
            "cloud": spec.cloud,
            "data_types": spec.data_types,
            "credential": spec.credential.describe(),
        }))?;
    } else {
        println!(
            "Added connector '{}' for tenant {} (app {}, {}, data types: {}).",
            spec.name,
            spec.tenant_id,
            spec.client_id,
            spec.credential.describe(),
            spec.data_types
        );
        if let Some(f) = args
            .credential
            .client_secret_file
            .as_ref()
            .filter(|f| f.as_os_str() != "-")
        {
            println!(
                "The secret is stored encrypted in the data directory; {} can be deleted now.",
                f.display()
            );
        }
        println!("Next: m365vault connector check {}", spec.name);
    }
    Ok(ExitCode::SUCCESS)
}
