//! The licensing picture of a generated tenant, on top of the licences people
//! are created with: add-on products (Power BI Pro with unassigned seats, a
//! Visio trial that expired and is in its grace period, a Project
//! subscription that was cancelled and is suspended while people still hold
//! its licences), service plans turned off in some licences, and each
//! person's activity (some licensed people dormant or never active, some of
//! the dormant ones with sign-in blocked, as leavers are).
//!
//! Everything here draws from its own random streams, so the people, their
//! base licences and everything generated from them (mailboxes, drives,
//! chats) are the same as without it.

use model::Guid;
use rand::Rng;
use time::{Date, Duration, OffsetDateTime};

use super::activity::{self, Usage, Workload};
use super::{MailboxPurpose, SimSku, Tenant};
use crate::seed::Seed;

/// A subscription to a product (`/directory/subscriptions`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    /// Its id (listed in the SKU's `subscriptionIds`).
    pub id: Guid,
    /// Its id in the commerce system.
    pub commerce_id: Guid,
    /// When it was bought.
    pub created: OffsetDateTime,
    /// Seats it includes.
    pub total: i64,
    /// When it moves to its next state if not renewed.
    pub next_lifecycle: OffsetDateTime,
}

/// The subscriptions behind `sku`: one, or two for a product bought twice
/// (Office 365 E3 with at least four seats), whose seats add up to the SKU's.
pub fn subscriptions(t: &Tenant, sku: &SimSku) -> Vec<Subscription> {
    let s = Seed(t.seed);
    let total = sku.enabled + sku.warning + sku.suspended + sku.locked_out;
    let split = if sku.part_number == "ENTERPRISEPACK" && total >= 4 {
        vec![total - total / 4, total / 4]
    } else {
        vec![total]
    };
    split
        .into_iter()
        .enumerate()
        .map(|(k, seats)| {
            let created = sku.purchased + Duration::days(45 * k as i64);
            // Yearly terms renew on their anniversary; a subscription in its
            // grace period is suspended 30 days after expiring, a suspended
            // one deleted 90 days after it was suspended.
            let next_lifecycle = match sku.capability_status {
                "Warning" => t.generated + Duration::days(12),
                "Suspended" => t.generated + Duration::days(64),
                _ => {
                    let mut renew = created + Duration::days(365);
                    while renew <= t.generated {
                        renew += Duration::days(365);
                    }
                    renew
                }
            };
            Subscription {
                id: s.guid(sku.part_number, k as u64),
                commerce_id: s.guid(&format!("commerce:{}", sku.part_number), k as u64),
                created,
                total: seats,
                next_lifecycle,
            }
        })
        .collect()
}

fn sku_index(t: &Tenant, part: &str) -> Option<usize> {
    t.skus.iter().position(|s| s.part_number == part)
}

/// Completes the licensing picture of a freshly generated tenant.
pub(super) fn finish(s: Seed, t: &mut Tenant, now: OffsetDateTime) {
    assign_add_ons(s, t, now);
    turn_off_plans(s, t);
    set_states(s, t);
    draw_activity(s, t, now);
}

fn person(t: &Tenant, i: usize) -> bool {
    let u = &t.users[i];
    u.purpose == MailboxPurpose::User && !u.licenses.is_empty()
}

/// Power BI Pro (about one in six people with E3 or E5), Visio Plan 2 (one in
/// twelve) and Project Plan 3 (one in sixteen); at least one person each for
/// Visio and Project once the tenant has five licensed people.
fn assign_add_ons(s: Seed, t: &mut Tenant, now: OffsetDateTime) {
    let (Some(bi), Some(visio), Some(project), Some(e5), Some(e3)) = (
        sku_index(t, "POWER_BI_PRO"),
        sku_index(t, "VISIOCLIENT"),
        sku_index(t, "PROJECTPROFESSIONAL"),
        sku_index(t, "SPE_E5"),
        sku_index(t, "ENTERPRISEPACK"),
    ) else {
        return;
    };
    let ids = |k: usize| t.skus[k].sku_id;
    let (bi, visio, project, e5, e3) = (ids(bi), ids(visio), ids(project), ids(e5), ids(e3));
    let people: Vec<usize> = (0..t.users.len()).filter(|&i| person(t, i)).collect();
    let latest = now - Duration::days(1);
    for &i in &people {
        let mut rng = s.rng("licence-add-ons", i as u64);
        let u = &mut t.users[i];
        let enterprise = u.licenses.contains(&e5) || u.licenses.contains(&e3);
        let mut add = |sku: Guid, rng: &mut rand_chacha::ChaCha8Rng| {
            let on = (u.created + Duration::days(rng.random_range(0..=120))).min(latest);
            u.licenses.push(sku);
            u.license_dates.push((sku, on.max(u.created)));
        };
        if enterprise && rng.random_bool(0.16) {
            add(bi, &mut rng);
        }
        if rng.random_bool(0.08) {
            add(visio, &mut rng);
        }
        if rng.random_bool(0.06) {
            add(project, &mut rng);
        }
    }
    if people.len() >= 5 {
        for (sku, from_end) in [(visio, 1), (project, 2)] {
            let held = people.iter().any(|&i| t.users[i].licenses.contains(&sku));
            if let (false, Some(&i)) = (held, people.iter().rev().nth(from_end)) {
                let u = &mut t.users[i];
                let on = (u.created + Duration::days(30)).min(latest).max(u.created);
                u.licenses.push(sku);
                u.license_dates.push((sku, on));
            }
        }
    }
}

