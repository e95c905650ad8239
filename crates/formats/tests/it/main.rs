//! Integration tests of the export formats: every file written is read back
//! with an independent parser (mail-parser for MBOX, calcard for iCalendar
//! and vCard).

mod ics;
mod mbox;
mod properties;
mod support;
mod vcf;
