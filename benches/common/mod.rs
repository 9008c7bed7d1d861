//! Shared by the benchmarks: run the built binary and time it.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// Runs `neuroflow` with NEUROFLOW_CONFIG=`config`; returns (wall time, stdout).
pub fn neuroflow(config: &Path, args: &[&str]) -> (Duration, String) {
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_neuroflow"))
        .env("NEUROFLOW_CONFIG", config)
        .env("RUST_LOG", "warn")
        .args(args)
        .output()
        .expect("neuroflow runs");
    let took = started.elapsed();
    assert!(out.status.success(), "neuroflow {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    (took, String::from_utf8_lossy(&out.stdout).into_owned())
}

pub fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Reads every file once so the timed runs see a warm page cache.
#[allow(dead_code)] // used by the discovery bench only
pub fn warm(dir: &Path) -> u64 {
    let mut bytes = 0;
    for e in walkdir::WalkDir::new(dir).into_iter().filter_map(Result::ok).filter(|e| e.file_type().is_file()) {
        bytes += std::fs::read(e.path()).map(|b| b.len() as u64).unwrap_or(0);
    }
    bytes
}
