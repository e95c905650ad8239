//! Key files: the master key, encrypted with a key derived from one passphrase by
//! Argon2id. Several key files may open one repository.

use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::crypto::{CipherKey, MasterKey};

/// Associated data of the sealed master key.
const KEY_AAD: &[u8] = b"m365vault key v1";

/// Argon2id's cost settings, kept in each key file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KdfParams {
    /// Memory in KiB.
    pub memory_kib: u32,
    /// Passes over memory.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
}

impl Default for KdfParams {
    /// 64 MiB, 3 passes, 1 lane: about a quarter of a second on one core.
    fn default() -> Self {
        Self {
            memory_kib: 64 * 1024,
            iterations: 3,
            parallelism: 1,
        }
    }
}

impl KdfParams {
    /// Cheap settings for tests only.
    pub fn insecure_for_tests() -> Self {
        Self {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
        }
    }

    fn derive(&self, passphrase: &SecretString, salt: &[u8]) -> Result<CipherKey, KeyError> {
        let params = Params::new(self.memory_kib, self.iterations, self.parallelism, Some(32))
            .map_err(|e| KeyError::BadParams(e.to_string()))?;
        let mut out = [0u8; 32];
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
            .hash_password_into(passphrase.expose_secret().as_bytes(), salt, &mut out)
            .map_err(|e| KeyError::BadParams(e.to_string()))?;
        Ok(CipherKey::from_bytes(out))
    }
}

/// Key file problems.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The key file's Argon2 settings are out of range.
    #[error("the key file's Argon2id settings are invalid: {0}")]
    BadParams(String),
    /// The key file is not JSON of the expected shape.
    #[error("the key file is damaged: {0}")]
    Damaged(String),
    /// The passphrase does not open this key file.
    #[error("the passphrase does not open this key")]
    WrongPassphrase,
}

/// A key file as stored in `keys/`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyFile {
    /// Format version of key files: 1.
    pub version: u32,
    /// When the key was added.
    #[serde(with = "time::serde::rfc3339")]
    pub created: OffsetDateTime,
    /// The machine that added it.
    pub hostname: String,
    /// A label to tell keys apart (`repo passphrase add --label`).
    #[serde(default)]
    pub label: String,
    /// Always `argon2id`.
    pub kdf: String,
    /// Argon2id's settings.
    pub params: KdfParams,
    /// The salt, base64.
    pub salt: String,
    /// The master key, sealed: base64 of nonce ‖ ciphertext ‖ tag.
    pub data: String,
}

impl KeyFile {
    /// Wraps `master` with `passphrase`. Slow on purpose: call from a blocking thread.
    pub fn seal(
        master: &MasterKey,
        passphrase: &SecretString,
        params: KdfParams,
        label: &str,
    ) -> Result<Self, KeyError> {
        let salt: [u8; 16] = rand::random();
        let kek = params.derive(passphrase, &salt)?;
        let plain = serde_json::to_vec(master).map_err(|e| KeyError::Damaged(e.to_string()))?;
        Ok(Self {
            version: 1,
            created: OffsetDateTime::now_utc(),
            hostname: hostname(),
            label: label.to_owned(),
            kdf: "argon2id".into(),
            params,
            salt: STANDARD.encode(salt),
            data: STANDARD.encode(kek.seal(&plain, KEY_AAD)),
        })
    }

    /// Unwraps the master key. Slow on purpose: call from a blocking thread.
    pub fn open(&self, passphrase: &SecretString) -> Result<MasterKey, KeyError> {
        if self.version != 1 || self.kdf != "argon2id" {
            return Err(KeyError::Damaged(format!(
                "unknown key format {} / {}",
                self.version, self.kdf
            )));
        }
        let salt = STANDARD
            .decode(&self.salt)
            .map_err(|e| KeyError::Damaged(e.to_string()))?;
        let sealed = STANDARD
            .decode(&self.data)
            .map_err(|e| KeyError::Damaged(e.to_string()))?;
        let kek = self.params.derive(passphrase, &salt)?;
        let plain = kek
            .open(&sealed, KEY_AAD)
            .map_err(|_| KeyError::WrongPassphrase)?;
        serde_json::from_slice(&plain).map_err(|e| KeyError::Damaged(e.to_string()))
    }

    /// Parses a key file.
    pub fn parse(bytes: &[u8]) -> Result<Self, KeyError> {
        serde_json::from_slice(bytes).map_err(|e| KeyError::Damaged(e.to_string()))
    }
}

/// This machine's name, for key files, locks and manifests.
pub(crate) fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_owned())
        .or_else(|_| std::env::var("HOSTNAME"))
        .or_else(|_| std::env::var("COMPUTERNAME"))
        .unwrap_or_default()
}
