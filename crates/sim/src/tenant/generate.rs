//! Generates a tenant from a seed and a size.

use model::DataType;
use model::Guid;
use model::permissions::{self, Operation};
use model::wire::directory::{GroupKind, RequiredResourceAccess, ResourceAccess};
use rand::Rng;
use rand::seq::IndexedRandom;
use time::{Duration, OffsetDateTime};

use super::apps::GRAPH_CLI_APP_ID;
use super::names::*;
use super::{
    AppReg, Assignment, MailboxPurpose, MemberRef, SimCertificate, SimGroup, SimSecret,
    SimServicePrincipal, SimSku, SimUser, SpKind, StandardApp, Tenant,
};
use crate::crypto::{self, CryptoError};
use crate::reference::Reference;
use crate::seed::Seed;

/// What the caller gets back besides the tenant: the private parts of the
/// credentials the simulator made (for the credentials file).
#[derive(Debug, Clone, Default)]
pub struct GeneratedSecrets {
    /// Private keys of certificate credentials, PKCS#8 PEM, by app name.
    pub private_keys: Vec<(String, String)>,
    /// Certificates, PEM, by app name.
    pub certificates: Vec<(String, String)>,
}

/// Generates the tenant for `seed` with `user_count` users (at least 1: the administrator).
pub fn generate(
    seed: u64,
    user_count: usize,
    now: OffsetDateTime,
) -> Result<(Tenant, GeneratedSecrets), CryptoError> {
    let s = Seed(seed);
    let org = ORGANIZATIONS[(seed % ORGANIZATIONS.len() as u64) as usize];
    let domain = format!("m365x{:06}.onmicrosoft.com", seed % 1_000_000);
    let created = now.replace_time(time::Time::MIDNIGHT) - Duration::days(400);
    let mut skus = generate_skus(s, created);
    let users = generate_users(s, user_count.max(1), &domain, created, &mut skus);
    let mut tenant = Tenant {
        seed,
        id: s.guid("tenant", 0),
        domain,
        display_name: org.to_owned(),
        created,
        generated: now,
        users,
        groups: Vec::new(),
        skus,
        apps: Vec::new(),
        service_principals: Vec::new(),
        assignments: Vec::new(),
        seq: 0,
        user_index: Default::default(),
        group_index: Default::default(),
    };
    super::licensing::finish(s, &mut tenant, now);
    tenant.groups = generate_groups(s, &tenant);
    tenant.seq = 1;
    tenant.reindex();
    let secrets = add_standard_apps(s, &mut tenant, now)?;
    Ok((tenant, secrets))
}

fn generate_skus(s: Seed, created: OffsetDateTime) -> Vec<SimSku> {
    let mut rng = s.rng("skus", 0);
    SKUS.iter()
        .map(|(id, part, plans)| SimSku {
            sku_id: Guid::parse(id, "sku").unwrap_or_else(|_| s.guid("sku", 0)),
            part_number: part,
            enabled: 0,
            suspended: 0,
            warning: 0,
            locked_out: 0,
            capability_status: "Enabled",
            applies_to: "User",
            purchased: created,
            trial: false,
            service_plans: plans
                .iter()
                .map(|(pid, name, applies)| {
                    (
                        Guid::parse(pid, "plan").unwrap_or_else(|_| s.guid("plan", 0)),
                        *name,
                        *applies,
                    )
                })
                .collect(),
        })
        .map(|mut sku| {
            // Spare seats are filled in once users are licensed.
            sku.enabled = rng.random_range(0..5);
            sku
        })
        .collect()
}

