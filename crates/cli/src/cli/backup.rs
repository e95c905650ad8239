//! Arguments of `m365vault backup …`, `ls` and `export`.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::repo::RepoArgs;

/// `backup …`.
#[derive(Debug, Subcommand)]
pub enum BackupCommand {
    /// Back up mailboxes, OneDrives and SharePoint sites now (an interrupted run is resumed).
    Run(BackupRunArgs),
    /// List the backup runs of the repository.
    List(BackupListArgs),
    /// Show what one run did: counts, failures, mailboxes.
    Show(BackupShowArgs),
}

/// `backup run`.
#[derive(Debug, Args)]
pub struct BackupRunArgs {
    /// The connector (tenant and app) to read with.
    #[arg(long, value_name = "NAME")]
    pub connector: String,
    /// Users to back up: principal names, mail addresses or object ids (comma-separated).
    #[arg(long, value_name = "UPN,…", value_delimiter = ',')]
    pub users: Vec<String>,
    /// Groups or distribution lists whose members (transitively) to back up.
    #[arg(long, value_name = "GROUP,…", value_delimiter = ',')]
    pub groups: Vec<String>,
    /// Every user with a mailbox.
    #[arg(long)]
    pub all: bool,
    /// Users, or groups whose members, to leave out.
    #[arg(long, value_name = "UPN|GROUP,…", value_delimiter = ',')]
    pub exclude: Vec<String>,
    /// What to back up: mail, calendar, contacts, onedrive, sharepoint, teams, chats,
    /// groups or directory (comma-separated), or exchange (the first three) or all.
    /// Chats are those of the users in scope; groups (or directory) is every user,
    /// group and distribution list with its members and owners.
    #[arg(long, value_name = "LIST", default_value = "mail,calendar,contacts")]
    pub data: String,
    /// Teams to back up with --data teams, by display name or id (comma-separated);
    /// every team of the tenant when not given.
    #[arg(long, value_name = "TEAM,…", value_delimiter = ',')]
    pub teams: Vec<String>,
    /// Whose chats to back up with --data chats (comma-separated principal names);
    /// the users in scope when not given.
    #[arg(long, value_name = "UPN,…", value_delimiter = ',')]
    pub chat_users: Vec<String>,
    /// SharePoint sites to back up, by URL (https://contoso.sharepoint.com/sites/Sales)
    /// or Graph site id (comma-separated); implies sharepoint in --data.
    #[arg(long, value_name = "URL,…", value_delimiter = ',')]
    pub sites: Vec<String>,
    /// Every SharePoint site of the tenant, with its subsites; implies sharepoint in --data.
    #[arg(long)]
    pub all_sites: bool,
    /// Older versions of each file to keep besides the current one.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub versions: u32,
    /// Plan with this many SharePoint resource units a minute instead of the tier
    /// the tenant's licence count gives (Microsoft grants 1,250 to 6,250).
    #[arg(long, value_name = "RU", hide = true)]
    pub resource_units_per_minute: Option<u32>,
    /// Mailboxes backed up at once (each within Microsoft's per-mailbox limits).
    #[arg(long, value_name = "N", default_value_t = 16)]
    pub mailboxes_at_once: usize,
    /// Seconds between checkpoints: an interrupted run resumes from the last one.
    #[arg(long, value_name = "SECONDS", default_value_t = 30.0)]
    pub checkpoint_every: f64,
    /// The repository.
    #[command(flatten)]
    pub repo: RepoArgs,
}

/// `backup list`.
#[derive(Debug, Args)]
pub struct BackupListArgs {
    /// Only runs of this connector.
    #[arg(long, value_name = "NAME")]
    pub connector: Option<String>,
    /// The repository.
    #[command(flatten)]
    pub repo: RepoArgs,
}

/// `backup show`.
#[derive(Debug, Args)]
pub struct BackupShowArgs {
    /// The run: its id, a unique prefix of it, or `latest`.
    pub run: String,
    /// The repository.
    #[command(flatten)]
    pub repo: RepoArgs,
}

/// `ls`.
#[derive(Debug, Args)]
pub struct LsArgs {
    /// The run: its id, a unique prefix of it, or `latest`.
    pub run: String,
    /// What to list: nothing for the mailboxes, `UPN` for a mailbox's folders, `UPN/Inbox/…` for a folder.
    pub path: Option<String>,
    /// The repository.
    #[command(flatten)]
    pub repo: RepoArgs,
}

