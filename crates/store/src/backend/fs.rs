//! A repository in a local folder: one file per repository file, written to a
//! temporary name, flushed to disk and renamed, so a crash leaves either the whole
//! file or a `.tmp` leftover that listing ignores.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use async_trait::async_trait;
use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use super::{BackendError, BlobStore, FileInfo, FileKind, check_name};

mod direct;

/// A repository in a local folder.
#[derive(Debug, Clone)]
pub struct FsStore {
    root: PathBuf,
    /// Whether large files may still be written with `O_DIRECT` ([`direct`]).
    direct: Arc<AtomicBool>,
}

impl FsStore {
    /// A store rooted at `root` (created by [`BlobStore::create`]).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self {
            root: root.into(),
            direct: Arc::new(AtomicBool::new(true)),
        }
    }

    fn path(&self, kind: FileKind, name: &str) -> Result<PathBuf, BackendError> {
        check_name(kind, name)?;
        Ok(self.root.join(kind.path(name)))
    }

    fn error(&self, kind: FileKind, name: &str, e: std::io::Error) -> BackendError {
        let location = self.location();
        match e.kind() {
            ErrorKind::NotFound => BackendError::NotFound {
                kind,
                name: name.to_owned(),
                location,
            },
            ErrorKind::PermissionDenied => BackendError::Denied {
                location,
                detail: e.to_string(),
            },
            ErrorKind::Interrupted | ErrorKind::TimedOut | ErrorKind::WouldBlock => {
                BackendError::Transient {
                    location,
                    detail: format!("{kind} {name}: {e}"),
                }
            }
            _ => BackendError::Permanent {
                location,
                detail: format!("{kind} {name}: {e}"),
            },
        }
    }

    async fn list_dir(
        &self,
        kind: FileKind,
        dir: &Path,
        out: &mut Vec<FileInfo>,
    ) -> Result<(), BackendError> {
        let mut entries = match tokio::fs::read_dir(dir).await {
            Ok(entries) => entries,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(self.error(kind, &dir.display().to_string(), e)),
        };
        while let Some(entry) = entries
            .next_entry()
            .await
            .map_err(|e| self.error(kind, "", e))?
        {
            let name = entry.file_name().to_string_lossy().into_owned();
            if check_name(kind, &name).is_err() {
                continue; // temporary files of interrupted writes, and anything foreign
            }
            let meta = entry
                .metadata()
                .await
                .map_err(|e| self.error(kind, &name, e))?;
            if meta.is_file() {
                out.push(FileInfo {
                    name,
                    size: meta.len(),
                });
            }
        }
        Ok(())
    }
}

/// Writes `parts` to `tmp`, flushes it to disk and renames it to `path`; on failure the
/// temporary file is removed.
fn write_atomically(
    dir: &Path,
    tmp: &Path,
    path: &Path,
    parts: &[Bytes],
    direct: &AtomicBool,
) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let written = (|| {
        direct::write_file(tmp, parts, direct)?;
        std::fs::rename(tmp, path)?;
        // The rename itself must reach the disk before later files that rely on it.
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(tmp);
    }
    written
}

#[async_trait]
impl BlobStore for FsStore {
    fn location(&self) -> String {
        self.root.display().to_string()
    }

    async fn create(&self) -> Result<(), BackendError> {
        for kind in FileKind::ALL {
            if kind != FileKind::Config {
                let dir = self.root.join(kind.dir());
                tokio::fs::create_dir_all(&dir)
                    .await
                    .map_err(|e| self.error(kind, kind.dir(), e))?;
            }
        }
        Ok(())
    }

    async fn list(&self, kind: FileKind) -> Result<Vec<FileInfo>, BackendError> {
        let mut out = Vec::new();
        match kind {
            FileKind::Config => match tokio::fs::metadata(self.root.join("config")).await {
                Ok(meta) => out.push(FileInfo {
                    name: "config".into(),
                    size: meta.len(),
                }),
                Err(e) if e.kind() == ErrorKind::NotFound => {}
                Err(e) => return Err(self.error(kind, "config", e)),
            },
            FileKind::Pack => {
                let packs = self.root.join("packs");
                let mut dirs = match tokio::fs::read_dir(&packs).await {
                    Ok(d) => d,
                    Err(e) if e.kind() == ErrorKind::NotFound => return Ok(out),
                    Err(e) => return Err(self.error(kind, "packs", e)),
                };
                while let Some(dir) = dirs
                    .next_entry()
                    .await
                    .map_err(|e| self.error(kind, "packs", e))?
                {
                    // Only the 256 fan-out folders; a pack elsewhere is not one we wrote.
                    let name = dir.file_name().to_string_lossy().into_owned();
                    if name.len() == 2
                        && check_name(kind, &name).is_ok()
                        && dir.file_type().await.is_ok_and(|t| t.is_dir())
                    {
                        let start = out.len();
                        self.list_dir(kind, &dir.path(), &mut out).await?;
                        let mut i = start;
                        while i < out.len() {
                            if out[i].name.starts_with(&name) {
                                i += 1
                            } else {
                                out.swap_remove(i);
                            }
                        }
                    }
                }
            }
            _ => {
                self.list_dir(kind, &self.root.join(kind.dir()), &mut out)
                    .await?
            }
        }
        out.sort();
        Ok(out)
    }

    async fn read(&self, kind: FileKind, name: &str) -> Result<Bytes, BackendError> {
        let path = self.path(kind, name)?;
        tokio::fs::read(path)
            .await
            .map(Bytes::from)
            .map_err(|e| self.error(kind, name, e))
    }

    async fn read_range(
        &self,
        kind: FileKind,
        name: &str,
        offset: u64,
        length: u64,
    ) -> Result<Bytes, BackendError> {
        let path = self.path(kind, name)?;
        let err = |e| self.error(kind, name, e);
        let mut file = tokio::fs::File::open(path).await.map_err(err)?;
        file.seek(std::io::SeekFrom::Start(offset))
            .await
            .map_err(err)?;
        let len = usize::try_from(length).map_err(|_| BackendError::Permanent {
            location: self.location(),
            detail: format!("range of {length} bytes is too large"),
        })?;
        let mut buf = vec![0u8; len];
        file.read_exact(&mut buf).await.map_err(err)?;
        Ok(Bytes::from(buf))
    }

    async fn write(&self, kind: FileKind, name: &str, data: Bytes) -> Result<(), BackendError> {
        self.write_parts(kind, name, vec![data]).await
    }

    async fn write_parts(
        &self,
        kind: FileKind,
        name: &str,
        parts: Vec<Bytes>,
    ) -> Result<(), BackendError> {
        let path = self.path(kind, name)?;
        let dir = path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| self.root.clone());
        let tmp = dir.join(format!(".{name}.{:016x}.tmp", rand::random::<u64>()));
        // One blocking task writes the parts straight from their buffers (tokio's file
        // would copy each through a buffer of its own) and waits for the disk.
        let direct = Arc::clone(&self.direct);
        tokio::task::spawn_blocking(move || write_atomically(&dir, &tmp, &path, &parts, &direct))
            .await
            .unwrap_or_else(|e| Err(std::io::Error::other(e.to_string())))
            .map_err(|e| self.error(kind, name, e))
    }

    async fn delete(&self, kind: FileKind, name: &str) -> Result<(), BackendError> {
        let path = self.path(kind, name)?;
        match tokio::fs::remove_file(path).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
            Err(e) => Err(self.error(kind, name, e)),
        }
    }
}
