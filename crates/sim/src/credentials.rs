//! The credentials file `sim serve --credentials-out` writes: where the
//! simulated tenant lives and the app registrations to sign in with.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// The whole file.
#[derive(Clone, Serialize, Deserialize)]
pub struct Credentials {
    /// Directory (tenant) ID.
    pub tenant_id: String,
    /// The tenant's initial domain.
    pub tenant_domain: String,
    /// Stands where `https://login.microsoftonline.com` stands.
    pub authority_url: String,
    /// Stands where `https://graph.microsoft.com` stands.
    pub graph_url: String,
    /// With `--tls`: the certificate authority clients must trust, PEM.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_pem: Option<String>,
    /// A Global Administrator of the tenant (for device-code and consent sign-ins).
    pub admin_user: String,
    /// App registrations by name (`full`, `mail-only`, `no-consent`, …).
    pub apps: BTreeMap<String, AppCredentials>,
}

/// One app registration's credentials.
#[derive(Clone, Serialize, Deserialize)]
pub struct AppCredentials {
    /// Application (client) ID.
    pub client_id: String,
    /// The client secret's value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    /// The client secret's id (what administrators sometimes paste by mistake).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_id: Option<String>,
    /// The certificate, PEM.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate_pem: Option<String>,
    /// The certificate's private key, PKCS#8 PEM.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_key_pem: Option<String>,
}

impl Credentials {
    /// The app named `name`.
    pub fn app(&self, name: &str) -> Option<&AppCredentials> {
        self.apps.get(name)
    }

    /// Writes the file readable by its owner only.
    pub fn write(&self, path: &Path) -> std::io::Result<()> {
        let json = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        write_private(path, &json)
    }

    /// Reads a credentials file.
    pub fn read(path: &Path) -> std::io::Result<Self> {
        let bytes = std::fs::read(path)?;
        serde_json::from_slice(&bytes)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
    }
}

/// Writes `bytes` to `path` readable by its owner only: a temporary file with mode
/// 0600 renamed over `path`, so an existing file's looser mode never applies.
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = std::path::PathBuf::from(tmp);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    {
        let mut f = options.open(&tmp)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        }
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("tenant_id", &self.tenant_id)
            .field("authority_url", &self.authority_url)
            .field("graph_url", &self.graph_url)
            .field("apps", &self.apps.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for AppCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppCredentials")
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "<redacted>"),
            )
            .field("certificate", &self.certificate_pem.is_some())
            .finish_non_exhaustive()
    }
}
