//! Reading a whole pack (trailer, sealed header, layout) never panics on any bytes.
#![no_main]
use libfuzzer_sys::fuzz_target;
use m365vault_store::crypto::CipherKey;
use m365vault_store::pack::read_pack_entries;

fuzz_target!(|data: &[u8]| {
    let _ = read_pack_entries(&CipherKey::from_bytes([7; 32]), data);
});
