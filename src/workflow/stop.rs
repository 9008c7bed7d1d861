//! SIGINT and SIGTERM stop a tick between steps, never inside one: the sbatch in
//! flight finishes and is recorded, the tick is recorded as interrupted, and the
//! process exits 2 (the next tick goes on). A second signal exits at once.

use crate::error::{Error, Result};
use std::sync::atomic::{AtomicI32, Ordering};

static SIGNAL: AtomicI32 = AtomicI32::new(0);

/// Notes that `signal` asked the process to stop.
pub fn request(signal: i32) {
    SIGNAL.store(signal, Ordering::SeqCst);
}

/// The signal that asked to stop, by name.
pub fn requested() -> Option<&'static str> {
    match SIGNAL.load(Ordering::SeqCst) {
        0 => None,
        2 => Some("SIGINT"),
        15 => Some("SIGTERM"),
        _ => Some("a signal"),
    }
}

/// Err (transient) when a stop was asked for: call it between steps.
pub fn check(before: &str) -> Result<()> {
    match requested() {
        Some(sig) => Err(Error::Transient(format!("stopped by {sig} before {before}; the next tick goes on"))),
        None => Ok(()),
    }
}

/// Listens for SIGINT and SIGTERM for the life of the process (spawn it on the runtime).
pub async fn listen() {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut int), Ok(mut term)) = (signal(SignalKind::interrupt()), signal(SignalKind::terminate())) else {
        tracing::warn!("cannot listen for SIGINT/SIGTERM; they will stop neuroflow at once");
        return;
    };
    loop {
        let sig = tokio::select! {
            _ = int.recv() => 2,
            _ = term.recv() => 15,
        };
        if requested().is_some() {
            tracing::warn!("second signal: stopping now");
            std::process::exit(128 + sig);
        }
        request(sig);
        tracing::warn!(signal = requested().unwrap_or_default(), "stopping after the current step");
    }
}
