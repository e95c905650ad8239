//! An opened repository: its config, master key and index; reading files, chunks and items.

use std::collections::HashSet;
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use bytes::Bytes;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use tokio::io::{AsyncWrite, AsyncWriteExt};

use crate::backend::{BlobStore, FileKind};
use crate::chunker::ChunkerParams;
use crate::crypto::{CipherKey, MasterKey};
use crate::error::{StoreError, blocking};
use crate::id::{ChunkId, IndexId, KeyId, ManifestId, RepoId, content_id};
use crate::index::{INDEX_AAD, IndexFile, MemIndex};
use crate::keys::{KdfParams, KeyFile};
use crate::manifest::{ItemRecord, MANIFEST_AAD, Manifest, RecordSplitter};
use crate::pack::{PackEntry, open_blob};

const CONFIG_AAD: &[u8] = b"m365vault config v1";
/// The repository format this code writes and reads.
pub const FORMAT_VERSION: u32 = 1;

/// The repository's settings, stored encrypted in `config`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Format version: 1.
    pub version: u32,
    /// The repository's id.
    pub id: RepoId,
    /// When it was created.
    #[serde(with = "time::serde::rfc3339")]
    pub created: OffsetDateTime,
    /// Chunk size limits.
    pub chunker: ChunkerParams,
    /// zstd level for chunks.
    pub compression_level: i32,
}

/// Refuses JSON files of a format version this code does not know, before their
/// fields are checked (a newer version may add fields).
fn check_version(json: &[u8]) -> Result<(), StoreError> {
    #[derive(Deserialize)]
    struct Versioned {
        version: Option<u32>,
    }
    match serde_json::from_slice::<Versioned>(json) {
        Ok(Versioned { version: Some(v) }) if v != FORMAT_VERSION => {
            Err(StoreError::UnsupportedVersion(v))
        }
        _ => Ok(()),
    }
}

/// Settings for `repo init`.
#[derive(Debug, Clone)]
pub struct InitOptions {
    /// Argon2id cost.
    pub kdf: KdfParams,
    /// Chunk size limits.
    pub chunker: ChunkerParams,
    /// zstd level (1–19; 3 by default).
    pub compression_level: i32,
    /// Label of the first key.
    pub label: String,
}

impl Default for InitOptions {
    fn default() -> Self {
        Self {
            kdf: KdfParams::default(),
            chunker: ChunkerParams::default(),
            compression_level: 3,
            label: String::new(),
        }
    }
}

/// A key as `repo passphrase list` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct KeyInfo {
    /// The key file's id.
    pub id: KeyId,
    /// Whether this passphrase opened it.
    pub current: bool,
    /// Its label.
    pub label: String,
    /// The machine that added it.
    pub hostname: String,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub created: OffsetDateTime,
}

/// An opened, unlocked repository.
#[derive(Debug)]
pub struct Repository {
    store: Arc<dyn BlobStore>,
    master: MasterKey,
    cipher: CipherKey,
    config: Config,
    key_id: KeyId,
    index: RwLock<MemIndex>,
}

impl Repository {
    /// Creates a repository. Refuses if one is already there.
    pub async fn init(
        store: Arc<dyn BlobStore>,
        passphrase: SecretString,
        options: InitOptions,
    ) -> Result<Self, StoreError> {
        options.chunker.validate().map_err(StoreError::Invalid)?;
        if !(1..=19).contains(&options.compression_level) {
            return Err(StoreError::Invalid(format!(
                "compression level {} is not between 1 and 19",
                options.compression_level
            )));
        }
        if !store.list(FileKind::Config).await?.is_empty() {
            return Err(StoreError::AlreadyExists {
                location: store.location(),
            });
        }
        store.create().await?;
        let master = MasterKey::generate();
        let key_id = KeyId::random();
        let (kdf, label, m) = (options.kdf, options.label.clone(), master.clone());
        let key = blocking(move || KeyFile::seal(&m, &passphrase, kdf, &label))
            .await?
            .map_err(|e| StoreError::Invalid(e.to_string()))?;
        let key_json =
            serde_json::to_vec_pretty(&key).map_err(|e| StoreError::Invalid(e.to_string()))?;
        store
            .write(FileKind::Key, &key_id.to_hex(), Bytes::from(key_json))
            .await?;
        let config = Config {
            version: FORMAT_VERSION,
            id: RepoId::random(),
            created: OffsetDateTime::now_utc(),
            chunker: options.chunker,
            compression_level: options.compression_level,
        };
        let cipher = master.cipher();
        let plain = serde_json::to_vec(&config).map_err(|e| StoreError::Invalid(e.to_string()))?;
        store
            .write(
                FileKind::Config,
                "config",
                Bytes::from(cipher.seal(&plain, CONFIG_AAD)),
            )
            .await?;
        Ok(Self {
            store,
            master,
            cipher,
            config,
            key_id,
            index: RwLock::new(MemIndex::new()),
        })
    }

