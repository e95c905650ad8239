//! Microsoft 365 usage reports (`/reports/get…(period='D7')` and
//! `(date=YYYY-MM-DD)`), as Microsoft Graph serves them: a `302 Found` whose
//! `Location` is a short-lived pre-authenticated URL ([`download`]) that
//! serves the report as CSV ([`csv`]). Also the tenant's report settings
//! (`/admin/reportSettings`, [`settings`]: concealed names) and the ground
//! truth of the inventory (`/_sim/truth/inventory`, [`truth`]).
//!
//! Calls need `Reports.Read.All` (403 `S2SUnauthorized` otherwise, as the
//! reports service answers), and delegated callers an administrator role.
//! Each report takes 14 requests per 10 minutes per app and 40 per tenant
//! ([`crate::throttle::reports`]).

pub mod csv;
pub mod download;
mod parse;
pub mod settings;
pub mod truth;

use std::sync::atomic::{AtomicBool, Ordering};

use axum::Router;
use axum::extract::{Extension, Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use sha2::{Digest, Sha256};
use time::{Date, Duration, OffsetDateTime};

pub use parse::{ReportCall, Span};

use crate::failure::{GraphFailure, GraphResult};
use crate::graph::Principal;
use crate::state::AppState;
use crate::tenant::Tenant;
use crate::tenant::activity::REPORT_LAG_DAYS;

/// The usage reports the simulator serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReportKind {
    /// `getOffice365ActiveUserDetail`: licences and last activity per workload.
    ActiveUserDetail,
    /// `getEmailActivityUserDetail`: Exchange activity per user.
    EmailActivityUserDetail,
    /// `getOneDriveUsageAccountDetail`: OneDrive usage per account.
    OneDriveUsageAccountDetail,
    /// `getTeamsUserActivityUserDetail`: Teams activity per user.
    TeamsUserActivityUserDetail,
    /// `getMailboxUsageDetail`: mailbox sizes and quotas (period only).
    MailboxUsageDetail,
}

impl ReportKind {
    /// Every report.
    pub const ALL: [ReportKind; 5] = [
        ReportKind::ActiveUserDetail,
        ReportKind::EmailActivityUserDetail,
        ReportKind::OneDriveUsageAccountDetail,
        ReportKind::TeamsUserActivityUserDetail,
        ReportKind::MailboxUsageDetail,
    ];

    /// The function's name, such as `getOffice365ActiveUserDetail`.
    pub fn function(self) -> &'static str {
        match self {
            ReportKind::ActiveUserDetail => "getOffice365ActiveUserDetail",
            ReportKind::EmailActivityUserDetail => "getEmailActivityUserDetail",
            ReportKind::OneDriveUsageAccountDetail => "getOneDriveUsageAccountDetail",
            ReportKind::TeamsUserActivityUserDetail => "getTeamsUserActivityUserDetail",
            ReportKind::MailboxUsageDetail => "getMailboxUsageDetail",
        }
    }

    /// Whether it takes `(date=…)` as well as `(period='…')`.
    pub fn takes_date(self) -> bool {
        self != ReportKind::MailboxUsageDetail
    }

    /// The report whose function is `name` (any case).
    pub fn from_function(name: &str) -> Option<ReportKind> {
        Self::ALL
            .into_iter()
            .find(|k| k.function().eq_ignore_ascii_case(name))
    }
}

/// The reports' state: the tenant's report settings and the key that signs
/// download URLs (made at start-up).
pub struct Reports {
    key: [u8; 32],
    concealed: AtomicBool,
}

impl std::fmt::Debug for Reports {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reports")
            .field("concealed", &self.concealed())
            .finish_non_exhaustive()
    }
}

impl Reports {
    /// Settings with names concealed or not (`displayConcealedNames`).
    pub fn new(concealed: bool) -> Self {
        Reports {
            key: rand::random(),
            concealed: AtomicBool::new(concealed),
        }
    }

    /// Whether reports conceal user, group and site names.
    pub fn concealed(&self) -> bool {
        self.concealed.load(Ordering::SeqCst)
    }

    /// Sets `displayConcealedNames`.
    pub fn set_concealed(&self, concealed: bool) {
        self.concealed.store(concealed, Ordering::SeqCst);
    }
}

/// The report refresh date at `now`: the last day the reports have data for.
pub fn refresh_date(now: OffsetDateTime) -> Date {
    now.date() - Duration::days(REPORT_LAG_DAYS)
}

/// A value as reports show it when names are concealed: 32 upper-case
/// hexadecimal digits, the same for the same value in every report.
pub fn conceal(t: &Tenant, value: &str) -> String {
    let mut h = Sha256::new();
    h.update(t.id.to_string().as_bytes());
    h.update([0]);
    h.update(value.to_ascii_lowercase().as_bytes());
    h.finalize()[..16]
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect()
}

/// The Graph routes of reports and report settings (under `/v1.0`).
pub fn graph_routes() -> Router<AppState> {
    Router::new().route("/reports/{call}", get(report)).route(
        "/admin/reportSettings",
        get(settings::get_settings).patch(settings::patch_settings),
    )
}

/// For a path under `/reports/`, the template Microsoft's permission data
/// writes for the call (`/reports/getoffice365activeuserdetail(period={value})`),
/// or the 400 Graph answers for a segment it cannot resolve. `None` for other paths.
pub fn permission_template(path: &str) -> Option<Result<String, GraphFailure>> {
    let path = path.strip_prefix("/v1.0").unwrap_or(path);
    let segment = path.strip_prefix("/reports/")?;
    Some(parse::resolve(segment).map(|r| {
        format!(
            "/reports/{}({}={{value}})",
            r.kind.function().to_ascii_lowercase(),
            r.param.name()
        )
    }))
}

/// The reports service's 403 for a caller without `Reports.Read.All`.
pub fn denied() -> GraphFailure {
    GraphFailure::new(
        StatusCode::FORBIDDEN,
        "S2SUnauthorized",
        "Invalid scope claims/roles.",
    )
}

/// Delegated callers need an administrator role (Microsoft: "the tenant
/// administrator must have assigned the user the appropriate Microsoft Entra
/// limited administrator role").
pub fn check_role(state: &AppState, principal: &Principal) -> GraphResult<()> {
    if let Principal::User { user_id, .. } = principal {
        let t = state.tenant();
        let admin = t
            .user(user_id)
            .is_some_and(|(_, u)| !u.directory_roles.is_empty());
        if !admin {
            return Err(GraphFailure::new(
                StatusCode::FORBIDDEN,
                "S2SUnauthorized",
                "Invalid permission.",
            ));
        }
    }
    Ok(())
}

/// `GET /reports/{function}(period='…')` or `(date=…)`: `302 Found` to the
/// report's download URL.
async fn report(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(segment): Path<String>,
) -> GraphResult<Response> {
    check_role(&state, &principal)?;
    let resolved = parse::resolve(&segment)?;
    let call = resolved.validate(state.now().date())?;
    crate::throttle::reports::admit(&state, &principal, call.kind)?;
    let url = download::url(&state, principal.app_id(), &call);
    let mut response = StatusCode::FOUND.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    if let Ok(v) = HeaderValue::from_str(&url) {
        headers.insert(header::LOCATION, v);
    }
    Ok(response)
}
