//! Engine tests against the simulator.

use m365vault_engine as engine;

mod drives;
mod mail;
mod support;
mod teams;
