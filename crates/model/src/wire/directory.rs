//! Directory entities: users, groups, the organization, subscriptions,
//! applications and service principals.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::Extra;

/// `microsoft.graph.user` (the properties m365vault reads; the rest in `extra`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    /// Object id.
    pub id: String,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Sign-in name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_principal_name: Option<String>,
    /// Primary SMTP address; `null` for users without a mailbox.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mail: Option<String>,
    /// Whether the account can sign in (only with `$select`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_enabled: Option<bool>,
    /// `Member` or `Guest` (only with `$select`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_type: Option<String>,
    /// Licences assigned (only with `$select`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assigned_licenses: Option<Vec<AssignedLicense>>,
    /// Everything else.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `microsoft.graph.assignedLicense`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssignedLicense {
    /// Service plans turned off.
    #[serde(default)]
    pub disabled_plans: Vec<String>,
    /// The SKU.
    #[serde(default)]
    pub sku_id: Option<String>,
}

/// `microsoft.graph.group`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Group {
    /// Object id.
    pub id: String,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Primary SMTP address of mail-enabled groups.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mail: Option<String>,
    /// Whether the group is mail-enabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mail_enabled: Option<bool>,
    /// Whether the group is a security group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_enabled: Option<bool>,
    /// `Unified` for Microsoft 365 groups, `DynamicMembership` for dynamic ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_types: Option<Vec<String>>,
    /// Everything else.
    #[serde(flatten)]
    pub extra: Extra,
}

/// What kind of group a [`Group`] is, as administrators name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum GroupKind {
    /// A Microsoft 365 (unified) group.
    Microsoft365,
    /// A security group that is not mail-enabled.
    Security,
    /// A mail-enabled security group.
    MailEnabledSecurity,
    /// A distribution list (mail-enabled, not security).
    Distribution,
}

impl Group {
    /// Classifies the group the way the Microsoft 365 admin center does.
    pub fn kind(&self) -> GroupKind {
        let unified = self
            .group_types
            .as_deref()
            .unwrap_or_default()
            .iter()
            .any(|t| t == "Unified");
        match (
            unified,
            self.mail_enabled.unwrap_or(false),
            self.security_enabled.unwrap_or(false),
        ) {
            (true, _, _) => GroupKind::Microsoft365,
            (false, true, true) => GroupKind::MailEnabledSecurity,
            (false, true, false) => GroupKind::Distribution,
            (false, false, _) => GroupKind::Security,
        }
    }
}

/// A member of a directory collection such as `/groups/{id}/members`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct DirectoryObject {
    /// `#microsoft.graph.user`, `#microsoft.graph.group`, ….
    #[serde(rename = "@odata.type", default)]
    pub odata_type: String,
    /// Object id.
    pub id: String,
    /// Everything else.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `microsoft.graph.organization` (the properties m365vault reads).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Organization {
    /// The tenant id.
    pub id: String,
    /// The organization's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Verified domains.
    #[serde(default)]
    pub verified_domains: Vec<VerifiedDomain>,
    /// Everything else.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `microsoft.graph.verifiedDomain`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifiedDomain {
    /// The domain name.
    #[serde(default)]
    pub name: Option<String>,
    /// Whether it is the default domain.
    #[serde(default)]
    pub is_default: Option<bool>,
    /// Whether it is the initial `*.onmicrosoft.com` domain.
    #[serde(default)]
    pub is_initial: Option<bool>,
}

/// `microsoft.graph.subscribedSku`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscribedSku {
    /// `{tenantId}_{skuId}`.
    pub id: String,
    /// The SKU's GUID.
    #[serde(default)]
    pub sku_id: Option<String>,
    /// Such as `ENTERPRISEPACK`.
    #[serde(default)]
    pub sku_part_number: Option<String>,
    /// `Enabled`, `Warning`, `Suspended`, `Deleted`, `LockedOut`.
    #[serde(default)]
    pub capability_status: Option<String>,
    /// Licences assigned.
    #[serde(default)]
    pub consumed_units: Option<i64>,
    /// Licences bought, by state.
    #[serde(default)]
    pub prepaid_units: Option<LicenseUnitsDetail>,
    /// Everything else.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `microsoft.graph.licenseUnitsDetail`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LicenseUnitsDetail {
    /// Active units.
    #[serde(default)]
    pub enabled: Option<i64>,
    /// Units locked out.
    #[serde(default)]
    pub locked_out: Option<i64>,
    /// Suspended units.
    #[serde(default)]
    pub suspended: Option<i64>,
    /// Units in the warning state.
    #[serde(default)]
    pub warning: Option<i64>,
}

