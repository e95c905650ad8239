//! Entities as Microsoft Graph v1.0 returns them (shapes follow the CSDL schema).

use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::reference::Reference;
use crate::tenant::{
    AppReg, Assignment, MemberRef, SimGroup, SimServicePrincipal, SimSku, SimUser, SpKind, Tenant,
};

/// A timestamp as Graph writes it: `2024-01-15T10:20:30Z`.
pub fn ts(t: OffsetDateTime) -> String {
    t.replace_nanosecond(0)
        .unwrap_or(t)
        .format(&Rfc3339)
        .unwrap_or_default()
}

/// The properties `/users` returns without `$select`.
pub const USER_DEFAULT: &[&str] = &[
    "businessPhones",
    "displayName",
    "givenName",
    "jobTitle",
    "mail",
    "mobilePhone",
    "officeLocation",
    "preferredLanguage",
    "surname",
    "userPrincipalName",
    "id",
];

/// Keeps `keys` of an object, in that order.
pub fn only(entity: Value, keys: &[&str]) -> Value {
    let Value::Object(mut map) = entity else {
        return entity;
    };
    let mut out = Map::new();
    for k in keys {
        if let Some(v) = map.remove(*k) {
            out.insert((*k).to_owned(), v);
        }
    }
    Value::Object(out)
}

/// A user with every property the simulator knows.
pub fn user(t: &Tenant, u: &SimUser) -> Value {
    // One entry per service plan turned on in an assigned licence, with the
    // subscription's state (`Enabled`, `Warning`, `Suspended`).
    let plans: Vec<Value> = u
        .licenses
        .iter()
        .filter_map(|sku| t.sku(*sku))
        .flat_map(|s| s.service_plans.iter().map(move |p| (s, p)))
        .filter(|(s, (id, _, _))| u.plan_enabled(s.sku_id, *id))
        .map(|(s, (id, name, _))| {
            json!({
                "assignedDateTime": ts(u.assigned_on(s.sku_id)),
                "capabilityStatus": s.capability_status,
                "service": service_of(name),
                "servicePlanId": id.to_string(),
            })
        })
        .collect();
    let licenses: Vec<Value> = u
        .licenses
        .iter()
        .map(|sku| {
            let disabled: Vec<String> = u
                .disabled_plans
                .iter()
                .filter(|(s, _)| s == sku)
                .map(|(_, p)| p.to_string())
                .collect();
            json!({"disabledPlans": disabled, "skuId": sku.to_string()})
        })
        .collect();
    json!({
        "businessPhones": u.business_phones,
        "displayName": u.display_name,
        "givenName": u.given_name,
        "jobTitle": u.job_title,
        "mail": u.mail,
        "mobilePhone": u.mobile_phone,
        "officeLocation": u.office_location,
        "preferredLanguage": u.preferred_language,
        "surname": u.surname,
        "userPrincipalName": u.user_principal_name,
        "id": u.id.to_string(),
        "accountEnabled": u.account_enabled,
        "assignedLicenses": licenses,
        "assignedPlans": plans,
        "city": u.city,
        "companyName": t.display_name,
        "country": u.usage_location,
        "createdDateTime": ts(u.created),
        "deletedDateTime": null,
        "department": u.department,
        "employeeId": null,
        "imAddresses": [u.user_principal_name],
        "mailNickname": u.mail_nickname,
        "onPremisesSyncEnabled": null,
        "otherMails": [],
        "proxyAddresses": u.mail.iter().map(|m| format!("SMTP:{m}")).collect::<Vec<_>>(),
        "usageLocation": u.usage_location,
        "userType": u.user_type,
    })
}

/// The `service` of an assigned plan, as Entra ID names them.
fn service_of(plan: &str) -> &'static str {
    match plan {
        p if p.starts_with("EXCHANGE") => "exchange",
        "SHAREPOINTENTERPRISE" | "SHAREPOINTWAC" | "VISIOONLINE" => "SharePoint",
        p if p.starts_with("TEAMS") => "TeamspaceAPI",
        p if p.starts_with("FLOW") => "ProcessSimple",
        p if p.starts_with("YAMMER") => "YammerEnterprise",
        p if p.starts_with("MCO") => "MicrosoftCommunicationsOnline",
        p if p.starts_with("BI_AZURE") => "PowerBI",
        _ => "MicrosoftOffice",
    }
}

