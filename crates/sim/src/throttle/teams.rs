//! Microsoft Teams throttling, as Graph's "Microsoft Teams service limits"
//! documents it: requests per second per app per tenant by kind of request
//! (GET channel message 20, GET chat message 20, `getAllMessages` 200, GET
//! team, channel or members 60, POST channel message 50, other GET 30, other
//! calls 30), and at most 4 requests per second per app on any one team or
//! channel. Limits are token buckets (Microsoft: "throttling is based on a
//! token bucket algorithm") holding one second of requests. A refused
//! request takes nothing and gets 429 `TooManyRequests` with `Retry-After`.
//!
//! Which requests count ([`target`]): `/teams…` and `/groups/{id}/team`.
//! Chat routes can use [`admit`] with [`TeamsRequest::GetChatMessage`].

use std::collections::HashMap;
use std::sync::Mutex;

use time::OffsetDateTime;

use super::{Bucket, Decision, Throttle};
use crate::failure::GraphFailure;
use crate::graph::Principal;
use crate::state::SimState;

/// Teams' limits in requests per second (Microsoft's figures by default;
/// tests set small ones).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TeamsLimits {
    /// GET of channel messages, replies, their delta and hosted contents (20).
    pub get_channel_message: u32,
    /// GET of chat messages (20).
    pub get_chat_message: u32,
    /// `getAllMessages` (200).
    pub get_all_messages: u32,
    /// GET of teams, channels and members (60).
    pub get_team_channel_members: u32,
    /// POST of channel messages and replies (50).
    pub post_channel_message: u32,
    /// Other GET calls (30).
    pub other_get: u32,
    /// Other calls (30).
    pub other: u32,
    /// Requests per app on any one team or channel (4).
    pub per_team_or_channel: u32,
}

impl Default for TeamsLimits {
    fn default() -> Self {
        TeamsLimits {
            get_channel_message: 20,
            get_chat_message: 20,
            get_all_messages: 200,
            get_team_channel_members: 60,
            post_channel_message: 50,
            other_get: 30,
            other: 30,
            per_team_or_channel: 4,
        }
    }
}

/// The kind of a Teams request, which decides its limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TeamsRequest {
    /// GET channel message(s), replies, delta, hosted contents.
    GetChannelMessage,
    /// GET chat message(s).
    GetChatMessage,
    /// `getAllMessages`.
    GetAllMessages,
    /// GET team(s), channel(s), members.
    GetTeamChannelMembers,
    /// POST channel message or reply.
    PostChannelMessage,
    /// Any other GET.
    OtherGet,
    /// Any other call.
    Other,
}

impl TeamsRequest {
    fn limit(self, l: &TeamsLimits) -> u32 {
        match self {
            TeamsRequest::GetChannelMessage => l.get_channel_message,
            TeamsRequest::GetChatMessage => l.get_chat_message,
            TeamsRequest::GetAllMessages => l.get_all_messages,
            TeamsRequest::GetTeamChannelMembers => l.get_team_channel_members,
            TeamsRequest::PostChannelMessage => l.post_channel_message,
            TeamsRequest::OtherGet => l.other_get,
            TeamsRequest::Other => l.other,
        }
    }
}

/// What a Teams request is and which team or channel it targets (for the
/// per-team-or-channel limit; `None` when it is not held to it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TeamsTarget<'a> {
    /// Its kind.
    pub kind: TeamsRequest,
    /// The team or channel id.
    pub resource: Option<&'a str>,
}

