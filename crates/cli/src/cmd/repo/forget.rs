//! `m365vault repo forget`.

use std::process::ExitCode;

use anyhow::Result;
use serde_json::json;
use store::retention::{ForgetPlan, Hold, RetentionPolicy, forget, plan};
use time::OffsetDateTime;

use crate::cli::Cli;
use crate::cli::repo::RepoForgetArgs;
use crate::cmd;

/// Applies the retention rules.
pub async fn run(cli: &Cli, args: &RepoForgetArgs) -> Result<ExitCode> {
    let policy = RetentionPolicy {
        keep_last: args.keep_last,
        keep_daily: args.keep_daily,
        keep_weekly: args.keep_weekly,
        keep_monthly: args.keep_monthly,
        keep_yearly: args.keep_yearly,
        keep_within: args
            .keep_within
            .as_deref()
            .map(str::parse)
            .transpose()
            .map_err(anyhow::Error::msg)?,
        keep_deleted_days: args.keep_deleted_days,
    };
    let (repo, _) = super::open(&args.repo).await?;
    let catalog = super::catalog(cli, &args.repo).await?;
    let holds: Vec<Hold> = catalog
        .list_legal_holds(&repo.config().id.to_hex())
        .await?
        .into_iter()
        .map(|h| Hold {
            resource: h.resource,
            item: h.item_id,
        })
        .collect();
    let mut plan = plan(&repo, &policy, &holds, OffsetDateTime::now_utc()).await?;
    if !args.dry_run {
        forget(&repo, &mut plan).await?;
        catalog::sync::forget_runs(catalog.as_ref(), &plan).await?;
    }
    if cli.json {
        cmd::print_json(
            &json!({ "dry_run": args.dry_run, "keep": plan.keep, "forget": plan.forget }),
        )?;
    } else {
        render(&plan, args.dry_run);
    }
    Ok(ExitCode::SUCCESS)
}

fn render(plan: &ForgetPlan, dry_run: bool) {
    println!("{:<8} {:<25} {:<36} WHY", "", "STARTED", "RUN");
    for run in &plan.keep {
        let why: Vec<&str> = run.reasons.iter().map(String::as_str).collect();
        println!(
            "{:<8} {:<25} {:<36} {}",
            "keep",
            super::when(run.started),
            run.run_id,
            why.join(", ")
        );
    }
    for run in &plan.forget {
        println!(
            "{:<8} {:<25} {:<36}",
            if dry_run { "would go" } else { "removed" },
            super::when(run.started),
            run.run_id
        );
    }
    if dry_run {
        println!(
            "Dry run: nothing was changed. {} runs would be removed, {} kept.",
            plan.forget.len(),
            plan.keep.len()
        );
    } else {
        println!(
            "Removed {} runs, kept {}. `m365vault repo prune` frees their space.",
            plan.forget.len(),
            plan.keep.len()
        );
    }
}
