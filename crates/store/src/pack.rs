//! Pack files: encrypted chunks one after another, then an encrypted header that
//! lists them, then the header's length.
//!
//! ```text
//! pack    = blob* ‖ sealed_header ‖ u32le(len(sealed_header))
//! blob    = seal(payload, aad = chunk id)            payload = zstd(chunk) or chunk
//! header  = u8 version (1) ‖ entry*
//! entry   = u8 type ‖ u8 flags ‖ u32le length ‖ u32le raw_length ‖ chunk id (32)
//! ```
//! A blob's offset is the sum of the lengths before it. The pack's name is the
//! BLAKE3 hash of the whole file.

use bytes::Bytes;

use crate::codec::{FormatError, Reader};
use crate::crypto::{CipherKey, DecryptError, OVERHEAD};
use crate::id::{ChunkId, PackId};

/// Associated data of a pack header.
const HEADER_AAD: &[u8] = b"m365vault pack header v1";
/// Bytes of one header entry.
pub const HEADER_ENTRY_LEN: usize = 1 + 1 + 4 + 4 + 32;
/// Flag: the payload is zstd-compressed.
pub const FLAG_COMPRESSED: u8 = 1;

/// What a chunk holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BlobType {
    /// Item content.
    Data,
    /// A run's item list.
    Meta,
}

impl BlobType {
    fn code(self) -> u8 {
        match self {
            BlobType::Data => 0,
            BlobType::Meta => 1,
        }
    }

    fn from_code(code: u8) -> Result<Self, FormatError> {
        match code {
            0 => Ok(BlobType::Data),
            1 => Ok(BlobType::Meta),
            other => Err(FormatError::new(
                "pack entry",
                format!("unknown blob type {other}"),
            )),
        }
    }
}

/// One chunk in a pack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PackEntry {
    /// What the chunk holds.
    pub kind: BlobType,
    /// Whether the payload is compressed.
    pub compressed: bool,
    /// Where the sealed blob starts in the pack.
    pub offset: u32,
    /// The sealed blob's length.
    pub length: u32,
    /// The chunk's plaintext length.
    pub raw_length: u32,
    /// The chunk's id.
    pub id: ChunkId,
}

impl PackEntry {
    pub(crate) fn flags(&self) -> u8 {
        if self.compressed { FLAG_COMPRESSED } else { 0 }
    }

    pub(crate) fn decode_flags(what: &'static str, flags: u8) -> Result<bool, FormatError> {
        if flags & !FLAG_COMPRESSED != 0 {
            return Err(FormatError::new(
                what,
                format!("unknown flags {flags:#04x}"),
            ));
        }
        Ok(flags & FLAG_COMPRESSED != 0)
    }

    pub(crate) fn decode_type(code: u8) -> Result<BlobType, FormatError> {
        BlobType::from_code(code)
    }

    pub(crate) fn type_code(&self) -> u8 {
        self.kind.code()
    }
}

/// A chunk ready for a pack: sealed, maybe compressed.
#[derive(Debug, Clone)]
pub struct SealedBlob {
    /// The chunk's id.
    pub id: ChunkId,
    /// What it holds.
    pub kind: BlobType,
    /// Whether the payload was compressed before sealing.
    pub compressed: bool,
    /// Plaintext length.
    pub raw_length: u32,
    /// nonce ‖ ciphertext ‖ tag, in pieces written one after the other.
    pub sealed: Vec<Bytes>,
}

impl SealedBlob {
    /// Its length in a pack.
    pub fn len(&self) -> usize {
        self.sealed.iter().map(Bytes::len).sum()
    }

