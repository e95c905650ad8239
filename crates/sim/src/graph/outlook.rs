//! What Outlook's routes (mail, calendars, contacts, mailbox settings) share:
//! the mailbox a path names, Outlook's error codes, `$select`, `$top`/`$skip`
//! paging, and the `Prefer` header.

use axum::Json;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use super::odata::{Query, encode_component, versioned};
use crate::failure::{GraphFailure, GraphResult};
use crate::mailbox::SharedMailbox;
use crate::state::AppState;

/// The second segment of the Outlook routes under `/users/{id}/`.
const OUTLOOK_SEGMENTS: &[&str] = &[
    "mailfolders",
    "messages",
    "calendars",
    "calendar",
    "events",
    "calendarview",
    "contactfolders",
    "contacts",
    "mailboxsettings",
];

/// Whether a route template (as `auth::template` writes it) is an Outlook route.
pub fn is_outlook(template: &str) -> bool {
    let mut parts = template.split('/').skip(1);
    parts.next() == Some("users")
        && parts.next().is_some()
        && parts.next().is_some_and(|s| OUTLOOK_SEGMENTS.contains(&s))
}

/// The 403 a caller without the permission gets: Outlook's own error on
/// Outlook routes, the directory's elsewhere.
pub fn denied(template: &str) -> GraphFailure {
    if is_outlook(template) {
        GraphFailure::new(
            StatusCode::FORBIDDEN,
            "ErrorAccessDenied",
            "Access is denied. Check credentials and try again.",
        )
    } else {
        GraphFailure::directory_denied()
    }
}

/// 404 `ErrorItemNotFound`.
pub fn not_found() -> GraphFailure {
    GraphFailure::new(
        StatusCode::NOT_FOUND,
        "ErrorItemNotFound",
        "The specified object was not found in the store.",
    )
}

/// 400 `ErrorInvalidIdMalformed`.
pub fn malformed() -> GraphFailure {
    GraphFailure::new(
        StatusCode::BAD_REQUEST,
        "ErrorInvalidIdMalformed",
        "Id is malformed.",
    )
}

/// 404 for an id that names nothing: malformed ids answer 400 as Exchange does.
pub fn missing(id: &str) -> GraphFailure {
    if crate::mailbox::ids::well_formed(id) {
        not_found()
    } else {
        malformed()
    }
}

/// 400 with an Outlook error code.
pub fn bad_request(code: &str, message: impl Into<String>) -> GraphFailure {
    GraphFailure::new(StatusCode::BAD_REQUEST, code, message)
}

/// The mailbox of user `key` (object id or user principal name): 404
/// `ErrorInvalidUser` for no such user, 404 `MailboxNotEnabledForRESTAPI` for a
/// user without an Exchange Online mailbox.
pub async fn mailbox(state: &AppState, key: &str) -> GraphResult<(usize, SharedMailbox)> {
    let index = state.tenant().user(key).map(|(i, _)| i);
    let Some(index) = index else {
        return Err(GraphFailure::new(
            StatusCode::NOT_FOUND,
            "ErrorInvalidUser",
            format!("The requested user '{key}' is invalid."),
        ));
    };
    // Generating a large mailbox takes a while: off the async workers.
    let opened = if state.mailboxes.is_open(index) {
        state.mailboxes.open(state, index)
    } else {
        let state = state.clone();
        tokio::task::spawn_blocking(move || state.mailboxes.open(&state, index))
            .await
            .map_err(|e| {
                GraphFailure::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "InternalServerError",
                    e.to_string(),
                )
            })?
    };
    match opened {
        Some(m) => Ok((index, m)),
        None => Err(GraphFailure::new(
            StatusCode::NOT_FOUND,
            "MailboxNotEnabledForRESTAPI",
            "The mailbox is either inactive, soft-deleted, or is hosted on-premise.",
        )),
    }
}

/// Keeps the `$select`ed properties (and `id` and the OData annotations) of an
/// entity; an unknown property is a 400 as Outlook answers it.
pub fn select(entity: Value, select: Option<&[String]>, type_name: &str) -> GraphResult<Value> {
    let (Some(select), Value::Object(map)) = (select, &entity) else {
        return Ok(entity);
    };
    let mut out = Map::new();
    for (k, v) in map {
        if k.starts_with('@') || k == "id" {
            out.insert(k.clone(), v.clone());
        }
    }
    for wanted in select {
        match map.iter().find(|(k, _)| k.eq_ignore_ascii_case(wanted)) {
            Some((k, v)) => {
                out.insert(k.clone(), v.clone());
            }
            None => {
                return Err(bad_request(
                    "RequestBroker--ParseUri",
                    format!(
                        "Could not find a property named '{wanted}' on type 'microsoft.graph.{type_name}'."
                    ),
                ));
            }
        }
    }
    Ok(Value::Object(out))
}

/// Query options the simulator does not implement on Outlook collections.
pub fn refuse_unsupported(query: &Query) -> GraphResult<()> {
    for (option, set) in [
        ("$filter", query.filter.is_some()),
        ("$search", query.search.is_some()),
        ("$orderby", query.orderby.is_some()),
        ("$expand", query.expand.is_some()),
    ] {
        if set {
            return Err(bad_request(
                "ErrorInvalidUrlQuery",
                format!("The simulator does not implement {option} on this collection."),
            ));
        }
    }
    Ok(())
}

