//! Ids of everything in a repository: 32 bytes, written as 64 lowercase hex digits.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The length of every id in bytes.
pub const ID_LEN: usize = 32;

/// An id string was not 64 hex digits.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0:?} is not an id: ids are 64 hexadecimal digits")]
pub struct ParseIdError(String);

macro_rules! ids {
    ($($(#[$doc:meta])* $name:ident;)*) => {$(
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub [u8; ID_LEN]);

        impl $name {
            /// The id's bytes.
            pub fn as_bytes(&self) -> &[u8; ID_LEN] {
                &self.0
            }

            /// A fresh random id.
            pub fn random() -> Self {
                Self(rand::random())
            }

            /// The id as 64 hex digits.
            pub fn to_hex(&self) -> String {
                hex::encode(self.0)
            }

            /// The first 8 hex digits, for messages.
            pub fn short(&self) -> String {
                hex::encode(&self.0[..4])
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.to_hex())
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.short())
            }
        }

        impl FromStr for $name {
            type Err = ParseIdError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let mut out = [0u8; ID_LEN];
                if s.len() != ID_LEN * 2 {
                    return Err(ParseIdError(s.to_owned()));
                }
                hex::decode_to_slice(s, &mut out).map_err(|_| ParseIdError(s.to_owned()))?;
                Ok(Self(out))
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.to_hex())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    )*};
}

ids! {
    /// A chunk: the keyed BLAKE3 hash of its plaintext.
    ChunkId;
    /// A pack file: the BLAKE3 hash of the file's bytes.
    PackId;
    /// An index file: the BLAKE3 hash of the file's bytes.
    IndexId;
    /// A run manifest: the BLAKE3 hash of the file's bytes.
    ManifestId;
    /// A key file: random.
    KeyId;
    /// A repository: random, chosen at `init`.
    RepoId;
    /// A lock file: random.
    LockId;
}

/// The BLAKE3 hash of a stored file's bytes, which names packs, index files and manifests.
pub fn content_id(bytes: &[u8]) -> [u8; ID_LEN] {
    *blake3::hash(bytes).as_bytes()
}
