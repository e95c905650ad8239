//! How failed requests are retried: throttling (429, 503) honours `Retry-After`;
//! other transient failures back off exponentially with jitter.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use rand::Rng;

/// Retry settings.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    /// First backoff when the service gave no `Retry-After`.
    pub base_delay: Duration,
    /// Longest backoff.
    pub max_delay: Duration,
    /// Longest `Retry-After` honoured; a longer one fails the request instead.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 8,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(60),
            max_retry_after: Duration::from_secs(300),
        }
    }
}

impl RetryPolicy {
    /// How long to wait before attempt `attempt + 1` (attempt counts from 1).
    pub fn delay(&self, attempt: u32, retry_after: Option<u64>) -> Option<Duration> {
        if attempt >= self.max_attempts {
            return None;
        }
        if let Some(secs) = retry_after {
            let d = Duration::from_secs(secs);
            return (d <= self.max_retry_after).then_some(d);
        }
        let exp = self
            .base_delay
            .saturating_mul(1 << attempt.saturating_sub(1).min(16));
        let capped = exp.min(self.max_delay);
        let jitter = rand::rng().random_range(0.5..1.0);
        Some(capped.mul_f64(jitter))
    }
}

/// Counters of what the client did, for reports and metrics.
#[derive(Debug, Default)]
pub struct Counters {
    requests: AtomicU64,
    throttled: AtomicU64,
    retries: AtomicU64,
    throttle_wait_ms: AtomicU64,
}

/// A snapshot of [`Counters`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct CounterSnapshot {
    /// Requests sent (retries included).
    pub requests: u64,
    /// Responses that were 429 or 503.
    pub throttled: u64,
    /// Requests sent again.
    pub retries: u64,
    /// Milliseconds spent waiting on `Retry-After` and backoff.
    pub throttle_wait_ms: u64,
}

impl Counters {
    pub(crate) fn request(&self) {
        self.requests.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn throttled(&self) {
        self.throttled.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn retry(&self, waited: Duration) {
        self.retries.fetch_add(1, Ordering::Relaxed);
        self.throttle_wait_ms.fetch_add(
            u64::try_from(waited.as_millis()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
    }

    /// The counts so far.
    pub fn snapshot(&self) -> CounterSnapshot {
        CounterSnapshot {
            requests: self.requests.load(Ordering::Relaxed),
            throttled: self.throttled.load(Ordering::Relaxed),
            retries: self.retries.load(Ordering::Relaxed),
            throttle_wait_ms: self.throttle_wait_ms.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_is_honoured_and_bounded() {
        let p = RetryPolicy::default();
        assert_eq!(p.delay(1, Some(3)), Some(Duration::from_secs(3)));
        assert_eq!(
            p.delay(1, Some(3600)),
            None,
            "a wait beyond the limit fails instead"
        );
        assert_eq!(p.delay(8, Some(1)), None, "attempts run out");
        let d = p.delay(3, None).expect("backoff");
        assert!(
            d >= Duration::from_millis(1000) && d <= Duration::from_millis(2000),
            "{d:?}"
        );
        assert!(p.delay(7, None).expect("backoff") <= Duration::from_secs(60));
    }
}