/// `microsoft.graph.application`: an app registration.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Application {
    /// Object id (not the client id).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub id: String,
    /// Application (client) ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_id: Option<String>,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// `AzureADMyOrg` for single-tenant apps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sign_in_audience: Option<String>,
    /// Client secrets (without their values).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_credentials: Option<Vec<PasswordCredential>>,
    /// Certificates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_credentials: Option<Vec<KeyCredential>>,
    /// The API permissions the app requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required_resource_access: Option<Vec<RequiredResourceAccess>>,
    /// Everything else.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `microsoft.graph.passwordCredential`: a client secret. Its `Debug` output hides `secretText`.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PasswordCredential {
    /// The secret's id (the "Secret ID" column in the portal; not the value).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    /// The description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// The first three characters of the value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// The value, returned only by `addPassword`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_text: Option<String>,
    /// Valid from.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    pub start_date_time: Option<OffsetDateTime>,
    /// Expires.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    pub end_date_time: Option<OffsetDateTime>,
}

impl std::fmt::Debug for PasswordCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordCredential")
            .field("key_id", &self.key_id)
            .field("display_name", &self.display_name)
            .field("hint", &self.hint)
            .field(
                "secret_text",
                &self.secret_text.as_ref().map(|_| "<redacted>"),
            )
            .field("end_date_time", &self.end_date_time)
            .finish_non_exhaustive()
    }
}

/// `microsoft.graph.keyCredential`: a certificate.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyCredential {
    /// The key's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    /// The description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Base64 of the certificate's SHA-1 thumbprint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_key_identifier: Option<String>,
    /// Base64 of the certificate (DER); only when written or read with `$select`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// `AsymmetricX509Cert`.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub key_type: Option<String>,
    /// `Verify` for sign-in certificates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<String>,
    /// Valid from.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    pub start_date_time: Option<OffsetDateTime>,
    /// Expires.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    pub end_date_time: Option<OffsetDateTime>,
}

/// `microsoft.graph.requiredResourceAccess`: the permissions requested from one API.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequiredResourceAccess {
    /// The API's app id (Graph: 00000003-0000-0000-c000-000000000000).
    pub resource_app_id: String,
    /// The permissions.
    pub resource_access: Vec<ResourceAccess>,
}

/// `microsoft.graph.resourceAccess`: one requested permission.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ResourceAccess {
    /// The app role or scope id.
    pub id: String,
    /// `Role` (application permission) or `Scope` (delegated).
    #[serde(rename = "type")]
    pub kind: String,
}

/// `microsoft.graph.servicePrincipal` (the properties m365vault reads).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServicePrincipal {
    /// Object id.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub id: String,
    /// The application's client id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_id: Option<String>,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Application permissions the API exposes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_roles: Option<Vec<AppRole>>,
    /// Everything else.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `microsoft.graph.appRole`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppRole {
    /// The role's id (the GUID granted).
    pub id: String,
    /// The permission name, such as `Mail.Read`.
    #[serde(default)]
    pub value: Option<String>,
    /// The name the portal shows.
    #[serde(default)]
    pub display_name: Option<String>,
    /// The description the portal shows.
    #[serde(default)]
    pub description: Option<String>,
    /// `Application` for application permissions.
    #[serde(default)]
    pub allowed_member_types: Vec<String>,
    /// Whether it can be granted.
    #[serde(default)]
    pub is_enabled: Option<bool>,
}

/// `microsoft.graph.appRoleAssignment`: an application permission granted to a principal.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppRoleAssignment {
    /// Assignment id.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub id: String,
    /// The app role granted.
    pub app_role_id: String,
    /// The service principal (or user or group) granted the role.
    pub principal_id: String,
    /// The API's service principal.
    pub resource_id: String,
    /// `ServicePrincipal`, `User` or `Group`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal_type: Option<String>,
    /// The principal's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal_display_name: Option<String>,
    /// The API's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_display_name: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_properties_survive_a_round_trip() {
        let json = r#"{"id":"1","displayName":"A","businessPhones":["+1"],"officeLocation":null}"#;
        let user: User = serde_json::from_str(json).expect("parses");
        assert_eq!(
            user.extra.get("businessPhones"),
            Some(&serde_json::json!(["+1"]))
        );
        let back = serde_json::to_value(&user).expect("serializes");
        assert_eq!(
            back,
            serde_json::from_str::<serde_json::Value>(json).expect("json")
        );
    }

    #[test]
    fn group_kinds() {
        let g = |types: &[&str], mail, sec| Group {
            group_types: Some(types.iter().map(|s| (*s).to_owned()).collect()),
            mail_enabled: Some(mail),
            security_enabled: Some(sec),
            ..Group::default()
        };
        assert_eq!(g(&["Unified"], true, false).kind(), GroupKind::Microsoft365);
        assert_eq!(g(&[], true, false).kind(), GroupKind::Distribution);
        assert_eq!(g(&[], true, true).kind(), GroupKind::MailEnabledSecurity);
        assert_eq!(g(&[], false, true).kind(), GroupKind::Security);
    }

    #[test]
    fn secrets_dates_parse_with_fractions() {
        let p: PasswordCredential = serde_json::from_str(
            r#"{"keyId":"k","endDateTime":"2027-03-01T10:20:30.1234567Z","hint":"abc"}"#,
        )
        .expect("parses");
        assert_eq!(p.end_date_time.map(|d| d.year()), Some(2027));
    }
}