    /// Opens a repository with a passphrase and loads its index.
    pub async fn open(
        store: Arc<dyn BlobStore>,
        passphrase: SecretString,
    ) -> Result<Self, StoreError> {
        let location = store.location();
        let sealed_config = match store.read(FileKind::Config, "config").await {
            Ok(bytes) => bytes,
            Err(e) if e.is_not_found() => return Err(StoreError::NoRepository { location }),
            Err(e) => return Err(e.into()),
        };
        let keys = store.list(FileKind::Key).await?;
        for key in &keys {
            let bytes = store.read(FileKind::Key, &key.name).await?;
            check_version(&bytes)?;
            let Ok(file) = KeyFile::parse(&bytes) else {
                tracing::warn!(key = %key.name, "key file is damaged; trying the others");
                continue;
            };
            let pass = passphrase.clone();
            let Ok(master) = blocking(move || file.open(&pass)).await? else {
                continue;
            };
            let cipher = master.cipher();
            let plain = cipher.open(&sealed_config, CONFIG_AAD).map_err(|e| {
                StoreError::damaged(
                    FileKind::Config,
                    "config",
                    format!("{e}; this key belongs to another repository"),
                )
            })?;
            check_version(&plain)?;
            let config: Config = serde_json::from_slice(&plain)
                .map_err(|e| StoreError::damaged(FileKind::Config, "config", e))?;
            let key_id = key
                .name
                .parse()
                .map_err(|e| StoreError::damaged(FileKind::Key, &key.name, e))?;
            let repo = Self {
                store,
                master,
                cipher,
                config,
                key_id,
                index: RwLock::new(MemIndex::new()),
            };
            repo.load_index().await?;
            return Ok(repo);
        }
        Err(StoreError::WrongPassphrase {
            location,
            keys: keys.len(),
        })
    }

    /// The storage.
    pub fn store(&self) -> &Arc<dyn BlobStore> {
        &self.store
    }

    /// The config.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The master key.
    pub(crate) fn master(&self) -> &MasterKey {
        &self.master
    }

    /// The encryption key.
    pub(crate) fn cipher(&self) -> &CipherKey {
        &self.cipher
    }

