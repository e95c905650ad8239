//! The HTTP client every request goes through.

use std::time::Duration;

use crate::error::GraphError;

/// How to reach Microsoft's endpoints.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// An extra certificate authority to trust (PEM), such as the simulator's with `--tls`.
    pub ca_pem: Option<String>,
    /// Time allowed for a whole request.
    pub timeout: Duration,
    /// Time allowed to connect.
    pub connect_timeout: Duration,
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            ca_pem: None,
            timeout: Duration::from_secs(300),
            connect_timeout: Duration::from_secs(20),
        }
    }
}

/// The `User-Agent`, in the form Microsoft asks independent software vendors to use
/// (`ISV|Company|Product/Version`), which helps Microsoft support and throttling diagnostics.
pub const USER_AGENT: &str = concat!("ISV|m365vault|m365vault/", env!("CARGO_PKG_VERSION"));

/// Builds the HTTP client.
pub fn build(options: &HttpOptions) -> Result<reqwest::Client, GraphError> {
    let mut builder = reqwest::Client::builder()
        .user_agent(USER_AGENT)
        .timeout(options.timeout)
        .connect_timeout(options.connect_timeout)
        // Download URLs redirect to other hosts; never forward our Authorization header there.
        .redirect(reqwest::redirect::Policy::none());
    if let Some(pem) = &options.ca_pem {
        let certs = reqwest::Certificate::from_pem_bundle(pem.as_bytes()).map_err(|e| {
            GraphError::Request(format!("the CA certificate is not valid PEM: {e}"))
        })?;
        builder = builder.tls_certs_merge(certs);
    }
    builder
        .build()
        .map_err(|e| GraphError::Request(format!("cannot set up HTTPS: {e}")))
}
