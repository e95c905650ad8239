//! Object storage through opendal: S3-compatible services and Azure Blob.
//! opendal's API moves between minor versions, so it stays behind [`BlobStore`].

use async_trait::async_trait;
use bytes::Bytes;
use opendal::{ErrorKind, Operator};
use secrecy::ExposeSecret;

use super::location::{AzblobOptions, LocationError, S3Options};
use super::object_lock::LockingClient;
use super::{BackendError, BlobStore, FileInfo, FileKind, check_name};

/// A repository in an S3 bucket or an Azure Blob container.
#[derive(Debug, Clone)]
pub struct ObjectStore {
    op: Operator,
    location: String,
    /// Writes and deletes under S3 Object Lock.
    lock: Option<std::sync::Arc<LockingClient>>,
}

impl ObjectStore {
    /// An S3-compatible bucket.
    pub fn s3(o: &S3Options) -> Result<Self, LocationError> {
        opendal::install_default();
        let location = format!("s3://{}/{}", o.bucket, o.prefix);
        let mut b = opendal::services::S3::default()
            .bucket(&o.bucket)
            .root(&format!("/{}", o.prefix));
        if let Some(endpoint) = &o.endpoint {
            b = b.endpoint(endpoint);
        }
        b = b.region(o.region.as_deref().unwrap_or("us-east-1"));
        if let Some(id) = &o.access_key_id {
            b = b.access_key_id(id);
        }
        if let Some(secret) = &o.secret_access_key {
            b = b.secret_access_key(secret.expose_secret());
        }
        if let Some(token) = &o.session_token {
            b = b.session_token(token.expose_secret());
        }
        let op = Operator::new(b).map_err(|e| LocationError::Setup {
            location: location.clone(),
            detail: e.to_string(),
        })?;
        let lock = match o.object_lock {
            None => None,
            Some(lock) => Some(std::sync::Arc::new(Self::locking_client(
                o, lock, &location,
            )?)),
        };
        Ok(Self { op, location, lock })
    }

    fn locking_client(
        o: &S3Options,
        lock: super::object_lock::ObjectLock,
        location: &str,
    ) -> Result<LockingClient, LocationError> {
        let setup = |detail: String| LocationError::Setup {
            location: location.to_owned(),
            detail,
        };
        let (Some(id), Some(secret)) = (&o.access_key_id, &o.secret_access_key) else {
            return Err(setup("Object Lock needs explicit credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY".into()));
        };
        let region = o.region.clone().unwrap_or_else(|| "us-east-1".into());
        let endpoint = o
            .endpoint
            .clone()
            .unwrap_or_else(|| format!("https://s3.{region}.amazonaws.com"));
        LockingClient::new(
            &endpoint,
            &o.bucket,
            &o.prefix,
            &region,
            id,
            secret.clone(),
            o.session_token.clone(),
            lock,
            location.to_owned(),
        )
        .map_err(setup)
    }

    /// An Azure Blob container.
    pub fn azblob(o: &AzblobOptions) -> Result<Self, LocationError> {
        opendal::install_default();
        let location = format!("azblob://{}/{}", o.container, o.prefix);
        let mut b = opendal::services::Azblob::default()
            .container(&o.container)
            .root(&format!("/{}", o.prefix));
        let endpoint = match (&o.endpoint, &o.account_name) {
            (Some(e), _) => e.clone(),
            (None, Some(account)) => format!("https://{account}.blob.core.windows.net"),
            (None, None) => {
                return Err(LocationError::Setup {
                    location,
                    detail: "no storage account: pass --azure-account or set AZURE_STORAGE_ACCOUNT"
                        .into(),
                });
            }
        };
        b = b.endpoint(&endpoint);
        if let Some(account) = &o.account_name {
            b = b.account_name(account);
        }
        if let Some(key) = &o.account_key {
            b = b.account_key(key.expose_secret());
        }
        let op = Operator::new(b).map_err(|e| LocationError::Setup {
            location: location.clone(),
            detail: e.to_string(),
        })?;
        Ok(Self {
            op,
            location,
            lock: None,
        })
    }

