//! Microsoft Graph's throttling limits, as token buckets per app.
//!
//! Identity and access (directory) limits: resource units per app and tenant
//! per 10 seconds by tenant size (3,500 under 50 users, 5,000 up to 500, 8,000
//! above), writes 3,000 per 2 minutes 30 seconds; and the global limit of
//! 130,000 requests per 10 seconds per app. Costs per request follow Microsoft's
//! table (`directory_cost`).

use std::collections::HashMap;
use std::sync::Mutex;

use time::OffsetDateTime;

use crate::config::ThrottleMode;

/// A token bucket that refills continuously.
#[derive(Debug, Clone)]
pub struct Bucket {
    capacity: f64,
    per_second: f64,
    tokens: f64,
    last: Option<OffsetDateTime>,
}

impl Bucket {
    /// A bucket holding `capacity` units that refills completely every `window_secs`.
    pub fn new(capacity: f64, window_secs: f64) -> Self {
        Bucket {
            capacity,
            per_second: capacity / window_secs,
            tokens: capacity,
            last: None,
        }
    }

    fn refill(&mut self, now: OffsetDateTime) {
        if let Some(last) = self.last {
            let elapsed = (now - last).as_seconds_f64().max(0.0);
            self.tokens = (self.tokens + elapsed * self.per_second).min(self.capacity);
        }
        self.last = Some(now);
    }

    /// Whether `cost` units are available now (without taking them).
    fn available(&mut self, now: OffsetDateTime, cost: f64) -> Result<(), u64> {
        self.refill(now);
        if self.tokens >= cost {
            Ok(())
        } else {
            let missing = cost - self.tokens;
            Err((missing / self.per_second).ceil().max(1.0) as u64)
        }
    }

    fn take(&mut self, cost: f64) {
        self.tokens -= cost;
    }

    /// How much of the budget is in use (0.0 = none, 1.0 = all).
    pub fn used(&self) -> f64 {
        1.0 - self.tokens / self.capacity
    }
}

/// The outcome of a throttling decision.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Go ahead; `used` is the fraction of the budget in use afterwards.
    Allowed {
        /// Fraction of the budget used.
        used: f64,
    },
    /// Refuse with 429.
    Throttled {
        /// Seconds to wait.
        retry_after: u64,
        /// `x-ms-throttle-scope`.
        scope: String,
        /// `x-ms-throttle-information`.
        information: &'static str,
    },
}

#[derive(Debug)]
struct AppBuckets {
    directory: Bucket,
    directory_writes: Bucket,
    global: Bucket,
}

/// Budgets of every app that called.
#[derive(Debug)]
pub struct Throttle {
    mode: ThrottleMode,
    directory_budget: f64,
    apps: Mutex<HashMap<String, AppBuckets>>,
}

/// Resource units per 10 s for a tenant of `users` users (Microsoft's S/M/L sizes).
pub fn directory_budget_for(users: usize) -> u32 {
    match users {
        0..50 => 3_500,
        50..=500 => 5_000,
        _ => 8_000,
    }
}

impl Throttle {
    /// Budgets for a tenant of `users` users; `budget_override` replaces the directory figure.
    pub fn new(mode: ThrottleMode, users: usize, budget_override: Option<u32>) -> Self {
        Throttle {
            mode,
            directory_budget: f64::from(
                budget_override.unwrap_or_else(|| directory_budget_for(users)),
            ),
            apps: Mutex::new(HashMap::new()),
        }
    }

    /// Whether limits apply.
    pub fn enabled(&self) -> bool {
        self.mode == ThrottleMode::On
    }

