//! The connector check: sign in, read the granted application permissions,
//! confirm with one Graph call that the token is accepted, and say for each
//! data type whether it can be backed up and restored, naming what is missing.

use std::sync::Arc;

use graph::error::TokenErrorKind;
use graph::identity::IdentityClient;
use graph::retry::RetryPolicy;
use graph::token::{AccessToken, StaticTokenSource};
use graph::{AppCredential, GraphClient, GraphError, HttpOptions, TokenError};
use model::permissions::{self, Operation, Permission};
use model::wire::directory::Application;
use model::{DataType, DataTypeSet};
use serde::Serialize;
use time::OffsetDateTime;

use crate::spec::{ConnectorSpec, CredentialInfo};

/// What to check.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    /// The data types that must work (default: the connector's).
    pub data_types: Option<DataTypeSet>,
    /// Whether restore must work too (default: backup only).
    pub require_restore: bool,
    /// Warn when the credential ends within this many days.
    pub expiry_warning_days: i64,
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            data_types: None,
            require_restore: false,
            expiry_warning_days: 30,
        }
    }
}

/// A permission as the Entra admin center lists it under API permissions.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PermissionRef {
    /// The name, such as `Mail.Read`.
    pub name: &'static str,
    /// Always `Application`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The description the portal shows.
    pub description: &'static str,
    /// The app role id.
    pub id: &'static str,
}

impl From<&'static Permission> for PermissionRef {
    fn from(p: &'static Permission) -> Self {
        PermissionRef {
            name: p.name,
            kind: "Application",
            description: p.display_name,
            id: p.id,
        }
    }
}

/// Whether an operation can run.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum OpState {
    /// Every permission is granted.
    Ok,
    /// Some permission is missing.
    Missing,
    /// Microsoft Graph does not allow it (restoring chats).
    NotSupported,
    /// Not known, because sign-in failed.
    Unknown,
}

/// One data type's verdict.
#[derive(Debug, Clone, Serialize)]
pub struct DataTypeReport {
    /// The data type.
    pub data_type: DataType,
    /// A human name.
    pub label: &'static str,
    /// Whether the check was asked about it.
    pub selected: bool,
    /// Backup.
    pub backup: OpState,
    /// Permissions backup still needs.
    pub backup_missing: Vec<PermissionRef>,
    /// Restore.
    pub restore: OpState,
    /// Permissions restore still needs.
    pub restore_missing: Vec<PermissionRef>,
    /// Why restore is not possible, when it is not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restore_note: Option<&'static str>,
    /// `backup-and-restore`, `backup`, `restore` or `neither`.
    pub can: &'static str,
}

/// The state of the credential's validity period.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum ExpiryState {
    /// Valid for more than the warning period.
    Ok,
    /// Ends within the warning period.
    Expiring,
    /// Has ended.
    Expired,
    /// The end date is not known.
    Unknown,
}

/// The credential's facts.
#[derive(Debug, Clone, Serialize)]
pub struct CredentialReport {
    /// `client-secret` or `certificate`.
    pub kind: &'static str,
    /// `client secret abc…` or `certificate THUMBPRINT`.
    pub description: String,
    /// When it ends.
    #[serde(with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
    /// Whole days left (negative once ended).
    pub days_left: Option<i64>,
    /// The verdict.
    pub state: ExpiryState,
}

/// The sign-in's outcome.
#[derive(Debug, Clone, Serialize)]
pub struct SignInReport {
    /// Whether a token was issued.
    pub ok: bool,
    /// What kind of failure, when sign-in failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_kind: Option<TokenErrorKind>,
    /// The AADSTS code, for Microsoft support.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aadsts: Option<u64>,
    /// What is wrong and what to do.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The identity platform's own words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The identity platform's trace id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace_id: Option<String>,
}

