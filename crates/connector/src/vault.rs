//! Secrets encrypted at rest.
//!
//! Each secret is sealed with XChaCha20-Poly1305 under a 256-bit vault key, with
//! a random nonce and the entry's name as associated data (a sealed value cannot
//! be moved to another entry). The key comes from `M365VAULT_VAULT_KEY` (base64),
//! from the file named by `M365VAULT_VAULT_KEY_FILE`, or from `secrets/vault.key`
//! in the data directory, created on first use with mode 0600. Keeping the key on
//! another volume (or in the environment of a service) means a copy of the data
//! directory alone reveals no secret. Format: `docs/data-directory.md`.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::Rng;
use secrecy::{ExposeSecret, SecretBox, SecretString};
use serde::{Deserialize, Serialize};

/// Environment variable holding the vault key (base64 of 32 bytes).
pub const KEY_ENV: &str = "M365VAULT_VAULT_KEY";
/// Environment variable naming a file that holds the vault key.
pub const KEY_FILE_ENV: &str = "M365VAULT_VAULT_KEY_FILE";

const FORMAT_VERSION: u32 = 1;
const CIPHER: &str = "xchacha20poly1305";

/// A vault failure.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
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
    /// The key is malformed.
    #[error(
        "the vault key {origin} is not valid: it must be 32 bytes, base64-encoded (generate one with `head -c 32 /dev/urandom | base64`)"
    )]
    BadKey {
        /// Where the key came from.
        origin: String,
    },
    /// The vault cannot be decrypted with this key.
    #[error(
        "cannot decrypt secret '{entry}' with the vault key {origin}: the key does not match the one the secrets were sealed with (was {KEY_ENV}, {KEY_FILE_ENV} or secrets/vault.key changed?)"
    )]
    WrongKey {
        /// Which entry.
        entry: String,
        /// Where the key came from.
        origin: String,
    },
    /// The vault file is damaged or of another version.
    #[error("the secrets vault {path} is not readable: {reason}")]
    Corrupt {
        /// Which file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}

#[derive(Serialize, Deserialize)]
struct VaultFile {
    version: u32,
    cipher: String,
    entries: BTreeMap<String, Sealed>,
}

#[derive(Clone, Serialize, Deserialize)]
struct Sealed {
    nonce: String,
    ciphertext: String,
}

/// The secrets of one data directory.
pub struct Vault {
    path: PathBuf,
    key: SecretBox<[u8; 32]>,
    origin: String,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault")
            .field("path", &self.path)
            .field("key", &self.origin)
            .finish()
    }
}

fn io<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> VaultError + 'a {
    move |source| VaultError::Io {
        action,
        path: path.to_owned(),
        source,
    }
}

/// Writes `bytes` to `path` atomically (temporary file, then rename), mode 0600.
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    {
        let mut options = fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut f = options.open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    fs::rename(&tmp, path)
}