/// A group with every property the simulator knows (this is also the default set).
pub fn group(t: &Tenant, g: &SimGroup) -> Value {
    let unified = matches!(g.kind, model::wire::directory::GroupKind::Microsoft365);
    let mail = g
        .mail_enabled()
        .then(|| format!("{}@{}", g.mail_nickname, t.domain));
    json!({
        "id": g.id.to_string(),
        "deletedDateTime": null,
        "classification": null,
        "createdDateTime": ts(g.created),
        "description": g.description,
        "displayName": g.display_name,
        "expirationDateTime": null,
        "groupTypes": if unified { vec!["Unified"] } else { Vec::new() },
        "isAssignableToRole": null,
        "mail": mail,
        "mailEnabled": g.mail_enabled(),
        "mailNickname": g.mail_nickname,
        "membershipRule": null,
        "membershipRuleProcessingState": null,
        "onPremisesDomainName": null,
        "onPremisesLastSyncDateTime": null,
        "onPremisesNetBiosName": null,
        "onPremisesSamAccountName": null,
        "onPremisesSecurityIdentifier": null,
        "onPremisesSyncEnabled": null,
        "preferredDataLocation": null,
        "preferredLanguage": null,
        "proxyAddresses": mail.iter().map(|m| format!("SMTP:{m}")).collect::<Vec<_>>(),
        "renewedDateTime": ts(g.created),
        "resourceBehaviorOptions": [],
        "resourceProvisioningOptions": team_options(t, g),
        "securityEnabled": g.security_enabled(),
        "securityIdentifier": format!("S-1-12-1-{}", g.id.as_uuid().as_u128() % 4_294_967_296),
        "theme": null,
        "visibility": g.visibility,
        "onPremisesProvisioningErrors": [],
        "serviceProvisioningErrors": [],
    })
}

/// `resourceProvisioningOptions` of a group: `["Team"]` when it has a team.
fn team_options(t: &Tenant, g: &SimGroup) -> Vec<&'static str> {
    let index = t.group(&g.id.to_string()).map(|(i, _)| i);
    if index.is_some_and(|i| crate::teams::has_team(t, i)) {
        vec!["Team"]
    } else {
        Vec::new()
    }
}

/// A member of a directory-object collection: `@odata.type` plus the member's default properties.
pub fn member(t: &Tenant, m: MemberRef) -> Value {
    let (kind, mut v) = match m {
        MemberRef::User(i) => (
            "#microsoft.graph.user",
            only(user(t, &t.users[i]), USER_DEFAULT),
        ),
        MemberRef::Group(i) => ("#microsoft.graph.group", group(t, &t.groups[i])),
    };
    if let Value::Object(map) = &mut v {
        let mut out = Map::new();
        out.insert("@odata.type".to_owned(), Value::String(kind.to_owned()));
        out.append(map);
        return Value::Object(out);
    }
    v
}

/// The organization.
pub fn organization(t: &Tenant) -> Value {
    let admin = t.users.first().map(|u| u.user_principal_name.clone());
    json!({
        "id": t.id.to_string(),
        "deletedDateTime": null,
        "businessPhones": ["+1 425 555 0100"],
        "city": "Redmond",
        "country": "United States",
        "countryLetterCode": "US",
        "createdDateTime": ts(t.created),
        "defaultUsageLocation": "US",
        "displayName": t.display_name,
        "marketingNotificationEmails": [],
        "onPremisesLastSyncDateTime": null,
        "onPremisesSyncEnabled": null,
        "partnerTenantType": null,
        "postalCode": "98052",
        "preferredLanguage": "en",
        "securityComplianceNotificationMails": [],
        "securityComplianceNotificationPhones": [],
        "state": "WA",
        "street": "1 Microsoft Way",
        "technicalNotificationMails": admin.into_iter().collect::<Vec<_>>(),
        "tenantType": "AAD",
        "assignedPlans": [],
        "privacyProfile": null,
        "provisionedPlans": [],
        "verifiedDomains": [{
            "capabilities": "Email, OfficeCommunicationsOnline",
            "isDefault": true,
            "isInitial": true,
            "name": t.domain,
            "type": "Managed",
        }],
    })
}