/// Whether Microsoft Graph accepted the token.
#[derive(Debug, Clone, Serialize)]
pub struct GraphProbe {
    /// The call made.
    pub request: String,
    /// Whether it succeeded.
    pub ok: bool,
    /// The HTTP status (absent when Graph was unreachable).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// What went wrong and what to do.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// The whole check.
#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    /// The connector.
    pub connector: String,
    /// The tenant as configured.
    pub tenant_id: String,
    /// The tenant's GUID, from the token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenant_guid: Option<String>,
    /// The Application (client) ID.
    pub client_id: String,
    /// The cloud's name.
    pub cloud: String,
    /// The identity platform.
    pub authority_url: String,
    /// Microsoft Graph.
    pub graph_url: String,
    /// The credential.
    pub credential: CredentialReport,
    /// Sign-in.
    pub sign_in: SignInReport,
    /// The application permissions granted (admin-consented), from the token.
    pub granted: Vec<String>,
    /// The Graph call that confirmed the token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub graph_probe: Option<GraphProbe>,
    /// Per data type.
    pub data_types: Vec<DataTypeReport>,
    /// Where an administrator grants admin consent.
    pub admin_consent_url: String,
    /// Where the app's API permissions are edited in the Entra admin center (named clouds).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub portal_url: Option<String>,
    /// Things to fix soon.
    pub warnings: Vec<String>,
    /// Whether every selected data type works.
    pub ok: bool,
}

fn portal_url(spec: &ConnectorSpec) -> Option<String> {
    let host = match spec.cloud.kind {
        model::cloud::CloudKind::Global => "https://entra.microsoft.com",
        model::cloud::CloudKind::UsGov | model::cloud::CloudKind::UsGovDod => {
            "https://portal.azure.us"
        }
        model::cloud::CloudKind::China => "https://portal.azure.cn",
        model::cloud::CloudKind::Custom => return None,
    };
    Some(format!(
        "{host}/#view/Microsoft_AAD_RegisteredApps/ApplicationMenuBlade/~/CallAnAPI/appId/{}",
        spec.client_id
    ))
}

fn credential_report(
    info: &CredentialInfo,
    now: OffsetDateTime,
    warn_days: i64,
) -> CredentialReport {
    let expires_at = info.expires_at();
    let days_left = expires_at.map(|e| (e - now).whole_days() - i64::from(e < now));
    let state = match expires_at {
        None => ExpiryState::Unknown,
        Some(e) if e <= now => ExpiryState::Expired,
        Some(e) if (e - now).whole_days() < warn_days => ExpiryState::Expiring,
        Some(_) => ExpiryState::Ok,
    };
    CredentialReport {
        kind: match info {
            CredentialInfo::ClientSecret { .. } => "client-secret",
            CredentialInfo::Certificate { .. } => "certificate",
        },
        description: info.describe(),
        expires_at,
        days_left,
        state,
    }
}

/// A cheap call that the granted roles allow, to prove Graph accepts the token.
fn probe_path(roles: &[String]) -> Option<&'static str> {
    let held = |p: &str| permissions::satisfied(p, roles);
    if held("User.Read.All") {
        Some("/users?$top=1&$select=id")
    } else if held("Organization.Read.All") {
        Some("/organization?$select=id")
    } else if held("GroupMember.Read.All") {
        Some("/groups?$top=1&$select=id")
    } else {
        None
    }
}

fn probe_message(e: &GraphError) -> String {
    match e.api() {
        Some(a) if a.status == 401 => format!(
            "Microsoft Graph refused the access token ({}: {}): the authority URL and the Graph URL must belong to the same cloud, and the token must come from this tenant's identity platform",
            a.code, a.message
        ),
        Some(a) if a.status == 403 => format!(
            "Microsoft Graph denied a call the granted permissions should allow ({}: {}); admin consent can take a few minutes to apply: check again shortly",
            a.code, a.message
        ),
        _ => e.to_string(),
    }
}

fn data_type_report(
    d: DataType,
    roles: &[String],
    selected: bool,
    signed_in: bool,
) -> DataTypeReport {
    let access = permissions::evaluate(d, roles);
    let state = |ok: bool| {
        if !signed_in {
            OpState::Unknown
        } else if ok {
            OpState::Ok
        } else {
            OpState::Missing
        }
    };
    let backup = state(access.backup.ok());
    let (restore, restore_missing) = match &access.restore {
        Some(r) => (
            state(r.ok()),
            r.missing.iter().map(|p| PermissionRef::from(*p)).collect(),
        ),
        None => (OpState::NotSupported, Vec::new()),
    };
    let can = match (backup == OpState::Ok, restore == OpState::Ok) {
        (true, true) => "backup-and-restore",
        (true, false) => "backup",
        (false, true) => "restore",
        (false, false) => "neither",
    };
    DataTypeReport {
        data_type: d,
        label: d.label(),
        selected,
        backup,
        backup_missing: if signed_in {
            access
                .backup
                .missing
                .iter()
                .map(|p| PermissionRef::from(*p))
                .collect()
        } else {
            Vec::new()
        },
        restore,
        restore_missing: if signed_in {
            restore_missing
        } else {
            Vec::new()
        },
        restore_note: permissions::unsupported_reason(d, Operation::Restore),
        can,
    }
}