    /// Whether it has no bytes (never, once sealed).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Whether compressing `plain` is worth trying. A sample from its middle that
/// zstd's fastest level cannot shrink by 3% says the rest will not shrink either
/// (video, images, archives, encrypted data): those chunks are stored as they
/// are without spending a compression pass on them.
fn worth_compressing(plain: &[u8]) -> bool {
    const SAMPLE: usize = 8 * 1024;
    if plain.len() <= 4 * SAMPLE {
        return true;
    }
    let mid = plain.len() / 2;
    let sample = &plain[mid - SAMPLE / 2..mid + SAMPLE / 2];
    match zstd::bulk::compress(sample, 1) {
        Ok(c) => c.len() < sample.len() * 97 / 100,
        Err(_) => true,
    }
}

/// Compresses (when that makes it smaller) and seals one chunk, encrypting it where it
/// lies rather than in a copy.
pub fn seal_blob(
    key: &CipherKey,
    id: ChunkId,
    kind: BlobType,
    plain: Vec<u8>,
    level: i32,
) -> SealedBlob {
    let raw_length = plain.len() as u32;
    let compressed = worth_compressing(&plain)
        .then(|| zstd::bulk::compress(&plain, level).ok())
        .flatten()
        .filter(|c| c.len() < plain.len());
    let is_compressed = compressed.is_some();
    let mut payload = compressed.unwrap_or(plain);
    let nonce = key.seal_in_place(&mut payload, &id.0);
    // The chunker reserves room for its largest chunk; the blob waits in a pack for a
    // while, so give back what it does not use (in place, for large buffers).
    payload.shrink_to_fit();
    SealedBlob {
        id,
        kind,
        compressed: is_compressed,
        raw_length,
        sealed: vec![Bytes::copy_from_slice(&nonce), Bytes::from(payload)],
    }
}

/// A blob could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    /// Authentication failed.
    #[error(transparent)]
    Decrypt(#[from] DecryptError),
    /// The payload did not decompress to the recorded length.
    #[error("the chunk does not decompress: {0}")]
    Decompress(String),
    /// The plaintext does not hash to its id.
    #[error("the chunk's content does not match its id")]
    HashMismatch,
}

/// Opens one sealed blob and checks it against its id.
pub fn open_blob(
    key: &CipherKey,
    id_of: impl Fn(&[u8]) -> ChunkId,
    entry: &PackEntry,
    sealed: &[u8],
) -> Result<Vec<u8>, BlobError> {
    let payload = key.open(sealed, &entry.id.0)?;
    let plain = if entry.compressed {
        let plain = zstd::bulk::decompress(&payload, entry.raw_length as usize)
            .map_err(|e| BlobError::Decompress(e.to_string()))?;
        if plain.len() != entry.raw_length as usize {
            return Err(BlobError::Decompress(format!(
                "{} bytes instead of {}",
                plain.len(),
                entry.raw_length
            )));
        }
        plain
    } else {
        payload
    };
    if id_of(&plain) != entry.id {
        return Err(BlobError::HashMismatch);
    }
    Ok(plain)
}

/// Builds one pack in memory.
#[derive(Debug, Default)]
pub struct PackBuilder {
    /// The sealed blobs, each its own buffer: a pack is written from them as they are,
    /// without copying them into one.
    parts: Vec<Bytes>,
    len: usize,
    entries: Vec<PackEntry>,
}

impl PackBuilder {
    /// An empty pack.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a sealed blob.
    pub fn add(&mut self, blob: SealedBlob) {
        self.entries.push(PackEntry {
            kind: blob.kind,
            compressed: blob.compressed,
            offset: self.len as u32,
            length: blob.len() as u32,
            raw_length: blob.raw_length,
            id: blob.id,
        });
        self.len += blob.len();
        self.parts.extend(blob.sealed);
    }

