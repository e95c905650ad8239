//! Round trips of every encoding, and decoders that never panic on arbitrary bytes.

use m365vault_store::chunker::{Chunker, ChunkerParams};
use m365vault_store::crypto::CipherKey;
use m365vault_store::id::{ChunkId, IndexId, PackId};
use m365vault_store::index::{IndexFile, IndexedPack};
use m365vault_store::manifest::{ItemRecord, RecordSplitter};
use m365vault_store::pack::{
    BlobType, PackBuilder, PackEntry, decode_header, encode_header, read_pack_entries, seal_blob,
};
use proptest::prelude::*;

const PARAMS: ChunkerParams = ChunkerParams {
    min_size: 64,
    avg_size: 256,
    max_size: 1024,
};

fn chunks_of(data: &[u8], splits: &[usize], seed: u64) -> Vec<Vec<u8>> {
    let mut chunker = Chunker::new(PARAMS, seed);
    let mut out = Vec::new();
    let mut rest = data;
    for s in splits {
        let (head, tail) = rest.split_at((*s).min(rest.len()));
        chunker.push(head, |c| out.push(c));
        rest = tail;
    }
    chunker.push(rest, |c| out.push(c));
    chunker.finish(|c| out.push(c));
    out
}

/// The chunks FastCDC's own `cut_gear` finds over the whole data at once.
fn reference_chunks(data: &[u8], seed: u64) -> Vec<Vec<u8>> {
    use fastcdc::v2020::{Normalization, cut_gear, get_gear_with_seed, select_masks};
    let (s, l) = select_masks(PARAMS.avg_size as usize, Normalization::Level1);
    let (gear, gear_ls) = get_gear_with_seed(seed);
    let mut out = Vec::new();
    let mut rest = data;
    while !rest.is_empty() {
        let (_, len) = cut_gear(
            rest,
            PARAMS.min_size as usize,
            PARAMS.avg_size as usize,
            PARAMS.max_size as usize,
            s,
            l,
            s << 1,
            l << 1,
            &gear,
            &gear_ls,
        );
        let len = len.max(1).min(rest.len());
        out.push(rest[..len].to_vec());
        rest = &rest[len..];
    }
    out
}

fn entry() -> impl Strategy<Value = PackEntry> {
    (
        any::<bool>(),
        any::<bool>(),
        any::<u32>(),
        40u32..,
        any::<u32>(),
        any::<[u8; 32]>(),
    )
        .prop_map(|(meta, compressed, offset, length, raw, id)| PackEntry {
            kind: if meta { BlobType::Meta } else { BlobType::Data },
            compressed,
            offset,
            length,
            raw_length: raw,
            id: ChunkId(id),
        })
}

