//! The index body decoder never panics, and what it accepts re-encodes to itself.
#![no_main]
use libfuzzer_sys::fuzz_target;
use m365vault_store::index::IndexFile;

fuzz_target!(|data: &[u8]| {
    if let Ok(file) = IndexFile::decode(data) {
        assert_eq!(file.encode(), data);
    }
});
