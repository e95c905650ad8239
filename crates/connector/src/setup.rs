//! Registering m365vault in a tenant on an administrator's behalf: the app
//! registration with exactly the permissions the chosen data types need, a
//! secret or certificate, the service principal, and the grants (admin consent).
//!
//! The administrator signs in elsewhere (device code in the CLI); this module
//! takes the resulting delegated Graph client.

use graph::{GraphClient, GraphError};
use model::permissions::{self, Operation, Permission};
use model::wire::directory::{
    Application, RequiredResourceAccess, ResourceAccess, ServicePrincipal,
};
use model::{DataTypeSet, Guid, cloud::GRAPH_APP_ID};
use secrecy::SecretString;
use serde::Serialize;
use serde_json::json;
use time::{Duration, OffsetDateTime};

use crate::spec::{ConnectorSecret, CredentialInfo};

/// The public client administrators sign in to for setup: Microsoft Graph
/// Command Line Tools, a first-party app present in every tenant.
pub const GRAPH_CLI_CLIENT_ID: &str = model::cloud::GRAPH_COMMAND_LINE_TOOLS_APP_ID;

/// The reply address setup registers for admin consent (nothing needs to listen there).
pub const CONSENT_REDIRECT_URI: &str = "http://localhost";

/// Which credential setup creates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CredentialKind {
    /// A client secret.
    #[default]
    Secret,
    /// A self-signed certificate whose private key never leaves this machine.
    Certificate,
}

/// What to register.
#[derive(Debug, Clone)]
pub struct SetupOptions {
    /// The app registration's display name.
    pub app_name: String,
    /// The data types to request permissions for.
    pub data_types: DataTypeSet,
    /// Request restore permissions too.
    pub restore: bool,
    /// The credential to create.
    pub credential: CredentialKind,
    /// How long the secret or certificate is valid.
    pub valid_days: i64,
}

/// A setup step that failed, with what had been done before it and how it was undone.
#[derive(Debug, thiserror::Error)]
#[error(
    "setup stopped while trying to {step}: {source}{}{}",
    if done.is_empty() { String::new() } else { format!(" (done before that: {})", done.join("; ")) },
    cleanup.as_ref().map(|c| format!("; {c}")).unwrap_or_default()
)]
pub struct SetupError {
    /// What was being done.
    pub step: &'static str,
    /// What had been done before.
    pub done: Vec<String>,
    /// What became of the half-made registration.
    pub cleanup: Option<String>,
    /// The Graph failure.
    #[source]
    pub source: GraphError,
}

/// What setup did.
#[derive(Debug, Serialize)]
pub struct SetupOutcome {
    /// The app registration's object id.
    pub application_id: String,
    /// The Application (client) ID.
    pub client_id: Guid,
    /// The service principal's object id.
    pub service_principal_id: String,
    /// The permissions requested, by name.
    pub requested: Vec<&'static str>,
    /// The permissions granted now.
    pub granted: Vec<&'static str>,
    /// Whether granting needed a more privileged administrator (Privileged Role
    /// Administrator or Global Administrator), so consent is still to be given.
    pub consent_pending: bool,
    /// The credential's public facts.
    pub credential: CredentialInfo,
    /// The credential's secret part, for the vault.
    #[serde(skip)]
    pub secret: Option<ConnectorSecret>,
}

/// The app registration to create, as Graph (and the Entra manifest) spells it.
pub fn manifest(options: &SetupOptions) -> serde_json::Value {
    let perms = requested(options);
    json!({
        "displayName": options.app_name,
        "signInAudience": "AzureADMyOrg",
        "notes": format!("Created for m365vault: {} ({}).", options.data_types, if options.restore { "backup and restore" } else { "backup" }),
        "requiredResourceAccess": [access(&perms)],
        // Admin consent answers on a registered reply address; this one needs no web site.
        "web": {"redirectUris": [CONSENT_REDIRECT_URI]},
    })
}

/// The permissions setup requests for `options`.
pub fn requested(options: &SetupOptions) -> Vec<&'static Permission> {
    let ops: &[Operation] = if options.restore {
        &[Operation::Backup, Operation::Restore]
    } else {
        &[Operation::Backup]
    };
    permissions::required_for(options.data_types.iter(), ops)
}

