//! App registrations, service principals and application-permission grants.

use model::Guid;
use time::OffsetDateTime;

/// A client secret of an app registration.
#[derive(Debug, Clone)]
pub struct SimSecret {
    /// The secret's id ("Secret ID" in the portal).
    pub key_id: Guid,
    /// The secret's value ("Value" in the portal).
    pub value: String,
    /// Description.
    pub display_name: String,
    /// Valid from.
    pub start: OffsetDateTime,
    /// Expires.
    pub end: OffsetDateTime,
}

impl SimSecret {
    /// The first three characters of the value, as Graph shows them.
    pub fn hint(&self) -> String {
        self.value.chars().take(3).collect()
    }
}

/// A certificate of an app registration.
#[derive(Debug, Clone)]
pub struct SimCertificate {
    /// The key's id.
    pub key_id: Guid,
    /// Description.
    pub display_name: String,
    /// The certificate, DER.
    pub der: Vec<u8>,
    /// SHA-1 of the DER (the `x5t` thumbprint).
    pub sha1: [u8; 20],
    /// SHA-256 of the DER (the `x5t#S256` thumbprint).
    pub sha256: [u8; 32],
    /// The RSA public key, PKCS#1 DER (what signatures are checked with).
    pub rsa_public_key_der: Vec<u8>,
    /// Valid from.
    pub start: OffsetDateTime,
    /// Expires.
    pub end: OffsetDateTime,
}

/// An app registration (`/applications`).
#[derive(Debug, Clone)]
pub struct AppReg {
    /// The name in the credentials file (`full`, `mail-only`, …), for apps the simulator made.
    pub name: Option<String>,
    /// Object id.
    pub object_id: Guid,
    /// Application (client) ID.
    pub app_id: Guid,
    /// Display name.
    pub display_name: String,
    /// Client secrets.
    pub secrets: Vec<SimSecret>,
    /// Certificates.
    pub certificates: Vec<SimCertificate>,
    /// API permissions requested, as Graph stores them.
    pub required_resource_access: Vec<model::wire::directory::RequiredResourceAccess>,
    /// Redirect URIs of the public-client (mobile and desktop) platform.
    pub public_client_redirect_uris: Vec<String>,
    /// Redirect URIs of the web platform.
    pub web_redirect_uris: Vec<String>,
    /// Whether public-client flows (device code) are allowed without a secret.
    pub is_fallback_public_client: bool,
    /// Whether the registration lives in this tenant (false for first-party Microsoft apps).
    pub listed: bool,
    /// Created.
    pub created: OffsetDateTime,
    /// Users who own the registration (its creator).
    pub owners: Vec<Guid>,
}

impl AppReg {
    /// Whether `uri` is a registered redirect URI. Loopback URIs match on any port,
    /// as the identity platform allows for native apps.
    pub fn redirect_uri_allowed(&self, uri: &str) -> bool {
        let all = self
            .public_client_redirect_uris
            .iter()
            .chain(&self.web_redirect_uris);
        for registered in all {
            if registered == uri {
                return true;
            }
            let loopback = |u: &str| {
                url::Url::parse(u).ok().filter(|u| {
                    u.scheme() == "http"
                        && matches!(u.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"))
                })
            };
            if let (Some(a), Some(b)) = (loopback(registered), loopback(uri))
                && a.host_str() == b.host_str()
                && a.path() == b.path()
            {
                return true;
            }
        }
        false
    }
}

/// What a service principal stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpKind {
    /// An application that calls APIs.
    Application,
    /// Microsoft Graph itself (the resource that exposes app roles).
    MicrosoftGraph,
}

/// A service principal (`/servicePrincipals`).
#[derive(Debug, Clone)]
pub struct SimServicePrincipal {
    /// Object id.
    pub id: Guid,
    /// The application's client id.
    pub app_id: Guid,
    /// Display name.
    pub display_name: String,
    /// What it is.
    pub kind: SpKind,
    /// Created.
    pub created: OffsetDateTime,
}

/// An application permission granted (an app role assignment).
#[derive(Debug, Clone)]
pub struct Assignment {
    /// Assignment id.
    pub id: String,
    /// The service principal granted the role.
    pub principal_id: Guid,
    /// The resource (Microsoft Graph's service principal).
    pub resource_id: Guid,
    /// The app role.
    pub app_role_id: Guid,
    /// When it was granted.
    pub created: OffsetDateTime,
}

/// The app registrations every simulated tenant starts with (the names in the credentials file).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StandardApp {
    /// Every permission m365vault can use, consented.
    Full,
    /// Only what mail backup needs, consented.
    MailOnly,
    /// Only what the inventory needs, consented.
    InventoryOnly,
    /// Every permission requested, none consented.
    NoConsent,
    /// Every permission consented; the only secret ended 30 days ago.
    ExpiredSecret,
    /// Every permission consented; the only secret ends in 10 days.
    ExpiringSecret,
    /// Every permission consented; a certificate and no secret.
    Certificate,
    /// A public client (Microsoft Graph Command Line Tools) for delegated administration.
    Admin,
}

impl StandardApp {
    /// All of them.
    pub const ALL: [StandardApp; 8] = [
        StandardApp::Full,
        StandardApp::MailOnly,
        StandardApp::InventoryOnly,
        StandardApp::NoConsent,
        StandardApp::ExpiredSecret,
        StandardApp::ExpiringSecret,
        StandardApp::Certificate,
        StandardApp::Admin,
    ];

    /// The name in the credentials file.
    pub const fn name(self) -> &'static str {
        match self {
            StandardApp::Full => "full",
            StandardApp::MailOnly => "mail-only",
            StandardApp::InventoryOnly => "inventory-only",
            StandardApp::NoConsent => "no-consent",
            StandardApp::ExpiredSecret => "expired-secret",
            StandardApp::ExpiringSecret => "expiring-secret",
            StandardApp::Certificate => "certificate",
            StandardApp::Admin => "admin",
        }
    }
}

/// The client id of Microsoft Graph Command Line Tools (the same in every tenant).
pub const GRAPH_CLI_APP_ID: &str = model::cloud::GRAPH_COMMAND_LINE_TOOLS_APP_ID;

/// A new client secret value in the shape Entra ID issues (40 characters, `8Q~` after the hint).
pub fn new_secret_value() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~";
    let mut rng = rand::rng();
    let mut pick = |n: usize| {
        (0..n)
            .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
            .collect::<String>()
    };
    let hint = pick(3);
    let rest = pick(34);
    format!("{hint}8Q~{rest}")
}