    /// Charges a directory request of `cost` resource units to `app_id`.
    pub fn directory(
        &self,
        now: OffsetDateTime,
        app_id: &str,
        tenant_id: &str,
        cost: u32,
        write: bool,
    ) -> Decision {
        if !self.enabled() {
            return Decision::Allowed { used: 0.0 };
        }
        let mut apps = self.apps.lock().unwrap_or_else(|e| e.into_inner());
        let b = apps
            .entry(app_id.to_ascii_lowercase())
            .or_insert_with(|| AppBuckets {
                directory: Bucket::new(self.directory_budget, 10.0),
                directory_writes: Bucket::new(3_000.0, 150.0),
                global: Bucket::new(130_000.0, 10.0),
            });
        let cost = f64::from(cost);
        if let Err(retry_after) = b.global.available(now, 1.0) {
            return Decision::Throttled {
                retry_after,
                scope: format!("Application/ReadWrite/{app_id}/{tenant_id}"),
                information: "ApplicationLimitExceeded",
            };
        }
        if let Err(retry_after) = b.directory.available(now, cost) {
            return Decision::Throttled {
                retry_after,
                scope: format!("Tenant_Application/ReadWrite/{app_id}/{tenant_id}"),
                information: "ResourceUnitLimitExceeded",
            };
        }
        if write && let Err(retry_after) = b.directory_writes.available(now, 1.0) {
            return Decision::Throttled {
                retry_after,
                scope: format!("Tenant_Application/Write/{app_id}/{tenant_id}"),
                information: "WriteLimitExceeded",
            };
        }
        b.global.take(1.0);
        b.directory.take(cost);
        if write {
            b.directory_writes.take(1.0);
        }
        Decision::Allowed {
            used: b.directory.used(),
        }
    }
}

/// The resource-unit cost of a directory request, from Microsoft's table:
/// base cost by path, `$select` −1, `$expand` +1, `$top` under 20 −1, at least 1.
pub fn directory_cost(
    method: &str,
    template: &str,
    select: bool,
    expand: bool,
    small_top: bool,
) -> u32 {
    if method != "GET" {
        return 1;
    }
    let base: i32 = match template {
        "/users"
        | "/applications"
        | "/serviceprincipals/{id}/approleassignments"
        | "/users/{id}/memberof"
        | "/users/{id}/transitivememberof"
        | "/users/{id}/ownedobjects"
        | "/users/{id}/licensedetails" => 2,
        "/groups/{id}/members" | "/subscribedskus" => 3,
        "/groups/{id}/transitivemembers" => 5,
        _ => 1,
    };
    let cost = base - i32::from(select) + i32::from(expand) - i32::from(small_top);
    cost.max(1) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn costs_follow_microsofts_table() {
        assert_eq!(directory_cost("GET", "/users", false, false, false), 2);
        assert_eq!(directory_cost("GET", "/users", true, false, false), 1);
        assert_eq!(
            directory_cost("GET", "/groups/{id}/transitivemembers", false, true, false),
            6
        );
        assert_eq!(directory_cost("GET", "/organization", true, false, true), 1);
        assert_eq!(
            directory_cost("POST", "/applications", false, false, false),
            1
        );
    }

    #[test]
    fn budget_runs_out_and_refills() {
        let t = Throttle::new(ThrottleMode::On, 10, Some(10));
        let now = OffsetDateTime::now_utc();
        for _ in 0..5 {
            assert!(matches!(
                t.directory(now, "a", "t", 2, false),
                Decision::Allowed { .. }
            ));
        }
        let Decision::Throttled {
            retry_after, scope, ..
        } = t.directory(now, "a", "t", 2, false)
        else {
            panic!("expected throttling");
        };
        assert_eq!(retry_after, 2);
        assert_eq!(scope, "Tenant_Application/ReadWrite/a/t");
        // Another app has its own budget.
        assert!(matches!(
            t.directory(now, "b", "t", 2, false),
            Decision::Allowed { .. }
        ));
        // After the window, the budget is back.
        let later = now + time::Duration::seconds(10);
        assert!(matches!(
            t.directory(later, "a", "t", 2, false),
            Decision::Allowed { .. }
        ));
        assert_eq!(directory_budget_for(49), 3_500);
        assert_eq!(directory_budget_for(500), 5_000);
        assert_eq!(directory_budget_for(501), 8_000);
    }

    #[test]
    fn off_means_off() {
        let t = Throttle::new(ThrottleMode::Off, 10, Some(1));
        let now = OffsetDateTime::now_utc();
        for _ in 0..100 {
            assert_eq!(
                t.directory(now, "a", "t", 5, true),
                Decision::Allowed { used: 0.0 }
            );
        }
    }
}