fn access(perms: &[&'static Permission]) -> RequiredResourceAccess {
    RequiredResourceAccess {
        resource_app_id: GRAPH_APP_ID.to_owned(),
        resource_access: perms
            .iter()
            .map(|p| ResourceAccess {
                id: p.id.to_owned(),
                kind: "Role".to_owned(),
            })
            .collect(),
    }
}

/// Runs setup with an administrator's delegated Graph client. When a step after the
/// app registration fails, the registration is deleted again, so that nothing
/// half-made (and no secret m365vault could not store) is left in the tenant.
pub async fn run(
    graph: &GraphClient,
    options: &SetupOptions,
    now: OffsetDateTime,
) -> Result<SetupOutcome, SetupError> {
    let app: Application = graph
        .post("/applications", &manifest(options))
        .await
        .map_err(|source| SetupError {
            step: "create the app registration",
            done: Vec::new(),
            cleanup: None,
            source,
        })?;
    match complete(graph, options, now, &app).await {
        Ok(outcome) => Ok(outcome),
        Err(mut e) => {
            let name = app.app_id.clone().unwrap_or_else(|| app.id.clone());
            e.cleanup = Some(
                match graph.delete(&format!("/applications/{}", app.id)).await {
                    Ok(()) => format!(
                        "the app registration {name} was deleted again; run setup again once the cause is fixed"
                    ),
                    Err(d) => format!(
                        "the app registration {name} could not be deleted ({d}): delete it in the Entra admin center"
                    ),
                },
            );
            Err(e)
        }
    }
}

async fn complete(
    graph: &GraphClient,
    options: &SetupOptions,
    now: OffsetDateTime,
    app: &Application,
) -> Result<SetupOutcome, SetupError> {
    let mut done: Vec<String> = Vec::new();
    let fail = |step: &'static str, done: &Vec<String>| {
        let done = done.clone();
        move |source| SetupError {
            step,
            done,
            cleanup: None,
            source,
        }
    };
    let perms = requested(options);
    let client_id = app
        .app_id
        .as_deref()
        .and_then(|a| Guid::parse(a, "client id").ok())
        .ok_or_else(|| SetupError {
            step: "read the new app registration",
            done: done.clone(),
            cleanup: None,
            source: GraphError::Decode {
                path: "/applications".into(),
                message: "no appId in the answer".into(),
            },
        })?;
    done.push(format!(
        "created app registration '{}' (client id {client_id})",
        options.app_name
    ));
    let end = now + Duration::days(options.valid_days);

    let (credential, secret) = match options.credential {
        CredentialKind::Secret => {
            let body = json!({"passwordCredential": {"displayName": "m365vault", "endDateTime": rfc3339(end)}});
            let pc: model::wire::directory::PasswordCredential = graph
                .post(&format!("/applications/{}/addPassword", app.id), &body)
                .await
                .map_err(fail("add a client secret", &done))?;
            let value = pc
                .secret_text
                .clone()
                .filter(|v| !v.is_empty())
                .ok_or_else(|| SetupError {
                    step: "read the new client secret",
                    done: done.clone(),
                    cleanup: None,
                    source: GraphError::Decode {
                        path: "/addPassword".into(),
                        message: "the answer holds no secretText".into(),
                    },
                })?;
            done.push("added a client secret".to_owned());
            let info = CredentialInfo::ClientSecret {
                hint: value.chars().take(3).collect(),
                expires_at: pc.end_date_time.or(Some(end)),
            };
            (
                info,
                ConnectorSecret::ClientSecret(SecretString::from(value)),
            )
        }
        CredentialKind::Certificate => {
            let generated = self_signed(&options.app_name, now, end).map_err(|e| SetupError {
                cleanup: None,
                step: "create a certificate",
                done: done.clone(),
                source: GraphError::Request(e),
            })?;
            let body = json!({"keyCredentials": [{
                "type": "AsymmetricX509Cert",
                "usage": "Verify",
                "key": base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &generated.der),
                "displayName": format!("CN={}", options.app_name),
                "startDateTime": rfc3339(now),
                "endDateTime": rfc3339(end),
            }]});
            graph
                .patch(&format!("/applications/{}", app.id), &body)
                .await
                .map_err(fail("upload the certificate", &done))?;
            done.push("uploaded a certificate".to_owned());
            let cert = graph::credential::CertificateCredential::from_pem(
                &generated.cert_pem,
                &generated.key_pem,
            )
            .map_err(|e| SetupError {
                cleanup: None,
                step: "read the certificate",
                done: done.clone(),
                source: GraphError::Request(e.to_string()),
            })?;
            let info = CredentialInfo::Certificate {
                thumbprint: cert.thumbprint(),
                subject: cert.subject().to_owned(),
                expires_at: cert.not_after(),
                certificate_pem: generated.cert_pem,
            };
            (info, ConnectorSecret::PrivateKey(generated.key_pem))
        }
    };

    let sp: ServicePrincipal = graph
        .post(
            "/servicePrincipals",
            &json!({"appId": client_id.to_string()}),
        )
        .await
        .map_err(fail(
            "create the enterprise application (service principal)",
            &done,
        ))?;
    done.push("created the service principal".to_owned());
    let graph_sp: ServicePrincipal = graph
        .get(&format!(
            "/servicePrincipals(appId='{GRAPH_APP_ID}')?$select=id"
        ))
        .await
        .map_err(fail("find Microsoft Graph's service principal", &done))?;

    let mut granted = Vec::new();
    let mut consent_pending = false;
    for p in &perms {
        let body = json!({"principalId": sp.id, "resourceId": graph_sp.id, "appRoleId": p.id});
        match graph
            .post::<_, serde_json::Value>(
                &format!("/servicePrincipals/{}/appRoleAssignedTo", graph_sp.id),
                &body,
            )
            .await
        {
            Ok(_) => granted.push(p.name),
            // Already granted: Graph answers 400 "Permission being assigned already exists on the object."
            Err(e)
                if e.api()
                    .is_some_and(|a| a.message.contains("already exists")) =>
            {
                granted.push(p.name)
            }
            Err(e) if e.is_forbidden() => {
                consent_pending = true;
                break;
            }
            Err(e) => return Err(fail("grant admin consent", &done)(e)),
        }
    }
    Ok(SetupOutcome {
        application_id: app.id.clone(),
        client_id,
        service_principal_id: sp.id,
        requested: perms.iter().map(|p| p.name).collect(),
        granted,
        consent_pending,
        credential,
        secret: Some(secret),
    })
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.replace_nanosecond(0)
        .unwrap_or(t)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

