//! Microsoft 365 usage reports' limits, as Graph's throttling page documents
//! them for CSV reports: 14 requests per 10 minutes per app per tenant and 40
//! per 10 minutes per tenant for all apps, each report API on its own (a call
//! to the Teams report and one to the email report use one request of each
//! report's budget). Limits are token buckets refilling over the window; a
//! refused request takes nothing and gets 429 `TooManyRequests` with
//! `Retry-After`. The pre-authenticated download URLs are not counted.

use std::collections::HashMap;
use std::sync::Mutex;

use time::OffsetDateTime;

use super::{Bucket, Decision, Throttle};
use crate::failure::GraphFailure;
use crate::graph::Principal;
use crate::reports::ReportKind;
use crate::state::SimState;

/// The reports' limits (Microsoft's figures by default; tests may set others).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportLimits {
    /// Requests per report per app in a window (14).
    pub per_app: u32,
    /// Requests per report for all apps in a window (40).
    pub per_tenant: u32,
    /// The window, in seconds (600).
    pub window_secs: u32,
}

impl Default for ReportLimits {
    fn default() -> Self {
        ReportLimits {
            per_app: 14,
            per_tenant: 40,
            window_secs: 600,
        }
    }
}

/// The reports' budgets: by (app, report) and by report for the tenant
/// (app `""`).
#[derive(Debug, Default)]
pub struct ReportBudgets {
    inner: Mutex<HashMap<(String, ReportKind), Bucket>>,
}

impl Throttle {
    /// Admits a call of `app_id` to `report`, or answers the seconds to wait.
    pub fn reports(
        &self,
        now: OffsetDateTime,
        limits: &ReportLimits,
        app_id: &str,
        report: ReportKind,
    ) -> Result<(), u64> {
        if !self.enabled() {
            return Ok(());
        }
        let window = f64::from(limits.window_secs.max(1));
        let keys = [
            (app_id.to_ascii_lowercase(), limits.per_app),
            (String::new(), limits.per_tenant),
        ];
        let mut budgets = self.reports.inner.lock().unwrap_or_else(|e| e.into_inner());
        let mut wait = 0;
        for (app, limit) in &keys {
            let b = budgets
                .entry((app.clone(), report))
                .or_insert_with(|| Bucket::new(f64::from((*limit).max(1)), window));
            if let Err(w) = b.available(now, 1.0) {
                wait = wait.max(w);
            }
        }
        if wait > 0 {
            return Err(wait);
        }
        for (app, _) in keys {
            if let Some(b) = budgets.get_mut(&(app, report)) {
                b.take(1.0);
            }
        }
        Ok(())
    }
}

/// Applies the global limit and the reports' limits to a call of `principal`;
/// the error is the 429 to answer. Counts refusals (`reports_throttled`).
pub fn admit(
    state: &SimState,
    principal: &Principal,
    report: ReportKind,
) -> Result<(), GraphFailure> {
    let now = state.now();
    let app_id = principal.app_id();
    let tenant_id = state.tenant().id.to_string();
    if let Decision::Throttled {
        retry_after,
        scope,
        information,
    } = state.throttle.global(now, app_id, &tenant_id)
    {
        state.stats.reports(true);
        return Err(super::outlook::global_refusal(
            retry_after,
            scope,
            information,
        ));
    }
    let decision = state
        .throttle
        .reports(now, &state.config.report_limits, app_id, report);
    state.stats.reports(decision.is_err());
    decision.map_err(super::outlook::too_many_requests)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ThrottleMode;

    #[test]
    fn fourteen_per_ten_minutes_per_app_and_report() {
        let t = Throttle::new(ThrottleMode::On, 10, None);
        let l = ReportLimits::default();
        let now = OffsetDateTime::now_utc();
        let teams = ReportKind::TeamsUserActivityUserDetail;
        for _ in 0..14 {
            assert_eq!(t.reports(now, &l, "a", teams), Ok(()));
        }
        // One request comes back every 600 / 14 s.
        assert_eq!(t.reports(now, &l, "a", teams), Err(43));
        // Another report, or another app, has its own budget…
        assert_eq!(
            t.reports(now, &l, "a", ReportKind::MailboxUsageDetail),
            Ok(())
        );
        for _ in 0..14 {
            assert_eq!(t.reports(now, &l, "b", teams), Ok(()));
        }
        // …up to the tenant's 40 for all apps.
        for _ in 0..12 {
            assert_eq!(t.reports(now, &l, "c", teams), Ok(()));
        }
        assert!(t.reports(now, &l, "d", teams).is_err());
        let later = now + time::Duration::seconds(600);
        assert_eq!(t.reports(later, &l, "a", teams), Ok(()));
        let off = Throttle::new(ThrottleMode::Off, 10, None);
        assert!((0..100).all(|_| off.reports(now, &l, "a", teams).is_ok()));
    }
}