fn generate_users(
    s: Seed,
    count: usize,
    domain: &str,
    created: OffsetDateTime,
    skus: &mut [SimSku],
) -> Vec<SimUser> {
    let mut taken = std::collections::HashSet::new();
    let mut users = Vec::with_capacity(count);
    let special = special_mailboxes(count);
    for i in 0..count {
        if i >= count - special {
            let k = i - (count - special);
            let user = special_mailbox(s, i, k, domain, created);
            taken.insert(user.mail_nickname.clone());
            users.push(user);
            continue;
        }
        let mut rng = s.rng("user", i as u64);
        let (given, surname, nickname) = if i == 0 {
            (
                "MOD".to_owned(),
                "Administrator".to_owned(),
                "admin".to_owned(),
            )
        } else {
            let given = (*GIVEN_NAMES.choose(&mut rng).unwrap_or(&"Alex")).to_owned();
            let surname = (*SURNAMES.choose(&mut rng).unwrap_or(&"Vance")).to_owned();
            let base = format!(
                "{}{}",
                given.to_ascii_lowercase(),
                surname.chars().next().unwrap_or('x').to_ascii_lowercase()
            );
            let mut nickname = base.clone();
            let mut n = 2;
            while taken.contains(&nickname) || nickname == "admin" {
                nickname = format!("{base}{n}");
                n += 1;
            }
            (given, surname, nickname)
        };
        taken.insert(nickname.clone());
        let upn = format!("{nickname}@{domain}");
        let &(city, country, lang) = CITIES.choose(&mut rng).unwrap_or(&CITIES[0]);
        let dept = if i == 0 {
            "IT"
        } else {
            DEPARTMENTS.choose(&mut rng).copied().unwrap_or("Sales")
        };
        let title = if i == 0 {
            "Administrator"
        } else {
            JOB_TITLES.choose(&mut rng).copied().unwrap_or("Analyst")
        };
        let sku_index = if i == 0 {
            Some(0)
        } else {
            match rng.random_range(0..10) {
                0..=5 => Some(1),
                6 | 7 => Some(0),
                8 => Some(2),
                _ => None,
            }
        };
        let mut licenses = Vec::new();
        if let Some(k) = sku_index {
            licenses.push(skus[k].sku_id);
            skus[k].enabled += 1;
            if rng.random_bool(0.3) {
                licenses.push(skus[3].sku_id);
                skus[3].enabled += 1;
            }
        }
        let has_phone = rng.random_bool(0.6);
        users.push(SimUser {
            id: s.guid("user", i as u64),
            display_name: if i == 0 {
                "MOD Administrator".to_owned()
            } else {
                format!("{given} {surname}")
            },
            given_name: given,
            surname,
            mail: Some(upn.clone()),
            user_principal_name: upn,
            mail_nickname: nickname,
            job_title: Some(title.to_owned()),
            department: Some(dept.to_owned()),
            office_location: Some(format!(
                "{}/{}",
                rng.random_range(1..40),
                rng.random_range(1000..3000)
            )),
            city: Some(city.to_owned()),
            usage_location: Some(country.to_owned()),
            mobile_phone: has_phone
                .then(|| format!("+1 425 555 {:04}", rng.random_range(0..10000))),
            business_phones: if has_phone {
                vec![format!("+1 425 555 {:04}", rng.random_range(0..10000))]
            } else {
                Vec::new()
            },
            preferred_language: Some(lang.to_owned()),
            account_enabled: true,
            user_type: "Member",
            created: created + Duration::days(rng.random_range(0..300)),
            licenses,
            disabled_plans: Vec::new(),
            license_dates: Vec::new(),
            activity: super::Activity::none(),
            directory_roles: if i == 0 {
                vec!["Global Administrator"]
            } else {
                Vec::new()
            },
            changed_seq: 1,
            deleted_seq: None,
            purpose: MailboxPurpose::User,
        });
    }
    // Bought seats: assigned plus a few spare (already in `enabled`).
    users
}

/// How many of `count` users are shared or resource mailboxes (the last ones):
/// one in ten from ten users on, at most 50, so that a tenant keeps its size.
pub fn special_mailboxes(count: usize) -> usize {
    if count < 10 { 0 } else { (count / 10).min(50) }
}

