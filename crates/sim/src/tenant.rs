//! The simulated tenant: its directory (users, groups, licences), its app
//! registrations and service principals, and the grants between them.
//!
//! The directory is generated from a seed and a size, so the same arguments
//! always give the same tenant. Apps, service principals and role assignments
//! change through Graph writes (`setup` creates them).

pub mod activity;
mod apps;
mod generate;
mod licensing;
mod membership;
mod names;

use std::collections::HashMap;

use model::Guid;
use model::wire::directory::GroupKind;
use time::OffsetDateTime;

pub use activity::{Activity, Usage, Workload};
pub use apps::{
    AppReg, Assignment, GRAPH_CLI_APP_ID, SimCertificate, SimSecret, SimServicePrincipal, SpKind,
    StandardApp, new_secret_value,
};
pub use generate::{GeneratedSecrets, assignment_id, generate};
pub use licensing::{Subscription, subscriptions};
pub use membership::{MemberChange, net_changes};
pub use names::product_name;

/// A user of the simulated tenant.
#[derive(Debug, Clone)]
pub struct SimUser {
    /// Object id.
    pub id: Guid,
    /// Display name.
    pub display_name: String,
    /// Given name.
    pub given_name: String,
    /// Surname.
    pub surname: String,
    /// Sign-in name.
    pub user_principal_name: String,
    /// Mail nickname (alias).
    pub mail_nickname: String,
    /// Primary SMTP address.
    pub mail: Option<String>,
    /// Job title.
    pub job_title: Option<String>,
    /// Department.
    pub department: Option<String>,
    /// Office.
    pub office_location: Option<String>,
    /// City.
    pub city: Option<String>,
    /// Two-letter country or region.
    pub usage_location: Option<String>,
    /// Mobile phone.
    pub mobile_phone: Option<String>,
    /// Business phones.
    pub business_phones: Vec<String>,
    /// Preferred language, such as `en-US`.
    pub preferred_language: Option<String>,
    /// Whether sign-in is allowed.
    pub account_enabled: bool,
    /// `Member` or `Guest`.
    pub user_type: &'static str,
    /// Created.
    pub created: OffsetDateTime,
    /// SKU ids of the licences assigned.
    pub licenses: Vec<Guid>,
    /// Service plans turned off in an assigned licence: (skuId, servicePlanId)
    /// (`assignedLicenses[].disabledPlans`).
    pub disabled_plans: Vec<(Guid, Guid)>,
    /// When licences were assigned, for those not assigned when the account
    /// was created (the others date from `created`).
    pub license_dates: Vec<(Guid, OffsetDateTime)>,
    /// How the person uses the services (what the usage reports show).
    pub activity: Activity,
    /// Directory roles held, such as `Global Administrator`.
    pub directory_roles: Vec<&'static str>,
    /// Change sequence number of the last change (for delta).
    pub changed_seq: u64,
    /// Set when the user was deleted (kept for delta).
    pub deleted_seq: Option<u64>,
    /// What the user's mailbox is for: people have `User` (and a mailbox only
    /// with an Exchange licence); shared and resource mailboxes have one without.
    pub purpose: MailboxPurpose,
}

/// What a mailbox is for (`userPurpose` of `mailboxSettings`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailboxPurpose {
    /// A person's mailbox.
    User,
    /// A shared mailbox (no sign-in, no licence).
    Shared,
    /// A room (resource mailbox).
    Room,
    /// Equipment (resource mailbox).
    Equipment,
}

impl MailboxPurpose {
    /// The `userPurpose` value Graph uses.
    pub fn as_str(self) -> &'static str {
        match self {
            MailboxPurpose::User => "user",
            MailboxPurpose::Shared => "shared",
            MailboxPurpose::Room => "room",
            MailboxPurpose::Equipment => "equipment",
        }
    }
}

impl SimUser {
    /// When the licence for `sku` was assigned.
    pub fn assigned_on(&self, sku: Guid) -> OffsetDateTime {
        self.license_dates
            .iter()
            .find(|(s, _)| *s == sku)
            .map_or(self.created, |(_, d)| *d)
    }

    /// Whether `plan` of the assigned licence `sku` is turned on.
    pub fn plan_enabled(&self, sku: Guid, plan: Guid) -> bool {
        self.licenses.contains(&sku) && !self.disabled_plans.contains(&(sku, plan))
    }

