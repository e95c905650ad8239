//! Microsoft clouds: where the identity platform and Microsoft Graph live.

use std::fmt;

use serde::{Deserialize, Serialize};
use url::Url;

/// A named Microsoft cloud, or a custom pair of endpoints (the simulator, a proxy).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CloudKind {
    /// The global service (also GCC).
    Global,
    /// US Government L4 (GCC High).
    UsGov,
    /// US Government L5 (DoD).
    UsGovDod,
    /// Microsoft 365 operated by 21Vianet in China.
    China,
    /// Endpoints that are none of the above, such as the m365vault simulator.
    Custom,
}

impl fmt::Display for CloudKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CloudKind::Global => "global",
            CloudKind::UsGov => "us-gov",
            CloudKind::UsGovDod => "us-gov-dod",
            CloudKind::China => "china",
            CloudKind::Custom => "custom",
        })
    }
}

/// An invalid cloud endpoint.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CloudError {
    /// Not a URL at all.
    #[error("'{value}' is not a valid {what} URL: {reason}")]
    BadUrl {
        /// Which endpoint.
        what: &'static str,
        /// The rejected value.
        value: String,
        /// The parser's reason.
        reason: String,
    },
    /// A URL with a path, query or a scheme other than http(s).
    #[error(
        "'{value}' is not a valid {what} URL: give only the scheme and host, such as https://login.microsoftonline.com"
    )]
    NotABase {
        /// Which endpoint.
        what: &'static str,
        /// The rejected value.
        value: String,
    },
    /// Plain HTTP to another machine.
    #[error(
        "'{value}' is not a valid {what} URL: use https (plain http is accepted only for this machine, such as the simulator on 127.0.0.1)"
    )]
    Insecure {
        /// Which endpoint.
        what: &'static str,
        /// The rejected value.
        value: String,
    },
    /// An unknown cloud name.
    #[error("unknown cloud '{0}': use global, us-gov, us-gov-dod or china")]
    UnknownName(String),
}

/// The endpoints of one cloud.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cloud {
    /// Which cloud these endpoints belong to.
    pub kind: CloudKind,
    /// The identity platform, such as `https://login.microsoftonline.com` (no trailing slash).
    pub authority_url: String,
    /// Microsoft Graph, such as `https://graph.microsoft.com` (no trailing slash).
    pub graph_url: String,
}

const KNOWN: [(CloudKind, &str, &str); 4] = [
    (
        CloudKind::Global,
        "https://login.microsoftonline.com",
        "https://graph.microsoft.com",
    ),
    (
        CloudKind::UsGov,
        "https://login.microsoftonline.us",
        "https://graph.microsoft.us",
    ),
    (
        CloudKind::UsGovDod,
        "https://login.microsoftonline.us",
        "https://dod-graph.microsoft.us",
    ),
    (
        CloudKind::China,
        "https://login.chinacloudapi.cn",
        "https://microsoftgraph.chinacloudapi.cn",
    ),
];

/// The resource identifier of Microsoft Graph in every cloud (its appId).
pub const GRAPH_APP_ID: &str = "00000003-0000-0000-c000-000000000000";

/// Microsoft Graph Command Line Tools: a first-party public client present in every
/// tenant, which administrators sign in to for delegated administration.
pub const GRAPH_COMMAND_LINE_TOOLS_APP_ID: &str = "14d82eec-204b-4c2f-b7e8-296a70dab67e";

impl Cloud {
    /// The global cloud.
    pub fn global() -> Self {
        let (kind, authority, graph) = KNOWN[0];
        Cloud {
            kind,
            authority_url: authority.to_owned(),
            graph_url: graph.to_owned(),
        }
    }

    /// A named cloud's endpoints (`None` for [`CloudKind::Custom`]).
    pub fn named(kind: CloudKind) -> Option<Self> {
        KNOWN
            .iter()
            .find(|(k, _, _)| *k == kind)
            .map(|(kind, a, g)| Cloud {
                kind: *kind,
                authority_url: (*a).to_owned(),
                graph_url: (*g).to_owned(),
            })
    }

    /// Parses a cloud name: `global`, `us-gov` (GCC High), `us-gov-dod`, `china`.
    pub fn from_name(name: &str) -> Result<Self, CloudError> {
        let kind = match name.trim().to_ascii_lowercase().as_str() {
            "global" | "public" | "gcc" => CloudKind::Global,
            "us-gov" | "usgov" | "gcc-high" | "usgovernment" => CloudKind::UsGov,
            "us-gov-dod" | "dod" => CloudKind::UsGovDod,
            "china" | "21vianet" => CloudKind::China,
            _ => return Err(CloudError::UnknownName(name.to_owned())),
        };
        Cloud::named(kind).ok_or_else(|| CloudError::UnknownName(name.to_owned()))
    }

    /// Builds a cloud from explicit endpoints; either may be omitted and then comes from the
    /// cloud the other one belongs to (or the global cloud).
    pub fn from_urls(authority: Option<&str>, graph: Option<&str>) -> Result<Self, CloudError> {
        let authority = authority.map(|a| normalize(a, "authority")).transpose()?;
        let graph = graph.map(|g| normalize(g, "Microsoft Graph")).transpose()?;
        let by_authority = authority
            .as_deref()
            .and_then(|a| KNOWN.iter().find(|(_, ka, _)| *ka == a));
        let by_graph = graph
            .as_deref()
            .and_then(|g| KNOWN.iter().find(|(_, _, kg)| *kg == g));
        let (authority_url, graph_url) = match (authority, graph) {
            (Some(a), Some(g)) => (a, g),
            (Some(a), None) => {
                let g = by_authority
                    .map(|k| k.2.to_owned())
                    .unwrap_or_else(|| a.clone());
                (a, g)
            }
            (None, Some(g)) => {
                let a = by_graph
                    .map(|k| k.1.to_owned())
                    .unwrap_or_else(|| g.clone());
                (a, g)
            }
            (None, None) => return Ok(Cloud::global()),
        };
        let kind = KNOWN
            .iter()
            .find(|(_, a, g)| *a == authority_url && *g == graph_url)
            .map(|k| k.0)
            .unwrap_or(CloudKind::Custom);
        Ok(Cloud {
            kind,
            authority_url,
            graph_url,
        })
    }