/// Shared mailbox, room and equipment in turn: no sign-in, no licence, a mailbox.
fn special_mailbox(s: Seed, i: usize, k: usize, domain: &str, created: OffsetDateTime) -> SimUser {
    let mut rng = s.rng("user", i as u64);
    let n = k / 3 + 1;
    let (purpose, display_name, nickname) = match k % 3 {
        0 => {
            let name = SHARED_MAILBOX_NAMES[(k / 3) % SHARED_MAILBOX_NAMES.len()];
            let suffix = if k / 3 < SHARED_MAILBOX_NAMES.len() {
                String::new()
            } else {
                n.to_string()
            };
            let nick: String = name
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .collect::<String>()
                .to_ascii_lowercase();
            (
                MailboxPurpose::Shared,
                format!(
                    "{name}{}",
                    if suffix.is_empty() {
                        String::new()
                    } else {
                        format!(" {suffix}")
                    }
                ),
                format!("{nick}{suffix}"),
            )
        }
        1 => (
            MailboxPurpose::Room,
            format!("Conference Room {n}"),
            format!("room{n}"),
        ),
        _ => (
            MailboxPurpose::Equipment,
            format!("Projector {n}"),
            format!("equipment{n}"),
        ),
    };
    let upn = format!("{nickname}@{domain}");
    let &(city, country, lang) = CITIES.choose(&mut rng).unwrap_or(&CITIES[0]);
    SimUser {
        id: s.guid("user", i as u64),
        given_name: String::new(),
        surname: String::new(),
        display_name,
        mail: Some(upn.clone()),
        user_principal_name: upn,
        mail_nickname: nickname,
        job_title: None,
        department: None,
        office_location: None,
        city: Some(city.to_owned()),
        usage_location: Some(country.to_owned()),
        mobile_phone: None,
        business_phones: Vec::new(),
        preferred_language: Some(lang.to_owned()),
        account_enabled: false,
        user_type: "Member",
        created: created + Duration::days(rng.random_range(0..300)),
        licenses: Vec::new(),
        disabled_plans: Vec::new(),
        license_dates: Vec::new(),
        activity: super::Activity::none(),
        directory_roles: Vec::new(),
        changed_seq: 1,
        deleted_seq: None,
        purpose,
    }
}

fn generate_groups(s: Seed, tenant: &Tenant) -> Vec<SimGroup> {
    let n = tenant.users.len();
    let plan = [
        (GroupKind::Microsoft365, (n / 8).max(2), TEAM_NAMES),
        (GroupKind::Security, (n / 15).max(2), SECURITY_GROUP_NAMES),
        (
            GroupKind::Distribution,
            (n / 15).max(2),
            DISTRIBUTION_LIST_NAMES,
        ),
        (
            GroupKind::MailEnabledSecurity,
            1,
            &["Mail-enabled Security"][..],
        ),
    ];
    let mut groups: Vec<SimGroup> = Vec::new();
    let mut index = 0u64;
    for (kind, count, names) in plan {
        for k in 0..count {
            let mut rng = s.rng("group", index);
            let base = names[k % names.len()];
            let display_name = if k < names.len() {
                base.to_owned()
            } else {
                format!("{base} {}", k / names.len() + 1)
            };
            let nickname: String = display_name
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .collect();
            let member_count = rng.random_range(2..=n.clamp(2, 12));
            let mut members: Vec<MemberRef> = Vec::new();
            for _ in 0..member_count {
                let u = MemberRef::User(rng.random_range(0..n));
                if !members.contains(&u) {
                    members.push(u);
                }
            }
            let owners = match kind {
                GroupKind::Microsoft365 | GroupKind::Security => vec![rng.random_range(0..n)],
                _ => Vec::new(),
            };
            groups.push(SimGroup {
                id: s.guid("group", index),
                description: format!("{display_name} ({})", kind_label(kind)),
                mail_nickname: if k < names.len() {
                    nickname
                } else {
                    format!("{nickname}{k}")
                },
                display_name,
                kind,
                members,
                owners,
                visibility: matches!(kind, GroupKind::Microsoft365).then(|| {
                    if rng.random_bool(0.7) {
                        "Public"
                    } else {
                        "Private"
                    }
                }),
                created: tenant.created + Duration::days(rng.random_range(1..300)),
                changed_seq: 1,
                deleted_seq: None,
                member_log: Vec::new(),
            });
            index += 1;
        }
    }
    // Nesting, where Microsoft allows it: security groups in security groups,
    // distribution lists and mail-enabled security groups in distribution lists.
    let of_kind = |kind: GroupKind| {
        groups
            .iter()
            .enumerate()
            .filter(move |(_, g)| g.kind == kind)
            .map(|(i, _)| i)
            .collect::<Vec<_>>()
    };
    let sec = of_kind(GroupKind::Security);
    let dls = of_kind(GroupKind::Distribution);
    let mes = of_kind(GroupKind::MailEnabledSecurity);
    if sec.len() >= 2 {
        groups[sec[1]].members.push(MemberRef::Group(sec[0]));
    }
    if dls.len() >= 2 {
        groups[dls[1]].members.push(MemberRef::Group(dls[0]));
        if let Some(m) = mes.first() {
            groups[dls[1]].members.push(MemberRef::Group(*m));
        }
    }
    groups
}

