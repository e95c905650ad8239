//! `m365vault connector check`.

use std::fmt::Write;
use std::process::ExitCode;

use anyhow::{Context, Result};
use connector::check::{CheckReport, ExpiryState, OpState, PermissionRef};
use connector::{CheckOptions, ConnectorSpec, ConnectorStore};
use model::{DataTypeSet, Guid};

use crate::cli::{Cli, ConnectorCheckArgs};
use crate::{EXIT_CHECK_FAILED, cmd};

/// Checks a connector.
pub fn run(cli: &Cli, args: &ConnectorCheckArgs) -> Result<ExitCode> {
    let data_types: Option<DataTypeSet> = args
        .data_types
        .as_deref()
        .map(str::parse)
        .transpose()
        .context("--data-types")?;
    let store = cmd::store(cli.data_dir.as_deref())?;
    let spec = store.get(&args.name)?;
    let options = CheckOptions {
        data_types,
        require_restore: args.restore,
        ..CheckOptions::default()
    };
    let report = check(&cmd::runtime()?, &store, &spec, &options)?;
    if cli.json {
        cmd::print_json(&report)?;
    } else {
        print!("{}", render(&report));
    }
    Ok(if report.ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_CHECK_FAILED)
    })
}

/// Runs the check and remembers what sign-in revealed (the tenant's GUID).
pub fn check(
    rt: &tokio::runtime::Runtime,
    store: &ConnectorStore,
    spec: &ConnectorSpec,
    options: &CheckOptions,
) -> Result<CheckReport> {
    let credential = store.app_credential(spec)?;
    let report = rt.block_on(connector::check(spec, credential, options));
    if spec.tenant_guid.is_none()
        && let Some(guid) = report
            .tenant_guid
            .as_deref()
            .and_then(|g| Guid::parse(g, "tenant").ok())
    {
        let mut learnt = spec.clone();
        learnt.tenant_guid = Some(guid);
        store.update(&learnt)?;
    }
    Ok(report)
}

fn yes_no(state: OpState, data_type: model::DataType) -> &'static str {
    match state {
        OpState::Ok => "yes",
        OpState::Missing => "no",
        OpState::NotSupported if data_type == model::DataType::Chats => "export only",
        OpState::NotSupported => "n/a",
        OpState::Unknown => "?",
    }
}

