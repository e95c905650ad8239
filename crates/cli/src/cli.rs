//! Command-line arguments.

pub mod backup;
pub mod directory;
pub mod repo;

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// m365vault: back up, archive and inventory Microsoft 365 through Microsoft Graph.
#[derive(Debug, Parser)]
#[command(name = "m365vault", version, about, propagate_version = true)]
pub struct Cli {
    /// Where m365vault keeps its configuration, catalog and encrypted secrets.
    #[arg(long, global = true, env = "M365VAULT_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// Print machine-readable JSON instead of text.
    #[arg(long, global = true)]
    pub json: bool,

    /// More log detail on standard error (-v info, -vv debug, -vvv trace); M365VAULT_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start a simulated Microsoft 365 tenant, register it and show what m365vault can reach.
    Demo(DemoArgs),
    /// Register, list, check and remove connections to Microsoft 365 tenants.
    #[command(subcommand)]
    Connector(ConnectorCommand),
    /// Register m365vault in a tenant as an administrator (device code sign-in) and add its connector.
    Setup(SetupArgs),
    /// The Microsoft 365 simulator.
    #[command(subcommand)]
    Sim(SimCommand),
    /// Create, check, prune and maintain backup repositories.
    #[command(subcommand)]
    Repo(repo::RepoCommand),
    /// Back up mailboxes, list and show backup runs.
    #[command(subcommand)]
    Backup(backup::BackupCommand),
    /// Browse what a backup run holds.
    Ls(backup::LsArgs),
    /// Export a mailbox, drive, site, team or chats of a run to standard files.
    Export(backup::ExportArgs),
    /// Put items of a backup back into Microsoft 365.
    Restore(backup::RestoreArgs),
    /// Groups and distribution lists with their members and owners, from backups.
    #[command(subcommand)]
    Directory(directory::DirectoryCommand),
}

/// `demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Seed of the simulated tenant.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Users in the simulated tenant.
    #[arg(long, default_value_t = 25)]
    pub users: usize,
    /// Mailbox sizes relative to a real tenant's (1.0: a few hundred messages each, some with tens of thousands).
    #[arg(long, default_value_t = 0.05)]
    pub mail_scale: f64,
    /// OneDrive and SharePoint sizes relative to a real tenant's (1.0: hundreds of files a drive).
    #[arg(long, default_value_t = 0.02)]
    pub drive_scale: f64,
}

/// Where the tenant lives: a named cloud or explicit endpoints.
#[derive(Debug, Args, Clone)]
pub struct CloudArgs {
    /// The identity platform: https://login.microsoftonline.com (global, default),
    /// https://login.microsoftonline.us (US Government), https://login.chinacloudapi.cn (China), or the simulator's address.
    #[arg(long, value_name = "URL")]
    pub authority_url: Option<String>,
    /// Microsoft Graph: https://graph.microsoft.com (global, default), https://graph.microsoft.us,
    /// https://dod-graph.microsoft.us, https://microsoftgraph.chinacloudapi.cn, or the simulator's address.
    #[arg(long, value_name = "URL")]
    pub graph_url: Option<String>,
    /// A named cloud instead of URLs: global, us-gov, us-gov-dod or china.
    #[arg(long, value_name = "NAME", conflicts_with_all = ["authority_url", "graph_url"])]
    pub cloud: Option<String>,
    /// An extra certificate authority to trust (PEM), such as the simulator's `ca_pem` or a TLS-inspecting proxy's.
    #[arg(long, value_name = "FILE")]
    pub ca_file: Option<PathBuf>,
}

/// How a credential is given (never as a command-line value, which other users can see).
#[derive(Debug, Args, Clone, Default)]
pub struct CredentialArgs {
    /// Read the client secret's value from FILE ('-' for standard input).
    #[arg(long, value_name = "FILE", group = "credential")]
    pub client_secret_file: Option<PathBuf>,
    /// Read the client secret's value from environment variable VAR.
    #[arg(long, value_name = "VAR", group = "credential")]
    pub client_secret_env: Option<String>,
    /// When the client secret ends (YYYY-MM-DD), to be warned before it does.
    #[arg(long, value_name = "DATE")]
    pub client_secret_expires: Option<String>,
    /// A certificate (PEM) uploaded to the app registration, instead of a secret.
    #[arg(long, value_name = "FILE", group = "credential")]
    pub certificate: Option<PathBuf>,
    /// The certificate's private key (PEM); it may also be in the certificate file.
    #[arg(long, value_name = "FILE", requires = "certificate")]
    pub private_key: Option<PathBuf>,
}

/// `connector …`.
#[derive(Debug, Subcommand)]
pub enum ConnectorCommand {
    /// Add a connector: a tenant's app registration and its credential.
    Add(ConnectorAddArgs),
    /// List connectors.
    List,
    /// Remove a connector and its stored secret.
    Remove {
        /// The connector.
        name: String,
    },
    /// Sign in and tell, for each data type, whether it can be backed up and restored.
    Check(ConnectorCheckArgs),
    /// Give a connector a new secret or certificate (after rotating it in Entra ID).
    Update(ConnectorUpdateArgs),
}

