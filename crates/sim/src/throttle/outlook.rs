//! Outlook throttling on the HTTP side: which requests target a mailbox, the
//! 429 bodies Microsoft sends, and a response body that keeps the mailbox's
//! concurrency slot until it has been sent.

use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::Response;
use hyper::body::{Body as HttpBody, Frame, SizeHint};

use super::{Decision, MailboxPermit, OutlookRefusal, UploadMeter};
use crate::failure::GraphFailure;
use crate::graph::Principal;
use crate::state::SimState;

/// Path segments after `/users/{id}` (or `/me`) that Outlook serves.
pub const OUTLOOK_SEGMENTS: &[&str] = &[
    "mailFolders",
    "messages",
    "events",
    "calendar",
    "calendars",
    "calendarView",
    "calendarGroups",
    "contacts",
    "contactFolders",
    "mailboxSettings",
    "inferenceClassification",
    "outlook",
    "sendMail",
];

/// Path segments after `/groups/{id}` that Outlook serves (group mailboxes).
pub const GROUP_OUTLOOK_SEGMENTS: &[&str] = &[
    "events",
    "calendar",
    "calendarView",
    "conversations",
    "threads",
];

/// The mailbox a request targets, as written in its path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailboxRef<'a> {
    /// `/users/{id or userPrincipalName}/…`
    User(&'a str),
    /// `/me/…`: the signed-in user's mailbox.
    Me,
    /// `/groups/{id}/…`
    Group(&'a str),
}

fn is_one_of(segment: &str, list: &[&str]) -> bool {
    list.iter().any(|s| s.eq_ignore_ascii_case(segment))
}

/// The mailbox an Outlook request targets, from the shape of its path
/// (`/v1.0` optional): `/users/{id}/messages…`, `/me/events…`,
/// `/groups/{id}/calendar…`. `None` for anything else.
pub fn mailbox_target(path: &str) -> Option<MailboxRef<'_>> {
    let path = path.split('?').next().unwrap_or_default();
    let rest = path.strip_prefix("/v1.0").unwrap_or(path);
    let mut segments = rest.trim_start_matches('/').split('/');
    let first = segments.next()?;
    if first.eq_ignore_ascii_case("me") {
        let seg = segments.next()?;
        return is_one_of(seg, OUTLOOK_SEGMENTS).then_some(MailboxRef::Me);
    }
    let id = segments.next().filter(|s| !s.is_empty())?;
    let seg = segments.next()?;
    if first.eq_ignore_ascii_case("users") && is_one_of(seg, OUTLOOK_SEGMENTS) {
        Some(MailboxRef::User(id))
    } else if first.eq_ignore_ascii_case("groups") && is_one_of(seg, GROUP_OUTLOOK_SEGMENTS) {
        Some(MailboxRef::Group(id))
    } else {
        None
    }
}

/// A canonical key for the mailbox: the user's object id whether the path
/// named the user by id or by user principal name.
pub fn mailbox_key(state: &SimState, principal: &Principal, target: MailboxRef<'_>) -> String {
    let raw = match target {
        MailboxRef::Me => match principal {
            Principal::User { user_id, .. } => user_id.clone(),
            Principal::App { sp_id, .. } => sp_id.clone(),
        },
        MailboxRef::User(key) => {
            let key = percent_decode(key);
            state
                .tenant()
                .user(&key)
                .map(|(_, u)| u.id.to_string())
                .unwrap_or(key)
        }
        MailboxRef::Group(id) => format!("group:{}", percent_decode(id)),
    };
    raw.to_ascii_lowercase()
}

fn percent_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("k={}", s.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| s.to_owned())
}

/// The 429 Outlook answers when a limit is reached:
/// `{"error":{"code":"ApplicationThrottled","message":"Application is over its
/// MailboxConcurrency limit."}}` with `Retry-After`.
pub fn refusal(refusal: OutlookRefusal) -> GraphFailure {
    GraphFailure::new(
        StatusCode::TOO_MANY_REQUESTS,
        "ApplicationThrottled",
        format!("Application is over its {} limit.", refusal.limit.name()),
    )
    .with_header("retry-after", refusal.retry_after.to_string())
}

/// The plain 429 Teams and the usage reports answer: `Too many requests.` with
/// `Retry-After` in seconds.
pub fn too_many_requests(retry_after: u64) -> GraphFailure {
    GraphFailure::new(
        StatusCode::TOO_MANY_REQUESTS,
        "TooManyRequests",
        "Too many requests.",
    )
    .with_header("retry-after", retry_after.to_string())
}

/// The 429 of the global limit (130,000 requests per 10 seconds per app).
pub fn global_refusal(retry_after: u64, scope: String, information: &str) -> GraphFailure {
    GraphFailure::new(
        StatusCode::TOO_MANY_REQUESTS,
        "TooManyRequests",
        "Please retry again later.",
    )
    .with_header("retry-after", retry_after.to_string())
    .with_header("x-ms-throttle-scope", scope)
    .with_header("x-ms-throttle-information", information)
}

/// Bytes a request uploads, when known before its body is read.
fn declared_upload(req: &Request) -> Option<u64> {
    if !matches!(req.method().as_str(), "POST" | "PUT" | "PATCH") {
        return Some(0);
    }
    req.headers()
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
        .or_else(|| req.body().size_hint().exact())
}