/// `export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The run: its id, a unique prefix of it, or `latest`.
    #[arg(long, value_name = "RUN")]
    pub run: String,
    /// The user whose mailbox (or, with --data onedrive, OneDrive; with --data chats,
    /// chats) to export.
    #[arg(long, value_name = "UPN", conflicts_with = "site")]
    pub user: Option<String>,
    /// The SharePoint site to export: its Graph id or URL.
    #[arg(long, value_name = "ID|URL")]
    pub site: Option<String>,
    /// What to export: mail (the default: the format tells), onedrive, teams or chats.
    #[arg(long, value_name = "DATA")]
    pub data: Option<String>,
    /// With --data teams: only this team (display name or id); every team otherwise.
    #[arg(long, value_name = "TEAM")]
    pub team: Option<String>,
    /// With --data chats: only this chat (its id).
    #[arg(long, value_name = "ID")]
    pub chat: Option<String>,
    /// eml (a file per message) or mbox (a file per folder, mboxrd) for mail; ics (a file per
    /// calendar) for events; vcf (a file per contact folder) for contacts; files (the tree)
    /// or zip (the tree in a zip file) for a OneDrive or a site; html (a transcript per
    /// channel or chat) or json (lossless) for teams and chats.
    #[arg(long, value_name = "FORMAT")]
    pub format: String,
    /// The folder to write into (created if needed), or a FILE.zip to write.
    #[arg(long, value_name = "DIR|FILE.zip")]
    pub out: PathBuf,
    /// The repository.
    #[command(flatten)]
    pub repo: RepoArgs,
}

/// `restore`.
#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The run: its id, a unique prefix of it, or `latest`.
    #[arg(
        long,
        value_name = "RUN",
        conflicts_with = "at",
        required_unless_present = "at"
    )]
    pub run: Option<String>,
    /// Restore from the last run that had finished by this time (such as 2026-11-20T17:00:00Z).
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
    /// The connector (tenant and app) to write with; by default the one the run read with.
    #[arg(long, value_name = "NAME")]
    pub connector: Option<String>,
    /// The user in the backup: their mailbox, or with --drive their OneDrive.
    #[arg(long, value_name = "UPN", conflicts_with = "site")]
    pub user: Option<String>,
    /// Restore the user's OneDrive files (instead of their mailbox).
    #[arg(long)]
    pub drive: bool,
    /// The SharePoint site in the backup whose files to restore (Graph id or URL).
    #[arg(long, value_name = "ID|URL")]
    pub site: Option<String>,
    /// Restore the site's files into this site instead (Graph id or URL).
    #[arg(long, value_name = "ID|URL", requires = "site")]
    pub to_site: Option<String>,
    /// Only items under this folder (such as /Inbox/Projects, or /Documents/Reports in a site).
    #[arg(long, value_name = "PATH")]
    pub folder: Option<String>,
    /// Only these items (ids, as `ls` shows them): `--item A B` or `--item A --item B`.
    #[arg(long = "item", value_name = "ID", num_args = 1..)]
    pub items: Vec<String>,
    /// Restore into this user's mailbox (or OneDrive, with --drive) instead of the original one.
    #[arg(long, value_name = "UPN")]
    pub to_user: Option<String>,
    /// Re-create the original folders under this folder (such as /Restored).
    #[arg(long, value_name = "PATH")]
    pub to_folder: Option<String>,
    /// Items already there: skip (default), copy (restore beside them) or replace.
    #[arg(long, value_name = "RULE", default_value = "skip")]
    pub collisions: String,
    /// What to restore: mail, calendar, contacts (comma-separated), or teams (a channel:
    /// --team and --channel).
    #[arg(long, value_name = "LIST", default_value = "mail,calendar,contacts")]
    pub data: String,
    /// With --data teams: the team in the backup (display name or id).
    #[arg(long, value_name = "TEAM")]
    pub team: Option<String>,
    /// With --data teams: the channel to restore (display name or id); it is re-created as
    /// a new channel, with its messages' authors and times, through Teams' migration mode.
    #[arg(long, value_name = "CHANNEL", requires = "team")]
    pub channel: Option<String>,
    /// With --data teams: restore into this team instead (display name or id).
    #[arg(long, value_name = "TEAM", requires = "channel")]
    pub to_team: Option<String>,
    /// With --data teams: the new channel's name (default: "<channel> (restored <date>)").
    #[arg(long, value_name = "NAME", requires = "channel")]
    pub to_channel: Option<String>,
    /// Only show what would be restored.
    #[arg(long)]
    pub dry_run: bool,
    /// The repository.
    #[command(flatten)]
    pub repo: RepoArgs,
}
