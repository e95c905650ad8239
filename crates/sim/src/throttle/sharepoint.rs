//! SharePoint and OneDrive throttling: resource units (RU) per app and tenant
//! per minute and per 24 hours, sized by the tenant's licence count, and
//! requests per user per 5 minutes, as Microsoft's "Avoid getting throttled or
//! blocked in SharePoint Online" documents them.
//!
//! Which requests count: Graph paths under `/drives`, `/sites`, `/shares`,
//! `/users/{id}/drive(s)`, `/me/drive(s)`, `/groups/{id}/drive(s)` and
//! `/groups/{id}/sites` ([`target`]), plus the pre-authenticated download and
//! upload URLs ([`charge_anonymous`]). What they cost: Microsoft's table
//! ([`cost`]): 1 RU for a single item, a delta with a token or a download; 2 RU
//! for a multi-item query, a delta without a token, a create, update, delete or
//! upload; 5 RU for any permission operation, `$expand=permissions` included.
//!
//! Answers: app-only callers get `RateLimit-Limit`, `RateLimit-Remaining` and
//! `RateLimit-Reset` once 80 % of the minute's budget is in use; a refused
//! request gets 429 `activityLimitReached` "The request has been throttled"
//! with `Retry-After`, or, every tenth refusal, 503 `serviceNotAvailable`
//! "Service unavailable" with `Retry-After` (Microsoft answers either). A
//! refused request is charged all the same: Microsoft counts throttled requests
//! towards the limits, so a client that ignores `Retry-After` stays throttled
//! longer; `Retry-After` is the wait after that charge.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::http::{HeaderMap, HeaderValue, StatusCode};
use time::OffsetDateTime;

use super::{Bucket, Decision, Throttle};
use crate::failure::GraphFailure;
use crate::graph::Principal;
use crate::state::SimState;
use crate::tenant::Tenant;

/// SharePoint's and OneDrive's limits (Microsoft's figures by default; tests
/// and benchmarks set small ones).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SharePointLimits {
    /// Resource units per app and tenant per minute; `None` sizes them from
    /// the tenant's licence count (1,250 to 6,250, see [`tier`]).
    pub ru_per_minute: Option<u32>,
    /// Resource units per app and tenant per 24 hours; `None` sizes them from
    /// the licence count (1.2 to 6 million).
    pub ru_per_day: Option<u64>,
    /// Requests per user per 5 minutes, all apps together, for delegated
    /// callers (Microsoft: 3,000). App-only calls have no user.
    pub user_requests_per_5min: u32,
    /// Share of the minute's budget in use from which app-only callers get
    /// the `RateLimit-*` headers (Microsoft: 0.8).
    pub headers_from: f64,
    /// Every this many refusals, one is 503 `serviceNotAvailable` rather than
    /// 429 (default 10; 0 answers 429 always).
    pub unavailable_every: u32,
}

impl Default for SharePointLimits {
    fn default() -> Self {
        SharePointLimits {
            ru_per_minute: None,
            ru_per_day: None,
            user_requests_per_5min: 3_000,
            headers_from: 0.8,
            unavailable_every: 10,
        }
    }
}

/// The limits in force for one tenant, licence-based figures resolved.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SharePointBudget {
    /// Resource units per app per minute.
    pub ru_per_minute: u32,
    /// Resource units per app per 24 hours.
    pub ru_per_day: u64,
    /// Requests per user per 5 minutes.
    pub user_requests_per_5min: u32,
    /// Share of the minute's budget in use from which `RateLimit-*` headers are sent.
    pub headers_from: f64,
    /// Every this many refusals, one is 503 (0: never).
    pub unavailable_every: u32,
}

impl SharePointLimits {
    /// The budget of a tenant with `licences` licences.
    pub fn for_licences(&self, licences: u64) -> SharePointBudget {
        let (minute, day) = tier(licences);
        SharePointBudget {
            ru_per_minute: self.ru_per_minute.unwrap_or(minute),
            ru_per_day: self.ru_per_day.unwrap_or(day),
            user_requests_per_5min: self.user_requests_per_5min,
            headers_from: self.headers_from,
            unavailable_every: self.unavailable_every,
        }
    }
}

/// Resource units per app per minute and per 24 hours for a tenant with
/// `licences` licences (Microsoft's table: 0–1k, 1k–5k, 5k–15k, 15k–50k, 50k+;
/// each bound belongs to the lower tier).
pub fn tier(licences: u64) -> (u32, u64) {
    match licences {
        0..=1_000 => (1_250, 1_200_000),
        1_001..=5_000 => (2_500, 2_400_000),
        5_001..=15_000 => (3_750, 3_600_000),
        15_001..=50_000 => (5_000, 4_800_000),
        _ => (6_250, 6_000_000),
    }
}

