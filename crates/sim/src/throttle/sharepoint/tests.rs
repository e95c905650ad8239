//! Costs, tiers and budgets of SharePoint's resource units.
use super::*;
use crate::config::ThrottleMode;

fn small(ru_per_minute: u32) -> SharePointBudget {
    SharePointLimits {
        ru_per_minute: Some(ru_per_minute),
        ..SharePointLimits::default()
    }
    .for_licences(10)
}

#[test]
fn paths_name_their_sharepoint_resource() {
    use SharePointRef::*;
    assert_eq!(
        target("/v1.0/drives/b!x/items/1"),
        Some(Drives(Some("b!x")))
    );
    assert_eq!(target("/drives"), Some(Drives(None)));
    assert_eq!(
        target("/v1.0/users/a@b.com/drive/root:/x.txt:/content"),
        Some(UserDrive("a@b.com"))
    );
    assert_eq!(target("/v1.0/users/ID/drives"), Some(UserDrive("ID")));
    assert_eq!(target("/v1.0/me/drive/root/children"), Some(MeDrive));
    assert_eq!(target("/v1.0/groups/G/drive/root"), Some(GroupDrive("G")));
    assert_eq!(target("/v1.0/groups/G/sites/root"), Some(GroupSites("G")));
    assert_eq!(target("/v1.0/sites/root"), Some(Sites(Some("root"))));
    assert_eq!(target("/v1.0/Sites?search=x"), Some(Sites(None)));
    assert_eq!(
        target("/v1.0/sites/getAllSites"),
        Some(Sites(Some("getAllSites")))
    );
    assert_eq!(
        target("/v1.0/shares/u!abc/driveItem"),
        Some(Shares(Some("u!abc")))
    );
    assert_eq!(target("/v1.0/users/ID/messages"), None);
    assert_eq!(target("/v1.0/users/ID"), None);
    assert_eq!(target("/v1.0/users/drive"), None);
    assert_eq!(target("/v1.0/groups/G/members"), None);
    assert_eq!(target("/v1.0/me"), None);
    assert_eq!(target("/v1.0/me/messages"), None);
    assert_eq!(target("/v1.0/subscribedSkus"), None);
}

#[test]
fn single_items_deltas_with_tokens_and_downloads_cost_one() {
    assert_eq!(cost("GET", "/v1.0/drives/d/items/i", ""), 1);
    assert_eq!(cost("GET", "/v1.0/sites/root", ""), 1);
    assert_eq!(cost("GET", "/v1.0/users/u/drive", ""), 1);
    assert_eq!(cost("GET", "/v1.0/drives/d/root:/a/children:", ""), 1);
    assert_eq!(
        cost("GET", "/v1.0/sites/s/lists/l/items/1", "$expand=fields"),
        1
    );
    assert_eq!(cost("GET", "/v1.0/drives/d/items/i/versions/3", ""), 1);
    assert_eq!(cost("GET", "/v1.0/drives/d/items/i/content", ""), 1);
    assert_eq!(cost("GET", "/v1.0/drives/d/root:/a/b.txt:/content", ""), 1);
    assert_eq!(cost("HEAD", "/v1.0/drives/d/items/i/content", ""), 1);
    assert_eq!(cost("GET", "/v1.0/drives/d/root/delta", "token=abc"), 1);
    assert_eq!(
        cost("GET", "/v1.0/drives/d/root/delta", "%24deltatoken=abc"),
        1
    );
    assert_eq!(cost("GET", "/v1.0/drives/d/root/delta(token='abc')", ""), 1);
    assert_eq!(
        cost(
            "GET",
            "/v1.0/drives/d/root/delta%28token%3D%27abc%27%29",
            ""
        ),
        1
    );
}