    /// Whether the user may administer applications and consent for the tenant.
    pub fn is_admin(&self) -> bool {
        self.directory_roles.iter().any(|r| {
            matches!(
                *r,
                "Global Administrator"
                    | "Privileged Role Administrator"
                    | "Application Administrator"
                    | "Cloud Application Administrator"
            )
        })
    }
}

/// A member of a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberRef {
    /// A user, by index in [`Tenant::users`].
    User(usize),
    /// A group, by index in [`Tenant::groups`].
    Group(usize),
}

/// A group of the simulated tenant.
#[derive(Debug, Clone)]
pub struct SimGroup {
    /// Object id.
    pub id: Guid,
    /// Display name.
    pub display_name: String,
    /// Description.
    pub description: String,
    /// Alias.
    pub mail_nickname: String,
    /// What kind of group it is.
    pub kind: GroupKind,
    /// Direct members.
    pub members: Vec<MemberRef>,
    /// Owners (user indexes).
    pub owners: Vec<usize>,
    /// `Public` or `Private` (Microsoft 365 groups).
    pub visibility: Option<&'static str>,
    /// Created.
    pub created: OffsetDateTime,
    /// Change sequence number of the last change.
    pub changed_seq: u64,
    /// Set when the group was deleted.
    pub deleted_seq: Option<u64>,
    /// Changes to the direct members since the tenant was generated.
    pub member_log: Vec<MemberChange>,
}

impl SimGroup {
    /// Whether the group has an SMTP address.
    pub fn mail_enabled(&self) -> bool {
        !matches!(self.kind, GroupKind::Security)
    }

    /// Whether the group can be used for access control.
    pub fn security_enabled(&self) -> bool {
        matches!(
            self.kind,
            GroupKind::Security | GroupKind::MailEnabledSecurity
        )
    }
}

/// A subscribed product (SKU).
#[derive(Debug, Clone)]
pub struct SimSku {
    /// The SKU's GUID.
    pub sku_id: Guid,
    /// Such as `ENTERPRISEPACK`.
    pub part_number: &'static str,
    /// Units bought and active.
    pub enabled: i64,
    /// Units suspended.
    pub suspended: i64,
    /// Units in warning.
    pub warning: i64,
    /// Units locked out.
    pub locked_out: i64,
    /// `Enabled`, `Warning`, `Suspended`…
    pub capability_status: &'static str,
    /// Service plans: (id, name, appliesTo).
    pub service_plans: Vec<(Guid, &'static str, &'static str)>,
    /// `User` or `Company`.
    pub applies_to: &'static str,
    /// When the first subscription to it was bought.
    pub purchased: OffsetDateTime,
    /// Whether its subscriptions are free trials.
    pub trial: bool,
}

/// The whole simulated tenant.
#[derive(Debug, Clone)]
pub struct Tenant {
    /// The seed it was generated from.
    pub seed: u64,
    /// Directory (tenant) ID.
    pub id: Guid,
    /// The initial domain, `<name>.onmicrosoft.com`.
    pub domain: String,
    /// The organization's name.
    pub display_name: String,
    /// When the tenant was created.
    pub created: OffsetDateTime,
    /// When the simulator generated it (activity dates count back from here).
    pub generated: OffsetDateTime,
    /// Users, by index.
    pub users: Vec<SimUser>,
    /// Groups, by index.
    pub groups: Vec<SimGroup>,
    /// Subscriptions.
    pub skus: Vec<SimSku>,
    /// App registrations.
    pub apps: Vec<AppReg>,
    /// Service principals (enterprise applications).
    pub service_principals: Vec<SimServicePrincipal>,
    /// Application permissions granted.
    pub assignments: Vec<Assignment>,
    /// The last change sequence number handed out.
    pub seq: u64,
    user_index: HashMap<String, usize>,
    group_index: HashMap<String, usize>,
}

impl Tenant {
    /// Whether `tenant` (a GUID or a domain from a URL) names this tenant.
    pub fn matches(&self, tenant: &str) -> bool {
        tenant.eq_ignore_ascii_case(&self.id.to_string())
            || tenant.eq_ignore_ascii_case(&self.domain)
    }

    /// Rebuilds the lookup indexes after users or groups were added.
    pub fn reindex(&mut self) {
        self.user_index.clear();
        for (i, u) in self.users.iter().enumerate() {
            self.user_index.insert(u.id.to_string(), i);
            self.user_index
                .insert(u.user_principal_name.to_ascii_lowercase(), i);
        }
        self.group_index = self
            .groups
            .iter()
            .enumerate()
            .map(|(i, g)| (g.id.to_string(), i))
            .collect();
    }

