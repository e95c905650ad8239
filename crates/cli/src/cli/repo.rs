//! Arguments of `m365vault repo …`.

use std::path::PathBuf;

use clap::{Args, Subcommand};

/// Where the repository is and how to open it; every command that reads or writes a
/// repository takes these.
#[derive(Debug, Args, Clone)]
pub struct RepoArgs {
    /// The repository: a folder, s3://bucket/prefix or azblob://container/prefix.
    #[arg(long = "repo", env = "M365VAULT_REPO", value_name = "LOCATION")]
    pub location: Option<String>,
    /// Read the passphrase from FILE ('-' for standard input); otherwise
    /// M365VAULT_PASSPHRASE, otherwise a prompt.
    #[arg(long, value_name = "FILE")]
    pub passphrase_file: Option<PathBuf>,
    /// The catalog: a SQLite file (default: catalog.db in the data directory) or postgres://…
    #[arg(long, env = "M365VAULT_CATALOG", value_name = "URL")]
    pub catalog: Option<String>,
    /// S3 endpoint, for services other than AWS (MinIO, Wasabi, Ceph…).
    #[arg(long, env = "AWS_ENDPOINT_URL", value_name = "URL")]
    pub s3_endpoint: Option<String>,
    /// S3 region.
    #[arg(long, env = "AWS_REGION", value_name = "REGION")]
    pub s3_region: Option<String>,
    /// S3 access key id (the secret comes from AWS_SECRET_ACCESS_KEY or --s3-secret-access-key-file).
    #[arg(long, env = "AWS_ACCESS_KEY_ID", value_name = "ID")]
    pub s3_access_key_id: Option<String>,
    /// Read the S3 secret access key from FILE.
    #[arg(long, value_name = "FILE")]
    pub s3_secret_access_key_file: Option<PathBuf>,
    /// Set S3 Object Lock on every object written: governance or compliance (the bucket
    /// must have Object Lock enabled). Prune and forget never delete what is still locked.
    #[arg(
        long,
        env = "M365VAULT_S3_OBJECT_LOCK_MODE",
        value_name = "MODE",
        requires = "s3_object_lock_days"
    )]
    pub s3_object_lock_mode: Option<String>,
    /// Days each object stays locked after it is written.
    #[arg(long, env = "M365VAULT_S3_OBJECT_LOCK_DAYS", value_name = "DAYS", requires = "s3_object_lock_mode",
          value_parser = clap::value_parser!(u32).range(1..=36500))]
    pub s3_object_lock_days: Option<u32>,
    /// Azure storage account name.
    #[arg(long, env = "AZURE_STORAGE_ACCOUNT", value_name = "NAME")]
    pub azure_account: Option<String>,
    /// Azure Blob endpoint (default https://ACCOUNT.blob.core.windows.net).
    #[arg(long, env = "AZURE_STORAGE_ENDPOINT", value_name = "URL")]
    pub azure_endpoint: Option<String>,
    /// Read the Azure storage account key from FILE (or set AZURE_STORAGE_KEY).
    #[arg(long, value_name = "FILE")]
    pub azure_key_file: Option<PathBuf>,
}

/// `repo …`.
#[derive(Debug, Subcommand)]
pub enum RepoCommand {
    /// Create a repository.
    Init(RepoInitArgs),
    /// Verify the repository: structure, and with --read-data every byte.
    Check(RepoCheckArgs),
    /// Sizes, deduplication and compression.
    Stats(RepoOnly),
    /// Remove runs that the retention rules no longer keep (their data goes at the next prune).
    Forget(RepoForgetArgs),
    /// Remove data no run needs and repack half-empty packs; safe while backups run.
    Prune(RepoPruneArgs),
    /// Passphrases that open the repository.
    #[command(subcommand)]
    Passphrase(PassphraseCommand),
    /// Legal holds: resources or items kept whatever the retention rules say.
    #[command(subcommand)]
    Hold(HoldCommand),
    /// Refill the catalog from the repository alone.
    RebuildCatalog(RepoOnly),
    /// Index again packs whose index file was lost.
    RepairIndex(RepoOnly),
    /// Remove locks left by processes that died.
    Unlock(RepoUnlockArgs),
}

/// A command that needs only the repository.
#[derive(Debug, Args)]
pub struct RepoOnly {
    #[command(flatten)]
    pub repo: RepoArgs,
}

