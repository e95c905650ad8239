//! Integration tests of the simulator: one binary, a module per area.

mod calendar_contacts;
mod chats;
mod common;
mod directory;
mod drive_writes;
mod drives;
mod faults;
mod graph_auth;
mod identity;
mod inventory;
mod mailbox;
mod mailbox_writes;
mod outlook_throttle;
mod schema;
mod setup_writes;
mod sharepoint_throttle;
mod sites;
mod teams;
mod teams_writes;
