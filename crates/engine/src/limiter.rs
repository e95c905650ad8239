//! The client side of Microsoft's throttling limits: before a request leaves, it
//! takes a slot of its resource (Outlook: 4 concurrent requests per app and
//! mailbox) and a token of the resource's rate budget (Outlook: 10,000 requests
//! per 10 minutes), so that m365vault stays under the limits instead of bouncing
//! off them. A 429 that still happens is honoured by the Graph client's retries.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

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
        let capacity = f64::from(limits.requests.max(1));
        Bucket {
            capacity,
            per_second: capacity / limits.window.as_secs_f64().max(0.001),
            tokens: capacity,
            last: now,
        }
    }

    /// Takes a token, or says how long until one is there.
    fn take(&mut self, now: Instant) -> Result<(), Duration> {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.per_second).min(self.capacity);
        self.last = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64(
                (1.0 - self.tokens) / self.per_second,
            ))
        }
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
        ResourceLimiter {
            slots: Arc::new(Semaphore::new(limits.concurrency.max(1))),
            bucket: Mutex::new(Bucket::new(&limits, Instant::now())),
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
    resources: Mutex<HashMap<String, Arc<ResourceLimiter>>>,
}

impl Scheduler {
    /// A scheduler giving each resource `limits`.
    pub fn new(limits: Limits) -> Self {
        Scheduler {
            limits,
            resources: Mutex::new(HashMap::new()),
        }
    }

    /// The limiter of `resource`.
    pub fn resource(&self, resource: &str) -> Arc<ResourceLimiter> {
        let mut map = self.resources.lock().unwrap_or_else(|e| e.into_inner());
        Arc::clone(
            map.entry(resource.to_ascii_lowercase())
                .or_insert_with(|| Arc::new(ResourceLimiter::new(self.limits))),
        )
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
