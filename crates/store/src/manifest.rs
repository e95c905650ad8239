//! Run manifests and item records.
//!
//! A manifest is `seal(zstd(JSON), aad = "m365vault manifest v1")`. Its item list is
//! not inside it: item records are UTF-8 JSON objects, one per line, chunked and
//! stored as `meta` chunks like any other stream, and the manifest lists those
//! chunks in order. So a run of millions of items writes a small manifest, and an
//! unchanged item list deduplicates against the previous run's.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::id::ChunkId;

/// Associated data of manifests.
pub const MANIFEST_AAD: &[u8] = b"m365vault manifest v1";

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunOutcome {
    /// Every item was read.
    Complete,
    /// Some items failed; they are listed in `failed`.
    Partial,
}

/// One backup run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Format version of manifests: 1.
    pub version: u32,
    /// The run's id (also the catalog's run id).
    pub run_id: String,
    /// When the run started.
    #[serde(with = "time::serde::rfc3339")]
    pub started: OffsetDateTime,
    /// When it finished.
    #[serde(with = "time::serde::rfc3339")]
    pub finished: OffsetDateTime,
    /// The machine that ran it.
    pub hostname: String,
    /// What the run was: connector, tenant, job, policy…
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// How it ended.
    pub outcome: RunOutcome,
    /// The item list's chunks, in order.
    pub items: Vec<ChunkId>,
    /// Counts.
    pub stats: RunStats,
    /// Items that could not be read, with the reason.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failed: Vec<FailedItem>,
}

/// What a run stored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunStats {
    /// Items listed (including deletions).
    pub items: u64,
    /// Their total size.
    pub bytes: u64,
    /// Chunks not already in the repository.
    pub new_chunks: u64,
    /// Their plaintext size.
    pub new_bytes: u64,
    /// Their stored (compressed, encrypted) size.
    pub stored_bytes: u64,
}

/// An item the run could not read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FailedItem {
    /// The resource (mailbox, drive…).
    pub resource: String,
    /// The item's id.
    pub id: String,
    /// Why.
    pub error: String,
}

/// One item version: a byte stream with metadata.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemRecord {
    /// The resource it belongs to: a mailbox, drive, site, team…
    pub resource: String,
    /// What it is: `mail`, `event`, `contact`, `file`, …
    pub kind: String,
    /// Its stable id in Microsoft 365.
    pub id: String,
    /// Where it was (folder path, file path).
    pub path: String,
    /// Its size in bytes.
    pub size: u64,
    /// Keyed BLAKE3 of its content, hex.
    pub hash: String,
    /// When it last changed in Microsoft 365.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    pub modified: Option<OffsetDateTime>,
    /// When it was seen deleted in Microsoft 365 (then it has no chunks).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    pub deleted: Option<OffsetDateTime>,
    /// Metadata the content lacks (Graph JSON).
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub meta: serde_json::Value,
    /// The content's chunks, in order.
    pub chunks: Vec<ChunkId>,
}

impl ItemRecord {
    /// The record as one line of the item list (with its newline).
    pub fn to_line(&self) -> Vec<u8> {
        // Serialising owned strings, numbers and JSON values cannot fail.
        let mut line = serde_json::to_vec(self).unwrap_or_default();
        line.push(b'\n');
        line
    }
}

/// Splits a stream of item-list bytes into records.
#[derive(Debug, Default)]
pub struct RecordSplitter {
    partial: Vec<u8>,
}

impl RecordSplitter {
    /// Adds bytes; returns the records now complete.
    pub fn push(&mut self, data: &[u8]) -> Result<Vec<ItemRecord>, serde_json::Error> {
        let mut out = Vec::new();
        let mut rest = data;
        while let Some(pos) = rest.iter().position(|b| *b == b'\n') {
            self.partial.extend_from_slice(&rest[..pos]);
            out.push(serde_json::from_slice(&self.partial)?);
            self.partial.clear();
            rest = &rest[pos + 1..];
        }
        self.partial.extend_from_slice(rest);
        Ok(out)
    }

    /// Whether bytes are left over after the last newline (a damaged list).
    pub fn has_partial(&self) -> bool {
        !self.partial.is_empty()
    }
}