    /// The index, for reading.
    pub fn index(&self) -> RwLockReadGuard<'_, MemIndex> {
        self.index.read().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn index_mut(&self) -> RwLockWriteGuard<'_, MemIndex> {
        self.index.write().unwrap_or_else(|p| p.into_inner())
    }

    /// Reloads the index from the index files; returns the ones that could not be read.
    pub async fn load_index(&self) -> Result<Vec<(IndexId, StoreError)>, StoreError> {
        // A prune may replace index files while they are read: then list again.
        let mut attempts = 0;
        let (files, damaged) = loop {
            attempts += 1;
            let mut files = Vec::new();
            let mut damaged = Vec::new();
            let mut vanished = false;
            for info in self.store.list(FileKind::Index).await? {
                let id: IndexId = info
                    .name
                    .parse()
                    .map_err(|e| StoreError::damaged(FileKind::Index, &info.name, e))?;
                match self.read_index(id).await {
                    Ok(file) => files.push((id, file)),
                    Err(StoreError::Backend(e)) if e.is_not_found() && attempts < 5 => {
                        vanished = true;
                        break;
                    }
                    Err(e @ (StoreError::Backend(_) | StoreError::UnsupportedVersion(_))) => {
                        return Err(e);
                    }
                    Err(e) => damaged.push((id, e)),
                }
            }
            if !vanished {
                break (files, damaged);
            }
        };
        let superseded: HashSet<IndexId> = files
            .iter()
            .flat_map(|(_, f)| f.supersedes.iter().copied())
            .collect();
        let mut index = MemIndex::new();
        for (id, file) in &files {
            if !superseded.contains(id) {
                for pack in &file.packs {
                    index.add_pack(pack);
                }
            }
        }
        *self.index_mut() = index;
        Ok(damaged)
    }

    /// The packs of the given index files that no other of them supersedes, each with
    /// every entry, each pack once.
    pub async fn read_index_packs(
        &self,
        ids: &[IndexId],
    ) -> Result<Vec<crate::index::IndexedPack>, StoreError> {
        let mut files = Vec::new();
        for id in ids {
            files.push((*id, self.read_index(*id).await?));
        }
        let superseded: HashSet<IndexId> = files
            .iter()
            .flat_map(|(_, f)| f.supersedes.iter().copied())
            .collect();
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for (id, file) in files {
            if superseded.contains(&id) {
                continue;
            }
            for pack in file.packs {
                if seen.insert(pack.id) {
                    out.push(pack);
                }
            }
        }
        Ok(out)
    }

    /// Reads and decodes one index file.
    pub async fn read_index(&self, id: IndexId) -> Result<IndexFile, StoreError> {
        let body = self
            .read_file(FileKind::Index, &id.to_hex(), INDEX_AAD)
            .await?;
        IndexFile::decode(&body).map_err(|e| StoreError::damaged(FileKind::Index, &id.to_hex(), e))
    }

    /// Compresses and seals a file body; returns its name (content id) and bytes.
    pub(crate) async fn seal_file(
        &self,
        body: Vec<u8>,
        aad: &'static [u8],
    ) -> Result<([u8; 32], Bytes), StoreError> {
        let cipher = self.cipher.clone();
        blocking(move || {
            let compressed = zstd::bulk::compress(&body, 3)
                .map_err(|e| StoreError::Invalid(format!("cannot compress a file: {e}")))?;
            let sealed = cipher.seal(&compressed, aad);
            Ok((content_id(&sealed), Bytes::from(sealed)))
        })
        .await?
    }

    /// Reads a sealed file, checks its name is its hash, opens and decompresses it.
    pub(crate) async fn read_file(
        &self,
        kind: FileKind,
        name: &str,
        aad: &'static [u8],
    ) -> Result<Vec<u8>, StoreError> {
        let bytes = self.store.read(kind, name).await?;
        let cipher = self.cipher.clone();
        let owned = name.to_owned();
        blocking(move || {
            if hex::encode(content_id(&bytes)) != owned {
                return Err(StoreError::damaged(
                    kind,
                    &owned,
                    "its content does not match its name",
                ));
            }
            let compressed = cipher
                .open(&bytes, aad)
                .map_err(|e| StoreError::damaged(kind, &owned, e))?;
            zstd::stream::decode_all(compressed.as_slice())
                .map_err(|e| StoreError::damaged(kind, &owned, e))
        })
        .await?
    }

    /// Writes an index file; returns its id.
    pub async fn write_index(&self, file: &IndexFile) -> Result<IndexId, StoreError> {
        let (id, bytes) = self.seal_file(file.encode(), INDEX_AAD).await?;
        let id = IndexId(id);
        self.store
            .write(FileKind::Index, &id.to_hex(), bytes)
            .await?;
        Ok(id)
    }

    /// The run manifests, oldest name first (names are hashes; sort by `started` to order runs).
    pub async fn list_manifests(&self) -> Result<Vec<ManifestId>, StoreError> {
        let mut out = Vec::new();
        for info in self.store.list(FileKind::Manifest).await? {
            out.push(
                info.name
                    .parse()
                    .map_err(|e| StoreError::damaged(FileKind::Manifest, &info.name, e))?,
            );
        }
        Ok(out)
    }

    /// Reads one manifest.
    pub async fn read_manifest(&self, id: ManifestId) -> Result<Manifest, StoreError> {
        let body = self
            .read_file(FileKind::Manifest, &id.to_hex(), MANIFEST_AAD)
            .await?;
        check_version(&body)?;
        serde_json::from_slice(&body)
            .map_err(|e| StoreError::damaged(FileKind::Manifest, &id.to_hex(), e))
    }

    /// Reads one chunk, checking it against its id.
    pub async fn read_chunk(&self, id: ChunkId) -> Result<Vec<u8>, StoreError> {
        let (pack, entry) = self.index().get(&id).ok_or(StoreError::MissingChunk(id))?;
        let sealed = self
            .store
            .read_range(
                FileKind::Pack,
                &pack.to_hex(),
                u64::from(entry.offset),
                u64::from(entry.length),
            )
            .await?;
        self.open_chunk(pack.to_hex(), entry, sealed).await
    }

    pub(crate) async fn open_chunk(
        &self,
        pack: String,
        entry: PackEntry,
        sealed: Bytes,
    ) -> Result<Vec<u8>, StoreError> {
        let cipher = self.cipher.clone();
        let master = self.master.clone();
        blocking(move || {
            open_blob(&cipher, |p| master.chunk_id(p), &entry, &sealed).map_err(|e| {
                StoreError::damaged(
                    FileKind::Pack,
                    &pack,
                    format!("chunk {}: {e}", entry.id.short()),
                )
            })
        })
        .await?
    }

    /// The item records of a run, read lazily.
    pub fn items<'a>(&'a self, manifest: &Manifest) -> ItemReader<'a> {
        self.items_from(manifest.items.clone())
    }

    /// The item records stored in these item-list chunks.
    pub fn items_from(&self, chunks: Vec<ChunkId>) -> ItemReader<'_> {
        ItemReader {
            repo: self,
            chunks: chunks.into_iter(),
            pending: Vec::new().into_iter(),
            splitter: RecordSplitter::default(),
        }
    }

    /// Writes an item's content to `out`, checking every chunk and the whole hash.
    pub async fn restore_item<W: AsyncWrite + Unpin>(
        &self,
        record: &ItemRecord,
        out: &mut W,
    ) -> Result<(), StoreError> {
        if self.item_hash(&record.chunks) != record.hash {
            return Err(StoreError::ItemHashMismatch {
                resource: record.resource.clone(),
                id: record.id.clone(),
            });
        }
        for id in &record.chunks {
            let chunk = self.read_chunk(*id).await?;
            out.write_all(&chunk)
                .await
                .map_err(|e| StoreError::Invalid(format!("cannot write the restored item: {e}")))?;
        }
        out.flush()
            .await
            .map_err(|e| StoreError::Invalid(format!("cannot write the restored item: {e}")))
    }

    /// The keys that open this repository.
    pub async fn list_keys(&self) -> Result<Vec<KeyInfo>, StoreError> {
        let mut out = Vec::new();
        for info in self.store.list(FileKind::Key).await? {
            let bytes = self.store.read(FileKind::Key, &info.name).await?;
            let file = KeyFile::parse(&bytes)
                .map_err(|e| StoreError::damaged(FileKind::Key, &info.name, e))?;
            let id: KeyId = info
                .name
                .parse()
                .map_err(|e| StoreError::damaged(FileKind::Key, &info.name, e))?;
            out.push(KeyInfo {
                id,
                current: id == self.key_id,
                label: file.label,
                hostname: file.hostname,
                created: file.created,
            });
        }
        Ok(out)
    }

    /// Adds a passphrase; returns the new key's id.
    pub async fn add_key(
        &self,
        passphrase: SecretString,
        kdf: KdfParams,
        label: &str,
    ) -> Result<KeyId, StoreError> {
        let (master, label) = (self.master.clone(), label.to_owned());
        let key = blocking(move || KeyFile::seal(&master, &passphrase, kdf, &label))
            .await?
            .map_err(|e| StoreError::Invalid(e.to_string()))?;
        let json =
            serde_json::to_vec_pretty(&key).map_err(|e| StoreError::Invalid(e.to_string()))?;
        let id = KeyId::random();
        self.store
            .write(FileKind::Key, &id.to_hex(), Bytes::from(json))
            .await?;
        Ok(id)
    }

    /// Removes a key (by id or a unique prefix of it). Never the last one, nor the one in use.
    pub async fn remove_key(&self, id_or_prefix: &str) -> Result<KeyId, StoreError> {
        let keys = self.store.list(FileKind::Key).await?;
        let matches: Vec<_> = keys
            .iter()
            .filter(|k| k.name.starts_with(id_or_prefix) && !id_or_prefix.is_empty())
            .collect();
        let [found] = matches.as_slice() else {
            return Err(StoreError::NoSuchKey(id_or_prefix.to_owned()));
        };
        let id: KeyId = found
            .name
            .parse()
            .map_err(|e| StoreError::damaged(FileKind::Key, &found.name, e))?;
        if keys.len() == 1 {
            return Err(StoreError::LastKey(id.to_hex()));
        }
        if id == self.key_id {
            return Err(StoreError::KeyInUse(id.to_hex()));
        }
        self.store.delete(FileKind::Key, &found.name).await?;
        Ok(id)
    }
}

/// Reads a run's item records chunk by chunk.
#[derive(Debug)]
pub struct ItemReader<'a> {
    repo: &'a Repository,
    chunks: std::vec::IntoIter<ChunkId>,
    pending: std::vec::IntoIter<ItemRecord>,
    splitter: RecordSplitter,
}

impl ItemReader<'_> {
    /// The next record, or `None` at the end.
    pub async fn next(&mut self) -> Result<Option<ItemRecord>, StoreError> {
        loop {
            if let Some(record) = self.pending.next() {
                return Ok(Some(record));
            }
            let Some(chunk) = self.chunks.next() else {
                if self.splitter.has_partial() {
                    return Err(StoreError::Invalid(
                        "the item list ends in the middle of a record".into(),
                    ));
                }
                return Ok(None);
            };
            let data = self.repo.read_chunk(chunk).await?;
            let records = self.splitter.push(&data).map_err(|e| {
                StoreError::Invalid(format!("the item list holds a damaged record: {e}"))
            })?;
            self.pending = records.into_iter();
        }
    }
}