struct Generated {
    der: Vec<u8>,
    cert_pem: String,
    key_pem: SecretString,
}

fn self_signed(
    name: &str,
    start: OffsetDateTime,
    end: OffsetDateTime,
) -> Result<Generated, String> {
    let key = rcgen::KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_2048)
        .map_err(|e| e.to_string())?;
    let mut params =
        rcgen::CertificateParams::new(Vec::<String>::new()).map_err(|e| e.to_string())?;
    let mut dn = rcgen::DistinguishedName::new();
    dn.push(rcgen::DnType::CommonName, name);
    params.distinguished_name = dn;
    params.not_before = start - Duration::minutes(5);
    params.not_after = end;
    let cert = params.self_signed(&key).map_err(|e| e.to_string())?;
    Ok(Generated {
        der: cert.der().to_vec(),
        cert_pem: cert.pem(),
        key_pem: SecretString::from(key.serialize_pem()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_requests_exactly_the_needed_roles() {
        let options = SetupOptions {
            app_name: "m365vault".into(),
            data_types: "mail".parse().expect("data types"),
            restore: false,
            credential: CredentialKind::Secret,
            valid_days: 180,
        };
        let m = manifest(&options);
        let ids: Vec<&str> = m["requiredResourceAccess"][0]["resourceAccess"]
            .as_array()
            .expect("access")
            .iter()
            .filter_map(|r| r["id"].as_str())
            .collect();
        let want: Vec<&str> = permissions::required(model::DataType::Mail, Operation::Backup)
            .iter()
            .map(|p| p.id)
            .collect();
        assert_eq!(ids, want);
        assert!(
            m["requiredResourceAccess"][0]["resourceAccess"]
                .as_array()
                .expect("access")
                .iter()
                .all(|r| r["type"] == "Role")
        );
    }
}
