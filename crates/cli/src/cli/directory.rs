//! `m365vault directory`: who was in which group, from backups, and putting it back.

use clap::{Args, Subcommand};

use super::repo::RepoArgs;

/// `directory`.
#[derive(Debug, Subcommand)]
pub enum DirectoryCommand {
    /// Show groups and distribution lists with their members and owners as a backup saw them.
    Show(DirectoryShowArgs),
    /// Put a group's members and owners back as they were at a time.
    Restore(DirectoryRestoreArgs),
}

/// `directory show`.
#[derive(Debug, Args)]
pub struct DirectoryShowArgs {
    /// As the last backup finished by this time saw it (such as 2026-11-20T17:00:00Z);
    /// the latest backup by default.
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
    /// Only this group or distribution list: display name, mail address or id.
    #[arg(long, value_name = "GROUP")]
    pub group: Option<String>,
    /// The repository.
    #[command(flatten)]
    pub repo: RepoArgs,
}

/// `directory restore`.
#[derive(Debug, Args)]
pub struct DirectoryRestoreArgs {
    /// The group: display name, mail address or id.
    #[arg(long, value_name = "GROUP")]
    pub group: String,
    /// Back to its members and owners in the last backup finished by this time.
    #[arg(long, value_name = "TIME")]
    pub at: String,
    /// The connector (tenant and app) to write with.
    #[arg(long, value_name = "NAME")]
    pub connector: String,
    /// Only show who would be added and removed.
    #[arg(long)]
    pub dry_run: bool,
    /// The repository.
    #[command(flatten)]
    pub repo: RepoArgs,
}
