//! How people use the services, as Microsoft 365's usage reports show it: the
//! last day each person was active in each workload, and on which days before
//! that they were active too.
//!
//! A person's [`Usage`] is drawn from the seed when the tenant is generated:
//! most are active (last activity within the last month), some lapsing (last
//! activity one to six months ago), some dormant (nothing for more than 180
//! days) and some never active, although licensed. Only workloads the person
//! is licensed for see activity, never before the licence was assigned. Dates
//! count back from the day the tenant was generated minus [`REPORT_LAG_DAYS`],
//! the last day the reports have data for at start-up.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use time::{Date, Duration};

/// Days between today and the report refresh date (the last day with data):
/// Microsoft's reports are typically one to two days behind.
pub const REPORT_LAG_DAYS: i64 = 2;

/// A workload the usage reports track, in the order of their columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Workload {
    /// Exchange Online.
    Exchange,
    /// OneDrive for Business.
    OneDrive,
    /// SharePoint Online.
    SharePoint,
    /// Skype for Business Online.
    SkypeForBusiness,
    /// Yammer (Viva Engage).
    Yammer,
    /// Microsoft Teams.
    Teams,
}

impl Workload {
    /// Every workload, in the order of the reports' columns.
    pub const ALL: [Workload; 6] = [
        Workload::Exchange,
        Workload::OneDrive,
        Workload::SharePoint,
        Workload::SkypeForBusiness,
        Workload::Yammer,
        Workload::Teams,
    ];

    /// Its key in the ground truth (`exchange`, `onedrive`, `sharepoint`,
    /// `skypeForBusiness`, `yammer`, `teams`).
    pub fn key(self) -> &'static str {
        match self {
            Workload::Exchange => "exchange",
            Workload::OneDrive => "onedrive",
            Workload::SharePoint => "sharepoint",
            Workload::SkypeForBusiness => "skypeForBusiness",
            Workload::Yammer => "yammer",
            Workload::Teams => "teams",
        }
    }

    /// Its name in the reports' column headers ("Skype For Business").
    pub fn label(self) -> &'static str {
        match self {
            Workload::Exchange => "Exchange",
            Workload::OneDrive => "OneDrive",
            Workload::SharePoint => "SharePoint",
            Workload::SkypeForBusiness => "Skype For Business",
            Workload::Yammer => "Yammer",
            Workload::Teams => "Teams",
        }
    }

    /// The service plans that license it.
    pub fn plans(self) -> &'static [&'static str] {
        match self {
            Workload::Exchange => &["EXCHANGE_S_ENTERPRISE", "EXCHANGE_S_STANDARD"],
            Workload::OneDrive | Workload::SharePoint => &["SHAREPOINTENTERPRISE"],
            Workload::SkypeForBusiness => &["MCOSTANDARD"],
            Workload::Yammer => &["YAMMER_ENTERPRISE"],
            Workload::Teams => &["TEAMS1"],
        }
    }

    fn index(self) -> usize {
        self as usize
    }

    /// Percent of active licensed people who use it.
    fn uptake(self) -> u32 {
        match self {
            Workload::Exchange => 97,
            Workload::OneDrive => 80,
            Workload::SharePoint => 70,
            Workload::SkypeForBusiness => 10,
            Workload::Yammer => 25,
            Workload::Teams => 90,
        }
    }
}

/// How a person uses the services.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Usage {
    /// Last activity within the last month.
    Active,
    /// Last activity one to six months ago.
    Lapsing,
    /// No activity for more than 180 days.
    Dormant,
    /// Never active (or no licence to be active with).
    Never,
}

impl Usage {
    /// `active`, `lapsing`, `dormant`, `never`.
    pub fn as_str(self) -> &'static str {
        match self {
            Usage::Active => "active",
            Usage::Lapsing => "lapsing",
            Usage::Dormant => "dormant",
            Usage::Never => "never",
        }
    }

    /// Percent of the days before the last activity that were active too.
    fn frequency(self) -> u64 {
        match self {
            Usage::Active => 55,
            Usage::Lapsing => 20,
            Usage::Dormant => 10,
            Usage::Never => 0,
        }
    }
}

/// One person's activity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activity {
    /// How the person uses the services.
    pub usage: Usage,
    last: [Option<Date>; 6],
    since: [Option<Date>; 6],
    key: u64,
}

impl Activity {
    /// No activity at all.
    pub fn none() -> Self {
        Activity {
            usage: Usage::Never,
            last: [None; 6],
            since: [None; 6],
            key: 0,
        }
    }

    /// The last day of activity in `w` ever generated.
    pub fn last(&self, w: Workload) -> Option<Date> {
        self.last[w.index()]
    }

    /// Whether the person was active in `w` on `day`.
    pub fn active_on(&self, w: Workload, day: Date) -> bool {
        let (Some(last), Some(since)) = (self.last[w.index()], self.since[w.index()]) else {
            return false;
        };
        day == last
            || (day >= since
                && day < last
                && day_hash(self.key, w, day) % 100 < self.usage.frequency())
    }