/// The tenant's licence count: the enabled units of its subscriptions
/// (`prepaidUnits.enabled` summed over `/subscribedSkus`).
pub fn licence_count(tenant: &Tenant) -> u64 {
    tenant
        .skus
        .iter()
        .map(|s| u64::try_from(s.enabled).unwrap_or(0))
        .sum()
}

/// The budget in force in `state`'s tenant.
pub fn budget(state: &SimState) -> SharePointBudget {
    let licences = licence_count(&state.tenant());
    state.config.sharepoint_limits.for_licences(licences)
}

/// The SharePoint or OneDrive resource a request targets, as written in its path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SharePointRef<'a> {
    /// `/drives` or `/drives/{id}/…`
    Drives(Option<&'a str>),
    /// `/users/{id or userPrincipalName}/drive…` or `/drives…`
    UserDrive(&'a str),
    /// `/me/drive…` or `/me/drives…`
    MeDrive,
    /// `/groups/{id}/drive…` or `/drives…`
    GroupDrive(&'a str),
    /// `/groups/{id}/sites…`
    GroupSites(&'a str),
    /// `/sites` or `/sites/{id}/…`
    Sites(Option<&'a str>),
    /// `/shares/{id}/…`
    Shares(Option<&'a str>),
}

/// The name of a path segment without call arguments, key or path addressing:
/// `delta(token='x')` → `delta`, `root:` → `root`.
fn bare(segment: &str) -> &str {
    segment.split(['(', ':']).next().unwrap_or_default()
}

fn is_drive(segment: &str) -> bool {
    let s = bare(segment);
    s.eq_ignore_ascii_case("drive") || s.eq_ignore_ascii_case("drives")
}

/// The SharePoint or OneDrive resource a request targets, from the shape of
/// its path (`/v1.0` optional): `/drives/{id}/…`, `/users/{id}/drive/…`,
/// `/groups/{id}/sites/…`, `/sites/…`, `/shares/…`. `None` for anything else.
pub fn target(path: &str) -> Option<SharePointRef<'_>> {
    let path = path.split('?').next().unwrap_or_default();
    let rest = path.strip_prefix("/v1.0").unwrap_or(path);
    let mut segments = rest.trim_start_matches('/').split('/');
    let first = bare(segments.next()?);
    let mut next_id = || segments.next().filter(|s| !s.is_empty());
    if first.eq_ignore_ascii_case("drives") {
        return Some(SharePointRef::Drives(next_id()));
    }
    if first.eq_ignore_ascii_case("sites") {
        return Some(SharePointRef::Sites(next_id()));
    }
    if first.eq_ignore_ascii_case("shares") {
        return Some(SharePointRef::Shares(next_id()));
    }
    if first.eq_ignore_ascii_case("me") {
        return next_id()
            .filter(|s| is_drive(s))
            .map(|_| SharePointRef::MeDrive);
    }
    let id = next_id()?;
    let segment = next_id()?;
    if first.eq_ignore_ascii_case("users") && is_drive(segment) {
        Some(SharePointRef::UserDrive(id))
    } else if first.eq_ignore_ascii_case("groups") && is_drive(segment) {
        Some(SharePointRef::GroupDrive(id))
    } else if first.eq_ignore_ascii_case("groups") && bare(segment).eq_ignore_ascii_case("sites") {
        Some(SharePointRef::GroupSites(id))
    } else {
        None
    }
}

/// Segments that make a request a permission operation (5 RU).
const PERMISSION_SEGMENTS: &[&str] = &[
    "permissions",
    "permission",
    "invite",
    "createlink",
    "grant",
    "revokegrants",
];

/// Last segments of multi-item queries (2 RU): collections and searches.
const COLLECTION_SEGMENTS: &[&str] = &[
    "children",
    "items",
    "lists",
    "drives",
    "sites",
    "versions",
    "columns",
    "contenttypes",
    "search",
    "getallsites",
    "recent",
    "sharedwithme",
    "following",
    "activities",
    "getactivitiesbyinterval",
    "thumbnails",
    "pages",
    "operations",
    "bundles",
    "special",
    "subscriptions",
];

fn decode_punctuation(path: &str) -> String {
    path.replace("%27", "'")
        .replace("%28", "(")
        .replace("%29", ")")
        .replace("%3A", ":")
        .replace("%3a", ":")
        .replace("%3D", "=")
        .replace("%3d", "=")
}

/// The path's segment names, lower-case, without `/v1.0`, call arguments or
/// the `microsoft.graph.` prefix; path-addressed item paths (`root:/a/b:`)
/// become one `{path}` segment, so a file named `permissions` is not taken
/// for the permissions collection.
fn segment_names(path: &str) -> Vec<String> {
    let path = decode_punctuation(path.split('?').next().unwrap_or_default());
    let path = path.strip_prefix("/v1.0").unwrap_or(&path);
    let mut out = Vec::new();
    for (i, part) in path.split(':').enumerate() {
        if i % 2 == 1 {
            out.push("{path}".to_owned());
            continue;
        }
        for segment in part.split('/').filter(|s| !s.is_empty()) {
            let name = segment.split('(').next().unwrap_or_default();
            let name = name.to_ascii_lowercase();
            let name = name
                .strip_prefix("microsoft.graph.")
                .map(str::to_owned)
                .unwrap_or(name);
            out.push(name);
        }
    }
    out
}

/// Whether a delta request carries a state token: `token=` (other than
/// `latest`), `$deltatoken` or `$skiptoken` in the query, or
/// `delta(token='…')` in the path.
fn has_delta_token(path: &str, pairs: &[(String, String)]) -> bool {
    let is_token = |v: &str| {
        let v = v.trim().trim_matches('\'');
        !v.is_empty() && !v.eq_ignore_ascii_case("latest")
    };
    let in_query = pairs.iter().any(|(k, v)| {
        (k.eq_ignore_ascii_case("token")
            || k.eq_ignore_ascii_case("$deltatoken")
            || k.eq_ignore_ascii_case("$skiptoken"))
            && is_token(v)
    });
    let decoded = decode_punctuation(path.split('?').next().unwrap_or_default());
    let in_path = decoded.rsplit('/').next().is_some_and(|last| {
        let Some((name, args)) = last.split_once('(') else {
            return false;
        };
        let name = name.to_ascii_lowercase();
        (name == "delta" || name == "microsoft.graph.delta")
            && args.trim_end_matches(')').split(',').any(|arg| {
                arg.split_once('=')
                    .is_some_and(|(k, v)| k.trim().eq_ignore_ascii_case("token") && is_token(v))
            })
    });
    in_query || in_path
}

/// The resource units a SharePoint or OneDrive request costs, from Microsoft's
/// table: 5 for permission operations (a `permissions` or `permission`
/// segment, `invite`, `createLink`, `grant`, `revokeGrants`, or
/// `$expand=permissions`); 2 for create, update, delete and upload (any method
/// but GET and HEAD), multi-item queries (collections such as `children`,
/// `items`, `lists`, `drives`, `sites`, `versions`, searches, `getAllSites`,
/// and `$expand=children`) and delta without a token; 1 for single items,
/// delta with a token and downloads (`/content`, `$value`). `query` is the
/// raw query string, without `?`.
pub fn cost(method: &str, path: &str, query: &str) -> u32 {
    let names = segment_names(path);
    let query = query.strip_prefix('?').unwrap_or(query);
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.to_ascii_lowercase()))
        .collect();
    let expands = |what: &str| {
        pairs
            .iter()
            .any(|(k, v)| k.eq_ignore_ascii_case("$expand") && v.contains(what))
    };
    if expands("permissions")
        || names
            .iter()
            .any(|n| PERMISSION_SEGMENTS.contains(&n.as_str()))
    {
        return 5;
    }
    if !(method.eq_ignore_ascii_case("GET") || method.eq_ignore_ascii_case("HEAD")) {
        return 2;
    }
    let last = names.last().map(String::as_str).unwrap_or_default();
    match last {
        "delta" => {
            if has_delta_token(path, &pairs) {
                1
            } else {
                2
            }
        }
        "content" | "$value" => 1,
        _ if COLLECTION_SEGMENTS.contains(&last) || expands("children") => 2,
        _ => 1,
    }
}

/// The `RateLimit-*` headers of an answer (IETF draft-03, as SharePoint
/// sends them): the minute's budget, what is left of it, and the seconds
/// until it is whole again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// `RateLimit-Limit`: resource units per minute.
    pub limit: u32,
    /// `RateLimit-Remaining`: resource units left.
    pub remaining: u64,
    /// `RateLimit-Reset`: seconds until the budget is whole again (on a
    /// refusal, the `Retry-After`).
    pub reset: u64,
}

impl RateLimit {
    /// Adds the three headers to `headers`.
    pub fn apply(&self, headers: &mut HeaderMap) {
        for (name, value) in [
            ("ratelimit-limit", u64::from(self.limit)),
            ("ratelimit-remaining", self.remaining),
            ("ratelimit-reset", self.reset),
        ] {
            if let Ok(v) = HeaderValue::from_str(&value.to_string()) {
                headers.insert(name, v);
            }
        }
    }
}

/// A SharePoint request let through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Admission {
    /// The `RateLimit-*` headers to send, once the minute's budget is nearly
    /// used (app-only callers only).
    pub rate_limit: Option<RateLimit>,
}

