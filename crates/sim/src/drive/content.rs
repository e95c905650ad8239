//! File bytes: generated from a seed, chunk by chunk, so that a file of any
//! size costs no memory; or uploaded bytes, kept in memory up to 8 MiB and in
//! an anonymous temporary file above that. Digests (SHA-256 for the ground
//! truth, QuickXorHash for `file.hashes`) are computed once and kept.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};

use axum::body::Body;
use bytes::Bytes;
use hyper::body::{Body as HttpBody, Frame, SizeHint};
use model::quickxor::QuickXor;
use sha2::{Digest, Sha256};

/// Generated content is made in chunks of this many bytes; chunk `k` depends
/// only on the seed and `k`, so any range can be read without the rest.
pub const CHUNK: u64 = 64 * 1024;
/// Uploaded content above this size goes to a temporary file.
pub const MEMORY_LIMIT: u64 = 8 * 1024 * 1024;
/// QuickXorHash is computed on demand (when an item is rendered) only up to
/// this size; larger files carry `hashes` once the ground truth has hashed them.
pub const INLINE_HASH_LIMIT: u64 = 256 * 1024 * 1024;

/// Where a file's bytes come from.
#[derive(Debug)]
pub enum Source {
    /// Generated from `seed`: compressible text lines, or random bytes.
    Generated {
        /// Content seed (equal seeds give equal bytes: duplicates).
        seed: u64,
        /// Length.
        size: u64,
        /// Text rather than random bytes.
        text: bool,
    },
    /// Uploaded bytes held in memory.
    Memory(Vec<u8>),
    /// Uploaded bytes in an anonymous temporary file.
    File {
        /// The file (deleted by the system when closed).
        file: std::fs::File,
        /// Length.
        size: u64,
    },
}

/// The SHA-256 (hex) and QuickXorHash (base64) of some content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Digests {
    /// SHA-256, lowercase hex.
    pub sha256: String,
    /// QuickXorHash, base64.
    pub quick_xor: String,
}

/// One file version's bytes.
#[derive(Debug)]
pub struct Blob {
    source: Source,
    digests: OnceLock<Digests>,
}

/// Content shared between items (duplicates) and versions.
pub type Content = Arc<Blob>;

