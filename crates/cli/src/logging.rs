//! Logs to standard error. Libraries that could print request headers or bodies
//! at their most detailed levels are held at `info`, so that turning logging up
//! never prints tokens.

use tracing_subscriber::EnvFilter;

/// Crates whose trace output could contain headers (Authorization) or bodies.
const HELD_BACK: &[&str] = &[
    "h2",
    "hyper",
    "hyper_util",
    "reqwest",
    "rustls",
    "tower",
    "axum",
];

/// Sets up logging for `verbose` (count of -v) or `M365VAULT_LOG`.
pub fn init(verbose: u8) {
    let base = std::env::var("M365VAULT_LOG").unwrap_or_else(|_| {
        match verbose {
            0 => "warn",
            1 => "info",
            2 => "debug",
            _ => "trace",
        }
        .to_owned()
    });
    let mut directives = base.clone();
    for c in HELD_BACK {
        if !base.contains(c) {
            directives.push_str(&format!(",{c}=info"));
        }
    }
    let filter = EnvFilter::try_new(&directives).unwrap_or_else(|_| EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}
