//! Generates the site catalog from the tenant, and each site's lists.

use model::Guid;
use model::wire::directory::GroupKind;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde_json::{Map, Value, json};
use time::{Duration, OffsetDateTime};

use super::{Catalog, Column, ColumnKind, Library, List, ListItem, SiteData, SiteInfo, SiteKind};
use crate::drive::ids::drive_id;
use crate::seed::Seed;
use crate::tenant::{MemberRef, Tenant};

/// The SharePoint host names of a tenant: `name.sharepoint.com` and `name-my.sharepoint.com`.
pub fn hostnames(t: &Tenant) -> (String, String) {
    let label = t.domain.split('.').next().unwrap_or("contoso");
    (
        format!("{label}.sharepoint.com"),
        format!("{label}-my.sharepoint.com"),
    )
}

const COMMUNICATION: &[(&str, &str)] = &[
    ("Company News", "CompanyNews"),
    ("HR Hub", "HRHub"),
    ("Marketing Center", "MarketingCenter"),
    ("IT Help", "ITHelp"),
];
const EXTRA_LIBRARIES: &[&str] = &["Projects", "Archive", "Templates", "Contracts"];
const SUBSITES: &[(&str, &str)] = &[("Policies", "Policies"), ("Projects Hub", "ProjectsHub")];

fn library(s: Seed, site: &SiteInfo, n: u64, name: &str, url_name: &str) -> Library {
    let list = s.guid(&format!("library:{}", site.web), n);
    Library {
        list,
        name: name.to_owned(),
        url_name: url_name.to_owned(),
        drive_id: drive_id(site.collection, site.web, list),
        created: site.created,
        empty: false,
    }
}

fn libraries(s: Seed, rng: &mut ChaCha8Rng, site: &mut SiteInfo) {
    site.libraries
        .push(library(s, site, 0, "Documents", "Shared Documents"));
    let extra = rng.random_range(0..=2usize);
    for k in 0..extra {
        let name = EXTRA_LIBRARIES
            [(k + rng.random_range(0..EXTRA_LIBRARIES.len())) % EXTRA_LIBRARIES.len()];
        if site.libraries.iter().any(|l| l.name == name) {
            continue;
        }
        let lib = library(s, site, k as u64 + 1, name, name);
        site.libraries.push(lib);
    }
}

/// Whether user `i` has a OneDrive: a member with a mailbox-enabled licence
/// whose mailbox is a person's (shared and resource mailboxes have none).
pub fn has_onedrive(t: &Tenant, i: usize) -> bool {
    t.users.get(i).is_some_and(|u| {
        u.deleted_seq.is_none()
            && u.user_type == "Member"
            && u.purpose == crate::tenant::MailboxPurpose::User
            && t.has_mailbox(i)
    })
}

/// The catalog of `t`.
pub fn catalog(t: &Tenant, _scale: f64) -> Catalog {
    let s = Seed(t.seed);
    let mut rng = s.rng("sites", 0);
    let (host, my_host) = hostnames(t);
    let mut c = Catalog::default();
    let site = |kind, key: &str, n: u64, path: String, display: &str, name: &str, created| {
        let collection = s.guid(&format!("site-collection:{key}"), n);
        SiteInfo {
            kind,
            collection,
            web: collection,
            hostname: host.clone(),
            path,
            display_name: display.to_owned(),
            name: name.to_owned(),
            description: String::new(),
            created,
            libraries: Vec::new(),
        }
    };
    let mut root = site(
        SiteKind::Root,
        "root",
        0,
        String::new(),
        "Communication site",
        "Communication site",
        t.created,
    );
    libraries(s, &mut rng, &mut root);
    c.push(root);
    for (g, group) in t.groups.iter().enumerate() {
        if group.kind != GroupKind::Microsoft365 || group.deleted_seq.is_some() {
            continue;
        }
        let mut team = site(
            SiteKind::Team(g),
            "team",
            g as u64,
            format!("/sites/{}", group.mail_nickname),
            &group.display_name,
            &group.mail_nickname,
            group.created,
        );
        team.description = group.description.clone();
        libraries(s, &mut rng, &mut team);
        c.push(team);
    }
    let comms = rng.random_range(2..=COMMUNICATION.len());
    for (k, (display, name)) in COMMUNICATION.iter().take(comms).enumerate() {
        let mut comm = site(
            SiteKind::Communication,
            "communication",
            k as u64,
            format!("/sites/{name}"),
            display,
            name,
            t.created + Duration::days(rng.random_range(1..200)),
        );
        libraries(s, &mut rng, &mut comm);
        c.push(comm);
    }
    // Subsites under the first communication site and the first team site.
    let parents: Vec<usize> = [
        c.sites
            .iter()
            .position(|x| x.kind == SiteKind::Communication),
        c.sites
            .iter()
            .position(|x| matches!(x.kind, SiteKind::Team(_))),
    ]
    .into_iter()
    .flatten()
    .collect();
    for (k, p) in parents.into_iter().enumerate() {
        let (display, name) = SUBSITES[k % SUBSITES.len()];
        let parent = c.sites[p].clone();
        let mut sub = SiteInfo {
            kind: SiteKind::Subsite(p),
            web: s.guid("subsite-web", k as u64),
            path: format!("{}/{name}", parent.path),
            display_name: display.to_owned(),
            name: name.to_owned(),
            description: format!("Subsite of {}", parent.display_name),
            created: parent.created + Duration::days(3),
            libraries: Vec::new(),
            ..parent
        };
        libraries(s, &mut rng, &mut sub);
        c.push(sub);
    }
    for (i, u) in t.users.iter().enumerate() {
        if !has_onedrive(t, i) {
            continue;
        }
        let collection = s.guid("site-collection:personal", i as u64);
        let slug: String = u
            .user_principal_name
            .chars()
            .map(|ch| {
                if ch.is_ascii_alphanumeric() {
                    ch.to_ascii_lowercase()
                } else {
                    '_'
                }
            })
            .collect();
        let mut personal = SiteInfo {
            kind: SiteKind::Personal(i),
            collection,
            web: collection,
            hostname: my_host.clone(),
            path: format!("/personal/{slug}"),
            display_name: u.display_name.clone(),
            name: u.display_name.clone(),
            description: String::new(),
            created: u.created,
            libraries: Vec::new(),
        };
        let lib = library(s, &personal, 0, "Documents", "Documents");
        personal.libraries.push(lib);
        c.push(personal);
    }
    c
}