/// SplitMix64 step.
pub fn mix(seed: u64, n: u64) -> u64 {
    let mut z = seed
        .wrapping_add(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(n.wrapping_mul(0xBF58_476D_1CE4_E5B9));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

const WORDS: &[&str] = &[
    "the", "report", "quarter", "budget", "team", "customer", "project", "review", "plan", "sales",
    "growth", "risk", "design", "release", "meeting", "notes", "action", "owner", "data", "value",
    "north", "south", "region", "total", "cost", "margin", "forecast", "status", "green", "amber",
    "red", "done", "open", "closed", "and", "of", "to", "in", "for", "with", "on", "by", "from",
    "über", "café", "naïve", "façade", "résumé", "ok",
];

fn fill_random(seed: u64, chunk: u64, out: &mut [u8]) {
    let mut state = mix(seed, chunk);
    for word in out.chunks_mut(8) {
        // xorshift64*: fast, and good enough to be incompressible.
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        let v = state.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes();
        word.copy_from_slice(&v[..word.len()]);
    }
}

fn fill_text(seed: u64, chunk: u64, out: &mut [u8]) {
    let mut state = mix(seed ^ 0x7465_7874, chunk) | 1;
    let mut pos = 0;
    let mut col = 0;
    while pos < out.len() {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        let r = state.wrapping_mul(0x2545_F491_4F6C_DD1D);
        let word = WORDS[(r % WORDS.len() as u64) as usize].as_bytes();
        let sep: &[u8] = if col > 60 || r >> 60 == 0 {
            col = 0;
            if r >> 58 == 1 { b",\n" } else { b".\n" }
        } else {
            col += word.len() + 1;
            b" "
        };
        for &b in word.iter().chain(sep) {
            if pos == out.len() {
                break;
            }
            out[pos] = b;
            pos += 1;
        }
    }
}

#[cfg(unix)]
fn read_at(file: &std::fs::File, buf: &mut [u8], offset: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
}

#[cfg(windows)]
fn read_at(file: &std::fs::File, mut buf: &mut [u8], mut offset: u64) -> io::Result<()> {
    while !buf.is_empty() {
        let n = std::os::windows::fs::FileExt::seek_read(file, buf, offset)?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        buf = &mut buf[n..];
        offset += n as u64;
    }
    Ok(())
}

impl Blob {
    /// Generated content.
    pub fn generated(seed: u64, size: u64, text: bool) -> Content {
        Arc::new(Blob {
            source: Source::Generated { seed, size, text },
            digests: OnceLock::new(),
        })
    }

    /// Bytes held in memory.
    pub fn memory(bytes: Vec<u8>) -> Content {
        Arc::new(Blob {
            source: Source::Memory(bytes),
            digests: OnceLock::new(),
        })
    }

    /// Where the bytes come from.
    pub fn source(&self) -> &Source {
        &self.source
    }

    /// Length in bytes.
    pub fn size(&self) -> u64 {
        match &self.source {
            Source::Generated { size, .. } | Source::File { size, .. } => *size,
            Source::Memory(b) => b.len() as u64,
        }
    }

    /// `len` bytes from `offset` (fewer at the end of the content).
    pub fn read(&self, offset: u64, len: usize) -> io::Result<Vec<u8>> {
        let end = (offset.saturating_add(len as u64)).min(self.size());
        if offset >= end {
            return Ok(Vec::new());
        }
        let mut out = vec![0u8; (end - offset) as usize];
        match &self.source {
            Source::Memory(b) => out.copy_from_slice(&b[offset as usize..end as usize]),
            Source::File { file, .. } => read_at(file, &mut out, offset)?,
            Source::Generated { seed, text, .. } => {
                let mut buf = vec![0u8; CHUNK as usize];
                let mut pos = offset;
                while pos < end {
                    let chunk = pos / CHUNK;
                    if *text {
                        fill_text(*seed, chunk, &mut buf);
                    } else {
                        fill_random(*seed, chunk, &mut buf);
                    }
                    let from = (pos - chunk * CHUNK) as usize;
                    let upto = (end - chunk * CHUNK).min(CHUNK) as usize;
                    let at = (pos - offset) as usize;
                    out[at..at + upto - from].copy_from_slice(&buf[from..upto]);
                    pos = chunk * CHUNK + upto as u64;
                }
            }
        }
        Ok(out)
    }

    /// The digests, computed now if they are not known yet (reads every byte once).
    pub fn digests(&self) -> &Digests {
        self.digests.get_or_init(|| {
            let mut sha = Sha256::new();
            let mut qx = QuickXor::new();
            let mut pos = 0;
            let size = self.size();
            while pos < size {
                // A read error of our own temporary file leaves the digest of what was read.
                let piece = self.read(pos, 16 * CHUNK as usize).unwrap_or_default();
                if piece.is_empty() {
                    break;
                }
                sha.update(&piece);
                qx.update(&piece);
                pos += piece.len() as u64;
            }
            Digests {
                sha256: crate::mailbox::content::hex(&sha.finalize()),
                quick_xor: qx.finish_base64(),
            }
        })
    }

    /// The digests if known, computing them first when the content is small
    /// enough to hash on the request path.
    pub fn hashes_for_render(&self) -> Option<&Digests> {
        if self.size() <= INLINE_HASH_LIMIT {
            Some(self.digests())
        } else {
            self.digests.get()
        }
    }

    /// A streaming body of bytes `start..end` (end exclusive).
    pub fn body(self: &Arc<Self>, start: u64, end: u64) -> Body {
        Body::new(Stream {
            blob: self.clone(),
            pos: start,
            end: end.min(self.size()),
        })
    }
}

/// Streams a range of a blob, one chunk per frame.
struct Stream {
    blob: Content,
    pos: u64,
    end: u64,
}

impl HttpBody for Stream {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        if self.pos >= self.end {
            return Poll::Ready(None);
        }
        let next_boundary = (self.pos / CHUNK + 1) * CHUNK;
        let len = (next_boundary.min(self.end) - self.pos) as usize;
        match self.blob.read(self.pos, len) {
            Ok(bytes) if !bytes.is_empty() => {
                self.pos += bytes.len() as u64;
                Poll::Ready(Some(Ok(Frame::data(Bytes::from(bytes)))))
            }
            Ok(_) => Poll::Ready(Some(Err(io::ErrorKind::UnexpectedEof.into()))),
            Err(e) => Poll::Ready(Some(Err(e))),
        }
    }

    fn is_end_stream(&self) -> bool {
        self.pos >= self.end
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.end.saturating_sub(self.pos))
    }
}