/// `connector add`.
#[derive(Debug, Args)]
pub struct ConnectorAddArgs {
    /// A name for the connector.
    pub name: String,
    /// The Directory (tenant) ID, or one of the tenant's domains.
    #[arg(long, value_name = "TENANT")]
    pub tenant_id: String,
    /// The Application (client) ID of the app registration.
    #[arg(long, value_name = "GUID")]
    pub client_id: String,
    /// The credential.
    #[command(flatten)]
    pub credential: CredentialArgs,
    /// The data types this connector serves (comma-separated, or 'all').
    #[arg(long, value_name = "LIST", default_value = "all")]
    pub data_types: String,
    /// The cloud.
    #[command(flatten)]
    pub cloud: CloudArgs,
}

/// `connector check`.
#[derive(Debug, Args)]
pub struct ConnectorCheckArgs {
    /// The connector.
    pub name: String,
    /// Check these data types instead of the connector's (comma-separated, or 'all').
    #[arg(long, value_name = "LIST")]
    pub data_types: Option<String>,
    /// Fail unless restore works too.
    #[arg(long)]
    pub restore: bool,
}

/// `connector update`.
#[derive(Debug, Args)]
pub struct ConnectorUpdateArgs {
    /// The connector.
    pub name: String,
    /// The new credential.
    #[command(flatten)]
    pub credential: CredentialArgs,
}

/// The credential `setup` creates.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SetupCredential {
    /// A client secret.
    Secret,
    /// A self-signed certificate (the private key stays in m365vault's vault).
    Certificate,
}

/// `setup`.
#[derive(Debug, Args)]
pub struct SetupArgs {
    /// The Directory (tenant) ID, or one of the tenant's domains.
    #[arg(
        long,
        value_name = "TENANT",
        required_unless_present = "print_manifest"
    )]
    pub tenant_id: Option<String>,
    /// The data types to request permissions for (comma-separated, or 'all').
    #[arg(long, value_name = "LIST", default_value = "all")]
    pub data_types: String,
    /// Request backup permissions only (no restore).
    #[arg(long)]
    pub backup_only: bool,
    /// The connector's name (default: the app name).
    #[arg(long)]
    pub name: Option<String>,
    /// The app registration's display name.
    #[arg(long, default_value = "m365vault")]
    pub app_name: String,
    /// The credential to create.
    #[arg(long, value_enum, default_value_t = SetupCredential::Secret)]
    pub credential: SetupCredential,
    /// Days the secret or certificate stays valid.
    #[arg(long, default_value_t = 365, value_parser = clap::value_parser!(i64).range(1..=730))]
    pub valid_days: i64,
    /// The public client to sign in with (default: Microsoft Graph Command Line Tools).
    #[arg(long, value_name = "GUID")]
    pub client_id: Option<String>,
    /// Seconds to wait for the new credential and grants to take effect.
    #[arg(long, default_value_t = 180)]
    pub wait: u64,
    /// Print the app registration to create and the permissions to grant, then stop
    /// (for administrators who register the app in the portal themselves).
    #[arg(long)]
    pub print_manifest: bool,
    /// The cloud.
    #[command(flatten)]
    pub cloud: CloudArgs,
}

/// Whether the simulator applies Microsoft's throttling limits.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Throttle {
    /// Limits apply.
    On,
    /// No limits.
    Off,
}

/// `sim …`.
#[derive(Debug, Subcommand)]
pub enum SimCommand {
    /// Serve a simulated tenant until interrupted.
    Serve(SimServeArgs),
}

/// `sim serve`.
#[derive(Debug, Args)]
pub struct SimServeArgs {
    /// Address to listen on (port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:0")]
    pub addr: SocketAddr,
    /// Seed: the same seed always gives the same tenant.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Users in the tenant.
    #[arg(long, default_value_t = 20)]
    pub users: usize,
    /// Write the tenant id, endpoints and app credentials to FILE (JSON, mode 0600).
    #[arg(long, value_name = "FILE")]
    pub credentials_out: Option<PathBuf>,
    /// Serve HTTPS with a certificate from a generated authority (written as `ca_pem`).
    #[arg(long)]
    pub tls: bool,
    /// Apply Microsoft's throttling limits.
    #[arg(long, value_enum, default_value_t = Throttle::On)]
    pub throttle: Throttle,
    /// Mailbox sizes relative to a real tenant's (1.0: a few hundred messages each, a few
    /// mailboxes with tens of thousands).
    #[arg(long, value_name = "SCALE", default_value_t = 1.0)]
    pub mail_scale: f64,
    /// Answer every Graph request after MIN-MAX milliseconds (spread log-uniformly, seeded),
    /// as Graph does in practice, so that concurrency and rate limits bind in benchmarks.
    #[arg(long, value_name = "MIN-MAX")]
    pub latency_ms: Option<String>,
    /// OneDrive and SharePoint sizes relative to a real tenant's (1.0: hundreds of files a
    /// drive, mostly small, some of hundreds of megabytes).
    #[arg(long, value_name = "SCALE", default_value_t = 1.0)]
    pub drive_scale: f64,
    /// SharePoint resource units per minute instead of what the tenant's licences give.
    #[arg(long, value_name = "RU")]
    pub sharepoint_ru_per_minute: Option<u32>,
}
