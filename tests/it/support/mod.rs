//! Shared test fixtures: fresh databases on both backends, the built binary.

pub mod chain;
pub mod db;
pub mod parsers;
pub mod site;
pub mod slurm;

use std::path::PathBuf;

/// The neuroflow binary built by cargo for these tests.
pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_neuroflow"))
}