/// A subscribed SKU.
pub fn subscribed_sku(t: &Tenant, s: &SimSku) -> Value {
    let subscriptions = crate::tenant::subscriptions(t, s);
    json!({
        "accountId": t.id.to_string(),
        "accountName": t.display_name,
        "appliesTo": s.applies_to,
        "capabilityStatus": s.capability_status,
        "consumedUnits": t.consumed_units(s.sku_id),
        "id": format!("{}_{}", t.id, s.sku_id),
        "skuId": s.sku_id.to_string(),
        "skuPartNumber": s.part_number,
        "subscriptionIds": subscriptions.iter().map(|c| c.id.to_string()).collect::<Vec<_>>(),
        "prepaidUnits": {
            "enabled": s.enabled,
            "lockedOut": s.locked_out,
            "suspended": s.suspended,
            "warning": s.warning,
        },
        "servicePlans": service_plans(s),
    })
}

/// A SKU's service plans (`servicePlanInfo`): provisioned, or disabled with
/// the subscription once it is suspended.
fn service_plans(s: &SimSku) -> Vec<Value> {
    let status = match s.capability_status {
        "Suspended" | "LockedOut" | "Deleted" => "Disabled",
        _ => "Success",
    };
    s.service_plans
        .iter()
        .map(|(id, name, applies)| {
            json!({
                "servicePlanId": id.to_string(),
                "servicePlanName": name,
                "provisioningStatus": status,
                "appliesTo": applies,
            })
        })
        .collect()
}

/// The subscriptions behind a SKU (`companySubscription`, `/directory/subscriptions`).
pub fn company_subscriptions(t: &Tenant, s: &SimSku) -> Vec<Value> {
    crate::tenant::subscriptions(t, s)
        .into_iter()
        .map(|c| {
            json!({
                "id": c.id.to_string(),
                "commerceSubscriptionId": c.commerce_id.to_string(),
                "createdDateTime": ts(c.created),
                "isTrial": s.trial,
                "nextLifecycleDateTime": ts(c.next_lifecycle),
                "ownerId": null,
                "ownerTenantId": null,
                "ownerType": null,
                "serviceStatus": service_plans(s),
                "skuId": s.sku_id.to_string(),
                "skuPartNumber": s.part_number,
                "status": s.capability_status,
                "totalLicenses": c.total,
            })
        })
        .collect()
}

/// An app registration; `with_keys` includes certificate bytes (only on `$select=keyCredentials`).
pub fn application(t: &Tenant, a: &AppReg, with_keys: bool) -> Value {
    json!({
        "id": a.object_id.to_string(),
        "deletedDateTime": null,
        "appId": a.app_id.to_string(),
        "applicationTemplateId": null,
        "disabledByMicrosoftStatus": null,
        "createdDateTime": ts(a.created),
        "displayName": a.display_name,
        "description": null,
        "groupMembershipClaims": null,
        "identifierUris": [],
        "isDeviceOnlyAuthSupported": null,
        "isFallbackPublicClient": a.is_fallback_public_client,
        "notes": null,
        "publisherDomain": t.domain,
        "serviceManagementReference": null,
        "signInAudience": "AzureADMyOrg",
        "tags": [],
        "tokenEncryptionKeyId": null,
        "defaultRedirectUri": null,
        "addIns": [],
        "appRoles": [],
        "info": {"logoUrl": null, "marketingUrl": null, "privacyStatementUrl": null, "supportUrl": null, "termsOfServiceUrl": null},
        "keyCredentials": a.certificates.iter().map(|c| json!({
            "customKeyIdentifier": thumbprint_base64(&c.sha1),
            "displayName": c.display_name,
            "endDateTime": ts(c.end),
            "key": if with_keys { Value::String(base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &c.der)) } else { Value::Null },
            "keyId": c.key_id.to_string(),
            "startDateTime": ts(c.start),
            "type": "AsymmetricX509Cert",
            "usage": "Verify",
        })).collect::<Vec<_>>(),
        "optionalClaims": null,
        "parentalControlSettings": {"countriesBlockedForMinors": [], "legalAgeGroupRule": "Allow"},
        "passwordCredentials": a.secrets.iter().map(|s| json!({
            "customKeyIdentifier": null,
            "displayName": s.display_name,
            "endDateTime": ts(s.end),
            "hint": s.hint(),
            "keyId": s.key_id.to_string(),
            "secretText": null,
            "startDateTime": ts(s.start),
        })).collect::<Vec<_>>(),
        "publicClient": {"redirectUris": a.public_client_redirect_uris},
        "requiredResourceAccess": a.required_resource_access,
        "web": {
            "homePageUrl": null,
            "logoutUrl": null,
            "redirectUris": a.web_redirect_uris,
            "implicitGrantSettings": {"enableAccessTokenIssuance": false, "enableIdTokenIssuance": false},
            "redirectUriSettings": a.web_redirect_uris.iter().map(|u| json!({"uri": u, "index": null})).collect::<Vec<_>>(),
        },
        "spa": {"redirectUris": []},
    })
}

