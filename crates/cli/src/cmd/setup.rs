//! `m365vault setup`: an administrator signs in with the device code flow;
//! m365vault registers itself with exactly the permissions the chosen data
//! types need, grants them, and adds the connector.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use connector::setup::{self, CredentialKind, GRAPH_CLI_CLIENT_ID, SetupOptions};
use connector::{CheckOptions, ConnectorSpec};
use graph::error::TokenErrorKind;
use graph::identity::IdentityClient;
use graph::token::{AccessToken, StaticTokenSource};
use graph::{GraphClient, HttpOptions};
use model::{DataTypeSet, Guid, TenantId};
use serde_json::json;
use time::OffsetDateTime;

use crate::cli::{Cli, SetupArgs, SetupCredential};
use crate::cmd;
use crate::cmd::connector::check;

fn print_manifest(cli: &Cli, options: &SetupOptions) -> Result<ExitCode> {
    let manifest = setup::manifest(options);
    if cli.json {
        cmd::print_json(&manifest)?;
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "Register an app in the Entra admin center (Identity > Applications > App registrations > New registration):"
    );
    println!(
        "  Name: {}; Supported account types: Accounts in this organizational directory only; no redirect URI.",
        options.app_name
    );
    println!();
    println!(
        "Then under API permissions > Add a permission > Microsoft Graph > Application permissions, add:"
    );
    for p in setup::requested(options) {
        println!("  {:<28} {}", p.name, p.display_name);
    }
    println!();
    println!(
        "Grant admin consent for the organization, create a client secret (Certificates & secrets) or upload a"
    );
    println!(
        "certificate, and add the connector with `m365vault connector add`. The same registration as a manifest:"
    );
    println!("{}", serde_json::to_string_pretty(&manifest)?);
    Ok(ExitCode::SUCCESS)
}

/// Runs setup.
pub fn run(cli: &Cli, args: &SetupArgs) -> Result<ExitCode> {
    let data_types: DataTypeSet = args.data_types.parse().context("--data-types")?;
    let options = SetupOptions {
        app_name: args.app_name.clone(),
        data_types: data_types.clone(),
        restore: !args.backup_only,
        credential: match args.credential {
            SetupCredential::Secret => CredentialKind::Secret,
            SetupCredential::Certificate => CredentialKind::Certificate,
        },
        valid_days: args.valid_days,
    };
    if args.print_manifest {
        return print_manifest(cli, &options);
    }
    let Some(tenant) = &args.tenant_id else {
        bail!("--tenant-id is required (the Directory (tenant) ID, or one of the tenant's domains)")
    };
    let tenant = TenantId::parse(tenant).context("--tenant-id")?;
    let (cloud, ca_pem) = cmd::cloud(&args.cloud)?;
    let name = args.name.clone().unwrap_or_else(|| {
        let n: String = args
            .app_name
            .to_ascii_lowercase()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        n.trim_matches('-').to_owned()
    });
    connector::spec::validate_name(&name).context("--name")?;
    let public_client = args
        .client_id
        .clone()
        .unwrap_or_else(|| GRAPH_CLI_CLIENT_ID.to_owned());
    Guid::parse(&public_client, "the public client id").context("--client-id")?;
    // Everything that could stop the connector from being saved is checked before the
    // tenant is touched.
    let store = cmd::store(cli.data_dir.as_deref())?;
    store
        .check_new(&name, &tenant, None, &data_types)
        .context("the connector could not be added afterwards, so nothing was registered")?;

    let rt = cmd::runtime()?;
    let (outcome, tenant_guid, admin) = rt.block_on(async {
        let http = graph::http::build(&HttpOptions { ca_pem: ca_pem.clone(), ..HttpOptions::default() })?;
        let identity = IdentityClient::new(http.clone(), cloud.clone());
        let scopes: Vec<String> = model::permissions::SETUP_SCOPES.iter().map(|s| format!("{}/{}", cloud.graph_resource(), s.name)).collect();
        let dc = identity.start_device_code(&tenant, &public_client, &scopes).await?;
        eprintln!("{}", dc.message);
        eprintln!("Sign in as a Global Administrator or Privileged Role Administrator of {tenant}; waiting (the code works for {} minutes)...", dc.expires_in / 60);
        let tokens = identity.wait_for_device_code(&tenant, &public_client, &dc).await?;
        let now = OffsetDateTime::now_utc();
        let token = AccessToken::from_response(&tokens, now);
        let admin = token.claims.upn.clone().unwrap_or_default();
        let tid = token.claims.tid.clone();
        eprintln!("Signed in as {admin}. Registering '{}'...", options.app_name);
        let graph = GraphClient::new(http, &cloud, Arc::new(StaticTokenSource::new(token)));
        let outcome = setup::run(&graph, &options, now).await?;
        Ok::<_, anyhow::Error>((outcome, tid, admin))
    })?;

    let secret = outcome.secret.clone().context("setup made no credential")?;
    let spec = ConnectorSpec {
        name: name.clone(),
        tenant_id: tenant.clone(),
        tenant_guid: tenant_guid
            .as_deref()
            .and_then(|g| Guid::parse(g, "tenant").ok()),
        client_id: outcome.client_id,
        cloud: cloud.clone(),
        data_types,
        credential: outcome.credential.clone(),
        ca_pem,
        created_at: OffsetDateTime::now_utc(),
    };
    store
        .add(spec.clone(), &secret)
        .context("the app was registered, but the connector could not be saved")?;
    eprintln!(
        "Created app registration {} with {} application permissions; connector '{name}' added.",
        outcome.client_id,
        outcome.requested.len()
    );
    let consent_url = cloud.admin_consent_url(tenant.as_str(), &outcome.client_id.to_string());
    if outcome.consent_pending {
        eprintln!(
            "{admin} may not grant Microsoft Graph application permissions. Ask a Global Administrator or Privileged Role Administrator to grant admin consent at:\n  {consent_url}"
        );
    } else {
        eprintln!(
            "Admin consent was granted for {} permissions; to review or grant it again: {consent_url}",
            outcome.granted.len()
        );
    }

    // New credentials and grants take a little while to reach every Entra ID replica.
    let deadline = std::time::Instant::now() + Duration::from_secs(args.wait);
    let report = loop {
        let report = check::check(&rt, &store, &spec, &CheckOptions::default())?;
        let settling = matches!(
            report.sign_in.error_kind,
            Some(
                TokenErrorKind::InvalidSecret
                    | TokenErrorKind::AppNotFound
                    | TokenErrorKind::MissingServicePrincipal
                    | TokenErrorKind::CertificateRejected
            )
        ) || (report.sign_in.ok && !report.ok && !outcome.consent_pending);
        if report.ok || !settling || std::time::Instant::now() >= deadline {
            break report;
        }
        eprintln!("Waiting for the new registration to take effect...");
        std::thread::sleep(Duration::from_secs(5));
    };
    if cli.json {
        cmd::print_json(&json!({"setup": outcome, "connector": name, "check": report}))?;
    } else {
        print!("{}", check::render(&report));
    }
    Ok(if report.ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(crate::EXIT_CHECK_FAILED)
    })
}
