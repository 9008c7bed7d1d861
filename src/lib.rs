//! neuroflow: runs a diffusion-MRI centre's processing chain on Slurm.
//! See docs/ARCHITECTURE.md for the code map and the invariants.

pub mod cli;
pub mod config;
pub mod db;
pub mod discovery;
pub mod domain;
pub mod error;
pub mod lifecycle;
pub mod pipeline;
pub mod progress;
pub mod recon_specs;
pub mod releases;
pub mod slurm;
pub mod stages;
pub mod workflow;
