//! `m365vault sim serve`.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context, Result};
use serde_json::json;
use sim::{SimConfig, SimServer, ThrottleMode};

use crate::cli::{SimServeArgs, Throttle};
use crate::cmd;

/// Serves a simulated tenant until interrupted.
pub fn serve(args: &SimServeArgs) -> Result<ExitCode> {
    cmd::runtime()?.block_on(async {
        let config = SimConfig {
            seed: args.seed,
            users: args.users.max(1),
            tls: args.tls,
            throttle: match args.throttle {
                Throttle::On => ThrottleMode::On,
                Throttle::Off => ThrottleMode::Off,
            },
            mail_scale: if args.mail_scale.is_finite() && args.mail_scale >= 0.0 {
                args.mail_scale
            } else {
                anyhow::bail!("--mail-scale takes a number such as 0.1 or 1.0");
            },
            latency: match &args.latency_ms {
                Some(text) => Some(latency(text)?),
                None => None,
            },
            drive_scale: if args.drive_scale.is_finite() && args.drive_scale >= 0.0 {
                args.drive_scale
            } else {
                anyhow::bail!("--drive-scale takes a number such as 0.1 or 1.0");
            },
            sharepoint_limits: sim::throttle::SharePointLimits {
                ru_per_minute: args.sharepoint_ru_per_minute,
                ..Default::default()
            },
            ..SimConfig::default()
        };
        if !args.addr.ip().is_loopback() && !args.tls {
            eprintln!(
                "warning: serving on {} without --tls: tokens and the apps' secrets cross the network in clear",
                args.addr
            );
        }
        let server = SimServer::start(config, args.addr).await?;
        if let Some(path) = &args.credentials_out {
            server
                .credentials
                .write(path)
                .with_context(|| format!("cannot write the credentials file {}", path.display()))?;
        }
        // The first line of standard output is the address, for scripts.
        println!("{}", server.base_url);
        std::io::stdout().flush()?;
        eprintln!(
            "{}",
            json!({
                "tenant_id": server.credentials.tenant_id,
                "tenant_domain": server.credentials.tenant_domain,
                "authority_url": server.credentials.authority_url,
                "graph_url": server.credentials.graph_url,
                "apps": server.credentials.apps.keys().collect::<Vec<_>>(),
                "credentials_out": args.credentials_out,
            })
        );
        wait_for_shutdown().await;
        server.stop().await;
        Ok(ExitCode::SUCCESS)
    })
}

async fn wait_for_shutdown() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(t) => t,
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                    return;
                }
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// `MIN-MAX` (or one number) milliseconds.
fn latency(text: &str) -> anyhow::Result<sim::Latency> {
    let bad =
        || anyhow::anyhow!("--latency-ms takes MIN-MAX milliseconds, such as 20-200, not '{text}'");
    let (min, max) = match text.split_once('-') {
        Some((a, b)) => (a.trim().parse::<u64>(), b.trim().parse::<u64>()),
        None => (text.trim().parse::<u64>(), text.trim().parse::<u64>()),
    };
    let (min, max) = (min.map_err(|_| bad())?, max.map_err(|_| bad())?);
    if min > max {
        return Err(bad());
    }
    Ok(sim::Latency {
        min_ms: min,
        max_ms: max,
    })
}
