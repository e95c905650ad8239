//! `GET /_sim/truth/inventory`: what an inventory of the tenant must find, for
//! exact comparison with what a client computes from `/subscribedSkus`,
//! `/users` and the usage reports.
//!
//! ```json
//! {"tenantId", "reportRefreshDate": "YYYY-MM-DD", "displayConcealedNames": true,
//!  "skus": [{"skuId", "skuPartNumber", "appliesTo", "capabilityStatus", "enabled", "suspended",
//!            "warning", "lockedOut", "consumed", "subscriptions": [{"id", "status", "totalLicenses"}]}],
//!  "users": [{"id", "userPrincipalName", "displayName", "concealedUserPrincipalName",
//!             "concealedDisplayName", "accountEnabled", "mailbox", "usage", "licenses": [skuId],
//!             "disabledPlans": [{"skuId", "servicePlanId"}],
//!             "licensedFor": {"exchange": "YYYY-MM-DD" | null, …},
//!             "lastActivity": {"exchange": "YYYY-MM-DD" | null, "onedrive", "sharepoint",
//!                              "skypeForBusiness", "yammer", "teams"}}]}
//! ```
//!
//! `lastActivity` is as of the report refresh date (what the period form of the
//! reports shows), or as of `?date=YYYY-MM-DD`.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use time::Date;

use super::{conceal, refresh_date};
use crate::state::AppState;
use crate::tenant::Workload;

/// The handler.
pub async fn inventory(
    State(state): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let refresh = refresh_date(state.now());
    let as_of = match q.get("date") {
        None => refresh,
        Some(d) => {
            let format = time::macros::format_description!("[year]-[month]-[day]");
            match Date::parse(d, &format) {
                Ok(d) => d,
                Err(_) => {
                    return (
                        StatusCode::BAD_REQUEST,
                        Json(json!({"error": "date must be YYYY-MM-DD"})),
                    )
                        .into_response();
                }
            }
        }
    };
    let t = state.tenant();
    let skus: Vec<Value> = t
        .skus
        .iter()
        .map(|s| {
            let subscriptions: Vec<Value> = crate::tenant::subscriptions(&t, s)
                .iter()
                .map(|c| {
                    json!({"id": c.id.to_string(), "status": s.capability_status, "totalLicenses": c.total})
                })
                .collect();
            json!({
                "skuId": s.sku_id.to_string(),
                "skuPartNumber": s.part_number,
                "appliesTo": s.applies_to,
                "capabilityStatus": s.capability_status,
                "enabled": s.enabled,
                "suspended": s.suspended,
                "warning": s.warning,
                "lockedOut": s.locked_out,
                "consumed": t.consumed_units(s.sku_id),
                "subscriptions": subscriptions,
            })
        })
        .collect();
    let users: Vec<Value> = t
        .users
        .iter()
        .enumerate()
        .filter(|(_, u)| u.deleted_seq.is_none())
        .map(|(i, u)| {
            let mut licensed = Map::new();
            let mut last = Map::new();
            for w in Workload::ALL {
                let l = t.licensed_for(i, w).map(|d| d.date().to_string());
                licensed.insert(w.key().to_owned(), json!(l));
                let a = u.activity.last_as_of(w, as_of).map(|d| d.to_string());
                last.insert(w.key().to_owned(), json!(a));
            }
            json!({
                "id": u.id.to_string(),
                "userPrincipalName": u.user_principal_name,
                "displayName": u.display_name,
                "concealedUserPrincipalName": conceal(&t, &u.user_principal_name),
                "concealedDisplayName": conceal(&t, &u.display_name),
                "accountEnabled": u.account_enabled,
                "mailbox": t.has_mailbox(i).then(|| u.purpose.as_str()),
                "usage": u.activity.usage.as_str(),
                "licenses": u.licenses.iter().map(ToString::to_string).collect::<Vec<_>>(),
                "disabledPlans": u.disabled_plans.iter().map(|(s, p)| json!({"skuId": s.to_string(), "servicePlanId": p.to_string()})).collect::<Vec<_>>(),
                "licensedFor": licensed,
                "lastActivity": last,
            })
        })
        .collect();
    Json(json!({
        "tenantId": t.id.to_string(),
        "reportRefreshDate": refresh.to_string(),
        "displayConcealedNames": state.reports.concealed(),
        "skus": skus,
        "users": users,
    }))
    .into_response()
}