struct Template {
    name: &'static str,
    title_label: &'static str,
    columns: &'static [(&'static str, &'static str, Kind)],
}

#[derive(Clone, Copy)]
enum Kind {
    Text,
    Multi,
    Number,
    Date,
    Choice(&'static [&'static str]),
    Bool,
    Person,
}

const TEMPLATES: &[Template] = &[
    Template {
        name: "Issues",
        title_label: "Title",
        columns: &[
            (
                "Priority",
                "Priority",
                Kind::Choice(&["(1) High", "(2) Normal", "(3) Low"]),
            ),
            (
                "Status",
                "Issue Status",
                Kind::Choice(&["Active", "Resolved", "Closed"]),
            ),
            ("DueDate", "Due Date", Kind::Date),
            ("AssignedTo", "Assigned To", Kind::Person),
            ("Estimate", "Estimate (h)", Kind::Number),
            ("Resolved", "Resolved", Kind::Bool),
            ("Comment", "Description", Kind::Multi),
        ],
    },
    Template {
        name: "Contacts",
        title_label: "Last Name",
        columns: &[
            ("FirstName", "First Name", Kind::Text),
            ("Email", "Email Address", Kind::Text),
            ("Company", "Company", Kind::Text),
            ("WorkPhone", "Business Phone", Kind::Text),
            ("VIP", "VIP", Kind::Bool),
            ("Notes", "Notes", Kind::Multi),
        ],
    },
    Template {
        name: "Announcements",
        title_label: "Title",
        columns: &[
            ("Body", "Body", Kind::Multi),
            ("Expires", "Expires", Kind::Date),
            ("Pinned", "Pinned", Kind::Bool),
            (
                "Audience",
                "Audience",
                Kind::Choice(&["Everyone", "Managers", "New hires"]),
            ),
        ],
    },
    Template {
        name: "Tasks",
        title_label: "Task Name",
        columns: &[
            ("PercentComplete", "% Complete", Kind::Number),
            ("Due", "Due", Kind::Date),
            ("Owner", "Owner", Kind::Person),
            ("Done", "Done", Kind::Bool),
        ],
    },
];

const PHRASES: &[&str] = &[
    "Printer on floor 3 jams",
    "Update the onboarding guide",
    "Café menu for Friday",
    "VPN drops at 17:00",
    "Review Q3 numbers & forecast",
    "Welcome our new colleagues 🎉",
    "Move servers to rack #4",
    "Contract renewal – Müller GmbH",
    "Plan the summer party",
    "Badge reader at door B",
];

