//! Microsoft Graph's throttling limits, as token buckets per app.
//!
//! Identity and access (directory) limits: resource units per app and tenant
//! per 10 seconds by tenant size (3,500 under 50 users, 5,000 up to 500, 8,000
//! above), writes 3,000 per 2 minutes 30 seconds; and the global limit of
//! 130,000 requests per 10 seconds per app. Costs per request follow Microsoft's
//! table (`directory_cost`).
//!
//! Outlook limits (mail, calendars, contacts), per app and mailbox: 4 requests
//! in flight, 10,000 requests per 10 minutes, 150 MB of request bodies
//! (POST, PUT, PATCH) per 5 minutes. See [`outlook`] for the HTTP side.
//!
//! SharePoint and OneDrive limits: resource units per app and tenant per
//! minute and per 24 hours by licence count, requests per user per 5 minutes.
//! See [`sharepoint`].
//!
//! Teams limits: requests per second per app by kind of request, and per team
//! or channel. See [`teams`].
//!
//! Usage reports: 14 requests per 10 minutes per app and report, 40 per
//! tenant. See [`reports`].

pub mod outlook;
pub mod reports;
pub mod sharepoint;
pub mod teams;

pub use reports::ReportLimits;
pub use sharepoint::SharePointLimits;
pub use teams::TeamsLimits;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

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

impl AppBuckets {
    fn new(directory_budget: f64) -> Self {
        AppBuckets {
            directory: Bucket::new(directory_budget, 10.0),
            directory_writes: Bucket::new(3_000.0, 150.0),
            global: Bucket::new(130_000.0, 10.0),
        }
    }
}

/// Outlook's limits per app and mailbox (Microsoft's figures by default; tests
/// use small ones).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OutlookLimits {
    /// Requests in flight at once (Microsoft: 4).
    pub concurrency: usize,
    /// Requests per window (Microsoft: 10,000)…
    pub requests: u32,
    /// …of this many seconds (Microsoft: 600).
    pub requests_window_secs: u32,
    /// Bytes of POST, PUT and PATCH bodies per window (Microsoft: 150 MB)…
    pub upload_bytes: u64,
    /// …of this many seconds (Microsoft: 300).
    pub upload_window_secs: u32,
}

impl Default for OutlookLimits {
    fn default() -> Self {
        OutlookLimits {
            concurrency: 4,
            requests: 10_000,
            requests_window_secs: 600,
            upload_bytes: 150 * 1024 * 1024,
            upload_window_secs: 300,
        }
    }
}

/// Which Outlook limit refused a request; the message is Microsoft's
/// `Application is over its {limit} limit.`
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutlookLimit {
    /// Too many requests in flight against the mailbox.
    MailboxConcurrency,
    /// Too many requests in the 10-minute window.
    RequestRate,
    /// Too many bytes uploaded in the 5-minute window.
    IncomingBytes,
}

impl OutlookLimit {
    /// The limit's name as Microsoft's messages spell it.
    pub fn name(self) -> &'static str {
        match self {
            OutlookLimit::MailboxConcurrency => "MailboxConcurrency",
            OutlookLimit::RequestRate => "RequestRate",
            OutlookLimit::IncomingBytes => "IncomingBytes",
        }
    }
}

/// An Outlook request refused with 429.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutlookRefusal {
    /// The limit that was reached.
    pub limit: OutlookLimit,
    /// Seconds to wait (`Retry-After`).
    pub retry_after: u64,
}

#[derive(Debug)]
struct MailboxBudget {
    in_flight: Arc<AtomicUsize>,
    requests: Bucket,
    upload: Bucket,
}

type MailboxKey = (String, String);

/// A request admitted against a mailbox: it holds one of the mailbox's
/// concurrency slots until dropped (the HTTP layer drops it once the response
/// body has been sent).
#[derive(Debug)]
pub struct MailboxPermit {
    slot: Option<Arc<AtomicUsize>>,
    meter: Option<UploadMeter>,
}

impl MailboxPermit {
    /// What charges body bytes learnt only while the body streams (no
    /// `Content-Length`) to the mailbox's upload budget; `None` when limits are off.
    pub fn meter(&self) -> Option<UploadMeter> {
        self.meter.clone()
    }
}

/// Charges uploaded bytes to one app and mailbox's budget.
#[derive(Debug, Clone)]
pub struct UploadMeter {
    mailboxes: Arc<Mutex<HashMap<MailboxKey, MailboxBudget>>>,
    key: MailboxKey,
}

impl UploadMeter {
    /// Charges `bytes` at `now` (the budget may go below zero: later requests wait).
    pub fn charge(&self, now: OffsetDateTime, bytes: u64) {
        let mut m = self.mailboxes.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(b) = m.get_mut(&self.key) {
            b.upload.refill(now);
            b.upload.take(bytes as f64);
        }
    }
}

