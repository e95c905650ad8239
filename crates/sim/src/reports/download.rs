//! The pre-authenticated download URLs of reports, where Microsoft has
//! `https://reports.office.com/data/download/{token}`: `{base}/data/download/{token}`.
//!
//! The token (`header.payload.signature`, base64url, signed with a key made at
//! start-up) names the app, the report, its period or date, whether names are
//! concealed (the setting when the report was asked for) and when it was
//! asked for and expires. The URL needs no `Authorization` header and serves
//! `application/octet-stream`: the CSV, UTF-8 with a byte order mark. After
//! `SimConfig.report_url_ttl_secs` (300: "a few minutes", Microsoft says) it
//! answers 401.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

use super::{ReportCall, ReportKind, Span, csv, refresh_date};
use crate::drive::download::{sign, verify};
use crate::failure::GraphFailure;
use crate::state::{AppState, SimState};

/// The path of download URLs, before the token.
pub const PREFIX: &str = "/data/download/";

/// What a download token grants.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Grant {
    /// The app the URL was issued to.
    appid: String,
    /// The report's function name.
    rpt: String,
    /// The period in days, or…
    #[serde(default, skip_serializing_if = "Option::is_none")]
    per: Option<u32>,
    /// …the day (`YYYY-MM-DD`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    day: Option<String>,
    /// Names concealed.
    cn: bool,
    /// Issued (Unix seconds).
    iat: i64,
    /// Expiry (Unix seconds).
    exp: i64,
}

/// A download URL for `call`, issued to `app_id` now.
pub fn url(state: &SimState, app_id: &str, call: &ReportCall) -> String {
    let now = state.now().unix_timestamp();
    let (per, day) = match call.span {
        Span::Period(n) => (Some(n), None),
        Span::Date(d) => (None, Some(d.to_string())),
    };
    let grant = Grant {
        appid: app_id.to_owned(),
        rpt: call.kind.function().to_owned(),
        per,
        day,
        cn: state.reports.concealed(),
        iat: now,
        exp: now + i64::try_from(state.config.report_url_ttl_secs).unwrap_or(i64::MAX / 2),
    };
    format!(
        "{}{PREFIX}{}",
        state.base_url(),
        sign(&state.reports.key, &grant)
    )
}

/// The download route (mounted at the root, outside `/v1.0`).
pub fn routes() -> Router<AppState> {
    Router::new().route("/data/download/{token}", get(download))
}

/// The answer to a link that has expired or is not one (best guess: the
/// service's answer is not documented).
fn refused(message: &str) -> Response {
    GraphFailure::new(
        StatusCode::UNAUTHORIZED,
        "InvalidAuthenticationToken",
        message,
    )
    .into_response()
}

fn call_of(grant: &Grant) -> Option<ReportCall> {
    let kind = ReportKind::from_function(&grant.rpt)?;
    let span = match (grant.per, &grant.day) {
        (Some(n), None) => Span::Period(n),
        (None, Some(d)) => {
            let format = time::macros::format_description!("[year]-[month]-[day]");
            Span::Date(Date::parse(d, &format).ok()?)
        }
        _ => return None,
    };
    Some(ReportCall { kind, span })
}

async fn download(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    let Some(grant) = verify::<Grant>(&state.reports.key, &token) else {
        return refused("The download link is not valid.");
    };
    if state.now().unix_timestamp() >= grant.exp {
        return refused("The download link has expired.");
    }
    let Some(call) = call_of(&grant) else {
        return refused("The download link is not valid.");
    };
    let asked = OffsetDateTime::from_unix_timestamp(grant.iat).unwrap_or_else(|_| state.now());
    let text = {
        let t = state.tenant();
        csv::render(&t, call, refresh_date(asked), grant.cn)
    };
    let mut body = String::with_capacity(text.len() + 3);
    body.push_str(csv::BOM);
    body.push_str(&text);
    let mut response = (StatusCode::OK, body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    response
}