    /// A live user by object id or user principal name.
    pub fn user(&self, key: &str) -> Option<(usize, &SimUser)> {
        let i = *self.user_index.get(&key.to_ascii_lowercase())?;
        let u = &self.users[i];
        u.deleted_seq.is_none().then_some((i, u))
    }

    /// A live group by object id.
    pub fn group(&self, key: &str) -> Option<(usize, &SimGroup)> {
        let i = *self.group_index.get(&key.to_ascii_lowercase())?;
        let g = &self.groups[i];
        g.deleted_seq.is_none().then_some((i, g))
    }

    /// Every user that is a member of group `index`, directly or through nested groups.
    pub fn transitive_members(&self, index: usize) -> Vec<MemberRef> {
        let mut out = Vec::new();
        let mut seen_groups = vec![index];
        let mut stack = vec![index];
        while let Some(g) = stack.pop() {
            for m in &self.groups[g].members {
                if let MemberRef::Group(child) = m {
                    if seen_groups.contains(child) {
                        continue;
                    }
                    seen_groups.push(*child);
                    stack.push(*child);
                }
                if !out.contains(m) {
                    out.push(*m);
                }
            }
        }
        out
    }

    /// Whether user `index` has an Exchange Online mailbox: shared and resource
    /// mailboxes always, people when one of their licences includes Exchange.
    pub fn has_mailbox(&self, index: usize) -> bool {
        let Some(u) = self.users.get(index) else {
            return false;
        };
        u.purpose != MailboxPurpose::User
            || u.licenses.iter().any(|l| {
                self.skus.iter().any(|s| {
                    s.sku_id == *l
                        && s.service_plans
                            .iter()
                            .any(|(_, name, _)| name.starts_with("EXCHANGE"))
                })
            })
    }

    /// The SKU with id `sku`.
    pub fn sku(&self, sku: Guid) -> Option<&SimSku> {
        self.skus.iter().find(|s| s.sku_id == sku)
    }

    /// How many licences of `sku` live users hold (`consumedUnits`).
    pub fn consumed_units(&self, sku: Guid) -> usize {
        self.users
            .iter()
            .filter(|u| u.deleted_seq.is_none() && u.licenses.contains(&sku))
            .count()
    }

    /// When user `index` was first licensed for `workload` (a licence with
    /// one of the workload's service plans turned on), or `None`.
    pub fn licensed_for(&self, index: usize, workload: Workload) -> Option<OffsetDateTime> {
        let u = self.users.get(index)?;
        u.licenses
            .iter()
            .filter(|sku| {
                self.sku(**sku).is_some_and(|s| {
                    s.service_plans.iter().any(|(id, name, _)| {
                        workload.plans().contains(name) && u.plan_enabled(s.sku_id, *id)
                    })
                })
            })
            .map(|sku| u.assigned_on(*sku))
            .min()
    }

    /// The next change sequence number.
    pub fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    /// The app registration whose client id is `app_id`.
    pub fn app_by_app_id(&self, app_id: &str) -> Option<&AppReg> {
        self.apps
            .iter()
            .find(|a| a.app_id.to_string().eq_ignore_ascii_case(app_id))
    }

    /// The service principal of `app_id` in this tenant.
    pub fn sp_by_app_id(&self, app_id: &str) -> Option<&SimServicePrincipal> {
        self.service_principals
            .iter()
            .find(|s| s.app_id.to_string().eq_ignore_ascii_case(app_id))
    }

    /// Microsoft Graph's service principal.
    pub fn graph_sp(&self) -> Option<&SimServicePrincipal> {
        self.sp_by_app_id(model::cloud::GRAPH_APP_ID)
    }

    /// The application permissions (values) granted to service principal `sp_id` on Microsoft Graph.
    pub fn granted_roles(&self, sp_id: Guid) -> Vec<String> {
        let Some(graph) = self.graph_sp() else {
            return Vec::new();
        };
        let reference = crate::reference::Reference::get();
        let mut roles: Vec<String> = self
            .assignments
            .iter()
            .filter(|a| a.principal_id == sp_id && a.resource_id == graph.id)
            .filter_map(|a| {
                reference
                    .role_by_id(&a.app_role_id.to_string())
                    .map(|r| r.value.clone())
            })
            .collect();
        roles.sort();
        roles.dedup();
        roles
    }
}
