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
            .finish_non_exhaustive()
    }
}