    /// The token endpoint of `tenant`.
    pub fn token_endpoint(&self, tenant: &str) -> String {
        format!("{}/{}/oauth2/v2.0/token", self.authority_url, tenant)
    }

    /// The device authorization endpoint of `tenant`.
    pub fn device_code_endpoint(&self, tenant: &str) -> String {
        format!("{}/{}/oauth2/v2.0/devicecode", self.authority_url, tenant)
    }

    /// The authorization endpoint of `tenant`.
    pub fn authorize_endpoint(&self, tenant: &str) -> String {
        format!("{}/{}/oauth2/v2.0/authorize", self.authority_url, tenant)
    }

    /// The `.default` scope for application permissions on Microsoft Graph.
    ///
    /// For the named clouds this is Graph's resource URI; for custom endpoints (the simulator)
    /// it is the global Graph resource URI, which is what the simulator stands in for.
    pub fn graph_default_scope(&self) -> String {
        format!("{}/.default", self.graph_resource())
    }

    /// Microsoft Graph's resource URI in this cloud (the `aud` of its tokens).
    pub fn graph_resource(&self) -> &str {
        match self.kind {
            CloudKind::Custom => "https://graph.microsoft.com",
            _ => &self.graph_url,
        }
    }

    /// The URL an administrator opens to grant admin consent to `client_id`'s
    /// application permissions.
    pub fn admin_consent_url(&self, tenant: &str, client_id: &str) -> String {
        format!(
            "{}/{}/v2.0/adminconsent?client_id={}&scope={}",
            self.authority_url,
            tenant,
            client_id,
            percent_encode(&self.graph_default_scope()),
        )
    }

    /// The versioned Graph base, such as `https://graph.microsoft.com/v1.0`.
    pub fn graph_v1(&self) -> String {
        format!("{}/v1.0", self.graph_url)
    }
}

fn normalize(value: &str, what: &'static str) -> Result<String, CloudError> {
    let url = Url::parse(value.trim()).map_err(|e| CloudError::BadUrl {
        what,
        value: value.to_owned(),
        reason: e.to_string(),
    })?;
    let path_ok = url.path().is_empty() || url.path() == "/";
    if !matches!(url.scheme(), "http" | "https")
        || !path_ok
        || url.query().is_some()
        || url.host().is_none()
    {
        return Err(CloudError::NotABase {
            what,
            value: value.to_owned(),
        });
    }
    // Credentials travel to these endpoints: plain HTTP only to this machine (the simulator).
    let loopback = match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    if url.scheme() == "http" && !loopback {
        return Err(CloudError::Insecure {
            what,
            value: value.to_owned(),
        });
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

/// Percent-encodes a query value (RFC 3986 unreserved characters kept).
pub fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len() * 3);
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_clouds_and_inference() {
        let c = Cloud::from_urls(Some("https://login.microsoftonline.us/"), None).expect("valid");
        assert_eq!(c.kind, CloudKind::UsGov);
        assert_eq!(c.graph_url, "https://graph.microsoft.us");
        let c =
            Cloud::from_urls(None, Some("https://microsoftgraph.chinacloudapi.cn")).expect("valid");
        assert_eq!(c.kind, CloudKind::China);
        assert_eq!(c.authority_url, "https://login.chinacloudapi.cn");
        assert_eq!(
            Cloud::from_urls(None, None).expect("valid"),
            Cloud::global()
        );
    }

    #[test]
    fn custom_endpoints_keep_graph_resource() {
        let c = Cloud::from_urls(Some("http://127.0.0.1:8080"), Some("http://127.0.0.1:8080"))
            .expect("valid");
        assert_eq!(c.kind, CloudKind::Custom);
        assert_eq!(
            c.graph_default_scope(),
            "https://graph.microsoft.com/.default"
        );
        assert_eq!(
            c.token_endpoint("t.example.com"),
            "http://127.0.0.1:8080/t.example.com/oauth2/v2.0/token"
        );
    }

    #[test]
    fn rejects_paths_and_nonsense() {
        assert!(Cloud::from_urls(Some("https://login.microsoftonline.com/contoso"), None).is_err());
        assert!(Cloud::from_urls(Some("login.microsoftonline.com"), None).is_err());
        assert!(Cloud::from_urls(None, Some("ftp://graph.microsoft.com")).is_err());
        assert!(matches!(
            Cloud::from_urls(Some("http://login.example.com"), None),
            Err(CloudError::Insecure { .. })
        ));
        assert!(Cloud::from_urls(Some("http://localhost:8080"), Some("http://[::1]:8080")).is_ok());
    }

    #[test]
    fn consent_url_is_encoded() {
        let url = Cloud::global().admin_consent_url("contoso.onmicrosoft.com", "abc");
        assert_eq!(
            url,
            "https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0/adminconsent?client_id=abc&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default"
        );
    }
}
