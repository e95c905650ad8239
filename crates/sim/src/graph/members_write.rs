//! Group membership writes, as restore uses them: `POST
//! /groups/{id}/members/$ref` and `/owners/$ref` with `{"@odata.id":
//! "https://graph.microsoft.com/v1.0/directoryObjects/{id}"}`, `DELETE
//! /groups/{id}/members/{id}/$ref` and `/owners/{id}/$ref`. Each change takes
//! the tenant's next change sequence number, so `/groups/delta` reports it.
//!
//! Distribution lists and mail-enabled security groups are managed in
//! Exchange Online, not through Graph: writes to them are refused as Graph
//! refuses them.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use model::wire::directory::GroupKind;
use serde_json::Value;

use crate::failure::{GraphFailure, GraphResult};
use crate::state::AppState;
use crate::tenant::{MemberRef, Tenant};

/// Which relationship a write changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Relation {
    Members,
    Owners,
}

impl Relation {
    fn name(self) -> &'static str {
        match self {
            Relation::Members => "members",
            Relation::Owners => "owners",
        }
    }
}

fn missing_object(id: &str) -> GraphFailure {
    GraphFailure::not_found(id)
}

/// The group `id`, refusing groups Graph cannot change.
fn writable_group(t: &Tenant, id: &str) -> GraphResult<usize> {
    let (index, g) = t.group(id).ok_or_else(|| GraphFailure::not_found(id))?;
    if matches!(
        g.kind,
        GroupKind::Distribution | GroupKind::MailEnabledSecurity
    ) {
        return Err(GraphFailure::bad_request(
            "Cannot Update a mail-enabled security groups and or distribution list.",
        ));
    }
    Ok(index)
}

/// The directory object a `$ref` body names.
fn referenced(body: &[u8]) -> GraphResult<String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(GraphFailure::bad_request(
            "An unexpected 'EndOfInput' node was found when reading from the JSON reader. A 'StartObject' node was expected.",
        ));
    }
    let v: Value = serde_json::from_slice(body)
        .map_err(|e| GraphFailure::bad_request(format!("Invalid JSON in the request body: {e}")))?;
    let url = v.get("@odata.id").and_then(Value::as_str).ok_or_else(|| {
        GraphFailure::bad_request("The request body has no '@odata.id' naming the object to add.")
    })?;
    let id = url
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .trim_matches(|c| c == '(' || c == ')' || c == '\'');
    if id.is_empty() || id.contains(':') {
        return Err(GraphFailure::bad_request(format!(
            "Invalid object identifier '{url}'."
        )));
    }
    Ok(id.to_owned())
}

/// A user or group by object id.
fn object(t: &Tenant, id: &str) -> GraphResult<MemberRef> {
    if let Some((i, _)) = t.user(id) {
        return Ok(MemberRef::User(i));
    }
    if let Some((i, _)) = t.group(id) {
        return Ok(MemberRef::Group(i));
    }
    Err(missing_object(id))
}

fn add(state: &AppState, group: &str, body: &[u8], relation: Relation) -> GraphResult<Response> {
    let object_id = referenced(body)?;
    let mut t = state.tenant_mut();
    let g = writable_group(&t, group)?;
    let member = object(&t, &object_id)?;
    let changed = match (relation, member) {
        (Relation::Owners, MemberRef::User(u)) => t.add_owner(g, u),
        (Relation::Owners, MemberRef::Group(_)) => {
            return Err(GraphFailure::bad_request(format!(
                "Invalid object identifier '{object_id}': owners of a group are users."
            )));
        }
        (Relation::Members, MemberRef::Group(m)) if m == g => {
            return Err(GraphFailure::bad_request(
                "A group cannot be added as a member of itself.",
            ));
        }
        (Relation::Members, MemberRef::Group(m)) if t.groups[g].kind == GroupKind::Microsoft365 => {
            let message = if t.groups[m].kind == GroupKind::Microsoft365 {
                "Unified Groups cannot be added to Unified Groups. paramName: Members, paramValue: , objectType: Microsoft.Online.DirectoryServices.Group"
            } else {
                "Only users can be members of a Microsoft 365 group. paramName: Members, paramValue: , objectType: Microsoft.Online.DirectoryServices.Group"
            };
            return Err(GraphFailure::bad_request(message));
        }
        (Relation::Members, m) => t.add_member(g, m),
    };
    if !changed {
        return Err(GraphFailure::bad_request(format!(
            "One or more added object references already exist for the following modified properties: '{}'.",
            relation.name()
        )));
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

fn remove(
    state: &AppState,
    group: &str,
    object_id: &str,
    relation: Relation,
) -> GraphResult<Response> {
    let mut t = state.tenant_mut();
    let g = writable_group(&t, group)?;
    let member = object(&t, object_id)?;
    let changed = match (relation, member) {
        (Relation::Owners, MemberRef::User(u)) => t.remove_owner(g, u),
        (Relation::Owners, MemberRef::Group(_)) => false,
        (Relation::Members, m) => t.remove_member(g, m),
    };
    if !changed {
        return Err(missing_object(object_id));
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `POST /groups/{id}/members/$ref`.
pub async fn add_member(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Bytes,
) -> GraphResult<Response> {
    add(&state, &id, &body, Relation::Members)
}

/// `DELETE /groups/{id}/members/{id}/$ref`.
pub async fn remove_member(
    State(state): State<AppState>,
    Path((id, member)): Path<(String, String)>,
) -> GraphResult<Response> {
    remove(&state, &id, &member, Relation::Members)
}

/// `POST /groups/{id}/owners/$ref`.
pub async fn add_owner(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Bytes,
) -> GraphResult<Response> {
    add(&state, &id, &body, Relation::Owners)
}

/// `DELETE /groups/{id}/owners/{id}/$ref`.
pub async fn remove_owner(
    State(state): State<AppState>,
    Path((id, owner)): Path<(String, String)>,
) -> GraphResult<Response> {
    remove(&state, &id, &owner, Relation::Owners)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_bodies() {
        let id = "0b4f1cf6-54c8-4820-bbb7-2a1f4257ade5";
        let body =
            format!(r#"{{"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/{id}"}}"#);
        assert_eq!(referenced(body.as_bytes()).expect("parses"), id);
        let body = format!(r#"{{"@odata.id": "https://graph.microsoft.com/v1.0/users/{id}"}}"#);
        assert_eq!(referenced(body.as_bytes()).expect("parses"), id);
        assert!(referenced(b"").is_err());
        assert!(referenced(b"{}").is_err());
        assert!(referenced(br#"{"@odata.id": ""}"#).is_err());
    }
}