/// Yammer turned off in about a quarter of the E3 and E5 licences, Skype for
/// Business in about one in seven (as organisations that do not use them do).
fn turn_off_plans(s: Seed, t: &mut Tenant) {
    let plan = |t: &Tenant, part: &str, name: &str| {
        let sku = t.skus.iter().find(|s| s.part_number == part)?;
        let (id, _, _) = sku.service_plans.iter().find(|(_, n, _)| *n == name)?;
        Some((sku.sku_id, *id))
    };
    let mut candidates = Vec::new();
    for part in ["SPE_E5", "ENTERPRISEPACK"] {
        if let (Some(yammer), Some(skype)) = (
            plan(t, part, "YAMMER_ENTERPRISE"),
            plan(t, part, "MCOSTANDARD"),
        ) {
            candidates.push((yammer, skype));
        }
    }
    let mut turned_off = 0;
    let mut holders = Vec::new();
    for (i, u) in t.users.iter_mut().enumerate() {
        let mut rng = s.rng("licence-plans", i as u64);
        for &(yammer, skype) in &candidates {
            if !u.licenses.contains(&yammer.0) {
                continue;
            }
            holders.push((i, yammer));
            if rng.random_bool(0.25) {
                u.disabled_plans.push(yammer);
                turned_off += 1;
            }
            if rng.random_bool(0.15) {
                u.disabled_plans.push(skype);
            }
        }
    }
    if turned_off == 0
        && holders.len() >= 4
        && let Some(&(i, yammer)) = holders.get(1)
    {
        t.users[i].disabled_plans.push(yammer);
    }
}

/// Seats and states: the base products and Power BI have spare seats; Visio
/// is an expired trial in its grace period (`Warning`: no enabled units, its
/// seats in `warning`); Project was cancelled (`Suspended`).
fn set_states(s: Seed, t: &mut Tenant) {
    let mut rng = s.rng("licence-states", 0);
    let consumed: Vec<i64> = t
        .skus
        .iter()
        .map(|sku| t.consumed_units(sku.sku_id) as i64)
        .collect();
    let tenant_created = t.created;
    for (k, sku) in t.skus.iter_mut().enumerate() {
        sku.purchased = tenant_created + Duration::days(rng.random_range(0..20));
        match sku.part_number {
            "POWER_BI_PRO" => {
                sku.enabled = consumed[k] + rng.random_range(3..=12);
                sku.purchased = tenant_created + Duration::days(rng.random_range(60..120));
            }
            "VISIOCLIENT" => {
                sku.capability_status = "Warning";
                sku.enabled = 0;
                sku.warning = consumed[k] + rng.random_range(0..=2);
                sku.trial = true;
                sku.purchased = tenant_created + Duration::days(rng.random_range(150..200));
            }
            "PROJECTPROFESSIONAL" => {
                sku.capability_status = "Suspended";
                sku.enabled = 0;
                sku.suspended = consumed[k] + rng.random_range(1..=3);
                sku.purchased = tenant_created + Duration::days(rng.random_range(30..90));
            }
            _ => {}
        }
    }
}

/// Each person's activity; dormant people have sign-in blocked half of the
/// time. At least one dormant and one never-active licensed person once the
/// tenant has six licensed people.
fn draw_activity(s: Seed, t: &mut Tenant, now: OffsetDateTime) {
    let end = now.date() - Duration::days(activity::REPORT_LAG_DAYS);
    let licensed: Vec<[Option<Date>; 6]> = (0..t.users.len())
        .map(|i| Workload::ALL.map(|w| t.licensed_for(i, w).map(|d| d.date())))
        .collect();
    let mut usages: Vec<Usage> = (0..t.users.len())
        .map(|i| {
            if !person(t, i) || licensed[i].iter().all(Option::is_none) {
                return Usage::Never;
            }
            if i == 0 {
                return Usage::Active;
            }
            let mut rng = s.rng("usage", i as u64);
            match rng.random_range(0..100) {
                0..68 => Usage::Active,
                68..80 => Usage::Lapsing,
                80..92 if activity::can_be_dormant(&licensed[i], end) => Usage::Dormant,
                80..92 => Usage::Lapsing,
                _ => Usage::Never,
            }
        })
        .collect();
    let people: Vec<usize> = (1..t.users.len())
        .filter(|&i| person(t, i) && licensed[i].iter().any(Option::is_some))
        .collect();
    if people.len() >= 6 {
        if !usages.contains(&Usage::Dormant)
            && let Some(&i) = people
                .iter()
                .rev()
                .find(|&&i| activity::can_be_dormant(&licensed[i], end))
        {
            usages[i] = Usage::Dormant;
        }
        if !usages
            .iter()
            .enumerate()
            .any(|(i, u)| *u == Usage::Never && people.contains(&i))
            && let Some(&i) = people.iter().find(|&&i| usages[i] == Usage::Active)
        {
            usages[i] = Usage::Never;
        }
    }
    for (i, usage) in usages.into_iter().enumerate() {
        let mut rng = s.rng("activity", i as u64);
        let a = activity::generate(&mut rng, usage, licensed[i], end);
        let u = &mut t.users[i];
        if a.usage == Usage::Dormant && i != 0 && rng.random_bool(0.5) {
            u.account_enabled = false;
        }
        u.activity = a;
    }
}
