//! The simulator's shared state.

use std::sync::{Arc, MutexGuard, OnceLock, RwLock, RwLockReadGuard, RwLockWriteGuard};

use axum::Router;
use time::OffsetDateTime;

use crate::clock::SharedClock;
use crate::config::SimConfig;
use crate::faults::Faults;
use crate::identity::{Flows, IdentityState};
use crate::stats::Stats;
use crate::tenant::Tenant;
use crate::throttle::Throttle;

/// Everything the simulator's handlers share.
pub struct SimState {
    /// How the simulator was started.
    pub config: SimConfig,
    /// Its clock.
    pub clock: SharedClock,
    /// The tenant.
    pub tenant: RwLock<Tenant>,
    /// The identity platform's keys and flows.
    pub identity: IdentityState,
    /// Throttling budgets.
    pub throttle: Throttle,
    /// Request counters.
    pub stats: Stats,
    /// Injected faults (`/_sim/faults`).
    pub faults: Faults,
    /// Exchange Online mailboxes, generated on first use.
    pub mailboxes: crate::mailbox::Mailboxes,
    /// OneDrives and document libraries, generated on first use.
    pub drives: crate::drive::Drives,
    /// SharePoint sites and their lists.
    pub sites: crate::site::Sites,
    /// Teams chats and group conversations, generated on first use.
    pub chats: crate::chats::Chats,
    /// Teams, channels and channel messages, generated on first use.
    pub teams: crate::teams::Teams,
    /// Usage reports: the tenant's report settings and the download URLs' key.
    pub reports: crate::reports::Reports,
    base_url: OnceLock<String>,
    router: OnceLock<Router>,
}

/// The state as handlers receive it.
pub type AppState = Arc<SimState>;

impl SimState {
    /// Builds the state.
    pub fn new(
        config: SimConfig,
        clock: SharedClock,
        tenant: Tenant,
        identity: IdentityState,
    ) -> Self {
        let user_count = tenant.users.len();
        let concealed = config.display_concealed_names;
        SimState {
            throttle: Throttle::new(config.throttle, user_count, config.directory_budget)
                .with_outlook_limits(config.outlook_limits),
            config,
            clock,
            tenant: RwLock::new(tenant),
            identity,
            stats: Stats::default(),
            faults: Faults::default(),
            mailboxes: Default::default(),
            drives: Default::default(),
            sites: Default::default(),
            chats: Default::default(),
            teams: Default::default(),
            reports: crate::reports::Reports::new(concealed),
            base_url: OnceLock::new(),
            router: OnceLock::new(),
        }
    }

    /// Now, by the simulator's clock.
    pub fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }

    /// The tenant, for reading.
    pub fn tenant(&self) -> RwLockReadGuard<'_, Tenant> {
        // A handler that panicked while holding the lock leaves a usable tenant;
        // the simulator keeps serving rather than failing every later request.
        self.tenant.read().unwrap_or_else(|e| e.into_inner())
    }

    /// The tenant, for changing.
    pub fn tenant_mut(&self) -> RwLockWriteGuard<'_, Tenant> {
        self.tenant.write().unwrap_or_else(|e| e.into_inner())
    }

    /// The identity platform's flows.
    pub fn flows(&self) -> MutexGuard<'_, Flows> {
        self.identity
            .flows
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// The URL the simulator is reachable at, such as `http://127.0.0.1:8080`.
    pub fn base_url(&self) -> String {
        self.base_url.get().cloned().unwrap_or_default()
    }

    /// Sets the base URL once the listener is bound.
    pub fn set_base_url(&self, url: String) {
        let _ = self.base_url.set(url);
    }

    /// The whole router (for `$batch`, which dispatches its requests through it).
    pub fn router(&self) -> Option<Router> {
        self.router.get().cloned()
    }

    /// Records the router once it is built.
    pub fn set_router(&self, router: Router) {
        let _ = self.router.set(router);
    }
}
