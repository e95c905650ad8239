//! Index files (which chunk is in which pack) and the in-memory index built from them.
//!
//! ```text
//! index file = seal(zstd(body), aad = "m365vault index v1")
//! body       = u8 version (1) ‖ u32le n ‖ superseded index id (32) × n
//!              ‖ u32le m ‖ pack × m
//! pack       = pack id (32) ‖ u32le k ‖ entry × k
//! entry      = u8 type ‖ u8 flags ‖ u32le offset ‖ u32le length ‖ u32le raw_length ‖ chunk id (32)
//! ```

use std::collections::HashMap;

use crate::codec::{FormatError, Reader};
use crate::id::{ChunkId, IndexId, PackId};
use crate::pack::{BlobType, PackEntry};

/// Associated data of index files.
pub const INDEX_AAD: &[u8] = b"m365vault index v1";
const ENTRY_LEN: usize = 1 + 1 + 4 + 4 + 4 + 32;

/// The packs one index file describes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IndexFile {
    /// Index files this one replaces (written by prune); readers ignore those.
    pub supersedes: Vec<IndexId>,
    /// Packs and their entries.
    pub packs: Vec<IndexedPack>,
}

/// One pack in an index file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexedPack {
    /// The pack.
    pub id: PackId,
    /// Its chunks.
    pub entries: Vec<PackEntry>,
}

impl IndexedPack {
    /// The pack's size in bytes, from its entries: blobs, sealed header, trailer.
    pub fn size(&self) -> u64 {
        let blobs: u64 = self.entries.iter().map(|e| u64::from(e.length)).sum();
        let header = 1 + self.entries.len() as u64 * crate::pack::HEADER_ENTRY_LEN as u64;
        blobs + header + crate::crypto::OVERHEAD as u64 + 4
    }
}

impl IndexFile {
    /// The plaintext body.
    pub fn encode(&self) -> Vec<u8> {
        let entries: usize = self.packs.iter().map(|p| p.entries.len()).sum();
        let mut out = Vec::with_capacity(
            9 + self.supersedes.len() * 32 + self.packs.len() * 36 + entries * ENTRY_LEN,
        );
        out.push(1);
        out.extend_from_slice(&(self.supersedes.len() as u32).to_le_bytes());
        for id in &self.supersedes {
            out.extend_from_slice(&id.0);
        }
        out.extend_from_slice(&(self.packs.len() as u32).to_le_bytes());
        for pack in &self.packs {
            out.extend_from_slice(&pack.id.0);
            out.extend_from_slice(&(pack.entries.len() as u32).to_le_bytes());
            for e in &pack.entries {
                out.push(e.type_code());
                out.push(e.flags());
                out.extend_from_slice(&e.offset.to_le_bytes());
                out.extend_from_slice(&e.length.to_le_bytes());
                out.extend_from_slice(&e.raw_length.to_le_bytes());
                out.extend_from_slice(&e.id.0);
            }
        }
        out
    }

    /// Parses a plaintext body.
    pub fn decode(body: &[u8]) -> Result<Self, FormatError> {
        let mut r = Reader::new("index file", body);
        let version = r.u8()?;
        if version != 1 {
            return Err(FormatError::new(
                "index file",
                format!("version {version} is not supported by this m365vault"),
            ));
        }
        let n = r.count(32)?;
        let mut supersedes = Vec::with_capacity(n);
        for _ in 0..n {
            supersedes.push(IndexId(r.id()?));
        }
        let m = r.count(36)?;
        let mut packs = Vec::with_capacity(m);
        for _ in 0..m {
            let id = PackId(r.id()?);
            let k = r.count(ENTRY_LEN)?;
            let mut entries = Vec::with_capacity(k);
            for _ in 0..k {
                let kind = PackEntry::decode_type(r.u8()?)?;
                let compressed = PackEntry::decode_flags("index file", r.u8()?)?;
                let offset = r.u32()?;
                let length = r.u32()?;
                let raw_length = r.u32()?;
                let chunk = ChunkId(r.id()?);
                entries.push(PackEntry {
                    kind,
                    compressed,
                    offset,
                    length,
                    raw_length,
                    id: chunk,
                });
            }
            packs.push(IndexedPack { id, entries });
        }
        r.end()?;
        Ok(Self { supersedes, packs })
    }
}

/// Where a chunk is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkLocation {
    /// The pack, as a position in [`MemIndex::packs`].
    pub pack: u32,
    /// The entry.
    pub entry: PackEntry,
}

/// Every indexed chunk and pack, in memory: about 80 bytes per chunk. Items of
/// Microsoft 365 are mostly one chunk each, so a million mails cost about 80 MB.
#[derive(Debug, Default)]
pub struct MemIndex {
    packs: Vec<PackId>,
    pack_pos: HashMap<PackId, u32>,
    pack_sizes: Vec<u64>,
    chunks: HashMap<ChunkId, ChunkLocation>,
}

impl MemIndex {
    /// An empty index.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a pack and its entries (a chunk in several packs keeps its first place).
    pub fn add_pack(&mut self, pack: &IndexedPack) {
        let pos = match self.pack_pos.get(&pack.id) {
            Some(pos) => *pos,
            None => {
                let pos = self.packs.len() as u32;
                self.packs.push(pack.id);
                self.pack_sizes.push(pack.size());
                self.pack_pos.insert(pack.id, pos);
                pos
            }
        };
        for e in &pack.entries {
            self.chunks.entry(e.id).or_insert(ChunkLocation {
                pack: pos,
                entry: *e,
            });
        }
    }

    /// Where a chunk is.
    pub fn get(&self, id: &ChunkId) -> Option<(PackId, PackEntry)> {
        self.chunks
            .get(id)
            .map(|loc| (self.packs[loc.pack as usize], loc.entry))
    }

    /// Whether a chunk is indexed.
    pub fn contains(&self, id: &ChunkId) -> bool {
        self.chunks.contains_key(id)
    }

    /// Whether a pack is indexed.
    pub fn has_pack(&self, id: &PackId) -> bool {
        self.pack_pos.contains_key(id)
    }

    /// Indexed packs and their expected sizes.
    pub fn packs(&self) -> impl Iterator<Item = (PackId, u64)> + '_ {
        self.packs
            .iter()
            .copied()
            .zip(self.pack_sizes.iter().copied())
    }

    /// Number of chunks.
    pub fn chunk_count(&self) -> usize {
        self.chunks.len()
    }

    /// Every chunk and where it is.
    pub fn chunks(&self) -> impl Iterator<Item = (ChunkId, PackId, PackEntry)> + '_ {
        self.chunks
            .iter()
            .map(|(id, loc)| (*id, self.packs[loc.pack as usize], loc.entry))
    }

    /// Entries by type, for statistics.
    pub fn raw_and_stored(&self, kind: BlobType) -> (u64, u64) {
        self.chunks
            .values()
            .filter(|l| l.entry.kind == kind)
            .fold((0, 0), |(raw, stored), l| {
                (
                    raw + u64::from(l.entry.raw_length),
                    stored + u64::from(l.entry.length),
                )
            })
    }
}