/// A value for a column of `kind`, drawn from `rng`.
pub fn value(rng: &mut ChaCha8Rng, kind: &ColumnKind, people: usize, now: OffsetDateTime) -> Value {
    match kind {
        ColumnKind::Text { multi: false } => {
            json!(
                PHRASES[rng.random_range(0..PHRASES.len())]
                    .split_whitespace()
                    .next()
                    .unwrap_or("x")
            )
        }
        ColumnKind::Text { multi: true } => json!(format!(
            "{}.\n{}.",
            PHRASES[rng.random_range(0..PHRASES.len())],
            PHRASES[rng.random_range(0..PHRASES.len())]
        )),
        ColumnKind::Number => json!(rng.random_range(0..400) as f64 / 4.0),
        ColumnKind::DateTime => json!(crate::graph::render::ts(
            (now + Duration::days(rng.random_range(-200..200))).replace_time(time::Time::MIDNIGHT)
        )),
        ColumnKind::Choice(choices) => json!(choices[rng.random_range(0..choices.len())]),
        ColumnKind::Boolean => json!(rng.random_bool(0.5)),
        ColumnKind::Person => json!(format!("{}", 7 + rng.random_range(0..people.max(1)))),
    }
}

/// Generates item `id` of `list`.
pub fn item(
    list: &List,
    id: u64,
    rng: &mut ChaCha8Rng,
    people: usize,
    at: OffsetDateTime,
) -> ListItem {
    let mut values = Map::new();
    values.insert(
        "Title".into(),
        json!(PHRASES[rng.random_range(0..PHRASES.len())]),
    );
    for c in &list.columns {
        let v = value(rng, &c.kind, people, at);
        let key = match c.kind {
            ColumnKind::Person => format!("{}LookupId", c.name),
            _ => c.name.clone(),
        };
        values.insert(key, v);
    }
    let author = rng.random_range(0..people.max(1));
    ListItem {
        id,
        guid: crate::drive::ids::guid(list.guid, "list-item", id),
        values,
        created: at,
        modified: at,
        author,
        editor: author,
        version: 1,
        deleted: false,
    }
}

/// The generic lists of `site` (OneDrive sites have none).
pub fn lists(t: &Tenant, site: &SiteInfo, index: usize, scale: f64) -> SiteData {
    let mut data = SiteData::default();
    if site.personal() {
        return data;
    }
    let s = Seed(t.seed);
    let mut rng = s.rng("site-lists", index as u64);
    let people = t.users.len();
    let count = rng.random_range(1..=3usize);
    let first = rng.random_range(0..TEMPLATES.len());
    let anchor = t.created + Duration::days(400);
    for k in 0..count {
        let tpl = &TEMPLATES[(first + k) % TEMPLATES.len()];
        data.serial += 1;
        let guid = s.guid(&format!("list:{}", site.web), data.serial);
        let mut columns = Vec::new();
        for (n, (name, display, kind)) in tpl.columns.iter().enumerate() {
            columns.push(Column {
                id: crate::drive::ids::guid(guid, "column", n as u64),
                name: (*name).to_owned(),
                display_name: (*display).to_owned(),
                kind: match kind {
                    Kind::Text => ColumnKind::Text { multi: false },
                    Kind::Multi => ColumnKind::Text { multi: true },
                    Kind::Number => ColumnKind::Number,
                    Kind::Date => ColumnKind::DateTime,
                    Kind::Choice(c) => {
                        ColumnKind::Choice(c.iter().map(|s| (*s).to_owned()).collect())
                    }
                    Kind::Bool => ColumnKind::Boolean,
                    Kind::Person => ColumnKind::Person,
                },
                required: false,
            });
        }
        let created = site.created + Duration::days(rng.random_range(0..30));
        let mut list = List {
            guid,
            name: tpl.name.to_owned(),
            display_name: tpl.name.to_owned(),
            description: format!("{} ({})", tpl.name, tpl.title_label),
            template: "genericList".into(),
            created,
            modified: created,
            columns,
            items: Vec::new(),
            last_id: 0,
        };
        let base = rng.random_range(5.0f64..200.0);
        let n = ((base * scale).round() as u64).max(2);
        for id in 1..=n {
            let at = created
                + Duration::minutes(rng.random_range(0..(anchor - created).whole_minutes().max(1)));
            let it = item(&list, id, &mut rng, people, at);
            list.items.push(it);
        }
        list.last_id = n;
        list.modified = list
            .items
            .iter()
            .map(|i| i.modified)
            .max()
            .unwrap_or(created);
        data.lists.push(list);
    }
    data
}

/// A GUID for a new list of a site (lists created by clients).
pub fn new_list_guid(t: &Tenant, site: &SiteInfo, serial: u64) -> Guid {
    Seed(t.seed).guid(&format!("list:{}", site.web), serial)
}

/// Whether user `u` belongs to group `g` (for a team site's people).
pub fn member(t: &Tenant, g: usize, u: usize) -> bool {
    t.groups[g].members.contains(&MemberRef::User(u)) || t.groups[g].owners.contains(&u)
}
