//! Deterministic values derived from the tenant's seed.

use model::Guid;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use sha2::{Digest, Sha256};

/// Derives values from a seed, so that one seed always yields the same tenant.
#[derive(Debug, Clone, Copy)]
pub struct Seed(pub u64);

impl Seed {
    fn digest(self, kind: &str, index: u64) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(b"m365vault-sim\0");
        h.update(self.0.to_le_bytes());
        h.update(kind.as_bytes());
        h.update([0]);
        h.update(index.to_le_bytes());
        h.finalize().into()
    }

    /// A version-4-shaped GUID for object `index` of `kind`.
    pub fn guid(self, kind: &str, index: u64) -> Guid {
        let d = self.digest(kind, index);
        let mut b = [0u8; 16];
        b.copy_from_slice(&d[..16]);
        b[6] = (b[6] & 0x0f) | 0x40;
        b[8] = (b[8] & 0x3f) | 0x80;
        Guid::from_bytes(b)
    }

    /// A random generator for object `index` of `kind`.
    pub fn rng(self, kind: &str, index: u64) -> ChaCha8Rng {
        ChaCha8Rng::from_seed(self.digest(kind, index))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_values_other_seed_other_values() {
        assert_eq!(Seed(1).guid("user", 3), Seed(1).guid("user", 3));
        assert_ne!(Seed(1).guid("user", 3), Seed(2).guid("user", 3));
        assert_ne!(Seed(1).guid("user", 3), Seed(1).guid("group", 3));
    }
}
