//! The reports' CSV, with the column headers Microsoft documents for each
//! report, one row per user (per OneDrive for the OneDrive report, per
//! mailbox for the mailbox report), from the tenant's licences and each
//! person's activity ([`crate::tenant::activity`]).
//!
//! Rows: the period form lists every user the report covers (active users:
//! every user; email activity: people licensed for Exchange; OneDrive: every
//! OneDrive; Teams: people licensed for Teams; mailbox usage: every mailbox,
//! shared and resource ones included); the date form lists those who were
//! active that day (none for a day after the report refresh date). Last
//! activity dates are the latest up to the refresh date (the date form: up to
//! that day), however old; counts add up the days of the window. Values:
//! dates `YYYY-MM-DD` (empty when there is none), `True`/`False` (Teams:
//! `Yes`/`No`), "Assigned Products" the products' names in upper case joined
//! by `+`. Concealed names are 32 upper-case hex digits ([`super::conceal`]).

use rand::Rng;
use time::{Date, Duration};

use super::{ReportCall, ReportKind, Span, conceal};
use crate::seed::Seed;
use crate::tenant::{MailboxPurpose, SimUser, Tenant, Workload, product_name};

/// The byte order mark the files start with (UTF-8).
pub const BOM: &str = "\u{feff}";

const ACTIVE_USERS: &[&str] = &[
    "Report Refresh Date",
    "User Principal Name",
    "Display Name",
    "Is Deleted",
    "Deleted Date",
    "Has Exchange License",
    "Has OneDrive License",
    "Has SharePoint License",
    "Has Skype For Business License",
    "Has Yammer License",
    "Has Teams License",
    "Exchange Last Activity Date",
    "OneDrive Last Activity Date",
    "SharePoint Last Activity Date",
    "Skype For Business Last Activity Date",
    "Yammer Last Activity Date",
    "Teams Last Activity Date",
    "Exchange License Assign Date",
    "OneDrive License Assign Date",
    "SharePoint License Assign Date",
    "Skype For Business License Assign Date",
    "Yammer License Assign Date",
    "Teams License Assign Date",
    "Assigned Products",
];

const EMAIL_ACTIVITY: &[&str] = &[
    "Report Refresh Date",
    "User Principal Name",
    "Display Name",
    "Is Deleted",
    "Deleted Date",
    "Last Activity Date",
    "Send Count",
    "Receive Count",
    "Read Count",
    "Meeting Created Count",
    "Meeting Interacted Count",
    "Assigned Products",
    "Report Period",
];

const ONEDRIVE_USAGE: &[&str] = &[
    "Report Refresh Date",
    "Site URL",
    "Owner Display Name",
    "Is Deleted",
    "Last Activity Date",
    "File Count",
    "Active File Count",
    "Storage Used (Byte)",
    "Storage Allocated (Byte)",
    "Owner Principal Name",
    "Report Period",
];

const TEAMS_ACTIVITY: &[&str] = &[
    "Report Refresh Date",
    "Tenant Display Name",
    "Shared Channel Tenant Display Names",
    "User Id",
    "User Principal Name",
    "Last Activity Date",
    "Is Deleted",
    "Deleted Date",
    "Assigned Products",
    "Team Chat Message Count",
    "Private Chat Message Count",
    "Call Count",
    "Meeting Count",
    "Post Messages",
    "Reply Messages",
    "Urgent Messages",
    "Meetings Organized Count",
    "Meetings Attended Count",
    "Ad Hoc Meetings Organized Count",
    "Ad Hoc Meetings Attended Count",
    "Scheduled One-time Meetings Organized Count",
    "Scheduled One-time Meetings Attended Count",
    "Scheduled Recurring Meetings Organized Count",
    "Scheduled Recurring Meetings Attended Count",
    "Audio Duration",
    "Video Duration",
    "Screen Share Duration",
    "Audio Duration In Seconds",
    "Video Duration In Seconds",
    "Screen Share Duration In Seconds",
    "Has Other Action",
    "Is Licensed",
    "Report Period",
];

const MAILBOX_USAGE: &[&str] = &[
    "Report Refresh Date",
    "User Principal Name",
    "Display Name",
    "Is Deleted",
    "Deleted Date",
    "Created Date",
    "Last Activity Date",
    "Item Count",
    "Storage Used (Byte)",
    "Issue Warning Quota (Byte)",
    "Prohibit Send Quota (Byte)",
    "Prohibit Send/Receive Quota (Byte)",
    "Deleted Item Count",
    "Deleted Item Size (Byte)",
    "Deleted Item Quota (Byte)",
    "Has Archive",
    "Report Period",
];

