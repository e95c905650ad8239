//! Retention: which runs to keep, per resource, and `forget` of the others.
//!
//! For every resource, its runs (newest first) are kept by `keep-last`,
//! `keep-daily`/`weekly`/`monthly`/`yearly` (the newest run of each of the last N
//! days/ISO weeks/months/years that have runs) and `keep-within` (runs younger than
//! the duration, counted back from the resource's newest run, so retention never
//! empties a resource whose backups stopped). A run is kept when any of its
//! resources keeps it. On top: runs holding a version of an item deleted in
//! Microsoft 365 less than `keep-deleted-days` ago, and every run of a resource or
//! item under legal hold, are kept whatever the rules say.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::backend::FileKind;
use crate::error::StoreError;
use crate::id::ManifestId;
use crate::repo::Repository;

/// The rules. At least one `keep-*` rule must be set.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RetentionPolicy {
    /// Keep the newest N runs.
    pub keep_last: Option<u32>,
    /// Keep the newest run of each of the last N days.
    pub keep_daily: Option<u32>,
    /// … of each of the last N ISO weeks.
    pub keep_weekly: Option<u32>,
    /// … of each of the last N months.
    pub keep_monthly: Option<u32>,
    /// … of each of the last N years.
    pub keep_yearly: Option<u32>,
    /// Keep every run younger than this (e.g. `30d`, `1y6m`), counted from the newest run.
    pub keep_within: Option<KeepWithin>,
    /// Keep the versions of an item for N days after it was deleted in Microsoft 365.
    pub keep_deleted_days: Option<u32>,
}

/// A duration written as `1y2m3w4d5h` (years, months, weeks, days, hours).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct KeepWithin {
    months: u32,
    hours: u64,
}

impl TryFrom<String> for KeepWithin {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

impl From<KeepWithin> for String {
    fn from(k: KeepWithin) -> String {
        let mut out = String::new();
        if k.months > 0 {
            out += &format!("{}m", k.months);
        }
        if k.hours > 0 || out.is_empty() {
            if k.hours.is_multiple_of(24) {
                out += &format!("{}d", k.hours / 24)
            } else {
                out += &format!("{}h", k.hours)
            }
        }
        out
    }
}

impl std::str::FromStr for KeepWithin {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || {
            format!(
                "{s:?} is not a duration: write it like 30d, 12w, 6m, 1y or 1y6m (y, m, w, d, h)"
            )
        };
        let (mut months, mut hours, mut num) = (0u32, 0u64, String::new());
        for c in s.trim().chars() {
            if c.is_ascii_digit() {
                num.push(c);
                continue;
            }
            let n: u64 = num.parse().map_err(|_| bad())?;
            num.clear();
            match c {
                'y' => months += u32::try_from(n * 12).map_err(|_| bad())?,
                'm' => months += u32::try_from(n).map_err(|_| bad())?,
                'w' => hours += n * 24 * 7,
                'd' => hours += n * 24,
                'h' => hours += n,
                _ => return Err(bad()),
            }
        }
        if !num.is_empty() || (months == 0 && hours == 0) {
            return Err(bad());
        }
        Ok(Self { months, hours })
    }
}

impl KeepWithin {
    /// `time - self`.
    fn before(self, time: OffsetDateTime) -> OffsetDateTime {
        let mut date = time.date();
        for _ in 0..self.months {
            date = date
                .replace_day(1)
                .ok()
                .and_then(|d| d.previous_day())
                .map_or(date, |last_of_prev| {
                    let day = time.day().min(last_of_prev.day());
                    last_of_prev.replace_day(day).unwrap_or(last_of_prev)
                });
        }
        time.replace_date(date) - time::Duration::hours(self.hours as i64)
    }
}

/// Maps a run's time to its day, week, month or year.
type Bucket = fn(OffsetDateTime) -> i64;

