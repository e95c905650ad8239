//! Content-defined chunking (FastCDC 2020, normalisation level 1) over a stream that
//! arrives in pieces of any size: the same bytes give the same chunks however they
//! are split.

use std::borrow::Cow;

use fastcdc::v2020::{Normalization, get_gear_with_seed, select_masks};
use serde::{Deserialize, Serialize};

/// Chunk size limits, kept in the repository's config.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChunkerParams {
    /// The smallest chunk (except an item's last).
    pub min_size: u32,
    /// The average chunk.
    pub avg_size: u32,
    /// The largest chunk.
    pub max_size: u32,
}

impl Default for ChunkerParams {
    /// 256 KiB / 1 MiB / 4 MiB: small items (most mail) are one chunk each.
    fn default() -> Self {
        Self {
            min_size: 256 * 1024,
            avg_size: 1024 * 1024,
            max_size: 4 * 1024 * 1024,
        }
    }
}

impl ChunkerParams {
    /// Checks the limits against what FastCDC accepts.
    pub fn validate(&self) -> Result<(), String> {
        let ok = (64..=1_048_576).contains(&self.min_size)
            && (256..=4_194_304).contains(&self.avg_size)
            && (1024..=16_777_216).contains(&self.max_size)
            && self.min_size <= self.avg_size
            && self.avg_size <= self.max_size
            && self.min_size.is_multiple_of(2)
            && self.avg_size.is_multiple_of(2)
            && self.max_size.is_multiple_of(2);
        if ok {
            Ok(())
        } else {
            Err(format!("chunk sizes {self:?} are out of FastCDC's range"))
        }
    }
}

/// Splits a stream into chunks.
///
/// The scan is FastCDC's `cut_gear` (two bytes per step, the strict mask before the
/// average size, the relaxed one after, a cut at the largest size), made resumable:
/// each byte is scanned once as it arrives and copied once, into the chunk that will
/// hold it. The cut points are those of `cut_gear` over the whole stream.
#[derive(Debug)]
pub struct Chunker {
    params: ChunkerParams,
    masks: [u64; 4],
    gear: Cow<'static, [u64]>,
    gear_ls: Cow<'static, [u64]>,
    /// The chunk being filled.
    chunk: Vec<u8>,
    /// The next pair to test: bytes `2 * pair` and `2 * pair + 1` of the chunk.
    pair: usize,
    hash: u64,
}

impl Chunker {
    /// A chunker with the repository's limits and seed.
    pub fn new(params: ChunkerParams, seed: u64) -> Self {
        let (mask_s, mask_l) = select_masks(params.avg_size as usize, Normalization::Level1);
        let (gear, gear_ls) = get_gear_with_seed(seed);
        Self {
            params,
            masks: [mask_s, mask_l, mask_s << 1, mask_l << 1],
            gear,
            gear_ls,
            chunk: Vec::new(),
            pair: params.min_size as usize / 2,
            hash: 0,
        }
    }

    /// Tests the pairs that `bytes` completes, where `bytes` holds the chunk's bytes
    /// from `base` (even, at most the first untested byte) on. Returns where the
    /// chunk ends, if it ends in them.
    fn scan(&mut self, bytes: &[u8], base: usize) -> Option<usize> {
        let gear: &[u64; 256] = self.gear.as_ref().try_into().ok()?;
        let gear_ls: &[u64; 256] = self.gear_ls.as_ref().try_into().ok()?;
        let [mask_s, mask_l, mask_s_ls, mask_l_ls] = self.masks;
        let max_pairs = self.params.max_size as usize / 2;
        let end = (base + bytes.len()) / 2;
        let mut hash = self.hash;
        let mut pair = self.pair;
        let mut cut = None;
        for (limit, mask, mask_ls) in [
            (self.params.avg_size as usize / 2, mask_s, mask_s_ls),
            (max_pairs, mask_l, mask_l_ls),
        ] {
            let limit = limit.min(end);
            while cut.is_none() && pair < limit {
                let a = pair * 2 - base;
                hash = (hash << 2).wrapping_add(gear_ls[bytes[a] as usize]);
                if hash & mask_ls == 0 {
                    cut = Some(pair * 2);
                    break;
                }
                hash = hash.wrapping_add(gear[bytes[a + 1] as usize]);
                if hash & mask == 0 {
                    cut = Some(pair * 2 + 1);
                    break;
                }
                pair += 1;
            }
        }
        self.hash = hash;
        self.pair = pair;
        match cut {
            Some(at) => Some(at),
            None if pair >= max_pairs => Some(self.params.max_size as usize),
            None => None,
        }
    }

    /// Emits the chunk's first `len` bytes; what follows starts the next chunk.
    fn cut(&mut self, len: usize, emit: &mut impl FnMut(Vec<u8>)) {
        let rest = self
            .chunk
            .get(len..)
            .map(<[u8]>::to_vec)
            .unwrap_or_default();
        self.chunk.truncate(len);
        emit(std::mem::replace(&mut self.chunk, rest));
        self.pair = self.params.min_size as usize / 2;
        self.hash = 0;
    }

    /// Room for `more` bytes. A chunk's first piece gets exactly its room (an item held
    /// in memory is often one small chunk); then room for an average chunk; past that,
    /// for the largest. Most chunks are moved at most once, and small items do not sit
    /// in buffers sized for the largest chunk.
    fn reserve(&mut self, more: usize) {
        let need = self.chunk.len() + more;
        if need > self.chunk.capacity() {
            let avg = self.params.avg_size as usize;
            let target = if self.chunk.is_empty() {
                need
            } else if need <= avg {
                avg
            } else {
                need.max(self.params.max_size as usize)
            };
            self.chunk.reserve_exact(target - self.chunk.len());
        }
    }

    /// Adds bytes; calls `emit` for every chunk that is now complete.
    pub fn push(&mut self, data: &[u8], mut emit: impl FnMut(Vec<u8>)) {
        let max = self.params.max_size as usize;
        let mut data = data;
        while !data.is_empty() {
            // An odd length leaves a pair half in the chunk: complete it first.
            if self.chunk.len() % 2 == 1 {
                self.reserve(1);
                self.chunk.push(data[0]);
                data = &data[1..];
                let base = self.chunk.len() - 2;
                let pair = [self.chunk[base], self.chunk[base + 1]];
                if let Some(len) = self.scan(&pair, base) {
                    self.cut(len, &mut emit);
                }
                continue;
            }
            // Scan the new bytes where they are, then copy only those that belong to
            // this chunk.
            let base = self.chunk.len();
            let window = &data[..data.len().min(max - base)];
            let end = self.scan(window, base);
            let take = end.map_or(window.len(), |len| len - base);
            self.reserve(take);
            self.chunk.extend_from_slice(&data[..take]);
            data = &data[take..];
            if let Some(len) = end {
                self.cut(len, &mut emit);
            }
        }
    }

    /// Ends the stream; calls `emit` for the last chunk.
    pub fn finish(self, mut emit: impl FnMut(Vec<u8>)) {
        if !self.chunk.is_empty() {
            emit(self.chunk);
        }
    }

    /// Bytes waiting for the next cut.
    pub fn buffered(&self) -> usize {
        self.chunk.len()
    }
}
