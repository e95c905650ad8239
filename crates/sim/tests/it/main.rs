//! Integration tests of the simulator: one binary, a module per area.

mod common;
mod directory;
mod graph_auth;
mod identity;
mod schema;
mod setup_writes;
