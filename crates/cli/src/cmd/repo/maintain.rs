//! `m365vault repo stats | rebuild-catalog | repair-index | unlock`.

use std::process::ExitCode;

use anyhow::Result;
use serde_json::json;

use super::human;
use crate::cli::Cli;
use crate::cli::repo::RepoArgs;
use crate::cmd;

/// `repo stats`.
pub async fn stats(cli: &Cli, args: &RepoArgs) -> Result<ExitCode> {
    let (repo, location) = super::open(args).await?;
    let s = repo.stats().await?;
    if cli.json {
        cmd::print_json(&s)?;
        return Ok(ExitCode::SUCCESS);
    }
    println!("Repository {location}");
    println!("  runs                {}", s.runs);
    println!("  item versions       {}", s.items);
    println!(
        "  logical size        {}  (what restoring every run would produce)",
        human(s.logical_bytes)
    );
    println!(
        "  distinct content    {}  in {} chunks",
        human(s.unique_bytes),
        s.chunks
    );
    println!(
        "  stored size         {}  in {} packs",
        human(s.stored_bytes),
        s.packs
    );
    println!("  deduplication       {:.2}×", s.dedup_ratio);
    println!("  compression         {:.2}×", s.compression_ratio);
    Ok(ExitCode::SUCCESS)
}

/// `repo rebuild-catalog`.
pub async fn rebuild_catalog(cli: &Cli, args: &RepoArgs) -> Result<ExitCode> {
    let (repo, location) = super::open(args).await?;
    let catalog = super::catalog(cli, args).await?;
    let report = catalog::sync::rebuild(catalog.as_ref(), &repo, &location).await?;
    if cli.json {
        cmd::print_json(&report)?;
    } else {
        println!(
            "Rebuilt the catalog from {location}: {} runs, {} item versions, {} deletions.",
            report.runs, report.item_versions, report.deletions
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `repo repair-index`.
pub async fn repair_index(cli: &Cli, args: &RepoArgs) -> Result<ExitCode> {
    let (repo, _) = super::open(args).await?;
    let (indexed, unreadable) = repo.repair_index().await?;
    if cli.json {
        let bad: Vec<_> = unreadable
            .iter()
            .map(|(p, e)| json!({"pack": p.to_hex(), "error": e.to_string()}))
            .collect();
        cmd::print_json(&json!({ "indexed_packs": indexed, "unreadable_packs": bad }))?;
    } else {
        println!("Indexed {indexed} packs again.");
        for (pack, e) in &unreadable {
            println!(
                "warning: pack {pack} cannot be read ({e}); `m365vault repo check` shows what it affects"
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `repo unlock`.
pub async fn unlock(cli: &Cli, args: &RepoArgs, all: bool) -> Result<ExitCode> {
    let (repo, _) = super::open(args).await?;
    let removed = repo.unlock(all).await?;
    if cli.json {
        cmd::print_json(&json!({ "removed_locks": removed }))?;
    } else {
        println!("Removed {removed} locks.");
    }
    Ok(ExitCode::SUCCESS)
}