    /// Bytes so far.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing was added.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Seals the header and returns the pack's id, its bytes in parts (to be written one
    /// after the other) and its entries.
    pub fn finish(mut self, key: &CipherKey) -> (PackId, Vec<Bytes>, Vec<PackEntry>) {
        let header = encode_header(&self.entries);
        let mut sealed = key.seal(&header, HEADER_AAD);
        let length = sealed.len() as u32;
        sealed.extend_from_slice(&length.to_le_bytes());
        self.parts.push(Bytes::from(sealed));
        let mut hasher = blake3::Hasher::new();
        for part in &self.parts {
            hasher.update(part);
        }
        (
            PackId(*hasher.finalize().as_bytes()),
            self.parts,
            self.entries,
        )
    }
}

/// The plaintext header for these entries.
pub fn encode_header(entries: &[PackEntry]) -> Vec<u8> {
    let mut out = Vec::with_capacity(1 + entries.len() * HEADER_ENTRY_LEN);
    out.push(1);
    for e in entries {
        out.push(e.type_code());
        out.push(e.flags());
        out.extend_from_slice(&e.length.to_le_bytes());
        out.extend_from_slice(&e.raw_length.to_le_bytes());
        out.extend_from_slice(&e.id.0);
    }
    out
}

/// Parses a plaintext header; offsets follow from the lengths.
pub fn decode_header(header: &[u8]) -> Result<Vec<PackEntry>, FormatError> {
    let mut r = Reader::new("pack header", header);
    let version = r.u8()?;
    if version != 1 {
        return Err(FormatError::new(
            "pack header",
            format!("version {version} is not supported by this m365vault"),
        ));
    }
    if !r.remaining().is_multiple_of(HEADER_ENTRY_LEN) {
        return Err(FormatError::new(
            "pack header",
            "length is not a whole number of entries",
        ));
    }
    let mut entries = Vec::with_capacity(r.remaining() / HEADER_ENTRY_LEN);
    let mut offset: u64 = 0;
    while r.remaining() > 0 {
        let kind = PackEntry::decode_type(r.u8()?)?;
        let compressed = PackEntry::decode_flags("pack header", r.u8()?)?;
        let length = r.u32()?;
        let raw_length = r.u32()?;
        let id = ChunkId(r.id()?);
        if (length as usize) < OVERHEAD {
            return Err(FormatError::new(
                "pack header",
                format!("entry of {length} bytes is shorter than its encryption overhead"),
            ));
        }
        let off = u32::try_from(offset)
            .map_err(|_| FormatError::new("pack header", "offsets pass 4 GiB"))?;
        entries.push(PackEntry {
            kind,
            compressed,
            offset: off,
            length,
            raw_length,
            id,
        });
        offset += u64::from(length);
    }
    Ok(entries)
}

/// Where the sealed header sits in a pack of `pack_len` bytes, from the pack's last 4 bytes.
pub fn header_span(pack_len: u64, trailer: [u8; 4]) -> Result<(u64, u64), FormatError> {
    let len = u64::from(u32::from_le_bytes(trailer));
    if len + 4 > pack_len || len < OVERHEAD as u64 {
        return Err(FormatError::new(
            "pack",
            format!("header length {len} does not fit a pack of {pack_len} bytes"),
        ));
    }
    Ok((pack_len - 4 - len, len))
}

/// Reads the entries of a whole pack file, checking that they fill it exactly.
pub fn read_pack_entries(key: &CipherKey, pack: &[u8]) -> Result<Vec<PackEntry>, PackError> {
    if pack.len() < 4 {
        return Err(PackError::Format(FormatError::new(
            "pack",
            "shorter than its trailer",
        )));
    }
    let (start, len) = header_span(
        pack.len() as u64,
        pack[pack.len() - 4..].try_into().unwrap_or([0; 4]),
    )?;
    let sealed = &pack[start as usize..(start + len) as usize];
    let header = key.open(sealed, HEADER_AAD)?;
    let entries = decode_header(&header)?;
    let end = entries
        .last()
        .map(|e| u64::from(e.offset) + u64::from(e.length))
        .unwrap_or(0);
    if end != start {
        return Err(PackError::Format(FormatError::new(
            "pack",
            format!("blobs end at {end} but the header starts at {start}"),
        )));
    }
    Ok(entries)
}

/// Opening a pack's header failed.
#[derive(Debug, thiserror::Error)]
pub enum PackError {
    /// Layout problem.
    #[error(transparent)]
    Format(#[from] FormatError),
    /// Authentication failed.
    #[error("the pack header does not decrypt: {0}")]
    Decrypt(#[from] DecryptError),
}

#[cfg(test)]
mod compression_tests {
    use super::*;

    #[test]
    fn incompressible_chunks_are_stored_as_they_are() {
        let key = CipherKey::from_bytes([3; 32]);
        let mut x = 0x2545_f491_4f6c_dd1d_u64;
        let random: Vec<u8> = (0..256 * 1024)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        let text = b"the quick brown fox jumps over the lazy dog ".repeat(6000);
        assert!(!worth_compressing(&random));
        assert!(worth_compressing(&text));
        let id = ChunkId([7; 32]);
        assert!(!seal_blob(&key, id, BlobType::Data, random, 3).compressed);
        assert!(seal_blob(&key, id, BlobType::Data, text, 3).compressed);
    }
}