/// Which SharePoint limit refused a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SharePointLimit {
    /// Resource units per app per minute.
    AppMinute,
    /// Resource units per app per 24 hours.
    AppDay,
    /// Requests per user per 5 minutes.
    User,
}

/// A SharePoint request refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SharePointRefusal {
    /// The limit that was reached (the one with the longest wait).
    pub limit: SharePointLimit,
    /// Seconds to wait (`Retry-After`).
    pub retry_after: u64,
    /// Answer 503 `serviceNotAvailable` rather than 429.
    pub unavailable: bool,
    /// The minute budget's `RateLimit-*` headers (remaining 0, reset the wait).
    pub rate_limit: RateLimit,
}

#[derive(Debug)]
struct AppBudget {
    minute: Bucket,
    day: Bucket,
}

#[derive(Debug, Default)]
struct Budgets {
    apps: HashMap<String, AppBudget>,
    users: HashMap<String, Bucket>,
}

/// The SharePoint budgets of every app and user that called.
#[derive(Debug, Default)]
pub struct SharePointBudgets {
    inner: Mutex<Budgets>,
    refusals: AtomicU64,
}

/// Seconds of the user window (5 minutes).
const USER_WINDOW_SECS: f64 = 300.0;

impl Bucket {
    /// Takes `cost` even when it is not there, down to minus the capacity (a
    /// refused request still counts).
    fn overdraw(&mut self, cost: f64) {
        self.tokens = (self.tokens - cost).max(-self.capacity);
    }

