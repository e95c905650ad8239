//! A Microsoft 365 simulator: the Microsoft identity platform and Microsoft
//! Graph over a tenant generated from a seed, with Microsoft's error shapes,
//! paging, delta, batching and throttling limits.
//!
//! ```no_run
//! # async fn demo() -> Result<(), m365vault_sim::SimError> {
//! use m365vault_sim::{SimConfig, SimServer};
//! let sim = SimServer::start(SimConfig { seed: 7, users: 25, ..SimConfig::default() }, "127.0.0.1:0".parse().unwrap()).await?;
//! println!("tenant {} at {}", sim.credentials.tenant_id, sim.base_url);
//! # Ok(()) }
//! ```

pub mod chats;
pub mod clock;
pub mod config;
pub mod credentials;
pub mod crypto;
pub mod drive;
pub mod failure;
pub mod faults;
pub mod graph;
pub mod identity;
pub mod mailbox;
pub mod reference;
pub mod reports;
pub mod seed;
pub mod server;
pub mod site;
pub mod state;
pub mod stats;
pub mod support;
pub mod teams;
pub mod tenant;
pub mod throttle;

pub use clock::{Clock, ManualClock, SharedClock, SystemClock};
pub use config::{SimConfig, ThrottleMode};
pub use credentials::{AppCredentials, Credentials};
pub use faults::{FaultSettings, Latency};
pub use server::{SimError, SimServer};
pub use stats::StatsSnapshot;
pub use tenant::StandardApp;
pub use throttle::OutlookLimits;