/// Creates a directory readable by its owner only; an existing directory is left as it is.
pub fn create_private_dir(path: &Path) -> std::io::Result<()> {
    if path.is_dir() {
        return Ok(());
    }
    fs::create_dir_all(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(path, fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

/// Creates `path` with `bytes` only if it does not exist yet (mode 0600); `false` when it did.
fn create_new_private(path: &Path, bytes: &[u8]) -> std::io::Result<bool> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(mut f) => {
            f.write_all(bytes)?;
            f.sync_all()?;
            Ok(true)
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(e),
    }
}

fn decode_key(text: &str, origin: &str) -> Result<SecretBox<[u8; 32]>, VaultError> {
    let bytes = STANDARD
        .decode(text.trim())
        .map_err(|_| VaultError::BadKey {
            origin: origin.to_owned(),
        })?;
    let key: [u8; 32] = bytes.try_into().map_err(|_| VaultError::BadKey {
        origin: origin.to_owned(),
    })?;
    Ok(SecretBox::new(Box::new(key)))
}

impl Vault {
    /// Opens (or prepares) the vault of `dir` (`<data-dir>/secrets`).
    pub fn open(dir: &Path) -> Result<Vault, VaultError> {
        create_private_dir(dir).map_err(io("create", dir))?;
        let (key, origin) = if let Ok(k) = std::env::var(KEY_ENV) {
            (
                decode_key(&k, &format!("from {KEY_ENV}"))?,
                format!("from {KEY_ENV}"),
            )
        } else if let Ok(file) = std::env::var(KEY_FILE_ENV) {
            let path = PathBuf::from(file);
            let text = fs::read_to_string(&path).map_err(io("read the vault key", &path))?;
            let origin = format!("in {}", path.display());
            (decode_key(&text, &origin)?, origin)
        } else {
            let path = dir.join("vault.key");
            let origin = format!("in {}", path.display());
            match fs::read_to_string(&path) {
                Ok(text) => (decode_key(&text, &origin)?, origin),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    let mut key = [0u8; 32];
                    rand::rng().fill(&mut key);
                    // Two first runs at once: the one that creates the file wins, the other reads it.
                    if create_new_private(&path, STANDARD.encode(key).as_bytes())
                        .map_err(io("write the vault key", &path))?
                    {
                        (SecretBox::new(Box::new(key)), origin)
                    } else {
                        let text =
                            fs::read_to_string(&path).map_err(io("read the vault key", &path))?;
                        (decode_key(&text, &origin)?, origin)
                    }
                }
                Err(e) => {
                    return Err(VaultError::Io {
                        action: "read the vault key",
                        path,
                        source: e,
                    });
                }
            }
        };
        Ok(Vault {
            path: dir.join("vault.json"),
            key,
            origin,
        })
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(self.key.expose_secret().into())
    }

    fn load(&self) -> Result<VaultFile, VaultError> {
        match fs::read(&self.path) {
            Ok(bytes) => {
                let file: VaultFile =
                    serde_json::from_slice(&bytes).map_err(|e| VaultError::Corrupt {
                        path: self.path.clone(),
                        reason: e.to_string(),
                    })?;
                if file.version != FORMAT_VERSION || file.cipher != CIPHER {
                    return Err(VaultError::Corrupt {
                        path: self.path.clone(),
                        reason: format!(
                            "version {} with cipher {} is not supported by this m365vault",
                            file.version, file.cipher
                        ),
                    });
                }
                Ok(file)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(VaultFile {
                version: FORMAT_VERSION,
                cipher: CIPHER.to_owned(),
                entries: BTreeMap::new(),
            }),
            Err(e) => Err(VaultError::Io {
                action: "read",
                path: self.path.clone(),
                source: e,
            }),
        }
    }

    fn save(&self, file: &VaultFile) -> Result<(), VaultError> {
        let bytes = serde_json::to_vec_pretty(file).map_err(|e| VaultError::Corrupt {
            path: self.path.clone(),
            reason: e.to_string(),
        })?;
        write_private(&self.path, &bytes).map_err(io("write", &self.path))
    }

    /// Seals `secret` under `entry`.
    pub fn put(&self, entry: &str, secret: &SecretString) -> Result<(), VaultError> {
        let mut nonce = [0u8; 24];
        rand::rng().fill(&mut nonce);
        let ciphertext = self
            .cipher()
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: secret.expose_secret().as_bytes(),
                    aad: entry.as_bytes(),
                },
            )
            .map_err(|_| VaultError::Corrupt {
                path: self.path.clone(),
                reason: "encryption failed".into(),
            })?;
        let mut file = self.load()?;
        file.entries.insert(
            entry.to_owned(),
            Sealed {
                nonce: STANDARD.encode(nonce),
                ciphertext: STANDARD.encode(ciphertext),
            },
        );
        self.save(&file)
    }

    /// Opens the secret sealed under `entry`.
    pub fn get(&self, entry: &str) -> Result<Option<SecretString>, VaultError> {
        let file = self.load()?;
        let Some(sealed) = file.entries.get(entry) else {
            return Ok(None);
        };
        let corrupt = |reason: &str| VaultError::Corrupt {
            path: self.path.clone(),
            reason: format!("entry '{entry}': {reason}"),
        };
        let nonce: [u8; 24] = STANDARD
            .decode(&sealed.nonce)
            .ok()
            .and_then(|n| n.try_into().ok())
            .ok_or_else(|| corrupt("bad nonce"))?;
        let ciphertext = STANDARD
            .decode(&sealed.ciphertext)
            .map_err(|_| corrupt("bad ciphertext"))?;
        let plain = self
            .cipher()
            .decrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: &ciphertext,
                    aad: entry.as_bytes(),
                },
            )
            .map_err(|_| VaultError::WrongKey {
                entry: entry.to_owned(),
                origin: self.origin.clone(),
            })?;
        let text = String::from_utf8(plain).map_err(|_| corrupt("not text"))?;
        Ok(Some(SecretString::from(text)))
    }

    /// Removes `entry` (nothing happens when it is absent).
    pub fn remove(&self, entry: &str) -> Result<(), VaultError> {
        let mut file = self.load()?;
        if file.entries.remove(entry).is_some() {
            self.save(&file)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_round_trip_and_are_not_stored_in_clear() {
        let dir = tempfile::tempdir().expect("tempdir");
        let vault = Vault::open(dir.path()).expect("vault");
        vault
            .put(
                "connector/a/client-secret",
                &SecretString::from("Sup3r~Secret.Value".to_owned()),
            )
            .expect("put");
        let back = vault
            .get("connector/a/client-secret")
            .expect("get")
            .expect("present");
        assert_eq!(back.expose_secret(), "Sup3r~Secret.Value");
        let on_disk = fs::read_to_string(dir.path().join("vault.json")).expect("file");
        assert!(!on_disk.contains("Sup3r"), "{on_disk}");
        assert_eq!(
            vault
                .get("connector/b/client-secret")
                .expect("get")
                .map(|_| ()),
            None
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            for f in ["vault.json", "vault.key"] {
                let mode = fs::metadata(dir.path().join(f))
                    .expect("meta")
                    .permissions()
                    .mode()
                    & 0o777;
                assert_eq!(mode, 0o600, "{f}");
            }
        }
    }

    #[test]
    fn a_sealed_value_cannot_be_moved_to_another_entry() {
        let dir = tempfile::tempdir().expect("tempdir");
        let vault = Vault::open(dir.path()).expect("vault");
        vault
            .put("a", &SecretString::from("one".to_owned()))
            .expect("put");
        let mut file = vault.load().expect("load");
        let sealed = file.entries["a"].clone();
        file.entries.insert("b".into(), sealed);
        vault.save(&file).expect("save");
        assert!(matches!(vault.get("b"), Err(VaultError::WrongKey { .. })));
    }

    #[test]
    fn another_key_cannot_open_the_vault() {
        let dir = tempfile::tempdir().expect("tempdir");
        let vault = Vault::open(dir.path()).expect("vault");
        vault
            .put("a", &SecretString::from("one".to_owned()))
            .expect("put");
        let mut key = [1u8; 32];
        key[0] = 9;
        fs::write(dir.path().join("vault.key"), STANDARD.encode(key)).expect("replace key");
        let reopened = Vault::open(dir.path()).expect("vault");
        let err = reopened.get("a").expect_err("wrong key");
        assert!(err.to_string().contains("does not match"), "{err}");
        fs::write(dir.path().join("vault.key"), "short").expect("bad key");
        assert!(matches!(
            Vault::open(dir.path()),
            Err(VaultError::BadKey { .. })
        ));
    }
}