    /// Seconds until `cost` is available (0 if it is now).
    fn wait_for(&self, cost: f64) -> u64 {
        if self.tokens >= cost {
            0
        } else {
            ((cost - self.tokens) / self.per_second).ceil().max(1.0) as u64
        }
    }

    fn remaining(&self) -> u64 {
        self.tokens.max(0.0).floor() as u64
    }

    fn until_whole(&self) -> u64 {
        ((self.capacity - self.tokens) / self.per_second)
            .ceil()
            .max(0.0) as u64
    }
}

impl Throttle {
    /// Charges a SharePoint request of `ru` resource units by `app_id` (and,
    /// for delegated calls, one request of `user`) against `budget`. A refused
    /// request is charged too (down to minus one budget), as Microsoft counts
    /// throttled requests; its `Retry-After` is the wait after that charge. A
    /// cost larger than a whole budget passes once that budget is whole.
    pub fn sharepoint(
        &self,
        now: OffsetDateTime,
        budget: &SharePointBudget,
        app_id: &str,
        user: Option<&str>,
        ru: u32,
    ) -> Result<Admission, SharePointRefusal> {
        if !self.enabled() {
            return Ok(Admission::default());
        }
        let mut guard = self
            .sharepoint
            .inner
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let Budgets { apps, users } = &mut *guard;
        let app = apps
            .entry(app_id.to_ascii_lowercase())
            .or_insert_with(|| AppBudget {
                minute: Bucket::new(f64::from(budget.ru_per_minute.max(1)), 60.0),
                day: Bucket::new(budget.ru_per_day.max(1) as f64, 86_400.0),
            });
        let mut user_bucket = user.map(|u| {
            users.entry(u.to_ascii_lowercase()).or_insert_with(|| {
                Bucket::new(
                    f64::from(budget.user_requests_per_5min.max(1)),
                    USER_WINDOW_SECS,
                )
            })
        });
        let ru = f64::from(ru);
        let minute_cost = ru.min(app.minute.capacity);
        let day_cost = ru.min(app.day.capacity);
        app.minute.refill(now);
        app.day.refill(now);
        if let Some(b) = user_bucket.as_deref_mut() {
            b.refill(now);
        }
        let fits = app.minute.tokens >= minute_cost
            && app.day.tokens >= day_cost
            && user_bucket.as_deref().is_none_or(|b| b.tokens >= 1.0);
        app.minute.overdraw(minute_cost);
        app.day.overdraw(day_cost);
        if let Some(b) = user_bucket.as_deref_mut() {
            b.overdraw(1.0);
        }
        let limit = budget.ru_per_minute;
        if fits {
            let near = app.minute.used() >= budget.headers_from - 1e-9;
            return Ok(Admission {
                rate_limit: near.then(|| RateLimit {
                    limit,
                    remaining: app.minute.remaining(),
                    reset: app.minute.until_whole(),
                }),
            });
        }
        // Refused: the wait is for every budget to hold the request again.
        let mut waits = vec![
            (SharePointLimit::AppMinute, app.minute.wait_for(minute_cost)),
            (SharePointLimit::AppDay, app.day.wait_for(day_cost)),
        ];
        if let Some(b) = user_bucket.as_deref() {
            waits.push((SharePointLimit::User, b.wait_for(1.0)));
        }
        let (which, retry_after) = waits
            .into_iter()
            .max_by_key(|(_, w)| *w)
            .unwrap_or((SharePointLimit::AppMinute, 1));
        let retry_after = retry_after.max(1);
        let n = self.sharepoint.refusals.fetch_add(1, Ordering::SeqCst) + 1;
        let every = u64::from(budget.unavailable_every);
        Err(SharePointRefusal {
            limit: which,
            retry_after,
            unavailable: every > 0 && n.is_multiple_of(every),
            rate_limit: RateLimit {
                limit,
                remaining: 0,
                reset: retry_after,
            },
        })
    }
}