fn token_problem(e: &TokenError) -> SignInReport {
    SignInReport {
        ok: false,
        error_kind: Some(e.kind),
        aadsts: e.aadsts,
        message: Some(e.explanation()),
        detail: Some(e.detail.clone()),
        trace_id: e.trace_id.clone(),
    }
}

/// Checks a connector. Never fails: every problem is in the report.
pub async fn check(
    spec: &ConnectorSpec,
    credential: AppCredential,
    options: &CheckOptions,
) -> CheckReport {
    let now = OffsetDateTime::now_utc();
    let selected = options
        .data_types
        .clone()
        .unwrap_or_else(|| spec.data_types.clone());
    let mut credential_report =
        credential_report(&spec.credential, now, options.expiry_warning_days);
    let mut warnings = Vec::new();
    let http = match graph::http::build(&HttpOptions {
        ca_pem: spec.ca_pem.clone(),
        ..HttpOptions::default()
    }) {
        Ok(h) => h,
        Err(e) => {
            let err = TokenError {
                kind: TokenErrorKind::Unreachable,
                aadsts: None,
                client_id: spec.client_id.to_string(),
                tenant: spec.tenant_id.to_string(),
                detail: e.to_string(),
                trace_id: None,
            };
            return finish(
                spec,
                credential_report,
                token_problem(&err),
                Vec::new(),
                None,
                None,
                &selected,
                options,
                warnings,
            );
        }
    };
    let identity = IdentityClient::new(http.clone(), spec.cloud.clone());
    tracing::info!(connector = %spec.name, tenant = %spec.tenant_id, client_id = %spec.client_id, "checking connector");
    let response = match identity.client_credentials(&credential, now).await {
        Ok(r) => r,
        Err(e) => {
            if e.kind == TokenErrorKind::ExpiredSecret {
                credential_report.state = ExpiryState::Expired;
            }
            return finish(
                spec,
                credential_report,
                token_problem(&e),
                Vec::new(),
                None,
                None,
                &selected,
                options,
                warnings,
            );
        }
    };
    let token = AccessToken::from_response(&response, now);
    let mut roles = token.claims.roles().to_vec();
    roles.sort();
    tracing::debug!(connector = %spec.name, roles = ?roles, "signed in");
    let tenant_guid = token.claims.tid.clone();
    let graph = GraphClient::new(http, &spec.cloud, Arc::new(StaticTokenSource::new(token)))
        .with_retry(RetryPolicy {
            max_attempts: 3,
            ..RetryPolicy::default()
        });

    let probe = match probe_path(&roles) {
        Some(path) => Some(match graph.get::<serde_json::Value>(path).await {
            Ok(_) => GraphProbe {
                request: format!("GET {path}"),
                ok: true,
                status: Some(200),
                message: None,
            },
            Err(e) => GraphProbe {
                request: format!("GET {path}"),
                ok: false,
                status: e.status(),
                message: Some(probe_message(&e)),
            },
        }),
        None => None,
    };

    // A secret's end date can be read from the app registration when the app may read it.
    if credential_report.state == ExpiryState::Unknown
        && permissions::satisfied("Application.Read.All", &roles)
        && let CredentialInfo::ClientSecret { hint, .. } = &spec.credential
        && let Ok(app) = graph
            .get::<Application>(&format!(
                "/applications(appId='{}')?$select=passwordCredentials",
                spec.client_id
            ))
            .await
        && let Some(end) = app
            .password_credentials
            .unwrap_or_default()
            .iter()
            .find(|p| p.hint.as_deref() == Some(hint.as_str()))
            .and_then(|p| p.end_date_time)
    {
        credential_report =
            credential_report_with(&spec.credential, end, now, options.expiry_warning_days);
    }
    if roles.is_empty() {
        warnings.push(
            "the app has no admin-consented application permissions: an administrator must grant admin consent (see the consent URL)".to_owned(),
        );
    }
    let signed_in = SignInReport {
        ok: true,
        error_kind: None,
        aadsts: None,
        message: None,
        detail: None,
        trace_id: None,
    };
    finish(
        spec,
        credential_report,
        signed_in,
        roles,
        tenant_guid,
        probe,
        &selected,
        options,
        warnings,
    )
}