/// `repo init`.
#[derive(Debug, Args)]
pub struct RepoInitArgs {
    #[command(flatten)]
    pub repo: RepoArgs,
    /// A label for the first passphrase's key.
    #[arg(long, default_value = "")]
    pub label: String,
    /// zstd level for stored data (1–19).
    #[arg(long, default_value_t = 3)]
    pub compression_level: i32,
}

/// `repo check`.
#[derive(Debug, Args)]
pub struct RepoCheckArgs {
    #[command(flatten)]
    pub repo: RepoArgs,
    /// Also read and verify the data: all of it, or PERCENT of the packs, chosen at random.
    #[arg(long, value_name = "PERCENT", num_args = 0..=1, default_missing_value = "100",
          value_parser = clap::value_parser!(u8).range(1..=100))]
    pub read_data: Option<u8>,
}

/// `repo forget`.
#[derive(Debug, Args)]
pub struct RepoForgetArgs {
    #[command(flatten)]
    pub repo: RepoArgs,
    /// Keep the newest N runs of each resource.
    #[arg(long, value_name = "N")]
    pub keep_last: Option<u32>,
    /// Keep the newest run of each of the last N days.
    #[arg(long, value_name = "N")]
    pub keep_daily: Option<u32>,
    /// … of each of the last N weeks.
    #[arg(long, value_name = "N")]
    pub keep_weekly: Option<u32>,
    /// … of each of the last N months.
    #[arg(long, value_name = "N")]
    pub keep_monthly: Option<u32>,
    /// … of each of the last N years.
    #[arg(long, value_name = "N")]
    pub keep_yearly: Option<u32>,
    /// Keep every run younger than DURATION (30d, 12w, 6m, 1y, 1y6m), counted from the newest run.
    #[arg(long, value_name = "DURATION")]
    pub keep_within: Option<String>,
    /// Keep an item's versions for N days after it was deleted in Microsoft 365.
    #[arg(long, value_name = "N")]
    pub keep_deleted_days: Option<u32>,
    /// Show what would be removed; change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// `repo prune`.
#[derive(Debug, Args)]
pub struct RepoPruneArgs {
    #[command(flatten)]
    pub repo: RepoArgs,
    /// Show what would be removed; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Repack packs with at least this share of unneeded data (0–1).
    #[arg(long, default_value_t = 0.5)]
    pub repack_threshold: f64,
}

/// `repo unlock`.
#[derive(Debug, Args)]
pub struct RepoUnlockArgs {
    #[command(flatten)]
    pub repo: RepoArgs,
    /// Remove every lock, not only those of dead processes (only when nothing runs).
    #[arg(long)]
    pub all: bool,
}

/// `repo passphrase …`.
#[derive(Debug, Subcommand)]
pub enum PassphraseCommand {
    /// Add a passphrase (the new one from --new-passphrase-file, M365VAULT_NEW_PASSPHRASE or a prompt).
    Add {
        #[command(flatten)]
        repo: RepoArgs,
        /// Read the new passphrase from FILE.
        #[arg(long, value_name = "FILE")]
        new_passphrase_file: Option<PathBuf>,
        /// A label to tell the keys apart.
        #[arg(long, default_value = "")]
        label: String,
    },
    /// Remove a passphrase's key (by id or a unique prefix).
    Remove {
        #[command(flatten)]
        repo: RepoArgs,
        /// The key's id, as `repo passphrase list` shows it.
        key: String,
    },
    /// List the keys.
    List {
        #[command(flatten)]
        repo: RepoArgs,
    },
}

/// `repo hold …`.
#[derive(Debug, Subcommand)]
pub enum HoldCommand {
    /// Put a resource (a mailbox, drive, site…) or one item of it on legal hold.
    Add {
        #[command(flatten)]
        repo: RepoArgs,
        /// The resource.
        #[arg(long)]
        resource: String,
        /// Only this item of the resource.
        #[arg(long)]
        item: Option<String>,
        /// Why (case number, requester).
        #[arg(long)]
        reason: String,
    },
    /// Lift a legal hold.
    Remove {
        #[command(flatten)]
        repo: RepoArgs,
        /// The resource.
        #[arg(long)]
        resource: String,
        /// The item, if the hold was on one item.
        #[arg(long)]
        item: Option<String>,
    },
    /// List legal holds.
    List {
        #[command(flatten)]
        repo: RepoArgs,
    },
}
