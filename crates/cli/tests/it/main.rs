//! The `m365vault` command against the simulator, as an administrator uses it.

mod add;
mod backup;
mod check;
mod common;
mod drives;
mod graph_retries;
mod repo;
mod secrets;
mod setup;
mod sim_serve;
mod teams;