/// A report's column headers, in order.
pub fn columns(kind: ReportKind) -> &'static [&'static str] {
    match kind {
        ReportKind::ActiveUserDetail => ACTIVE_USERS,
        ReportKind::EmailActivityUserDetail => EMAIL_ACTIVITY,
        ReportKind::OneDriveUsageAccountDetail => ONEDRIVE_USAGE,
        ReportKind::TeamsUserActivityUserDetail => TEAMS_ACTIVITY,
        ReportKind::MailboxUsageDetail => MAILBOX_USAGE,
    }
}

/// The days a report covers.
struct Window {
    from: Date,
    to: Date,
    /// Last activity dates are the latest on or before this day.
    as_of: Date,
    /// "Report Period": 7, 30, 90, 180, or 1 for a day.
    period: String,
    /// Only people active on the day are listed.
    single_day: bool,
    refresh: Date,
}

impl Window {
    fn new(span: Span, refresh: Date) -> Window {
        match span {
            Span::Period(n) => Window {
                from: refresh - Duration::days(i64::from(n) - 1),
                to: refresh,
                as_of: refresh,
                period: n.to_string(),
                single_day: false,
                refresh,
            },
            Span::Date(d) => Window {
                from: d,
                to: d,
                as_of: d,
                period: "1".to_owned(),
                single_day: true,
                refresh,
            },
        }
    }

    /// Whether a user belongs in the report: always for a period, when
    /// active in one of `workloads` that day for a date.
    fn lists(&self, u: &SimUser, workloads: &[Workload]) -> bool {
        !self.single_day
            || (self.as_of <= self.refresh
                && workloads
                    .iter()
                    .any(|w| u.activity.active_on(*w, self.as_of)))
    }

    /// Days of the window on or after `since`.
    fn days_since(&self, since: Option<Date>) -> u32 {
        let Some(since) = since else { return 0 };
        let start = self.from.max(since);
        u32::try_from((self.to - start).whole_days() + 1).unwrap_or(0)
    }
}

/// Per-person daily rates and sizes, drawn from the seed (the same in every
/// report and period).
struct Rates {
    send: u32,
    read: u32,
    receive: u32,
    meetings_created: u32,
    meetings_interacted: u32,
    team_chat: u32,
    private_chat: u32,
    calls: u32,
    adhoc: u32,
    one_time: u32,
    recurring: u32,
    posts: u32,
    urgent: u32,
    files: u64,
    file_size: u64,
    active_files: u32,
    items: u64,
    item_size: u64,
    deleted_items: u64,
    archive: bool,
    audio: u64,
    video: u64,
    share: u64,
}

impl Rates {
    fn of(t: &Tenant, i: usize) -> Rates {
        let mut r = Seed(t.seed).rng("report-rates", i as u64);
        Rates {
            send: r.random_range(1..=12),
            read: r.random_range(4..=40),
            receive: r.random_range(8..=60),
            meetings_created: r.random_range(0..=3),
            meetings_interacted: r.random_range(0..=6),
            team_chat: r.random_range(0..=15),
            private_chat: r.random_range(1..=40),
            calls: r.random_range(0..=4),
            adhoc: r.random_range(0..=2),
            one_time: r.random_range(0..=3),
            recurring: r.random_range(0..=4),
            posts: r.random_range(0..=3),
            urgent: r.random_range(0..=1),
            files: r.random_range(40..=2_000),
            file_size: r.random_range(20_000..=2_000_000),
            active_files: r.random_range(1..=8),
            items: r.random_range(150..=40_000),
            item_size: r.random_range(20_000..=120_000),
            deleted_items: r.random_range(0..=900),
            archive: r.random_bool(0.3),
            audio: r.random_range(60..=1_800),
            video: r.random_range(0..=1_200),
            share: r.random_range(0..=600),
        }
    }
}

/// The report as its CSV text (without the byte order mark), for data as of
/// the report refresh date `refresh`.
pub fn render(t: &Tenant, call: ReportCall, refresh: Date, concealed: bool) -> String {
    let window = Window::new(call.span, refresh);
    let names = Names { t, concealed };
    let rows = match call.kind {
        ReportKind::ActiveUserDetail => active_users(t, &window, &names),
        ReportKind::EmailActivityUserDetail => email_activity(t, &window, &names),
        ReportKind::OneDriveUsageAccountDetail => onedrive_usage(t, &window, &names),
        ReportKind::TeamsUserActivityUserDetail => teams_activity(t, &window, &names),
        ReportKind::MailboxUsageDetail => mailbox_usage(t, &window, &names),
    };
    let mut out = columns(call.kind).join(",");
    out.push_str("\r\n");
    for row in rows {
        let fields: Vec<String> = row.iter().map(|f| escape(f)).collect();
        out.push_str(&fields.join(","));
        out.push_str("\r\n");
    }
    out
}

