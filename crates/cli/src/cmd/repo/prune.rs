//! `m365vault repo prune`.

use std::process::ExitCode;

use anyhow::{Result, bail};
use store::prune::{PruneOptions, prune};

use super::human;
use crate::cli::Cli;
use crate::cli::repo::RepoPruneArgs;
use crate::cmd;

/// Prunes the repository.
pub async fn run(cli: &Cli, args: &RepoPruneArgs) -> Result<ExitCode> {
    if !(0.0..=1.0).contains(&args.repack_threshold) {
        bail!(
            "--repack-threshold {} is not between 0 and 1",
            args.repack_threshold
        );
    }
    let (repo, _) = super::open(&args.repo).await?;
    let options = PruneOptions {
        dry_run: args.dry_run,
        repack_threshold: args.repack_threshold,
        ..PruneOptions::default()
    };
    let r = prune(&repo, &options).await?;
    if cli.json {
        cmd::print_json(&r)?;
        return Ok(ExitCode::SUCCESS);
    }
    let (delete, condemn) = if args.dry_run {
        ("Would delete", "Would condemn")
    } else {
        ("Deleted", "Condemned")
    };
    println!(
        "{delete} {} packs ({}) condemned by an earlier prune.",
        r.deleted_packs,
        human(r.deleted_bytes)
    );
    println!(
        "{condemn} {} packs ({}) that no run needs, {} of them after copying what is still needed; \
         the next prune deletes them once the backups running now have ended.",
        r.condemned_packs,
        human(r.condemned_bytes),
        r.repacked_packs
    );
    if r.deferred_packs > 0 {
        println!(
            "{} condemned packs wait for backups that started before they were condemned.",
            r.deferred_packs
        );
    }
    if r.restored_packs > 0 {
        println!(
            "{} condemned packs were indexed again: a newer run needs them.",
            r.restored_packs
        );
    }
    Ok(ExitCode::SUCCESS)
}
