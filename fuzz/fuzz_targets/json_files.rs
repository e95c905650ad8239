//! Key files and manifests never panic their parsers.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = m365vault_store::keys::KeyFile::parse(data);
    let _ = serde_json::from_slice::<m365vault_store::Manifest>(data);
    let _ = serde_json::from_slice::<m365vault_store::ItemRecord>(data);
});