proptest! {
    #[test]
    fn chunker_is_lossless_bounded_and_independent_of_splits(
        data in proptest::collection::vec(any::<u8>(), 0..20_000),
        splits in proptest::collection::vec(0usize..3000, 0..8),
        seed in any::<u64>(),
    ) {
        let whole = chunks_of(&data, &[], seed);
        prop_assert_eq!(whole.concat(), data.clone());
        for (i, c) in whole.iter().enumerate() {
            prop_assert!(c.len() <= PARAMS.max_size as usize);
            prop_assert!(!c.is_empty());
            if i + 1 < whole.len() {
                prop_assert!(c.len() >= PARAMS.min_size as usize);
            }
        }
        prop_assert_eq!(chunks_of(&data, &splits, seed), whole);
    }

    #[test]
    fn chunker_cuts_where_fastcdc_cuts(
        data in proptest::collection::vec(any::<u8>(), 0..20_000),
        odd_splits in proptest::collection::vec(0usize..700, 0..12),
        seed in any::<u64>(),
        zeros in 0usize..3000,
    ) {
        // A long run of one value: for most seeds, cuts at the largest size.
        let mut data = data;
        data.splice(data.len() / 2..data.len() / 2, std::iter::repeat_n(0u8, zeros));
        let reference = reference_chunks(&data, seed);
        prop_assert_eq!(chunks_of(&data, &[], seed), reference.clone());
        let splits: Vec<usize> = odd_splits.iter().map(|s| s | 1).collect();
        prop_assert_eq!(chunks_of(&data, &splits, seed), reference);
    }

    #[test]
    fn pack_headers_roundtrip(entries in proptest::collection::vec(entry(), 0..50)) {
        // Offsets in a header follow from lengths.
        let mut offset = 0u64;
        let entries: Vec<PackEntry> = entries.into_iter().map(|mut e| {
            e.length = e.length % 100_000 + 40;
            e.offset = offset as u32;
            offset += u64::from(e.length);
            e
        }).collect();
        prop_assert_eq!(decode_header(&encode_header(&entries)).expect("decode"), entries);
    }

    #[test]
    fn packs_roundtrip(chunks in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..3000), 0..10)) {
        let key = CipherKey::from_bytes([7; 32]);
        let mut builder = PackBuilder::new();
        for (i, c) in chunks.iter().enumerate() {
            builder.add(seal_blob(&key, ChunkId([i as u8; 32]), BlobType::Data, c.clone(), 3));
        }
        let (id, parts, entries) = builder.finish(&key);
        let bytes = parts.concat();
        prop_assert_eq!(id.0, *blake3::hash(&bytes).as_bytes());
        prop_assert_eq!(read_pack_entries(&key, &bytes).expect("entries"), entries);
    }

    #[test]
    fn index_files_roundtrip(
        supersedes in proptest::collection::vec(any::<[u8; 32]>(), 0..4),
        packs in proptest::collection::vec((any::<[u8; 32]>(), proptest::collection::vec(entry(), 0..20)), 0..6),
    ) {
        let file = IndexFile {
            supersedes: supersedes.into_iter().map(IndexId).collect(),
            packs: packs.into_iter().map(|(id, entries)| IndexedPack { id: PackId(id), entries }).collect(),
        };
        prop_assert_eq!(IndexFile::decode(&file.encode()).expect("decode"), file);
    }

    #[test]
    fn item_records_roundtrip_through_any_split(
        ids in proptest::collection::vec("[a-zA-Z0-9\n\"\\\\é]{0,20}", 1..20),
        split in 1usize..50,
    ) {
        let records: Vec<ItemRecord> = ids.iter().enumerate().map(|(i, id)| ItemRecord {
            resource: format!("user{i}"),
            kind: "mail".into(),
            id: id.clone(),
            path: format!("/Inbox/{id}"),
            size: i as u64,
            hash: "00".into(),
            modified: None,
            deleted: None,
            meta: serde_json::json!({"subject": id}),
            chunks: vec![ChunkId([i as u8; 32])],
        }).collect();
        let stream: Vec<u8> = records.iter().flat_map(|r| r.to_line()).collect();
        let mut splitter = RecordSplitter::default();
        let mut back = Vec::new();
        for piece in stream.chunks(split) {
            back.extend(splitter.push(piece).expect("records"));
        }
        prop_assert!(!splitter.has_partial());
        prop_assert_eq!(back, records);
    }

    // Fuzz-style: decoders return errors, never panic, on arbitrary input.
    #[test]
    fn decoders_never_panic(data in proptest::collection::vec(any::<u8>(), 0..600)) {
        let key = CipherKey::from_bytes([1; 32]);
        let _ = decode_header(&data);
        let _ = IndexFile::decode(&data);
        let _ = read_pack_entries(&key, &data);
        let _ = RecordSplitter::default().push(&data);
        let _ = m365vault_store::keys::KeyFile::parse(&data);
        let _ = serde_json::from_slice::<m365vault_store::Manifest>(&data);
    }

    #[test]
    fn damaged_index_bodies_are_errors(file in proptest::collection::vec((any::<[u8; 32]>(), proptest::collection::vec(entry(), 1..5)), 1..3), cut in 1usize..100) {
        let file = IndexFile { supersedes: vec![], packs: file.into_iter().map(|(id, entries)| IndexedPack { id: PackId(id), entries }).collect() };
        let body = file.encode();
        let cut = cut.min(body.len() - 1);
        prop_assert!(IndexFile::decode(&body[..body.len() - cut]).is_err());
    }
}