/// The Teams request a Graph call is (`path` with or without `/v1.0`), or
/// `None` when it is not one of the Teams routes this module covers.
pub fn target<'a>(method: &str, path: &'a str) -> Option<TeamsTarget<'a>> {
    let path = path.split('?').next().unwrap_or_default();
    let path = path.strip_prefix("/v1.0").unwrap_or(path);
    let s: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let is = |k: usize, name: &str| s.get(k).is_some_and(|x| x.eq_ignore_ascii_case(name));
    let get = method.eq_ignore_ascii_case("GET");
    let other = if get {
        TeamsRequest::OtherGet
    } else {
        TeamsRequest::Other
    };
    let t = |kind, resource| Some(TeamsTarget { kind, resource });
    if is(0, "groups") && is(2, "team") && s.len() == 3 {
        return t(
            if get {
                TeamsRequest::GetTeamChannelMembers
            } else {
                other
            },
            s.get(1).copied(),
        );
    }
    if !is(0, "teams") {
        return None;
    }
    let team = s.get(1).copied().filter(|x| !x.is_empty());
    let structure = if get {
        TeamsRequest::GetTeamChannelMembers
    } else {
        other
    };
    match s.len() {
        0..=2 => t(structure, team),
        3 if is(2, "channels") || is(2, "allChannels") || is(2, "primaryChannel") => {
            t(structure, team)
        }
        3 if is(2, "members") => t(structure, team),
        4 if is(2, "channels") && is(3, "getAllMessages") => {
            // The export API has its own, higher limit.
            t(
                if get {
                    TeamsRequest::GetAllMessages
                } else {
                    other
                },
                None,
            )
        }
        _ if is(2, "channels") => {
            let channel = s.get(3).copied();
            if s.len() == 4 || is(4, "members") {
                return t(structure, channel);
            }
            if is(4, "messages") {
                let post = method.eq_ignore_ascii_case("POST")
                    && (s.len() == 5 || (s.len() == 7 && is(6, "replies")));
                let kind = if get {
                    TeamsRequest::GetChannelMessage
                } else if post {
                    TeamsRequest::PostChannelMessage
                } else {
                    other
                };
                return t(kind, channel);
            }
            t(other, channel)
        }
        _ => t(other, team),
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Kind(TeamsRequest),
    Resource(String),
}

/// The Teams budgets of every app that called.
#[derive(Debug, Default)]
pub struct TeamsBudgets {
    inner: Mutex<HashMap<(String, Key), Bucket>>,
}

impl Throttle {
    /// Admits a Teams request of `app_id` of `kind` on `resource` against
    /// `limits`, or answers the seconds to wait. A refused request takes nothing.
    pub fn teams(
        &self,
        now: OffsetDateTime,
        limits: &TeamsLimits,
        app_id: &str,
        kind: TeamsRequest,
        resource: Option<&str>,
    ) -> Result<(), u64> {
        if !self.enabled() {
            return Ok(());
        }
        let app = app_id.to_ascii_lowercase();
        let mut buckets = self.teams.inner.lock().unwrap_or_else(|e| e.into_inner());
        let mut keys = vec![(Key::Kind(kind), kind.limit(limits))];
        if let Some(r) = resource {
            keys.push((
                Key::Resource(r.to_ascii_lowercase()),
                limits.per_team_or_channel,
            ));
        }
        let mut wait = 0;
        for (key, rps) in &keys {
            let rps = f64::from((*rps).max(1));
            let b = buckets
                .entry((app.clone(), key.clone()))
                .or_insert_with(|| Bucket::new(rps, 1.0));
            if let Err(w) = b.available(now, 1.0) {
                wait = wait.max(w);
            }
        }
        if wait > 0 {
            return Err(wait);
        }
        for (key, _) in keys {
            if let Some(b) = buckets.get_mut(&(app.clone(), key)) {
                b.take(1.0);
            }
        }
        Ok(())
    }
}

