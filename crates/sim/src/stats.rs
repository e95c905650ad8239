//! Request counters behind `GET /_sim/stats`.

use std::collections::BTreeMap;
use std::sync::Mutex;

use serde::Serialize;

/// What `GET /_sim/stats` returns.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct StatsSnapshot {
    /// Requests served (identity platform and Graph, `/_sim` excluded).
    pub requests_total: u64,
    /// Requests answered 429.
    pub throttled_total: u64,
    /// Requests by HTTP status.
    pub by_status: BTreeMap<String, u64>,
    /// Requests by method and route, such as `GET /v1.0/users/{id}`.
    pub by_endpoint: BTreeMap<String, u64>,
    /// Faults injected (`/_sim/faults`), in all…
    pub faults_total: u64,
    /// …and by kind: `server_error`, `server_error_after`, `reset`, `slow`,
    /// `expired_delta`.
    pub faults: BTreeMap<String, u64>,
    /// Resource units charged to SharePoint and OneDrive budgets (drives,
    /// sites, shares, download and upload URLs), refused requests included,
    /// as Microsoft counts them; counted with throttling off too.
    pub sharepoint_ru: u64,
    /// SharePoint and OneDrive requests refused (429 or 503).
    pub sharepoint_throttled: u64,
    /// Teams requests refused (429), by Teams' limits or the global one.
    pub teams_throttled: u64,
    /// Usage report requests refused (429), by the reports' limits or the global one.
    pub reports_throttled: u64,
}

/// The counters.
#[derive(Debug, Default)]
pub struct Stats {
    inner: Mutex<StatsSnapshot>,
}

impl Stats {
    /// Counts one request.
    pub fn record(&self, endpoint: String, status: u16) {
        let mut s = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        s.requests_total += 1;
        if status == 429 {
            s.throttled_total += 1;
        }
        *s.by_status.entry(status.to_string()).or_default() += 1;
        *s.by_endpoint.entry(endpoint).or_default() += 1;
    }

    /// Counts one injected fault of `kind`.
    pub fn fault(&self, kind: &str) {
        let mut s = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        s.faults_total += 1;
        *s.faults.entry(kind.to_owned()).or_default() += 1;
    }

    /// Counts a SharePoint or OneDrive request of `ru` resource units, refused or not.
    pub fn sharepoint(&self, ru: u64, refused: bool) {
        let mut s = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        s.sharepoint_ru += ru;
        if refused {
            s.sharepoint_throttled += 1;
        }
    }

    /// Counts a Teams request that was refused (nothing when it was not).
    pub fn teams(&self, refused: bool) {
        if refused {
            let mut s = self.inner.lock().unwrap_or_else(|e| e.into_inner());
            s.teams_throttled += 1;
        }
    }

    /// Counts a usage report request that was refused (nothing when it was not).
    pub fn reports(&self, refused: bool) {
        if refused {
            let mut s = self.inner.lock().unwrap_or_else(|e| e.into_inner());
            s.reports_throttled += 1;
        }
    }

    /// The counters now.
    pub fn snapshot(&self) -> StatsSnapshot {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}