/// `customKeyIdentifier` of a certificate: its SHA-1 thumbprint, base64 (Graph's Binary).
fn thumbprint_base64(bytes: &[u8]) -> String {
    base64::Engine::encode(&base64::engine::general_purpose::STANDARD, bytes)
}

/// A service principal.
pub fn service_principal(t: &Tenant, sp: &SimServicePrincipal) -> Value {
    let reference = Reference::get();
    let graph = sp.kind == SpKind::MicrosoftGraph;
    let microsoft_tenant = "f8cdef31-a31e-4b4a-93e4-5f571e91255a";
    let owner = if graph || sp.app_id.to_string() == crate::tenant::GRAPH_CLI_APP_ID {
        microsoft_tenant.to_owned()
    } else {
        t.id.to_string()
    };
    let app_roles: Vec<Value> = if graph {
        reference
            .roles()
            .iter()
            .map(|r| {
                json!({
                    "allowedMemberTypes": ["Application"],
                    "description": r.admin_consent_description,
                    "displayName": r.admin_consent_display_name,
                    "id": r.id,
                    "isEnabled": true,
                    "origin": "Application",
                    "value": r.value,
                })
            })
            .collect()
    } else {
        Vec::new()
    };
    let scopes: Vec<Value> = if graph {
        reference
            .scopes()
            .iter()
            .map(|s| {
                json!({
                    "adminConsentDescription": s.admin_consent_description,
                    "adminConsentDisplayName": s.admin_consent_display_name,
                    "id": s.id,
                    "isEnabled": true,
                    "type": if s.is_admin { "Admin" } else { "User" },
                    "userConsentDescription": null,
                    "userConsentDisplayName": null,
                    "value": s.value,
                })
            })
            .collect()
    } else {
        Vec::new()
    };
    json!({
        "id": sp.id.to_string(),
        "deletedDateTime": null,
        "accountEnabled": true,
        "alternativeNames": [],
        "appDisplayName": sp.display_name,
        "appDescription": null,
        "appId": sp.app_id.to_string(),
        "applicationTemplateId": null,
        "appOwnerOrganizationId": owner,
        "appRoleAssignmentRequired": false,
        "description": null,
        "disabledByMicrosoftStatus": null,
        "displayName": sp.display_name,
        "homepage": null,
        "loginUrl": null,
        "logoutUrl": null,
        "notes": null,
        "notificationEmailAddresses": [],
        "preferredSingleSignOnMode": null,
        "preferredTokenSigningKeyThumbprint": null,
        "replyUrls": [],
        "servicePrincipalNames": if graph { vec!["https://graph.microsoft.com".to_owned(), sp.app_id.to_string()] } else { vec![sp.app_id.to_string()] },
        "servicePrincipalType": "Application",
        "signInAudience": if owner == t.id.to_string() { "AzureADMyOrg" } else { "AzureADMultipleOrgs" },
        "tags": [],
        "tokenEncryptionKeyId": null,
        "info": {"logoUrl": null, "marketingUrl": null, "privacyStatementUrl": null, "supportUrl": null, "termsOfServiceUrl": null},
        "samlSingleSignOnSettings": null,
        "addIns": [],
        "appRoles": app_roles,
        "keyCredentials": [],
        "oauth2PermissionScopes": scopes,
        "passwordCredentials": [],
        "resourceSpecificApplicationPermissions": [],
        "verifiedPublisher": {"displayName": null, "verifiedPublisherId": null, "addedDateTime": null},
    })
}

/// An app role assignment.
pub fn assignment(t: &Tenant, a: &Assignment) -> Value {
    let name = |id| {
        t.service_principals
            .iter()
            .find(|s| s.id == id)
            .map(|s| s.display_name.clone())
    };
    json!({
        "id": a.id,
        "deletedDateTime": null,
        "appRoleId": a.app_role_id.to_string(),
        "createdDateTime": ts(a.created),
        "principalDisplayName": name(a.principal_id),
        "principalId": a.principal_id.to_string(),
        "principalType": "ServicePrincipal",
        "resourceDisplayName": name(a.resource_id),
        "resourceId": a.resource_id.to_string(),
    })
}

/// A removed entry of a delta response.
pub fn removed(id: &str, reason: &str) -> Value {
    json!({"id": id, "@removed": {"reason": reason}})
}
