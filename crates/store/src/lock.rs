//! Locks: runs and prunes announce themselves in `locks/`, and refresh the file
//! while they work. Prune reads them to know which runs might still use chunks it
//! condemned. A lock not refreshed for [`STALE_AFTER`] belongs to a dead process.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::backend::FileKind;
use crate::error::StoreError;
use crate::id::LockId;
use crate::repo::Repository;

const LOCK_AAD: &[u8] = b"m365vault lock v1";
/// How often a live lock is rewritten.
pub const REFRESH_EVERY: Duration = Duration::from_secs(5 * 60);
/// A lock older than this since its last refresh is ignored.
pub const STALE_AFTER: time::Duration = time::Duration::minutes(30);

/// What holds a lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LockKind {
    /// A backup run: shared with other runs and with prune.
    Run,
    /// A prune: one at a time.
    Prune,
}

/// A lock file's content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockInfo {
    /// What holds it.
    pub kind: LockKind,
    /// The machine.
    pub hostname: String,
    /// The process.
    pub pid: u32,
    /// This boot of this machine (machine id and boot id), so that a pid is only
    /// checked where it means the same process (not across containers or reboots).
    #[serde(default)]
    pub machine: String,
    /// When it was taken: everything the holder read from the index was read after this.
    #[serde(with = "time::serde::rfc3339")]
    pub created: OffsetDateTime,
    /// When it was last refreshed.
    #[serde(with = "time::serde::rfc3339")]
    pub refreshed: OffsetDateTime,
}

impl LockInfo {
    /// Whether the holder is presumed alive at `now`: refreshed recently, and, when it
    /// ran on this machine, its process still exists.
    pub fn is_live(&self, now: OffsetDateTime) -> bool {
        if now - self.refreshed >= STALE_AFTER {
            return false;
        }
        let here = machine();
        if !here.is_empty() && self.machine == here {
            return std::path::Path::new("/proc")
                .join(self.pid.to_string())
                .exists();
        }
        true
    }

    /// Who holds it, for messages.
    pub fn holder(&self) -> String {
        format!(
            "a {:?} on {} (pid {}) since {}",
            self.kind, self.hostname, self.pid, self.created
        )
        .to_lowercase()
    }
}

/// This machine's identity for the current boot, or empty where it cannot be told.
fn machine() -> String {
    let read = |p: &str| {
        std::fs::read_to_string(p)
            .map(|s| s.trim().to_owned())
            .unwrap_or_default()
    };
    let (id, boot) = (
        read("/etc/machine-id"),
        read("/proc/sys/kernel/random/boot_id"),
    );
    if id.is_empty() || boot.is_empty() {
        String::new()
    } else {
        format!("{id}/{boot}")
    }
}

/// A held lock; refreshed in the background until released or dropped.
#[derive(Debug)]
pub struct LockGuard {
    repo: Arc<Repository>,
    id: LockId,
    refresher: tokio::task::JoinHandle<()>,
    /// Unix seconds of the last successful write of the lock file.
    refreshed: Arc<std::sync::atomic::AtomicI64>,
}

impl Repository {
    async fn write_lock(&self, id: LockId, info: &LockInfo) -> Result<(), StoreError> {
        let json = serde_json::to_vec(info).map_err(|e| StoreError::Invalid(e.to_string()))?;
        let sealed = self.cipher().seal(&json, LOCK_AAD);
        self.store()
            .write(FileKind::Lock, &id.to_hex(), Bytes::from(sealed))
            .await?;
        Ok(())
    }

