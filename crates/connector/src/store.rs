//! Connectors in the data directory: `connectors.json` (no secrets) and the vault.

use std::fs;
use std::path::{Path, PathBuf};

use graph::credential::{CertificateCredential, CredentialError};
use graph::{AppCredential, Credential};
use model::{DataTypeSet, Guid, TenantId};
use serde::{Deserialize, Serialize};

use crate::spec::{BadName, ConnectorSecret, ConnectorSpec, CredentialInfo, validate_name};
use crate::vault::{Vault, VaultError, create_private_dir, write_private};

const FORMAT_VERSION: u32 = 1;

/// A failure of the connector store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// An invalid name.
    #[error(transparent)]
    BadName(#[from] BadName),
    /// No such connector.
    #[error("no connector named '{name}'{}", if known.is_empty() { "; add one with `m365vault connector add`".to_owned() } else { format!("; the connectors are: {}", known.join(", ")) })]
    NotFound {
        /// The name asked for.
        name: String,
        /// The names that exist.
        known: Vec<String>,
    },
    /// The name is taken.
    #[error(
        "a connector named '{0}' already exists; choose another name, or remove it first with `m365vault connector remove {0}`"
    )]
    Exists(String),
    /// Another connector of the tenant already serves some of these data types.
    #[error(
        "connector '{other}' already serves {overlap} for this tenant; give this connector other data types with --data-types, or remove '{other}' first (each data type of a tenant is served by one connector)"
    )]
    Overlap {
        /// The other connector.
        other: String,
        /// The data types both would serve.
        overlap: String,
    },
    /// The vault failed.
    #[error(transparent)]
    Vault(#[from] VaultError),
    /// The stored secret is missing.
    #[error(
        "the secret of connector '{0}' is missing from the vault; add it again with `m365vault connector remove {0}` and `m365vault connector add`"
    )]
    SecretMissing(String),
    /// The stored certificate or key cannot be used.
    #[error("the certificate of connector '{name}' cannot be used: {source}")]
    Credential {
        /// The connector.
        name: String,
        /// Why.
        source: CredentialError,
    },
    /// File system trouble.
    #[error("cannot {action} {path}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// Which file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// `connectors.json` is damaged.
    #[error(
        "{path} is not readable: {reason}; restore it from a copy, or move it away to start without connectors"
    )]
    Corrupt {
        /// Which file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}

#[derive(Serialize, Deserialize)]
struct ConnectorsFile {
    version: u32,
    connectors: Vec<ConnectorSpec>,
}

/// The connectors of one data directory.
#[derive(Debug)]
pub struct ConnectorStore {
    path: PathBuf,
    lock_path: PathBuf,
    vault: Vault,
}

impl ConnectorStore {
    /// Opens the store of `data_dir`, creating the directory (mode 0700) when needed.
    pub fn open(data_dir: &Path) -> Result<ConnectorStore, StoreError> {
        create_private_dir(data_dir).map_err(|source| StoreError::Io {
            action: "create",
            path: data_dir.to_owned(),
            source,
        })?;
        let vault = Vault::open(&data_dir.join("secrets"))?;
        Ok(ConnectorStore {
            path: data_dir.join("connectors.json"),
            lock_path: data_dir.join(".lock"),
            vault,
        })
    }

    /// Holds the data directory's lock until the returned file is dropped, so that two
    /// m365vault processes never interleave a read-modify-write of the same files.
    fn lock(&self) -> Result<fs::File, StoreError> {
        let io = |source| StoreError::Io {
            action: "lock",
            path: self.lock_path.clone(),
            source,
        };
        let file = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&self.lock_path)
            .map_err(io)?;
        file.lock().map_err(io)?;
        Ok(file)
    }

    /// Whether a connector named `name` for `tenant` serving `data_types` could be added:
    /// the name is valid and free, and no other connector of the tenant serves those data types.
    pub fn check_new(
        &self,
        name: &str,
        tenant: &TenantId,
        tenant_guid: Option<Guid>,
        data_types: &DataTypeSet,
    ) -> Result<(), StoreError> {
        validate_name(name)?;
        let file = self.load()?;
        Self::check_against(&file, name, tenant, tenant_guid, data_types)
    }

    fn check_against(
        file: &ConnectorsFile,
        name: &str,
        tenant: &TenantId,
        tenant_guid: Option<Guid>,
        data_types: &DataTypeSet,
    ) -> Result<(), StoreError> {
        if file.connectors.iter().any(|c| c.name == name) {
            return Err(StoreError::Exists(name.to_owned()));
        }
        let same_tenant = |c: &ConnectorSpec| {
            c.tenant_id == *tenant || (tenant_guid.is_some() && c.tenant_guid == tenant_guid)
        };
        for other in file.connectors.iter().filter(|c| same_tenant(c)) {
            let overlap: DataTypeSet = other.data_types.intersection(data_types);
            if !overlap.is_empty() {
                return Err(StoreError::Overlap {
                    other: other.name.clone(),
                    overlap: overlap.to_string(),
                });
            }
        }
        Ok(())
    }

    fn load(&self) -> Result<ConnectorsFile, StoreError> {
        match fs::read(&self.path) {
            Ok(bytes) => {
                let file: ConnectorsFile =
                    serde_json::from_slice(&bytes).map_err(|e| StoreError::Corrupt {
                        path: self.path.clone(),
                        reason: e.to_string(),
                    })?;
                if file.version != FORMAT_VERSION {
                    return Err(StoreError::Corrupt {
                        path: self.path.clone(),
                        reason: format!(
                            "format version {} is not supported by this m365vault",
                            file.version
                        ),
                    });
                }
                Ok(file)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(ConnectorsFile {
                version: FORMAT_VERSION,
                connectors: Vec::new(),
            }),
            Err(source) => Err(StoreError::Io {
                action: "read",
                path: self.path.clone(),
                source,
            }),
        }
    }

    fn save(&self, file: &ConnectorsFile) -> Result<(), StoreError> {
        let bytes = serde_json::to_vec_pretty(file).map_err(|e| StoreError::Corrupt {
            path: self.path.clone(),
            reason: e.to_string(),
        })?;
        write_private(&self.path, &bytes).map_err(|source| StoreError::Io {
            action: "write",
            path: self.path.clone(),
            source,
        })
    }

    /// Every connector, by name.
    pub fn list(&self) -> Result<Vec<ConnectorSpec>, StoreError> {
        let mut v = self.load()?.connectors;
        v.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(v)
    }

    /// The connector `name`.
    pub fn get(&self, name: &str) -> Result<ConnectorSpec, StoreError> {
        let all = self.list()?;
        all.iter()
            .find(|c| c.name == name)
            .cloned()
            .ok_or_else(|| StoreError::NotFound {
                name: name.to_owned(),
                known: all.iter().map(|c| c.name.clone()).collect(),
            })
    }

    /// Adds a connector and seals its secret.
    pub fn add(&self, spec: ConnectorSpec, secret: &ConnectorSecret) -> Result<(), StoreError> {
        let _lock = self.lock()?;
        let mut file = self.load()?;
        validate_name(&spec.name)?;
        Self::check_against(
            &file,
            &spec.name,
            &spec.tenant_id,
            spec.tenant_guid,
            &spec.data_types,
        )?;
        // Secret first: a connector is never listed without its secret.
        self.put_secret(&spec.name, secret)?;
        file.connectors.push(spec);
        self.save(&file)
    }

    fn put_secret(&self, name: &str, secret: &ConnectorSecret) -> Result<(), StoreError> {
        match secret {
            ConnectorSecret::ClientSecret(s) | ConnectorSecret::PrivateKey(s) => {
                self.vault.put(&secret.entry(name), s)?
            }
        }
        Ok(())
    }

    /// Replaces a connector's credential (a new secret or certificate).
    pub fn replace_credential(
        &self,
        name: &str,
        info: CredentialInfo,
        secret: &ConnectorSecret,
    ) -> Result<ConnectorSpec, StoreError> {
        let _lock = self.lock()?;
        let mut file = self.load()?;
        let known: Vec<String> = file.connectors.iter().map(|c| c.name.clone()).collect();
        let spec = file
            .connectors
            .iter_mut()
            .find(|c| c.name == name)
            .ok_or_else(|| StoreError::NotFound {
                name: name.to_owned(),
                known,
            })?;
        self.put_secret(name, secret)?;
        // The other kind of secret, if any, is no longer used.
        let stale = match secret {
            ConnectorSecret::ClientSecret(_) => format!("connector/{name}/private-key"),
            ConnectorSecret::PrivateKey(_) => format!("connector/{name}/client-secret"),
        };
        self.vault.remove(&stale)?;
        spec.credential = info;
        let updated = spec.clone();
        self.save(&file)?;
        Ok(updated)
    }

    /// Records facts learnt at sign-in (the tenant's GUID).
    pub fn update(&self, spec: &ConnectorSpec) -> Result<(), StoreError> {
        let _lock = self.lock()?;
        let mut file = self.load()?;
        if let Some(existing) = file.connectors.iter_mut().find(|c| c.name == spec.name) {
            *existing = spec.clone();
            self.save(&file)?;
        }
        Ok(())
    }

    /// Removes a connector and its secret.
    pub fn remove(&self, name: &str) -> Result<ConnectorSpec, StoreError> {
        let _lock = self.lock()?;
        let mut file = self.load()?;
        let pos = file
            .connectors
            .iter()
            .position(|c| c.name == name)
            .ok_or_else(|| StoreError::NotFound {
                name: name.to_owned(),
                known: file.connectors.iter().map(|c| c.name.clone()).collect(),
            })?;
        let removed = file.connectors.remove(pos);
        self.save(&file)?;
        self.vault
            .remove(&format!("connector/{name}/client-secret"))?;
        self.vault
            .remove(&format!("connector/{name}/private-key"))?;
        Ok(removed)
    }

    /// The connector's credential, ready to sign in with.
    pub fn app_credential(&self, spec: &ConnectorSpec) -> Result<AppCredential, StoreError> {
        let credential = match &spec.credential {
            CredentialInfo::ClientSecret { .. } => {
                let secret = self
                    .vault
                    .get(&format!("connector/{}/client-secret", spec.name))?
                    .ok_or_else(|| StoreError::SecretMissing(spec.name.clone()))?;
                Credential::Secret(secret)
            }
            CredentialInfo::Certificate {
                certificate_pem, ..
            } => {
                let key = self
                    .vault
                    .get(&format!("connector/{}/private-key", spec.name))?
                    .ok_or_else(|| StoreError::SecretMissing(spec.name.clone()))?;
                let cert =
                    CertificateCredential::from_pem(certificate_pem, &key).map_err(|source| {
                        StoreError::Credential {
                            name: spec.name.clone(),
                            source,
                        }
                    })?;
                Credential::Certificate(Box::new(cert))
            }
        };
        Ok(AppCredential {
            tenant: spec.tenant_id.clone(),
            client_id: spec.client_id,
            credential,
        })
    }
}