fn credential_report_with(
    info: &CredentialInfo,
    end: OffsetDateTime,
    now: OffsetDateTime,
    warn_days: i64,
) -> CredentialReport {
    let info = match info {
        CredentialInfo::ClientSecret { hint, .. } => CredentialInfo::ClientSecret {
            hint: hint.clone(),
            expires_at: Some(end),
        },
        other => other.clone(),
    };
    credential_report(&info, now, warn_days)
}

#[allow(clippy::too_many_arguments)]
fn finish(
    spec: &ConnectorSpec,
    credential: CredentialReport,
    sign_in: SignInReport,
    granted: Vec<String>,
    tenant_guid: Option<String>,
    graph_probe: Option<GraphProbe>,
    selected: &DataTypeSet,
    options: &CheckOptions,
    mut warnings: Vec<String>,
) -> CheckReport {
    let data_types: Vec<DataTypeReport> = DataType::ALL
        .into_iter()
        .map(|d| data_type_report(d, &granted, selected.contains(d), sign_in.ok))
        .collect();
    match credential.state {
        ExpiryState::Expiring => warnings.push(format!(
            "the {} ends on {} ({} days left): add a new one before then",
            credential.description,
            credential.expires_at.map(|e| e.date().to_string()).unwrap_or_default(),
            credential.days_left.unwrap_or_default()
        )),
        ExpiryState::Expired => warnings.push(format!(
            "the {} has ended{}: create a new one and give it to m365vault",
            credential.description,
            credential.expires_at.map(|e| format!(" (on {})", e.date())).unwrap_or_default()
        )),
        ExpiryState::Unknown => warnings.push(
            "the client secret's end date is not known: give it with --client-secret-expires so that m365vault can warn before it ends".to_owned(),
        ),
        ExpiryState::Ok => {}
    }
    let protected = [DataType::TeamsChannels, DataType::Chats];
    if sign_in.ok && protected.iter().any(|d| selected.contains(*d)) {
        warnings.push(
            "Teams channel and chat messages are protected APIs: besides admin consent, Microsoft must approve the app for them (request access at https://aka.ms/teamsgraph/requestaccess); until then Graph refuses to read them".to_owned(),
        );
    }
    let types_ok = data_types.iter().filter(|d| d.selected).all(|d| {
        d.backup == OpState::Ok
            && (!options.require_restore
                || matches!(d.restore, OpState::Ok | OpState::NotSupported))
    });
    let probe_ok = graph_probe.as_ref().is_none_or(|p| p.ok);
    let ok = sign_in.ok && probe_ok && types_ok && credential.state != ExpiryState::Expired;
    CheckReport {
        connector: spec.name.clone(),
        tenant_id: spec.tenant_id.to_string(),
        tenant_guid,
        client_id: spec.client_id.to_string(),
        cloud: spec.cloud.kind.to_string(),
        authority_url: spec.cloud.authority_url.clone(),
        graph_url: spec.cloud.graph_url.clone(),
        credential,
        sign_in,
        granted,
        graph_probe,
        data_types,
        admin_consent_url: spec
            .cloud
            .admin_consent_url(spec.tenant_id.as_str(), &spec.client_id.to_string()),
        portal_url: portal_url(spec),
        warnings,
        ok,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_states() {
        let now = OffsetDateTime::now_utc();
        let info = |days: i64| CredentialInfo::ClientSecret {
            hint: "abc".into(),
            expires_at: Some(now + time::Duration::days(days)),
        };
        assert_eq!(
            credential_report(&info(200), now, 30).state,
            ExpiryState::Ok
        );
        assert_eq!(
            credential_report(&info(10), now, 30).state,
            ExpiryState::Expiring
        );
        assert_eq!(
            credential_report(&info(-1), now, 30).state,
            ExpiryState::Expired
        );
        assert_eq!(
            credential_report(
                &CredentialInfo::ClientSecret {
                    hint: "abc".into(),
                    expires_at: None
                },
                now,
                30
            )
            .state,
            ExpiryState::Unknown
        );
    }

    #[test]
    fn probes_follow_the_roles() {
        assert_eq!(
            probe_path(&["Mail.Read".into(), "User.Read.All".into()]),
            Some("/users?$top=1&$select=id")
        );
        assert_eq!(
            probe_path(&["Directory.Read.All".into()]),
            Some("/users?$top=1&$select=id")
        );
        assert_eq!(probe_path(&["Sites.Read.All".into()]), None);
    }
}