#[test]
fn collections_writes_uploads_and_deltas_without_tokens_cost_two() {
    assert_eq!(cost("GET", "/v1.0/drives/d/items/i/children", ""), 2);
    assert_eq!(
        cost("GET", "/v1.0/drives/d/root:/a:/children", "$top=200"),
        2
    );
    assert_eq!(cost("GET", "/v1.0/sites/s/lists", ""), 2);
    assert_eq!(
        cost("GET", "/v1.0/sites/s/lists/l/items", "$expand=fields"),
        2
    );
    assert_eq!(cost("GET", "/v1.0/sites/s/drives", ""), 2);
    assert_eq!(cost("GET", "/v1.0/groups/g/drives", ""), 2);
    assert_eq!(cost("GET", "/v1.0/sites", "search=*"), 2);
    assert_eq!(cost("GET", "/v1.0/sites/getAllSites", ""), 2);
    assert_eq!(cost("GET", "/v1.0/sites/s/sites", ""), 2);
    assert_eq!(cost("GET", "/v1.0/drives/d/items/i/versions", ""), 2);
    assert_eq!(cost("GET", "/v1.0/drives/d/root/search(q='x')", ""), 2);
    assert_eq!(cost("GET", "/v1.0/drives/d/root", "$expand=children"), 2);
    assert_eq!(cost("GET", "/v1.0/drives/d/root/delta", ""), 2);
    assert_eq!(cost("GET", "/v1.0/drives/d/root/delta", "token=latest"), 2);
    assert_eq!(
        cost("GET", "/v1.0/drives/d/root/microsoft.graph.delta()", ""),
        2
    );
    assert_eq!(cost("POST", "/v1.0/drives/d/items/i/children", ""), 2);
    assert_eq!(cost("PATCH", "/v1.0/drives/d/items/i", ""), 2);
    assert_eq!(cost("DELETE", "/v1.0/drives/d/items/i", ""), 2);
    assert_eq!(
        cost("PUT", "/v1.0/drives/d/items/p:/new.txt:/content", ""),
        2
    );
    assert_eq!(
        cost(
            "POST",
            "/v1.0/drives/d/items/p:/big.bin:/createUploadSession",
            ""
        ),
        2
    );
}

#[test]
fn permission_operations_cost_five() {
    assert_eq!(cost("GET", "/v1.0/drives/d/items/i/permissions", ""), 5);
    assert_eq!(cost("GET", "/v1.0/drives/d/items/i/permissions/p", ""), 5);
    assert_eq!(cost("PATCH", "/v1.0/drives/d/items/i/permissions/p", ""), 5);
    assert_eq!(
        cost("DELETE", "/v1.0/drives/d/items/i/permissions/p", ""),
        5
    );
    assert_eq!(cost("GET", "/v1.0/sites/s/permissions", ""), 5);
    assert_eq!(cost("POST", "/v1.0/drives/d/items/i/invite", ""), 5);
    assert_eq!(cost("POST", "/v1.0/drives/d/items/i/createLink", ""), 5);
    assert_eq!(cost("POST", "/v1.0/shares/s/permission/grant", ""), 5);
    assert_eq!(
        cost("GET", "/v1.0/drives/d/items/i", "$expand=permissions"),
        5
    );
    assert_eq!(
        cost(
            "GET",
            "/v1.0/drives/d/items/i/children",
            "%24expand=Permissions"
        ),
        5
    );
    // A file named "permissions" is not the permissions collection.
    assert_eq!(cost("GET", "/v1.0/drives/d/root:/permissions", ""), 1);
    assert_eq!(
        cost("GET", "/v1.0/drives/d/root:/permissions:/children", ""),
        2
    );
}

#[test]
fn licence_counts_map_to_microsofts_tiers() {
    assert_eq!(tier(0), (1_250, 1_200_000));
    assert_eq!(tier(1_000), (1_250, 1_200_000));
    assert_eq!(tier(1_001), (2_500, 2_400_000));
    assert_eq!(tier(5_000), (2_500, 2_400_000));
    assert_eq!(tier(5_001), (3_750, 3_600_000));
    assert_eq!(tier(15_000), (3_750, 3_600_000));
    assert_eq!(tier(15_001), (5_000, 4_800_000));
    assert_eq!(tier(50_000), (5_000, 4_800_000));
    assert_eq!(tier(50_001), (6_250, 6_000_000));
    let defaults = SharePointLimits::default();
    assert_eq!(defaults.for_licences(20_000).ru_per_minute, 5_000);
    assert_eq!(defaults.for_licences(20_000).ru_per_day, 4_800_000);
    assert_eq!(defaults.for_licences(20_000).user_requests_per_5min, 3_000);
    let fixed = SharePointLimits {
        ru_per_minute: Some(60),
        ru_per_day: Some(600),
        ..defaults
    };
    assert_eq!(fixed.for_licences(99_999).ru_per_minute, 60);
    assert_eq!(fixed.for_licences(99_999).ru_per_day, 600);
}

