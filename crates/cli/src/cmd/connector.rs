//! `m365vault connector …`.

pub mod add;
pub mod check;
pub mod list;
pub mod remove;
pub mod update;
