//! The plaintext pack header decoder never panics, and what it accepts re-encodes to itself.
#![no_main]
use libfuzzer_sys::fuzz_target;
use m365vault_store::pack::{decode_header, encode_header};

fuzz_target!(|data: &[u8]| {
    if let Ok(entries) = decode_header(data) {
        assert_eq!(encode_header(&entries), data);
    }
});