impl RetentionPolicy {
    /// Whether any rule is set; forgetting without one would remove everything.
    pub fn is_empty(&self) -> bool {
        self.keep_last.is_none()
            && self.keep_daily.is_none()
            && self.keep_weekly.is_none()
            && self.keep_monthly.is_none()
            && self.keep_yearly.is_none()
            && self.keep_within.is_none()
    }

    /// The reasons to keep each of a resource's runs, given newest first.
    fn keep(&self, runs: &[OffsetDateTime]) -> Vec<Vec<String>> {
        let mut reasons = vec![Vec::new(); runs.len()];
        if let Some(n) = self.keep_last {
            for r in reasons.iter_mut().take(n as usize) {
                r.push("last".to_owned());
            }
        }
        let buckets: [(Option<u32>, &str, Bucket); 4] = [
            (self.keep_daily, "daily", |t| {
                i64::from(t.year()) * 1000 + i64::from(t.ordinal())
            }),
            (self.keep_weekly, "weekly", |t| {
                let (y, w, _) = t.date().to_iso_week_date();
                i64::from(y) * 100 + i64::from(w)
            }),
            (self.keep_monthly, "monthly", |t| {
                i64::from(t.year()) * 100 + i64::from(u8::from(t.month()))
            }),
            (self.keep_yearly, "yearly", |t| i64::from(t.year())),
        ];
        for (count, name, bucket) in buckets {
            let Some(n) = count else { continue };
            let mut seen = HashSet::new();
            for (i, t) in runs.iter().enumerate() {
                if seen.len() >= n as usize {
                    break;
                }
                if seen.insert(bucket(*t)) {
                    reasons[i].push(name.to_owned());
                }
            }
        }
        if let (Some(within), Some(newest)) = (self.keep_within, runs.first()) {
            let limit = within.before(*newest);
            for (i, t) in runs.iter().enumerate() {
                if *t >= limit {
                    reasons[i].push("within".to_owned());
                }
            }
        }
        reasons
    }
}

/// A legal hold: on a whole resource, or one item of it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Hold {
    /// The resource.
    pub resource: String,
    /// The item, or `None` for the whole resource.
    pub item: Option<String>,
}

/// One run in a forget plan.
#[derive(Debug, Clone, Serialize)]
pub struct PlannedRun {
    /// Its manifest.
    pub manifest: ManifestId,
    /// Its run id.
    pub run_id: String,
    /// When it started.
    #[serde(with = "time::serde::rfc3339")]
    pub started: OffsetDateTime,
    /// Why it is kept (`last`, `daily`, …, `deleted-item`, `legal-hold`), empty if forgotten.
    pub reasons: BTreeSet<String>,
}

/// What forget keeps and removes.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ForgetPlan {
    /// Runs kept, newest first.
    pub keep: Vec<PlannedRun>,
    /// Runs to forget, newest first.
    pub forget: Vec<PlannedRun>,
}

