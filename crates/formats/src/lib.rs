//! Standard files from backed-up Microsoft 365 items, for other mail,
//! calendar and contact programs to read.
//!
//! - [`mbox`]: messages as one mboxrd file, and [`eml_file_name`] for single
//!   `.eml` files;
//! - [`ics`]: a calendar's Graph `event` objects as iCalendar (RFC 5545);
//! - [`vcf`]: Graph `contact` objects as vCard 4.0 (RFC 6350);
//! - [`transcript`]: a Teams channel's or chat's Graph `chatMessage` objects as
//!   one self-contained, readable HTML document.
//!
//! Pure functions and writers over `std::io::Write`: no network, no async.
//! `docs/export-formats.md` describes each format as written.

pub mod contentline;
pub mod eml;
pub mod error;
pub mod html;
pub mod ics;
mod json;
pub mod mbox;
pub mod transcript;
pub mod vcf;

pub use eml::eml_file_name;
pub use error::FormatError;
pub use ics::{calendar_to_ics, calendar_to_ics_lenient};
pub use mbox::{MboxWriter, parse_mboxrd};
pub use vcf::{contact_to_vcard, contacts_to_vcf, contacts_to_vcf_lenient};