/// Applies the global limit (130,000 requests per 10 seconds per app) and
/// Teams' limits to a request of `principal`; the error is the 429 to
/// answer. Counts refusals in the stats (`teams_throttled`).
pub fn admit(
    state: &SimState,
    principal: &Principal,
    target: TeamsTarget<'_>,
) -> Result<(), GraphFailure> {
    let now = state.now();
    let app_id = principal.app_id();
    let tenant_id = state.tenant().id.to_string();
    if let Decision::Throttled {
        retry_after,
        scope,
        information,
    } = state.throttle.global(now, app_id, &tenant_id)
    {
        state.stats.teams(true);
        return Err(super::outlook::global_refusal(
            retry_after,
            scope,
            information,
        ));
    }
    let decision = state.throttle.teams(
        now,
        &state.config.teams_limits,
        app_id,
        target.kind,
        target.resource,
    );
    state.stats.teams(decision.is_err());
    decision.map_err(super::outlook::too_many_requests)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ThrottleMode;

    #[test]
    fn paths_name_their_kind_and_resource() {
        use TeamsRequest::*;
        let k = |m: &str, p: &'static str| target(m, p).map(|t| (t.kind, t.resource));
        assert_eq!(k("GET", "/v1.0/teams"), Some((GetTeamChannelMembers, None)));
        assert_eq!(
            k("GET", "/teams/T"),
            Some((GetTeamChannelMembers, Some("T")))
        );
        assert_eq!(
            k("GET", "/teams/T/channels"),
            Some((GetTeamChannelMembers, Some("T")))
        );
        assert_eq!(k("POST", "/teams/T/channels"), Some((Other, Some("T"))));
        assert_eq!(
            k("GET", "/teams/T/channels/C"),
            Some((GetTeamChannelMembers, Some("C")))
        );
        assert_eq!(
            k("GET", "/teams/T/channels/C/messages/delta"),
            Some((GetChannelMessage, Some("C")))
        );
        assert_eq!(
            k(
                "GET",
                "/teams/T/channels/C/messages/1/hostedContents/h/$value"
            ),
            Some((GetChannelMessage, Some("C")))
        );
        assert_eq!(
            k("POST", "/teams/T/channels/C/messages"),
            Some((PostChannelMessage, Some("C")))
        );
        assert_eq!(
            k("POST", "/teams/T/channels/C/messages/1/replies"),
            Some((PostChannelMessage, Some("C")))
        );
        assert_eq!(
            k("POST", "/teams/T/channels/C/completeMigration"),
            Some((Other, Some("C")))
        );
        assert_eq!(
            k("GET", "/teams/T/channels/getAllMessages"),
            Some((GetAllMessages, None))
        );
        assert_eq!(
            k("GET", "/groups/G/team"),
            Some((GetTeamChannelMembers, Some("G")))
        );
        assert_eq!(k("GET", "/groups/G"), None);
        assert_eq!(k("GET", "/chats/x/messages"), None);
        assert_eq!(k("GET", "/users/u/messages"), None);
    }

    #[test]
    fn four_per_second_on_one_channel_and_a_limit_per_kind() {
        let t = Throttle::new(ThrottleMode::On, 10, None);
        let l = TeamsLimits::default();
        let now = OffsetDateTime::now_utc();
        let get = TeamsRequest::GetChannelMessage;
        for _ in 0..4 {
            assert_eq!(t.teams(now, &l, "app", get, Some("c1")), Ok(()));
        }
        assert_eq!(t.teams(now, &l, "app", get, Some("c1")), Err(1));
        // Another channel, or another app, has its own budget.
        assert_eq!(t.teams(now, &l, "app", get, Some("c2")), Ok(()));
        assert_eq!(t.teams(now, &l, "other", get, Some("c1")), Ok(()));
        // A second later the channel takes requests again.
        let later = now + time::Duration::seconds(1);
        assert_eq!(t.teams(later, &l, "app", get, Some("c1")), Ok(()));
        // The kind's limit binds across channels: 20 per second in all.
        let t = Throttle::new(ThrottleMode::On, 10, None);
        let refused = (0..30)
            .filter(|k| {
                t.teams(now, &l, "app", get, Some(&format!("c{k}")))
                    .is_err()
            })
            .count();
        assert_eq!(refused, 10);
        let off = Throttle::new(ThrottleMode::Off, 10, None);
        assert!((0..100).all(|_| off.teams(now, &l, "app", get, Some("c")).is_ok()));
    }
}