fn escape(field: &str) -> String {
    if field.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_owned()
    }
}

struct Names<'a> {
    t: &'a Tenant,
    concealed: bool,
}

impl Names<'_> {
    fn show(&self, value: &str) -> String {
        if self.concealed {
            conceal(self.t, value)
        } else {
            value.to_owned()
        }
    }
}

fn date(d: Option<Date>) -> String {
    d.map(|d| d.to_string()).unwrap_or_default()
}

fn flag(b: bool) -> String {
    if b { "True" } else { "False" }.to_owned()
}

fn products(t: &Tenant, u: &SimUser) -> String {
    u.licenses
        .iter()
        .filter_map(|s| t.sku(*s))
        .map(|s| product_name(s.part_number))
        .collect::<Vec<_>>()
        .join("+")
}

fn live(t: &Tenant) -> impl Iterator<Item = (usize, &SimUser)> {
    t.users
        .iter()
        .enumerate()
        .filter(|(_, u)| u.deleted_seq.is_none())
}

fn active_users(t: &Tenant, w: &Window, n: &Names<'_>) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    for (i, u) in live(t) {
        if !w.lists(u, &Workload::ALL) {
            continue;
        }
        let licensed = Workload::ALL.map(|wl| t.licensed_for(i, wl).map(|d| d.date()));
        let mut row = vec![
            w.refresh.to_string(),
            n.show(&u.user_principal_name),
            n.show(&u.display_name),
            flag(false),
            String::new(),
        ];
        row.extend(licensed.iter().map(|l| flag(l.is_some())));
        row.extend(Workload::ALL.map(|wl| date(u.activity.last_as_of(wl, w.as_of))));
        row.extend(licensed.iter().map(|l| date(*l)));
        row.push(products(t, u));
        rows.push(row);
    }
    rows
}

fn email_activity(t: &Tenant, w: &Window, n: &Names<'_>) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    for (i, u) in live(t) {
        let Some(licensed) = t.licensed_for(i, Workload::Exchange) else {
            continue;
        };
        if !w.lists(u, &[Workload::Exchange]) {
            continue;
        }
        let r = Rates::of(t, i);
        let active = u.activity.active_days(Workload::Exchange, w.from, w.to);
        let received = w.days_since(Some(licensed.date())) * r.receive;
        rows.push(vec![
            w.refresh.to_string(),
            n.show(&u.user_principal_name),
            n.show(&u.display_name),
            flag(false),
            String::new(),
            date(u.activity.last_as_of(Workload::Exchange, w.as_of)),
            (active * r.send).to_string(),
            received.to_string(),
            (active * r.read).to_string(),
            (active * r.meetings_created / 4).to_string(),
            (active * r.meetings_interacted / 2).to_string(),
            products(t, u),
            w.period.clone(),
        ]);
    }
    rows
}

/// The URL of user `i`'s OneDrive, as its site has it.
fn onedrive_url(t: &Tenant, u: &SimUser) -> String {
    let (_, my_host) = crate::site::generate::hostnames(t);
    let slug: String = u
        .user_principal_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("https://{my_host}/personal/{slug}")
}

fn onedrive_usage(t: &Tenant, w: &Window, n: &Names<'_>) -> Vec<Vec<String>> {
    const ONE_TB: u64 = 1_099_511_627_776;
    let mut rows = Vec::new();
    for (i, u) in live(t) {
        if !crate::site::generate::has_onedrive(t, i) || !w.lists(u, &[Workload::OneDrive]) {
            continue;
        }
        let r = Rates::of(t, i);
        let active = u.activity.active_days(Workload::OneDrive, w.from, w.to);
        let active_files = (u64::from(active) * u64::from(r.active_files)).min(r.files);
        rows.push(vec![
            w.refresh.to_string(),
            n.show(&onedrive_url(t, u)),
            n.show(&u.display_name),
            flag(false),
            date(u.activity.last_as_of(Workload::OneDrive, w.as_of)),
            r.files.to_string(),
            active_files.to_string(),
            (r.files * r.file_size).to_string(),
            ONE_TB.to_string(),
            n.show(&u.user_principal_name),
            w.period.clone(),
        ]);
    }
    rows
}

