//! Writing large files around the page cache (Linux `O_DIRECT`).
//!
//! A backup writes each pack once and seldom reads it soon, so copying it into the page
//! cache only costs CPU (on the machines measured, more than encrypting it) and evicts
//! what is worth caching. Packs are staged through one aligned buffer, padded to a whole
//! block and cut back to their length. Where the filesystem refuses `O_DIRECT` (tmpfs,
//! some network filesystems), files are written through the cache as usual.

use std::io::{self, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use bytes::Bytes;

/// Files smaller than this go through the page cache (indexes, manifests, locks).
const DIRECT_FROM: usize = 1024 * 1024;

/// Writes `parts` to a new file at `path` and flushes it to disk. `direct` starts true
/// and is cleared, for the store's lifetime, the first time the filesystem refuses.
pub(super) fn write_file(path: &Path, parts: &[Bytes], direct: &AtomicBool) -> io::Result<()> {
    let total: usize = parts.iter().map(Bytes::len).sum();
    if total >= DIRECT_FROM && direct.load(Ordering::Relaxed) {
        match unbuffered::write(path, parts, total) {
            Ok(true) => return Ok(()),
            Ok(false) => direct.store(false, Ordering::Relaxed),
            Err(e) => return Err(e),
        }
    }
    let mut file = std::fs::File::create(path)?;
    for part in parts {
        file.write_all(part)?;
    }
    file.sync_all()
}

#[cfg(target_os = "linux")]
mod unbuffered {
    use std::cell::RefCell;
    use std::fs::OpenOptions;
    use std::io::{self, Write};
    use std::os::unix::fs::OpenOptionsExt;
    use std::path::Path;

    use bytes::Bytes;

    /// Block alignment for buffers, lengths and offsets.
    const ALIGN: usize = 4096;
    /// The staging buffer.
    const STAGE: usize = 4 * 1024 * 1024;

    thread_local! {
        /// Each thread keeps its staging buffer, so its pages are not faulted in anew
        /// for every pack.
        static BUFFER: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    }

    fn refused(e: &io::Error) -> bool {
        e.raw_os_error() == Some(libc::EINVAL)
    }

    /// Writes with `O_DIRECT`; `Ok(false)` when the filesystem refuses it (nothing is
    /// left at `path` then).
    pub(super) fn write(path: &Path, parts: &[Bytes], total: usize) -> io::Result<bool> {
        let mut file = match OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .custom_flags(libc::O_DIRECT)
            .open(path)
        {
            Ok(f) => f,
            Err(e) if refused(&e) => return Ok(false),
            Err(e) => return Err(e),
        };
        let stage_len = STAGE.min(total.next_multiple_of(ALIGN));
        let mut storage = BUFFER.with(|b| std::mem::take(&mut *b.borrow_mut()));
        if storage.len() < STAGE + ALIGN {
            storage = vec![0u8; STAGE + ALIGN];
        }
        let start = storage.as_ptr().align_offset(ALIGN);
        let stage = &mut storage[start..start + stage_len];
        let mut filled = 0;
        let mut written = Ok(());
        'parts: for part in parts {
            let mut part = &part[..];
            while !part.is_empty() {
                let n = (stage_len - filled).min(part.len());
                stage[filled..filled + n].copy_from_slice(&part[..n]);
                filled += n;
                part = &part[n..];
                if filled == stage_len {
                    written = file.write_all(stage);
                    if written.is_err() {
                        break 'parts;
                    }
                    filled = 0;
                }
            }
        }
        if written.is_ok() && filled > 0 {
            // The last block is padded with zeros, then the file is cut to its length.
            let padded = filled.next_multiple_of(ALIGN);
            stage[filled..padded].fill(0);
            written = file.write_all(&stage[..padded]);
        }
        BUFFER.with(|b| *b.borrow_mut() = storage);
        match written {
            Err(e) if refused(&e) => {
                drop(file);
                std::fs::remove_file(path)?;
                return Ok(false);
            }
            Err(e) => return Err(e),
            Ok(()) => {}
        }
        file.set_len(total as u64)?;
        file.sync_all()?;
        Ok(true)
    }
}

#[cfg(not(target_os = "linux"))]
mod unbuffered {
    use std::io;
    use std::path::Path;

    use bytes::Bytes;

    /// No `O_DIRECT` here: always through the cache.
    pub(super) fn write(_: &Path, _: &[Bytes], _: usize) -> io::Result<bool> {
        Ok(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_every_byte_in_order_at_any_length() {
        let dir = tempfile::tempdir().expect("tempdir");
        let direct = AtomicBool::new(true);
        for total in [
            0usize,
            5,
            DIRECT_FROM - 1,
            DIRECT_FROM,
            3 * DIRECT_FROM + 4097,
            9 * DIRECT_FROM + 1,
        ] {
            let data: Vec<u8> = (0..total).map(|i| (i * 31 % 251) as u8).collect();
            // Uneven parts, one of them empty.
            let cuts = [0, total / 7, total / 7, total / 2 + 3, total];
            let parts: Vec<Bytes> = cuts
                .windows(2)
                .map(|w| Bytes::copy_from_slice(&data[w[0].min(total)..w[1].min(total)]))
                .collect();
            let path = dir.path().join(format!("f{total}"));
            write_file(&path, &parts, &direct).expect("write");
            assert_eq!(std::fs::read(&path).expect("read"), data, "{total} bytes");
        }
    }
}