impl Drop for MailboxPermit {
    fn drop(&mut self) {
        if let Some(slot) = self.slot.take() {
            slot.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

/// Budgets of every app that called.
#[derive(Debug)]
pub struct Throttle {
    mode: ThrottleMode,
    directory_budget: f64,
    apps: Mutex<HashMap<String, AppBuckets>>,
    outlook_limits: OutlookLimits,
    mailboxes: Arc<Mutex<HashMap<MailboxKey, MailboxBudget>>>,
    sharepoint: sharepoint::SharePointBudgets,
    teams: teams::TeamsBudgets,
    reports: reports::ReportBudgets,
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
            outlook_limits: OutlookLimits::default(),
            mailboxes: Arc::new(Mutex::new(HashMap::new())),
            sharepoint: sharepoint::SharePointBudgets::default(),
            teams: teams::TeamsBudgets::default(),
            reports: reports::ReportBudgets::default(),
        }
    }

    /// Replaces Outlook's limits (tests use small ones).
    pub fn with_outlook_limits(mut self, limits: OutlookLimits) -> Self {
        self.outlook_limits = limits;
        self
    }

    /// Charges one request to `app_id`'s global budget (130,000 requests per
    /// 10 seconds), for services other than the directory, which charges it
    /// in [`Throttle::directory`].
    pub fn global(&self, now: OffsetDateTime, app_id: &str, tenant_id: &str) -> Decision {
        if !self.enabled() {
            return Decision::Allowed { used: 0.0 };
        }
        let mut apps = self.apps.lock().unwrap_or_else(|e| e.into_inner());
        let b = apps
            .entry(app_id.to_ascii_lowercase())
            .or_insert_with(|| AppBuckets::new(self.directory_budget));
        match b.global.available(now, 1.0) {
            Ok(()) => {
                b.global.take(1.0);
                Decision::Allowed {
                    used: b.global.used(),
                }
            }
            Err(retry_after) => Decision::Throttled {
                retry_after,
                scope: format!("Application/ReadWrite/{app_id}/{tenant_id}"),
                information: "ApplicationLimitExceeded",
            },
        }
    }

    /// Admits an Outlook request of `app_id` against `mailbox` (a canonical
    /// mailbox key) carrying `upload` bytes of body: a free concurrency slot,
    /// one request of the 10-minute budget and the bytes of the 5-minute one.
    /// A refused request takes nothing.
    pub fn outlook(
        &self,
        now: OffsetDateTime,
        app_id: &str,
        mailbox: &str,
        upload: u64,
    ) -> Result<MailboxPermit, OutlookRefusal> {
        let key = (app_id.to_ascii_lowercase(), mailbox.to_ascii_lowercase());
        if !self.enabled() {
            return Ok(MailboxPermit {
                slot: None,
                meter: None,
            });
        }
        let limits = self.outlook_limits;
        let mut mailboxes = self.mailboxes.lock().unwrap_or_else(|e| e.into_inner());
        let b = mailboxes
            .entry(key.clone())
            .or_insert_with(|| MailboxBudget {
                in_flight: Arc::new(AtomicUsize::new(0)),
                requests: Bucket::new(
                    f64::from(limits.requests),
                    f64::from(limits.requests_window_secs),
                ),
                upload: Bucket::new(
                    limits.upload_bytes as f64,
                    f64::from(limits.upload_window_secs),
                ),
            });
        if b.in_flight.load(Ordering::SeqCst) >= limits.concurrency {
            // Microsoft answers 1: the wait is for a request in flight to end.
            return Err(OutlookRefusal {
                limit: OutlookLimit::MailboxConcurrency,
                retry_after: 1,
            });
        }
        if let Err(retry_after) = b.requests.available(now, 1.0) {
            return Err(OutlookRefusal {
                limit: OutlookLimit::RequestRate,
                retry_after,
            });
        }
        // A body larger than the whole budget passes once the budget is full.
        let bytes = (upload as f64).min(b.upload.capacity);
        if upload > 0
            && let Err(retry_after) = b.upload.available(now, bytes)
        {
            return Err(OutlookRefusal {
                limit: OutlookLimit::IncomingBytes,
                retry_after,
            });
        }
        b.requests.take(1.0);
        if upload > 0 {
            b.upload.take(bytes);
        }
        b.in_flight.fetch_add(1, Ordering::SeqCst);
        Ok(MailboxPermit {
            slot: Some(b.in_flight.clone()),
            meter: Some(UploadMeter {
                mailboxes: self.mailboxes.clone(),
                key,
            }),
        })
    }

    /// Requests of `app_id` in flight against `mailbox` now.
    pub fn in_flight(&self, app_id: &str, mailbox: &str) -> usize {
        let key = (app_id.to_ascii_lowercase(), mailbox.to_ascii_lowercase());
        self.mailboxes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
            .map_or(0, |b| b.in_flight.load(Ordering::SeqCst))
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
            .or_insert_with(|| AppBuckets::new(self.directory_budget));
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

    fn small() -> OutlookLimits {
        OutlookLimits {
            concurrency: 4,
            requests: 10,
            requests_window_secs: 600,
            upload_bytes: 1_000,
            upload_window_secs: 300,
        }
    }

    #[test]
    fn a_mailbox_takes_four_requests_at_once() {
        let t = Throttle::new(ThrottleMode::On, 10, None).with_outlook_limits(small());
        let now = OffsetDateTime::now_utc();
        let held: Vec<MailboxPermit> = (0..4)
            .map(|_| t.outlook(now, "app", "m1", 0).expect("admitted"))
            .collect();
        assert_eq!(t.in_flight("APP", "M1"), 4);
        assert_eq!(
            t.outlook(now, "app", "m1", 0).expect_err("fifth"),
            OutlookRefusal {
                limit: OutlookLimit::MailboxConcurrency,
                retry_after: 1
            }
        );
        // Another mailbox, or another app on the same mailbox, has its own slots.
        let other = t.outlook(now, "app", "m2", 0).expect("other mailbox");
        let other_app = t.outlook(now, "app2", "m1", 0).expect("other app");
        drop(held);
        assert_eq!(t.in_flight("app", "m1"), 0);
        assert!(t.outlook(now, "app", "m1", 0).is_ok());
        drop((other, other_app));
    }

    #[test]
    fn request_budget_runs_out_and_refills() {
        let t = Throttle::new(ThrottleMode::On, 10, None).with_outlook_limits(small());
        let now = OffsetDateTime::now_utc();
        for _ in 0..10 {
            drop(t.outlook(now, "app", "m", 0).expect("within budget"));
        }
        let refused = t.outlook(now, "app", "m", 0).expect_err("over budget");
        assert_eq!(refused.limit, OutlookLimit::RequestRate);
        // One request refills every 60 s (10 per 600 s).
        assert_eq!(refused.retry_after, 60);
        assert!(t.outlook(now, "app", "other", 0).is_ok());
        let later = now + time::Duration::seconds(60);
        assert!(t.outlook(later, "app", "m", 0).is_ok());
        assert!(t.outlook(later, "app", "m", 0).is_err());
    }

    #[test]
    fn uploads_are_limited_by_bytes() {
        let t = Throttle::new(ThrottleMode::On, 10, None).with_outlook_limits(small());
        let now = OffsetDateTime::now_utc();
        drop(t.outlook(now, "app", "m", 600).expect("600 of 1000"));
        let refused = t.outlook(now, "app", "m", 600).expect_err("over");
        assert_eq!(refused.limit, OutlookLimit::IncomingBytes);
        // 200 bytes missing at 1000 per 300 s: 60 s.
        assert_eq!(refused.retry_after, 60);
        // A refused request took nothing: reads still pass, and so does what fits.
        drop(t.outlook(now, "app", "m", 0).expect("a read"));
        drop(t.outlook(now, "app", "m", 400).expect("fits"));
        // Bytes counted while streaming are charged after the fact.
        let p = t
            .outlook(now + time::Duration::seconds(300), "app", "m", 0)
            .expect("refilled");
        p.meter()
            .expect("meter")
            .charge(now + time::Duration::seconds(300), 2_000);
        assert_eq!(
            t.outlook(now + time::Duration::seconds(300), "app", "m", 1)
                .expect_err("overdrawn")
                .limit,
            OutlookLimit::IncomingBytes
        );
        // A body larger than the whole budget passes once the budget is full.
        let u = Throttle::new(ThrottleMode::On, 10, None).with_outlook_limits(small());
        assert!(u.outlook(now, "app", "m", 5_000).is_ok());
    }

    #[test]
    fn outlook_limits_are_off_with_throttling() {
        let t = Throttle::new(ThrottleMode::Off, 10, None).with_outlook_limits(small());
        let now = OffsetDateTime::now_utc();
        let held: Vec<MailboxPermit> = (0..50)
            .map(|_| t.outlook(now, "app", "m", 10_000).expect("no limits"))
            .collect();
        assert_eq!(held.len(), 50);
        assert_eq!(t.in_flight("app", "m"), 0);
        assert_eq!(t.global(now, "app", "t"), Decision::Allowed { used: 0.0 });
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