    /// The last day of activity in `w` on or before `day`.
    pub fn last_as_of(&self, w: Workload, day: Date) -> Option<Date> {
        let (last, since) = (self.last[w.index()]?, self.since[w.index()]?);
        if last <= day {
            return Some(last);
        }
        let mut d = day;
        while d >= since {
            if self.active_on(w, d) {
                return Some(d);
            }
            d = d.previous_day()?;
        }
        None
    }

    /// The number of days from `from` to `to` (both included) with activity in `w`.
    pub fn active_days(&self, w: Workload, from: Date, to: Date) -> u32 {
        let mut n = 0;
        let mut d = from;
        while d <= to {
            n += u32::from(self.active_on(w, d));
            let Some(next) = d.next_day() else { break };
            d = next;
        }
        n
    }
}

/// Draws a person's activity. `licensed[w]` is the day the person was first
/// licensed for workload `w` (`None`: not licensed); `end` is the last day
/// with data; `usage` was drawn by the caller. Someone active, lapsing or
/// dormant uses at least one workload (dormant: one licensed more than 180
/// days before `end`, else the person is never active).
pub(super) fn generate(
    rng: &mut ChaCha8Rng,
    usage: Usage,
    licensed: [Option<Date>; 6],
    end: Date,
) -> Activity {
    let mut a = Activity {
        usage,
        last: [None; 6],
        since: licensed,
        key: rng.random(),
    };
    for w in Workload::ALL {
        let used = rng.random_range(0..100) < w.uptake();
        a.last[w.index()] = last_day(rng, usage, licensed[w.index()], end, used);
    }
    if a.last.iter().all(Option::is_none) {
        for w in Workload::ALL {
            a.last[w.index()] = last_day(rng, usage, licensed[w.index()], end, true);
            if a.last[w.index()].is_some() {
                break;
            }
        }
    }
    if a.last.iter().all(Option::is_none) {
        a.usage = Usage::Never;
    }
    a
}

/// The last day of activity in a workload licensed since `since`.
fn last_day(
    rng: &mut ChaCha8Rng,
    usage: Usage,
    since: Option<Date>,
    end: Date,
    used: bool,
) -> Option<Date> {
    let since = since.filter(|s| *s <= end)?;
    let days = |d: i64| end - Duration::days(d);
    if !used {
        return None;
    }
    match usage {
        Usage::Never => None,
        Usage::Active => {
            let back = if rng.random_bool(0.8) {
                rng.random_range(0..=6)
            } else {
                rng.random_range(7..=29)
            };
            Some(days(back).max(since))
        }
        Usage::Lapsing => {
            // One to six months ago, or since the licence if it is younger.
            let (lo, hi) = (days(170).max(since), days(31));
            let (lo, hi) = if lo <= hi { (lo, hi) } else { (since, end) };
            let span = (hi - lo).whole_days().max(0);
            Some(lo + Duration::days(rng.random_range(0..=span)))
        }
        Usage::Dormant => {
            let latest = days(181);
            (since <= latest).then(|| {
                let span = (latest - since).whole_days().max(0);
                since + Duration::days(rng.random_range(0..=span))
            })
        }
    }
}

/// Whether a dormant person could be generated with these licences: one of
/// them more than 180 days before `end`.
pub(super) fn can_be_dormant(licensed: &[Option<Date>; 6], end: Date) -> bool {
    let latest = end - Duration::days(181);
    licensed.iter().flatten().any(|s| *s <= latest)
}

fn mix(mut x: u64) -> u64 {
    // splitmix64
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

fn day_hash(key: u64, w: Workload, day: Date) -> u64 {
    let julian = u64::from(day.to_julian_day().unsigned_abs());
    mix(key ^ mix(w.index() as u64 + 1) ^ mix(julian))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn activity_is_consistent_with_its_last_day() {
        let end = Date::from_calendar_date(2025, time::Month::June, 30).expect("date");
        let since = end - Duration::days(300);
        let mut licensed = [None; 6];
        licensed[0] = Some(since);
        licensed[5] = Some(since);
        for seed in 0..20u64 {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let a = generate(&mut rng, Usage::Active, licensed, end);
            let last = a.last(Workload::Exchange).or(a.last(Workload::Teams));
            assert!(last.is_some(), "an active person uses something");
            for w in Workload::ALL {
                let Some(l) = a.last(w) else {
                    assert_eq!(a.active_days(w, since, end), 0);
                    continue;
                };
                assert!(l <= end && l >= since);
                assert!(a.active_on(w, l));
                assert_eq!(a.last_as_of(w, end), Some(l));
                let before = a.last_as_of(w, l - Duration::days(1));
                assert!(before.is_none_or(|b| b < l && a.active_on(w, b)));
                assert!(a.active_days(w, since, end) >= 1);
                assert!(!a.active_on(w, l + Duration::days(1)));
            }
            // Workloads without a licence see nothing.
            assert_eq!(a.last(Workload::Yammer), None);
        }
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let d = generate(&mut rng, Usage::Dormant, licensed, end);
        for w in Workload::ALL {
            assert!(d.last(w).is_none_or(|l| l <= end - Duration::days(181)));
        }
        assert!(can_be_dormant(&licensed, end));
        let mut recent = [None; 6];
        recent[0] = Some(end - Duration::days(20));
        assert!(!can_be_dormant(&recent, end));
    }
}
