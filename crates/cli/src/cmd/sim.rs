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