/// Collects uploaded bytes: in memory up to [`MEMORY_LIMIT`], then in a
/// temporary file.
#[derive(Debug, Default)]
pub struct Writer {
    memory: Vec<u8>,
    file: Option<std::fs::File>,
    len: u64,
}

impl Writer {
    /// Bytes written so far.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether nothing was written.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Appends `data`.
    pub fn write(&mut self, data: &[u8]) -> io::Result<()> {
        use std::io::Write;
        if self.file.is_none() && self.len + data.len() as u64 > MEMORY_LIMIT {
            let mut file = tempfile::tempfile()?;
            file.write_all(&self.memory)?;
            self.memory = Vec::new();
            self.file = Some(file);
        }
        match &mut self.file {
            Some(f) => f.write_all(data)?,
            None => self.memory.extend_from_slice(data),
        }
        self.len += data.len() as u64;
        Ok(())
    }

    /// The content written.
    pub fn finish(self) -> Content {
        let source = match self.file {
            Some(file) => Source::File {
                file,
                size: self.len,
            },
            None => Source::Memory(self.memory),
        };
        Arc::new(Blob {
            source,
            digests: OnceLock::new(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_agree_with_the_whole() {
        for text in [false, true] {
            let b = Blob::generated(7, 3 * CHUNK + 123, text);
            let all = b.read(0, b.size() as usize).expect("read");
            assert_eq!(all.len() as u64, b.size());
            for (a, n) in [(0u64, 10usize), (CHUNK - 5, 10), (2 * CHUNK + 1, 200_000)] {
                let part = b.read(a, n).expect("read");
                let end = (a as usize + n).min(all.len());
                assert_eq!(part, all[a as usize..end]);
            }
            let again = Blob::generated(7, 3 * CHUNK + 123, text);
            assert_eq!(b.digests(), again.digests());
            assert_ne!(
                b.digests(),
                Blob::generated(8, 3 * CHUNK + 123, text).digests()
            );
            assert_eq!(
                b.digests().quick_xor,
                model::quickxor::quickxor_base64(&all)
            );
        }
        let text = Blob::generated(1, 4000, true).read(0, 4000).expect("read");
        assert!(String::from_utf8(text).is_ok());
    }

    #[test]
    fn writer_spills_to_a_file_and_reads_back() {
        let mut w = Writer::default();
        let piece = vec![7u8; 3 * 1024 * 1024];
        for _ in 0..4 {
            w.write(&piece).expect("write");
        }
        let blob = w.finish();
        assert!(matches!(blob.source(), Source::File { .. }));
        assert_eq!(blob.size(), 12 * 1024 * 1024);
        assert_eq!(
            blob.read(12 * 1024 * 1024 - 3, 10).expect("read"),
            vec![7; 3]
        );
    }
}