/// `$top` (1..=max, default `default`) and `$skip` of a list request.
pub fn paging(query: &Query, default: usize, max: usize) -> GraphResult<(usize, usize)> {
    let top = match &query.top {
        None => default,
        Some(t) => match t.trim().parse::<usize>() {
            Ok(n) if (1..=max).contains(&n) => n,
            _ => {
                return Err(bad_request(
                    "ErrorInvalidUrlQuery",
                    format!("The value '{t}' of the query parameter '$top' is invalid."),
                ));
            }
        },
    };
    let skip = match query
        .pairs
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("$skip"))
    {
        None => 0,
        Some((_, s)) => s.trim().parse::<usize>().map_err(|_| {
            bad_request(
                "ErrorInvalidUrlQuery",
                format!("The value '{s}' of the query parameter '$skip' is invalid."),
            )
        })?,
    };
    Ok((top, skip))
}

/// One page of a listing: the items at `skip..skip + top` of `all`, each rendered by
/// `render`, `$select`ed as entity `entity`, with `@odata.nextLink` when more follow.
pub fn list_page(
    state: &AppState,
    uri: &Uri,
    query: &Query,
    entity: &str,
    all: &[usize],
    (top, skip): (usize, usize),
    render: impl Fn(usize) -> Value,
) -> GraphResult<Response> {
    let items = all
        .iter()
        .skip(skip)
        .take(top)
        .map(|&i| select(render(i), query.select.as_deref(), entity))
        .collect::<GraphResult<Vec<_>>>()?;
    let next = (skip + top < all.len()).then_some(skip + top);
    Ok(page(
        &state.base_url(),
        uri.path(),
        query,
        &format!("Collection({entity})"),
        items,
        next,
    ))
}

/// One page of an Outlook collection: `@odata.nextLink` repeats the request's
/// options with `$skip` moved on, as Outlook writes it.
pub fn page(
    base: &str,
    path: &str,
    query: &Query,
    context: &str,
    items: Vec<Value>,
    next_skip: Option<usize>,
) -> Response {
    let mut body = Map::new();
    body.insert(
        "@odata.context".into(),
        Value::String(format!("{base}/v1.0/$metadata#{context}")),
    );
    body.insert("value".into(), Value::Array(items));
    if let Some(skip) = next_skip {
        let mut pairs: Vec<String> = query
            .pairs
            .iter()
            .filter(|(k, _)| !k.eq_ignore_ascii_case("$skip"))
            .map(|(k, v)| format!("{}={}", encode_component(k), encode_component(v)))
            .collect();
        pairs.push(format!("%24skip={skip}"));
        body.insert(
            "@odata.nextLink".into(),
            Value::String(format!("{base}{}?{}", versioned(path), pairs.join("&"))),
        );
    }
    Json(Value::Object(body)).into_response()
}

/// A single entity with its `@odata.context`.
pub fn entity(base: &str, context: &str, v: Value) -> Response {
    entity_status(base, context, v, StatusCode::OK)
}

/// A single entity with its `@odata.context` and status.
pub fn entity_status(base: &str, context: &str, v: Value, status: StatusCode) -> Response {
    let mut out = Map::new();
    out.insert(
        "@odata.context".into(),
        Value::String(format!("{base}/v1.0/$metadata#{context}")),
    );
    if let Value::Object(map) = v {
        out.extend(map);
    }
    (status, Json(Value::Object(out))).into_response()
}

/// The preferences of a `Prefer` header (`odata.maxpagesize=50`,
/// `outlook.body-content-type="text"`).
pub fn preference(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all("prefer")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|p| p.split_once('='))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim().trim_matches('"').to_owned())
}

/// Adds `Preference-Applied`.
pub fn applied(mut response: Response, preferences: &[String]) -> Response {
    if !preferences.is_empty()
        && let Ok(v) = HeaderValue::from_str(&preferences.join(", "))
    {
        response.headers_mut().insert("preference-applied", v);
    }
    response
}

/// Whether `Prefer: outlook.body-content-type="text"` asks for text bodies.
pub fn wants_text(headers: &HeaderMap) -> bool {
    preference(headers, "outlook.body-content-type").is_some_and(|v| v.eq_ignore_ascii_case("text"))
}

/// Reads a request body up to `limit` bytes (Outlook accepts messages of up to
/// 150 MB; axum's default limit is lower).
pub async fn body_bytes(body: axum::body::Body, limit: usize) -> GraphResult<axum::body::Bytes> {
    axum::body::to_bytes(body, limit).await.map_err(|_| {
        GraphFailure::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "ErrorRequestEntityTooLarge",
            "The request is larger than the simulator accepts.",
        )
    })
}

/// Parses a JSON request body.
pub fn json_body(bytes: &[u8]) -> GraphResult<Value> {
    serde_json::from_slice(bytes).map_err(|e| {
        bad_request(
            "BadRequest",
            format!("Invalid JSON in the request body: {e}"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outlook_templates() {
        assert!(is_outlook("/users/{id}/mailfolders/{id}/messages/delta"));
        assert!(is_outlook("/users/{id}/messages/{id}/$value"));
        assert!(!is_outlook("/users/{id}"));
        assert!(!is_outlook("/groups/{id}/members"));
        assert_eq!(denied("/users/{id}/messages").code, "ErrorAccessDenied");
        assert_eq!(denied("/users").code, "Authorization_RequestDenied");
    }
}
