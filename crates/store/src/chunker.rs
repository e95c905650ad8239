//! Content-defined chunking (FastCDC 2020, normalisation level 1) over a stream that
//! arrives in pieces of any size: the same bytes give the same chunks however they
//! are split.

use std::borrow::Cow;

use fastcdc::v2020::{Normalization, cut_gear, get_gear_with_seed, select_masks};
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
#[derive(Debug)]
pub struct Chunker {
    params: ChunkerParams,
    masks: [u64; 4],
    gear: Cow<'static, [u64]>,
    gear_ls: Cow<'static, [u64]>,
    buf: Vec<u8>,
    /// Where the bytes not yet emitted start in `buf`.
    start: usize,
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
            buf: Vec::new(),
            start: 0,
        }
    }

    fn cut(&self, data: &[u8]) -> usize {
        let p = &self.params;
        let [s, l, s_ls, l_ls] = self.masks;
        let (_, len) = cut_gear(
            data,
            p.min_size as usize,
            p.avg_size as usize,
            p.max_size as usize,
            s,
            l,
            s_ls,
            l_ls,
            &self.gear,
            &self.gear_ls,
        );
        len.max(1).min(data.len())
    }

    /// Adds bytes; calls `emit` for every chunk that is now complete.
    pub fn push(&mut self, data: &[u8], mut emit: impl FnMut(Vec<u8>)) {
        let max = self.params.max_size as usize;
        let mut data = data;
        while !data.is_empty() {
            // Nothing buffered: cut straight from the input while it holds a whole
            // window, so those bytes are copied once (into their chunk), not three times.
            // The cut sees the same `max` bytes as through the buffer.
            if self.start == self.buf.len() {
                self.buf.clear();
                self.start = 0;
                while data.len() >= max {
                    let len = self.cut(&data[..max]);
                    emit(data[..len].to_vec());
                    data = &data[len..];
                }
                if data.is_empty() {
                    break;
                }
            }
            // Never hold more than `max` bytes past `start`: cut as soon as there are.
            let room = max - (self.buf.len() - self.start).min(max);
            let take = room.max(1).min(data.len());
            self.buf.extend_from_slice(&data[..take]);
            data = &data[take..];
            while self.buf.len() - self.start >= max {
                let len = self.cut(&self.buf[self.start..]);
                emit(self.buf[self.start..self.start + len].to_vec());
                self.start += len;
            }
            // Move the tail to the front once it is shorter than what was consumed,
            // so every byte is moved at most about once.
            if self.start > 0 && self.buf.len() - self.start <= self.start {
                self.buf.drain(..self.start);
                self.start = 0;
            }
        }
    }

    /// Ends the stream; calls `emit` for the remaining chunks.
    pub fn finish(mut self, mut emit: impl FnMut(Vec<u8>)) {
        while self.start < self.buf.len() {
            let len = self.cut(&self.buf[self.start..]);
            emit(self.buf[self.start..self.start + len].to_vec());
            self.start += len;
        }
    }

    /// Bytes waiting for the next cut.
    pub fn buffered(&self) -> usize {
        self.buf.len() - self.start
    }
}
