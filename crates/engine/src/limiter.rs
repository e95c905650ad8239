//! The client side of Microsoft's throttling limits: before a request leaves, it
//! takes a slot of its resource (Outlook: 4 concurrent requests per app and
//! mailbox) and a token of the resource's rate budget (Outlook: 10,000 requests
//! per 10 minutes), so that m365vault stays under the limits instead of bouncing
//! off them. A 429 that still happens is honoured by the Graph client's retries.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Limits of one kind of resource.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// Requests in flight at once.
    pub concurrency: usize,
    /// Requests per window.
    pub requests: u32,
    /// The window.
    pub window: Duration,
}

impl Limits {
    /// Outlook (mail, calendars, contacts), per app and mailbox.
    pub const OUTLOOK: Limits = Limits {
        concurrency: 4,
        requests: 10_000,
        window: Duration::from_secs(600),
    };
}

/// A token bucket that refills continuously.
#[derive(Debug)]
struct Bucket {
    capacity: f64,
    per_second: f64,
    tokens: f64,
    last: Instant,
}

impl Bucket {
    fn new(limits: &Limits, now: Instant) -> Self {
        Bucket::with(f64::from(limits.requests.max(1)), limits.window, now)
    }

    fn with(capacity: f64, window: Duration, now: Instant) -> Self {
        Bucket {
            capacity,
            per_second: capacity / window.as_secs_f64().max(0.001),
            tokens: capacity,
            last: now,
        }
    }

    /// Takes a token, or says how long until one is there.
    fn take(&mut self, now: Instant) -> Result<(), Duration> {
        self.take_n(now, 1.0)
    }

    /// Takes `n` tokens (at most the capacity), or says how long until they are there.
    fn take_n(&mut self, now: Instant, n: f64) -> Result<(), Duration> {
        let n = n.min(self.capacity);
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.per_second).min(self.capacity);
        self.last = now;
        if self.tokens >= n {
            self.tokens -= n;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((n - self.tokens) / self.per_second))
        }
    }
}

/// SharePoint's and OneDrive's resource units per app and tenant, by the tenant's
/// licence count (Microsoft's table): RU per minute and RU per 24 hours.
pub fn resource_unit_tier(licences: u64) -> (u32, u64) {
    match licences {
        0..=1_000 => (1_250, 1_200_000),
        1_001..=5_000 => (2_500, 2_400_000),
        5_001..=15_000 => (3_750, 3_600_000),
        15_001..=50_000 => (5_000, 4_800_000),
        _ => (6_250, 6_000_000),
    }
}

/// The tenant's SharePoint and OneDrive budget: every request spends its resource
/// units (1 for a single item, delta with a token or a download; 2 for a collection,
/// delta without a token or a write; 5 for permissions) before it leaves, from a
/// per-minute and a per-day bucket. Requests wait for units instead of being
/// refused, so a run spends the budget as fast as Microsoft grants it and no faster.
#[derive(Debug)]
pub struct ResourceUnits {
    minute: Mutex<Bucket>,
    day: Mutex<Bucket>,
    per_minute: u32,
    spent: std::sync::atomic::AtomicU64,
    waited: Mutex<Duration>,
    /// Set by a refusal: nothing is sent to SharePoint before then.
    paused_until: Mutex<Option<Instant>>,
}

/// The share of Microsoft's budget m365vault plans to use, leaving room for
/// requests it does not count (retries) and for other apps' clocks.
const RESOURCE_UNIT_SHARE: f64 = 0.9;

impl ResourceUnits {
    /// A budget of `per_minute` and `per_day` resource units.
    pub fn new(per_minute: u32, per_day: u64) -> Self {
        let now = Instant::now();
        let minute = f64::from(per_minute.max(1)) * RESOURCE_UNIT_SHARE;
        let day = (per_day.max(1) as f64) * RESOURCE_UNIT_SHARE;
        ResourceUnits {
            minute: Mutex::new(Bucket::with(minute, Duration::from_secs(60), now)),
            day: Mutex::new(Bucket::with(day, Duration::from_secs(86_400), now)),
            per_minute,
            spent: std::sync::atomic::AtomicU64::new(0),
            waited: Mutex::new(Duration::ZERO),
            paused_until: Mutex::new(None),
        }
    }