/// The report as text.
pub fn render(r: &CheckReport) -> String {
    let mut s = String::new();
    let tenant = match &r.tenant_guid {
        Some(g) if *g != r.tenant_id => format!("{} ({g})", r.tenant_id),
        _ => r.tenant_id.clone(),
    };
    let _ = writeln!(s, "Connector    {}", r.connector);
    let _ = writeln!(s, "Tenant       {tenant}");
    let _ = writeln!(
        s,
        "Application  {} (cloud: {}, {})",
        r.client_id, r.cloud, r.authority_url
    );
    let ends = match (r.credential.expires_at, r.credential.days_left) {
        (Some(e), Some(d)) if d >= 0 => format!(", ends {} ({d} days left)", e.date()),
        (Some(e), _) => format!(", ended {}", e.date()),
        _ => ", end date unknown".to_owned(),
    };
    let _ = writeln!(s, "Credential   {}{ends}", r.credential.description);
    if r.sign_in.ok {
        let _ = writeln!(
            s,
            "Sign-in      ok: {} application permissions granted",
            r.granted.len()
        );
    } else {
        let code = r
            .sign_in
            .aadsts
            .map(|c| {
                format!(
                    " (AADSTS{c}{})",
                    r.sign_in
                        .trace_id
                        .as_ref()
                        .map(|t| format!(", trace id {t}"))
                        .unwrap_or_default()
                )
            })
            .unwrap_or_default();
        let _ = writeln!(
            s,
            "Sign-in      FAILED: {}{code}",
            r.sign_in.message.clone().unwrap_or_default()
        );
    }
    if let Some(p) = &r.graph_probe {
        if p.ok {
            let _ = writeln!(s, "Graph        ok ({})", p.request);
        } else {
            let _ = writeln!(
                s,
                "Graph        FAILED ({}): {}",
                p.request,
                p.message.clone().unwrap_or_default()
            );
        }
    }
    if r.sign_in.ok {
        let _ = writeln!(s);
        let label = |d: &connector::check::DataTypeReport| {
            if d.selected {
                d.data_type.to_string()
            } else {
                format!("{} (not selected)", d.data_type)
            }
        };
        let width = r
            .data_types
            .iter()
            .map(|d| label(d).len())
            .max()
            .unwrap_or(9)
            .max(9)
            + 2;
        let _ = writeln!(
            s,
            "{:<width$}{:<8}{:<13}MISSING",
            "DATA TYPE", "BACKUP", "RESTORE"
        );
        let mut to_add: Vec<&PermissionRef> = Vec::new();
        for d in &r.data_types {
            let mut missing: Vec<String> =
                d.backup_missing.iter().map(|p| p.name.to_owned()).collect();
            missing.extend(
                d.restore_missing
                    .iter()
                    .filter(|p| !d.backup_missing.contains(p))
                    .map(|p| format!("{} (restore)", p.name)),
            );
            let line = format!(
                "{:<width$}{:<8}{:<13}{}",
                label(d),
                yes_no(d.backup, d.data_type),
                yes_no(d.restore, d.data_type),
                missing.join(", ")
            );
            let _ = writeln!(s, "{}", line.trim_end());
            if d.selected {
                for p in d.backup_missing.iter().chain(&d.restore_missing) {
                    if !to_add.contains(&p) {
                        to_add.push(p);
                    }
                }
            }
        }
        if !to_add.is_empty() {
            let _ = writeln!(s);
            let _ = writeln!(
                s,
                "Permissions to add (API: Microsoft Graph, type: Application):"
            );
            for p in &to_add {
                let _ = writeln!(s, "  {:<28} {}", p.name, p.description);
            }
            let _ = writeln!(
                s,
                "Add them under App registrations > {} > API permissions > Add a permission > Microsoft Graph > Application permissions,",
                r.client_id
            );
            let _ = writeln!(
                s,
                "then grant admin consent{}:",
                r.portal_url
                    .as_ref()
                    .map(|u| format!(" ({u})"))
                    .unwrap_or_default()
            );
            let _ = writeln!(s, "  {}", r.admin_consent_url);
        } else if r.granted.is_empty() {
            let _ = writeln!(s, "Grant admin consent: {}", r.admin_consent_url);
        }
    }
    for w in &r.warnings {
        let _ = writeln!(s, "Warning: {w}");
    }
    let _ = writeln!(s);
    if r.ok {
        let _ = writeln!(s, "Result: OK, every selected data type can be backed up.");
    } else if !r.sign_in.ok {
        let _ = writeln!(
            s,
            "Result: FAILED, m365vault cannot sign in to this tenant."
        );
    } else if r.graph_probe.as_ref().is_some_and(|p| !p.ok) {
        let _ = writeln!(
            s,
            "Result: FAILED, Microsoft Graph does not accept the sign-in."
        );
    } else if r.credential.state == ExpiryState::Expired {
        let _ = writeln!(s, "Result: FAILED, the credential has ended.");
    } else {
        let failing: Vec<String> = r
            .data_types
            .iter()
            .filter(|d| d.selected && d.backup != OpState::Ok)
            .map(|d| d.data_type.to_string())
            .collect();
        if failing.is_empty() {
            let _ = writeln!(
                s,
                "Result: FAILED, restore is not possible for every selected data type."
            );
        } else {
            let _ = writeln!(
                s,
                "Result: FAILED, these selected data types cannot be backed up: {}.",
                failing.join(", ")
            );
        }
    }
    s
}