/// The answer to a refused request: 429 `activityLimitReached` "The request
/// has been throttled" (the body Graph relays from SharePoint and OneDrive)
/// or 503 `serviceNotAvailable` "Service unavailable", both with
/// `Retry-After`; a 429 of the minute's budget to an app-only caller also
/// carries the `RateLimit-*` headers (limit, 0 remaining, reset = the wait).
pub fn refusal(refusal: &SharePointRefusal, app_only: bool) -> GraphFailure {
    let retry_after = refusal.retry_after.to_string();
    if refusal.unavailable {
        return GraphFailure::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "serviceNotAvailable",
            "Service unavailable",
        )
        .with_header("retry-after", retry_after);
    }
    let failure = GraphFailure::new(
        StatusCode::TOO_MANY_REQUESTS,
        "activityLimitReached",
        "The request has been throttled",
    )
    .with_header("retry-after", retry_after);
    if app_only && refusal.limit == SharePointLimit::AppMinute {
        let r = refusal.rate_limit;
        failure
            .with_header("ratelimit-limit", r.limit.to_string())
            .with_header("ratelimit-remaining", r.remaining.to_string())
            .with_header("ratelimit-reset", r.reset.to_string())
    } else {
        failure
    }
}

/// Applies the global limit (130,000 requests per 10 seconds per app) and
/// SharePoint's to a Graph request of `principal` (`query` without `?`): the
/// admission, whose `RateLimit-*` headers go on the answer, or the refusal to
/// answer. Counts the resource units and refusals in the stats.
pub fn admit(
    state: &SimState,
    principal: &Principal,
    method: &str,
    path: &str,
    query: &str,
) -> Result<Admission, GraphFailure> {
    let now = state.now();
    let app_id = principal.app_id();
    let tenant_id = state.tenant().id.to_string();
    if let Decision::Throttled {
        retry_after,
        scope,
        information,
    } = state.throttle.global(now, app_id, &tenant_id)
    {
        return Err(super::outlook::global_refusal(
            retry_after,
            scope,
            information,
        ));
    }
    let ru = cost(method, path, query);
    let (user, app_only) = match principal {
        Principal::User { user_id, .. } => (Some(user_id.as_str()), false),
        Principal::App { .. } => (None, true),
    };
    let budget = budget(state);
    let decision = state.throttle.sharepoint(now, &budget, app_id, user, ru);
    state.stats.sharepoint(u64::from(ru), decision.is_err());
    match decision {
        // SharePoint sends the RateLimit headers to app-only callers only.
        Ok(admission) if app_only => Ok(admission),
        Ok(_) => Ok(Admission::default()),
        Err(refused) => Err(refusal(&refused, app_only)),
    }
}

/// Charges `ru` resource units to `app_id`'s SharePoint budget for a request
/// that comes without a token: the pre-authenticated download URLs
/// (`@microsoft.graph.downloadUrl`, 1 RU) and upload-session URLs (2 RU per
/// `PUT`), which name the app they were issued to. Not subject to Graph's
/// global limit (they are not Graph requests). The error is the 429 or 503 to
/// answer.
pub fn charge_anonymous(state: &SimState, app_id: &str, ru: u32) -> Result<(), GraphFailure> {
    let budget = budget(state);
    let decision = state
        .throttle
        .sharepoint(state.now(), &budget, app_id, None, ru);
    state.stats.sharepoint(u64::from(ru), decision.is_err());
    decision.map(|_| ()).map_err(|r| refusal(&r, false))
}

#[cfg(test)]
mod tests;
