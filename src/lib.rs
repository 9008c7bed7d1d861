//! neuroflow: runs a diffusion-MRI centre's processing chain on Slurm.
//! See docs/ARCHITECTURE.md for the code map and the invariants.

/// neuroflow's own version (recorded with every run and on the status page).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

pub mod cli;
pub mod config;
pub mod db;
pub mod digest;
pub mod discovery;
pub mod domain;
pub mod error;
pub mod lifecycle;
pub mod pipeline;
pub mod plot;
pub mod progress;
pub mod recon_specs;
pub mod releases;
pub mod slurm;
pub mod stages;
pub mod workflow;

#[cfg(test)]
mod imports_tests;
