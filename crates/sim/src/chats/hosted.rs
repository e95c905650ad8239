//! The bytes of hosted contents: small PNG images made from a seed (a real
//! PNG, so that a restored or exported image opens; the generator is the one
//! channel messages use, [`crate::teams::image::png`]), written again whenever
//! they are read.

use super::Hosted;

/// The content type of every hosted content.
pub const CONTENT_TYPE: &str = "image/png";

/// The PNG of `h`.
pub fn bytes(h: &Hosted) -> Vec<u8> {
    crate::teams::image::png(h.seed, h.width.max(1), h.height.max(1))
}
