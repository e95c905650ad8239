//! `m365vault repo check [--read-data[=PERCENT]]`.

use std::process::ExitCode;

use anyhow::Result;
use store::{CheckOptions, check};

use crate::EXIT_CHECK_FAILED;
use crate::cli::Cli;
use crate::cli::repo::RepoCheckArgs;
use crate::cmd;

/// Checks the repository; exits 1 when something is damaged.
pub async fn run(cli: &Cli, args: &RepoCheckArgs) -> Result<ExitCode> {
    let (repo, location) = super::open(&args.repo).await?;
    let report = check(
        &repo,
        CheckOptions {
            read_data_percent: args.read_data,
        },
    )
    .await?;
    if cli.json {
        cmd::print_json(&report)?;
    } else {
        println!(
            "Checked {location}: {} index files, {} packs, {} runs, {} items{}.",
            report.index_files,
            report.packs,
            report.manifests,
            report.items,
            match args.read_data {
                Some(p) => format!(
                    "; read {} packs ({p}%) and verified every chunk in them",
                    report.packs_read
                ),
                None => String::new(),
            }
        );
        for (label, problems) in [("error", &report.errors), ("warning", &report.warnings)] {
            for p in problems {
                println!("{label}: {} {} {}", p.kind, p.name, p.message);
                for item in &p.affected_items {
                    println!("    affects {item}");
                }
            }
        }
        if report.is_ok() {
            println!("No errors.");
        } else {
            println!(
                "{} errors: the items listed cannot be restored.",
                report.errors.len()
            );
        }
    }
    Ok(if report.is_ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_CHECK_FAILED)
    })
}
