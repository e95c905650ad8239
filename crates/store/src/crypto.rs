//! Keys and encryption: XChaCha20-Poly1305 with random nonces; a master key wrapped
//! by keys derived from passphrases with Argon2id.

use chacha20poly1305::aead::{AeadInOut, KeyInit};
use chacha20poly1305::{Tag, XChaCha20Poly1305, XNonce};
use serde::{Deserialize, Serialize};

/// Bytes of a nonce.
pub const NONCE_LEN: usize = 24;
/// Bytes of an authentication tag.
pub const TAG_LEN: usize = 16;
/// Bytes that encryption adds to a plaintext.
pub const OVERHEAD: usize = NONCE_LEN + TAG_LEN;

/// Decryption failed: wrong key, or the bytes were changed.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("decryption failed: the data was changed or damaged, or the key is wrong")]
pub struct DecryptError;

/// A 256-bit key for XChaCha20-Poly1305.
#[derive(Clone)]
pub struct CipherKey([u8; 32]);

impl CipherKey {
    /// The key from its bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// Encrypts `plaintext`: `nonce (24) ‖ ciphertext ‖ tag (16)`, the tag also covering `aad`.
    pub fn seal(&self, plaintext: &[u8], aad: &[u8]) -> Vec<u8> {
        let mut body = Vec::with_capacity(plaintext.len() + TAG_LEN);
        body.extend_from_slice(plaintext);
        let nonce = self.seal_in_place(&mut body, aad);
        let mut out = Vec::with_capacity(body.len() + NONCE_LEN);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&body);
        out
    }

    /// Encrypts `data` where it is and appends the tag: `ciphertext ‖ tag`. Returns the
    /// fresh nonce, which goes before them in what [`CipherKey::open`] reads.
    pub fn seal_in_place(&self, data: &mut Vec<u8>, aad: &[u8]) -> [u8; NONCE_LEN] {
        let cipher = XChaCha20Poly1305::new((&self.0).into());
        let nonce: [u8; NONCE_LEN] = rand::random();
        // Encryption only fails for plaintexts beyond 256 GiB, which never occur here.
        if let Ok(tag) =
            cipher.encrypt_inout_detached(&XNonce::from(nonce), aad, (&mut data[..]).into())
        {
            data.extend_from_slice(&tag);
        }
        nonce
    }

    /// Decrypts what [`CipherKey::seal`] produced with the same `aad`.
    pub fn open(&self, sealed: &[u8], aad: &[u8]) -> Result<Vec<u8>, DecryptError> {
        if sealed.len() < OVERHEAD {
            return Err(DecryptError);
        }
        let (nonce, rest) = sealed.split_at(NONCE_LEN);
        let (body, tag) = rest.split_at(rest.len() - TAG_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| DecryptError)?;
        let tag = Tag::try_from(tag).map_err(|_| DecryptError)?;
        let cipher = XChaCha20Poly1305::new((&self.0).into());
        let mut plain = body.to_vec();
        cipher
            .decrypt_inout_detached(&XNonce::from(nonce), aad, (&mut plain[..]).into(), &tag)
            .map_err(|_| DecryptError)?;
        Ok(plain)
    }
}

impl std::fmt::Debug for CipherKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CipherKey(..)")
    }
}

/// The repository's master key: one key for encryption, one for chunk ids, and the
/// chunker's seed. It never leaves memory unencrypted.
#[derive(Clone, Serialize, Deserialize)]
pub struct MasterKey {
    #[serde(with = "b64")]
    encrypt: [u8; 32],
    #[serde(with = "b64")]
    chunk_id: [u8; 32],
    chunker_seed: u64,
}

impl MasterKey {
    /// A fresh random master key.
    pub fn generate() -> Self {
        Self {
            encrypt: rand::random(),
            chunk_id: rand::random(),
            chunker_seed: rand::random(),
        }
    }

    /// The key that encrypts every file and chunk.
    pub fn cipher(&self) -> CipherKey {
        CipherKey(self.encrypt)
    }

    /// The chunk id of a plaintext: keyed BLAKE3, so ids reveal nothing about content.
    pub fn chunk_id(&self, plaintext: &[u8]) -> crate::id::ChunkId {
        crate::id::ChunkId(*blake3::keyed_hash(&self.chunk_id, plaintext).as_bytes())
    }

    /// A keyed BLAKE3 hasher for whole items (their content hash).
    pub fn content_hasher(&self) -> blake3::Hasher {
        blake3::Hasher::new_keyed(&self.chunk_id)
    }

    /// The seed of the chunker's gear table, so chunk boundaries reveal nothing either.
    pub fn chunker_seed(&self) -> u64 {
        self.chunker_seed
    }
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(..)")
    }
}

/// Base64 for fixed-size byte arrays in key files.
pub(crate) mod b64 {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer, const N: usize>(
        bytes: &[u8; N],
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>, const N: usize>(
        d: D,
    ) -> Result<[u8; N], D::Error> {
        let text = String::deserialize(d)?;
        let bytes = STANDARD.decode(text).map_err(serde::de::Error::custom)?;
        bytes
            .try_into()
            .map_err(|_| serde::de::Error::custom(format!("expected {N} bytes")))
    }
}