/// A duration as ISO 8601 (`PT1H2M3S`, `PT0S`).
fn iso_duration(secs: u64) -> String {
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    let mut out = "PT".to_owned();
    if h > 0 {
        out.push_str(&format!("{h}H"));
    }
    if m > 0 {
        out.push_str(&format!("{m}M"));
    }
    if s > 0 || (h == 0 && m == 0) {
        out.push_str(&format!("{s}S"));
    }
    out
}

fn teams_activity(t: &Tenant, w: &Window, n: &Names<'_>) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    for (i, u) in live(t) {
        if t.licensed_for(i, Workload::Teams).is_none() || !w.lists(u, &[Workload::Teams]) {
            continue;
        }
        let r = Rates::of(t, i);
        let a = u.activity.active_days(Workload::Teams, w.from, w.to);
        let per = |rate: u32, div: u32| a * rate / div;
        let organized = [per(r.adhoc, 5), per(r.one_time, 6), per(r.recurring, 7)];
        let attended = [per(r.adhoc, 3), per(r.one_time, 3), per(r.recurring, 2)];
        let (org, att): (u32, u32) = (organized.iter().sum(), attended.iter().sum());
        let calls = per(r.calls, 3);
        let sessions = u64::from(calls + att);
        let (audio, video, share) = (sessions * r.audio, sessions * r.video, sessions * r.share);
        let mut row = vec![
            w.refresh.to_string(),
            t.display_name.clone(),
            String::new(),
            n.show(&u.id.to_string()),
            n.show(&u.user_principal_name),
            date(u.activity.last_as_of(Workload::Teams, w.as_of)),
            flag(false),
            String::new(),
            products(t, u),
            per(r.team_chat, 1).to_string(),
            per(r.private_chat, 1).to_string(),
            calls.to_string(),
            (org + att).to_string(),
            per(r.posts, 3).to_string(),
            per(r.posts, 2).to_string(),
            per(r.urgent, 10).to_string(),
            org.to_string(),
            att.to_string(),
        ];
        for k in 0..3 {
            row.push(organized[k].to_string());
            row.push(attended[k].to_string());
        }
        row.extend([
            iso_duration(audio),
            iso_duration(video),
            iso_duration(share),
            audio.to_string(),
            video.to_string(),
            share.to_string(),
            if a > 0 { "Yes" } else { "No" }.to_owned(),
            "Yes".to_owned(),
            w.period.clone(),
        ]);
        rows.push(row);
    }
    rows
}

fn mailbox_usage(t: &Tenant, w: &Window, n: &Names<'_>) -> Vec<Vec<String>> {
    const GB: u64 = 1 << 30;
    let mut rows = Vec::new();
    for (i, u) in live(t) {
        if !t.has_mailbox(i) {
            continue;
        }
        let r = Rates::of(t, i);
        // Exchange Online Plan 2 mailboxes hold 100 GB; Plan 1, shared and
        // resource mailboxes 50 GB. Warnings at 98 % (49 GB), sending stops at 99 %.
        let large = u.licenses.iter().filter_map(|s| t.sku(*s)).any(|s| {
            s.service_plans.iter().any(|(id, name, _)| {
                *name == "EXCHANGE_S_ENTERPRISE" && u.plan_enabled(s.sku_id, *id)
            })
        });
        let (warn, send, receive) = if large {
            (98 * GB, 99 * GB, 100 * GB)
        } else {
            (49 * GB, 49 * GB + GB / 2, 50 * GB)
        };
        let items = if u.purpose == MailboxPurpose::User {
            r.items
        } else {
            r.items / 10
        };
        rows.push(vec![
            w.refresh.to_string(),
            n.show(&u.user_principal_name),
            n.show(&u.display_name),
            flag(false),
            String::new(),
            u.created.date().to_string(),
            date(u.activity.last_as_of(Workload::Exchange, w.as_of)),
            items.to_string(),
            (items * r.item_size).to_string(),
            warn.to_string(),
            send.to_string(),
            receive.to_string(),
            r.deleted_items.to_string(),
            (r.deleted_items * r.item_size).to_string(),
            (30 * GB).to_string(),
            flag(large && r.archive),
            w.period.clone(),
        ]);
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_fields() {
        assert_eq!(iso_duration(0), "PT0S");
        assert_eq!(iso_duration(3723), "PT1H2M3S");
        assert_eq!(iso_duration(3600), "PT1H");
        assert_eq!(escape("a,b"), "\"a,b\"");
        assert_eq!(escape("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(escape("plain"), "plain");
        for k in ReportKind::ALL {
            assert_eq!(columns(k)[0], "Report Refresh Date");
        }
        assert_eq!(columns(ReportKind::TeamsUserActivityUserDetail).len(), 33);
        assert_eq!(columns(ReportKind::ActiveUserDetail).len(), 24);
    }
}
