//! Calendars: `/users/{id}/calendars…`, `/events…`, instances, calendar views
//! and their delta (v1.0 documents delta on calendar views only), and the writes
//! restore uses.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use time::PrimitiveDateTime;

use super::mail_write::{attachment_from_json, folder_exists};
use super::odata::Query;
use super::outlook::{
    self, bad_request, body_bytes, entity, entity_status, json_body, list_page, missing, page,
    paging, refuse_unsupported, select,
};
use super::outlook_delta::{Round, Spec};
use crate::failure::{GraphFailure, GraphResult};
use crate::mailbox::recurrence::{self, dt_value, field_dt, overlaps};
use crate::mailbox::{Exists, Mailbox, ids, lock, render, upload};
use crate::state::AppState;

type Window = (PrimitiveDateTime, PrimitiveDateTime);

fn window_of(query: &Query) -> GraphResult<(String, String)> {
    let find = |name: &str| {
        query
            .pairs
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    match (find("startDateTime"), find("endDateTime")) {
        (Some(s), Some(e)) => Ok((s, e)),
        _ => Err(GraphFailure::new(
            StatusCode::BAD_REQUEST,
            "ErrorInvalidParameter",
            "This request requires a time window specified by the query string parameters StartDateTime and EndDateTime.",
        )),
    }
}

fn parse_window(w: &(String, String)) -> GraphResult<Window> {
    match (recurrence::parse_dt(&w.0), recurrence::parse_dt(&w.1)) {
        (Some(s), Some(e)) => Ok((s, e)),
        _ => Err(bad_request(
            "ErrorInvalidParameter",
            "The value of StartDateTime or EndDateTime is not a valid date and time.",
        )),
    }
}

/// The events of event `i` that fall in `window`, with their starts: the event
/// itself (single), or its occurrences and exceptions (series master).
pub fn instances(m: &Mailbox, i: usize, window: Window) -> Vec<(PrimitiveDateTime, Value)> {
    let e = &m.events[i];
    if e.data.get("recurrence").is_some_and(Value::is_object) {
        return recurrence::occurrences(&e.data, &e.exceptions)
            .iter()
            .filter(|o| overlaps(o.start, o.end, window))
            .map(|o| (o.start, render::occurrence(m, i, o)))
            .collect();
    }
    match (field_dt(&e.data, "start"), field_dt(&e.data, "end")) {
        (Some(s), Some(end)) if overlaps(s, end, window) => vec![(s, render::event(m, i))],
        _ => Vec::new(),
    }
}

fn calendar_index(m: &Mailbox, key: Option<&str>) -> GraphResult<usize> {
    match key {
        None => Ok(0),
        Some(k) => m.calendar(k).ok_or_else(|| missing(k)),
    }
}

/// An event or occurrence by id.
fn find_event(m: &Mailbox, id: &str) -> GraphResult<Value> {
    if let Some(i) = m.event(id) {
        return Ok(render::event(m, i));
    }
    let (master, date) = ids::split_occurrence(id).ok_or_else(|| missing(id))?;
    let i = m.event(&master).ok_or_else(outlook::not_found)?;
    let e = &m.events[i];
    recurrence::occurrences(&e.data, &e.exceptions)
        .iter()
        .find(|o| o.date == date)
        .map(|o| render::occurrence(m, i, o))
        .ok_or_else(outlook::not_found)
}

/// `GET /users/{id}/calendars`.
pub async fn list_calendars(
    State(state): State<AppState>,
    Path(user): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> GraphResult<Response> {
    let query = Query::parse(&uri, &headers);
    refuse_unsupported(&query)?;
    let (top, skip) = paging(&query, 10, 1000)?;
    let (_, mailbox) = outlook::mailbox(&state, &user).await?;
    let m = lock(&mailbox);
    let all: Vec<usize> = (0..m.calendars.len())
        .filter(|&i| m.calendars[i].seqs.live())
        .collect();
    list_page(&state, &uri, &query, "calendar", &all, (top, skip), |i| {
        render::calendar(&m, i)
    })
}

/// `GET /users/{id}/calendars/{id}`.
pub async fn get_calendar(
    State(state): State<AppState>,
    Path((user, cal)): Path<(String, String)>,
    uri: Uri,
    headers: HeaderMap,
) -> GraphResult<Response> {
    let query = Query::parse(&uri, &headers);
    let (_, mailbox) = outlook::mailbox(&state, &user).await?;
    let m = lock(&mailbox);
    let i = calendar_index(&m, Some(&cal))?;
    let v = select(render::calendar(&m, i), query.select.as_deref(), "calendar")?;
    Ok(entity(
        &state.base_url(),
        &format!("users('{user}')/calendars/$entity"),
        v,
    ))
}

async fn events_page(
    state: &AppState,
    uri: &Uri,
    headers: &HeaderMap,
    user: &str,
    cal: Option<&str>,
) -> GraphResult<Response> {
    let query = Query::parse(uri, headers);
    refuse_unsupported(&query)?;
    let (top, skip) = paging(&query, 10, 1000)?;
    let (_, mailbox) = outlook::mailbox(state, user).await?;
    let m = lock(&mailbox);
    let c = calendar_index(&m, cal)?;
    let all: Vec<usize> = (0..m.events.len())
        .filter(|&i| m.events[i].seqs.live() && m.events[i].calendar == c)
        .collect();
    list_page(state, uri, &query, "event", &all, (top, skip), |i| {
        render::event(&m, i)
    })
}

/// `GET /users/{id}/events` (the default calendar: single events and series masters).
pub async fn list_events(
    State(state): State<AppState>,
    Path(user): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> GraphResult<Response> {
    events_page(&state, &uri, &headers, &user, None).await
}

/// `GET /users/{id}/calendars/{id}/events`.
pub async fn calendar_events(
    State(state): State<AppState>,
    Path((user, cal)): Path<(String, String)>,
    uri: Uri,
    headers: HeaderMap,
) -> GraphResult<Response> {
    events_page(&state, &uri, &headers, &user, Some(&cal)).await
}

async fn one_event(
    state: &AppState,
    uri: &Uri,
    headers: &HeaderMap,
    user: &str,
    id: &str,
) -> GraphResult<Response> {
    let query = Query::parse(uri, headers);
    let (_, mailbox) = outlook::mailbox(state, user).await?;
    let v = find_event(&lock(&mailbox), id)?;
    let v = select(v, query.select.as_deref(), "event")?;
    Ok(entity(
        &state.base_url(),
        &format!("users('{user}')/events/$entity"),
        v,
    ))
}

/// `GET /users/{id}/events/{id}` (also occurrences).
pub async fn get_event(
    State(state): State<AppState>,
    Path((user, id)): Path<(String, String)>,
    uri: Uri,
    headers: HeaderMap,
) -> GraphResult<Response> {
    one_event(&state, &uri, &headers, &user, &id).await
}

/// `GET /users/{id}/calendars/{id}/events/{id}`.
pub async fn get_calendar_event(
    State(state): State<AppState>,
    Path((user, _cal, id)): Path<(String, String, String)>,
    uri: Uri,
    headers: HeaderMap,
) -> GraphResult<Response> {
    one_event(&state, &uri, &headers, &user, &id).await
}

/// `GET /users/{id}/events/{id}/instances?startDateTime&endDateTime`.
pub async fn event_instances(
    State(state): State<AppState>,
    Path((user, id)): Path<(String, String)>,
    uri: Uri,
    headers: HeaderMap,
) -> GraphResult<Response> {
    let query = Query::parse(&uri, &headers);
    let window = parse_window(&window_of(&query)?)?;
    let (top, skip) = paging(&query, 10, 1000)?;
    let (_, mailbox) = outlook::mailbox(&state, &user).await?;
    let m = lock(&mailbox);
    let i = m.event(&id).ok_or_else(|| missing(&id))?;
    let all: Vec<Value> = if m.events[i]
        .data
        .get("recurrence")
        .is_some_and(Value::is_object)
    {
        instances(&m, i, window)
            .into_iter()
            .map(|(_, v)| v)
            .collect()
    } else {
        Vec::new()
    };
    let total = all.len();
    let items = all
        .into_iter()
        .skip(skip)
        .take(top)
        .map(|v| select(v, query.select.as_deref(), "event"))
        .collect::<GraphResult<Vec<_>>>()?;
    let next = (skip + top < total).then_some(skip + top);
    Ok(page(
        &state.base_url(),
        uri.path(),
        &query,
        "Collection(event)",
        items,
        next,
    ))
}

async fn view(
    state: &AppState,
    uri: &Uri,
    headers: &HeaderMap,
    user: &str,
    cal: Option<&str>,
) -> GraphResult<Response> {
    let query = Query::parse(uri, headers);
    refuse_unsupported(&query)?;
    let window = parse_window(&window_of(&query)?)?;
    let (top, skip) = paging(&query, 10, 1000)?;
    let (_, mailbox) = outlook::mailbox(state, user).await?;
    let m = lock(&mailbox);
    let c = calendar_index(&m, cal)?;
    let mut all: Vec<(PrimitiveDateTime, Value)> = (0..m.events.len())
        .filter(|&i| m.events[i].seqs.live() && m.events[i].calendar == c)
        .flat_map(|i| instances(&m, i, window))
        .collect();
    all.sort_by(|a, b| {
        a.0.cmp(&b.0)
            .then_with(|| a.1["id"].as_str().cmp(&b.1["id"].as_str()))
    });
    let total = all.len();
    let items = all
        .into_iter()
        .skip(skip)
        .take(top)
        .map(|(_, v)| select(v, query.select.as_deref(), "event"))
        .collect::<GraphResult<Vec<_>>>()?;
    let next = (skip + top < total).then_some(skip + top);
    Ok(page(
        &state.base_url(),
        uri.path(),
        &query,
        "Collection(event)",
        items,
        next,
    ))
}

/// `GET /users/{id}/calendarView?startDateTime&endDateTime` (default calendar).
pub async fn calendar_view(
    State(state): State<AppState>,
    Path(user): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> GraphResult<Response> {
    view(&state, &uri, &headers, &user, None).await
}

/// `GET /users/{id}/calendars/{id}/calendarView?startDateTime&endDateTime`.
pub async fn calendar_view_of(
    State(state): State<AppState>,
    Path((user, cal)): Path<(String, String)>,
    uri: Uri,
    headers: HeaderMap,
) -> GraphResult<Response> {
    view(&state, &uri, &headers, &user, Some(&cal)).await
}

async fn view_delta(
    state: &AppState,
    uri: &Uri,
    headers: &HeaderMap,
    user: &str,
    cal: Option<&str>,
) -> GraphResult<Response> {
    let query = Query::parse(uri, headers);
    let (index, mailbox) = outlook::mailbox(state, user).await?;
    let m = lock(&mailbox);
    let c = calendar_index(&m, cal)?;
    let calendar_id = m.calendars[c].id.clone();
    let spec = Spec {
        kind: "calendarView",
        user: index,
        collection: &calendar_id,
        default_page: 10,
        max_page: 1000,
    };
    let first = query.skiptoken.is_none() && query.deltatoken.is_none();
    let requested = if first {
        Some(window_of(&query)?)
    } else {
        None
    };
    let round = Round::begin(state, &spec, &query, headers, requested, m.seq)?;
    let Some(w) = round.window.clone() else {
        return Err(super::outlook_delta::sync_state_not_found(0, m.seq));
    };
    let window = parse_window(&w)?;
    let (items, next) = round.collect(&m.calendars[c].log, |i| {
        let found = instances(&m, i, window);
        if !m.events[i].seqs.live() {
            if round.initial() {
                return Ok(Vec::new());
            }
            return Ok(found
                .iter()
                .map(|(_, v)| render::removed("event", v["id"].as_str().unwrap_or_default()))
                .collect());
        }
        Ok(found.into_iter().map(|(_, v)| v).collect())
    })?;
    let now = state.now().unix_timestamp();
    Ok(round.respond(
        &state.base_url(),
        uri.path(),
        "Collection(event)",
        items,
        next,
        now,
    ))
}

/// `GET /users/{id}/calendarView/delta?startDateTime&endDateTime` (default calendar).
pub async fn calendar_view_delta(
    State(state): State<AppState>,
    Path(user): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> GraphResult<Response> {
    view_delta(&state, &uri, &headers, &user, None).await
}

/// `GET /users/{id}/calendars/{id}/calendarView/delta?startDateTime&endDateTime`.
pub async fn calendar_view_delta_of(
    State(state): State<AppState>,
    Path((user, cal)): Path<(String, String)>,
    uri: Uri,
    headers: HeaderMap,
) -> GraphResult<Response> {
    view_delta(&state, &uri, &headers, &user, Some(&cal)).await
}

fn event_attachments(
    m: &Mailbox,
    id: &str,
) -> GraphResult<Vec<(String, crate::mailbox::content::Attachment)>> {
    let i = m.event(id).ok_or_else(|| missing(id))?;
    Ok(m.events[i].attachments.clone())
}

/// `GET /users/{id}/events/{id}/attachments`.
pub async fn list_event_attachments(
    State(state): State<AppState>,
    Path((user, id)): Path<(String, String)>,
    uri: Uri,
    headers: HeaderMap,
) -> GraphResult<Response> {
    let query = Query::parse(&uri, &headers);
    let (_, mailbox) = outlook::mailbox(&state, &user).await?;
    let list = event_attachments(&lock(&mailbox), &id)?;
    let items = list
        .iter()
        .map(|(aid, a)| {
            select(
                render::attachment(aid, a, true),
                query.select.as_deref(),
                "attachment",
            )
        })
        .collect::<GraphResult<Vec<_>>>()?;
    Ok(page(
        &state.base_url(),
        uri.path(),
        &query,
        "Collection(attachment)",
        items,
        None,
    ))
}

/// `GET /users/{id}/events/{id}/attachments/{id}`.
pub async fn get_event_attachment(
    State(state): State<AppState>,
    Path((user, id, aid)): Path<(String, String, String)>,
) -> GraphResult<Response> {
    let (_, mailbox) = outlook::mailbox(&state, &user).await?;
    let list = event_attachments(&lock(&mailbox), &id)?;
    let (aid, a) = list
        .iter()
        .find(|(x, _)| *x == aid)
        .ok_or_else(|| missing(&aid))?;
    let context = format!("users('{user}')/events('{id}')/attachments/$entity");
    Ok(entity(
        &state.base_url(),
        &context,
        render::attachment(aid, a, true),
    ))
}

/// Event properties a client may set.
const WRITABLE: &[&str] = &[
    "subject",
    "body",
    "start",
    "end",
    "isAllDay",
    "location",
    "locations",
    "attendees",
    "organizer",
    "recurrence",
    "importance",
    "sensitivity",
    "showAs",
    "categories",
    "isReminderOn",
    "reminderMinutesBeforeStart",
    "responseRequested",
    "isOnlineMeeting",
    "onlineMeetingProvider",
    "allowNewTimeProposals",
    "hideAttendees",
    "transactionId",
];

fn normalize_time(v: &Value) -> GraphResult<Value> {
    let t = v
        .get("dateTime")
        .and_then(Value::as_str)
        .and_then(recurrence::parse_dt)
        .ok_or_else(|| bad_request("ErrorInvalidRequest", "start and end need a dateTime."))?;
    Ok(dt_value(t))
}

fn writable(v: &Value, data: &mut Map<String, Value>) -> GraphResult<()> {
    for key in WRITABLE {
        if let Some(val) = v.get(*key) {
            let val = match *key {
                "start" | "end" => normalize_time(val)?,
                _ => val.clone(),
            };
            data.insert((*key).to_owned(), val);
        }
    }
    Ok(())
}

/// `POST /users/{id}/calendars`.
pub async fn post_calendar(
    State(state): State<AppState>,
    Path(user): Path<String>,
    body: Body,
) -> GraphResult<Response> {
    let v = json_body(&body_bytes(body, 1024 * 1024).await?)?;
    let name = v
        .get("name")
        .and_then(Value::as_str)
        .map(str::trim)
        .unwrap_or_default()
        .to_owned();
    if name.is_empty() {
        return Err(bad_request(
            "ErrorInvalidRequest",
            "The 'name' property is required to create a calendar.",
        ));
    }
    let (_, mailbox) = outlook::mailbox(&state, &user).await?;
    let mut m = lock(&mailbox);
    let i = m
        .add_calendar(&name, "auto")
        .map_err(|Exists| folder_exists())?;
    let context = format!("users('{user}')/calendars/$entity");
    Ok(entity_status(
        &state.base_url(),
        &context,
        render::calendar(&m, i),
        StatusCode::CREATED,
    ))
}

async fn create_event(
    state: &AppState,
    user: &str,
    cal: Option<&str>,
    body: Body,
) -> GraphResult<Response> {
    let v = json_body(&body_bytes(body, super::mail_write::BODY_LIMIT).await?)?;
    if v.get("start").is_none() || v.get("end").is_none() {
        return Err(bad_request(
            "ErrorInvalidRequest",
            "An event needs start and end.",
        ));
    }
    let now = state.now();
    let (_, mailbox) = outlook::mailbox(state, user).await?;
    let mut m = lock(&mailbox);
    let c = calendar_index(&m, cal)?;
    let mut data = Map::new();
    data.insert("isOrganizer".into(), json!(true));
    data.insert(
        "responseStatus".into(),
        json!({"response": "organizer", "time": "0001-01-01T00:00:00Z"}),
    );
    writable(&v, &mut data)?;
    let attachments = match v.get("attachments").and_then(Value::as_array) {
        Some(list) => list
            .iter()
            .map(|a| attachment_from_json(a, &m, now))
            .collect::<GraphResult<Vec<_>>>()?,
        None => Vec::new(),
    };
    let i = m.add_event(c, data, Vec::new(), attachments, now);
    let context = format!("users('{user}')/events/$entity");
    Ok(entity_status(
        &state.base_url(),
        &context,
        render::event(&m, i),
        StatusCode::CREATED,
    ))
}

/// `POST /users/{id}/events` (default calendar).
pub async fn post_event(
    State(state): State<AppState>,
    Path(user): Path<String>,
    body: Body,
) -> GraphResult<Response> {
    create_event(&state, &user, None, body).await
}

/// `POST /users/{id}/calendars/{id}/events`.
pub async fn post_calendar_event(
    State(state): State<AppState>,
    Path((user, cal)): Path<(String, String)>,
    body: Body,
) -> GraphResult<Response> {
    create_event(&state, &user, Some(&cal), body).await
}

/// `PATCH /users/{id}/events/{id}`.
pub async fn patch_event(
    State(state): State<AppState>,
    Path((user, id)): Path<(String, String)>,
    body: Body,
) -> GraphResult<Response> {
    let v = json_body(&body_bytes(body, super::mail_write::BODY_LIMIT).await?)?;
    let now = state.now();
    let (_, mailbox) = outlook::mailbox(&state, &user).await?;
    let mut m = lock(&mailbox);
    let i = m.event(&id).ok_or_else(|| missing(&id))?;
    let mut data = m.events[i].data.clone();
    writable(&v, &mut data)?;
    m.events[i].data = data;
    m.touch_event(i, now);
    let context = format!("users('{user}')/events/$entity");
    Ok(entity_status(
        &state.base_url(),
        &context,
        render::event(&m, i),
        StatusCode::OK,
    ))
}

async fn remove_event(state: &AppState, user: &str, id: &str) -> GraphResult<Response> {
    let (_, mailbox) = outlook::mailbox(state, user).await?;
    let mut m = lock(&mailbox);
    let i = m.event(id).ok_or_else(|| missing(id))?;
    m.delete_event(i);
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `DELETE /users/{id}/events/{id}`.
pub async fn delete_event(
    State(state): State<AppState>,
    Path((user, id)): Path<(String, String)>,
) -> GraphResult<Response> {
    remove_event(&state, &user, &id).await
}

/// `DELETE /users/{id}/calendars/{id}/events/{id}`.
pub async fn delete_calendar_event(
    State(state): State<AppState>,
    Path((user, _cal, id)): Path<(String, String, String)>,
) -> GraphResult<Response> {
    remove_event(&state, &user, &id).await
}

/// `POST /users/{id}/events/{id}/attachments` (under 3 MB).
pub async fn post_event_attachment(
    State(state): State<AppState>,
    Path((user, id)): Path<(String, String)>,
    body: Body,
) -> GraphResult<Response> {
    let v = json_body(&body_bytes(body, super::mail_write::BODY_LIMIT).await?)?;
    let now = state.now();
    let (_, mailbox) = outlook::mailbox(&state, &user).await?;
    let mut m = lock(&mailbox);
    let i = m.event(&id).ok_or_else(|| missing(&id))?;
    let a = attachment_from_json(&v, &m, now)?;
    let aid = upload::attach_to_event(&mut m, i, a.clone(), now);
    let context = format!("users('{user}')/events('{id}')/attachments/$entity");
    Ok(entity_status(
        &state.base_url(),
        &context,
        render::attachment(&aid, &a, true),
        StatusCode::CREATED,
    ))
}

/// `POST /users/{id}/events/{id}/attachments/createUploadSession`.
pub async fn event_upload_session(
    State(state): State<AppState>,
    Path((user, id)): Path<(String, String)>,
    body: Body,
) -> GraphResult<Response> {
    upload::create(&state, &user, upload::Target::Event(id), body).await
}
