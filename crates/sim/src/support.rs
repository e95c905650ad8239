//! `/_sim/…`: what tests and benchmarks ask the simulator directly — request
//! statistics and the ground truth of the tenant.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::state::AppState;
use crate::tenant::MemberRef;

/// The support routes (mounted at `/_sim`).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/stats", get(stats))
        .route(
            "/faults",
            get(crate::faults::get_settings).post(crate::faults::set_settings),
        )
        .route("/truth/summary", get(summary))
        .route("/truth/items", get(crate::mailbox::truth::items))
        .route(
            "/mutate",
            axum::routing::post(crate::mailbox::mutate::handler),
        )
        .route("/files", axum::routing::post(crate::drive::truth::put_file))
        .route(
            "/sites/lock",
            axum::routing::post(crate::drive::truth::lock_site),
        )
        .route("/truth/inventory", get(crate::reports::truth::inventory))
        .route(
            "/reportSettings",
            get(crate::reports::settings::sim_settings)
                .post(crate::reports::settings::sim_settings),
        )
}

async fn stats(State(state): State<AppState>) -> Json<crate::stats::StatsSnapshot> {
    Json(state.stats.snapshot())
}

async fn summary(
    State(state): State<AppState>,
    axum::extract::Query(q): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> Json<Value> {
    let mut body = tenant_summary(&state);
    // Counting items generates every mailbox: only when asked.
    if q.get("mailboxes").is_some_and(|v| v == "true") {
        body["mailboxes"] = crate::mailbox::truth::counts(&state).await;
    }
    // Sites and OneDrives are listed without generating them, unless counts are asked for.
    let drives = q.get("drives").is_some_and(|v| v == "true");
    crate::drive::truth::summarize(&state, &mut body, drives).await;
    // Teams are listed without generating them, unless counts are asked for.
    let teams = q.get("teams").is_some_and(|v| v == "true");
    crate::teams::truth::summarize(&state, &mut body, teams).await;
    crate::chats::truth::summarize(&state, &mut body).await;
    Json(body)
}

fn tenant_summary(state: &AppState) -> Value {
    let t = state.tenant();
    let id_of = |m: &MemberRef| match m {
        MemberRef::User(i) => t.users[*i].id.to_string(),
        MemberRef::Group(i) => t.groups[*i].id.to_string(),
    };
    let users: Vec<Value> = t
        .users
        .iter()
        .enumerate()
        .filter(|(_, u)| u.deleted_seq.is_none())
        .map(|(i, u)| {
            json!({
                "id": u.id.to_string(),
                "userPrincipalName": u.user_principal_name,
                "mail": u.mail,
                "mailbox": t.has_mailbox(i).then(|| u.purpose.as_str()),
            })
        })
        .collect();
    let groups: Vec<Value> = t
        .groups
        .iter()
        .enumerate()
        .filter(|(_, g)| g.deleted_seq.is_none())
        .map(|(i, g)| {
            let transitive: Vec<String> = t
                .transitive_members(i)
                .iter()
                .filter(|m| matches!(m, MemberRef::User(_)))
                .map(&id_of)
                .collect();
            json!({
                "id": g.id.to_string(),
                "displayName": g.display_name,
                "kind": g.kind,
                "mail": g.mail_enabled().then(|| format!("{}@{}", g.mail_nickname, t.domain)),
                "members": g.members.iter().map(&id_of).collect::<Vec<_>>(),
                "owners": g.owners.iter().map(|i| t.users[*i].id.to_string()).collect::<Vec<_>>(),
                "transitiveUserMembers": transitive,
            })
        })
        .collect();
    let apps: Vec<Value> = t
        .apps
        .iter()
        .map(|a| {
            let roles = t.sp_by_app_id(&a.app_id.to_string()).map(|sp| t.granted_roles(sp.id)).unwrap_or_default();
            json!({"name": a.name, "client_id": a.app_id.to_string(), "display_name": a.display_name, "granted": roles})
        })
        .collect();
    json!({
        "tenant": {"id": t.id.to_string(), "domain": t.domain, "displayName": t.display_name},
        "users": users,
        "groups": groups,
        "apps": apps,
    })
}
