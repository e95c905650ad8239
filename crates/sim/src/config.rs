//! How a simulator is started.

use std::sync::Arc;

use crate::clock::{Clock, SharedClock, SystemClock};

/// Whether Microsoft's throttling limits apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ThrottleMode {
    /// Limits apply, as Microsoft documents them.
    #[default]
    On,
    /// No limits (pure-speed runs).
    Off,
}

/// Simulator settings.
#[derive(Clone)]
pub struct SimConfig {
    /// The seed the tenant is generated from.
    pub seed: u64,
    /// How many users the tenant has.
    pub users: usize,
    /// Serve HTTPS with a generated certificate authority.
    pub tls: bool,
    /// Throttling.
    pub throttle: ThrottleMode,
    /// Overrides the directory's resource units per 10 seconds (tests use small
    /// budgets to exercise throttling quickly). `None` uses Microsoft's figures.
    pub directory_budget: Option<u32>,
    /// Seconds a device-code client is told to wait between polls (Microsoft: 5).
    pub device_code_interval_secs: u64,
    /// The clock; `None` uses the system clock.
    pub clock: Option<SharedClock>,
    /// Multiplies the number of items in every mailbox (messages, events,
    /// contacts) and the size of large attachments. 1.0 is realistic (median
    /// mailbox a few hundred messages, about 2% of mailboxes with 10,000 to
    /// 40,000); tests use small values such as 0.02.
    pub mail_scale: f64,
    /// Days after which an Outlook delta or skip token is refused with
    /// 410 `SyncStateNotFound` (Exchange expires sync state it keeps).
    pub delta_token_expiry_days: u32,
    /// How long every Graph request takes before its handler answers; `None`
    /// answers at once (tests). Benchmarks set tens to hundreds of milliseconds
    /// so that Outlook's concurrency and rate limits bind as they do for real.
    pub latency: Option<crate::faults::Latency>,
    /// Outlook's limits per app and mailbox (Microsoft's figures by default).
    pub outlook_limits: crate::throttle::OutlookLimits,
    /// SharePoint's and OneDrive's limits: resource units per app per minute
    /// and per 24 hours (by default from the tenant's licence count, as
    /// Microsoft sizes them) and requests per user per 5 minutes (3,000).
    pub sharepoint_limits: crate::throttle::SharePointLimits,
    /// Teams' limits: requests per second per app by kind of request and per
    /// team or channel (Microsoft's figures by default).
    pub teams_limits: crate::throttle::TeamsLimits,
    /// Multiplies the number of files in every OneDrive and document library,
    /// and shrinks their sizes below 1.0. 1.0 is realistic (a OneDrive of
    /// about 50 to 2,000 files, mostly 1 KB to 2 MB, some 5 to 50 MB, rare
    /// 100 to 500 MB); tests use 0.01 to 0.05 (a handful to a few dozen small
    /// files). Every drive keeps at least a few files and one folder.
    pub drive_scale: f64,
    /// Seconds a pre-authenticated download URL
    /// (`@microsoft.graph.downloadUrl`, the `Location` of `…/content`) stays valid.
    pub download_url_ttl_secs: u64,
    /// Seconds the download URL of a usage report stays valid (Microsoft: "a
    /// few minutes"; 300).
    pub report_url_ttl_secs: u64,
    /// Usage reports' limits: requests per report per app and per tenant in
    /// a window (Microsoft: 14 and 40 per 10 minutes).
    pub report_limits: crate::throttle::ReportLimits,
    /// The tenant's report setting `displayConcealedNames` at start-up
    /// (Microsoft's default since 1 September 2021: `true`).
    pub display_concealed_names: bool,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            seed: 1,
            users: 20,
            tls: false,
            throttle: ThrottleMode::On,
            directory_budget: None,
            device_code_interval_secs: 5,
            clock: None,
            mail_scale: 1.0,
            delta_token_expiry_days: 7,
            latency: None,
            outlook_limits: crate::throttle::OutlookLimits::default(),
            sharepoint_limits: crate::throttle::SharePointLimits::default(),
            teams_limits: crate::throttle::TeamsLimits::default(),
            drive_scale: 1.0,
            download_url_ttl_secs: 3600,
            report_url_ttl_secs: 300,
            report_limits: crate::throttle::ReportLimits::default(),
            display_concealed_names: true,
        }
    }
}

impl SimConfig {
    /// The clock to use.
    pub fn clock(&self) -> SharedClock {
        self.clock
            .clone()
            .unwrap_or_else(|| Arc::new(SystemClock) as Arc<dyn Clock>)
    }
}

impl std::fmt::Debug for SimConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimConfig")
            .field("seed", &self.seed)
            .field("users", &self.users)
            .field("tls", &self.tls)
            .field("throttle", &self.throttle)
            .field("directory_budget", &self.directory_budget)
            .field("mail_scale", &self.mail_scale)
            .field("latency", &self.latency)
            .field("outlook_limits", &self.outlook_limits)
            .field("drive_scale", &self.drive_scale)
            .field("download_url_ttl_secs", &self.download_url_ttl_secs)
            .field("sharepoint_limits", &self.sharepoint_limits)
            .field("teams_limits", &self.teams_limits)
            .field("report_url_ttl_secs", &self.report_url_ttl_secs)
            .field("report_limits", &self.report_limits)
            .field("display_concealed_names", &self.display_concealed_names)
            .finish_non_exhaustive()
    }
}