fn kind_label(kind: GroupKind) -> &'static str {
    match kind {
        GroupKind::Microsoft365 => "Microsoft 365 group",
        GroupKind::Security => "security group",
        GroupKind::MailEnabledSecurity => "mail-enabled security group",
        GroupKind::Distribution => "distribution list",
    }
}

fn graph_access(names: &[&str]) -> Vec<RequiredResourceAccess> {
    let reference = Reference::get();
    vec![RequiredResourceAccess {
        resource_app_id: model::cloud::GRAPH_APP_ID.to_owned(),
        resource_access: names
            .iter()
            .filter_map(|n| reference.role_by_value(n))
            .map(|r| ResourceAccess {
                id: r.id.clone(),
                kind: "Role".to_owned(),
            })
            .collect(),
    }]
}

fn add_standard_apps(
    s: Seed,
    tenant: &mut Tenant,
    now: OffsetDateTime,
) -> Result<GeneratedSecrets, CryptoError> {
    let mut secrets = GeneratedSecrets::default();
    let graph_sp = SimServicePrincipal {
        id: s.guid("graph-sp", 0),
        app_id: Guid::parse(model::cloud::GRAPH_APP_ID, "graph")
            .unwrap_or_else(|_| s.guid("graph", 0)),
        display_name: "Microsoft Graph".to_owned(),
        kind: SpKind::MicrosoftGraph,
        created: tenant.created,
    };
    let graph_sp_id = graph_sp.id;
    tenant.service_principals.push(graph_sp);

    let everything: Vec<&str> = permissions::all_application_permissions()
        .iter()
        .map(|p| p.name)
        .collect();
    let mail_backup: Vec<&str> = permissions::required(DataType::Mail, Operation::Backup)
        .iter()
        .map(|p| p.name)
        .collect();
    let inventory: Vec<&str> = permissions::required(DataType::Inventory, Operation::Backup)
        .iter()
        .map(|p| p.name)
        .collect();

    for (i, app) in StandardApp::ALL.into_iter().enumerate() {
        let i = i as u64;
        let name = app.name();
        let app_id = if app == StandardApp::Admin {
            Guid::parse(GRAPH_CLI_APP_ID, "app").unwrap_or_else(|_| s.guid("app-id", i))
        } else {
            s.guid("app-id", i)
        };
        let (requested, consented): (&[&str], bool) = match app {
            StandardApp::Full
            | StandardApp::ExpiredSecret
            | StandardApp::ExpiringSecret
            | StandardApp::Certificate => (&everything, true),
            StandardApp::MailOnly => (&mail_backup, true),
            StandardApp::InventoryOnly => (&inventory, true),
            StandardApp::NoConsent => (&everything, false),
            StandardApp::Admin => (&[], false),
        };
        let secret_window = match app {
            StandardApp::ExpiredSecret => {
                Some((now - Duration::days(400), now - Duration::days(30)))
            }
            StandardApp::ExpiringSecret => {
                Some((now - Duration::days(355), now + Duration::days(10)))
            }
            StandardApp::Certificate | StandardApp::Admin => None,
            _ => Some((now - Duration::days(30), now + Duration::days(700))),
        };
        let mut reg = AppReg {
            name: Some(name.to_owned()),
            object_id: s.guid("app", i),
            app_id,
            display_name: if app == StandardApp::Admin {
                "Microsoft Graph Command Line Tools".to_owned()
            } else {
                format!("m365vault ({name})")
            },
            secrets: secret_window
                .map(|(start, end)| SimSecret {
                    key_id: s.guid("secret", i),
                    value: super::apps::new_secret_value(),
                    display_name: "m365vault".to_owned(),
                    start,
                    end,
                })
                .into_iter()
                .collect(),
            certificates: Vec::new(),
            required_resource_access: if requested.is_empty() {
                Vec::new()
            } else {
                graph_access(requested)
            },
            public_client_redirect_uris: if app == StandardApp::Admin {
                vec!["http://localhost".to_owned()]
            } else {
                Vec::new()
            },
            web_redirect_uris: if app == StandardApp::Admin {
                Vec::new()
            } else {
                vec!["https://localhost/m365vault/consent".to_owned()]
            },
            is_fallback_public_client: app == StandardApp::Admin,
            listed: app != StandardApp::Admin,
            created: now - Duration::days(60),
            owners: Vec::new(),
        };
        if app == StandardApp::Certificate {
            let start = now - Duration::days(1);
            let end = now + Duration::days(365);
            let generated = crypto::rsa_certificate("CN=m365vault certificate app", start, end)?;
            let info = crypto::certificate_info(&generated.cert_der)?;
            reg.certificates.push(SimCertificate {
                key_id: s.guid("cert", i),
                display_name: "CN=m365vault certificate app".to_owned(),
                der: generated.cert_der.clone(),
                sha1: info.sha1,
                sha256: info.sha256,
                rsa_public_key_der: info.rsa_public_key_der,
                start: info.not_before,
                end: info.not_after,
            });
            secrets
                .private_keys
                .push((name.to_owned(), generated.key_pem));
            secrets
                .certificates
                .push((name.to_owned(), generated.cert_pem));
        }
        let sp = SimServicePrincipal {
            id: s.guid("sp", i),
            app_id,
            display_name: reg.display_name.clone(),
            kind: SpKind::Application,
            created: reg.created,
        };
        if consented {
            let reference = Reference::get();
            for (k, role) in requested
                .iter()
                .filter_map(|n| reference.role_by_value(n))
                .enumerate()
            {
                tenant.assignments.push(Assignment {
                    id: assignment_id(sp.id, s.guid("assignment", i * 1000 + k as u64)),
                    principal_id: sp.id,
                    resource_id: graph_sp_id,
                    app_role_id: Guid::parse(&role.id, "role")
                        .unwrap_or_else(|_| s.guid("role", 0)),
                    created: reg.created,
                });
            }
        }
        tenant.service_principals.push(sp);
        tenant.apps.push(reg);
    }
    Ok(secrets)
}

/// An app role assignment id as Entra ID makes them: base64url of 32 bytes, the
/// first 16 the principal's GUID in little-endian (Microsoft's GUID) byte order.
pub fn assignment_id(principal: Guid, salt: Guid) -> String {
    let mut bytes = [0u8; 32];
    bytes[..16].copy_from_slice(&principal.as_uuid().to_bytes_le());
    bytes[16..].copy_from_slice(salt.as_uuid().as_bytes());
    crypto::b64url(&bytes)
}
