//! Engine tests against the simulator.

use m365vault_engine as engine;

mod mail;
mod support;
