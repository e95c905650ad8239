//! `m365vault demo`: the main job on the embedded default. Today it starts a
//! simulated tenant in-process, adds connectors for it and prints their checks;
//! it grows with every feature.

use std::process::ExitCode;

use anyhow::{Context, Result};
use connector::{CheckOptions, ConnectorSecret, ConnectorSpec, ConnectorStore, CredentialInfo};
use model::{Cloud, DataTypeSet, Guid, TenantId};
use secrecy::SecretString;
use serde_json::json;
use sim::{SimConfig, SimServer};
use time::OffsetDateTime;

use crate::cli::{Cli, DemoArgs};
use crate::cmd;
use crate::cmd::connector::check;

fn connector_for(
    server: &SimServer,
    name: &str,
    app: &str,
    data_types: &str,
) -> Result<(ConnectorSpec, ConnectorSecret)> {
    let creds = &server.credentials;
    let a = creds
        .app(app)
        .with_context(|| format!("the simulator has no app '{app}'"))?;
    let secret = a
        .client_secret
        .clone()
        .with_context(|| format!("app '{app}' has no secret"))?;
    let spec = ConnectorSpec {
        name: name.to_owned(),
        tenant_id: TenantId::parse(&creds.tenant_id)?,
        tenant_guid: None,
        client_id: Guid::parse(&a.client_id, "client id")?,
        cloud: Cloud::from_urls(Some(&creds.authority_url), Some(&creds.graph_url))?,
        data_types: data_types.parse::<DataTypeSet>()?,
        credential: CredentialInfo::ClientSecret {
            hint: secret.chars().take(3).collect(),
            expires_at: Some(OffsetDateTime::now_utc() + time::Duration::days(700)),
        },
        ca_pem: creds.ca_pem.clone(),
        created_at: OffsetDateTime::now_utc(),
    };
    Ok((
        spec,
        ConnectorSecret::ClientSecret(SecretString::from(secret)),
    ))
}

/// Runs the demo.
pub fn run(cli: &Cli, args: &DemoArgs) -> Result<ExitCode> {
    let dir = match &cli.data_dir {
        Some(d) => d.clone(),
        None => tempfile::Builder::new()
            .prefix("m365vault-demo-")
            .tempdir()?
            .keep(),
    };
    let rt = cmd::runtime()?;
    let server = rt.block_on(SimServer::start(
        SimConfig {
            seed: args.seed,
            users: args.users,
            ..SimConfig::default()
        },
        "127.0.0.1:0".parse()?,
    ))?;
    let store = ConnectorStore::open(&dir)?;
    // One app for mail, calendars, contacts, Teams, groups and the inventory; a second,
    // narrower app for files, to show what a check says about missing permissions.
    let plan = [
        (
            "demo",
            "full",
            "mail,calendar,contacts,teams-channels,chats,groups,inventory",
        ),
        ("demo-files", "mail-only", "onedrive,sharepoint"),
    ];
    let mut reports = Vec::new();
    for (name, app, types) in plan {
        let (spec, secret) = connector_for(&server, name, app, types)?;
        // The simulator listens on a new port every run: replace what an earlier run added.
        if store.get(name).is_ok() {
            store.remove(name)?;
        }
        store.add(spec.clone(), &secret)?;
        let spec = store.get(name)?;
        reports.push(check::check(&rt, &store, &spec, &CheckOptions::default())?);
    }
    if cli.json {
        cmd::print_json(&json!({
            "data_dir": dir,
            "simulator": {"url": server.base_url, "tenant_id": server.credentials.tenant_id, "tenant_domain": server.credentials.tenant_domain},
            "checks": reports,
        }))?;
    } else {
        println!("m365vault demo");
        println!(
            "Simulated tenant {} ({}) at {}",
            server.credentials.tenant_domain, server.credentials.tenant_id, server.base_url
        );
        println!("Data directory   {}", dir.display());
        for r in &reports {
            println!();
            println!("== m365vault connector check {} ==", r.connector);
            print!("{}", check::render(r));
        }
        println!();
        println!(
            "The first connector can back up every data type it serves; the second was registered with an app"
        );
        println!(
            "that only has mail permissions, so the check names what to grant before its files can be backed up."
        );
    }
    rt.block_on(server.stop());
    // The demo succeeded when the fully consented connector checks green.
    Ok(if reports.first().is_some_and(|r| r.ok) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(crate::EXIT_CHECK_FAILED)
    })
}