/// Applies the global and the Outlook limits to a request of `principal` that
/// targets `target`. On success the request comes back (its body counted as it
/// streams when its length was not declared) with the permit to hold until the
/// response has been sent; on refusal, the 429 to answer.
pub fn admit(
    state: &SimState,
    principal: &Principal,
    target: MailboxRef<'_>,
    req: Request,
) -> Result<(Request, MailboxPermit), GraphFailure> {
    let now = state.now();
    let app_id = principal.app_id();
    let tenant_id = state.tenant().id.to_string();
    if let Decision::Throttled {
        retry_after,
        scope,
        information,
    } = state.throttle.global(now, app_id, &tenant_id)
    {
        return Err(global_refusal(retry_after, scope, information));
    }
    let mailbox = mailbox_key(state, principal, target);
    let declared = declared_upload(&req);
    let permit = state
        .throttle
        .outlook(now, app_id, &mailbox, declared.unwrap_or(0))
        .map_err(refusal)?;
    let Some(meter) = permit.meter().filter(|_| declared.is_none()) else {
        return Ok((req, permit));
    };
    // No length given: count the body as the handler reads it.
    let (parts, body) = req.into_parts();
    let counted = Body::new(Counted {
        inner: body,
        meter,
        clock: state.clock.clone(),
    });
    Ok((Request::from_parts(parts, counted), permit))
}

/// A request body that charges its bytes to the mailbox's upload budget.
struct Counted {
    inner: Body,
    meter: UploadMeter,
    clock: crate::clock::SharedClock,
}

impl HttpBody for Counted {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        if let Poll::Ready(Some(Ok(frame))) = &polled
            && let Some(data) = frame.data_ref()
        {
            self.meter.charge(self.clock.now(), data.len() as u64);
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// A response body that keeps `guard` alive until the body has been sent in
/// full (or the connection dropped it).
struct Guarded<G> {
    inner: Body,
    guard: Option<G>,
}

impl<G: Send + Unpin + 'static> HttpBody for Guarded<G> {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        if let Poll::Ready(None | Some(Err(_))) = &polled {
            self.guard = None;
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// `response` with a body that holds `guard` until it has been sent.
pub fn hold_until_sent<G: Send + Sync + Unpin + 'static>(response: Response, guard: G) -> Response {
    let (parts, body) = response.into_parts();
    Response::from_parts(
        parts,
        Body::new(Guarded {
            inner: body,
            guard: Some(guard),
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ThrottleMode;
    use crate::throttle::Throttle;

    #[tokio::test]
    async fn the_slot_is_held_until_the_body_has_been_read() {
        let t = Throttle::new(ThrottleMode::On, 1, None);
        let now = time::OffsetDateTime::now_utc();
        let permit = t.outlook(now, "app", "m", 0).expect("admitted");
        let response = hold_until_sent(Response::new(Body::from("a MIME message")), permit);
        assert_eq!(
            t.in_flight("app", "m"),
            1,
            "the handler returned, the body is unsent"
        );
        assert_eq!(response.body().size_hint().exact(), Some(14));
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .expect("body");
        assert_eq!(&bytes[..], b"a MIME message");
        assert_eq!(t.in_flight("app", "m"), 0);
        // A body dropped unsent (the connection went away) frees its slot too.
        let permit = t.outlook(now, "app", "m", 0).expect("admitted");
        drop(hold_until_sent(Response::new(Body::from("x")), permit));
        assert_eq!(t.in_flight("app", "m"), 0);
    }

    #[tokio::test]
    async fn bodies_without_a_length_are_counted_as_they_stream() {
        let limits = crate::throttle::OutlookLimits {
            upload_bytes: 100,
            ..Default::default()
        };
        let t = Throttle::new(ThrottleMode::On, 1, None).with_outlook_limits(limits);
        let now = time::OffsetDateTime::now_utc();
        let permit = t.outlook(now, "app", "m", 0).expect("admitted");
        let meter = permit.meter().expect("meter");
        let clock: crate::clock::SharedClock = std::sync::Arc::new(crate::clock::SystemClock);
        let body = Body::new(Counted {
            inner: Body::from(vec![0u8; 160]),
            meter,
            clock,
        });
        assert_eq!(
            axum::body::to_bytes(body, 1 << 20)
                .await
                .expect("body")
                .len(),
            160
        );
        drop(permit);
        let refused = t.outlook(now, "app", "m", 1).expect_err("160 of 100 used");
        assert_eq!(refused.limit, crate::throttle::OutlookLimit::IncomingBytes);
    }

    #[test]
    fn outlook_paths_name_their_mailbox() {
        assert_eq!(
            mailbox_target("/v1.0/users/a@b.com/messages/x/$value"),
            Some(MailboxRef::User("a@b.com"))
        );
        assert_eq!(
            mailbox_target("/users/ID/MailFolders/inbox/messages/delta?$deltatoken=1"),
            Some(MailboxRef::User("ID"))
        );
        assert_eq!(mailbox_target("/me/calendarView"), Some(MailboxRef::Me));
        assert_eq!(
            mailbox_target("/groups/G/calendar/events"),
            Some(MailboxRef::Group("G"))
        );
        assert_eq!(mailbox_target("/users/ID"), None);
        assert_eq!(mailbox_target("/users/ID/memberOf"), None);
        assert_eq!(mailbox_target("/users/delta"), None);
        assert_eq!(mailbox_target("/groups/G/members"), None);
        assert_eq!(mailbox_target("/users/ID/drive/root"), None);
        assert_eq!(mailbox_target("/me"), None);
    }
}
