//! `--repo LOCATION`: a local path, `s3://bucket/prefix` or `azblob://container/prefix`.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use secrecy::SecretString;

use super::BlobStore;
use super::fs::FsStore;
use super::object::ObjectStore;

/// Where a repository is.
#[derive(Debug, Clone)]
pub enum Location {
    /// A folder on this machine.
    Local(PathBuf),
    /// An S3-compatible bucket.
    S3(S3Options),
    /// An Azure Blob container.
    Azblob(AzblobOptions),
}

/// How to reach an S3-compatible bucket. Unset fields fall back to the usual `AWS_*`
/// environment variables and profiles.
#[derive(Debug, Clone, Default)]
pub struct S3Options {
    /// The bucket.
    pub bucket: String,
    /// The folder inside the bucket (may be empty).
    pub prefix: String,
    /// The endpoint URL, for services other than AWS (MinIO, Wasabi, ...).
    pub endpoint: Option<String>,
    /// The region.
    pub region: Option<String>,
    /// The access key id.
    pub access_key_id: Option<String>,
    /// The secret access key.
    pub secret_access_key: Option<SecretString>,
    /// A session token, for temporary credentials.
    pub session_token: Option<SecretString>,
    /// Object Lock retention to set on every object written (the bucket must have Object Lock enabled).
    pub object_lock: Option<super::object_lock::ObjectLock>,
}

/// How to reach an Azure Blob container. Unset fields fall back to `AZURE_STORAGE_*` variables.
#[derive(Debug, Clone, Default)]
pub struct AzblobOptions {
    /// The container.
    pub container: String,
    /// The folder inside the container (may be empty).
    pub prefix: String,
    /// The endpoint, e.g. `https://ACCOUNT.blob.core.windows.net`.
    pub endpoint: Option<String>,
    /// The storage account name.
    pub account_name: Option<String>,
    /// The storage account key.
    pub account_key: Option<SecretString>,
}

/// A location could not be understood.
#[derive(Debug, thiserror::Error)]
pub enum LocationError {
    /// Nothing was given.
    #[error(
        "no repository given: pass --repo LOCATION or set M365VAULT_REPO (a folder, s3://bucket/prefix or azblob://container/prefix)"
    )]
    Missing,
    /// The scheme is not one m365vault knows.
    #[error(
        "{0:?} is not a repository location m365vault knows: use a folder path, s3://bucket/prefix or azblob://container/prefix"
    )]
    UnknownScheme(String),
    /// The bucket or container name is missing.
    #[error(
        "{0} has no bucket or container name: write it as s3://bucket/prefix or azblob://container/prefix"
    )]
    NoBucket(String),
    /// The backend refused its settings.
    #[error("cannot use {location}: {detail}")]
    Setup {
        /// The location.
        location: String,
        /// What was wrong.
        detail: String,
    },
}

impl Location {
    /// Parses a location string. Options for S3 and Azure (endpoint, credentials) are
    /// set on the result afterwards.
    pub fn parse(text: &str) -> Result<Self, LocationError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(LocationError::Missing);
        }
        let Some((scheme, rest)) = text.split_once("://") else {
            return Ok(Location::Local(PathBuf::from(text)));
        };
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(LocationError::NoBucket(text.to_owned()));
        }
        let prefix = prefix.trim_matches('/').to_owned();
        match scheme {
            "s3" => Ok(Location::S3(S3Options {
                bucket: bucket.to_owned(),
                prefix,
                ..S3Options::default()
            })),
            "azblob" => Ok(Location::Azblob(AzblobOptions {
                container: bucket.to_owned(),
                prefix,
                ..AzblobOptions::default()
            })),
            "file" => Ok(Location::Local(PathBuf::from(rest))),
            _ => Err(LocationError::UnknownScheme(text.to_owned())),
        }
    }

    /// Opens the store at this location.
    pub fn open(&self) -> Result<Arc<dyn BlobStore>, LocationError> {
        Ok(match self {
            Location::Local(path) => Arc::new(FsStore::new(path.clone())),
            Location::S3(options) => Arc::new(ObjectStore::s3(options)?),
            Location::Azblob(options) => Arc::new(ObjectStore::azblob(options)?),
        })
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Local(path) => write!(f, "{}", path.display()),
            Location::S3(o) => write!(f, "s3://{}/{}", o.bucket, o.prefix),
            Location::Azblob(o) => write!(f, "azblob://{}/{}", o.container, o.prefix),
        }
    }
}
