//! One module per command; shared helpers here.

pub mod backup;
pub mod connector;
pub mod demo;
pub mod directory;
pub mod repo;
pub mod setup;
pub mod sim;
pub mod teams;

use std::io::Read;
use std::path::{Path, PathBuf};

use ::connector::{ConnectorSecret, ConnectorStore, CredentialInfo};
use anyhow::{Context, Result, bail};
use graph::credential::CertificateCredential;
use model::Cloud;
use secrecy::{ExposeSecret, SecretString};
use time::OffsetDateTime;

use crate::cli::{CloudArgs, CredentialArgs};

/// The data directory: `--data-dir`, `M365VAULT_DATA_DIR`, or the platform's data directory.
pub fn data_dir(flag: Option<&Path>) -> Result<PathBuf> {
    if let Some(d) = flag {
        return Ok(d.to_owned());
    }
    directories::ProjectDirs::from("", "", "m365vault")
        .map(|p| p.data_dir().to_owned())
        .context("cannot tell where this platform keeps application data; give --data-dir or set M365VAULT_DATA_DIR")
}

/// Opens the connectors of the data directory.
pub fn store(flag: Option<&Path>) -> Result<ConnectorStore> {
    let dir = data_dir(flag)?;
    ConnectorStore::open(&dir)
        .with_context(|| format!("cannot open the data directory {}", dir.display()))
}

/// A Tokio runtime for the network parts of a command.
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .max_blocking_threads(store::blocking_threads())
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// The cloud named by the arguments, and the extra CA to trust.
pub fn cloud(args: &CloudArgs) -> Result<(Cloud, Option<String>)> {
    let cloud = match &args.cloud {
        Some(name) => Cloud::from_name(name)?,
        None => Cloud::from_urls(args.authority_url.as_deref(), args.graph_url.as_deref())?,
    };
    let ca = match &args.ca_file {
        Some(f) => {
            let pem = std::fs::read_to_string(f)
                .with_context(|| format!("cannot read the CA certificate {}", f.display()))?;
            if !pem.contains("-----BEGIN CERTIFICATE-----") {
                bail!(
                    "{} is not a PEM certificate (it must contain -----BEGIN CERTIFICATE-----)",
                    f.display()
                );
            }
            Some(pem)
        }
        None => None,
    };
    Ok((cloud, ca))
}

fn read_secret_file(path: &Path) -> Result<String> {
    let mut text = String::new();
    if path == Path::new("-") {
        std::io::stdin()
            .read_to_string(&mut text)
            .context("cannot read the client secret from standard input")?;
    } else {
        text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the client secret file {}", path.display()))?;
    }
    Ok(text.trim().to_owned())
}

fn parse_date(text: &str) -> Result<OffsetDateTime> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    if let Ok(d) = time::Date::parse(text.trim(), &format) {
        return Ok(d.with_time(time::Time::MIDNIGHT).assume_utc());
    }
    OffsetDateTime::parse(text.trim(), &time::format_description::well_known::Rfc3339)
        .with_context(|| format!("'{text}' is not a date: give YYYY-MM-DD, as the Expires column of the Entra admin center shows it"))
}

/// Reads the credential the arguments name.
pub fn credential(args: &CredentialArgs) -> Result<(CredentialInfo, ConnectorSecret)> {
    let secret = match (&args.client_secret_file, &args.client_secret_env) {
        (Some(f), _) => Some(read_secret_file(f)?),
        (None, Some(var)) => {
            let v = std::env::var(var).with_context(|| format!("environment variable {var} is not set; export it with the client secret's value"))?;
            Some(v.trim().to_owned())
        }
        (None, None) => None,
    };
    if let Some(value) = secret {
        if value.is_empty() {
            bail!(
                "the client secret is empty: give the secret's Value from Certificates & secrets"
            );
        }
        if value.chars().any(char::is_whitespace) {
            bail!("the client secret contains spaces or line breaks: give only the secret's Value");
        }
        let expires_at = args
            .client_secret_expires
            .as_deref()
            .map(parse_date)
            .transpose()?;
        let info = CredentialInfo::ClientSecret {
            hint: value.chars().take(3).collect(),
            expires_at,
        };
        return Ok((
            info,
            ConnectorSecret::ClientSecret(SecretString::from(value)),
        ));
    }
    if let Some(cert_path) = &args.certificate {
        let cert_pem = std::fs::read_to_string(cert_path)
            .with_context(|| format!("cannot read the certificate {}", cert_path.display()))?;
        let key_pem = match &args.private_key {
            Some(k) => std::fs::read_to_string(k)
                .with_context(|| format!("cannot read the private key {}", k.display()))?,
            None => cert_pem.clone(),
        };
        let key = SecretString::from(key_pem);
        let cert = CertificateCredential::from_pem(&cert_pem, &key)
            .with_context(|| format!("cannot use the certificate {}", cert_path.display()))?;
        if cert.not_after() <= OffsetDateTime::now_utc() {
            bail!(
                "the certificate {} ended on {}: create a new one",
                cert_path.display(),
                cert.not_after().date()
            );
        }
        // Keep only the certificate block in the (public) connector file.
        let only_cert: String = {
            let start = cert_pem.find("-----BEGIN CERTIFICATE-----").unwrap_or(0);
            let end = cert_pem[start..]
                .find("-----END CERTIFICATE-----")
                .map(|e| start + e + "-----END CERTIFICATE-----".len())
                .unwrap_or(cert_pem.len());
            format!("{}\n", &cert_pem[start..end])
        };
        let info = CredentialInfo::Certificate {
            thumbprint: cert.thumbprint(),
            subject: cert.subject().to_owned(),
            expires_at: cert.not_after(),
            certificate_pem: only_cert,
        };
        // Store only the key block(s).
        let key_only: String = key
            .expose_secret()
            .split_inclusive('\n')
            .scan(false, |inside, line| {
                if line.contains("-----BEGIN") && line.contains("PRIVATE KEY") {
                    *inside = true;
                }
                let keep = *inside;
                if line.contains("-----END") && line.contains("PRIVATE KEY") {
                    *inside = false;
                }
                Some(if keep { line.to_owned() } else { String::new() })
            })
            .collect();
        return Ok((
            info,
            ConnectorSecret::PrivateKey(SecretString::from(key_only)),
        ));
    }
    bail!(
        "no credential given: use --client-secret-file FILE or --client-secret-env VAR (never the secret itself on the command line, where other users can see it), or --certificate FILE --private-key FILE"
    )
}

/// Prints a value as pretty JSON on standard output.
pub fn print_json<T: serde::Serialize>(value: &T) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}