    /// Waits out a pause Microsoft asked for.
    async fn paused(&self) {
        loop {
            let until = *self.paused_until.lock().unwrap_or_else(|e| e.into_inner());
            match until {
                Some(t) if t > Instant::now() => tokio::time::sleep_until(t).await,
                _ => return,
            }
        }
    }

    /// The budget of a tenant with `licences` licences.
    pub fn for_licences(licences: u64) -> Self {
        let (minute, day) = resource_unit_tier(licences);
        ResourceUnits::new(minute, day)
    }

    /// Resource units per minute (Microsoft's figure).
    pub fn per_minute(&self) -> u32 {
        self.per_minute
    }

    /// Waits until `ru` units may be spent, and spends them.
    pub async fn spend(&self, ru: u32) {
        let start = Instant::now();
        self.paused().await;
        let n = f64::from(ru);
        loop {
            let now = Instant::now();
            let wait = {
                let mut minute = self.minute.lock().unwrap_or_else(|e| e.into_inner());
                let mut day = self.day.lock().unwrap_or_else(|e| e.into_inner());
                // Take from both or from neither.
                match minute.take_n(now, n) {
                    Ok(()) => match day.take_n(now, n) {
                        Ok(()) => Ok(()),
                        Err(d) => {
                            minute.tokens += n.min(minute.capacity);
                            Err(d)
                        }
                    },
                    Err(d) => Err(d),
                }
            };
            match wait {
                Ok(()) => break,
                Err(d) => tokio::time::sleep(d).await,
            }
        }
        self.spent
            .fetch_add(u64::from(ru), std::sync::atomic::Ordering::Relaxed);
        let mut waited = self.waited.lock().unwrap_or_else(|e| e.into_inner());
        *waited += start.elapsed();
    }

