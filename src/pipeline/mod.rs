//! Owns: the chain's pure core — planning, resource requests, script contexts,
//! markers. May import: config, stages, releases, domain (no I/O). Must not be imported
//! by: config, db, slurm.

pub mod markers;
pub mod plan;
pub mod request;
pub mod script;

#[cfg(test)]
mod plan_tests;