/// Works out which runs the policy keeps.
pub async fn plan(
    repo: &Repository,
    policy: &RetentionPolicy,
    holds: &[Hold],
    now: OffsetDateTime,
) -> Result<ForgetPlan, StoreError> {
    if policy.is_empty() {
        return Err(StoreError::Invalid(
            "no retention rule given: set at least one of --keep-last, --keep-daily, --keep-weekly, --keep-monthly, --keep-yearly, --keep-within".into(),
        ));
    }
    let held_resources: HashSet<&str> = holds
        .iter()
        .filter(|h| h.item.is_none())
        .map(|h| h.resource.as_str())
        .collect();
    let held_items: HashSet<(&str, &str)> = holds
        .iter()
        .filter_map(|h| h.item.as_deref().map(|i| (h.resource.as_str(), i)))
        .collect();

    // Pass 1: each run's resources, and when items were seen deleted.
    let mut runs: Vec<PlannedRun> = Vec::new();
    let mut resources_of: Vec<BTreeSet<String>> = Vec::new();
    let mut deleted: HashMap<(String, String), OffsetDateTime> = HashMap::new();
    for id in repo.list_manifests().await? {
        let manifest = repo.read_manifest(id).await?;
        let mut resources = BTreeSet::new();
        let mut items = repo.items(&manifest);
        while let Some(record) = items.next().await? {
            if let Some(at) = record.deleted {
                let slot = deleted
                    .entry((record.resource.clone(), record.id.clone()))
                    .or_insert(at);
                *slot = (*slot).min(at);
            }
            resources.insert(record.resource);
        }
        if resources.is_empty() {
            resources.insert(String::new()); // runs without items are retained as one group
        }
        runs.push(PlannedRun {
            manifest: id,
            run_id: manifest.run_id,
            started: manifest.started,
            reasons: BTreeSet::new(),
        });
        resources_of.push(resources);
    }
    let window = policy
        .keep_deleted_days
        .map(|d| time::Duration::days(i64::from(d)));
    let protected: HashSet<(String, String)> = deleted
        .into_iter()
        .filter(|(_, at)| window.is_some_and(|w| now - *at < w))
        .map(|(key, _)| key)
        .collect();

    // Rules per resource.
    let mut by_resource: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, resources) in resources_of.iter().enumerate() {
        for r in resources {
            by_resource.entry(r.as_str()).or_default().push(i);
        }
    }
    let mut reasons: Vec<BTreeSet<String>> = vec![BTreeSet::new(); runs.len()];
    for (resource, mut indexes) in by_resource {
        indexes.sort_by_key(|i| std::cmp::Reverse(runs[*i].started));
        let times: Vec<OffsetDateTime> = indexes.iter().map(|i| runs[*i].started).collect();
        for (i, why) in indexes.iter().zip(policy.keep(&times)) {
            reasons[*i].extend(why);
            if held_resources.contains(resource) {
                reasons[*i].insert("legal-hold".into());
            }
        }
    }

    // Pass 2, only when needed: runs holding protected or held items.
    if !protected.is_empty() || !held_items.is_empty() {
        for (i, run) in runs.iter().enumerate() {
            let manifest = repo.read_manifest(run.manifest).await?;
            let mut items = repo.items(&manifest);
            while let Some(record) = items.next().await? {
                if record.deleted.is_some() {
                    continue;
                }
                let key = (record.resource.clone(), record.id.clone());
                if protected.contains(&key) {
                    reasons[i].insert("deleted-item".into());
                }
                if held_items.contains(&(record.resource.as_str(), record.id.as_str())) {
                    reasons[i].insert("legal-hold".into());
                }
            }
        }
    }
    let mut plan = ForgetPlan::default();
    let mut order: Vec<usize> = (0..runs.len()).collect();
    order.sort_by_key(|i| std::cmp::Reverse(runs[*i].started));
    for i in order {
        let mut run = runs[i].clone();
        run.reasons = std::mem::take(&mut reasons[i]);
        if run.reasons.is_empty() {
            plan.forget.push(run)
        } else {
            plan.keep.push(run)
        }
    }
    Ok(plan)
}

/// Removes the manifests of the runs the plan forgets. Their chunks stay until `prune`.
/// A manifest under S3 Object Lock cannot go yet: its run moves to `keep` with the
/// reason `object-lock until …`.
pub async fn forget(repo: &Repository, plan: &mut ForgetPlan) -> Result<usize, StoreError> {
    let mut removed = Vec::new();
    for mut run in std::mem::take(&mut plan.forget) {
        match repo
            .store()
            .delete(FileKind::Manifest, &run.manifest.to_hex())
            .await
        {
            Ok(()) => removed.push(run),
            Err(crate::backend::BackendError::Locked { until, .. }) => {
                run.reasons.insert(format!("object-lock until {until}"));
                plan.keep.push(run);
            }
            Err(e) => {
                plan.forget = removed;
                return Err(e.into());
            }
        }
    }
    plan.keep.sort_by_key(|r| std::cmp::Reverse(r.started));
    plan.forget = removed;
    Ok(plan.forget.len())
}
