//! Splitting an item list into records never panics, whatever the bytes and pieces.
#![no_main]
use libfuzzer_sys::fuzz_target;
use m365vault_store::manifest::RecordSplitter;

fuzz_target!(|data: &[u8]| {
    let Some((&split, rest)) = data.split_first() else { return };
    let mut splitter = RecordSplitter::default();
    for piece in rest.chunks(usize::from(split).max(1)) {
        if splitter.push(piece).is_err() {
            return;
        }
    }
    let _ = splitter.has_partial();
});