    fn error(&self, kind: FileKind, name: &str, e: opendal::Error) -> BackendError {
        let location = self.location.clone();
        // opendal's messages carry request details but never credentials.
        let detail = format!("{kind} {name}: {e}");
        match e.kind() {
            ErrorKind::NotFound => BackendError::NotFound {
                kind,
                name: name.to_owned(),
                location,
            },
            ErrorKind::PermissionDenied => BackendError::Denied { location, detail },
            ErrorKind::RateLimited => BackendError::Transient { location, detail },
            _ if e.is_temporary() => BackendError::Transient { location, detail },
            _ => BackendError::Permanent { location, detail },
        }
    }

    fn path(kind: FileKind, name: &str) -> Result<String, BackendError> {
        check_name(kind, name)?;
        Ok(kind.path(name))
    }
}

#[async_trait]
impl BlobStore for ObjectStore {
    fn location(&self) -> String {
        self.location.clone()
    }

    async fn create(&self) -> Result<(), BackendError> {
        // Buckets and containers are made by their owners; prove this one answers.
        self.op
            .list_with("keys/")
            .await
            .map(|_| ())
            .map_err(|e| self.error(FileKind::Key, "", e))
    }

    async fn list(&self, kind: FileKind) -> Result<Vec<FileInfo>, BackendError> {
        let dir = match kind {
            FileKind::Config => String::new(),
            _ => format!("{}/", kind.dir()),
        };
        let entries = self.op.list_with(&dir).recursive(true).await;
        let entries = match entries {
            Ok(entries) => entries,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(self.error(kind, &dir, e)),
        };
        let mut out = Vec::new();
        for entry in entries {
            if entry.metadata().is_dir() {
                continue;
            }
            let name = entry.name().to_owned();
            if check_name(kind, &name).is_err() || entry.path() != kind.path(&name) {
                continue;
            }
            out.push(FileInfo {
                name,
                size: entry.metadata().content_length(),
            });
        }
        out.sort();
        Ok(out)
    }

    async fn read(&self, kind: FileKind, name: &str) -> Result<Bytes, BackendError> {
        let path = Self::path(kind, name)?;
        self.op
            .read(&path)
            .await
            .map(|b| b.to_bytes())
            .map_err(|e| self.error(kind, name, e))
    }

    async fn read_range(
        &self,
        kind: FileKind,
        name: &str,
        offset: u64,
        length: u64,
    ) -> Result<Bytes, BackendError> {
        let path = Self::path(kind, name)?;
        let data = self
            .op
            .read_with(&path)
            .range(offset..offset + length)
            .await
            .map(|b| b.to_bytes())
            .map_err(|e| self.error(kind, name, e))?;
        if data.len() as u64 != length {
            return Err(BackendError::Permanent {
                location: self.location.clone(),
                detail: format!(
                    "{kind} {name}: asked for {length} bytes at {offset}, got {}",
                    data.len()
                ),
            });
        }
        Ok(data)
    }

    async fn write(&self, kind: FileKind, name: &str, data: Bytes) -> Result<(), BackendError> {
        let path = Self::path(kind, name)?;
        // Locks and pending files are working state, rewritten and deleted as work goes on.
        if let Some(lock) = self
            .lock
            .as_ref()
            .filter(|_| !matches!(kind, FileKind::Lock | FileKind::Pending))
        {
            return lock.put(&path, data).await;
        }
        self.op
            .write(&path, data)
            .await
            .map(|_| ())
            .map_err(|e| self.error(kind, name, e))
    }

    async fn write_parts(
        &self,
        kind: FileKind,
        name: &str,
        parts: Vec<Bytes>,
    ) -> Result<(), BackendError> {
        if self.lock.is_some() {
            return self.write(kind, name, Bytes::from(parts.concat())).await;
        }
        let path = Self::path(kind, name)?;
        self.op
            .write(&path, opendal::Buffer::from(parts))
            .await
            .map(|_| ())
            .map_err(|e| self.error(kind, name, e))
    }

    async fn delete(&self, kind: FileKind, name: &str) -> Result<(), BackendError> {
        let path = Self::path(kind, name)?;
        if let Some(lock) = &self.lock
            && let Some(until) = lock.retained_until(&path).await?
            && until > time::OffsetDateTime::now_utc()
        {
            let until = until
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default();
            return Err(BackendError::Locked {
                kind,
                name: name.to_owned(),
                until,
            });
        }
        match self.op.delete(&path).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
            Err(e) => Err(self.error(kind, name, e)),
        }
    }
}