#[test]
fn the_minute_budget_runs_out_with_headers_near_the_end() {
    let t = Throttle::new(ThrottleMode::On, 10, None);
    let budget = small(60);
    let now = OffsetDateTime::now_utc();
    for i in 1..=60u64 {
        let a = t
            .sharepoint(now, &budget, "app", None, 1)
            .expect("within budget");
        // From 80 % in use (the 48th request), the RateLimit headers.
        if i < 48 {
            assert_eq!(a.rate_limit, None, "request {i}");
        } else {
            assert_eq!(
                a.rate_limit,
                Some(RateLimit {
                    limit: 60,
                    remaining: 60 - i,
                    reset: i
                }),
                "request {i}"
            );
        }
    }
    let refused = t
        .sharepoint(now, &budget, "APP", None, 1)
        .expect_err("the 61st is refused");
    assert_eq!(refused.limit, SharePointLimit::AppMinute);
    // The refused request counted: 2 RU missing at 1 RU per second.
    assert_eq!(refused.retry_after, 2);
    assert!(!refused.unavailable);
    assert_eq!(
        refused.rate_limit,
        RateLimit {
            limit: 60,
            remaining: 0,
            reset: 2
        }
    );
    // Another app has its own budget.
    assert!(t.sharepoint(now, &budget, "other", None, 5).is_ok());
    // Honouring Retry-After works.
    let later = now + time::Duration::seconds(2);
    assert!(t.sharepoint(later, &budget, "app", None, 1).is_ok());
    // A cost larger than the budget passes once the budget is whole.
    let whole = later + time::Duration::seconds(60);
    assert!(
        t.sharepoint(whole, &budget, "app", None, 500).is_ok(),
        "whole budget"
    );
}

#[test]
fn every_tenth_refusal_is_a_503() {
    let t = Throttle::new(ThrottleMode::On, 10, None);
    let budget = small(10);
    let now = OffsetDateTime::now_utc();
    for _ in 0..10 {
        t.sharepoint(now, &budget, "app", None, 1).expect("within");
    }
    let unavailable: Vec<bool> = (0..20)
        .map(|_| {
            t.sharepoint(now, &budget, "app", None, 1)
                .expect_err("over")
                .unavailable
        })
        .collect();
    let at: Vec<usize> = unavailable
        .iter()
        .enumerate()
        .filter(|(_, u)| **u)
        .map(|(i, _)| i + 1)
        .collect();
    assert_eq!(at, vec![10, 20]);
    let failure = refusal(
        &t.sharepoint(now, &budget, "app", None, 1)
            .expect_err("over"),
        true,
    );
    assert_eq!(failure.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(failure.code, "activityLimitReached");
    assert_eq!(failure.message, "The request has been throttled");
    let names: Vec<&str> = failure.headers.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "retry-after",
            "ratelimit-limit",
            "ratelimit-remaining",
            "ratelimit-reset"
        ]
    );
    let no_503 = SharePointBudget {
        unavailable_every: 0,
        ..budget
    };
    for _ in 0..30 {
        assert!(
            !t.sharepoint(now, &no_503, "app", None, 1)
                .expect_err("over")
                .unavailable
        );
    }
    let r = SharePointRefusal {
        limit: SharePointLimit::AppMinute,
        retry_after: 7,
        unavailable: true,
        rate_limit: RateLimit {
            limit: 10,
            remaining: 0,
            reset: 7,
        },
    };
    let failure = refusal(&r, true);
    assert_eq!(failure.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(failure.code, "serviceNotAvailable");
    assert_eq!(failure.message, "Service unavailable");
    assert_eq!(failure.headers.len(), 1);
    assert_eq!(failure.headers[0].1, "7");
}

#[test]
fn the_day_budget_and_the_user_budget_bind_too() {
    let t = Throttle::new(ThrottleMode::On, 10, None);
    let budget = SharePointLimits {
        ru_per_minute: Some(100_000),
        ru_per_day: Some(86_400),
        user_requests_per_5min: 3,
        ..SharePointLimits::default()
    }
    .for_licences(1);
    let now = OffsetDateTime::now_utc();
    for _ in 0..100 {
        t.sharepoint(now, &budget, "a", None, 864).expect("within");
    }
    let refused = t
        .sharepoint(now, &budget, "a", None, 864)
        .expect_err("day used up");
    assert_eq!(refused.limit, SharePointLimit::AppDay);
    // 1,728 RU missing (the refused request counted) at 1 RU per second.
    assert_eq!(refused.retry_after, 1_728);
    // Users: 3 requests per 5 minutes, whatever the app.
    for app in ["b", "c", "d"] {
        t.sharepoint(now, &budget, app, Some("U1"), 1)
            .expect("within");
    }
    let refused = t
        .sharepoint(now, &budget, "e", Some("u1"), 1)
        .expect_err("user over");
    assert_eq!(refused.limit, SharePointLimit::User);
    // 2 requests missing at 3 per 300 s.
    assert_eq!(refused.retry_after, 200);
    assert!(t.sharepoint(now, &budget, "e", Some("u2"), 1).is_ok());
    assert!(t.sharepoint(now, &budget, "e", None, 1).is_ok());
}

#[test]
fn throttling_off_never_refuses() {
    let t = Throttle::new(ThrottleMode::Off, 10, None);
    let budget = small(1);
    let now = OffsetDateTime::now_utc();
    for _ in 0..1_000 {
        assert_eq!(
            t.sharepoint(now, &budget, "app", Some("u"), 5),
            Ok(Admission::default())
        );
    }
}