    /// Every lock file that can be read, live or stale.
    pub async fn locks(&self) -> Result<Vec<(LockId, LockInfo)>, StoreError> {
        let mut out = Vec::new();
        for file in self.store().list(FileKind::Lock).await? {
            let Ok(id) = file.name.parse::<LockId>() else {
                continue;
            };
            let bytes = match self.store().read(FileKind::Lock, &file.name).await {
                Ok(b) => b,
                Err(e) if e.is_not_found() => continue, // released meanwhile
                Err(e) => return Err(e.into()),
            };
            let Ok(json) = self.cipher().open(&bytes, LOCK_AAD) else {
                continue;
            };
            if let Ok(info) = serde_json::from_slice(&json) {
                out.push((id, info));
            }
        }
        Ok(out)
    }

    /// Removes locks whose processes died; with `all`, every lock (only when you know
    /// no run or prune is working on the repository).
    pub async fn unlock(&self, all: bool) -> Result<usize, StoreError> {
        let now = OffsetDateTime::now_utc();
        let mut removed = 0;
        for (id, info) in self.locks().await? {
            if all || !info.is_live(now) {
                self.store().delete(FileKind::Lock, &id.to_hex()).await?;
                removed += 1;
            }
        }
        Ok(removed)
    }
}

impl LockGuard {
    /// Takes a lock. A prune lock is refused while another live prune holds one.
    pub async fn acquire(repo: Arc<Repository>, kind: LockKind) -> Result<Self, StoreError> {
        let now = OffsetDateTime::now_utc();
        if kind == LockKind::Prune
            && let Some((_, other)) = repo
                .locks()
                .await?
                .into_iter()
                .find(|(_, l)| l.kind == LockKind::Prune && l.is_live(now))
        {
            return Err(StoreError::Locked {
                holder: other.holder(),
                expires: format!("at {}", other.refreshed + STALE_AFTER),
            });
        }
        let id = LockId::random();
        let info = LockInfo {
            kind,
            hostname: crate::keys::hostname(),
            pid: std::process::id(),
            machine: machine(),
            created: now,
            refreshed: now,
        };
        repo.write_lock(id, &info).await?;
        let refreshed = Arc::new(AtomicI64::new(now.unix_timestamp()));
        let refresher = {
            let repo = Arc::clone(&repo);
            let mut info = info.clone();
            let refreshed = Arc::clone(&refreshed);
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(REFRESH_EVERY).await;
                    info.refreshed = OffsetDateTime::now_utc();
                    match repo.write_lock(id, &info).await {
                        Ok(()) => {
                            refreshed.store(info.refreshed.unix_timestamp(), Ordering::SeqCst)
                        }
                        Err(e) => tracing::warn!(error = %e, "cannot refresh the repository lock"),
                    }
                }
            })
        };
        let guard = Self {
            repo,
            id,
            refresher,
            refreshed,
        };
        if kind == LockKind::Prune {
            // Two prunes may have written their locks at once: the older one goes on.
            let rival = guard.repo.locks().await?.into_iter().find(|(other, l)| {
                *other != id
                    && l.kind == LockKind::Prune
                    && l.is_live(now)
                    && (l.created, *other) < (info.created, id)
            });
            if let Some((_, other)) = rival {
                guard.release().await?;
                return Err(StoreError::Locked {
                    holder: other.holder(),
                    expires: format!("at {}", other.refreshed + STALE_AFTER),
                });
            }
        }
        Ok(guard)
    }

    /// The lock's id.
    pub fn id(&self) -> LockId {
        self.id
    }

    /// Whether the lock file went unrefreshed long enough for others to think it stale
    /// (less a safety margin).
    pub fn is_stale(&self) -> bool {
        let last = self.refreshed.load(Ordering::SeqCst);
        OffsetDateTime::now_utc().unix_timestamp() - last
            >= (STALE_AFTER - crate::prune::CLOCK_MARGIN).whole_seconds()
    }

    /// Releases the lock.
    pub async fn release(self) -> Result<(), StoreError> {
        self.refresher.abort();
        self.repo
            .store()
            .delete(FileKind::Lock, &self.id.to_hex())
            .await?;
        Ok(())
    }
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        // Without release() (a crash or an error) the file stays and goes stale.
        self.refresher.abort();
    }
}