    /// Units spent so far.
    pub fn spent(&self) -> u64 {
        self.spent.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Time requests waited for units so far.
    pub fn waited(&self) -> Duration {
        *self.waited.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// One resource's budget: concurrency slots and a rate.
#[derive(Debug)]
pub struct ResourceLimiter {
    slots: Arc<Semaphore>,
    bucket: Mutex<Bucket>,
    waited: Mutex<Duration>,
    requests: std::sync::atomic::AtomicU64,
}

/// A slot held while a request is in flight.
#[derive(Debug)]
pub struct Slot {
    _permit: OwnedSemaphorePermit,
}

impl ResourceLimiter {
    /// A limiter with `limits`.
    pub fn new(limits: Limits) -> Self {
        Self::with_bucket(limits, Bucket::new(&limits, Instant::now()))
    }

    /// A limiter with `limits` whose budget starts empty: a new run cannot know what
    /// the service still counts from the one before, so it does not burst.
    pub fn cold(limits: Limits) -> Self {
        let mut bucket = Bucket::new(&limits, Instant::now());
        bucket.tokens = 0.0;
        Self::with_bucket(limits, bucket)
    }

    fn with_bucket(limits: Limits, bucket: Bucket) -> Self {
        ResourceLimiter {
            slots: Arc::new(Semaphore::new(limits.concurrency.max(1))),
            bucket: Mutex::new(bucket),
            waited: Mutex::new(Duration::ZERO),
            requests: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// Waits for a slot and a token of the rate budget.
    pub async fn acquire(&self) -> Slot {
        let start = Instant::now();
        // The semaphore is never closed.
        let permit = match Arc::clone(&self.slots).acquire_owned().await {
            Ok(p) => p,
            Err(_) => unreachable_closed(),
        };
        loop {
            let wait = {
                let mut bucket = self.bucket.lock().unwrap_or_else(|e| e.into_inner());
                bucket.take(Instant::now())
            };
            match wait {
                Ok(()) => break,
                Err(d) => tokio::time::sleep(d).await,
            }
        }
        let mut waited = self.waited.lock().unwrap_or_else(|e| e.into_inner());
        *waited += start.elapsed();
        self.requests
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Slot { _permit: permit }
    }

    /// Requests let through so far.
    pub fn requests(&self) -> u64 {
        self.requests.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Time spent waiting for slots and tokens so far.
    pub fn waited(&self) -> Duration {
        *self.waited.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn unreachable_closed() -> ! {
    // `ResourceLimiter` owns the semaphore and never closes it.
    panic!("resource limiter semaphore closed")
}

/// Limiters by resource (mailbox), created on first use and shared by every task
/// that touches the resource.
#[derive(Debug)]
pub struct Scheduler {
    limits: Limits,
    cold: bool,
    resources: Mutex<HashMap<String, Arc<ResourceLimiter>>>,
}

impl Scheduler {
    /// A scheduler giving each resource `limits`.
    pub fn new(limits: Limits) -> Self {
        Scheduler {
            limits,
            cold: false,
            resources: Mutex::new(HashMap::new()),
        }
    }

    /// A scheduler whose resources' budgets start empty (see [`ResourceLimiter::cold`]).
    pub fn cold(limits: Limits) -> Self {
        Scheduler {
            cold: true,
            ..Scheduler::new(limits)
        }
    }

    /// The limiter of `resource`.
    pub fn resource(&self, resource: &str) -> Arc<ResourceLimiter> {
        let mut map = self.resources.lock().unwrap_or_else(|e| e.into_inner());
        Arc::clone(map.entry(resource.to_ascii_lowercase()).or_insert_with(|| {
            Arc::new(if self.cold {
                ResourceLimiter::cold(self.limits)
            } else {
                ResourceLimiter::new(self.limits)
            })
        }))
    }

    /// The resource that sent the most requests, and how many.
    pub fn busiest(&self) -> Option<(String, u64)> {
        let map = self.resources.lock().unwrap_or_else(|e| e.into_inner());
        map.iter()
            .map(|(k, l)| (k.clone(), l.requests()))
            .max_by_key(|(_, n)| *n)
    }

    /// Total time requests waited for their resource's budget.
    pub fn waited(&self) -> Duration {
        let map = self.resources.lock().unwrap_or_else(|e| e.into_inner());
        map.values().map(|l| l.waited()).sum()
    }
}

/// Whether `url` is served by SharePoint (drives, sites, lists, and their
/// pre-authenticated download and upload URLs).
pub fn is_sharepoint(url: &str) -> bool {
    let path = url
        .split_once("://")
        .map(|(_, rest)| rest.find('/').map(|i| &rest[i..]).unwrap_or(""))
        .unwrap_or(url);
    let path = path
        .split('?')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    path.contains("/_layouts/")
        || path.contains("/_api/")
        || path
            .split('/')
            .any(|s| matches!(s, "drive" | "drives" | "sites"))
}

impl graph::Pacer for ResourceUnits {
    fn wait<'a>(
        &'a self,
        url: &'a str,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + 'a>> {
        Box::pin(async move {
            if is_sharepoint(url) {
                self.paused().await;
            }
        })
    }

    fn throttled(&self, url: &str, retry_after: Option<Duration>) {
        if !is_sharepoint(url) {
            return;
        }
        // Every request of the app waits, and the budget starts again from empty:
        // refused requests count against it too.
        let until = Instant::now() + retry_after.unwrap_or(Duration::from_secs(5));
        {
            let mut paused = self.paused_until.lock().unwrap_or_else(|e| e.into_inner());
            if paused.is_none_or(|p| p < until) {
                *paused = Some(until);
            }
        }
        let mut minute = self.minute.lock().unwrap_or_else(|e| e.into_inner());
        // Bring the bucket to now before emptying it.
        let _ = minute.take_n(Instant::now(), 0.0);
        minute.tokens = minute.tokens.min(0.0);
        tracing::info!(
            ?retry_after,
            "SharePoint throttled the app; every SharePoint request waits"
        );
    }

    fn remaining(&self, url: &str, remaining: u64, _reset: Duration) {
        if !is_sharepoint(url) {
            return;
        }
        let mut minute = self.minute.lock().unwrap_or_else(|e| e.into_inner());
        let _ = minute.take_n(Instant::now(), 0.0);
        minute.tokens = minute.tokens.min(remaining as f64 * RESOURCE_UNIT_SHARE);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_runs_dry_and_refills() {
        let limits = Limits {
            concurrency: 1,
            requests: 10,
            window: Duration::from_secs(10),
        };
        let t0 = Instant::now();
        let mut b = Bucket::new(&limits, t0);
        for _ in 0..10 {
            assert!(b.take(t0).is_ok());
        }
        let wait = b.take(t0).expect_err("empty");
        assert!(wait > Duration::from_millis(900) && wait <= Duration::from_secs(1));
        assert!(b.take(t0 + Duration::from_secs(1)).is_ok());
    }

    #[test]
    fn resource_unit_tiers_follow_licence_counts() {
        assert_eq!(resource_unit_tier(0), (1_250, 1_200_000));
        // Microsoft's bands: 0–1,000, 1,001–5,000, 5,001–15,000, 15,001–50,000, more.
        assert_eq!(resource_unit_tier(1_000), (1_250, 1_200_000));
        assert_eq!(resource_unit_tier(1_001), (2_500, 2_400_000));
        assert_eq!(resource_unit_tier(15_000), (3_750, 3_600_000));
        assert_eq!(resource_unit_tier(15_001), (5_000, 4_800_000));
        assert_eq!(resource_unit_tier(1_000_000), (6_250, 6_000_000));
    }

    #[tokio::test(start_paused = true)]
    async fn resource_units_are_spent_at_the_granted_rate() {
        // 600 per minute, 90% of it planned: 540 at once, then 9 a second.
        let ru = ResourceUnits::new(600, 1_000_000);
        let start = tokio::time::Instant::now();
        ru.spend(540).await;
        assert!(start.elapsed() < Duration::from_millis(1));
        for _ in 0..9 {
            ru.spend(2).await;
        }
        let waited = start.elapsed();
        assert!(
            waited >= Duration::from_millis(1_900) && waited <= Duration::from_millis(2_100),
            "18 units at 9 a second took {waited:?}"
        );
        assert_eq!(ru.spent(), 558);
    }

    #[test]
    fn sharepoint_urls_are_recognised() {
        assert!(is_sharepoint(
            "https://graph.microsoft.com/v1.0/drives/b!x/root/delta"
        ));
        assert!(is_sharepoint("/users/u/drive"));
        assert!(is_sharepoint("/sites/root/lists"));
        assert!(is_sharepoint(
            "https://contoso.sharepoint.com/_layouts/15/download.aspx?tempauth=x"
        ));
        assert!(!is_sharepoint("/users/u/mailFolders/inbox/messages"));
        assert!(!is_sharepoint(
            "https://graph.microsoft.com/v1.0/users?$filter=drive"
        ));
    }

    #[tokio::test(start_paused = true)]
    async fn a_refusal_pauses_every_sharepoint_request() {
        use graph::Pacer as _;
        let ru = ResourceUnits::new(600, 1_000_000);
        ru.throttled("/drives/d/items/i/content", Some(Duration::from_secs(7)));
        let start = tokio::time::Instant::now();
        ru.wait("/drives/d/root/delta").await;
        assert!(start.elapsed() >= Duration::from_secs(7));
        // Mail is not held back.
        ru.throttled("/users/u/messages", Some(Duration::from_secs(30)));
        let start = tokio::time::Instant::now();
        ru.wait("/users/u/messages").await;
        assert!(start.elapsed() < Duration::from_millis(1));
        // The budget restarts empty: after the pause, 100 units wait for their refill
        // (9 a second since the refusal).
        ru.throttled("/drives/d/items/i/content", Some(Duration::from_secs(7)));
        let start = tokio::time::Instant::now();
        ru.spend(100).await;
        let took = start.elapsed();
        assert!(
            took >= Duration::from_secs(11) && took < Duration::from_secs(12),
            "{took:?}"
        );
    }

    #[tokio::test]
    async fn at_most_concurrency_slots() {
        let l = Arc::new(ResourceLimiter::new(Limits {
            concurrency: 2,
            requests: 1000,
            window: Duration::from_secs(1),
        }));
        let a = l.acquire().await;
        let _b = l.acquire().await;
        let l2 = Arc::clone(&l);
        let third = tokio::spawn(async move { l2.acquire().await });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!third.is_finished(), "a third slot was handed out");
        drop(a);
        tokio::time::timeout(Duration::from_secs(2), third)
            .await
            .expect("slot freed")
            .expect("task");
    }
}
